"""Pictures of training: sample grids, loss curves from a training log, the progressive-growing
timeline and a sample progression over kimg (used by chapter 8)."""
from __future__ import annotations

import torch


def _phase_spans(log: list[dict]) -> list[tuple[float, float, int, str]]:
    """(start kimg, end kimg, resolution, phase) runs of consecutive log entries."""
    spans, prev = [], 0.0
    for e in log:
        key = (e["resolution"], e["phase"])
        if spans and (spans[-1][2], spans[-1][3]) == key:
            spans[-1] = (spans[-1][0], e["kimg"], *key)
        else:
            spans.append((prev, e["kimg"], *key))
        prev = e["kimg"]
    return spans


def smooth(values, window: int = 5):
    """Centred moving average (edges use what is there), for noisy loss curves."""
    import numpy as np

    v = np.asarray(values, dtype=float)
    if window <= 1 or len(v) < 2:
        return v
    k = np.ones(window)
    num = np.convolve(np.nan_to_num(v), k, mode="same")
    den = np.convolve(np.isfinite(v).astype(float), k, mode="same")
    return num / np.maximum(den, 1)


def plot_losses(log: list[dict], keys=("loss_G", "loss_D", "r1"), window: int = 5, ax=None,
                title: str | None = None):
    """Loss curves of a training log over kimg, the progressive-growing phases shaded behind."""
    import matplotlib.pyplot as plt

    if not log:
        raise ValueError("the training log is empty")
    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 3.5))
    kimg = [e["kimg"] for e in log]
    for i, (a, b, res, phase) in enumerate(_phase_spans(log)):
        ax.axvspan(a, b, color="0.92" if phase == "stable" else "0.82", lw=0)
        ax.text((a + b) / 2, 1.0, f"{res}²" + (" fade" if phase == "fade" else ""), ha="center",
                va="bottom", fontsize=7, transform=ax.get_xaxis_transform())
    for key in keys:
        vals = [e.get(key, float("nan")) for e in log]
        if all(v != v for v in vals):
            continue
        ax.plot(kimg, smooth(vals, window), label=key, lw=1.4)
    ax.set_xlabel("kimg (thousands of real images shown)")
    ax.set_ylabel("loss")
    ax.legend(loc="upper right", fontsize=8)
    if title:
        ax.set_title(title, pad=14)
    return fig if fig is not None else ax.figure


def plot_scores(log: list[dict], window: int = 5, ax=None):
    """D's mean logit on real and on generated images over kimg."""
    return plot_losses(log, keys=("real_score", "fake_score"), window=window, ax=ax)


def plot_metrics(log: list[dict], axes=None, title: str | None = None):
    """FD and PPL (W, end points) of G_ema over kimg, as logged during training (the data of the
    paper's Figure 9): FD on the left axis, PPL on a second one."""
    import matplotlib.pyplot as plt

    points = [e for e in log if "fd" in e]
    if not points:
        raise ValueError("the training log has no metrics (train with --metrics-kimg > 0)")
    fig = None
    if axes is None:
        fig, ax = plt.subplots(figsize=(8, 3.2))
    else:
        ax = axes
    kimg = [e["kimg"] for e in points]
    ax.plot(kimg, [e["fd"] for e in points], "o-", color="tab:blue", ms=3, label="FD")
    ax.set_xlabel("kimg (thousands of real images shown)")
    ax.set_ylabel(f"FD ({points[-1].get('metrics_num', '?')} images)", color="tab:blue")
    ax.set_yscale("log")
    ax2 = ax.twinx()
    ax2.plot(kimg, [e["ppl_wend"] for e in points], "s-", color="tab:red", ms=3, label="PPL (W, end)")
    ax2.set_ylabel(f"PPL W end ({points[-1].get('metrics_ppl_num', '?')} pairs)", color="tab:red")
    if title:
        ax.set_title(title)
    return fig if fig is not None else ax.figure


def plot_timeline(schedule, total_kimg: float, marker_kimg: float | None = None, ax=None):
    """Progressive growing drawn as a timeline: one bar per phase (stable / fade-in) at the height
    of its resolution, the lod curve above, and an optional marker at ``marker_kimg``."""
    import matplotlib.pyplot as plt
    import numpy as np

    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 2.8))
    phases = schedule.phases(total_kimg)
    res_list = sorted({p["resolution"] for p in phases})
    y = {r: i for i, r in enumerate(res_list)}
    for p in phases:
        colour = "tab:blue" if p["phase"] == "stable" else "tab:orange"
        ax.barh(y[p["resolution"]], p["end"] - p["start"], left=p["start"], color=colour, height=0.6)
    ax.set_yticks(range(len(res_list)), [f"{r}²" for r in res_list])
    ax.set_xlabel("kimg")
    ax.set_xlim(0, total_kimg)
    t = np.linspace(0, total_kimg, 400)
    ax2 = ax.twinx()
    ax2.plot(t, [schedule.lod_at(k) for k in t], color="k", lw=1)
    ax2.set_ylabel("lod")
    ax2.set_ylim(-0.1, schedule.max_lod + 0.1)
    ax.bar([0], [0], color="tab:blue", label="stable")
    ax.bar([0], [0], color="tab:orange", label="fade-in")
    ax.legend(loc="lower right", fontsize=8)
    if marker_kimg is not None:
        ax.axvline(marker_kimg, color="red", lw=1.5)
        ax.set_title(marker_title(schedule, marker_kimg), fontsize=9)
    return fig if fig is not None else ax.figure


def marker_title(schedule, kimg: float) -> str:
    """The title of :func:`plot_timeline` with a marker at ``kimg``."""
    p = schedule.at(kimg)
    return f"{kimg:g} kimg: {p.resolution}² {p.phase}, α = {p.alpha:.2f}, batch {p.batch}, lr {p.lr:g}"


def progression_strip(grids: list[tuple[float, "object"]], cell: int, count: int = 6,
                      ) -> tuple["torch.Tensor", list[float]]:
    """Sample progression: from each (kimg, grid image [H, W, 3] uint8) keep the first ``count``
    cells of its top row; returns one picture [len(grids)·cell, count·cell, 3] and the kimgs."""
    rows, kimgs = [], []
    for kimg, grid in sorted(grids, key=lambda g: g[0]):
        g = torch.as_tensor(grid)
        if g.ndim != 3 or g.shape[0] < cell or g.shape[1] < count * cell:
            raise ValueError(f"grid at {kimg} kimg has shape {list(g.shape)}; need at least "
                             f"[{cell}, {count * cell}, C]")
        rows.append(g[:cell, :count * cell])
        kimgs.append(kimg)
    if not rows:
        raise ValueError("no sample grids given")
    return torch.cat(rows, 0), kimgs


def read_sample_grids(run_dir, every_kimg: float | None = None) -> list[tuple[float, "torch.Tensor"]]:
    """The ``samples-NNNNNNkimg.png`` grids of a run folder as (kimg, uint8 [H, W, 3])."""
    import re
    from pathlib import Path

    import numpy as np
    from PIL import Image

    out = []
    for p in sorted(Path(run_dir).glob("samples-*kimg.png")):
        m = re.fullmatch(r"samples-(\d+)kimg\.png", p.name)
        if not m:
            continue
        k = float(m.group(1))
        if every_kimg and k % every_kimg:
            continue
        out.append((k, torch.from_numpy(np.array(Image.open(p).convert("RGB")))))
    return out


def show_progression(strip: "torch.Tensor", kimgs: list[float], cell: int, ax=None):
    """Plot a progression strip with its kimg labels."""
    import matplotlib.pyplot as plt

    fig = None
    if ax is None:
        fig, ax = plt.subplots(figsize=(strip.shape[1] / cell * 0.9, len(kimgs) * 0.9))
    ax.imshow(strip.numpy(), interpolation="nearest")
    ax.set_yticks([(i + 0.5) * cell for i in range(len(kimgs))], [f"{k:g} kimg" for k in kimgs])
    ax.set_xticks([])
    return fig if fig is not None else ax.figure


def schedule_summary(schedule, kimg: float) -> str:
    """One line describing where the schedule is at ``kimg`` (used by the chapter's widget)."""
    p = schedule.at(kimg)
    what = (f"fading in {p.resolution}² (α = {p.alpha:.2f})" if p.phase == "fade"
            else f"stable at {p.resolution}²")
    return f"{kimg:g} kimg: lod {p.lod:.3f}, {what}, minibatch {p.batch}, learning rate {p.lr:g}"


def timeline_widget(schedule, total_kimg: float, kimg: float = 30.0, step: float = 5.0):
    """A kimg slider over :func:`plot_timeline`, with :func:`schedule_summary` under the plot.
    The figure is made once; a redraw moves its marker and changes its title and the line under it."""
    import ipywidgets as W
    from matplotlib.figure import Figure

    from .widgets import figure_png, figure_widget, tight_box

    kimg_w = W.FloatSlider(value=kimg, min=0, max=total_kimg, step=step, continuous_update=False,
                           description="kimg")
    ax = Figure(figsize=(8, 2.8)).subplots()
    plot_timeline(schedule, total_kimg, marker_kimg=kimg, ax=ax)
    marker = ax.lines[-1]          # the marker: the lod curve is on the twin axes
    box = tight_box(ax.figure)     # the marker and the title (one line, centred) never leave it
    summary = W.Label()

    def draw():
        marker.set_xdata([kimg_w.value, kimg_w.value])
        ax.set_title(marker_title(schedule, kimg_w.value), fontsize=9, y=1.0)   # y: see ImagePanels.show
        summary.value = schedule_summary(schedule, kimg_w.value)
        return figure_png(ax.figure, box)

    widget = figure_widget([[kimg_w]], draw)
    widget.children += (summary,)
    return widget
