r"""The artifacts StyleGAN2 and StyleGAN3 were made to remove, as numbers (chapter 12).

* **Droplets** (StyleGAN2 paper, §2). AdaIN normalises every feature map by its own measured
  mean and spread, which throws away the map's overall magnitude. A generator that wants to
  keep it can put one very strong, very local peak into the map: the peak then dominates the
  statistics, and the rest of the map passes the normalisation scaled down by an amount the
  generator controls. The peak shows as a "droplet" in the image. :func:`spike_share`
  measures it: the share of a map's energy in its single strongest pixel, read from the feature
  maps that the next normalisation sees (:func:`layer_spike_shares`). StyleGAN2's weight
  demodulation scales by *expected* statistics instead, so a peak gains the generator nothing.
* **Texture sticking** (StyleGAN3 paper). Details that stay glued to pixel positions while the
  object moves: the average of many frames along a latent path stays sharp where it should
  blur. :func:`sticking_ratio` compares the sharpness of the average with that of the frames.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


def spike_share(x: torch.Tensor) -> torch.Tensor:
    r"""The share of each feature map's energy in its strongest pixel, ``[N, C]``:

    .. math::  s_{nc} = \frac{\max_p x_{ncp}^2}{\sum_p x_{ncp}^2}

    1 / (H·W) for a flat map, 1 for a single spike; an all-zero map gets 0.
    """
    if x.ndim != 4:
        raise ValueError(f"feature maps must be [N, C, H, W], got {list(x.shape)}")
    energy = x.detach().float().flatten(2).square()
    total = energy.sum(2)
    return torch.where(total > 0, energy.amax(2) / total.clamp_min(1e-30), torch.zeros_like(total))


#: The recorded feature maps that feed the next normalisation, per generation: StyleGAN1's
#: activations just before instance norm, StyleGAN2's convolution outputs (after noise, bias
#: and activation), which the next layer's demodulated weights take in.
NORMALISED_INPUTS = {"stylegan1": ("/act",), "stylegan2": ("/conv0", "/conv1")}


@torch.no_grad()
def layer_spike_shares(G, ws: torch.Tensor, noise_mode: str = "const") -> dict[str, torch.Tensor]:
    """:func:`spike_share` of every layer's feature maps that the next normalisation sees,
    ``{layer name: [N, C]}`` in the order the layers run, for a StyleGAN1 or StyleGAN2
    generator (``G.synthesis(ws, return_features=True)``)."""
    from .generations import generation_of

    generation = generation_of(G.config)
    if generation not in NORMALISED_INPUTS:
        raise ValueError(f"droplets are a StyleGAN1/StyleGAN2 matter; this is a {generation} generator "
                         "(StyleGAN3 has neither AdaIN nor noise)")
    _, features = G.synthesis(ws, noise_mode=noise_mode, return_features=True)
    suffixes = NORMALISED_INPUTS[generation]
    return {name: spike_share(x) for name, x in features.items() if name.endswith(suffixes)}


def sharpness(images: torch.Tensor) -> torch.Tensor:
    r"""Mean squared Laplacian per image, ``[N]`` — high for fine detail, 0 for a flat image:

    .. math::  \operatorname{sharp}(x) = \frac{1}{CHW} \sum_{c,p} (\nabla^2 x)_{cp}^2,
               \qquad \nabla^2 = \begin{bmatrix}0&1&0\\1&-4&1\\0&1&0\end{bmatrix}

    computed on the interior pixels (no padding, so image borders add nothing).
    """
    if images.ndim != 4:
        raise ValueError(f"images must be [N, C, H, W], got {list(images.shape)}")
    x = images.detach().float()
    kernel = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]], device=x.device)
    kernel = kernel.view(1, 1, 3, 3).repeat(x.shape[1], 1, 1, 1)
    return F.conv2d(x, kernel, groups=x.shape[1]).square().mean((1, 2, 3))


def sticking_ratio(frames: torch.Tensor) -> float:
    r"""How much detail survives averaging ``frames`` ``[T, C, H, W]`` (a path through the
    latent space, or a moving object):

    .. math::  \rho = \frac{\operatorname{sharp}(\frac1T \sum_t x_t)}{\frac1T \sum_t \operatorname{sharp}(x_t)}

    Detail that moves with the content averages out (ρ → 0 as the motion grows); detail glued
    to pixel positions survives (ρ = 1 for frames that do not change at all).
    """
    if frames.ndim != 4 or len(frames) < 2:
        raise ValueError(f"frames must be [T ≥ 2, C, H, W], got {list(frames.shape)}")
    per_frame = sharpness(frames).mean()
    if per_frame <= 0:
        raise ValueError("the frames have no detail at all (every one is flat): nothing can stick")
    return float(sharpness(frames.float().mean(0, keepdim=True))[0] / per_frame)


__all__ = ["spike_share", "layer_spike_shares", "NORMALISED_INPUTS", "sharpness", "sticking_ratio"]
