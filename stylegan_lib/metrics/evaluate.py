"""One entry point for every metric: ``compute_metrics(G, ["fd", "kd", "ppl_wend", "ls"], …)``.

Metric names
------------
========================  ===========================================================
``fid`` / ``kid``         Fréchet / kernel distance on NVIDIA's Inception features
                          (needs ``inception-2015-12-05.pt``; see :mod:`.detectors`)
``fd`` / ``kd``           the same on the book's faces classifier (offline, always there)
``ppl_zfull`` …           perceptual path length: ``ppl_{z,w}{full,end}``; the distance is
                          VGG16 LPIPS when ``vgg16.pt`` is found, else the classifier's
``ls``                    linear separability in Z and W (the faces classifier labels)
``gt``                    ground-truth disentanglement of Z and W: DCI and MIG for the
                          factors the factor reader reads (:mod:`.ground_truth`)
``eq_t`` / ``eq_t_frac``  StyleGAN3's equivariance to whole-pixel / sub-pixel translation
``eq_r``                  and to rotation, PSNR in dB (:mod:`.equivariance`); a generator
                          whose input cannot be moved (StyleGAN1, StyleGAN2, official
                          pickles) gets "not applicable" instead of a number
========================  ===========================================================

Sample counts: the paper's are the defaults (``FULL_COUNTS``: 50 k images for FID, 100 k pairs
for PPL, 200 k images for LS, and 50 k (w, transform) pairs for EQ; 10 k images for the
ground truth, which the paper does not have — NVIDIA's StyleGAN3 release
names its metrics ``eqt50k_int``, ``eqt50k_frac``, ``eqr50k``); ``QUICK_COUNTS`` are what a CPU
does in seconds (our choice). FID and FD are biased upwards at small counts (KID/KD are not),
so numbers are only comparable at one count.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from collections.abc import Sequence
from typing import Any, Iterable

import numpy as np
import torch

from ..latent import latent_generator, z_from_seeds
from ..utils import get_device
from .detectors import FeatureDetector, get_feature_detector, get_perceptual_distance, to_uint8
from .equivariance import EQ_METRICS, compute_equivariance, supports_equivariance
from .frechet import FeatureStats, StatsAccumulator, StatsCache, frechet_distance, frechet_distance_from_stats
from .kernel import kernel_distance
from .precision_recall import mean_pairwise_distance, precision_recall

PPL_METRICS = ("ppl_zfull", "ppl_wfull", "ppl_zend", "ppl_wend")
METRICS = ("fid", "kid", "fd", "kd", *PPL_METRICS, "ls", "gt", *EQ_METRICS)
FULL_COUNTS = {"fid": 50_000, "kid": 50_000, "fd": 50_000, "kd": 50_000, "ppl": 100_000, "ls": 200_000,
               "eq": 50_000, "gt": 10_000}
QUICK_COUNTS = {"fid": 2000, "kid": 2000, "fd": 2000, "kd": 2000, "ppl": 500, "ls": 1000, "eq": 200, "gt": 1000}


def _count_key(metric: str) -> str:
    """The key of ``FULL_COUNTS`` / ``QUICK_COUNTS`` for a metric: "ppl" for every PPL, "eq" for
    every equivariance metric, else the metric's own name."""
    if metric.startswith("ppl_"):
        return "ppl"
    return "eq" if metric in EQ_METRICS else metric


def parse_metrics(metrics: str | Iterable[str]) -> list[str]:
    names = [m.strip().lower() for m in (metrics.split(",") if isinstance(metrics, str) else metrics) if m.strip()]
    unknown = [m for m in names if m not in METRICS]
    if unknown:
        raise ValueError(f"unknown metrics {unknown}; known: {', '.join(METRICS)}")
    if not names:
        raise ValueError("no metric asked for")
    return list(dict.fromkeys(names))


# ------------------------------------------------------------------------------------------
# Features of generated and real images
# ------------------------------------------------------------------------------------------
@torch.no_grad()
def generated_features(G, detectors: list[FeatureDetector], num: int, batch_size: int = 64, seed: int = 0,
                       truncation_psi: float = 1.0, device=None, progress: bool = True) -> list[FeatureStats]:
    """Features of ``num`` generated images (ψ = 1 and random noise by default, as for FID),
    quantised to uint8 as saved images would be, one ``FeatureStats`` per detector. The latents
    and the noise inputs both come from one generator seeded with ``seed``, so the same seed
    gives the same features whatever else has used torch's global random numbers."""
    from tqdm import tqdm  # text bars: widget bars can stall papermill/nbval kernels

    device = torch.device(device) if device is not None else G.device
    gen = latent_generator(seed)
    accs = [StatsAccumulator() for _ in detectors]
    bar = tqdm(total=num, desc="generated images → features", unit="img", disable=not progress)
    done = 0
    while done < num:
        n = min(batch_size, num - done)
        z = torch.randn(n, G.z_dim, generator=gen).to(device)
        noise = G.synthesis.make_noise_inputs(n, generator=gen)
        img = to_uint8(G(z, None, truncation_psi=truncation_psi, noise_mode="random", noise=noise).float())
        for acc, det in zip(accs, detectors):
            acc.add(det(img))
        done += n
        bar.update(n)
    bar.close()
    return [a.stats() for a in accs]


@torch.no_grad()
def seed_features(G, detector, seeds: Sequence[int], truncation_psi: float = 1.0,
                  truncation_cutoff: int | None = None, noise_seed: int = 0, batch_size: int = 64,
                  ws_fn=None) -> np.ndarray:
    """Features [len(seeds), D] (float64) of the images of ``seeds`` (z from ``z_from_seeds``), with
    random noise inputs drawn from a generator seeded with ``noise_seed`` — the same noise for the
    same seeds whatever ψ, so that a sweep over ψ (Figure 8's trade-off) or over the number of
    mixed latents (Table 2) changes nothing else. ``ws_fn(z) → ws`` replaces the mapping."""
    gen = torch.Generator().manual_seed(int(noise_seed))
    feats = []
    for i in range(0, len(seeds), batch_size):
        z = z_from_seeds(seeds[i:i + batch_size], G.z_dim, G.device)
        if ws_fn is not None:
            ws = ws_fn(z)
        else:
            ws = G.mapping(z, None, truncation_psi=truncation_psi, truncation_cutoff=truncation_cutoff)
        noise = G.synthesis.make_noise_inputs(len(z), generator=gen) if G.config.use_noise else None
        img = G.synthesis(ws, noise=noise)
        feats.append(detector(to_uint8(img)).cpu())
    return torch.cat(feats).numpy().astype(np.float64)


@torch.no_grad()
def dataset_features(dataset, detectors: list[FeatureDetector], num: int, batch_size: int = 256,
                     progress: bool = True) -> list[FeatureStats]:
    """Features of the first ``num`` images of ``dataset`` (items ``(uint8 [3, R, R], labels)``;
    a ``SyntheticFaces`` is drawn in batches)."""
    from tqdm import tqdm  # text bars: widget bars can stall papermill/nbval kernels

    if num > len(dataset):
        raise ValueError(f"asked for {num} real images but the data set has only {len(dataset)}")
    accs = [StatsAccumulator() for _ in detectors]
    bar = tqdm(total=num, desc="real images → features", unit="img", disable=not progress)
    for s in range(0, num, batch_size):
        idx = list(range(s, min(s + batch_size, num)))
        if hasattr(dataset, "images"):
            img = dataset.images(idx)
        else:
            img = torch.stack([dataset[i][0] for i in idx])
        for acc, det in zip(accs, detectors):
            acc.add(det(img))
        bar.update(len(idx))
    bar.close()
    return [a.stats() for a in accs]


def real_features(detector: FeatureDetector, num_images: int = 1000, seed: int = 123,
                  batch_size: int = 500, data: str | None = None) -> np.ndarray:
    """Features [N, D] (float64) of ``num_images`` synthetic faces at 32×32, data seed ``seed``,
    from the distribution of ``data``: a faces spec (``faces:N:DETAIL``; give a model's own,
    ``pretrained.training_data(name)``) or None for the default ``FacesConfig``."""
    from ..data import FacesConfig, SyntheticFaces, is_faces_spec, parse_faces_spec

    if data is not None and not is_faces_spec(data):
        raise ValueError(f"real_features draws synthetic faces; {data!r} is not a faces spec (faces:N or "
                         "faces:N:DETAIL). For a folder of images use compute_metrics(..., data=PATH)")
    config = FacesConfig() if data is None else parse_faces_spec(data)[1]
    faces = SyntheticFaces(num_images, 32, seed=seed, config=config)
    (stats,) = dataset_features(faces, [detector], num_images, batch_size, progress=False)
    return stats.features.astype(np.float64)


def real_dataset(data: str | None, resolution: int, num: int):
    """(dataset, cache name). ``data``: None / "synthetic" for the book's default synthetic faces
    (``FacesConfig()`` at seed 0), a faces spec as for training (``faces:N:DETAIL``: the faces
    of that detail level at seed 0, the first ``num`` of them), or a folder / zip. Measure a
    model against the data it was trained on (``pretrained.training_data``)."""
    import dataclasses

    from ..data import RENDERER_VERSION, FacesConfig, ImageFolderDataset, SyntheticFaces, is_faces_spec, parse_faces_spec

    if data in (None, "", "synthetic") or is_faces_spec(data):
        base = parse_faces_spec(data)[1] if is_faces_spec(data) else FacesConfig()
        cfg = dataclasses.replace(base, resolution=resolution)
        name = (f"synthetic-faces-v{RENDERER_VERSION}:" + json.dumps(cfg.to_dict(), sort_keys=True)
                + ":seed=0")
        return SyntheticFaces(num, resolution, seed=0, config=cfg), name
    path = Path(data)
    ds = ImageFolderDataset(path, resolution=resolution, use_labels=False)
    st = path.stat()
    return ds, f"folder:{path.resolve()}:{st.st_size}:{int(st.st_mtime)}"


def real_stats(data, resolution: int, detectors: list[FeatureDetector], num: int, cache: StatsCache | None,
               progress: bool = True) -> tuple[list[FeatureStats], list[bool]]:
    """Statistics of real images per detector, from the cache when there."""
    ds, name = real_dataset(data, resolution, num)
    out, hits = [], []
    for det in detectors:
        key = {"dataset": name, "detector": det.identity, "resolution": resolution, "num": num}
        if cache is None:
            out.append(dataset_features(ds, [det], num, progress=progress)[0])
            hits.append(False)
        else:
            st, hit = cache.get_or_compute(key, lambda: dataset_features(ds, [det], num, progress=progress)[0])
            out.append(st)
            hits.append(hit)
    return out, hits


# ------------------------------------------------------------------------------------------
# Scores of two feature arrays
# ------------------------------------------------------------------------------------------
def distribution_scores(real: np.ndarray, fake: np.ndarray, k: int = 3, kd_subsets: int = 50,
                        seed: int = 0) -> dict[str, float]:
    """FD, KD, precision, recall and relative diversity of generated features against real ones.

    * fd: Fréchet distance of Gaussians fitted to the two sets (``metrics.frechet``);
    * kd: unbiased kernel distance (``metrics.kernel``), subsets of min(N_real, N_fake);
    * precision / recall: ``metrics.precision_recall`` with as many real samples as generated;
    * diversity: mean pairwise distance of the generated features / that of the real ones
      (1 = as varied as the data, 0 = one image).
    """
    import warnings

    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"features must be [N, D] with one D, got {list(real.shape)} and {list(fake.shape)}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # few samples: FD adds ε·I, which is fine here
        fd = frechet_distance(real.mean(0), np.cov(real, rowvar=False), fake.mean(0), np.cov(fake, rowvar=False))
    kd = kernel_distance(real, fake, num_subsets=kd_subsets, seed=seed)
    rng = np.random.default_rng(seed)
    real_pr = real[rng.choice(len(real), min(len(real), len(fake)), replace=False)]
    precision, recall = precision_recall(real_pr, fake, k)
    diversity = mean_pairwise_distance(fake) / mean_pairwise_distance(real_pr)
    return {"fd": float(fd), "kd": float(kd), "precision": precision, "recall": recall, "diversity": diversity}


# ------------------------------------------------------------------------------------------
# Equivariance
# ------------------------------------------------------------------------------------------
def equivariance_result(G, metric: str, num: int, seed: int = 0, device=None) -> dict[str, Any]:
    """EQ-T / EQ-R of ``G`` over ``num`` (w, transform) pairs as a result dict (PSNR in dB), or
    ``value`` None with a ``not_applicable`` reason for a generator whose input cannot be moved."""
    common = {"metric": metric, "num_samples": num, "seed": seed, "unit": "dB"}
    if not supports_equivariance(G):
        return {**common, "value": None,
                "not_applicable": f"{type(G).__module__}.{type(G).__name__} starts from a learned constant, "
                                  "which cannot be translated or rotated continuously (EQ-T / EQ-R are "
                                  "for StyleGAN3's Fourier-feature input)"}
    t0 = time.time()
    value = compute_equivariance(G, metric, num, seed=seed, device=device)
    return {**common, "value": value, "seconds": round(time.time() - t0, 2)}


# ------------------------------------------------------------------------------------------
# All metrics
# ------------------------------------------------------------------------------------------
def compute_metrics(G, metrics: str | Iterable[str] = ("fd", "kd", "ppl_wend", "ls"), num: int | None = None,
                    counts: dict[str, int] | None = None, data: str | None = None, device="auto",
                    batch_size: int = 64, seed: int = 0, inception: str | None = None,
                    vgg16: str | None = None, ppl_distance: str = "auto", ppl_crop: bool = True,
                    cache_dir: str | None = None, use_cache: bool = True, kid_subsets: int = 100,
                    kid_subset_size: int = 1000, factor_reader: str | None = None,
                    progress: bool = True) -> dict[str, Any]:
    """Compute ``metrics`` for generator ``G``; returns a JSON-able dict.

    ``num`` overrides every sample count; otherwise ``counts`` (default ``FULL_COUNTS``) gives it
    per metric ("fd", "kd", "fid", "kid", "ppl", "ls", "eq", "gt"). Each result records its detector or
    distance, sample count, seed and time; an equivariance metric of a generator it does not
    apply to has ``value`` None and a ``not_applicable`` reason. ``factor_reader``: the path of
    the factor reader behind ``gt`` (default: the shipped one).
    """
    names = parse_metrics(metrics)
    dev = get_device(device)
    G = G.to(dev).eval()
    counts = {**FULL_COUNTS, **(counts or {})}
    n_of = {m: int(num) if num is not None else counts[_count_key(m)] for m in names}
    cache = StatsCache(cache_dir) if use_cache else None
    t_all = time.time()
    results: dict[str, Any] = {}

    # Fréchet / kernel distances, grouped by detector and sample count (one generation pass each).
    groups: dict[tuple[str, int], list[str]] = {}
    for m in names:
        if m in ("fid", "kid", "fd", "kd"):
            groups.setdefault(("inception" if m in ("fid", "kid") else "classifier", n_of[m]), []).append(m)
    for (kind, n), ms in groups.items():
        t0 = time.time()
        det = get_feature_detector(kind, inception if kind == "inception" else None, dev)
        (gen_stats,) = generated_features(G, [det], n, batch_size, seed, device=dev, progress=progress)
        (real,), (hit,) = real_stats(data, G.img_resolution, [det], n, cache, progress)
        for m in ms:
            common = {"metric": m, "detector": det.identity, "num_gen": n, "num_real": real.num, "seed": seed,
                      "real_data": data or "synthetic", "real_stats_cached": hit}
            if m in ("fid", "fd"):
                info = frechet_distance_from_stats(real, gen_stats, return_info=True)
                results[m] = {**common, "value": info.value, "sqrtm_notes": info.notes}
            else:
                mean, std = kernel_distance(real.features, gen_stats.features, kid_subsets,
                                            kid_subset_size, seed, return_std=True)
                results[m] = {**common, "value": mean, "std": std, "num_subsets": kid_subsets,
                              "subset_size": min(kid_subset_size, n, real.num)}
            results[m]["seconds"] = round(time.time() - t0, 2)

    # Perceptual path length.
    ppl_ms = [m for m in names if m in PPL_METRICS]
    if ppl_ms:
        from .ppl import perceptual_path_length

        dist = get_perceptual_distance(ppl_distance, vgg16 if ppl_distance != "classifier" else None, dev)
        for m in ppl_ms:
            res = perceptual_path_length(G, dist, n_of[m], space=m[4], sampling=m[5:], crop=ppl_crop,
                                         batch_size=batch_size, seed=seed, device=dev, progress=progress)
            results[m] = {**res.to_dict(), "distance": dist.identity}

    if "ls" in names:
        from .separability import linear_separability

        results["ls"] = linear_separability(G, num_samples=n_of["ls"], batch_size=batch_size, seed=seed,
                                            device=dev, progress=progress)

    if "gt" in names:
        from .ground_truth import ground_truth

        results["gt"] = ground_truth(G, num_samples=n_of["gt"], reader=factor_reader, batch_size=batch_size,
                                     seed=seed, device=dev, progress=progress)

    for m in (m for m in names if m in EQ_METRICS):
        results[m] = equivariance_result(G, m, n_of[m], seed, dev)
    return {"results": results, "device": str(dev), "seed": seed, "seconds": round(time.time() - t_all, 2),
            "model": getattr(G, "config", None).to_dict() if hasattr(G, "config") else None}
