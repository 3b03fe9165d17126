r"""Path length regularisation (StyleGAN2 §3.2) and lazy regularisation (§3.1).

A fixed-size step in W should change the image by a fixed amount, whatever the direction. With
:math:`J_w = \partial g(w)/\partial w` and random image-space directions y,

.. math::  \mathcal L_{pl} = \mathbb E_{w,\,y\sim\mathcal N(0, I)}
           \big(\lVert J_w^{\mathsf T} y\rVert_2 - a\big)^2

where a is the running exponential average of the lengths. :math:`J_w^{\mathsf T} y` costs one
backward pass: it is the gradient of :math:`\langle g(w), y\rangle` with respect to w. y is
scaled by :math:`1/\sqrt{HW}` so that the lengths do not grow with the resolution.

Config F: weight γ_pl = 2, decay 0.01, on a minibatch shrunk 2× (``PL_BATCH_SHRINK``), every
4th generator step (``PL_INTERVAL``). R1 runs every 16th discriminator step (``R1_INTERVAL``).
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ..layers import lerp

PL_WEIGHT = 2.0
PL_DECAY = 0.01
PL_BATCH_SHRINK = 2
PL_INTERVAL = 4
R1_INTERVAL = 16


def path_lengths(images: torch.Tensor, latents: torch.Tensor, y: torch.Tensor | None = None,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    r"""Per-sample lengths :math:`\lVert J_w^{\mathsf T} y\rVert_2`, kept differentiable.

    ``images`` [N, C, H, W] must have been computed from ``latents`` (``requires_grad``):
    [N, w_dim] (one w per image, the paper's definition) or [N, L, w_dim] (the ws that
    ``G.synthesis`` takes; each of the L inputs is treated as its own w and their squared lengths
    are averaged, :math:`\sqrt{\tfrac1L\sum_l \lVert J_{w_l}^{\mathsf T} y\rVert^2}`, as NVIDIA's
    releases do). ``y`` defaults to :math:`\mathcal N(0, I)/\sqrt{HW}` drawn with ``generator``.
    """
    if images.ndim != 4 or latents.ndim not in (2, 3) or latents.shape[0] != images.shape[0]:
        raise ValueError(f"path lengths need images [N, C, H, W] and latents [N, w_dim] or [N, L, w_dim] "
                         f"with the same N, got {list(images.shape)} and {list(latents.shape)}")
    if not latents.requires_grad:
        raise ValueError("latents must require grad and the images must have been computed from them")
    h, w = images.shape[2:]
    if y is None:
        y = torch.randn(images.shape, device=images.device, dtype=images.dtype, generator=generator) / (h * w) ** 0.5
    # J_wᵀ y = ∇_w ⟨g(w), y⟩
    (jty,) = torch.autograd.grad((images * y).sum(), latents, create_graph=True)
    if latents.ndim == 2:
        return jty.square().sum(1).sqrt()
    return jty.square().sum(2).mean(1).sqrt()


class PathLengthPenalty(nn.Module):
    r"""The path length penalty with its running target a (a buffer, saved with a checkpoint):

    .. math::  a \leftarrow a + \beta\,(\overline{\lVert J_w^{\mathsf T} y\rVert} - a), \qquad
               \mathcal L_{pl} = \gamma_{pl}\cdot\overline{\big(\lVert J_w^{\mathsf T} y\rVert_2 - a\big)^2}

    with decay β = 0.01, weight γ_pl = 2, the bars meaning the batch mean; a starts at 0 and is
    updated (from the detached lengths) before the penalty is taken. Call it with the images and
    the latents they were made from; multiply by the lazy interval when run every k steps
    (:func:`lazy_scale`).
    """

    def __init__(self, weight: float = PL_WEIGHT, decay: float = PL_DECAY):
        super().__init__()
        if weight < 0 or not 0 < decay <= 1:
            raise ValueError(f"path length penalty: weight must be >= 0 and decay in (0, 1], got {weight}, {decay}")
        self.weight, self.decay = float(weight), float(decay)
        self.register_buffer("mean", torch.zeros([]))

    def forward(self, images: torch.Tensor, latents: torch.Tensor, y: torch.Tensor | None = None,
                generator: torch.Generator | None = None,
                reduce: Callable[[torch.Tensor], torch.Tensor] | None = None) -> torch.Tensor:
        """``reduce``: applied to the batch mean of the lengths before a is updated — under
        ``torch.distributed``, the mean over processes, so every process keeps the same a."""
        lengths = path_lengths(images, latents, y, generator)
        batch_mean = lengths.detach().mean()
        if reduce is not None:
            batch_mean = reduce(batch_mean)
        # a ← lerp(a, mean length, β)
        self.mean.copy_(lerp(self.mean, batch_mean.to(self.mean.dtype), self.decay))
        # (‖Jᵀy‖ − a)², averaged, times γ_pl
        return (lengths - self.mean).square().mean() * self.weight

    def extra_repr(self) -> str:
        return f"weight={self.weight:g}, decay={self.decay:g}, mean={float(self.mean):.4g}"


def lazy_scale(step: int, interval: int) -> float:
    r"""Lazy regularisation: the regulariser runs on steps with ``step % interval == 0`` only and is
    multiplied by the interval there, so its average strength is unchanged,

    .. math::  \mathcal L = \mathcal L_{main} + [k \mid t]\; k \cdot \mathcal L_{reg}

    Returns k or 0 (no regularisation at this step). ``interval`` ≤ 1 means every step, factor 1.
    """
    if interval <= 1:
        return 1.0
    return float(interval) if step % interval == 0 else 0.0


def lazy_adam(lr: float, betas: tuple[float, float], interval: int) -> tuple[float, tuple[float, float]]:
    r"""Adam settings for a network whose regulariser is a *separate* optimiser step every k
    minibatches (k + 1 steps per k minibatches): :math:`c = k/(k+1)`,
    :math:`\text{lr} \leftarrow c\,\text{lr}`, :math:`\beta_i \leftarrow \beta_i^{\,c}` — so the
    optimiser's time scale per minibatch is that of the unregularised run. Not needed when the
    scaled regulariser is added to the main loss of the same step.
    """
    if interval <= 1:
        return lr, betas
    c = interval / (interval + 1)
    return lr * c, (betas[0] ** c, betas[1] ** c)


__all__ = ["PL_WEIGHT", "PL_DECAY", "PL_BATCH_SHRINK", "PL_INTERVAL", "R1_INTERVAL", "path_lengths",
           "PathLengthPenalty", "lazy_scale", "lazy_adam"]
