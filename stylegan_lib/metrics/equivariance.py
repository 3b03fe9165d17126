"""Equivariance metrics of the StyleGAN3 paper: EQ-T (translation) and EQ-R (rotation).

For a transform t of the canvas, compare the output of the transformed input with the
transformed output, as a PSNR in dB for images in [−1, 1] (peak-to-peak I = 2):

.. math::  \\text{EQ} = 10\\log_{10}\\frac{I^2}{\\mathbb E_{w,t,p}\\big[(g(t[z_0]; w)(p) - t[g(z_0; w)](p))^2\\big]}
           = 20\\log_{10} 2 - 10\\log_{10}\\text{MSE}

The expectation is over the pixels p of the valid region only: pixels whose value after t
would come from outside the canvas are cropped out (a mask), and the MSE is pooled over all
samples before the logarithm. The output image is transformed by band-limited (Kaiser-windowed
sinc) interpolation, which is exact for integer translations.

The paper's names: **EQ-T** (``eq_t``) translates by whole output pixels, so the reference is
an exact shift; **EQ-T_frac** (``eq_t_frac``, the paper's appendix) by fractions of a pixel;
**EQ-R** (``eq_r``) rotates. The last two need an interpolated reference, and a reference
interpolated over a few taps is itself inexact: :func:`reference_ceiling` measures the PSNR it
reaches on images that can be moved exactly, the most any generator can score at that size.

Our defaults, not the paper's recorded protocol: translations uniform in ±1/8 of the image
width per axis, rotations uniform in ±45°, ψ = 1.

A generator qualifies when ``G.synthesis.supports_input_transform`` is true and its synthesis
accepts ``input_transform=`` (StyleGAN3, configs B–R). StyleGAN1/2's learned constant input
cannot be translated by a fraction of a pixel, so they are refused with a clear error.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from ..latent import latent_generator
from ..stylegan3.filters import kaiser_beta

PEAK_TO_PEAK = 2.0
EQ_METRICS = ("eq_t", "eq_t_frac", "eq_r")


# ------------------------------------------------------------------------------------------
# Transforms of the canvas (width 1, centre 0; x = column, y = row).
# ------------------------------------------------------------------------------------------
def translation(tx: torch.Tensor | float, ty: torch.Tensor | float) -> torch.Tensor:
    """[N, 3, 3] (or [3, 3] for numbers): p ↦ p + (t_x, t_y), in canvas units (image width = 1)."""
    tx, ty = torch.as_tensor(tx, dtype=torch.float32), torch.as_tensor(ty, dtype=torch.float32)
    one, zero = torch.ones_like(tx), torch.zeros_like(tx)
    return torch.stack([torch.stack([one, zero, tx], -1), torch.stack([zero, one, ty], -1),
                        torch.stack([zero, zero, one], -1)], -2)


def rotation(angle: torch.Tensor | float) -> torch.Tensor:
    """[N, 3, 3] (or [3, 3]): rotation by ``angle`` radians about the canvas centre."""
    a = torch.as_tensor(angle, dtype=torch.float32)
    c, s, zero, one = a.cos(), a.sin(), torch.zeros_like(a), torch.ones_like(a)
    return torch.stack([torch.stack([c, -s, zero], -1), torch.stack([s, c, zero], -1),
                        torch.stack([zero, zero, one], -1)], -2)


def psnr(mse: torch.Tensor | float, peak_to_peak: float = PEAK_TO_PEAK) -> float:
    r"""PSNR in dB: :math:`20\log_{10} I - 10\log_{10}\mathrm{MSE}` (inf for MSE = 0)."""
    mse = float(mse)
    return math.inf if mse <= 0 else 20 * math.log10(peak_to_peak) - 10 * math.log10(mse)


def masked_mse(a: torch.Tensor, b: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(Σ mask·(a − b)², Σ mask · channels): the two sums of a pooled masked mean."""
    mask = mask.to(a.dtype).expand_as(a)
    return (mask * (a - b).square()).sum(), mask.sum()


# ------------------------------------------------------------------------------------------
# Transforming an image by band-limited interpolation.
# ------------------------------------------------------------------------------------------
def sinc_kernel(d: torch.Tensor, radius: int, beta: float) -> torch.Tensor:
    r"""Kaiser-windowed sinc at offsets d (|d| < radius): :math:`\mathrm{sinc}(d)\,w_\beta(d/\text{radius})`."""
    rho = (d / radius).clamp(-1, 1)
    window = torch.special.i0(beta * torch.sqrt(1 - rho * rho)) / torch.special.i0(torch.tensor(beta))
    return torch.sinc(d) * window * (d.abs() < radius)


def default_radius(resolution: int) -> int:
    """Interpolation taps per side: 8 from 64² on, fewer on small images (4 at 32², 2 at 16²)
    so that a useful valid region remains; fewer taps mean a less exact reference."""
    return int(min(8, max(2, resolution // 8)))


def transform_image(img: torch.Tensor, matrix: torch.Tensor, radius: int | None = None,
                    attenuation: float = 80.0) -> tuple[torch.Tensor, torch.Tensor]:
    r"""The image moved by the canvas transform ``matrix`` ([3, 3]): out(p) = img(M⁻¹ p), by
    separable windowed-sinc interpolation over a (2·radius)² neighbourhood:

    .. math::  \text{out}(p) = \sum_{i,j} \text{img}[i, j]\; h(v - i)\, h(u - j),\qquad (u, v) = M^{-1}p

    in pixel indices. Returns (out, mask) where mask [1, 1, H, W] is 1 where every tap lay
    inside the image (pixels brought in from outside are not valid).
    """
    n, c, h, w = img.shape
    if h != w:
        raise ValueError(f"transform_image expects square images, got {h}×{w}")
    radius = default_radius(h) if radius is None else radius
    beta = kaiser_beta(attenuation)
    inv = torch.linalg.inv(matrix.double()).float().to(img.device)
    k = (torch.arange(h, dtype=torch.float32, device=img.device) + 0.5 - h / 2) / h
    py, px = torch.meshgrid(k, k, indexing="ij")
    src = torch.stack([px.reshape(-1), py.reshape(-1)], 1) @ inv[:2, :2].T + inv[:2, 2]
    u, v = src[:, 0] * w + w / 2 - 0.5, src[:, 1] * h + h / 2 - 0.5     # source pixel indices
    # Integer source positions need no interpolation (the sinc is a delta there).
    r = 0 if bool(((u - u.round()).abs().max() < 1e-4) & ((v - v.round()).abs().max() < 1e-4)) else radius
    if r == 0:
        u, v = u.round(), v.round()
    offsets = torch.arange(-r + 1, r + 1, device=img.device, dtype=torch.float32) if r else torch.zeros(1, device=img.device)
    iu = u.floor()[:, None] + offsets if r else u[:, None]                # [P, T]
    iv = v.floor()[:, None] + offsets if r else v[:, None]
    wu = sinc_kernel(u[:, None] - iu, r, beta) if r else torch.ones_like(iu)
    wv = sinc_kernel(v[:, None] - iv, r, beta) if r else torch.ones_like(iv)
    valid = ((iu >= 0) & (iu < w)).all(1) & ((iv >= 0) & (iv < h)).all(1)
    iu_c, iv_c = iu.clamp(0, w - 1).long(), iv.clamp(0, h - 1).long()
    # gather img[:, :, iv, iu] for every pair of taps: [N, C, P, T, T]
    flat = img.reshape(n, c, h * w)
    idx = (iv_c[:, :, None] * w + iu_c[:, None, :]).reshape(-1)
    g = flat[:, :, idx].reshape(n, c, -1, iv.shape[1], iu.shape[1])
    out = (g * (wv[:, :, None] * wu[:, None, :])).sum((-1, -2)).reshape(n, c, h, w)
    mask = valid.reshape(1, 1, h, w)
    return out * mask, mask


# ------------------------------------------------------------------------------------------
# The metrics.
# ------------------------------------------------------------------------------------------
Render = Callable[[torch.Tensor | None], torch.Tensor]


def equivariance_psnr(render: Render, transforms: list[torch.Tensor], resolution: int,
                      radius: int | None = None) -> float:
    """PSNR over ``transforms``: ``render(M)`` gives images [N, C, R, R] for the input transformed
    by M (None = untransformed). The MSE is pooled over all transforms, samples and valid pixels."""
    base = render(None)
    if base.shape[-1] != resolution:
        raise ValueError(f"render gave {base.shape[-1]}² images, expected {resolution}²")
    total, count = 0.0, 0.0
    for m in transforms:
        moved = render(m)
        ref, mask = transform_image(base, m, radius=radius)
        s, c = masked_mse(moved, ref, mask)
        total, count = total + float(s), count + float(c)
    if count == 0:
        raise ValueError("no valid pixel: the transforms move the whole image out of the canvas")
    return psnr(total / count)


def band_limited_image(freqs: torch.Tensor, phases: torch.Tensor, resolution: int,
                       matrix: torch.Tensor | None = None) -> torch.Tensor:
    r"""[1, 3, R, R] grey image of sinusoids at canvas positions p (pixel centres), moved by the
    canvas transform ``matrix`` exactly — evaluated at q = M⁻¹p, not interpolated:

    .. math::  x(p) = \sqrt{2/K}\,\sum_{k=1}^{K} \cos\big(2\pi f_k \cdot M^{-1}p + \varphi_k\big)

    ``freqs`` [K, 2] in cycles per image width (Nyquist: R/2), ``phases`` [K]."""
    k = (torch.arange(resolution, dtype=torch.float64) + 0.5) / resolution - 0.5
    py, px = torch.meshgrid(k, k, indexing="ij")
    p = torch.stack([px.reshape(-1), py.reshape(-1)], 1)
    if matrix is not None:
        inv = torch.linalg.inv(matrix.double())
        p = p @ inv[:2, :2].T + inv[:2, 2]
    x = torch.cos(2 * math.pi * p @ freqs.double().T + phases.double()).sum(1) * math.sqrt(2 / len(phases))
    return x.float().reshape(1, 1, resolution, resolution).expand(1, 3, resolution, resolution)


def reference_ceiling(metric: str, resolution: int, band: float = 0.75, rms: float = 0.5, num: int = 64,
                      components: int = 12, seed: int = 0, radius: int | None = None) -> float:
    """The PSNR (dB) of the metric's interpolated reference on images that can be moved exactly:
    random sums of ``components`` sinusoids with frequencies up to ``band`` × Nyquist
    (:func:`band_limited_image`, scaled to an RMS of ``rms``), each transformed by
    :func:`transform_image` and compared with the same sum evaluated at the moved positions, over
    ``num`` transforms of :func:`sample_transforms`. A generator whose images have that much detail
    and contrast cannot score above it (the error scales with the image, so the ceiling moves by
    −20·log10 of a change of ``rms``). ``inf`` for "eq_t", whose whole-pixel shifts need no
    interpolation."""
    if not 0 < band <= 1:
        raise ValueError(f"band is a fraction of the Nyquist frequency, in (0, 1]; got {band}")
    if rms <= 0:
        raise ValueError(f"rms must be positive, got {rms}")
    gen = torch.Generator().manual_seed(seed)
    total, count = 0.0, 0.0
    for m in sample_transforms(metric, num, resolution, generator=gen):
        radius_k = torch.rand(components, generator=gen) * band * resolution / 2
        angle = torch.rand(components, generator=gen) * 2 * math.pi
        freqs = torch.stack([radius_k * angle.cos(), radius_k * angle.sin()], 1)
        phases = torch.rand(components, generator=gen) * 2 * math.pi
        ref, mask = transform_image(rms * band_limited_image(freqs, phases, resolution), m, radius=radius)
        s, c = masked_mse(rms * band_limited_image(freqs, phases, resolution, m), ref, mask)
        total, count = total + float(s), count + float(c)
    return psnr(total / count)


def supports_equivariance(G) -> bool:
    """Whether EQ-T / EQ-R apply to ``G``: its synthesis takes ``input_transform=`` (StyleGAN3)."""
    return bool(getattr(getattr(G, "synthesis", None), "supports_input_transform", False))


def check_transformable(G) -> None:
    if not supports_equivariance(G):
        raise ValueError(
            f"EQ-T / EQ-R need a generator whose input can be translated and rotated continuously "
            f"(Fourier features: stylegan_lib.stylegan3, configs B–R); {type(G).__module__}."
            f"{type(G).__name__} starts from a learned constant (StyleGAN1/2): a 4×4 map that cannot move by less "
            "than one of its own pixels (a quarter of the image) nor rotate")


def sample_transforms(kind: str, num: int, resolution: int, max_translate: float = 0.125,
                      max_rotate_deg: float = 45.0, generator: torch.Generator | None = None) -> list[torch.Tensor]:
    """``num`` random canvas transforms: "eq_t" whole-pixel translations (the paper's EQ-T),
    "eq_t_frac" sub-pixel ones, "eq_r" rotations."""
    if kind not in EQ_METRICS:
        raise ValueError(f"unknown equivariance metric {kind!r}; known: {', '.join(EQ_METRICS)}")
    u = torch.rand(num, 2, generator=generator) * 2 - 1
    if kind == "eq_r":
        return [rotation(math.radians(max_rotate_deg) * float(a)) for a in u[:, 0]]
    t = u * max_translate
    if kind == "eq_t":
        t = (t * resolution).round() / resolution
    return [translation(float(a), float(b)) for a, b in t]


@torch.no_grad()
def compute_equivariance(G, metric: str = "eq_t", num: int = 64, batch_size: int = 8, seed: int = 0,
                         truncation_psi: float = 1.0, max_translate: float = 0.125, max_rotate_deg: float = 45.0,
                         device=None) -> float:
    """EQ-T ("eq_t": whole pixels; "eq_t_frac": sub-pixel) or EQ-R ("eq_r") of a StyleGAN3
    generator over ``num`` (w, transform) pairs, in dB."""
    check_transformable(G)
    device = device or G.device
    gen = latent_generator(seed)
    res = G.img_resolution
    total, count = 0.0, 0.0
    for start in range(0, num, batch_size):
        n = min(batch_size, num - start)
        z = torch.randn(n, G.z_dim, generator=gen).to(device)
        ws = G.mapping(z, truncation_psi=truncation_psi)
        base = G.synthesis(ws, noise_mode="const")
        for i, m in enumerate(sample_transforms(metric, n, res, max_translate, max_rotate_deg, gen)):
            moved = G.synthesis(ws[i:i + 1], noise_mode="const", input_transform=m.to(device))
            ref, mask = transform_image(base[i:i + 1], m)
            s, c = masked_mse(moved, ref, mask)
            total, count = total + float(s), count + float(c)
    if count == 0:
        raise ValueError("no valid pixel: the transforms move the whole image out of the canvas")
    return psnr(total / count)


def eq_t(G, num: int = 64, **kwargs) -> float:
    """EQ-T in dB (whole-pixel translations, as the paper's configuration table)."""
    return compute_equivariance(G, "eq_t", num, **kwargs)


def eq_t_frac(G, num: int = 64, **kwargs) -> float:
    """EQ-T_frac in dB (sub-pixel translations)."""
    return compute_equivariance(G, "eq_t_frac", num, **kwargs)


def eq_r(G, num: int = 64, **kwargs) -> float:
    """EQ-R in dB (rotations)."""
    return compute_equivariance(G, "eq_r", num, **kwargs)
