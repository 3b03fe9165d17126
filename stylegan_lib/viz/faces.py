"""Pictures of the synthetic face data set (chapter 1): factor sweeps, sample grids, the
distribution behind the paper's Figure 6a, and a widget with one slider per factor.

Every picture is made by a plain function that returns an array or a matplotlib figure, so
it can be tested without a notebook; the widget is a thin shell around
:func:`face_from_sliders`.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from ..data.faces import (ATTRIBUTE_RULES, ATTRIBUTES, FACTOR_RANGES, FACTOR_SCALES, FACTORS,
                          NEUTRAL_FACTORS, check_factors, labels_from_factors, render)
from ..images import enlarge, image_grid
from .widgets import live_image


# --------------------------------------------------------------------------------------------
# Factor sweeps (each factor varied alone: the ground truth the paper cannot show)
# --------------------------------------------------------------------------------------------

def factor_sweep(base: Mapping[str, float] | None = None, names: Sequence[str] = FACTORS,
                 steps: int = 7, resolution: int = 32, seed: int = 0, index: int = 0,
                 texture: bool = True) -> np.ndarray:
    """One row per factor, varied from the low to the high end of its range with every other
    factor held at ``base`` (default :data:`NEUTRAL_FACTORS`) and the same stochastic detail
    (image ``index`` of ``seed``).  Returns uint8 ``[len(names), steps, 3, R, R]``."""
    base = {k: float(np.asarray(v).reshape(-1)[0]) for k, v in (base or NEUTRAL_FACTORS).items()}
    check_factors(base)
    unknown = [n for n in names if n not in FACTOR_RANGES]
    if unknown:
        raise KeyError(f"unknown factors {unknown}; factors are {', '.join(FACTORS)}")
    rows = []
    for name in names:
        lo, hi = FACTOR_RANGES[name]
        f = {k: np.full(steps, v) for k, v in base.items()}
        f[name] = np.linspace(lo, hi, steps)
        rows.append(render(f, resolution, seed=seed, indices=np.full(steps, index), texture=texture))
    return np.stack(rows)


def plot_factor_sweep(sweep: np.ndarray, names: Sequence[str] = FACTORS, scale: float = 0.62,
                      title: str | None = None):
    """Draw a :func:`factor_sweep` as a labelled grid (rows: factor and its scale)."""
    import matplotlib.pyplot as plt

    nrows, steps, _, r, _ = sweep.shape
    grid = image_grid(sweep.reshape(nrows * steps, 3, r, r), steps)
    fig, ax = plt.subplots(figsize=(steps * scale + 2.2, nrows * scale + 0.6))
    ax.imshow(grid, interpolation="nearest")
    ax.set_yticks([1 + (r + 1) * i + r / 2 for i in range(nrows)])
    ax.set_yticklabels([f"{n} ({FACTOR_SCALES[n]})" for n in names], fontsize=8)
    ax.set_xticks([1 + r / 2, grid.shape[1] - 1 - r / 2])
    ax.set_xticklabels(["low", "high"], fontsize=8)
    ax.tick_params(length=0)
    for side in ax.spines.values():
        side.set_visible(False)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_samples(images, ncols: int = 16, title: str | None = None, scale: float = 0.5):
    """An uncurated grid of images ``[N, 3, R, R]`` (uint8, or floats in [-1, 1])."""
    import matplotlib.pyplot as plt

    grid = image_grid(images, ncols)
    nrows = -(-len(images) // ncols)
    fig, ax = plt.subplots(figsize=(ncols * scale, nrows * scale + (0.4 if title else 0)))
    ax.imshow(grid, interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------
# The distribution behind Figure 6a
# --------------------------------------------------------------------------------------------

def quadrant_counts(factors: Mapping[str, np.ndarray], a: str = "male",
                    b: str = "long_hair") -> dict[tuple[int, int], int]:
    """How many images have each combination (a, b) of two binary attributes."""
    lab = labels_from_factors(factors)
    ia, ib = ATTRIBUTES.index(a), ATTRIBUTES.index(b)
    return {(i, j): int(((lab[:, ia] == i) & (lab[:, ib] == j)).sum()) for i in (0, 1) for j in (0, 1)}


def plot_fig6a(panels: Mapping[str, Mapping[str, np.ndarray]], a: str = "male",
               b: str = "long_hair", max_points: int = 3000):
    """Scatter the factors behind two attributes (default masculinity × hair length), one
    panel per data set, with the thresholds drawn and each quadrant's count written in it.
    An empty quadrant is shaded: the combination the training data never shows (the data
    side of the paper's Figure 6a)."""
    import matplotlib.pyplot as plt

    fa, ta, _ = ATTRIBUTE_RULES[a]
    fb, tb, _ = ATTRIBUTE_RULES[b]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 4.0), squeeze=False)
    for ax, (title, f) in zip(axes[0], panels.items()):
        x, y = np.asarray(f[fa])[:max_points], np.asarray(f[fb])[:max_points]
        ax.scatter(x, y, s=3, alpha=0.4, color="tab:blue", linewidths=0)
        (xlo, xhi), (ylo, yhi) = FACTOR_RANGES[fa], FACTOR_RANGES[fb]
        ax.axvline(ta, color="k", lw=0.8)
        ax.axhline(tb, color="k", lw=0.8)
        counts = quadrant_counts(f, a, b)
        for (i, j), count in counts.items():
            # quadrant (i, j): a == i, b == j  (the "1" side is above the threshold here)
            x0, x1 = (ta, xhi) if i else (xlo, ta)
            y0, y1 = (tb, yhi) if j else (ylo, tb)
            label = f"{a}={i}, {b}={j}\n{count} images"
            if count == 0:
                ax.fill_between([x0, x1], y0, y1, color="tab:red", alpha=0.15)
                label = f"{a}={i}, {b}={j}\nnone: left out"
            ax.text((x0 + x1) / 2, (y0 + y1) / 2, label, ha="center", va="center", fontsize=8,
                    bbox=dict(boxstyle="round", fc="white", alpha=0.8, lw=0))
        ax.set_xlim(xlo, xhi)
        ax.set_ylim(ylo, yhi)
        ax.set_xlabel(f"{fa} (→ {a})")
        ax.set_ylabel(f"{fb} (→ {b})")
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------
# The widget
# --------------------------------------------------------------------------------------------

#: Factors that go round a circle: a hue of 1 draws the hue of 0 again.
HUE_CIRCLES: tuple[str, ...] = ("hair_hue", "shirt_hue")

#: Where moving each factor changes the picture: its range in :data:`FACTOR_RANGES`, except for
#: three factors the renderer saturates (``stylegan_lib/data/faces.py``): glasses and beard fade
#: in as smoothstep(0.4, 0.6, factor), and the eyes open as clip((eyes_open − 0.45) / 0.3, 0, 1);
#: outside these ranges the face does not move, so the widget's sliders stop at their ends. The
#: hue circles stop one step (1/50) short of 1, which would repeat 0.
EFFECTIVE_RANGES: dict[str, tuple[float, float]] = {
    **FACTOR_RANGES, "glasses": (0.4, 0.6), "beard": (0.4, 0.6), "eyes_open": (0.45, 0.75),
    **{n: (0.0, 0.98) for n in HUE_CIRCLES}}


def slider_specs() -> list[dict]:
    """One slider per factor: ``{"name", "min", "max", "step", "value", "scale"}``, in the order
    of :data:`FACTORS` (coarse, middle, fine), over :data:`EFFECTIVE_RANGES` in 50 steps,
    starting at :data:`NEUTRAL_FACTORS` clipped to that range (the same picture: the renderer
    clips there too)."""
    specs = []
    for n in FACTORS:
        lo, hi = EFFECTIVE_RANGES[n]
        specs.append({"name": n, "min": lo, "max": hi, "step": (hi - lo) / 50,
                      "value": float(np.clip(NEUTRAL_FACTORS[n], lo, hi)), "scale": FACTOR_SCALES[n]})
    return specs


def face_from_sliders(values: Mapping[str, float], resolution: int = 64, seed: int = 0,
                      index: int = 0, texture: bool = True, upscale: int = 1) -> np.ndarray:
    """What the widget shows: one face, uint8 ``[R·upscale, R·upscale, 3]``.

    ``values`` maps factor names to numbers; factors left out take their
    :data:`NEUTRAL_FACTORS` value; unknown names are an error.  ``seed`` and ``index`` pick
    the stochastic detail (freckles, strands, texture)."""
    unknown = sorted(set(values) - set(FACTORS))
    if unknown:
        raise KeyError(f"unknown factors {unknown}; factors are {', '.join(FACTORS)}")
    f = {**NEUTRAL_FACTORS, **{k: float(v) for k, v in values.items()}}
    face = render(f, resolution, seed=seed, indices=[index], texture=texture)[0].transpose(1, 2, 0)
    return enlarge(face, upscale)


def labels_text(values: Mapping[str, float]) -> str:
    """The binary attributes of a slider setting, e.g. ``"male · glasses · eyes_open"``."""
    f = {**NEUTRAL_FACTORS, **values}
    lab = labels_from_factors(check_factors(f))[0]
    on = [a for a, v in zip(ATTRIBUTES, lab) if v]
    return " · ".join(on) if on else "(no attribute)"


def face_widget(resolution: int = 64, seed: int = 0, index: int = 0, size: int = 256):
    """Sliders for every factor (in three columns: coarse, middle, fine) plus one for the
    detail index, re-rendering the face on each change; needs ipywidgets and a live kernel.

    The returned box has ``.sliders`` (name -> slider), ``.detail`` and ``.image`` attached,
    so a test (or the reader) can set values programmatically.
    """
    import ipywidgets as W

    upscale = max(1, size // resolution)
    # labels up to "background_lightness" fit in 160 px; each column as wide as its sliders and
    # never scrolled: the columns wrap below the face on a narrow page instead
    style = {"description_width": "160px"}
    slider_layout = W.Layout(width="420px")
    sliders = {}
    columns = {"coarse": [], "middle": [], "fine": []}
    for spec in slider_specs():
        s = W.FloatSlider(value=spec["value"], min=spec["min"], max=spec["max"], step=spec["step"],
                          description=spec["name"], continuous_update=False, style=style,
                          readout_format=".3f" if spec["step"] < 0.01 else ".2f",
                          layout=slider_layout)
        sliders[spec["name"]] = s
        columns[spec["scale"]].append(s)
    detail = W.IntSlider(value=index, min=0, max=999, description="detail index",
                         continuous_update=False, style=style, layout=slider_layout)
    columns["fine"].append(detail)
    caption = W.HTML()

    def draw():
        values = {n: s.value for n, s in sliders.items()}
        caption.value = f"<small>labels: {labels_text(values)}</small>"
        return face_from_sliders(values, resolution, seed, detail.value, upscale=upscale)

    image = live_image([*sliders.values(), detail], draw)
    column_layout = W.Layout(overflow="visible", min_width="430px")
    cols = [W.VBox([W.HTML(f"<b>{name}</b>"), *items], layout=column_layout)
            for name, items in columns.items()]
    row = W.HBox([W.VBox([image, caption]), *cols],
                 layout=W.Layout(flex_flow="row wrap", overflow="visible"))
    box = W.VBox([row])
    box.sliders, box.detail, box.image = sliders, detail, image
    return box
