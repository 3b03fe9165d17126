"""The farm's tables as pictures (chapters 11 and 13): our numbers beside the paper's.

:func:`plot_table` draws one panel per column of a table — the paper's Tables 1–4 or StyleGAN3's
configuration ladder — with the rows along the x axis: every seed as a grey dot, their mean as a
black line, and where the paper published the column its numbers as orange rings on an axis of
their own on the right. The paper's FID was measured on FFHQ with Inception and our FD on the
synthetic faces with the book's classifier, so only the *shapes* of the two compare, never the
values; that is why they get separate axes.

It reads the rows of :func:`stylegan_lib.farm.results.table` (``table(doc, "table4")``,
``table(doc, "ladder")``), which the caller passes in: the farm trains with the library's
figures, so the figures do not import it.
"""
from __future__ import annotations

import numpy as np

#: Panel titles: what each column measures, and which way is better.
TITLES = {
    "fd": "FD (lower: closer to the data)",
    "fd_mix2": "FD, styles of 2 latents",
    "fd_mix3": "FD, styles of 3 latents",
    "fd_mix4": "FD, styles of 4 latents",
    "eq_t": "EQ-T, dB, whole-pixel shifts (higher: equivariant)",
    "eq_t_frac": "EQ-T_frac, dB, sub-pixel shifts (higher: equivariant)",
    "eq_r": "EQ-R, dB (higher: equivariant to rotation)",
    "ppl_full": "PPL, full paths (lower: smoother)",
    "ppl_end": "PPL, end points (lower: smoother)",
    "ls": "linear separability (lower: more linear)",
    "gt_i": "ground-truth informativeness (higher: more linear)",
    "gt_d": "DCI disentanglement (higher: one factor per dimension)",
    "gt_c": "DCI completeness (higher: one dimension per factor)",
    "gt_mig": "MIG (higher: one dimension per factor)",
}


def rung_letter(row_label: str) -> str:
    """"T StyleGAN3-T" → "T": the letter a ladder rung's label starts with."""
    return row_label.split()[0]


def _nan(v) -> float:
    return np.nan if v is None else float(v)


def table_points(rows: list[dict], column: str) -> dict:
    """For one column of a table's rows: every seed's value per row (``seeds``), the mean per
    row and the paper's number per row (NaN where none)."""
    if not rows or column not in rows[0]["ours"]:
        have = ", ".join(rows[0]["ours"]) if rows else "no rows"
        raise ValueError(f"these table rows have no column {column!r} (they have: {have}); pass the rows of "
                         "farm.results.table(doc, NAME) for a table that has it")
    return {"seeds": [r["seeds"][column] for r in rows],
            "mean": np.array([_nan(r["ours"][column]["mean"]) for r in rows]),
            "paper": np.array([_nan(r["paper"][column]) for r in rows])}


def plot_table(rows: list[dict], columns=None, labels=None, axes=None, ncols: int = 3, paper: str = "paper"):
    """A table's rows as a grid of panels, one per column (default: all of the table's), the rows
    along x, labelled by ``labels`` (default: the rows' labels). ``paper`` names the published
    numbers in the legend. Returns the figure."""
    import matplotlib.pyplot as plt

    columns = list(rows[0]["ours"] if columns is None and rows else columns or [])
    points = {col: table_points(rows, col) for col in columns}
    labels = [r["label"] for r in rows] if labels is None else list(labels)
    long_labels = max(map(len, labels)) > 3
    if axes is None:
        nrows = -(-len(columns) // ncols)
        width = 0.5 * len(rows) + 1.5 if long_labels else 4.2
        fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, (4.2 if long_labels else 3.0) * nrows),
                                 squeeze=False)
        axes = axes.ravel()
        for ax in axes[len(columns):]:
            ax.set_visible(False)
    fig = axes[0].figure
    for ax, col in zip(axes, columns):
        p = points[col]
        x = np.arange(len(rows))
        for i, vals in enumerate(p["seeds"]):
            ax.plot([i] * len(vals), vals, "o", color="0.6", ms=4, zorder=2)
        ax.plot(x, p["mean"], "-", marker="_", ms=14, mew=2, color="k", lw=1.5, zorder=3,
                label="ours: seeds (grey), their mean (black)")
        if np.isfinite(p["paper"]).any():
            twin = ax.twinx()
            twin.plot(x, p["paper"], "o", mfc="none", mec="tab:orange", ms=6, label=paper)
            twin.tick_params(axis="y", colors="tab:orange", labelsize=8)
            if col == columns[0]:
                lines = ax.get_legend_handles_labels(), twin.get_legend_handles_labels()
                ax.legend(lines[0][0] + lines[1][0], lines[0][1] + lines[1][1], fontsize=7, loc="best")
        ax.set_xticks(x, labels, rotation=60 if long_labels else 0, ha="right" if long_labels else "center",
                      fontsize=8)
        ax.set_title(TITLES.get(col, col), fontsize=9)
        ax.tick_params(axis="y", labelsize=8)
        ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_ladder(rows: list[dict], columns=None, axes=None, ncols: int = 3):
    """StyleGAN3's configuration ladder (``table(doc, "ladder")``): :func:`plot_table` with the
    rungs' letters A … R along x and the paper's FFHQ-U numbers."""
    if not rows or "eq_t" not in rows[0]["ours"]:
        raise ValueError("these are not the ladder's table rows: pass table(doc, 'ladder') of a ladder "
                         "scale's results (farm evaluate --scale ladder-16)")
    return plot_table(rows, columns, [rung_letter(r["label"]) for r in rows], axes, ncols, paper="paper (FFHQ-U)")


__all__ = ["TITLES", "rung_letter", "table_points", "plot_table", "plot_ladder"]
