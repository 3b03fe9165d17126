"""Figures and the widget of chapter 14: projection into W / W+ and editing along attribute
directions. The computations live in :mod:`stylegan_lib.project` (``project``,
``edit_directions``, and the measurements in ``project.evaluate``); this module only arranges
their results into pictures:

* :func:`progress_strip` / :func:`progress_frames` — a projection step by step, from the
  progress frames ``project(..., frame_every=k)`` records; :func:`draw_progress`, :func:`draw_loss`;
* :func:`draw_comparison` — targets above their W and W+ reconstructions, with their errors;
* :func:`draw_edit_table` — images at several amounts along several directions, with the
  classifier's probability of each direction's attribute;
* :func:`edit_panel` — the pure function behind the widget (face, direction, amount) and
  :func:`edit_widget`, :func:`draw_edit_panel`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch

from ..images import to_hwc
from ..project.editing import edit
from .grids import draw_image_table
from .widgets import figure_widget


# ------------------------------------------------------------------------------------------
# A projection step by step
# ------------------------------------------------------------------------------------------
def frame_steps(num_steps: int, frame_every: int) -> list[int]:
    """The steps at which ``project(..., frame_every=k)`` records a frame: every k-th and the last."""
    return [s for s in range(num_steps) if s % frame_every == 0 or s == num_steps - 1]


def frame_cell(frame: np.ndarray, row: int, col: int, resolution: int, pad: int = 1) -> np.ndarray:
    """Cell (row, col) of a progress frame (an ``image_grid`` of target | reconstruction pairs,
    one row per image, cells framed by ``pad`` pixels): uint8 [R, R, 3]."""
    y, x = pad + row * (resolution + pad), pad + col * (resolution + pad)
    if y + resolution > frame.shape[0] or x + resolution > frame.shape[1]:
        raise ValueError(f"cell ({row}, {col}) of {resolution}² images is outside a frame of shape {frame.shape}")
    return frame[y:y + resolution, x:x + resolution].copy()


def progress_strip(result, index: int = 0) -> np.ndarray:
    """The reconstruction of target ``index`` in every recorded frame: uint8 [K, R, R, 3]."""
    if not result.frames:
        raise ValueError("the projection recorded no frames: call project(..., frame_every=k)")
    r = result.target.shape[-1]
    return np.stack([frame_cell(f, index, 1, r) for f in result.frames])


def progress_frames(result, rows: int) -> list[np.ndarray]:
    """The progress frames cut to their first ``rows`` targets (for a smaller animation)."""
    r = result.target.shape[-1]
    return [np.ascontiguousarray(f[: rows * (r + 1) + 1]) for f in result.frames]


def draw_progress(result, steps: Sequence[int], index: int = 0, fig=None):
    """Target ``index``, then its reconstruction at each recorded step."""
    import matplotlib.pyplot as plt

    strip = progress_strip(result, index)
    pictures = [to_hwc(result.target[index:index + 1])[0], *strip]
    titles = ["target", *[f"step {s}" for s in steps]]
    if fig is None:
        fig = plt.figure(figsize=(1.15 * len(pictures), 1.5), layout="compressed")
    for ax, pic, title in zip(fig.subplots(1, len(pictures)), pictures, titles):
        ax.imshow(pic, interpolation="nearest")
        ax.set_title(title, fontsize=8)
        ax.set_axis_off()
    return fig


def draw_loss(result, ax=None):
    """The objective and its terms (mean over the images) per step, log scale, and the learning
    rate on a second axis."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    steps = np.arange(len(result.loss))
    ax.semilogy(steps, result.loss, label="objective", color="k")
    ax.semilogy(steps, result.distance, label="perceptual distance", color="C0")
    ax.semilogy(steps, result.pixel, label="pixel MSE", color="C1")
    reg = np.asarray(result.noise_reg) * 1e5
    ax.semilogy(steps, np.maximum(reg, 1e-12), label="1e5 · noise regularisation", color="C2")
    ax.set_xlabel("step")
    ax.legend(fontsize=7, loc="lower left")
    lr = ax.twinx()
    lr.plot(steps, result.learning_rate, color="C3", ls="--", lw=1)
    lr.set_ylabel("learning rate (dashed)", color="C3", fontsize=8)
    return ax


# ------------------------------------------------------------------------------------------
# W against W+
# ------------------------------------------------------------------------------------------
def draw_comparison(targets: torch.Tensor, rows: Mapping[str, torch.Tensor],
                    errors: Mapping[str, Sequence[float]] | None = None, fig=None):
    """Targets in the first row, then one row per entry of ``rows`` (e.g. {"W": ..., "W+": ...},
    images [N, 3, R, R]); ``errors``: a number per image and row, written under it."""
    import matplotlib.pyplot as plt

    names = list(rows)
    images = torch.stack([targets.float() / 127.5 - 1 if targets.dtype == torch.uint8 else targets,
                          *[rows[k] for k in names]])
    S, N = images.shape[:2]
    if fig is None:
        fig = plt.figure(figsize=(1.1 * N, 1.3 * S), layout="compressed")
    axes = fig.subplots(S, N, squeeze=False)
    draw_image_table(axes, images, [f"face {i}" for i in range(N)], ["target", *names], title_size=8)
    if errors:
        for s, name in enumerate(names, start=1):
            for i, e in enumerate(errors.get(name, [])):
                axes[s, i].set_xlabel(f"{e:.4f}", fontsize=7)
    return fig


# ------------------------------------------------------------------------------------------
# Edits
# ------------------------------------------------------------------------------------------
def draw_edit_table(images: torch.Tensor, row_labels: Sequence[str], amounts: Sequence[float],
                    probs: torch.Tensor | None = None, fig=None):
    """images [D, K, 3, R, R]: row d at amount ``amounts[k]``; ``probs`` [D, K]: a probability
    per image (the row's attribute), written under it."""
    import matplotlib.pyplot as plt

    D, K = images.shape[:2]
    if fig is None:
        fig = plt.figure(figsize=(1.15 * K + 0.6, 1.35 * D), layout="compressed")
    axes = fig.subplots(D, K, squeeze=False)
    draw_image_table(axes, images, [f"α = {a:+g}" for a in amounts], row_labels, title_size=8, label_size=8)
    if probs is not None:
        for d in range(D):
            for k in range(K):
                axes[d, k].set_xlabel(f"p = {float(probs[d, k]):.2f}", fontsize=7)
    return fig


@torch.no_grad()
def edit_panel(G, ws: torch.Tensor, noise: list, index: int, direction: torch.Tensor, amount: float,
               classifier, attribute: str) -> dict:
    """The widget's picture: face ``index`` of a projection (``ws`` [N, num_ws, w_dim], its noise
    maps) drawn as projected and moved by ``amount`` along ``direction``, and the classifier's
    p(``attribute``) for both. Returns {"images": [2, 3, R, R], "p": [2]}."""
    if not 0 <= index < len(ws):
        raise ValueError(f"index must be in 0…{len(ws) - 1}, got {index}")
    w = ws[index:index + 1]
    n = [m[index:index + 1].to(G.device) if m is not None else None for m in noise]
    both = torch.cat([w, edit(w, direction.cpu(), float(amount))]).to(G.device)
    images = G.synthesis(both, noise=[m.expand(2, -1, -1, -1) if m is not None else None for m in n]).clamp(-1, 1)
    p = torch.sigmoid(classifier(images))[:, list(classifier.attributes).index(attribute)]
    return {"images": images.cpu(), "p": p.cpu()}


def draw_edit_panel(target: torch.Tensor, panel: dict, attribute: str, amount: float, fig=None):
    """Target | projection | edited, with p(attribute) under the last two."""
    import matplotlib.pyplot as plt

    if fig is None:
        fig = plt.figure(figsize=(4.2, 1.8), layout="compressed")
    for ax, pic in zip(fig.subplots(1, 3), _edit_pictures(target, panel)):
        ax.imshow(pic, interpolation="nearest")
        ax.set_xticks([]), ax.set_yticks([])
    return update_edit_panel(fig, target, panel, attribute, amount)


def update_edit_panel(fig, target: torch.Tensor, panel: dict, attribute: str, amount: float):
    """Put the pictures and labels of a new panel into a figure made by :func:`draw_edit_panel`
    (the widget's redraw, which makes no new figure)."""
    titles = ["target", "projection", f"{attribute} {amount:+g}"]
    for k, (ax, pic, title) in enumerate(zip(fig.axes, _edit_pictures(target, panel), titles)):
        ax.images[0].set_data(pic)
        ax.set_title(title, fontsize=8)
        if k:
            ax.set_xlabel(f"p({attribute}) = {float(panel['p'][k - 1]):.2f}", fontsize=7)
    return fig


def _edit_pictures(target: torch.Tensor, panel: dict) -> list[np.ndarray]:
    """Target, projection, edited: uint8 [R, R, 3] each."""
    return [to_hwc(target[None] if target.ndim == 3 else target)[0], *to_hwc(panel["images"])]


def edit_widget(G, projection, directions: Mapping[str, torch.Tensor], classifier, index: int = 0,
                attribute: str | None = None, amount: float = 2.0, max_amount: float = 6.0):
    """Pick a projected face and a direction, slide the amount: :func:`edit_panel` drawn by
    :func:`draw_edit_panel` once, then :func:`update_edit_panel` at every redraw."""
    import ipywidgets as W
    from matplotlib.figure import Figure

    names = list(directions)
    face = W.IntSlider(value=index, min=0, max=len(projection.ws) - 1, description="face")
    which = W.Dropdown(options=names, value=attribute or names[0], description="direction")
    alpha = W.FloatSlider(value=amount, min=-max_amount, max=max_amount, step=0.5, description="α")
    fig = None

    def draw():
        nonlocal fig
        panel = edit_panel(G, projection.ws, projection.noise, face.value, directions[which.value], alpha.value,
                           classifier, which.value)
        if fig is not None:
            return update_edit_panel(fig, projection.target[face.value], panel, which.value, alpha.value)
        fig = draw_edit_panel(projection.target[face.value], panel, which.value, alpha.value,
                              fig=Figure(figsize=(4.2, 1.8), layout="compressed"))
        fig.draw_without_rendering()     # lays the panels out once; later redraws keep them put
        fig.set_layout_engine(None)
        return fig

    return figure_widget([[face, which], [alpha]], draw)
