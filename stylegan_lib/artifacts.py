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
  blur. :func:`sticking_ratio` compares the sharpness of the average with that of the frames,
  :func:`endpoint_change` says how much the path changed the image at all.
  :func:`input_translation_sticking` moves a StyleGAN3 generator's input by sub-pixel steps and
  compares the average of its frames with the average a perfectly equivariant generator would
  give (its first frame moved by band-limited interpolation).

References for the spike share: a flat map gives 1 / (H·W); a map of independent Gaussian
pixels, with no structure but no flatness either, gives more (:func:`gaussian_spike_share`).
"""
from __future__ import annotations

import functools

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


@functools.lru_cache(maxsize=64)
def gaussian_spike_share(size: int, quantile: float = 0.5, num: int = 4096, seed: int = 0) -> float:
    r"""The ``quantile`` of :func:`spike_share` over ``num`` maps of size × size independent
    N(0, 1) pixels (drawn with ``seed``): what a map without any spatial structure scores. For
    n = size² pixels its median is near

    .. math::  \frac{\operatorname{med}\,\max_{p \le n} x_p^2}{\sum_p x_p^2} \approx \frac{2 \ln n - \ln\ln n}{n}

    about 11× the flat map's 1 / n at 32² (n = 1024): a share that high needs no spike at all.
    """
    if size < 1 or not 0 <= quantile <= 1:
        raise ValueError(f"need size >= 1 and a quantile in [0, 1], got {size} and {quantile}")
    g = torch.Generator().manual_seed(seed)
    shares = spike_share(torch.randn(num, 1, size, size, generator=g)).flatten()
    return float(torch.quantile(shares, quantile))


def top_channel_recurrence(shares: torch.Tensor) -> tuple[int, float]:
    r"""Whether one channel keeps holding the spike: for each image n its most concentrated map
    :math:`c^*_n = \arg\max_c s_{nc}` (``shares`` [N, C] from :func:`layer_spike_shares`); returns
    the channel that is :math:`c^*_n` most often and the fraction of images where it is,

    .. math::  f = \max_c \frac1N \sum_n [c^*_n = c]

    about 1/C when the channels take turns, 1 when one channel holds the spike in every image,
    whatever the latent."""
    if shares.ndim != 2 or not shares.numel():
        raise ValueError(f"shares must be [N, C] with N, C >= 1, got {list(shares.shape)}")
    counts = torch.bincount(shares.argmax(1), minlength=shares.shape[1])
    # f = max_c (1/N) Σ_n [c*_n = c]
    return int(counts.argmax()), float(counts.max()) / shares.shape[0]


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


def endpoint_change(frames: torch.Tensor) -> float:
    r"""How far a path of ``frames`` [T, C, H, W] (images in [−1, 1]) moved the image: the RMS
    difference between its last and first frames,

    .. math::  \Delta = \sqrt{\tfrac{1}{CHW} \textstyle\sum_{c,p} (x_{T,cp} - x_{1,cp})^2}

    A sharp average (:func:`sticking_ratio` near 1) says nothing unless Δ is large: frames that
    hardly change average to themselves."""
    if frames.ndim != 4 or len(frames) < 2:
        raise ValueError(f"frames must be [T ≥ 2, C, H, W], got {list(frames.shape)}")
    x = frames.detach().float()
    return float((x[-1] - x[0]).square().mean().sqrt())


@torch.no_grad()
def input_translation_sticking(G, ws: torch.Tensor, shifts_px, radius: int | None = None,
                               noise_mode: str = "const") -> dict:
    r"""Move a StyleGAN3 generator's input by ``shifts_px`` (pixels, along x; sub-pixel steps) for
    one image's styles ``ws`` [1, num_ws, w_dim] and average the frames:

    .. math::  x_t = g(\tau_t[z_0];\, w), \qquad \tau_t = \text{translation}(t / R,\, 0)

    beside what a perfectly equivariant generator would give, the first frame moved by
    band-limited interpolation, :math:`\hat x_t = \tau_t[x_0]`
    (:func:`stylegan_lib.metrics.equivariance.transform_image`). Detail stuck to the pixel grid
    stays sharp in the average of the :math:`x_t` where the average of the :math:`\hat x_t`
    blurs. Both :func:`sticking_ratio` values are taken over the pixels every :math:`\hat x_t`
    can interpolate (the box where all masks are 1; the image's border is cut away).

    ``noise_mode``: for the rungs with noise inputs (B), "const" keeps one noise image fixed to
    the pixels in every frame, which sticks by construction; "none" leaves the noise out, so what
    still sticks comes from the layers.

    Returns ``frames``, ``ideal`` [T, C, H, W], ``box`` (top, bottom, left, right: the rows and
    columns used), ``ratio`` and ``ideal_ratio`` (ρ of each), ``shifts_px``.
    """
    from .metrics.equivariance import check_transformable, transform_image, translation

    check_transformable(G)
    if ws.ndim != 3 or ws.shape[0] != 1:
        raise ValueError(f"ws must be one image's styles [1, num_ws, w_dim], got {list(ws.shape)}")
    shifts = [float(s) for s in shifts_px]
    if len(shifts) < 2:
        raise ValueError("need at least two shifts to average")
    res = G.img_resolution
    ws = ws.to(G.device)
    frames = torch.cat([G.synthesis(ws, noise_mode=noise_mode, input_transform=translation(s / res, 0.0).to(G.device))
                        for s in shifts]).cpu().float()
    ideal, masks = zip(*(transform_image(frames[:1], translation(s / res, 0.0), radius=radius) for s in shifts))
    ideal, valid = torch.cat(ideal), torch.stack(masks).all(0)[0, 0]
    rows, cols = valid.any(1).nonzero().flatten(), valid.any(0).nonzero().flatten()
    if len(rows) < 3 or len(cols) < 3:
        raise ValueError(f"shifts up to {max(map(abs, shifts)):g} px leave fewer than 3×3 valid pixels at {res}²")
    top, bottom, left, right = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    crop = (..., slice(top, bottom), slice(left, right))
    assert bool(valid[crop].all()), "a translation's valid pixels form a rectangle"
    return {"frames": frames, "ideal": ideal, "box": (top, bottom, left, right), "shifts_px": shifts,
            "ratio": sticking_ratio(frames[crop]), "ideal_ratio": sticking_ratio(ideal[crop])}


__all__ = ["spike_share", "layer_spike_shares", "NORMALISED_INPUTS", "gaussian_spike_share",
           "top_channel_recurrence", "sharpness", "sticking_ratio", "endpoint_change",
           "input_translation_sticking"]
