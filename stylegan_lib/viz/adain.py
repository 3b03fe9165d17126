"""Chapter 3, AdaIN and styles — the figures and the widget behind them.

* :func:`layer_stages`: one layer's feature maps before instance norm ("act"), after it
  ("norm") and after the style modulation ("style"), with the styles (y_s, y_b) that A(w) made.
* :func:`channel_statistics` / :func:`draw_channel_statistics`: per-channel means and standard
  deviations at the three stages — after AdaIN they are exactly (y_b, |y_s + 1|).
* :func:`draw_feature_maps`: the maps themselves, before and after.
* :func:`style_vs_noise`: a new style for one layer changes each channel by a spatially
  uniform scale and shift (correlation ±1 with the old map); new noise changes it pixel by pixel.
  :func:`distant_seed` picks the seed of the new style.
* :func:`modified_style`, :func:`scale_style_channel`, :func:`channel_influence` and
  :func:`style_channel_image`: the widget that scales one style channel;
  :func:`style_channel_sweep` and :func:`channels_off`: its static figures.

Layers are numbered like the style inputs: layer i is the i-th convolution of the synthesis
network, named "b<res>/layer<0|1>", and reads ws[:, i].
"""
from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from functools import lru_cache

import numpy as np
import torch

from ..images import enlarge, to_hwc
from ..latent import ws_from_seeds, z_from_seeds
from .mapping import map_z
from .widgets import ImagePanels, figure_widget

STAGES = ("act", "norm", "style")
STAGE_LABELS = {"act": "before instance norm", "norm": "after instance norm",
                "style": "after AdaIN: norm · (y_s + 1) + y_b"}


def layer_names(G) -> list[str]:
    """"b4/layer0", "b4/layer1", "b8/layer0", … — one per style input."""
    return [f"b{r}/layer{i % 2}" for i, r in enumerate(G.synthesis.layer_resolutions())]


def layer_index(G, layer: int | str) -> int:
    """The index of a layer given by index or name, with a clear error."""
    names = layer_names(G)
    if isinstance(layer, str):
        if layer not in names:
            raise ValueError(f"unknown layer {layer!r}; layers are {', '.join(names)}")
        return names.index(layer)
    if not 0 <= int(layer) < len(names):
        raise ValueError(f"layer must be in [0, {len(names) - 1}], got {layer}")
    return int(layer)


def _epilogue(G, layer: int | str):
    epi = G.synthesis.epilogues()[layer_index(G, layer)]
    if epi.style is None:
        raise ValueError("this generator has no styles (the traditional generator of Figure 1a)")
    return epi


@torch.no_grad()
def layer_stages(G, ws: torch.Tensor, layer: int | str, noise_mode: str = "const",
                 noise: list | None = None) -> dict:
    """One layer, three stages. {"act", "norm", "style": [N, C, H, W], "y_s", "y_b": [N, C],
    "image": [N, 3, R, R], "layer": name}, all on the CPU."""
    i = layer_index(G, layer)
    name = layer_names(G)[i]
    ws = ws.to(G.device)
    img, feats = G.synthesis(ws, noise_mode=noise_mode, noise=noise, return_features=True)
    y_s, y_b = _epilogue(G, i).style.styles(ws[:, i])
    out = {stage: feats[f"{name}/{stage}"].cpu() for stage in STAGES}
    out.update(y_s=y_s.cpu(), y_b=y_b.cpu(), image=img.cpu(), layer=name)
    return out


def channel_statistics(feats: dict) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    r"""Per-channel spatial mean μ(x_i) and standard deviation σ(x_i) (as instance norm
    computes them) at each stage: {stage: (mean [N, C], std [N, C])}."""
    out = {}
    for stage in STAGES:
        x = feats[stage].double()
        mean = x.mean(dim=(2, 3))
        std = (x - mean[..., None, None]).square().mean(dim=(2, 3)).sqrt()
        out[stage] = (mean.numpy(), std.numpy())
    return out


def draw_channel_statistics(feats: dict, image: int = 0):
    """Three panels, one point per channel: (mean, std) before norm, after norm, after AdaIN —
    with the styles' prediction (y_b, |y_s + 1|) drawn over the last."""
    import matplotlib.pyplot as plt

    stats = channel_statistics(feats)
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.4))
    for ax, stage in zip(axes, STAGES):
        mean, std = stats[stage]
        ax.scatter(mean[image], std[image], s=12, alpha=0.8, label="measured")
        ax.set_xlabel("channel mean μ")
        ax.set_ylabel("channel std σ")
        ax.set_title(STAGE_LABELS[stage], fontsize=9)
    y_b = feats["y_b"][image].numpy()
    y_s1 = (feats["y_s"][image] + 1).abs().numpy()
    axes[2].scatter(y_b, y_s1, s=40, marker="x", color="C3", alpha=0.7, label="(y_b, |y_s + 1|) from A(w)")
    axes[2].legend(fontsize=8)
    axes[1].set_xlim(-1, 1)
    axes[1].set_ylim(-0.1, 1.5)
    fig.suptitle(f"{feats['layer']}: one point per channel ({feats['act'].shape[1]} channels)", fontsize=10)
    fig.tight_layout()
    return fig


def draw_feature_maps(feats: dict, channels: Sequence[int], image: int = 0):
    """Rows: the three stages; columns: channels. One colour scale per row, so AdaIN's
    per-channel contrast and offset stay visible."""
    import matplotlib.pyplot as plt

    k = len(channels)
    fig, axes = plt.subplots(3, k, figsize=(1.5 * k + 1.2, 5.0), squeeze=False)
    for r, stage in enumerate(STAGES):
        maps = feats[stage][image, list(channels)].numpy()
        lim = float(np.abs(maps).max()) or 1.0
        for c, ch in enumerate(channels):
            ax = axes[r, c]
            im = ax.imshow(maps[c], cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            m = maps[c]
            ax.set_xlabel(f"μ={m.mean():.2f} σ={m.std():.2f}", fontsize=7)
            if r == 0:
                ax.set_title(f"channel {ch}", fontsize=9)
        axes[r, 0].set_ylabel(stage, fontsize=9)
        fig.colorbar(im, ax=list(axes[r]), fraction=0.02, pad=0.01)
    fig.suptitle(f"{feats['layer']}: feature maps before and after AdaIN", fontsize=10)
    return fig


def _corr(a: torch.Tensor, b: torch.Tensor) -> np.ndarray:
    """Pearson correlation over H×W of each channel of a and b ([N, C, H, W] → [N, C]); NaN
    where a map is flat."""
    a = a.double() - a.double().mean(dim=(2, 3), keepdim=True)
    b = b.double() - b.double().mean(dim=(2, 3), keepdim=True)
    den = (a.square().sum((2, 3)) * b.square().sum((2, 3))).sqrt()
    c = (a * b).sum((2, 3)) / den
    return torch.where(den > 1e-12, c, torch.full_like(c, float("nan"))).numpy()


def distant_seed(G, seed: int, candidates: Sequence[int] | None = None) -> int:
    """Of ``candidates`` (default: the 16 seeds after ``seed``), the one whose w is farthest
    from the w of ``seed``, ‖f(z_other) − f(z_seed)‖₂: a clearly different style, whatever the
    model (two neighbouring seeds can map to near twins)."""
    candidates = list(range(seed + 1, seed + 17)) if candidates is None else [int(c) for c in candidates]
    candidates = [c for c in candidates if c != seed]
    if not candidates:
        raise ValueError("distant_seed needs at least one candidate seed other than seed")
    w = map_z(G, z_from_seeds([seed] + candidates, G.z_dim))
    return candidates[int((w[1:] - w[:1]).norm(dim=1).argmax())]


@torch.no_grad()
def style_vs_noise(G, seed: int, layer: int | str, other_seed: int | None = None,
                   noise_seed: int = 0) -> dict:
    """Change one layer's input two ways and compare that layer's output with the original:

    * "style": from that layer on, the style inputs take the w of ``other_seed`` (default:
      :func:`distant_seed`); the layers before keep theirs, so the layer's own input is
      unchanged and only its styles (y_s, y_b) differ, while the image shows what new styles
      at this scale and finer do (one fine layer alone barely shows in the image);
    * "noise": that layer gets a fresh noise image (``noise_seed``) instead of the stored one.

    Returns {"base", "style", "noise": layer_stages(...), "corr_style", "corr_noise":
    per-channel correlation [C] of the changed "style"-stage maps with the original ones,
    "other_seed"}. A new style can only rescale and shift each normalised map: |correlation|
    = 1. New noise moves things around inside the map: correlation below 1 wherever the noise
    strength is not 0.
    """
    i = layer_index(G, layer)
    other_seed = distant_seed(G, seed) if other_seed is None else int(other_seed)
    ws = ws_from_seeds(G, [seed, other_seed])
    ws_base = ws[:1]
    ws_style = ws_base.clone()
    ws_style[:, i:] = ws[1:, i:]
    noise = G.synthesis.make_noise_inputs(1, seed=noise_seed, layers=[i])
    base = layer_stages(G, ws_base, i)
    style = layer_stages(G, ws_style, i)
    noisy = layer_stages(G, ws_base, i, noise=noise)
    return dict(base=base, style=style, noise=noisy, layer=base["layer"], other_seed=other_seed,
                corr_style=_corr(base["style"], style["style"])[0],
                corr_noise=_corr(base["style"], noisy["style"])[0])


def decorrelation(corr: np.ndarray) -> np.ndarray:
    """1 − |correlation| per channel (flat maps left out): 0 when a map only changed by a
    scale and a shift, larger the more its pattern changed."""
    c = corr[np.isfinite(corr)]
    return 1.0 - np.abs(c)


def draw_style_vs_noise(result: dict, channels: Sequence[int]):
    """Rows: the original maps, after a new style, after new noise, and the change the noise made
    (own colour scale). Right: 1 − |correlation| with the original map per channel, for both
    changes (log scale; the style's values are float rounding), and the images."""
    import matplotlib.pyplot as plt

    k = len(channels)
    fig = plt.figure(figsize=(1.45 * k + 5.8, 5.8))
    gs = fig.add_gridspec(4, k + 3, width_ratios=[1] * k + [0.5, 2.4, 1.1], wspace=0.15, hspace=0.3)
    base = result["base"]["style"][0, list(channels)].numpy()
    lim = float(np.abs(base).max()) or 1.0
    noise_diff = result["noise"]["style"][0, list(channels)].numpy() - base
    dlim = float(np.abs(noise_diff).max()) or 1.0
    rows = (("base", "original"), ("style", f"new style y\n(seed {result['other_seed']})"),
            ("noise", "new noise"), ("diff", "noise change"))
    for r, (key, label) in enumerate(rows):
        maps = noise_diff if key == "diff" else result[key]["style"][0, list(channels)].numpy()
        vlim = dlim if key == "diff" else lim
        for c in range(k):
            ax = fig.add_subplot(gs[r, c])
            ax.imshow(maps[c], cmap="RdBu_r", vmin=-vlim, vmax=vlim, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if r == 0:
                ax.set_title(f"channel {channels[c]}", fontsize=8)
            if c == 0:
                ax.set_ylabel(label if key != "diff" else f"{label}\n(±{dlim:.2g})", fontsize=9)
        if key != "diff":
            ax_img = fig.add_subplot(gs[r, k + 2])
            ax_img.imshow(to_hwc(result[key]["image"])[0], interpolation="nearest")
            ax_img.set_axis_off()
            if r == 0:
                ax_img.set_title("image", fontsize=8)
    ax = fig.add_subplot(gs[:, k + 1])
    vals = {label: np.clip(decorrelation(result[key]), 1e-9, 1.0)
            for key, label in (("corr_style", "new style"), ("corr_noise", "new noise"))}
    bins = np.logspace(-9, 0, 37)
    for (label, v), colour in zip(vals.items(), ("C0", "C3")):
        ax.hist(v, bins=bins, alpha=0.7, label=label, color=colour)
    ax.set_xscale("log")
    ax.set_xlabel("1 − |correlation| with the original map")
    ax.set_ylabel("channels")
    ax.legend(fontsize=8, loc="upper right")
    fig.suptitle(f"{result['layer']}: what a new style and new noise do to this layer's output", fontsize=10)
    return fig


def strongest_noise_layer(G) -> str:
    """The layer whose learned noise strengths B are largest on average (the first if no layer
    has noise)."""
    names = layer_names(G)
    strengths = [float(e.noise.weight.abs().mean()) if e.noise is not None else 0.0
                 for e in G.synthesis.epilogues()]
    return names[int(np.argmax(strengths))]


# ------------------------------------------------------------------------------------------
# Scaling one style channel (the widget).
# ------------------------------------------------------------------------------------------
@contextmanager
def modified_style(G, layer: int | str, channel, scale: float = 1.0, shift: float = 0.0):
    r"""Inside the ``with`` block, layer ``layer``'s AdaIN uses, for ``channel``,

    .. math::  y_s + 1 \;\to\; \text{scale}\cdot(y_s + 1), \qquad y_b \;\to\; y_b + \text{shift}

    so that channel's output has standard deviation |scale|·|y_s + 1| and mean y_b + shift, and
    every other channel is untouched. ``channel`` is an int, or a LongTensor [N] giving one
    channel per image of the batch. The model is restored on exit.
    """
    epi = _epilogue(G, layer)
    c = epi.channels

    def hook(_module, _inputs, y):
        y = y.clone()
        rows = torch.arange(y.shape[0], device=y.device)
        ch = torch.as_tensor(channel, device=y.device).expand(y.shape[0])
        if not ((0 <= ch) & (ch < c)).all():
            raise ValueError(f"channel must be in [0, {c - 1}], got {channel}")
        y[rows, ch] = (y[rows, ch] + 1) * scale - 1
        y[rows, c + ch] = y[rows, c + ch] + shift
        return y

    handle = epi.style.affine.register_forward_hook(hook)
    try:
        yield
    finally:
        handle.remove()


@torch.no_grad()
def scale_style_channel(G, ws: torch.Tensor, layer: int | str, channel: int, scale: float = 1.0,
                        shift: float = 0.0, noise_mode: str = "const") -> dict:
    """``layer_stages`` of ws with one style channel scaled and shifted (see
    :func:`modified_style`): the images and that layer's maps."""
    with modified_style(G, layer, channel, scale, shift):
        return layer_stages(G, ws, layer, noise_mode)


@torch.no_grad()
def channel_influence(G, ws: torch.Tensor, layer: int | str, scale: float = 0.0,
                      batch_size: int = 32) -> np.ndarray:
    """For every channel c of ``layer``: the mean absolute change of the image of ``ws`` (one
    image) when c's (y_s + 1) is multiplied by ``scale`` (0: the channel's contrast switched
    off). [C]. The most influential channels are a good start for the widget."""
    if ws.shape[0] != 1:
        raise ValueError(f"channel_influence takes the ws of one image, got {ws.shape[0]}")
    i = layer_index(G, layer)
    c = _epilogue(G, i).channels
    ws = ws.to(G.device)
    ref = G.synthesis(ws, noise_mode="const")
    out = []
    for s in range(0, c, batch_size):
        ch = torch.arange(s, min(s + batch_size, c), device=G.device)
        with modified_style(G, i, ch, scale):
            img = G.synthesis(ws.expand(len(ch), -1, -1), noise_mode="const")
        out.append((img - ref).abs().mean(dim=(1, 2, 3)).cpu())
    return torch.cat(out).numpy()


def style_channel_image(G, seed: int, layer: int | str, channel: int, scale: float = 1.0,
                        shift: float = 0.0, upscale: int = 4) -> np.ndarray:
    """The picture behind the widget: the image of ``seed`` with one style channel scaled and
    shifted, uint8 [R·upscale, R·upscale, 3]."""
    img = to_hwc(scale_style_channel(G, ws_from_seeds(G, [int(seed)]), layer, int(channel),
                                     scale, shift)["image"])[0]
    return enlarge(img, upscale)


def style_channel_sweep(G, seed: int, layer: int | str, channel: int,
                        scales: Sequence[float] = (-1.0, 0.0, 1.0, 2.0, 4.0)) -> dict:
    """The static version of the widget: {"scales", "images" [S, 3, R, R], "maps" [S, H, W]
    (the channel after AdaIN)}."""
    ws = ws_from_seeds(G, [int(seed)])
    runs = [scale_style_channel(G, ws, layer, channel, s) for s in scales]
    return dict(scales=list(scales), images=torch.cat([r["image"] for r in runs]),
                maps=torch.stack([r["style"][0, channel] for r in runs]), layer=runs[0]["layer"],
                channel=channel)


def draw_style_channel_sweep(sweep: dict):
    """Rows: the image at each scale; how much each pixel changed from scale 1 (the model's own
    style), mean |Δ| over RGB on one colour scale; the channel's map after AdaIN."""
    import matplotlib.pyplot as plt

    s = len(sweep["scales"])
    fig, axes = plt.subplots(3, s, figsize=(1.7 * s, 5.4), squeeze=False)
    lim = float(sweep["maps"].abs().max()) or 1.0
    ref = sweep["scales"].index(1.0) if 1.0 in sweep["scales"] else 0
    change = (sweep["images"] - sweep["images"][ref:ref + 1]).abs().mean(1)
    clim = float(change.max()) or 1.0
    for j, scale in enumerate(sweep["scales"]):
        axes[0, j].imshow(to_hwc(sweep["images"][j:j + 1])[0], interpolation="nearest")
        axes[0, j].set_title(f"scale {scale:g}", fontsize=9)
        axes[1, j].imshow(change[j].numpy(), cmap="magma", vmin=0, vmax=clim, interpolation="nearest")
        axes[2, j].imshow(sweep["maps"][j].numpy(), cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
        for ax in axes[:, j]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_ylabel("image", fontsize=9)
    axes[1, 0].set_ylabel(f"|change|\n(0 … {clim:.2f})", fontsize=9)
    axes[2, 0].set_ylabel(f"channel {sweep['channel']}", fontsize=9)
    fig.suptitle(f"{sweep['layer']}, channel {sweep['channel']}: (y_s + 1) × scale", fontsize=10)
    fig.tight_layout()
    return fig


def style_channel_widget(G, seed: int = 0, layer: int | str = 2, channel: int = 0):
    """Dropdown for the layer, sliders for the channel, its scale and its shift."""
    import ipywidgets as W

    names = layer_names(G)
    seed_w = W.IntSlider(value=seed, min=0, max=999, description="seed")
    layer_w = W.Dropdown(options=names, value=names[layer_index(G, layer)], description="layer")
    chan_w = W.IntSlider(value=channel, min=0, max=_epilogue(G, layer).channels - 1, description="channel")
    scale_w = W.FloatSlider(value=1.0, min=-3.0, max=6.0, step=0.25, description="scale")
    shift_w = W.FloatSlider(value=0.0, min=-4.0, max=4.0, step=0.25, description="shift")
    panels = ImagePanels(3, figsize=(7.5, 2.6), cmaps=[None, None, "RdBu_r"])

    @lru_cache(maxsize=16)
    def seed_ws(s):       # the seed's ws and its unmodified image: the same for every channel
        ws = ws_from_seeds(G, [s])
        return ws, to_hwc(layer_stages(G, ws, layer_w.value)["image"])[0]

    def fit_channel_slider(_change):
        chan_w.max = _epilogue(G, layer_w.value).channels - 1

    def draw():
        ws, original = seed_ws(seed_w.value)
        f = scale_style_channel(G, ws, layer_w.value, chan_w.value, scale_w.value, shift_w.value)
        m = f["style"][0, chan_w.value]
        return panels.show([original, to_hwc(f["image"])[0], m.numpy()],
                           ["original", f"channel {chan_w.value} × {scale_w.value:g}, + {shift_w.value:g}",
                            f"map: μ={m.mean():.2f} σ={m.std(unbiased=False):.2f}"])

    layer_w.observe(fit_channel_slider, "value")  # first: the channel is clipped before the redraw
    return figure_widget([[seed_w, layer_w], [chan_w, scale_w, shift_w]], draw)


def channels_off(G, seed: int, layer: int | str, channels: Sequence[int], scale: float = 0.0) -> dict:
    """The image of ``seed`` with each of ``channels`` scaled by ``scale`` in turn: {"original":
    [1, 3, R, R], "images": [K, 3, R, R], "change": mean |Δ| over RGB [K, R, R]}."""
    ws = ws_from_seeds(G, [int(seed)])
    original = layer_stages(G, ws, layer)["image"]
    images = torch.cat([scale_style_channel(G, ws, layer, int(c), scale)["image"] for c in channels])
    return dict(original=original, images=images, change=(images - original).abs().mean(1),
                channels=list(channels), layer=layer_names(G)[layer_index(G, layer)], scale=scale)


def draw_channels_off(result: dict):
    """Top: the original, then one channel scaled at a time; bottom: where the image changed."""
    import matplotlib.pyplot as plt

    k = len(result["channels"])
    fig, axes = plt.subplots(2, k + 1, figsize=(1.45 * (k + 1), 3.3), squeeze=False)
    clim = float(result["change"].max()) or 1.0
    axes[0, 0].imshow(to_hwc(result["original"])[0], interpolation="nearest")
    axes[0, 0].set_title("original", fontsize=8)
    for j, ch in enumerate(result["channels"]):
        axes[0, j + 1].imshow(to_hwc(result["images"][j:j + 1])[0], interpolation="nearest")
        axes[0, j + 1].set_title(f"channel {ch}", fontsize=8)
        axes[1, j + 1].imshow(result["change"][j].numpy(), cmap="magma", vmin=0, vmax=clim,
                              interpolation="nearest")
    axes[1, 0].text(0.5, 0.5, f"|change|\n0 … {clim:.2f}", ha="center", va="center", fontsize=8,
                    transform=axes[1, 0].transAxes)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    axes[1, 0].set_frame_on(False)
    fig.suptitle(f"{result['layer']}: one channel's (y_s + 1) × {result['scale']:g} at a time", fontsize=10)
    fig.tight_layout()
    return fig
