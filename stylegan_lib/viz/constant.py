"""Chapter 4, the learned constant input — the figures and the widget behind them.

* :func:`constant_tensor`, :func:`constant_summary`, :func:`draw_constant`: what the learned
  4×4×C constant looks like.
* :func:`stage_maps`, :func:`pca_rgb`, :func:`spatial_agreement`, :func:`draw_layer_pca`:
  what it encodes — the first layers' feature maps for several seeds, their three main
  components as colours, and how much of the spatial pattern the seeds share, layer by layer.
* :func:`constant_variants`, :func:`replaced_constant`, :func:`synthesize_with_constant`,
  :func:`constant_image`: the widget that swaps the constant for something else (mirrored,
  shifted, flat, …) and blends between the two.
"""
from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from functools import lru_cache

import numpy as np
import torch

from ..images import enlarge, image_grid, to_hwc
from ..latent import lerp, ws_from_seeds
from .adain import layer_names
from .widgets import ImagePanels, figure_widget

VARIANTS = ("learned", "mirrored", "shifted", "shuffled", "flat", "initial (ones)", "random")


def constant_tensor(G) -> torch.Tensor:
    """The learned constant of the 4×4 block, [C, 4, 4] on the CPU."""
    const = getattr(G.synthesis.blocks["b4"], "const", None)
    if const is None:
        raise ValueError("this generator has no learned constant: its first layer reads the latent "
                         "(the traditional input of configurations A–C); use a configuration D–F model")
    return const.detach()[0].float().cpu()


def constant_summary(G) -> dict:
    """Numbers about the constant: its shape, overall mean and std, how far it moved from its
    initial value (all ones), and each channel's spatial standard deviation (0: a flat map,
    which instance norm turns into zeros)."""
    c = constant_tensor(G)
    spatial_std = c.flatten(1).std(1, unbiased=False)
    return dict(shape=tuple(c.shape), mean=float(c.mean()), std=float(c.std(unbiased=False)),
                change_from_init=float((c - 1).norm() / torch.ones_like(c).norm()),
                spatial_std=spatial_std.numpy(), flat_channels=int((spatial_std < 1e-6).sum()))


def pca_rgb(maps: torch.Tensor, num_components: int = 3) -> np.ndarray:
    """Feature maps [N, C, H, W] → colours [N, H, W, 3] in [0, 1]: the three principal
    components of the C-dimensional feature vectors of all N·H·W positions (computed together,
    so equal colours mean similar features across images). Components are signed so that their
    largest loading is positive, and scaled by their 1st–99th percentiles."""
    n, c, h, w = maps.shape
    x = maps.double().permute(0, 2, 3, 1).reshape(-1, c)
    x = x - x.mean(0)
    k = min(num_components, c)
    if not bool(x.abs().max() > 0):
        return np.full((n, h, w, 3), 0.5)
    # Principal axes = eigenvectors of the C × C covariance, largest eigenvalues first.
    _, vecs = torch.linalg.eigh(x.T @ x)
    vt = vecs[:, -k:].flip(1).T  # [k, C]
    vt = vt * torch.sign(vt[torch.arange(k), vt.abs().argmax(1)])[:, None]
    y = x @ vt.T
    q = torch.quantile(y, torch.tensor([0.01, 0.99], dtype=y.dtype), dim=0)
    span = q[1] - q[0]
    y = ((y - q[0]) / torch.where(span > 1e-12, span, torch.ones_like(span))).clamp(0, 1).numpy()
    if k < 3:
        y = np.concatenate([y, np.full((len(y), 3 - k), 0.5)], 1)
    return y.reshape(n, h, w, 3)


def draw_constant(G, num_channels: int = 32):
    """Left: the ``num_channels`` channels of the constant with the most spatial structure (one
    colour scale); middle: its three principal components as colours; right: how structured
    each channel is (spatial std)."""
    import matplotlib.pyplot as plt

    c = constant_tensor(G)
    s = constant_summary(G)
    order = np.argsort(s["spatial_std"])[::-1][:num_channels]
    cols = 8
    rows = int(np.ceil(len(order) / cols))
    grid = np.full((rows * 5 + 1, cols * 5 + 1), np.nan)
    for k, ch in enumerate(order):
        r, q = divmod(k, cols)
        m = c[ch].numpy()
        grid[1 + 5 * r:5 + 5 * r, 1 + 5 * q:5 + 5 * q] = m - m.mean()
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.4), gridspec_kw=dict(width_ratios=[2.2, 1, 1.3]))
    lim = float(np.nanmax(np.abs(grid))) if np.isfinite(grid).any() and np.nanmax(np.abs(grid)) > 0 else 1.0
    im = axes[0].imshow(grid, cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
    axes[0].set_title(f"{len(order)} most structured of {c.shape[0]} channels (minus their mean)", fontsize=9)
    axes[0].set_axis_off()
    fig.colorbar(im, ax=axes[0], fraction=0.03)
    axes[1].imshow(pca_rgb(c[None])[0], interpolation="nearest")
    axes[1].set_title("3 principal components as RGB", fontsize=9)
    axes[1].set_axis_off()
    axes[2].hist(s["spatial_std"], bins=30)
    axes[2].set_xlabel("spatial std of a channel")
    axes[2].set_ylabel("channels")
    axes[2].set_title(f"{s['flat_channels']} flat channels", fontsize=9)
    fig.suptitle(f"the learned constant, {tuple(c.shape)}: mean {s['mean']:.2f}, std {s['std']:.2f}",
                 fontsize=10)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------
# What the first layers make of it.
# ------------------------------------------------------------------------------------------
@torch.no_grad()
def stage_maps(G, seeds: Sequence[int], stage: str = "norm", noise_mode: str = "const",
               layers: Sequence[str] | None = None, max_resolution: int | None = None) -> dict[str, torch.Tensor]:
    """Many layers, one stage (``adain.layer_stages``: one layer, every stage). {layer name: its
    maps at ``stage`` ("conv", "noise", "act", "norm", "style") for every seed, [N, C, H, W] on
    the CPU}, for ``layers`` (default: every layer up to
    ``max_resolution``, default all). Layers above the highest one asked for are not computed
    (the synthesis stops there, like progressive growing's level of detail), which keeps a
    1024² model's memory in check."""
    names = layer_names(G)
    if layers is None:
        layers = [n for n in names if max_resolution is None or _res(n) <= max_resolution]
    unknown = [n for n in layers if n not in names]
    if unknown:
        raise ValueError(f"unknown layers {unknown}; layers are {', '.join(names)}")
    if not layers:
        raise ValueError(f"no layer up to resolution {max_resolution}")
    lod = int(np.log2(G.img_resolution)) - int(np.log2(max(_res(n) for n in layers)))
    ws = ws_from_seeds(G, seeds)
    _, feats = G.synthesis(ws, noise_mode=noise_mode, lod=float(lod), return_features=True)
    missing = [n for n in layers if f"{n}/{stage}" not in feats]
    if missing:
        raise ValueError(f"no feature maps {missing} at stage {stage!r}; "
                         f"available: {sorted({k.rsplit('/', 1)[1] for k in feats if k.count('/') == 2})}")
    return {n: feats[f"{n}/{stage}"].cpu() for n in layers}


def _res(layer_name: str) -> int:
    return int(layer_name.split("/")[0][1:])


def spatial_agreement(maps: torch.Tensor) -> float:
    """How much of the spatial pattern different images share at one layer: the correlation over
    H×W between the same channel of two images, averaged over channels and over all pairs of
    images. 1: every image has the same pattern in every channel (only the statistics differ);
    0: unrelated patterns. Flat maps are left out; NaN if every map is flat."""
    x = maps.double()
    x = x - x.mean(dim=(2, 3), keepdim=True)
    norm = x.square().sum(dim=(2, 3)).sqrt()
    ok = norm > 1e-9 * max(1.0, float(norm.max()))
    u = torch.where(ok[..., None, None], x / norm.clamp_min(1e-300)[..., None, None], torch.zeros_like(x))
    vals = []
    for i in range(len(x)):
        for j in range(i + 1, len(x)):
            both = ok[i] & ok[j]
            if both.any():
                vals.append((u[i] * u[j]).sum(dim=(1, 2))[both])
    return float(torch.cat(vals).mean()) if vals else float("nan")


def agreement_by_layer(G, seeds: Sequence[int], stage: str = "norm", noise_mode: str = "const",
                       max_resolution: int | None = None) -> dict[str, float]:
    """:func:`spatial_agreement` of every layer up to ``max_resolution``, for the images of ``seeds``."""
    feats = stage_maps(G, seeds, stage, noise_mode, max_resolution=max_resolution)
    return {name: spatial_agreement(m) for name, m in feats.items()}


def draw_layer_pca(G, seeds: Sequence[int], layers: Sequence[str] | None = None, stage: str = "norm",
                   noise_mode: str = "const", max_resolution: int | None = None):
    """Rows: seeds; columns: layers (their maps' principal components as colours, computed over
    all seeds together), then the image. Equal colours in a column = equal features."""
    import matplotlib.pyplot as plt

    feats = stage_maps(G, seeds, stage, noise_mode, layers, max_resolution)
    names = list(feats)
    images = to_hwc(_images(G, seeds, noise_mode))
    fig, axes = plt.subplots(len(seeds), len(names) + 1, figsize=(1.45 * (len(names) + 1), 1.5 * len(seeds) + 0.5),
                             squeeze=False)
    for j, name in enumerate(names):
        rgb = pca_rgb(feats[name])
        agree = spatial_agreement(feats[name])
        for i in range(len(seeds)):
            axes[i, j].imshow(rgb[i], interpolation="nearest")
        axes[0, j].set_title(f"{name}\nagreement " + ("n/a" if np.isnan(agree) else f"{agree:.2f}"), fontsize=8)
    for i, s in enumerate(seeds):
        axes[i, -1].imshow(images[i], interpolation="nearest")
        axes[i, 0].set_ylabel(f"seed {s}", fontsize=8)
    axes[0, -1].set_title("image", fontsize=8)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig


@torch.no_grad()
def _images(G, seeds, noise_mode="const", **kw):
    return G.synthesis(ws_from_seeds(G, seeds), noise_mode=noise_mode, **kw).cpu()


# ------------------------------------------------------------------------------------------
# Replacing the constant (the widget).
# ------------------------------------------------------------------------------------------
def constant_variants(G, seed: int = 0) -> dict[str, torch.Tensor]:
    """Alternatives to the learned constant, each [C, 4, 4]:

    * "learned": the constant itself;  "mirrored": flipped left–right;
    * "shifted": rolled one position to the right (wrapping around);
    * "shuffled": its 16 positions permuted (the same permutation for every channel);
    * "flat": every channel replaced by its spatial mean (instance norm turns it into zeros);
    * "initial (ones)": the value before training;
    * "random": Gaussian noise with the constant's mean and std per channel.
    """
    c = constant_tensor(G)
    gen = torch.Generator().manual_seed(seed)
    perm = torch.randperm(16, generator=gen)
    mean = c.mean(dim=(1, 2), keepdim=True)
    std = c.flatten(1).std(1, unbiased=False)[:, None, None]
    return {
        "learned": c,
        "mirrored": c.flip(2),
        "shifted": c.roll(1, dims=2),
        "shuffled": c.flatten(1)[:, perm].reshape(c.shape),
        "flat": mean.expand_as(c).clone(),
        "initial (ones)": torch.ones_like(c),
        "random": mean + std * torch.randn(c.shape, generator=gen),
    }


@contextmanager
def replaced_constant(G, new_constant: torch.Tensor):
    """Inside the ``with`` block the 4×4 block starts from ``new_constant`` ([C, 4, 4]) instead of
    the learned constant (a forward pre-hook on its first epilogue; removed on exit)."""
    c = constant_tensor(G)
    if tuple(new_constant.shape) != tuple(c.shape):
        raise ValueError(f"the new constant must have shape {tuple(c.shape)}, got {tuple(new_constant.shape)}")
    epi = G.synthesis.blocks["b4"].epi0

    def pre_hook(_module, args, kwargs):
        x = args[0]
        x = new_constant.to(device=x.device, dtype=x.dtype)[None].expand_as(x)
        return (x, *args[1:]), kwargs

    handle = epi.register_forward_pre_hook(pre_hook, with_kwargs=True)
    try:
        yield
    finally:
        handle.remove()


@torch.no_grad()
def synthesize_with_constant(G, ws: torch.Tensor, new_constant: torch.Tensor, alpha: float = 1.0,
                             noise_mode: str = "const", return_features: bool = False):
    r"""Images of ``ws`` when the synthesis starts from

    .. math::  \text{const}' = \operatorname{lerp}(\text{const}, \text{new}; \alpha)

    (α = 0: the learned constant, α = 1: the new one). Returned on the CPU."""
    c = constant_tensor(G)
    if tuple(new_constant.shape) != tuple(c.shape):
        raise ValueError(f"the new constant must have shape {tuple(c.shape)}, got {tuple(new_constant.shape)}")
    blend = lerp(c, new_constant.float().cpu(), float(alpha))
    with replaced_constant(G, blend):
        out = G.synthesis(ws.to(G.device), noise_mode=noise_mode, return_features=return_features)
    if return_features:
        return out[0].cpu(), {k: v.cpu() for k, v in out[1].items()}
    return out.cpu()


def constant_image(G, seed: int, variant: str = "learned", alpha: float = 1.0, upscale: int = 4) -> np.ndarray:
    """The picture behind the widget: uint8 [R·upscale, R·upscale, 3]."""
    variants = constant_variants(G)
    if variant not in variants:
        raise ValueError(f"variant must be one of {list(variants)}, got {variant!r}")
    img = to_hwc(synthesize_with_constant(G, ws_from_seeds(G, [int(seed)]), variants[variant], alpha))[0]
    return enlarge(img, upscale)


def variants_grid(G, seeds: Sequence[int], variants: Sequence[str] = VARIANTS) -> np.ndarray:
    """The static version of the widget: rows = seeds, columns = variants (α = 1); uint8 grid."""
    alts = constant_variants(G)
    ws = ws_from_seeds(G, seeds)
    cols = [synthesize_with_constant(G, ws, alts[v]) for v in variants]
    imgs = torch.stack(cols, 1).reshape(-1, *cols[0].shape[1:])
    return image_grid(imgs, ncols=len(variants))


def constant_widget(G, seed: int = 0, variant: str = "mirrored", alpha: float = 1.0):
    """Seed, the replacement and the blend α."""
    import ipywidgets as W

    seed_w = W.IntSlider(value=seed, min=0, max=999, description="seed")
    var_w = W.Dropdown(options=list(VARIANTS), value=variant, description="constant")
    alpha_w = W.FloatSlider(value=alpha, min=0.0, max=1.0, step=0.05, description="α")
    panels = ImagePanels(2, figsize=(5, 2.7))
    learned = lru_cache(maxsize=16)(lambda s: constant_image(G, s, "learned"))   # depends on the seed only

    def draw():
        return panels.show([learned(seed_w.value), constant_image(G, seed_w.value, var_w.value, alpha_w.value)],
                           ["learned constant", f"{var_w.value}, α = {alpha_w.value:g}"])

    return figure_widget([[seed_w, var_w, alpha_w]], draw)
