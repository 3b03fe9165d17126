"""Chapter 11, disentanglement — the paper's Figure 9 from the farm's training logs.

Figure 9 of the paper follows FID and perceptual path length through training for configurations
B (traditional generator) and F (style-based), with a dashed line where training reaches full
resolution: FID keeps improving while the path length slowly grows late in training. The farm
logs FD and PPL (W, end points, at a small count) every few kimg for the runs behind B and F,
from the moment the last resolution has faded in (the trainer measures only full-resolution
images); :func:`plot_figure9` draws those logs, with the dashed line at that moment.

One run's log alone, FD and PPL on twin axes, is :func:`stylegan_lib.viz.training.plot_metrics`
(chapter 8); this figure sets runs beside each other. Tables 1–4 as pictures are
:func:`stylegan_lib.viz.tables.plot_table`.

:func:`compare_paths` and :func:`configuration_widget` set two rows of a table side by side: each
row's generator walked from seed A to seed B in that row's latent space (slerp in Z, lerp in W),
with the step sizes along each walk — the picture behind a path length. A path that changes the
image in one jump, where the other changes it evenly, is what a long PPL means.
"""
from __future__ import annotations

from .mapping import draw_interpolation, interpolation_strips


def plot_figure9(curves: dict[str, list[dict]], growth_kimg: float | None = None, axes=None):
    """``curves``: a label per run ("config-B-seed0") → its log entries ``{"kimg", "fd",
    "ppl_wend"}`` (a farm results entry's ``figure9``). Two panels, FD and PPL against kimg.
    Returns the figure."""
    import matplotlib.pyplot as plt

    if not curves or not any(curves.values()):
        raise ValueError("no Figure 9 curves: they come from the logs of the farm's config-B and config-F "
                         "runs (a results entry's 'figure9'); train and evaluate those runs first")
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    for label, points in curves.items():
        for ax, key in zip(axes, ("fd", "ppl_wend")):
            pts = [(p["kimg"], p[key]) for p in points if p.get(key) is not None]
            if pts:
                ax.plot(*zip(*pts), "-o", ms=3, label=label)
    for ax, title in zip(axes, ("FD (the paper: FID)", "PPL in W, end points")):
        if growth_kimg:
            ax.axvline(growth_kimg, ls="--", color="0.5", lw=1, label="last resolution faded in")
        ax.set_xlabel("thousands of real images shown to D (kimg)")
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=8)
    fig = axes[0].figure
    fig.tight_layout()
    return fig


def walk(models: dict, key: str, seed_a: int, seed_b: int, steps: int = 8) -> dict:
    """Row ``key``'s generator walked from ``seed_a`` to ``seed_b`` in its own space
    (:func:`~stylegan_lib.viz.mapping.interpolation_strips`)."""
    if key not in models:
        raise ValueError(f"no model for {key!r}; models: {', '.join(models)}")
    G, space = models[key]
    return interpolation_strips(G, int(seed_a), int(seed_b), steps, spaces=(space,))


def compare_paths(models: dict, a: str, b: str, seed_a: int = 0, seed_b: int = 1, steps: int = 8,
                  ppl: dict | None = None, fig=None, walks=None):
    """``models``: a row label → (generator, space "z" or "w"). Rows ``a`` and ``b`` walked from
    ``seed_a`` to ``seed_b`` in their own spaces, two image strips and their step sizes;
    ``ppl``: a row label → its path length, printed beside the strip; ``walks``: ``(key, seed_a,
    seed_b) →`` :func:`walk`'s result, for a widget that keeps them. Returns the figure."""
    walks = walks or (lambda key, sa, sb: walk(models, key, sa, sb, steps))
    strips, labels = {}, {}
    for slot, key in (("A", a), ("B", b)):
        path = walks(key, int(seed_a), int(seed_b))
        strips.update(t=path["t"], seeds=path["seeds"])
        strips[slot] = path[models[key][1]]
        labels[slot] = key if not ppl or ppl.get(key) is None else f"{key}\nPPL {ppl[key]:.3g}"
    return draw_interpolation(strips, ["A", "B"], labels, fig=fig)


def configuration_widget(models: dict, ppl: dict | None = None, a: str | None = None, b: str | None = None,
                         seed_a: int = 0, seed_b: int = 1, steps: int = 8):
    """Pick two rows (configuration and space) and two seeds: :func:`compare_paths`, redrawn
    (each row's walk is kept, so that changing the other row redraws without walking again)."""
    import functools

    import ipywidgets as W
    from matplotlib.figure import Figure

    from .widgets import figure_widget

    walks = functools.lru_cache(maxsize=32)(lambda key, sa, sb: walk(models, key, sa, sb, steps))
    names = list(models)
    a_w = W.Dropdown(options=names, value=a or names[0], description="row A")
    b_w = W.Dropdown(options=names, value=b or names[-1], description="row B")
    sa_w = W.IntSlider(value=seed_a, min=0, max=999, description="seed A")
    sb_w = W.IntSlider(value=seed_b, min=0, max=999, description="seed B")
    fig = Figure()

    def draw():
        return compare_paths(models, a_w.value, b_w.value, sa_w.value, sb_w.value, steps, ppl, fig=fig, walks=walks)

    return figure_widget([[a_w, b_w], [sa_w, sb_w]], draw)


__all__ = ["plot_figure9", "walk", "compare_paths", "configuration_widget"]
