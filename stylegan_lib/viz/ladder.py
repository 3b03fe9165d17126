"""Chapter 13, StyleGAN3's entanglement — the configuration ladder in one picture.

:func:`plot_ladder` draws one panel per column of the ladder's table (FD, EQ-T, EQ-R, PPL, LS and
the ground truth's informativeness, all in W): the rungs A … R along the x axis, every seed as a
grey dot, their mean as a line, and where the StyleGAN3 paper published the column (FID, EQ-T,
EQ-R on FFHQ-U) its numbers as orange rings on an axis of their own on the right — the paper's
FID and our FD are on different data with different detectors, so only their shapes compare.

It reads the rows of :func:`stylegan_lib.farm.results.table` (``table(doc, "ladder")``), which the
caller passes in: the farm trains with the library's figures, so the figures do not import it.
"""
from __future__ import annotations

import numpy as np

#: Panel titles: what each column measures, and which way is better.
TITLES = {
    "fd": "FD (lower: closer to the data)",
    "eq_t": "EQ-T, dB (higher: equivariant to translation)",
    "eq_r": "EQ-R, dB (higher: equivariant to rotation)",
    "ppl_end": "PPL in W, end points (lower: smoother)",
    "ls": "linear separability in W (lower: more linear)",
    "gt_i": "ground-truth informativeness in W (higher: more linear)",
}


def rung_letter(row_label: str) -> str:
    """"T StyleGAN3-T" → "T": the letter a rung's label starts with."""
    return row_label.split()[0]


def _nan(v) -> float:
    return np.nan if v is None else float(v)


def ladder_points(rows: list[dict], column: str) -> dict:
    """For one column of the ladder's table rows: the rung letters, every seed's value (``seeds``:
    a list per rung), the mean per rung and the paper's number per rung (NaN where none)."""
    if not rows or "eq_t" not in rows[0]["ours"]:
        raise ValueError("these are not the ladder's table rows: pass table(doc, 'ladder') of a ladder "
                         "scale's results (farm evaluate --scale ladder-16)")
    return {"rungs": [rung_letter(r["label"]) for r in rows], "seeds": [r["seeds"][column] for r in rows],
            "mean": np.array([_nan(r["ours"][column]["mean"]) for r in rows]),
            "paper": np.array([_nan(r["paper"][column]) for r in rows])}


def plot_ladder(rows: list[dict], columns=None, axes=None, ncols: int = 3):
    """The ladder's table rows (``table(doc, "ladder")``) as a grid of panels, one per column
    (default: every column of the table). Returns the figure."""
    import matplotlib.pyplot as plt

    columns = list(rows[0]["ours"] if columns is None and rows else columns or [])
    points = {col: ladder_points(rows, col) for col in columns}
    if axes is None:
        nrows = -(-len(columns) // ncols)
        fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 3.0 * nrows), squeeze=False)
        axes = axes.ravel()
        for ax in axes[len(columns):]:
            ax.set_visible(False)
    fig = axes[0].figure
    for ax, col in zip(axes, columns):
        p = points[col]
        x = np.arange(len(p["rungs"]))
        for i, vals in enumerate(p["seeds"]):
            ax.plot([i] * len(vals), vals, "o", color="0.6", ms=4, zorder=2)
        ax.plot(x, p["mean"], "-", marker="_", ms=14, mew=2, color="k", lw=1.5, zorder=3,
                label="ours: seeds (grey), their mean (black)")
        if np.isfinite(p["paper"]).any():
            twin = ax.twinx()
            twin.plot(x, p["paper"], "o", mfc="none", mec="tab:orange", ms=6, label="paper (FFHQ-U)")
            twin.tick_params(axis="y", colors="tab:orange", labelsize=8)
            if col == columns[0]:
                lines = ax.get_legend_handles_labels(), twin.get_legend_handles_labels()
                ax.legend(lines[0][0] + lines[1][0], lines[0][1] + lines[1][1], fontsize=7, loc="best")
        ax.set_xticks(x, p["rungs"])
        ax.set_title(TITLES.get(col, col), fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


__all__ = ["TITLES", "rung_letter", "ladder_points", "plot_ladder"]
