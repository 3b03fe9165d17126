"""The truncation trick in W (paper Appendix B and §2.1, Figure 8) and what it costs.

Sampling from the tails of the latent distribution gives the images a generator is worst at.
StyleGAN pulls each w towards the centre of mass w̄ of W:  w' = w̄ + ψ (w − w̄)
(``MappingNetwork.truncate``). Here:

* :func:`truncation_figure` — Figure 8: the same seeds at ψ = 1, 0.7, 0.5, 0, −0.5, −1;
* :func:`average_image` — w̄ itself, "the average face";
* :func:`truncated_image` — the pure function behind the widget (ψ, cutoff, seed);
* :func:`truncation_tradeoff` — quality against diversity as a function of ψ: the Fréchet and
  kernel distances (FD, KD) to the synthetic faces, precision and recall, and a diversity
  measure (``metrics.evaluate.distribution_scores``), all in the feature space of the book's
  offline faces classifier.
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from dataclasses import dataclass, field

import numpy as np
import torch

from ..images import enlarge, to_hwc
from ..latent import ws_from_seeds, z_from_seeds
from ..metrics.detectors import get_feature_detector
from ..metrics.evaluate import distribution_scores, real_features, seed_features
from .grids import draw_image_table
from .widgets import ImagePanels, figure_widget

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
                      truncation_cutoff: int | None = None, noise_mode: str = "const",
                      z: torch.Tensor | None = None) -> TruncationGrid:
    """Figure 8: every seed at every ψ. The paper truncates all style inputs here
    (``truncation_cutoff=None``); the stored noise images keep the noise the same across ψ.
    ``z``: the seeds' latents (default: ``z_from_seeds``)."""
    _check_w_avg(G)
    ws = ws_from_seeds(G, seeds, z=z)
    rows = []
    for psi in psis:
        wt = G.mapping.truncate(ws, float(psi), truncation_cutoff) if psi != 1 else ws
        rows.append(G.synthesis(wt, noise_mode=noise_mode).cpu())
    return TruncationGrid(list(seeds), [float(p) for p in psis], truncation_cutoff, torch.stack(rows, 1))


def draw_truncation_figure(grid: TruncationGrid, fig=None):
    """Seeds in rows, ψ in columns."""
    import matplotlib.pyplot as plt

    S, P = grid.images.shape[:2]
    if fig is None:
        fig = plt.figure(figsize=(1.6 * P, 1.7 * S + 0.3), layout="compressed")
    draw_image_table(fig.subplots(S, P, squeeze=False), grid.images, [f"ψ = {p:g}" for p in grid.psis],
                     [f"seed {s}" for s in grid.seeds], title_size=10)
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
    img = G(z_from_seeds([int(seed)], G.z_dim, G.device), None, truncation_psi=float(truncation_psi),
            truncation_cutoff=truncation_cutoff, noise_mode=noise_mode)
    return enlarge(to_hwc(img)[0], upscale)


def truncation_widget(G, seed: int = 0, truncation_psi: float = 0.7, truncation_cutoff: int | None = None):
    """Sliders for ψ, the cutoff (how many style inputs are truncated, from the coarsest) and the
    seed, showing :func:`truncated_image` beside the untruncated image and w̄."""
    import ipywidgets as W

    _check_w_avg(G)
    psi_w = W.FloatSlider(value=truncation_psi, min=-1.5, max=1.5, step=0.05, description="ψ")
    cut_w = W.IntSlider(value=G.num_ws if truncation_cutoff is None else truncation_cutoff, min=0,
                        max=G.num_ws, description="cutoff")
    seed_w = W.IntSlider(value=seed, min=0, max=999, description="seed")
    avg = truncated_image(G, 0, 0.0)
    untruncated = lru_cache(maxsize=16)(lambda s: truncated_image(G, s, 1.0))   # depends on the seed only
    panels = ImagePanels(3, figsize=(7, 2.6))

    def draw():
        return panels.show([untruncated(seed_w.value), truncated_image(G, seed_w.value, psi_w.value, cut_w.value),
                            avg],
                           ["ψ = 1", f"ψ = {psi_w.value:.2f}, styles 0–{cut_w.value - 1}", "w̄ (ψ = 0)"])

    return figure_widget([[psi_w, cut_w, seed_w]], draw)


# ------------------------------------------------------------------------------------------
# Measuring quality and diversity
# ------------------------------------------------------------------------------------------
@dataclass
class TradeoffResult:
    """One row per ψ: the scores of :func:`distribution_scores`."""

    psis: list[float]
    scores: dict[str, list[float]] = field(default_factory=dict)
    num_images: int = 0
    detector: str = ""

    #: One format per column: FD with one decimal, KD in whole units, the fractions with three.
    FORMATS = {"fd": "{:11,.1f}", "kd": "{:11,.0f}"}

    def table(self) -> str:
        """The scores as text, one row per ψ and one number format per column."""
        keys = list(self.scores)
        lines = ["   ψ " + "".join(f"{k.upper() if k in self.FORMATS else k:>11s}" for k in keys)]
        for i, psi in enumerate(self.psis):
            lines.append(f"{psi:4.2f} " + "".join(self.FORMATS.get(k, "{:11.3f}").format(self.scores[k][i])
                                                  for k in keys))
        return "\n".join(lines)


def truncation_tradeoff(G, psis: Sequence[float], num_images: int = 128, detector=None,
                        real: np.ndarray | None = None, truncation_cutoff: int | None = None,
                        seed: int = 0, progress: bool = False) -> TradeoffResult:
    """Scores of ``num_images`` generated images (seeds seed…seed+N−1, the same for every ψ)
    against real faces, for each ψ."""
    from tqdm import tqdm  # text bars: widget bars can stall papermill/nbval kernels

    _check_w_avg(G)
    detector = detector if detector is not None else get_feature_detector("classifier", None, G.device)
    real = real if real is not None else real_features(detector, max(num_images, 1000))
    seeds = list(range(seed, seed + num_images))
    result = TradeoffResult([float(p) for p in psis], num_images=num_images,
                            detector=getattr(detector, "name", type(detector).__name__))
    for psi in tqdm(psis, desc="ψ", disable=not progress):
        fake = seed_features(G, detector, seeds, float(psi), truncation_cutoff)
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
