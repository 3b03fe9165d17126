"""Perceptual path length (paper §4.1): how much the image changes, perceptually, when the latent
moves a tiny step along an interpolation path.

In an entangled latent space a straight walk between two latents can make features appear that
neither endpoint has. The paper subdivides an interpolation path into small segments of length ε and sums the
perceptual distance (LPIPS) between the images at their ends; in expectation over random paths
and positions t:

    l_Z = E[ d(G(slerp(z1, z2; t)), G(slerp(z1, z2; t + ε))) / ε² ]      (paper, Eq. 2)
    l_W = E[ d(g(lerp(f(z1), f(z2); t)), g(lerp(f(z1), f(z2); t + ε))) / ε² ]   (Eq. 3)

Z is spherical, so its paths are slerps of normalised vectors; W is not normalised, so its paths
are straight lines. "full" samples t ~ U(0, 1); "end" takes t = 0 (path endpoints only, where the
paper argues W is least entangled). ε = 1e-4; both images of a pair get the same noise inputs;
faces are cropped to the central face region, and a crop larger than 256² is box-downsampled to
256² before the distance; the 1 % smallest and largest values are dropped before averaging
(official procedure).

In Z, "full" and "end" measure the same thing: for independent Gaussian z1, z2 the point
slerp(z1, z2; t) is uniform on the sphere and the step direction uniform around it, whatever t,
so both have one expectation for any generator (the release: 664.9 vs 666.1). A gap between
the two at a few hundred pairs is sampling noise: the values are heavy-tailed.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from ..latent import latent_generator, lerp, slerp

SPACES = ("z", "w")
SAMPLINGS = ("full", "end")


def crop_face(images: torch.Tensor) -> torch.Tensor:
    """The central face region of an aligned portrait: rows 3/8–7/8, columns 2/8–6/8 (official
    crop; a 32² image gives its 16×16 face)."""
    c = images.shape[2] // 8
    return images[:, :, c * 3:c * 7, c * 2:c * 6]


def box_downsample(images: torch.Tensor, target: int = 256) -> torch.Tensor:
    """Average-pool images larger than ``target`` by ``factor = size // target``, the size being
    that of the image handed in, i.e. *after* the face crop (official procedure: a 1024² image is
    cropped to 512² and shrunk by 2 to 256²; a 512² image's 256² crop is left as it is)."""
    n, c, h, w = images.shape
    if h <= target:
        return images
    factor = h // target
    if h % factor or w % factor:
        raise ValueError(f"cannot box-downsample {h}×{w} images by {factor} (size // {target}): the sides "
                         f"must be multiples of {factor}; pass images whose size is a multiple of it")
    # x'[i, j] = mean of the factor × factor block x[i·factor …, j·factor …]
    return images.reshape(n, c, h // factor, factor, w // factor, factor).mean(dim=(3, 5))


def percentile_mean(values: np.ndarray, lo_pct: float = 1.0, hi_pct: float = 99.0) -> tuple[float, float, float, int]:
    """Mean of the values between the 1st and 99th percentiles (official filter: lower / higher
    interpolation, both bounds kept). Returns (mean, lo, hi, kept)."""
    values = np.asarray(values, dtype=np.float64)
    lo = float(np.percentile(values, lo_pct, method="lower"))
    hi = float(np.percentile(values, hi_pct, method="higher"))
    kept = values[(values >= lo) & (values <= hi)]
    return float(kept.mean()), lo, hi, int(kept.size)


def path_endpoints(G, z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor, space: str,
                   epsilon: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The style inputs at t and t + ε on the path from z0 to z1: [N, num_ws, w_dim] each.

    Z: slerp the latents, then map (Eq. 2). W: map the endpoints, then lerp (Eq. 3).
    """
    t = t.reshape(-1, 1)
    if space == "z":
        # z(t) = slerp(z1, z2; t) and z(t + ε); the mapping network sees both.
        z_t = torch.cat([slerp(z0, z1, t), slerp(z0, z1, t + epsilon)])
        ws = G.mapping(z_t, None)
        return ws.chunk(2)
    if space == "w":
        ws = G.mapping(torch.cat([z0, z1]), None)
        w0, w1 = ws.chunk(2)
        # w(t) = lerp(f(z1), f(z2); t) and w(t + ε)
        tt = t[:, :, None]
        return lerp(w0, w1, tt), lerp(w0, w1, tt + epsilon)
    raise ValueError(f"space must be 'z' or 'w', got {space!r}")


def shared_noise(G, n: int, generator: torch.Generator) -> list[torch.Tensor]:
    """One noise image per layer for each of n pairs (``make_noise_inputs``), repeated for both
    members of the pair."""
    return [torch.cat([noise, noise]) for noise in G.synthesis.make_noise_inputs(n, generator=generator)]


@dataclass
class PPLResult:
    value: float                 # filtered mean of d / ε²
    mean_unfiltered: float
    space: str
    sampling: str
    epsilon: float
    num_samples: int
    crop: bool
    distance: str
    seed: int
    seconds: float
    lo: float = float("nan")
    hi: float = float("nan")
    kept: int = 0
    distances: np.ndarray = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return f"ppl_{self.space}{self.sampling}"

    def to_dict(self) -> dict:
        return {"metric": self.name, "value": self.value, "mean_unfiltered": self.mean_unfiltered,
                "space": self.space, "sampling": self.sampling, "epsilon": self.epsilon,
                "num_samples": self.num_samples, "crop": self.crop, "distance": self.distance,
                "seed": self.seed, "seconds": round(self.seconds, 2), "percentile_lo": self.lo,
                "percentile_hi": self.hi, "kept": self.kept}


@torch.no_grad()
def perceptual_path_length(G, distance: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                           num_samples: int = 100_000, space: str = "w", sampling: str = "end",
                           epsilon: float = 1e-4, crop: bool = True, batch_size: int = 64,
                           seed: int = 0, device=None, percentile_filter: bool = True,
                           progress: bool = True) -> PPLResult:
    """The paper's perceptual path length of generator ``G``.

    Args:
        distance: ``d(img0, img1) → [N]`` on float images in [-1, 1] (e.g.
            ``detectors.get_perceptual_distance()``; a plain squared L2 works for tests).
        space, sampling: "z" (slerp) or "w" (lerp); "full" (t ~ U(0, 1)) or "end" (t = 0).
        crop: the central face crop (official for FFHQ / CelebA-HQ faces).
        percentile_filter: drop values below the 1st / above the 99th percentile.

    Latents, t and noise are drawn on the CPU from ``seed``, so results do not depend on the device.
    """
    if space not in SPACES:
        raise ValueError(f"space must be one of {SPACES}, got {space!r}")
    if sampling not in SAMPLINGS:
        raise ValueError(f"sampling must be one of {SAMPLINGS}, got {sampling!r}")
    if num_samples < 1 or batch_size < 1:
        raise ValueError(f"num_samples and batch_size must be positive, got {num_samples}, {batch_size}")
    if epsilon <= 0:
        raise ValueError(f"epsilon must be > 0, got {epsilon}")
    device = torch.device(device) if device is not None else G.device
    gen = latent_generator(seed)
    t_start = time.time()
    dists = []
    from tqdm import tqdm  # text bars: widget bars can stall papermill/nbval kernels

    bar = tqdm(total=num_samples, desc=f"ppl_{space}{sampling}", unit="pair", disable=not progress)
    done = 0
    while done < num_samples:
        n = min(batch_size, num_samples - done)
        z = torch.randn(2 * n, G.z_dim, generator=gen)
        t = torch.rand(n, generator=gen) if sampling == "full" else torch.zeros(n)
        z0, z1, t = z[:n].to(device), z[n:].to(device), t.to(device)
        ws_a, ws_b = path_endpoints(G, z0, z1, t, space, epsilon)
        img = G.synthesis(torch.cat([ws_a, ws_b]), noise=shared_noise(G, n, gen)).float()
        if crop:
            img = crop_face(img)
        img = box_downsample(img)
        img_a, img_b = img.chunk(2)
        # d(G(·, t), G(·, t + ε)) / ε²
        dists.append((distance(img_a, img_b).double() / epsilon**2).cpu())
        done += n
        bar.update(n)
    bar.close()
    d = torch.cat(dists).numpy()
    if not np.isfinite(d).all():
        raise FloatingPointError(f"{int((~np.isfinite(d)).sum())} path-length values are not finite: "
                                 "the generator produced NaN/inf images")
    raw = float(d.mean())
    if percentile_filter and d.size >= 3:
        value, lo, hi, kept = percentile_mean(d)
    else:
        value, lo, hi, kept = raw, float(d.min()), float(d.max()), int(d.size)
    return PPLResult(value, raw, space, sampling, float(epsilon), int(num_samples), bool(crop),
                     getattr(distance, "name", getattr(distance, "__name__", "custom")), int(seed),
                     time.time() - t_start, lo, hi, kept, d)
