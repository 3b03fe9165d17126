"""The paper's figures 2, 3, 4, 5 and 8, rendered from an imported release generator
(``stylegan_lib.official``) with the seeds NVIDIA published for them (chapter 10).

The release draws each latent as ``numpy.random.RandomState(seed).randn(512)`` (Figure 2: one
RandomState(5) for all 81 latents): :func:`release_z` does the same, so with the real FFHQ file
the same seeds give the same people as the paper. Figures 3, 4, 5 and 8 are the book's figure
functions (``viz.mixing``, ``viz.noise``, ``viz.truncation``) handed these latents. Every function
returns tensors (on the CPU); ``draw_*`` functions lay them out with matplotlib.

Seeds and settings (from the release's figure script, as published facts):

========  ==============================================================================
Fig. 2    seed 5; a mosaic of columns at level of detail 0, 1, 2, 2, 3, 3 (3 rows at full
          size, 6 at half, …: 81 images); the release's default truncation ψ = 0.7 on the
          first 8 style inputs (4²–32²); fresh noise.
Fig. 3    top row seeds 639, 701, 687, 615, 2268; left column 888, 829, 1898, 1733, 1614,
          845; rows copy style inputs 0–3 (×3 rows), 4–7 (×2) and 8–17 (×1) from the top-row
          image into the left-column image; stored noise; no truncation.
Fig. 4    seeds 1157, 1012; 100 noise realisations; no truncation.
Fig. 5    seeds 1967, 1555; stored noise in layers 0–17 / none / 8–17 / 0–7.
Fig. 8    seeds 91, 388; ψ = 1, 0.7, 0.5, 0, −0.5, −1 on all style inputs; stored noise.
========  ==============================================================================
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ..images import to_hwc
from ..latent import layer_groups
from ..utils import progress_bar
from .grids import draw_image_table
from .mixing import style_mixing_figure
from .noise import figure5_panels, layer_noise, noise_panels, stochastic_variation
from .truncation import truncation_figure
from .widgets import ImagePanels, figure_widget

FIGURE2 = dict(seed=5, rows=3, lods=(0, 1, 2, 2, 3, 3))
FIGURE3 = dict(top_seeds=(639, 701, 687, 615, 2268), left_seeds=(888, 829, 1898, 1733, 1614, 845),
               groups=("coarse", "coarse", "coarse", "middle", "middle", "fine"))
FIGURE4 = dict(seeds=(1157, 1012), num_realisations=100)
FIGURE5 = dict(seeds=(1967, 1555), panels=("all", "none", "fine", "coarse"))
FIGURE8 = dict(seeds=(91, 388), psis=(1.0, 0.7, 0.5, 0.0, -0.5, -1.0))


def release_z(seeds: Sequence[int], z_dim: int = 512) -> torch.Tensor:
    """z_s = ``RandomState(s).randn(z_dim)`` for each seed, as the release draws them: [S, z_dim]."""
    return torch.from_numpy(np.stack([np.random.RandomState(int(s)).randn(z_dim) for s in seeds])).float()


# ------------------------------------------------------------------------------------------
# Figure 2: uncurated samples.
# ------------------------------------------------------------------------------------------
def figure2_images(G, seed: int = FIGURE2["seed"], rows: int = FIGURE2["rows"],
                   lods: Sequence[int] = FIGURE2["lods"], truncation_psi: float = 0.7,
                   truncation_cutoff: int | None = 8, noise_seed: int = 0) -> list[torch.Tensor]:
    """Figure 2's columns: column k holds rows·2^lods[k] images shrunk by 2^lods[k] (box filter).

    Latents: one ``RandomState(seed).randn(81, 512)`` in column order; w′ = w̄ + ψ(w − w̄) on the
    style inputs below ``truncation_cutoff`` (clipped to the generator's count); fresh noise from
    a torch generator seeded with ``noise_seed``."""
    counts = [rows * 2 ** lod for lod in lods]
    z = torch.from_numpy(np.random.RandomState(int(seed)).randn(sum(counts), G.z_dim)).float()
    cutoff = None if truncation_cutoff is None else min(int(truncation_cutoff), G.num_ws)
    with torch.no_grad():
        ws = G.mapping(z.to(G.device), truncation_psi=truncation_psi, truncation_cutoff=cutoff)
    gen = torch.Generator().manual_seed(int(noise_seed))
    noise_batches = [layer_noise(G, batch=len(ws[i:i + 8]), generator=gen) for i in range(0, len(ws), 8)]
    # A text bar when there are more than a couple of batches: rendering at 1024² takes a while.
    batches = progress_bar(list(enumerate(noise_batches)), len(noise_batches) > 2, desc="Figure 2", leave=False)
    with torch.no_grad():
        images = torch.cat([G.synthesis(ws[i * 8:(i + 1) * 8], noise=nb).cpu() for i, nb in batches])
    out, start = [], 0
    for lod, count in zip(lods, counts):
        imgs = images[start:start + count]
        out.append(F.avg_pool2d(imgs, 2 ** lod) if lod else imgs)
        start += count
    return out


def figure2_mosaic(columns: list[torch.Tensor]) -> torch.Tensor:
    """Stack each column's images vertically and the columns side by side: [3, H, W]."""
    return torch.cat([torch.cat(list(col), dim=1) for col in columns], dim=2)


# ------------------------------------------------------------------------------------------
# Figure 3: style mixing.
# ------------------------------------------------------------------------------------------
def style_ranges(G, groups: Sequence[str]) -> list[range]:
    """The style inputs of each named group ("coarse", "middle", "fine"; ``latent.layer_groups``)."""
    table = layer_groups(G.num_ws)
    return [table[g] for g in groups]


def figure3_images(G, top_seeds: Sequence[int] = FIGURE3["top_seeds"],
                   left_seeds: Sequence[int] = FIGURE3["left_seeds"],
                   groups: Sequence[str] = FIGURE3["groups"], noise_mode: str = "const") -> dict:
    """Figure 3: ``grid[r, c]`` = the left-column image r with its style inputs in
    ``groups[r]`` replaced by those of the top-row image c (``mixing.style_mixing_figure`` with
    the top row as sources A, the left column as sources B, B receiving). No truncation, stored
    noise."""
    if len(groups) != len(left_seeds):
        raise ValueError(f"one group per left-column seed: got {len(groups)} groups for {len(left_seeds)} seeds")
    grid = style_mixing_figure(G, top_seeds, left_seeds, groups, noise_mode=noise_mode,
                               z_a=release_z(top_seeds, G.z_dim), z_b=release_z(left_seeds, G.z_dim),
                               receiver="b")
    return {"top": grid.images_a, "left": grid.images_b, "grid": grid.cells, "ranges": style_ranges(G, groups),
            "groups": list(groups), "top_seeds": list(top_seeds), "left_seeds": list(left_seeds)}


def style_mixing_image(G, left_seed: int, top_seed: int, group: str = "coarse",
                       noise_mode: str = "const") -> torch.Tensor:
    """One cell of Figure 3 (the widget's picture): [1, 3, R, R]."""
    return figure3_images(G, [top_seed], [left_seed], [group], noise_mode)["grid"][0]


# ------------------------------------------------------------------------------------------
# Figure 4: stochastic variation; Figure 5: noise in some layers only.
# ------------------------------------------------------------------------------------------
def figure4_images(G, seeds: Sequence[int] = FIGURE4["seeds"],
                   num_realisations: int = FIGURE4["num_realisations"], noise_seed: int = 0,
                   num_shown: int = 3, batch_size: int = 10) -> dict:
    """Figure 4: each seed's w with ``num_realisations`` fresh noise draws
    (``noise.stochastic_variation``). Returns the first ``num_shown`` realisations
    [S, K, 3, R, R] and the per-pixel standard deviation over all of them of the grey value
    (mean over RGB) [S, R, R]."""
    res = stochastic_variation(G, seeds, num_realisations, num_shown, noise_seed, batch_size=batch_size,
                               progress=True, z=release_z(seeds, G.z_dim), std_of="grey")
    return {"seeds": list(seeds), "images": res.images, "std": res.std, "num_realisations": num_realisations}


def figure5_images(G, seeds: Sequence[int] = FIGURE5["seeds"], panels: Sequence[str] = FIGURE5["panels"]) -> dict:
    """Figure 5: the stored noise maps switched on in the panel's layers only (zero elsewhere); the
    panels' layers are ``noise.figure5_panels`` (``noise.noise_panels`` with the stored noise)."""
    layers = figure5_panels(G)
    res = noise_panels(G, seeds, {p: layers[p] for p in panels}, z=release_z(seeds, G.z_dim), noise_mode="const")
    return {"seeds": list(seeds), "panels": res.names, "layers": res.layers, "images": res.images}


# ------------------------------------------------------------------------------------------
# Figure 8: truncation.
# ------------------------------------------------------------------------------------------
def figure8_images(G, seeds: Sequence[int] = FIGURE8["seeds"], psis: Sequence[float] = FIGURE8["psis"]) -> dict:
    """Figure 8: w′ = w̄ + ψ(w − w̄) on every style input, stored noise: images [S, P, 3, R, R]
    (``truncation.truncation_figure``)."""
    res = truncation_figure(G, seeds, psis, z=release_z(seeds, G.z_dim))
    return {"seeds": list(seeds), "psis": res.psis, "images": res.images}


# ------------------------------------------------------------------------------------------
# Drawing.
# ------------------------------------------------------------------------------------------
def as_image(x: torch.Tensor) -> np.ndarray:
    """One image [3, H, W] (or [1, 3, H, W]) in [-1, 1] → uint8 [H, W, 3] for ``imshow``."""
    return to_hwc(x[None] if x.ndim == 3 else x)[0]


def _show(ax, x: torch.Tensor) -> None:
    """imshow one image: crisp pixels for small images, antialiased down-scaling for large ones."""
    img = as_image(x)
    ax.imshow(img, interpolation="nearest" if img.shape[0] <= 256 else "antialiased")


def _axes(fig, rows, cols):
    # Leave about 0.7 inch at the top for the title and the column titles.
    fig.subplots_adjust(left=0.06, right=0.99, bottom=0.01, top=1 - 0.7 / fig.get_figheight())
    axes = fig.subplots(rows, cols, squeeze=False, gridspec_kw=dict(wspace=0.03, hspace=0.03))
    for ax in axes.flat:
        ax.set_xticks([]), ax.set_yticks([])
    return axes


def draw_figure2(columns: list[torch.Tensor], title: str = ""):
    import matplotlib.pyplot as plt

    mosaic = figure2_mosaic(columns)
    h, w = mosaic.shape[1:]
    fig, ax = plt.subplots(figsize=(9, 9 * h / w + 0.4))
    ax.imshow(as_image(mosaic), interpolation="nearest" if mosaic.shape[1] <= 768 else "antialiased")
    ax.set_axis_off()
    ax.set_title(title or "Figure 2: uncurated samples (ψ = 0.7 on 4²–32²)", fontsize=10)
    return fig


def draw_figure3(result: dict, title: str = ""):
    import matplotlib.pyplot as plt

    R, C = result["grid"].shape[:2]
    fig = plt.figure(figsize=(1.5 * (C + 1), 1.45 * (R + 1) + 0.3))
    axes = _axes(fig, R + 1, C + 1)
    axes[0, 0].set_axis_off()
    for c in range(C):
        _show(axes[0, c + 1], result["top"][c])
        axes[0, c + 1].set_title(f"seed {result['top_seeds'][c]}", fontsize=8)
    for r in range(R):
        _show(axes[r + 1, 0], result["left"][r])
        rng = result["ranges"][r]
        axes[r + 1, 0].set_ylabel(f"{result['groups'][r]}\nw{rng.start}–{rng.stop - 1}", fontsize=8)
        for c in range(C):
            _show(axes[r + 1, c + 1], result["grid"][r, c])
    fig.suptitle(title or "Figure 3: style mixing (row image with the top image's styles in the row's range)",
                 fontsize=10)
    return fig


def draw_figure4(result: dict, title: str = ""):
    import matplotlib.pyplot as plt

    S, K = result["images"].shape[:2]
    fig = plt.figure(figsize=(1.8 * (K + 1), 1.9 * S + 0.4))
    axes = _axes(fig, S, K + 1)
    vmax = max(float(result["std"].max()), 1e-6)
    draw_image_table(axes, result["images"], [f"noise draw {k + 1}" for k in range(K)],
                     [f"seed {s}" for s in result["seeds"]], title_size=8, label_size=8)
    for s in range(S):
        axes[s, K].imshow(result["std"][s].numpy(), cmap="gray", vmin=0, vmax=vmax)
    axes[0, K].set_title(f"std over {result['num_realisations']}", fontsize=8)
    fig.suptitle(title or "Figure 4: stochastic variation", fontsize=10)
    return fig


def draw_figure5(result: dict, G=None, title: str = ""):
    import matplotlib.pyplot as plt

    S, P = result["images"].shape[:2]
    fig = plt.figure(figsize=(1.9 * P, 1.9 * S + 0.5))
    titles = [f"{panel} ({min(layers)}–{max(layers)})" if layers and panel != "all" else panel
              for panel, layers in zip(result["panels"], result["layers"])]
    draw_image_table(_axes(fig, S, P), result["images"], titles, [f"seed {s}" for s in result["seeds"]],
                     title_size=8, label_size=8)
    fig.suptitle(title or "Figure 5: noise in all / no / fine / coarse layers", fontsize=10)
    return fig


def draw_figure8(result: dict, title: str = ""):
    import matplotlib.pyplot as plt

    S, P = result["images"].shape[:2]
    fig = plt.figure(figsize=(1.6 * P, 1.7 * S + 0.4))
    draw_image_table(_axes(fig, S, P), result["images"], [f"ψ = {p:g}" for p in result["psis"]],
                     [f"seed {s}" for s in result["seeds"]], label_size=8)
    fig.suptitle(title or "Figure 8: the truncation trick", fontsize=10)
    return fig


def style_mixing_widget(G, left_seed: int = FIGURE3["left_seeds"][0], top_seed: int = FIGURE3["top_seeds"][0],
                        group: str = "coarse"):
    """Pick two release seeds and a group of styles: shows :func:`style_mixing_image` between
    the two source images."""
    import ipywidgets as W

    left_w = W.IntText(value=left_seed, description="left seed")
    top_w = W.IntText(value=top_seed, description="top seed")
    group_w = W.Dropdown(options=["coarse", "middle", "fine"], value=group, description="styles")
    panels = ImagePanels(3, figsize=(7, 2.5))

    def draw():
        res = figure3_images(G, [top_w.value], [left_w.value], [group_w.value])
        return panels.show([as_image(img) for img in (res["left"][0], res["grid"][0, 0], res["top"][0])],
                           ["left (receives)", f"mixed: {group_w.value}", "top (gives)"])

    return figure_widget([[left_w, top_w, group_w]], draw)
