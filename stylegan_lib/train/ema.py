r"""The exponential moving average of the generator's weights ("G smoothing", Karras et al. 2018),
the network used for every sample and metric.

With a half-life of :math:`h` images and a minibatch of :math:`B` images, each step does

.. math::  \beta = 0.5^{B/h},\qquad \theta_\text{ema} \leftarrow \theta + \beta\,(\theta_\text{ema} - \theta)

so after :math:`h` images the weight of the old average has halved whatever the batch size.
The paper uses h = 10 k images. Early in training the average would drag along the random
initialisation, so (as in NVIDIA's later releases) the half-life is capped at
``rampup · images shown``.
"""
from __future__ import annotations

import copy

import torch
from torch import nn


def ema_beta(batch: int, half_life_img: float, cur_nimg: float | None = None,
             rampup: float | None = None) -> float:
    """β = 0.5^(batch / h), with h capped at ``rampup · cur_nimg`` when ``rampup`` is given."""
    if batch <= 0:
        raise ValueError(f"batch must be positive, got {batch}")
    h = float(half_life_img)
    if rampup is not None and cur_nimg is not None:
        h = min(h, rampup * cur_nimg)
    if h <= 0:
        return 0.0
    return 0.5 ** (batch / h)


@torch.no_grad()
def update_ema(G_ema: nn.Module, G: nn.Module, beta: float) -> None:
    """θ_ema ← θ + β (θ_ema − θ) for every parameter; buffers (w̄, stored noise) are copied."""
    if not 0.0 <= beta <= 1.0:
        raise ValueError(f"beta must be in [0, 1], got {beta}")
    for p_ema, p in zip(G_ema.parameters(), G.parameters()):
        p_ema.copy_(p.detach().lerp(p_ema, beta))
    for b_ema, b in zip(G_ema.buffers(), G.buffers()):
        b_ema.copy_(b)


def make_ema(G: nn.Module) -> nn.Module:
    """A frozen copy of G to hold the moving average."""
    G_ema = copy.deepcopy(G).eval()
    G_ema.requires_grad_(False)
    return G_ema


__all__ = ["ema_beta", "update_ema", "make_ema"]
