"""Noise inputs and stochastic variation (paper §3.2, Figures 4 and 5).

Every layer of the synthesis network adds a single-channel Gaussian image n, scaled per channel
by learned strengths B (``NoiseInjection``):  x_i ← x_i + B_i · n.  The functions here fix the
style inputs of an image and vary only n:

* :func:`stochastic_variation` — Figure 4: several noise realisations of one image and the
  per-pixel standard deviation over many realisations;
* :func:`noise_panels` — Figure 5: noise in all layers, in none, in the fine layers only, in the
  coarse layers only (the split of ``latent.noise_groups``: 4²–32² vs 64²–1024² at 1024²,
  4²–16² vs 32² at the book's 32²);
* :func:`noise_strengths` — how much noise each layer has learned to use (the size of B);
* :func:`noise_image` — the pure function behind the widget (groups on/off, strength, noise seed).

Noise images are drawn layer by layer from one seeded generator *whatever is switched off*, so
switching a group of layers off leaves the noise of the other layers exactly as it was.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from dataclasses import dataclass

import numpy as np
import torch

from ..images import enlarge, to_hwc
from ..latent import noise_groups, ws_from_seeds
from .grids import draw_image_table
from .widgets import ImagePanels, figure_widget

GROUPS = ("coarse", "fine")


# ------------------------------------------------------------------------------------------
# Which layers
# ------------------------------------------------------------------------------------------
def noise_layers(G, groups: Iterable[str]) -> list[int]:
    """Indices of the noise inputs (= layers) in the named groups of ``latent.noise_groups``.

    The noise inputs are indexed like the style inputs: layer 2k and 2k+1 are the two layers of
    the block at resolution 2^(k+2). Besides "coarse" and "fine", "all" names every layer.
    """
    groups = list(groups)
    table = {name: list(r) for name, r in noise_groups(G.synthesis.num_layers).items()}
    table["all"] = list(range(G.synthesis.num_layers))
    unknown = [g for g in groups if g not in table]
    if unknown:
        raise ValueError(f"unknown layer group(s) {unknown}; use some of {sorted(table)}")
    return sorted({i for g in groups for i in table[g]})


def figure5_panels(G) -> dict[str, list[int]]:
    """The four panels of Figure 5 as lists of layers with noise: all, none, fine, coarse
    (``latent.noise_groups``: at 1024² coarse = 4²–32², fine = 64²–1024²; at 32² coarse =
    4²–16², fine = 32²)."""
    return {"all": noise_layers(G, ["all"]), "none": [],
            "fine": noise_layers(G, ["fine"]), "coarse": noise_layers(G, ["coarse"])}


def layers_label(G, layers: Sequence[int]) -> str:
    """'8²–32²' for a list of layers (by their resolutions), 'none' for an empty one."""
    if not len(layers):
        return "none"
    res = G.synthesis.layer_resolutions()
    lo, hi = res[min(layers)], res[max(layers)]
    return f"{lo}²" if lo == hi else f"{lo}²–{hi}²"


# ------------------------------------------------------------------------------------------
# The noise images
# ------------------------------------------------------------------------------------------
def layer_noise(G, layers_on: Iterable[int] | None = None, noise_seed: int = 0, batch: int = 1,
                strength: float = 1.0, generator: torch.Generator | None = None,
                noise_mode: str = "random") -> list[torch.Tensor]:
    """One noise image per layer, as ``G.synthesis(ws, noise=…)`` takes them.

    Layer l gets ``strength · n_l`` if l is in ``layers_on`` (default: every layer), else zeros
    (no noise: the same as ``noise_mode="none"`` for that layer). With ``noise_mode="random"``
    the n_l are ``G.synthesis.make_noise_inputs`` for every layer, seeded with ``noise_seed`` (or
    drawn from ``generator``), so the noise of a layer does not depend on which other layers are
    switched on; with ``"const"`` they are the layers' stored noise images ``noise_const`` (what
    ``noise_mode="const"`` uses; one image, whatever ``batch``).
    """
    if noise_mode not in ("random", "const"):
        raise ValueError(f"noise_mode must be 'random' or 'const', got {noise_mode!r}")
    num_layers = G.synthesis.num_layers
    on = set(range(num_layers)) if layers_on is None else {int(i) for i in layers_on}
    bad = sorted(i for i in on if not 0 <= i < num_layers)
    if bad:
        raise ValueError(f"layers {bad} do not exist: this generator has layers 0…{num_layers - 1}")
    if noise_mode == "const":
        noise = [epi.noise_const for epi in G.synthesis.epilogues()]
        if any(n is None for n in noise):
            raise ValueError("this generator has no noise inputs (configurations A–D of Table 1)")
    else:
        seed = int(noise_seed) if generator is None else None
        noise = G.synthesis.make_noise_inputs(batch, seed=seed, generator=generator)
    return [n * strength if i in on else torch.zeros_like(n) for i, n in enumerate(noise)]


# ------------------------------------------------------------------------------------------
# Figure 4: stochastic variation
# ------------------------------------------------------------------------------------------
@dataclass
class StochasticVariation:
    """Figure 4 for a few seeds.

    images: [S, K, 3, R, R] the first K noise realisations of each seed's image (same styles);
    mean:   [S, 3, R, R] the mean image over all realisations;
    std:    [S, R, R] the per-pixel standard deviation over all realisations (``std_of``: the
            mean over RGB of each channel's, or that of the grey value);
    num_realisations: how many realisations the statistics are over.
    """

    seeds: list[int]
    images: torch.Tensor
    mean: torch.Tensor
    std: torch.Tensor
    num_realisations: int


@torch.no_grad()
def stochastic_variation(G, seeds: Sequence[int], num_realisations: int = 100, num_shown: int = 4,
                         noise_seed: int = 0, truncation_psi: float = 1.0,
                         truncation_cutoff: int | None = None, batch_size: int | None = None,
                         progress: bool = False, z: torch.Tensor | None = None,
                         std_of: str = "rgb") -> StochasticVariation:
    r"""Figure 4: the same w (same identity) with ``num_realisations`` different noise images.
    ``z``: the seeds' latents (default: ``z_from_seeds``; see ``latent.ws_from_seeds``).

    Per pixel p and colour channel c, over the realisations k = 1…K (``std_of="rgb"``):

    .. math::  \sigma_{p} = \frac13 \sum_c \sqrt{\tfrac1K \sum_k (x_{k,c,p} - \bar x_{c,p})^2}

    or, with ``std_of="grey"``, that of the grey value g = (x_R + x_G + x_B) / 3 (the statistic of
    ``viz.official.figure4_images``):

    .. math::  \sigma_{p} = \sqrt{\tfrac1K \sum_k (g_{k,p} - \bar g_{p})^2}

    σ is zero (up to float round-off between batches, ~1e-6) where no layer with non-zero noise
    strength B reaches the pixel.
    """
    if std_of not in ("rgb", "grey"):
        raise ValueError(f"std_of must be 'rgb' or 'grey', got {std_of!r}")
    if num_realisations < 2:
        raise ValueError(f"the standard deviation needs at least 2 realisations, got {num_realisations}")
    if not 1 <= num_shown <= num_realisations:
        raise ValueError(f"num_shown must be in [1, num_realisations={num_realisations}], got {num_shown}")
    from tqdm import tqdm  # text bars: widget bars can stall papermill/nbval kernels

    if batch_size is None:  # 50 at 32², 5 at 1024² (the statistics are kept in float64 on the CPU)
        batch_size = max(1, min(50, 2**24 // (3 * G.img_resolution ** 2)))
    ws_all = ws_from_seeds(G, seeds, truncation_psi, truncation_cutoff, z)
    gen = torch.Generator().manual_seed(int(noise_seed))
    shown, means, stds = [], [], []
    steps = [(s, k0) for s in range(len(seeds)) for k0 in range(0, num_realisations, batch_size)]
    bar = tqdm(total=len(steps), desc="noise realisations", unit="batch", disable=not progress)
    for s in range(len(seeds)):
        ref = total = total_sq = None
        first, greys = [], []
        for k0 in range(0, num_realisations, batch_size):
            k = min(batch_size, num_realisations - k0)
            ws = ws_all[s:s + 1].expand(k, -1, -1)
            img = G.synthesis(ws, noise=layer_noise(G, batch=k, generator=gen)).double().cpu()
            # Sums of deviations from the first realisation (shifted data: no cancellation).
            ref = img[0].clone() if ref is None else ref
            d = img - ref
            total = d.sum(0) if total is None else total + d.sum(0)
            total_sq = d.square().sum(0) if total_sq is None else total_sq + d.square().sum(0)
            if std_of == "grey":
                greys.append(img.mean(1))
            if sum(len(f) for f in first) < num_shown:
                first.append(img[:num_shown - sum(len(f) for f in first)])
            bar.update(1)
        mean_d = total / num_realisations
        var = (total_sq / num_realisations - mean_d.square()).clamp_min(0)
        mean = ref + mean_d
        shown.append(torch.cat(first).float())
        means.append(mean.float())
        if std_of == "grey":
            # σ_p = √(1/K Σ_k (g_k,p − ḡ_p)²), from the grey values of all K realisations
            std = torch.cat(greys).std(0, unbiased=False)
        else:
            # σ_p = 1/3 Σ_c √var_c,p
            std = var.sqrt().mean(0)
        stds.append(std.float())
    bar.close()
    return StochasticVariation(list(seeds), torch.stack(shown), torch.stack(means), torch.stack(stds),
                               num_realisations)


def draw_stochastic_variation(result: StochasticVariation, fig=None, vmax: float | None = None):
    """Rows: seeds; columns: the shown realisations, then the standard deviation map."""
    import matplotlib.pyplot as plt

    S, K = result.images.shape[:2]
    if fig is None:
        fig = plt.figure(figsize=(1.7 * (K + 1) + 0.6, 1.8 * S + 0.4), layout="compressed")
    axes = fig.subplots(S, K + 1, squeeze=False)
    vmax = vmax if vmax is not None else max(float(result.std.max()), 1e-6)
    draw_image_table(axes, result.images, [f"noise {k + 1}" for k in range(K)],
                     [f"seed {s}" for s in result.seeds])
    for s in range(S):
        ax = axes[s, K]
        im = ax.imshow(result.std[s].numpy(), cmap="magma", vmin=0, vmax=vmax, interpolation="nearest")
        ax.set_axis_off()
        if s == 0:
            ax.set_title(f"std over {result.num_realisations}", fontsize=9)
    fig.colorbar(im, ax=axes[:, K].tolist(), shrink=0.8)
    return fig


# ------------------------------------------------------------------------------------------
# Figure 5: where the noise goes
# ------------------------------------------------------------------------------------------
@dataclass
class NoisePanels:
    """Figure 5: images [S, P, 3, R, R] for the panels (names, layers and labels in order)."""

    seeds: list[int]
    names: list[str]
    labels: list[str]
    layers: list[list[int]]
    images: torch.Tensor

    def difference(self, reference: str = "none") -> torch.Tensor:
        """|panel − reference panel| averaged over RGB: [S, P, R, R] (what the noise changed)."""
        ref = self.images[:, self.names.index(reference)]
        return (self.images - ref[:, None]).abs().mean(2)


@torch.no_grad()
def noise_panels(G, seeds: Sequence[int], panels: dict[str, Sequence[int]] | None = None,
                 noise_seed: int = 0, strength: float = 1.0, truncation_psi: float = 1.0,
                 truncation_cutoff: int | None = None, z: torch.Tensor | None = None,
                 noise_mode: str = "random") -> NoisePanels:
    """Figure 5: each seed's image with noise in the layers of each panel (default: the paper's
    all / none / fine only / coarse only, :func:`figure5_panels`), one noise realisation shared
    by all panels: drawn from ``noise_seed``, or the stored noise with ``noise_mode="const"``
    (:func:`layer_noise`). ``z``: the seeds' latents (default: ``z_from_seeds``)."""
    panels = dict(panels) if panels is not None else figure5_panels(G)
    ws = ws_from_seeds(G, seeds, truncation_psi, truncation_cutoff, z)
    images = []
    for layers in panels.values():
        noise = layer_noise(G, layers, noise_seed=noise_seed, strength=strength, noise_mode=noise_mode)
        images.append(G.synthesis(ws, noise=noise).cpu())
    names = list(panels)
    return NoisePanels(list(seeds), names, [f"{n} ({layers_label(G, l)})" if n not in ("all", "none") else n
                                            for n, l in panels.items()],
                       [list(l) for l in panels.values()], torch.stack(images, 1))


def draw_noise_panels(result: NoisePanels, fig=None, show_difference: bool = True):
    """Per seed a row of images and (optionally) a row of |image − no-noise image|."""
    import matplotlib.pyplot as plt

    S, P = result.images.shape[:2]
    step = 2 if show_difference else 1
    if fig is None:
        fig = plt.figure(figsize=(1.9 * P, 1.9 * S * step + 0.3), layout="compressed")
    axes = fig.subplots(S * step, P, squeeze=False)
    diff = result.difference() if show_difference else None
    vmax = max(float(diff.max()), 1e-6) if diff is not None else None
    draw_image_table(axes[::step], result.images, result.labels, [f"seed {s}" for s in result.seeds])
    if show_difference:
        for s in range(S):
            for p in range(P):
                ax = axes[2 * s + 1, p]
                ax.imshow(diff[s, p].numpy(), cmap="magma", vmin=0, vmax=vmax, interpolation="nearest")
                ax.set_xticks([]), ax.set_yticks([])
            axes[2 * s + 1, 0].set_ylabel("|Δ| vs none", fontsize=9)
    return fig


# ------------------------------------------------------------------------------------------
# The learned strengths B
# ------------------------------------------------------------------------------------------
def noise_strengths(G) -> list[tuple[int, float]]:
    r"""(resolution, RMS of B) for every layer: :math:`\sqrt{\tfrac1C\sum_i B_i^2}`.

    B is initialised to zero, so an untrained generator has no noise at all; training makes it
    grow where random detail helps the discriminator be fooled.
    """
    out = []
    for r, epi in zip(G.synthesis.layer_resolutions(), G.synthesis.epilogues()):
        if epi.noise is None:
            raise ValueError("this generator has no noise inputs (configurations A–D of Table 1)")
        out.append((int(r), float(epi.noise.weight.detach().float().square().mean().sqrt())))
    return out


def draw_noise_strengths(G, ax=None):
    """Bar chart of :func:`noise_strengths`, one bar per layer, coloured by group (coarse / fine
    of ``latent.noise_groups``)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 2.6))
    values = noise_strengths(G)
    colours = {"coarse": "#4477aa", "fine": "#228833"}
    group_of = {i: g for g, r in noise_groups(G.synthesis.num_layers).items() for i in r}
    for i, (r, v) in enumerate(values):
        ax.bar(i, v, color=colours[group_of[i]], label=group_of[i])
    handles, labels = ax.get_legend_handles_labels()
    uniq = dict(zip(labels, handles))
    ax.legend(uniq.values(), uniq.keys(), fontsize=8, frameon=False)
    ax.set_xticks(range(len(values)), [f"{i}\n{r}²" for i, (r, _) in enumerate(values)], fontsize=8)
    ax.set_xlabel("layer (resolution)")
    ax.set_ylabel("RMS of B")
    return ax


# ------------------------------------------------------------------------------------------
# The widget
# ------------------------------------------------------------------------------------------
@torch.no_grad()
def noise_image(G, seed: int, groups: Iterable[str] = GROUPS,
                strength: float = 1.0, noise_seed: int = 0, truncation_psi: float = 1.0,
                truncation_cutoff: int | None = None, upscale: int = 4) -> np.ndarray:
    """The picture behind the noise widget: seed's image with noise only in the layers of
    ``groups`` (any of "coarse", "fine", "all"), the noise images multiplied by ``strength``.
    uint8 [R·upscale, R·upscale, 3]."""
    ws = ws_from_seeds(G, [int(seed)], truncation_psi, truncation_cutoff)
    noise = layer_noise(G, noise_layers(G, groups), noise_seed=noise_seed, strength=strength)
    return enlarge(to_hwc(G.synthesis(ws, noise=noise))[0], upscale)


def noise_widget(G, seed: int = 0, truncation_psi: float = 1.0, truncation_cutoff: int | None = None):
    """Check boxes for the coarse / fine noise (Figure 5's split), sliders for the noise
    strength, the noise seed and the image seed, showing :func:`noise_image`."""
    import ipywidgets as W

    boxes = {g: W.Checkbox(value=True, description=f"{g} ({layers_label(G, noise_layers(G, [g]))})",
                           indent=False) for g in GROUPS}
    strength = W.FloatSlider(value=1.0, min=0.0, max=5.0, step=0.25, description="strength")
    noise_seed = W.IntSlider(value=0, min=0, max=99, description="noise seed")
    seed_w = W.IntSlider(value=seed, min=0, max=999, description="seed")
    panels = ImagePanels(2, figsize=(5, 2.6))

    @lru_cache(maxsize=16)
    def without_noise(s):     # depends on the seed only
        return noise_image(G, s, (), 0.0, 0, truncation_psi, truncation_cutoff)

    def draw():
        on = [g for g, b in boxes.items() if b.value]
        with_noise = noise_image(G, seed_w.value, on, strength.value, noise_seed.value, truncation_psi,
                                 truncation_cutoff)
        return panels.show([with_noise, without_noise(seed_w.value)],
                           [f"noise in: {', '.join(on) or 'no layers'}", "no noise"])

    return figure_widget([list(boxes.values()), [strength, noise_seed, seed_w]], draw)
