"""The truncation trick in W (paper Appendix B and §2.1, Figure 8) and what it costs.

Sampling from the tails of the latent distribution gives the images a generator is worst at.
StyleGAN pulls each w towards the centre of mass w̄ of W:  w' = w̄ + ψ (w − w̄)
(``MappingNetwork.truncate``). Here:

* :func:`truncation_figure` — Figure 8: the same seeds at ψ = 1, 0.7, 0.5, 0, −0.5, −1;
* :func:`average_image` — w̄ itself, "the average face";
* :func:`truncated_image` — the pure function behind the widget (ψ, cutoff, seed);
* :func:`truncation_tradeoff` — quality against diversity as a function of ψ: the Fréchet and
  kernel distances (FD, KD) to the synthetic faces, precision and recall, and a diversity
  measure, all in the feature space of the book's offline faces classifier
  (:func:`feature_detector`).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from ..latent import z_from_seeds
from .book import interactive

FIGURE8_PSIS = (1.0, 0.7, 0.5, 0.0, -0.5, -1.0)


def _check_w_avg(G) -> None:
    if int(G.mapping.w_avg_updates) == 0:
        raise ValueError("this generator has no w̄ (it was never trained, or w̄ was not saved): "
                         "call G.mapping.compute_w_avg() first, or load a trained checkpoint")


# ------------------------------------------------------------------------------------------
# Figure 8 and the average face
# ------------------------------------------------------------------------------------------
@dataclass
class TruncationGrid:
    """images [S, P, 3, R, R]: seed s (row) at ψ = psis[p] (column)."""

    seeds: list[int]
    psis: list[float]
    truncation_cutoff: int | None
    images: torch.Tensor


@torch.no_grad()
def truncation_figure(G, seeds: Sequence[int], psis: Sequence[float] = FIGURE8_PSIS,
                      truncation_cutoff: int | None = None, noise_mode: str = "const") -> TruncationGrid:
    """Figure 8: every seed at every ψ. The paper truncates all style inputs here
    (``truncation_cutoff=None``); the stored noise images keep the noise the same across ψ."""
    _check_w_avg(G)
    device = next(G.parameters()).device
    ws = G.mapping(z_from_seeds(seeds, G.z_dim, device))
    rows = []
    for psi in psis:
        wt = G.mapping.truncate(ws, float(psi), truncation_cutoff) if psi != 1 else ws
        rows.append(G.synthesis(wt, noise_mode=noise_mode).cpu())
    return TruncationGrid(list(seeds), [float(p) for p in psis], truncation_cutoff, torch.stack(rows, 1))


def draw_truncation_figure(grid: TruncationGrid, fig=None):
    """Seeds in rows, ψ in columns."""
    import matplotlib.pyplot as plt

    from .grids import to_uint8

    S, P = grid.images.shape[:2]
    if fig is None:
        fig = plt.figure(figsize=(1.6 * P, 1.7 * S + 0.3), layout="compressed")
    axes = fig.subplots(S, P, squeeze=False)
    for s in range(S):
        for p in range(P):
            ax = axes[s, p]
            ax.imshow(to_uint8(grid.images[s, p:p + 1])[0], interpolation="nearest")
            ax.set_xticks([]), ax.set_yticks([])
            if s == 0:
                ax.set_title(f"ψ = {grid.psis[p]:g}", fontsize=10)
            if p == 0:
                ax.set_ylabel(f"seed {grid.seeds[s]}", fontsize=9)
    return fig


@torch.no_grad()
def average_image(G, noise_mode: str = "const") -> torch.Tensor:
    """The image of w̄ in every style input: [1, 3, R, R] (ψ = 0 for any seed)."""
    _check_w_avg(G)
    ws = G.mapping.w_avg[None, None].repeat(1, G.num_ws, 1)
    return G.synthesis(ws, noise_mode=noise_mode).cpu()


# ------------------------------------------------------------------------------------------
# The widget
# ------------------------------------------------------------------------------------------
@torch.no_grad()
def truncated_image(G, seed: int, truncation_psi: float = 0.7, truncation_cutoff: int | None = None,
                    noise_mode: str = "const", upscale: int = 4) -> np.ndarray:
    """The picture behind the truncation widget: seed's image with w' = w̄ + ψ(w − w̄) in the
    style inputs below ``truncation_cutoff`` (all if None). uint8 [R·upscale, R·upscale, 3]."""
    from .grids import to_uint8

    device = next(G.parameters()).device
    img = G(z_from_seeds([int(seed)], G.z_dim, device), None, truncation_psi=float(truncation_psi),
            truncation_cutoff=truncation_cutoff, noise_mode=noise_mode)
    arr = to_uint8(img)[0]
    return np.kron(arr, np.ones((upscale, upscale, 1), dtype=np.uint8)) if upscale > 1 else arr


def truncation_widget(G, seed: int = 0, truncation_psi: float = 0.7, truncation_cutoff: int | None = None):
    """Sliders for ψ, the cutoff (how many style inputs are truncated, from the coarsest) and the
    seed, showing :func:`truncated_image` beside the untruncated image and w̄."""
    import ipywidgets as W
    import matplotlib.pyplot as plt

    _check_w_avg(G)
    out = W.Output()
    psi_w = W.FloatSlider(value=truncation_psi, min=-1.5, max=1.5, step=0.05, description="ψ")
    cut_w = W.IntSlider(value=G.num_ws if truncation_cutoff is None else truncation_cutoff, min=0,
                        max=G.num_ws, description="cutoff")
    seed_w = W.IntSlider(value=seed, min=0, max=999, description="seed")
    avg = truncated_image(G, 0, 0.0)

    def redraw(*_):
        with out:
            out.clear_output(wait=True)
            fig, axes = plt.subplots(1, 3, figsize=(7, 2.6))
            axes[0].imshow(truncated_image(G, seed_w.value, 1.0))
            axes[0].set_title("ψ = 1", fontsize=9)
            axes[1].imshow(truncated_image(G, seed_w.value, psi_w.value, cut_w.value))
            axes[1].set_title(f"ψ = {psi_w.value:.2f}, styles 0–{cut_w.value - 1}", fontsize=9)
            axes[2].imshow(avg)
            axes[2].set_title("w̄ (ψ = 0)", fontsize=9)
            for ax in axes:
                ax.set_axis_off()
            plt.show()

    for w in (psi_w, cut_w, seed_w):
        w.observe(redraw, "value")
    if interactive():  # in a batch run (papermill/nbval) the static figure stands in
        redraw()
    return W.VBox([W.HBox([psi_w, cut_w, seed_w]), out])


# ------------------------------------------------------------------------------------------
# Measuring quality and diversity
# ------------------------------------------------------------------------------------------
def faces_classifier(device="cpu", path=None):
    """The book's faces classifier (``stylegan_lib.metrics.classifier``): attribute logits and the
    penultimate features used by FD, KD, precision/recall and diversity.

    If its trained weights are not in this checkout, a randomly initialised classifier (fixed
    seed) is returned instead, with a warning: random convolutional features still tell
    distributions apart, but the numbers are then only good for trends, and its attribute
    outputs mean nothing.
    """
    from ..metrics.classifier import ClassifierMissingError, FacesClassifier, load_classifier

    try:
        return load_classifier(path, device)
    except ClassifierMissingError:
        from ..data import ATTRIBUTES

        print("WARNING: the faces classifier's trained weights are missing: using a randomly "
              "initialised classifier (trends only). Train it with "
              "`python -m stylegan_lib.metrics.classifier`.")
        torch.manual_seed(0)
        net = FacesClassifier(ATTRIBUTES).eval().requires_grad_(False)
        net.untrained = True
        return net.to(device)


def feature_detector(device="cpu", path=None):
    """The feature network behind FD, KD, precision/recall and diversity: the penultimate
    features of :func:`faces_classifier`, as a ``metrics.detectors.ClassifierDetector``."""
    from ..metrics.detectors import ClassifierDetector

    net = faces_classifier(device, path)
    det = ClassifierDetector(classifier=net, device=device)
    if getattr(net, "untrained", False):
        det.name = "faces-classifier (random weights)"
    return det


def to_uint8_nchw(images: torch.Tensor) -> torch.Tensor:
    """[-1, 1] floats → uint8 [N, 3, H, W] (the detectors' input)."""
    return ((images.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)


@torch.no_grad()
def real_features(detector, num_images: int = 1000, seed: int = 123, batch_size: int = 500) -> np.ndarray:
    """Features [N, D] of ``num_images`` synthetic faces from the training distribution
    (``SyntheticFaces`` with the default ``FacesConfig``, 32×32)."""
    from ..data import SyntheticFaces

    faces = SyntheticFaces(num_images, 32, seed=seed)
    feats = [detector(faces.images(np.arange(i, min(i + batch_size, num_images)))).cpu()
             for i in range(0, num_images, batch_size)]
    return torch.cat(feats).numpy().astype(np.float64)


def pairwise_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distances [len(a), len(b)]."""
    sq = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.clip(sq, 0, None))


def mean_pairwise_distance(features: np.ndarray) -> float:
    """Average distance between two different samples: the spread of a set of images."""
    n = len(features)
    if n < 2:
        raise ValueError(f"need at least 2 samples, got {n}")
    d = pairwise_distances(features, features)
    return float(d.sum() / (n * (n - 1)))


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3) -> tuple[float, float]:
    r"""Improved precision and recall (Kynkäänniemi et al. 2019).

    Each set is approximated by the union of balls around its samples, the radius of a sample
    being the distance to its k-th nearest neighbour in its own set. Precision is the fraction of
    generated samples inside the real manifold (quality), recall the fraction of real samples
    inside the generated manifold (coverage, i.e. diversity):

    .. math::  \text{precision} = \tfrac1M \sum_j [\exists i: \lVert \phi_g^j - \phi_r^i\rVert
               \le r_k(\phi_r^i)]
    """
    if min(len(real), len(fake)) <= k:
        raise ValueError(f"precision/recall with k={k} needs more than {k} samples per set, "
                         f"got {len(real)} real and {len(fake)} generated")

    def radii(x):
        d = pairwise_distances(x, x)
        return np.sort(d, axis=1)[:, k]  # column 0 is the sample itself

    def coverage(manifold, samples):
        inside = pairwise_distances(samples, manifold) <= radii(manifold)[None, :]
        return float(inside.any(axis=1).mean())

    return coverage(real, fake), coverage(fake, real)


def distribution_scores(real: np.ndarray, fake: np.ndarray, k: int = 3, kd_subsets: int = 50,
                        seed: int = 0) -> dict[str, float]:
    """FD, KD, precision, recall and relative diversity of generated features against real ones.

    * fd: Fréchet distance of Gaussians fitted to the two sets (``metrics.frechet``);
    * kd: unbiased kernel distance (``metrics.kernel``), subsets of min(N_real, N_fake);
    * precision / recall: :func:`precision_recall` with as many real samples as generated;
    * diversity: mean pairwise distance of the generated features / that of the real ones
      (1 = as varied as the data, 0 = one image).
    """
    from ..metrics.frechet import frechet_distance
    from ..metrics.kernel import kernel_distance

    real, fake = np.asarray(real, np.float64), np.asarray(fake, np.float64)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"features must be [N, D] with one D, got {list(real.shape)} and {list(fake.shape)}")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # few samples: FD adds ε·I, which is fine here
        fd = frechet_distance(real.mean(0), np.cov(real, rowvar=False), fake.mean(0), np.cov(fake, rowvar=False))
    kd = kernel_distance(real, fake, num_subsets=kd_subsets, seed=seed)
    rng = np.random.default_rng(seed)
    real_pr = real[rng.choice(len(real), min(len(real), len(fake)), replace=False)]
    precision, recall = precision_recall(real_pr, fake, k)
    diversity = mean_pairwise_distance(fake) / mean_pairwise_distance(real_pr)
    return {"fd": float(fd), "kd": float(kd), "precision": precision, "recall": recall, "diversity": diversity}


@dataclass
class TradeoffResult:
    """One row per ψ: the scores of :func:`distribution_scores`."""

    psis: list[float]
    scores: dict[str, list[float]] = field(default_factory=dict)
    num_images: int = 0
    detector: str = ""

    def table(self) -> str:
        keys = list(self.scores)
        lines = ["   ψ  " + "".join(f"{k:>11s}" for k in keys)]
        for i, psi in enumerate(self.psis):
            lines.append(f"{psi:5.2f} " + "".join(f"{self.scores[k][i]:11.4g}" for k in keys))
        return "\n".join(lines)


@torch.no_grad()
def generated_features(G, detector, seeds: Sequence[int], truncation_psi: float = 1.0,
                       truncation_cutoff: int | None = None, noise_seed: int = 0, batch_size: int = 64,
                       ws_fn=None) -> np.ndarray:
    """Features of the images of ``seeds``, with seeded random noise (the same noise for the same
    seed, whatever ψ). ``ws_fn(z) → ws`` replaces the mapping (used for style mixing)."""
    from .noise import layer_noise

    device = next(G.parameters()).device
    gen = torch.Generator().manual_seed(int(noise_seed))
    feats = []
    for i in range(0, len(seeds), batch_size):
        z = z_from_seeds(seeds[i:i + batch_size], G.z_dim, device)
        if ws_fn is not None:
            ws = ws_fn(z)
        else:
            ws = G.mapping(z, None, truncation_psi=truncation_psi, truncation_cutoff=truncation_cutoff)
        noise = layer_noise(G, batch=len(z), generator=gen) if G.config.use_noise else None
        img = G.synthesis(ws, noise=noise)
        feats.append(detector(to_uint8_nchw(img)).cpu())
    return torch.cat(feats).numpy().astype(np.float64)


def truncation_tradeoff(G, psis: Sequence[float], num_images: int = 128, detector=None,
                        real: np.ndarray | None = None, truncation_cutoff: int | None = None,
                        seed: int = 0, progress: bool = False) -> TradeoffResult:
    """Scores of ``num_images`` generated images (seeds seed…seed+N−1, the same for every ψ)
    against real faces, for each ψ."""
    from tqdm import tqdm  # text bars: widget bars can stall papermill/nbval kernels

    _check_w_avg(G)
    detector = detector if detector is not None else feature_detector(next(G.parameters()).device)
    real = real if real is not None else real_features(detector, max(num_images, 1000))
    seeds = list(range(seed, seed + num_images))
    result = TradeoffResult([float(p) for p in psis], num_images=num_images,
                            detector=getattr(detector, "name", type(detector).__name__))
    for psi in tqdm(psis, desc="ψ", disable=not progress):
        fake = generated_features(G, detector, seeds, float(psi), truncation_cutoff)
        for k, v in distribution_scores(real, fake).items():
            result.scores.setdefault(k, []).append(v)
    return result


def draw_tradeoff(result: TradeoffResult, fig=None):
    """Three panels against ψ: FD and KD (lower is better), precision and recall, diversity."""
    import matplotlib.pyplot as plt

    if fig is None:
        fig = plt.figure(figsize=(11, 3.0))
    axes = fig.subplots(1, 3)
    x = result.psis
    s = result.scores
    ax = axes[0]
    ax.plot(x, s["fd"], "o-", color="#4477aa", label="FD")
    ax.set_ylabel("FD", color="#4477aa")
    ax2 = ax.twinx()
    ax2.plot(x, s["kd"], "s--", color="#ee6677", label="KD")
    ax2.set_ylabel("KD", color="#ee6677")
    ax.set_title("distance to the real faces (lower = better)", fontsize=9)
    axes[1].plot(x, s["precision"], "o-", label="precision (quality)")
    axes[1].plot(x, s["recall"], "s-", label="recall (coverage)")
    axes[1].set_ylim(-0.03, 1.03)
    axes[1].legend(fontsize=8)
    axes[1].set_title("precision and recall, k = 3", fontsize=9)
    axes[2].plot(x, s["diversity"], "o-", color="#228833")
    axes[2].set_ylim(bottom=0)
    axes[2].set_title("diversity (mean pairwise distance, real = 1)", fontsize=9)
    for a in axes:
        a.set_xlabel("ψ")
    fig.tight_layout()
    return fig
