"""Style mixing (paper §3.1, Figure 3, Table 2).

The synthesis network takes one style input per layer, so two latents can share an image: the
style inputs of some layers come from w_A, the others from w_B (``latent.mix_styles`` /
``latent.copy_styles``). Here:

* :func:`style_mixing_figure` — Figure 3: rows of sources B whose coarse, middle or fine styles
  are copied into the sources A of the top row;
* :func:`attribute_transfer` — Figure 3 in numbers: which attributes (by the faces classifier)
  each group of styles brings from B;
* :func:`crossover_sweep` — one pair, the crossover point moved through the network;
* :func:`mix_pair` — the pure function behind the widget (sources and the styles taken from B);
* :func:`mixing_scores` — Table 2: images whose styles come from 1, 2, 3 or 4 latents
  (``latent.multi_latent_ws``), scored against the real faces.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from ..images import to_hwc
from ..latent import copy_styles, latent_generator, layer_groups, mix_styles, multi_latent_ws, ws_from_seeds
from .noise import layers_label
from .widgets import ImagePanels, figure_widget

FIGURE3_ROWS = ("coarse", "coarse", "coarse", "middle", "middle", "fine")


# ------------------------------------------------------------------------------------------
# Figure 3
# ------------------------------------------------------------------------------------------
@dataclass
class StyleMixingGrid:
    """Figure 3. cells[j, i] is source A i with the styles ``layers[j]`` taken from source B j
    (or, with ``receiver="b"``, source B j with those styles taken from source A i).

    images_a: [A, 3, R, R] (top row); images_b: [B, 3, R, R] (left column);
    cells: [B, A, 3, R, R]; row_groups[j]: the group name of row j ("coarse", "middle", "fine").
    """

    seeds_a: list[int]
    seeds_b: list[int]
    row_groups: list[str]
    layers: list[list[int]]
    labels: list[str]
    images_a: torch.Tensor
    images_b: torch.Tensor
    cells: torch.Tensor


@torch.no_grad()
def style_mixing_figure(G, seeds_a: Sequence[int], seeds_b: Sequence[int],
                        row_groups: Sequence[str] | None = None, truncation_psi: float = 1.0,
                        truncation_cutoff: int | None = None, noise_mode: str = "const",
                        z_a: torch.Tensor | None = None, z_b: torch.Tensor | None = None,
                        receiver: str = "a") -> StyleMixingGrid:
    """Figure 3: for every source B (a row) copy the style inputs of its row's group
    (``layer_groups``: coarse, middle or fine) into every source A (a column); with
    ``receiver="b"`` the other way round, A's styles of the row's group into B (the direction of
    NVIDIA's figure script, ``viz.official.figure3_images``).

    Default rows as in the paper: as many as ``seeds_b``, cycling through 3 coarse, 2 middle and
    1 fine. ``z_a``, ``z_b``: the seeds' latents (default: ``z_from_seeds``).
    """
    if receiver not in ("a", "b"):
        raise ValueError(f"receiver must be 'a' or 'b', got {receiver!r}")
    if G.num_ws < 2:
        raise ValueError("style mixing needs a style-based generator with several style inputs")
    groups = layer_groups(G.num_ws)
    if row_groups is None:
        row_groups = [FIGURE3_ROWS[j % len(FIGURE3_ROWS)] for j in range(len(seeds_b))]
    row_groups = list(row_groups)
    if len(row_groups) != len(seeds_b):
        raise ValueError(f"need one group per source B: {len(seeds_b)} seeds_b but {len(row_groups)} row_groups")
    unknown = [g for g in row_groups if g not in groups]
    if unknown:
        raise ValueError(f"unknown layer group(s) {unknown}; use {list(groups)}")
    ws_a = ws_from_seeds(G, seeds_a, truncation_psi, truncation_cutoff, z_a)
    ws_b = ws_from_seeds(G, seeds_b, truncation_psi, truncation_cutoff, z_b)
    images_a = G.synthesis(ws_a, noise_mode=noise_mode).cpu()
    images_b = G.synthesis(ws_b, noise_mode=noise_mode).cpu()
    rows = []
    for j, g in enumerate(row_groups):
        ws_row = ws_b[j:j + 1].expand_as(ws_a)
        mixed = copy_styles(ws_a, ws_row, list(groups[g])) if receiver == "a" else \
            copy_styles(ws_row, ws_a, list(groups[g]))
        rows.append(G.synthesis(mixed, noise_mode=noise_mode).cpu())
    layers = [list(groups[g]) for g in row_groups]
    labels = [f"{g} ({layers_label(G, l)})" for g, l in zip(row_groups, layers)]
    return StyleMixingGrid(list(seeds_a), list(seeds_b), row_groups, layers, labels, images_a, images_b,
                           torch.stack(rows))


def draw_style_mixing_figure(grid: StyleMixingGrid, fig=None):
    """Sources A along the top, sources B down the left, the mixes in between; each row is
    labelled with the styles it takes from B."""
    import matplotlib.pyplot as plt

    B, A = grid.cells.shape[:2]
    if fig is None:
        fig = plt.figure(figsize=(1.3 * (A + 1) + 0.6, 1.3 * (B + 1) + 0.3), layout="compressed")
    axes = fig.subplots(B + 1, A + 1, squeeze=False)

    def show(ax, img, frame=None):
        ax.imshow(to_hwc(img[None])[0], interpolation="nearest")
        ax.set_xticks([]), ax.set_yticks([])
        if frame:
            for s in ax.spines.values():
                s.set_edgecolor(frame)
                s.set_linewidth(2.5)

    axes[0, 0].set_axis_off()
    axes[0, 0].text(0.5, 0.5, "source A →\nsource B ↓", ha="center", va="center", fontsize=9,
                    transform=axes[0, 0].transAxes)
    for i in range(A):
        show(axes[0, i + 1], grid.images_a[i], "#4477aa")
        axes[0, i + 1].set_title(f"A: seed {grid.seeds_a[i]}", fontsize=8)
    colours = {"coarse": "#ee6677", "middle": "#ccbb44", "fine": "#228833"}
    for j in range(B):
        show(axes[j + 1, 0], grid.images_b[j], colours.get(grid.row_groups[j]))
        axes[j + 1, 0].set_ylabel(f"B: seed {grid.seeds_b[j]}\n{grid.labels[j]}", fontsize=8)
        for i in range(A):
            show(axes[j + 1, i + 1], grid.cells[j, i])
    return fig


@dataclass
class AttributeTransfer:
    """Which attributes a group of styles carries, measured with an attribute classifier.

    follows_b[g][a]: among the pairs whose sources A and B disagree on attribute a, the fraction
    in which A-with-B's-g-styles has B's value (1: the group carries a entirely, 0: not at all;
    NaN when no pair disagrees); disagree[g][a]: how many pairs that is.
    """

    groups: list[str]
    attributes: list[str]
    follows_b: np.ndarray   # [groups, attributes]
    disagree: np.ndarray    # [groups, attributes]
    num_pairs: int

    def select(self, attributes: Sequence[str]) -> "AttributeTransfer":
        """The same result with only ``attributes``, in that order."""
        idx = [self.attributes.index(a) for a in attributes]
        return AttributeTransfer(self.groups, list(attributes), self.follows_b[:, idx],
                                 self.disagree[:, idx], self.num_pairs)


@torch.no_grad()
def attribute_transfer(G, classifier, num_pairs: int = 64, groups: dict[str, Sequence[int]] | None = None,
                       seed: int = 0, truncation_psi: float = 1.0, truncation_cutoff: int | None = None,
                       noise_mode: str = "const", batch_size: int = 64) -> AttributeTransfer:
    """Figure 3 in numbers: for ``num_pairs`` random pairs (A = seeds seed…, B = the next
    num_pairs seeds), copy B's styles of each group into A and ask the classifier
    (``classifier(images) → logits``, one per attribute in ``classifier.attributes``) whose value
    of each attribute the mixture has.

    ``groups`` maps a name to the style inputs copied (default: ``layer_groups``).
    """
    groups = dict(groups) if groups is not None else {g: list(r) for g, r in layer_groups(G.num_ws).items()}
    device = next(classifier.parameters()).device

    def labels(ws):
        out = []
        for i in range(0, len(ws), batch_size):
            img = G.synthesis(ws[i:i + batch_size], noise_mode=noise_mode)
            out.append((classifier(img.to(device)) > 0).cpu())
        return torch.cat(out)

    ws_a = ws_from_seeds(G, list(range(seed, seed + num_pairs)), truncation_psi, truncation_cutoff)
    ws_b = ws_from_seeds(G, list(range(seed + num_pairs, seed + 2 * num_pairs)), truncation_psi,
                            truncation_cutoff)
    la, lb = labels(ws_a), labels(ws_b)
    differ = la != lb
    follows, counts = [], []
    for layers in groups.values():
        lm = labels(copy_styles(ws_a, ws_b, list(layers)))
        n = differ.sum(0)
        hit = ((lm == lb) & differ).sum(0)
        frac = hit.double() / n.clamp_min(1).double()
        frac[n == 0] = float("nan")
        follows.append(frac.numpy())
        counts.append(n.numpy())
    return AttributeTransfer(list(groups), list(classifier.attributes), np.stack(follows).astype(float),
                             np.stack(counts), num_pairs)


def draw_attribute_transfer(result: AttributeTransfer, ax=None, attribute_scales: dict[str, str] | None = None):
    """Heat map groups × attributes of the fraction that follows B; columns labelled with the
    scale of the factor behind each attribute when ``attribute_scales`` is given."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(1.0 + 0.75 * len(result.attributes), 0.6 + 0.55 * len(result.groups)))
    im = ax.imshow(result.follows_b, cmap="viridis", vmin=0, vmax=1, aspect="auto")
    for g in range(len(result.groups)):
        for a in range(len(result.attributes)):
            v = result.follows_b[g, a]
            ax.text(a, g, "–" if np.isnan(v) else f"{v:.2f}", ha="center", va="center", fontsize=8,
                    color="white" if np.isnan(v) or v < 0.6 else "black")
    names = [f"{a} ({attribute_scales[a]})" if attribute_scales and a in attribute_scales else a
             for a in result.attributes]
    ax.set_xticks(range(len(names)), names, rotation=30, ha="right", rotation_mode="anchor", fontsize=8)
    ax.set_yticks(range(len(result.groups)), [f"B's {g}" for g in result.groups], fontsize=9)
    ax.figure.colorbar(im, ax=ax, label="fraction with B's value")
    return ax


# ------------------------------------------------------------------------------------------
# A pair: the widget and the crossover sweep
# ------------------------------------------------------------------------------------------
@torch.no_grad()
def mix_pair(G, seed_a: int, seed_b: int, layers_from_b: Iterable[int], truncation_psi: float = 1.0,
             truncation_cutoff: int | None = None, noise_mode: str = "const") -> torch.Tensor:
    """The pictures behind the mixing widget: [3, 3, R, R] = (source A, A with the style inputs
    ``layers_from_b`` taken from B, source B)."""
    layers = sorted({int(i) for i in layers_from_b})
    bad = [i for i in layers if not 0 <= i < G.num_ws]
    if bad:
        raise ValueError(f"style inputs {bad} do not exist: this generator has 0…{G.num_ws - 1}")
    ws = ws_from_seeds(G, [int(seed_a), int(seed_b)], truncation_psi, truncation_cutoff)
    mixed = copy_styles(ws[:1], ws[1:], layers)
    return G.synthesis(torch.cat([ws[:1], mixed, ws[1:]]), noise_mode=noise_mode).cpu()


@torch.no_grad()
def crossover_sweep(G, seed_a: int, seed_b: int, truncation_psi: float = 1.0,
                    truncation_cutoff: int | None = None, noise_mode: str = "const") -> torch.Tensor:
    """Images [num_ws + 1, 3, R, R]: image k takes style inputs 0…k−1 from A and k… from B
    (``mix_styles([w_A, w_B], [k])``), so k = 0 is B and k = num_ws is A."""
    ws = ws_from_seeds(G, [int(seed_a), int(seed_b)], truncation_psi, truncation_cutoff)
    mixed = torch.cat([mix_styles([ws[:1], ws[1:]], [k]) for k in range(G.num_ws + 1)])
    return G.synthesis(mixed, noise_mode=noise_mode).cpu()


def mixing_widget(G, seed_a: int = 0, seed_b: int = 1, truncation_psi: float = 1.0,
                  truncation_cutoff: int | None = None):
    """Sliders for the two sources and the range of style inputs taken from B (a range that runs
    to the last input is a crossover), showing :func:`mix_pair`."""
    import ipywidgets as W

    groups = layer_groups(G.num_ws)
    a_w = W.IntSlider(value=seed_a, min=0, max=999, description="source A")
    b_w = W.IntSlider(value=seed_b, min=0, max=999, description="source B")
    r_w = W.IntRangeSlider(value=(groups["coarse"].start, groups["coarse"].stop - 1), min=0,
                           max=G.num_ws - 1, description="from B")
    hint = W.HTML("groups: " + ", ".join(f"{g} = {r.start}–{r.stop - 1}" for g, r in groups.items()))
    panels = ImagePanels(3, figsize=(7, 2.6), interpolation="nearest")

    def draw():
        lo, hi = r_w.value
        imgs = to_hwc(mix_pair(G, a_w.value, b_w.value, range(lo, hi + 1), truncation_psi, truncation_cutoff))
        return panels.show(imgs, ["A", f"A + B's styles {lo}–{hi}", "B"])

    return figure_widget([[a_w, b_w], [r_w, hint]], draw)


# ------------------------------------------------------------------------------------------
# Table 2: mixing several latents at test time
# ------------------------------------------------------------------------------------------
def mixing_scores(G, num_latents: Sequence[int] = (1, 2, 3, 4), num_images: int = 128, detector=None,
                  real: np.ndarray | None = None, seed: int = 0, progress: bool = False) -> dict[int, dict]:
    """Table 2 on this generator: FD, KD, precision, recall and diversity
    (``metrics.evaluate.distribution_scores``) of images mixed from k latents, for each k."""
    from tqdm import tqdm  # text bars: widget bars can stall papermill/nbval kernels

    from ..metrics.detectors import get_feature_detector
    from ..metrics.evaluate import distribution_scores, real_features
    from ..metrics.evaluate import seed_features

    detector = detector if detector is not None else get_feature_detector("classifier", None, G.device)
    real = real if real is not None else real_features(detector, max(num_images, 1000))
    seeds = list(range(seed, seed + num_images))
    out = {}
    for k in tqdm(num_latents, desc="latents", disable=not progress):
        gen = latent_generator(seed + 7919 * int(k))
        fake = seed_features(G, detector, seeds, ws_fn=lambda z, k=k: multi_latent_ws(G, z, int(k), gen))
        out[int(k)] = distribution_scores(real, fake)
    return out

