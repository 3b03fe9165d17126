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
