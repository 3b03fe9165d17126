"""Chapter 11, disentanglement — the paper's Figure 9 from the farm's training logs.

Figure 9 of the paper follows FID and perceptual path length through training for configuration
B (traditional generator) and F (style-based): FID keeps falling while the path length of B
climbs, that of F stays lower. The farm logs FD and PPL (W, end points, at a small count) every
few kimg for the runs behind B and F; :func:`plot_figure9` draws those logs, with a dashed line
where the last resolution has faded in (before it, the numbers are of smaller images).

One run's log alone, FD and PPL on twin axes, is :func:`stylegan_lib.viz.training.plot_metrics`
(chapter 8); this figure sets runs beside each other. Tables 1–4 as pictures are
:func:`stylegan_lib.viz.tables.plot_table`.
"""
from __future__ import annotations


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


__all__ = ["plot_figure9"]
