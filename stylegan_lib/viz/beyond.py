"""Chapter 12, beyond StyleGAN1 — the figures of its artifacts.

* :func:`spike_profile` / :func:`plot_spike_profiles`: per layer, how much of a feature map's
  energy sits in its strongest pixel (:func:`stylegan_lib.artifacts.spike_share`), for several
  generators side by side, against a flat map (1 / H·W) and a map of independent Gaussian
  pixels (:func:`stylegan_lib.artifacts.gaussian_spike_share`).
* :func:`strongest_spike` / :func:`plot_spike` / :func:`plot_spikes`: the single most
  concentrated map of a layer, beside the image it belongs to, with the spike's position marked
  on both; several generators side by side.
* :func:`plot_sampling_plan`: StyleGAN3's filters — the cutoff, stopband and sampling rate of
  every layer, and the frequency response of one layer's filters against them.
* :func:`plot_path_averages`, :func:`path_widget`: texture sticking along a path in W — frames,
  their average and one column of pixels stacked frame after frame; the widget slides along the
  path (:func:`path_pictures` draws both).
* :func:`plot_input_translation`: StyleGAN3's input moved by sub-pixel steps, the average of the
  frames beside the average a perfectly equivariant generator would give
  (:func:`stylegan_lib.artifacts.input_translation_sticking`).
"""
from __future__ import annotations

import math
import re

import numpy as np
import torch

from ..artifacts import (endpoint_change, gaussian_spike_share, layer_spike_shares, sharpness, spike_share,
                         sticking_ratio)
from ..images import enlarge, to_hwc
from .widgets import ImagePanels, figure_widget


# ------------------------------------------------------------------------------------------
# Droplets: the spike profile.
# ------------------------------------------------------------------------------------------
def _layer_key(name: str) -> tuple[int, str]:
    """Sort key of a recorded layer name ("b32/layer0/act", "b32/conv1"): resolution, then name."""
    m = re.match(r"b(\d+)/", name)
    return (int(m.group(1)) if m else 0, name)


def layer_position(name: str) -> float:
    """Where a recorded layer goes on a spike profile's axis: 2·log2(res / 4) plus its slot at that
    resolution (0 for the first convolution, 1 for the second: StyleGAN1's ``layer0`` / ``layer1``,
    StyleGAN2's ``conv0`` / ``conv1``), so that the two generations' layers at one resolution line
    up. StyleGAN2 has nothing in slot 0 at 4², where StyleGAN1 normalises its constant."""
    res = _layer_key(name)[0]
    slot = re.search(r"(?:layer|conv)(\d)", name)
    if not res or slot is None:
        raise ValueError(f"cannot place layer {name!r}: expected names like 'b16/layer0/act' or 'b16/conv1'")
    return 2 * math.log2(res / 4) + int(slot.group(1))


def spike_profile(shares: dict[str, torch.Tensor], quantiles=(0.5, 0.99)) -> dict[str, dict[str, float]]:
    """Per layer (in the order the layers run): the given quantiles and the maximum of the
    spike shares over images and channels; a flat map's share 1 / (H·W) ("floor"); and the same
    quantiles for maps of independent Gaussian pixels of that size ("gauss_q50", …). The
    references need the resolution in the layer's name."""
    out = {}
    for name in sorted(shares, key=_layer_key):
        s = shares[name].flatten().float()
        res = _layer_key(name)[0]
        row = {f"q{round(q * 100)}": float(torch.quantile(s, q)) for q in quantiles}
        row.update(max=float(s.max()), floor=1.0 / (res * res) if res else float("nan"))
        row.update({f"gauss_q{round(q * 100)}": gaussian_spike_share(res, q) if res else float("nan")
                    for q in quantiles})
        out[name] = row
    return out


def plot_spike_profiles(profiles: dict[str, dict[str, dict[str, float]]], stat: str = "q99", ax=None):
    """One line per generator (``{label: spike_profile(...)}``): ``stat`` of the spike share per
    layer, log scale, the layers placed by :func:`layer_position` (labelled by resolution); a
    flat map's share dashed and, where the profile has it, the same statistic of independent
    Gaussian maps dotted."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 3.4))
    refs: dict[float, dict] = {}
    for i, (label, prof) in enumerate(profiles.items()):
        xs = [layer_position(n) for n in prof]
        ax.plot(xs, [row[stat] for row in prof.values()], "o-", color=f"C{i}", label=label)
        refs.update(zip(xs, prof.values()))
    xs = sorted(refs)
    ax.plot(xs, [refs[x]["floor"] for x in xs], "k--", lw=0.8, label="a flat map (1 / H·W)")
    if f"gauss_{stat}" in refs[xs[0]]:
        ax.plot(xs, [refs[x][f"gauss_{stat}"] for x in xs], "k:", lw=1.0,
                label=f"independent Gaussian pixels ({stat})")
    ax.set_xticks(xs, [f"{2 ** (2 + int(x) // 2)}²" for x in xs], fontsize=8)
    ax.set_yscale("log")
    ax.set_xlabel("layer (resolution; two per resolution)")
    ax.set_ylabel(f"energy share of the strongest pixel ({stat})")
    ax.legend(fontsize=8)
    ax.figure.tight_layout()
    return ax.figure


@torch.no_grad()
def strongest_spike(G, ws: torch.Tensor, layer: str, noise_mode: str = "const") -> dict:
    """The image, channel and map of ``layer`` (a name of :func:`layer_spike_shares`) whose
    strongest pixel holds the largest share of the map's energy, and that pixel's position."""
    images, features = G.synthesis(ws, noise_mode=noise_mode, return_features=True)
    if layer not in features:
        known = ", ".join(layer_spike_shares(G, ws[:1], noise_mode))
        raise ValueError(f"no layer {layer!r}; the layers the next normalisation sees are: {known}")
    fmap = features[layer].float()
    shares = spike_share(fmap)
    n, c = divmod(int(shares.argmax()), shares.shape[1])
    y, x = divmod(int(fmap[n, c].square().argmax()), fmap.shape[3])
    return {"image": images[n], "map": fmap[n, c], "index": n, "channel": c, "share": float(shares[n, c]),
            "yx": (y, x), "layer": layer}


def plot_spike(spike: dict, axes=None):
    """The image and the feature map of :func:`strongest_spike`, the spike circled on both."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(6, 3))
    img, fmap = to_hwc(spike["image"][None])[0], spike["map"].cpu().numpy()
    y, x = spike["yx"]
    scale = img.shape[0] / fmap.shape[0]
    axes[0].imshow(img, interpolation="nearest")
    axes[0].add_patch(plt.Circle(((x + 0.5) * scale - 0.5, (y + 0.5) * scale - 0.5), 1.5 * scale,
                                 fill=False, color="yellow", lw=1.5))
    axes[0].set_title(f"image {spike['index']}", fontsize=9)
    lim = float(np.abs(fmap).max()) or 1.0
    axes[1].imshow(fmap, cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
    axes[1].add_patch(plt.Circle((x, y), 1.5, fill=False, color="black", lw=1.5))
    axes[1].set_title(f"{spike['layer']}, channel {spike['channel']}:\n{spike['share']:.0%} of its energy "
                      "in one pixel", fontsize=9)
    for ax in axes:
        ax.set_axis_off()
    axes[0].figure.tight_layout()
    return axes[0].figure


def plot_spikes(spikes: dict[str, dict]):
    """:func:`plot_spike` for several generators (``{label: strongest_spike(...)}``): one column
    each, the image above its map, the label on top."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, len(spikes), figsize=(2.6 * len(spikes), 5.4), squeeze=False)
    for col, (label, spike) in enumerate(spikes.items()):
        plot_spike(spike, axes[:, col])
        axes[0, col].set_title(f"{label}\nimage {spike['index']}", fontsize=9)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------
# StyleGAN3's filters.
# ------------------------------------------------------------------------------------------
def _response_db(taps: torch.Tensor, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """|H(f)| in dB along x from 0 to fs/2; a 2-D (radial) filter along the f_y = 0 axis, which is
    the 1-D response of its column sums."""
    from ..stylegan3.filters import frequency_response

    f1 = taps.sum(0) if taps.ndim == 2 else taps
    freqs, mag = frequency_response(f1, fs)
    return freqs.numpy(), 20 * np.log10(np.maximum(mag.numpy(), 1e-6))


def plot_sampling_plan(G, layers=(0,), axes=None):
    """StyleGAN3's sampling plan (``G.synthesis.specs``) and some layers' filters.

    First panel: per layer, the cutoff f_c, the stopband f_t = f_c + f_h and the Nyquist
    frequency s/2 of its sampling rate (log scale; the paper's Figure 4c); critically sampled
    layers (f_c = s/2, the stopband above Nyquist) ringed. Then one panel per entry of ``layers``
    (0-based, as in ``G.synthesis.layers``): its upsampling and downsampling filters as the
    network holds them, |H| in dB against frequency at the rate the nonlinearity runs at, with
    the output's f_c, f_t and s/2 marked; what the down filter lets through above s/2 (grey)
    folds back as aliases."""
    import matplotlib.pyplot as plt

    specs = G.synthesis.specs
    layers = list(layers)
    for layer in layers:
        if not 0 <= layer < len(G.synthesis.layers):
            raise ValueError(f"layer must be in 0 … {len(G.synthesis.layers) - 1}, got {layer}")
    if axes is None:
        _, axes = plt.subplots(1, 1 + len(layers), figsize=(4.8 * (1 + len(layers)), 3.6))
    idx = np.arange(len(specs))
    cut = np.array([s["cutoff"] for s in specs])
    stop = cut + np.array([s["half_width"] for s in specs])
    nyq = np.array([s["rate"] / 2 for s in specs])
    ax = axes[0]
    ax.plot(idx, nyq, "s-", color="0.4", label="s/2 (Nyquist of the layer's rate)")
    ax.plot(idx, stop, "^-", color="C3", label="stopband f_t = f_c + f_h")
    ax.plot(idx, cut, "o-", color="C0", label="cutoff f_c")
    crit = np.array([s["critical"] for s in specs])
    ax.plot(idx[crit], cut[crit], "o", ms=11, mfc="none", color="k", label="critically sampled")
    ax.set_yscale("log", base=2)
    ax.set_xticks(idx, ["input"] + [str(i) for i in idx[1:]], fontsize=8)
    ax.set_xlabel("layer (output of)")
    ax.set_ylabel("frequency (cycles per image width)")
    ax.set_title(f"sampling plan, config {G.config.label}, {G.img_resolution}²", fontsize=10)
    ax.legend(fontsize=7)
    for ax, layer in zip(axes[1:], layers):
        nl = G.synthesis.layers[layer].nonlinearity
        out = specs[layer + 1]
        fs = specs[layer]["rate"] * nl.up
        for name, taps, color in (("upsampling filter", nl.up_filter, "C2"),
                                  ("downsampling filter", nl.down_filter, "C0")):
            if taps is not None:
                f, db = _response_db(taps.cpu(), fs)
                ax.plot(f, db, color=color, label=f"{name} ({'×'.join(map(str, taps.shape))} taps)")
        for x, style, label in ((out["cutoff"], "-", "f_c"), (out["cutoff"] + out["half_width"], "--", "f_t"),
                                (out["rate"] / 2, ":", "s/2 of the output")):
            ax.axvline(x, color="k", ls=style, lw=0.9, label=f"{label} = {x:.3g}")
        ax.axvspan(out["rate"] / 2, fs / 2, color="0.9", zorder=0)
        ax.set_ylim(-120, 10)
        ax.set_xlim(0, fs / 2)
        ax.set_xlabel(f"frequency (the nonlinearity runs at {fs:g} samples per width)")
        ax.set_ylabel("|H| (dB)")
        ax.set_title(f"layer {layer + 1} ({'critical' if out['critical'] else 'non-critical'}): its filters",
                     fontsize=10)
        ax.legend(fontsize=7, loc="lower left")
    fig = axes[0].figure
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------------------
# Texture sticking along a path in W.
# ------------------------------------------------------------------------------------------
def path_pictures(paths: dict[str, torch.Tensor], k: int, average: bool = False,
                  upscale: int = 1) -> list[np.ndarray]:
    """One picture per path (``{label: frames [T, C, H, W]}``, images in [−1, 1]): frame ``k``,
    or with ``average`` the mean of frames 0 … k, as uint8 [H·upscale, W·upscale, 3]. A path
    shorter than k + 1 frames shows its last frame (or mean)."""
    pictures = []
    for frames in paths.values():
        j = min(int(k), len(frames) - 1)
        img = frames[: j + 1].float().mean(0, keepdim=True) if average else frames[j:j + 1]
        pictures.append(enlarge(to_hwc(img)[0], upscale))
    return pictures


def column_stack(frames: torch.Tensor, column: int) -> np.ndarray:
    """One column of pixels of every frame, side by side: uint8 [H, T, 3]. Detail that moves
    with the content draws slanted lines; detail stuck to the pixel grid, horizontal ones."""
    if not 0 <= column < frames.shape[-1]:
        raise ValueError(f"column must be in 0 … {frames.shape[-1] - 1}, got {column}")
    return to_hwc(frames[..., column:column + 1].permute(3, 1, 2, 0))[0]


def plot_path_averages(paths: dict[str, torch.Tensor], column: int | None = None):
    """Texture sticking along a path, one row per path (``{label: frames [T, C, H, W]}``): the
    first, middle and last frames, the mean of all frames with its sticking ratio ρ
    (:func:`stylegan_lib.artifacts.sticking_ratio`; about 1: the average is as sharp as a frame),
    and ``column`` (default the middle one) of every frame stacked left to right. The row label
    gives Δ, the RMS change between the path's ends (:func:`stylegan_lib.artifacts.endpoint_change`):
    a sharp average means sticking only if Δ is large."""
    import matplotlib.pyplot as plt

    labels = list(paths)
    n = max(len(f) for f in paths.values())
    col = paths[labels[0]].shape[-1] // 2 if column is None else column
    fig, axes = plt.subplots(len(labels), 5, figsize=(9.5, 1.9 * len(labels) + 0.3), squeeze=False,
                             gridspec_kw={"width_ratios": [1, 1, 1, 1, max(1.0, n / paths[labels[0]].shape[-2])]})
    for row, label in enumerate(labels):
        frames = paths[label]
        one = {label: frames}
        cells = [(path_pictures(one, 0)[0], "frame 1"), (path_pictures(one, len(frames) // 2)[0],
                                                         f"frame {len(frames) // 2 + 1}"),
                 (path_pictures(one, len(frames) - 1)[0], f"frame {len(frames)}"),
                 (path_pictures(one, len(frames) - 1, average=True)[0],
                  f"mean of {len(frames)}: ρ = {sticking_ratio(frames):.2f}"),
                 (column_stack(frames, col), f"column {col}, frame by frame")]
        for i, (ax, (pic, title)) in enumerate(zip(axes[row], cells)):
            ax.imshow(pic, interpolation="nearest", aspect="auto" if i == len(cells) - 1 else "equal")
            ax.set_xticks([]), ax.set_yticks([])
            ax.set_title(title, fontsize=8)
        axes[row, 0].set_ylabel(f"{label}\nΔ = {endpoint_change(frames):.2f}", fontsize=8)
        axes[row, 0].axvline(col, color="yellow", lw=0.6)
    fig.tight_layout()
    return fig


def path_widget(paths: dict[str, torch.Tensor], size: int = 128):
    """Slide along the paths (``{label: frames}``, e.g. StyleGAN1, 2 and 3 on one path in W each):
    frame k of every path side by side, or the mean of frames 1 … k, which stays sharp where
    detail sticks (:func:`path_pictures`)."""
    import ipywidgets as W

    n = max(len(f) for f in paths.values())
    k_w = W.IntSlider(value=0, min=0, max=n - 1, description="frame")
    mode_w = W.ToggleButtons(options=["frame", "mean so far"], value="frame")
    upscale = max(1, size // next(iter(paths.values())).shape[-1])
    panels = ImagePanels(len(paths), figsize=(2.0 * len(paths), 2.4), fontsize=8)

    def title(label, frames, k, average):
        j = min(k, len(frames) - 1)
        if not average:
            return f"{label}\nframe {j + 1}"
        flat = j == 0 or float(sharpness(frames[:j + 1]).mean()) == 0   # ρ needs two frames with detail
        return f"{label}\nmean of {j + 1}" + ("" if flat else f", ρ = {sticking_ratio(frames[:j + 1]):.2f}")

    def draw():
        k, average = k_w.value, mode_w.value != "frame"
        return panels.show(path_pictures(paths, k, average, upscale),
                           [title(label, f, k, average) for label, f in paths.items()])

    return figure_widget([[k_w, mode_w]], draw)


# ------------------------------------------------------------------------------------------
# Texture sticking when StyleGAN3's input moves.
# ------------------------------------------------------------------------------------------
def plot_input_translation(studies: dict[str, dict]):
    """One row per generator (``{label: input_translation_sticking(...)}``): the first frame, the
    mean of the frames as the input moves, and the mean of the first frame moved by interpolation
    (what a perfectly equivariant generator gives), each mean with its sticking ratio ρ over the
    boxed pixels."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    fig, axes = plt.subplots(len(studies), 3, figsize=(6.2, 2.1 * len(studies) + 0.3), squeeze=False)
    for row, (label, st) in enumerate(studies.items()):
        top, bottom, left, right = st["box"]
        shift = max(st["shifts_px"]) - min(st["shifts_px"])
        cells = [(st["frames"][:1], "frame 1"),
                 (st["frames"].mean(0, keepdim=True), f"mean as the input moves\nρ = {st['ratio']:.2f}"),
                 (st["ideal"].mean(0, keepdim=True), f"mean of frame 1 moved\nρ = {st['ideal_ratio']:.2f}")]
        for ax, (img, title) in zip(axes[row], cells):
            ax.imshow(to_hwc(img)[0], interpolation="nearest")
            ax.add_patch(Rectangle((left - 0.5, top - 0.5), right - left, bottom - top, fill=False,
                                   color="yellow", lw=0.8))
            ax.set_xticks([]), ax.set_yticks([])
            ax.set_title(title, fontsize=8)
        axes[row, 0].set_ylabel(f"{label}\n{len(st['shifts_px'])} steps over {shift:g} px", fontsize=8)
    fig.tight_layout()
    return fig


__all__ = ["layer_position", "spike_profile", "plot_spike_profiles", "strongest_spike", "plot_spike", "plot_spikes",
           "plot_sampling_plan", "path_pictures", "column_stack", "plot_path_averages", "path_widget",
           "plot_input_translation"]
