"""Drawing images on matplotlib axes: a grid on one axis (the grid itself is
``images.image_grid``), or a table with one image per axis and labelled rows and columns."""
from __future__ import annotations

from collections.abc import Sequence

from ..images import image_grid, to_hwc


def show_images(images, ax=None, ncols: int | None = None, title: str | None = None):
    """Draw a grid of images on a matplotlib axis (created if needed); returns the axis."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 6))
    ax.imshow(image_grid(images, ncols), interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax


def draw_image_table(axes, images, column_titles: Sequence[str] = (), row_labels: Sequence[str] = (),
                     title_size: int = 9, label_size: int = 9) -> None:
    """Image [s, p] of ``images`` [S, P, C, H, W] (floats in [-1, 1] or uint8) on ``axes[s, p]``,
    without ticks: crisp pixels up to 256², antialiased down-scaling above. The column titles go
    above the first row, the row labels left of the first column."""
    smooth = images.shape[-2] > 256
    for s in range(images.shape[0]):
        for p in range(images.shape[1]):
            ax = axes[s, p]
            ax.imshow(to_hwc(images[s, p:p + 1])[0], interpolation="antialiased" if smooth else "nearest")
            ax.set_xticks([]), ax.set_yticks([])
    for ax, title in zip(axes[0], column_titles):
        ax.set_title(title, fontsize=title_size)
    for ax, label in zip(axes[:, 0], row_labels):
        ax.set_ylabel(label, fontsize=label_size)


def plot_sample_rows(models: dict, seeds: Sequence[int], label_size: int = 7):
    """One uncurated row per generator (``{label: G}``), the same latent ``seeds`` in every row, so
    that the rows differ by the model alone (the same seed still draws a different image in each
    model). Returns the figure."""
    import matplotlib.pyplot as plt
    import numpy as np

    from ..generate import generate

    seeds = list(seeds)
    if not models or not seeds:
        raise ValueError("need at least one model and one seed")
    images = np.stack([generate(G, seeds).numpy() for G in models.values()])
    fig, axes = plt.subplots(len(models), len(seeds), figsize=(len(seeds) * 0.9, len(models) * 0.95), squeeze=False)
    draw_image_table(axes, images, row_labels=list(models), label_size=label_size)
    for ax in axes[:, 0]:
        ax.yaxis.label.set(rotation=0, ha="right", va="center")
    longest = max(map(len, models))
    fig.subplots_adjust(wspace=0.05, hspace=0.05, left=min(0.45, 0.02 + 0.012 * longest))
    return fig

