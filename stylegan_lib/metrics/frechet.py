"""The Fréchet distance between two Gaussians fitted to feature vectors, and a disk cache for the
statistics of real data.

Heusel et al. (2017) model the features of real and generated images as Gaussians
N(μ_r, Σ_r), N(μ_g, Σ_g) and measure their Fréchet (2-Wasserstein) distance. The StyleGAN paper
reports it for Inception-v3 pool features of 50 000 generated images ("FID"). The same formula on
the book's own offline network gives "FD" — the number is only called FID when the features come
from NVIDIA's Inception detector.
"""
from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import scipy.linalg
import torch

#: Environment variable naming the cache folder of stylegan_lib (stats, detectors).
CACHE_ENV = "STYLEGAN_LIB_CACHE"


def cache_root() -> Path:
    """``$STYLEGAN_LIB_CACHE`` if set, else ``~/.cache/stylegan_lib``."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "stylegan_lib")


# ------------------------------------------------------------------------------------------
# Feature statistics.
# ------------------------------------------------------------------------------------------
@dataclass
class FeatureStats:
    """Mean and covariance of N feature vectors (float64), optionally the vectors themselves
    (float32; KID needs them)."""

    mu: np.ndarray
    sigma: np.ndarray
    num: int
    features: np.ndarray | None = None

    @classmethod
    def from_features(cls, features, keep_features: bool = True) -> "FeatureStats":
        f = _as_numpy(features).astype(np.float64)
        if f.ndim != 2 or f.shape[0] < 2:
            raise ValueError(f"features must be [N >= 2, D], got shape {list(f.shape)}")
        mu = f.mean(axis=0)
        # Unbiased sample covariance, Σ = (F − μ)ᵀ(F − μ) / (N − 1), as np.cov(rowvar=False).
        centred = f - mu
        sigma = centred.T @ centred / (f.shape[0] - 1)
        return cls(mu, sigma, f.shape[0], f.astype(np.float32) if keep_features else None)

    @property
    def dim(self) -> int:
        return int(self.mu.shape[0])

    def to_dict(self) -> dict[str, Any]:
        d = {"mu": torch.from_numpy(self.mu), "sigma": torch.from_numpy(self.sigma), "num": self.num}
        if self.features is not None:
            d["features"] = torch.from_numpy(self.features)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "FeatureStats":
        feats = d.get("features")
        return cls(d["mu"].double().numpy(), d["sigma"].double().numpy(), int(d["num"]),
                   None if feats is None else feats.float().numpy())


class StatsAccumulator:
    """Running sums for μ and Σ over batches (float64), plus the features for KID, so 50 000 ×
    2048 features can be streamed without holding two copies."""

    def __init__(self, keep_features: bool = True):
        self.keep_features = keep_features
        self.n = 0
        self.sum: torch.Tensor | None = None
        self.outer: torch.Tensor | None = None
        self.chunks: list[np.ndarray] = []

    def add(self, features: torch.Tensor) -> None:
        f = features.detach().double()
        if f.ndim != 2:
            raise ValueError(f"features must be [N, D], got {list(f.shape)}")
        if self.sum is None:
            self.sum = torch.zeros(f.shape[1], dtype=torch.float64, device=f.device)
            self.outer = torch.zeros(f.shape[1], f.shape[1], dtype=torch.float64, device=f.device)
        self.sum += f.sum(0)
        self.outer += f.T @ f
        self.n += f.shape[0]
        if self.keep_features:
            self.chunks.append(features.detach().float().cpu().numpy())

    def stats(self) -> FeatureStats:
        if self.n < 2:
            raise ValueError(f"need at least 2 feature vectors, got {self.n}")
        mu = (self.sum / self.n).cpu().numpy()
        # Σ = (Σ_i f_i f_iᵀ − N μ μᵀ) / (N − 1)
        sigma = ((self.outer.cpu().numpy() - self.n * np.outer(mu, mu)) / (self.n - 1))
        sigma = (sigma + sigma.T) / 2
        feats = np.concatenate(self.chunks) if self.keep_features else None
        return FeatureStats(mu, sigma, self.n, feats)


# ------------------------------------------------------------------------------------------
# The Fréchet distance.
# ------------------------------------------------------------------------------------------
@dataclass
class FrechetResult:
    """The distance and how its matrix square root went (for the report)."""

    value: float
    mean_term: float
    trace_term: float
    method: str
    offset: float = 0.0
    max_imag: float = 0.0
    notes: list[str] = field(default_factory=list)

    def __float__(self) -> float:
        return self.value


def frechet_distance(mu1, sigma1, mu2, sigma2, method: str = "sqrtm", eps: float = 1e-6,
                     imag_tol: float = 1e-3, return_info: bool = False):
    r"""Fréchet distance between N(μ1, Σ1) and N(μ2, Σ2):

    .. math::  d^2 = \lVert \mu_1 - \mu_2 \rVert^2
               + \operatorname{Tr}\big(\Sigma_1 + \Sigma_2 - 2(\Sigma_1\Sigma_2)^{1/2}\big)

    ``method="sqrtm"`` takes the square root of the product Σ1Σ2 with scipy (the reference
    procedure). Problems are handled and reported in the returned info:

    * a non-finite result (singular covariances, e.g. fewer samples than dimensions): add
      ``eps``·I to both covariances and retry;
    * an imaginary part (round-off; Σ1Σ2 has real non-negative eigenvalues in exact
      arithmetic): the real part is kept; above ``imag_tol`` (relative to the trace) it is an error.

    ``method="eigh"`` uses the equivalent symmetric form
    :math:`\operatorname{Tr}(\Sigma_1\Sigma_2)^{1/2} = \sum_i \sqrt{\lambda_i(\Sigma_1^{1/2}\Sigma_2\Sigma_1^{1/2})}`,
    which is real by construction and faster for large D.
    """
    mu1, mu2 = np.atleast_1d(_as_numpy(mu1)).astype(np.float64), np.atleast_1d(_as_numpy(mu2)).astype(np.float64)
    s1, s2 = np.atleast_2d(_as_numpy(sigma1)).astype(np.float64), np.atleast_2d(_as_numpy(sigma2)).astype(np.float64)
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != (mu1.size, mu1.size):
        raise ValueError(f"shape mismatch: mu1 {mu1.shape}, mu2 {mu2.shape}, sigma1 {s1.shape}, "
                         f"sigma2 {s2.shape}; expected means [D] and covariances [D, D] of one D")
    if not (np.isfinite(mu1).all() and np.isfinite(mu2).all() and np.isfinite(s1).all() and np.isfinite(s2).all()):
        raise ValueError("the statistics contain NaN or inf: the features were not finite")
    diff = mu1 - mu2
    mean_term = float(diff @ diff)
    notes: list[str] = []
    offset = 0.0
    max_imag = 0.0
    if method == "sqrtm":
        covmean = _sqrtm(s1 @ s2)
        if not np.isfinite(covmean).all():
            offset = eps
            notes.append(f"sqrtm of Σ1Σ2 was not finite (near-singular covariances); added {eps:g}·I "
                         "to both covariances")
            eye = np.eye(s1.shape[0]) * eps
            covmean = _sqrtm((s1 + eye) @ (s2 + eye))
        if np.iscomplexobj(covmean):
            max_imag = float(np.max(np.abs(covmean.imag)))
            diag_imag = float(np.max(np.abs(np.diagonal(covmean).imag)))
            scale = max(float(np.mean(np.abs(np.diagonal(covmean).real))), 1e-12)
            if diag_imag > imag_tol * scale:
                raise ValueError(
                    f"the matrix square root has a large imaginary part (max |imag| on the diagonal "
                    f"{diag_imag:.3g} vs typical |real| {scale:.3g}); the covariances are not valid "
                    "(not symmetric positive semi-definite?). Use more samples or method='eigh'.")
            if max_imag > 0:
                notes.append(f"dropped an imaginary part of the square root (max |imag| = {max_imag:.3g})")
            covmean = covmean.real
        tr_covmean = float(np.trace(covmean))
    elif method == "eigh":
        root1 = _psd_sqrt(s1)
        lam = np.linalg.eigvalsh(root1 @ s2 @ root1)
        if lam.min(initial=0.0) < -1e-6 * max(lam.max(initial=0.0), 1e-12):
            notes.append(f"clipped negative eigenvalues down to {lam.min():.3g} (round-off)")
        tr_covmean = float(np.sqrt(np.clip(lam, 0, None)).sum())
    else:
        raise ValueError(f"method must be 'sqrtm' or 'eigh', got {method!r}")
    trace_term = float(np.trace(s1) + np.trace(s2) - 2 * tr_covmean)
    value = mean_term + trace_term
    if value < 0:  # can only be round-off: the distance is non-negative
        notes.append(f"clipped a round-off negative value {value:.3g} to 0")
        value = 0.0
    if offset:  # a changed problem is worth a warning; round-off notes stay in the info
        warnings.warn(f"frechet_distance: {notes[0]}", RuntimeWarning, stacklevel=2)
    if return_info:
        return FrechetResult(value, mean_term, trace_term, method, offset, max_imag, notes)
    return value


def frechet_distance_from_stats(a: FeatureStats, b: FeatureStats, **kwargs):
    """``frechet_distance`` of two ``FeatureStats``."""
    if a.dim != b.dim:
        raise ValueError(f"the two statistics come from different feature sizes ({a.dim} vs {b.dim}): "
                         "were they computed with the same detector?")
    return frechet_distance(a.mu, a.sigma, b.mu, b.sigma, **kwargs)


def _sqrtm(a: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns about singular matrices; we check ourselves
        out = scipy.linalg.sqrtm(a)
    return out[0] if isinstance(out, tuple) else out


def _psd_sqrt(s: np.ndarray) -> np.ndarray:
    """Symmetric square root of a PSD matrix via its eigendecomposition (negative round-off
    eigenvalues clipped to 0)."""
    lam, vec = np.linalg.eigh((s + s.T) / 2)
    return (vec * np.sqrt(np.clip(lam, 0, None))) @ vec.T


def _as_numpy(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().double().numpy()
    return np.asarray(x)


# ------------------------------------------------------------------------------------------
# Statistics cache for real data.
# ------------------------------------------------------------------------------------------
class StatsCache:
    """Feature statistics of real data on disk, keyed by everything that changes them.

    The key is a dict (dataset, detector, resolution, sample count, …); its SHA-1 names the
    file, and the full key is stored inside and compared on reading, so a stale or colliding file
    is never reused. Files are written atomically (temporary file + rename).
    """

    def __init__(self, folder: str | os.PathLike | None = None):
        self.folder = Path(folder) if folder is not None else cache_root() / "metrics-stats"

    @staticmethod
    def key_string(key: dict[str, Any]) -> str:
        required = {"dataset", "detector", "resolution", "num"}
        missing = required - set(key)
        if missing:
            raise ValueError(f"a stats cache key needs {sorted(required)}; missing {sorted(missing)}")
        return json.dumps(key, sort_keys=True, default=str)

    def path(self, key: dict[str, Any]) -> Path:
        ks = self.key_string(key)
        digest = hashlib.sha1(ks.encode()).hexdigest()[:16]
        slug = "".join(c if c.isalnum() or c in "-_" else "-" for c in
                       f"{key['dataset']}-{key['detector']}-{key['resolution']}-{key['num']}")[:80]
        return self.folder / f"{slug}-{digest}.pt"

    def load(self, key: dict[str, Any]) -> FeatureStats | None:
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            obj = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as e:
            warnings.warn(f"ignoring unreadable stats cache file {path}: {type(e).__name__}: {e}", stacklevel=2)
            return None
        if not isinstance(obj, dict) or obj.get("key") != self.key_string(key):
            warnings.warn(f"ignoring stats cache file {path}: it was written for another key", stacklevel=2)
            return None
        return FeatureStats.from_dict(obj["stats"])

    def save(self, key: dict[str, Any], stats: FeatureStats) -> Path:
        from ..checkpoint import atomic_save

        return atomic_save({"key": self.key_string(key), "stats": stats.to_dict()}, self.path(key))

    def get_or_compute(self, key: dict[str, Any], compute: Callable[[], FeatureStats],
                       use_cache: bool = True) -> tuple[FeatureStats, bool]:
        """(stats, came_from_cache)."""
        if use_cache:
            hit = self.load(key)
            if hit is not None:
                return hit, True
        stats = compute()
        if use_cache:
            self.save(key, stats)
        return stats, False
