"""Interactive widgets for the chapters. Each widget is a thin shell around a package function
(tested on its own) that maps the widget's values to a picture; the shell itself is
:func:`figure_widget`: rows of controls above one ``ipywidgets.Image``, whose PNG bytes are
replaced whenever a control changes (:func:`live_image`, which a widget with its own layout
uses directly).

A widget's ``draw()`` returns its picture: a uint8 array [H, W, 3] (encoded by Pillow), a
matplotlib figure (rendered by Agg, cropped as the notebook's inline backend crops) or PNG
bytes made before. For speed (issue 18: a redraw within 0.1 s, measured by
``python -m stylegan_lib.redraw_bench``), a widget makes its figure once, with
:class:`ImagePanels` or a ``matplotlib.figure.Figure`` of its own, and ``draw()`` only updates
the figure's artists; work that does not depend on the moved control (the image of a fixed
seed, say) is kept between redraws with :func:`functools.lru_cache`. The figures are not
pyplot's, so the inline backend never shows them as extra cell outputs.
"""
from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import numpy as np

from ..generate import generate
from ..images import enlarge, image_grid
from .book import interactive


# ------------------------------------------------------------------------------------------
# The shell
# ------------------------------------------------------------------------------------------
def figure_widget(rows: Sequence[Sequence], draw: Callable[[], object]):
    """Rows of controls above the picture ``draw()`` makes from their values (see
    :func:`live_image`); needs ipywidgets. The box's ``.image`` is the picture's widget."""
    import ipywidgets as W

    image = live_image([control for row in rows for control in row], draw)
    box = W.VBox([*(W.HBox(list(row)) for row in rows), image])
    box.image = image
    return box


def live_image(controls: Sequence, draw: Callable[[], object]):
    """An ``ipywidgets.Image`` showing ``png_bytes(draw())``, drawn again whenever one of
    ``controls`` changes (and at once if a reader is there, see :func:`on_change`)."""
    import ipywidgets as W

    image = W.Image(format="png", layout=W.Layout(align_self="flex-start"))   # its own size, not the box's width

    def redraw():
        image.value = png_bytes(draw())

    on_change(controls, redraw)
    return image


def on_change(controls: Sequence, update: Callable[[], None]) -> None:
    """Call ``update()`` whenever one of ``controls`` changes its value, and once now if a reader
    is there to see it (in a batch run, papermill or nbval, the static figure stands in)."""
    for control in controls:
        control.observe(lambda _change: update(), "value")
    if interactive():
        update()


def png_bytes(picture) -> bytes:
    """The PNG of a picture: a uint8 array [H, W, 3], a matplotlib figure as the inline backend
    shows it (:func:`figure_png`), or PNG bytes made before (a widget's cached picture)."""
    if isinstance(picture, bytes):
        return picture
    if not isinstance(picture, np.ndarray):
        return figure_png(picture)
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(picture).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def figure_png(fig, bbox=None, pad_inches: float = 0.1) -> bytes:
    """The figure as ``savefig(bbox_inches="tight")`` draws it (what the inline backend shows):
    cropped to what it draws plus ``pad_inches``, at its dpi. savefig draws the figure twice, once
    to find that box; here the box is :func:`tight_box`, measured without a draw, or ``bbox`` (in
    inches) when the caller knows it (a figure whose extent a redraw does not change). A figure
    with a layout engine (whose layout only a draw settles) takes savefig's way."""
    if fig.get_layout_engine() is None and bbox is None:
        bbox = tight_box(fig, pad_inches)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches=bbox or "tight", pad_inches=pad_inches,
                pil_kwargs={"compress_level": 1})
    return buf.getvalue()


def tight_box(fig, pad_inches: float = 0.1):
    """The box (inches) of what ``fig`` draws, plus ``pad_inches``: savefig's "tight" box."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    return fig.get_tightbbox(canvas.get_renderer()).padded(pad_inches)


class ImagePanels:
    """A row of image panels (axes off, a title each) in one figure made once: :meth:`show` puts
    new pictures and titles into it and returns the figure, so a redraw makes nothing anew."""

    def __init__(self, count: int, figsize: tuple[float, float], cmaps: Sequence | None = None,
                 interpolation: str | None = None, fontsize: float | str | None = 9):
        """``cmaps``: a colour map per panel for [H, W] pictures; ``fontsize`` of the titles
        (None: matplotlib's title size)."""
        import matplotlib
        from matplotlib.figure import Figure

        self.figure = Figure(figsize=figsize)
        self.axes = self.figure.subplots(1, count, squeeze=False)[0]
        self.cmaps = list(cmaps) if cmaps is not None else [None] * count
        self.interpolation = interpolation
        self.fontsize = matplotlib.rcParams["axes.titlesize"] if fontsize is None else fontsize
        self.images = [None] * count

    def show(self, pictures: Sequence, titles: Sequence[str]):
        """Panel k shows ``pictures[k]`` (uint8 [H, W, 3], or [H, W] on the panel's colour map,
        scaled to its own range as ``imshow`` does) under ``titles[k]``; returns the figure."""
        for k, (ax, pic, title) in enumerate(zip(self.axes, pictures, titles)):
            pic = np.asarray(pic)
            im = self.images[k]
            if im is None:
                self.images[k] = ax.imshow(pic, cmap=self.cmaps[k], interpolation=self.interpolation)
                ax.set_axis_off()
            else:
                if im.get_array().shape[:2] != pic.shape[:2]:
                    im.set_extent((-0.5, pic.shape[1] - 0.5, pic.shape[0] - 0.5, -0.5))
                im.set_data(pic)
                im.autoscale()
            # y given: where matplotlib would put it above an axes without tick labels, without
            # measuring the hidden axes' ticks first (most of a redraw's time otherwise)
            ax.set_title(title, fontsize=self.fontsize, y=1.0)
        return self.figure


# ------------------------------------------------------------------------------------------
# Chapter 0's widget: seed and ψ
# ------------------------------------------------------------------------------------------
def sample_image(G, seed: int, truncation_psi: float = 1.0, noise_mode: str = "const",
                 upscale: int = 4) -> np.ndarray:
    """The picture behind the seed/ψ widget: one image as uint8 [H·upscale, W·upscale, 3]."""
    img = image_grid(generate(G, [int(seed)], truncation_psi=truncation_psi, noise_mode=noise_mode), pad=0)
    return enlarge(img, upscale)


def seed_psi_widget(G, seed: int = 0, truncation_psi: float = 1.0, size: int = 192):
    """Sliders for the seed and ψ, showing ``sample_image`` about ``size`` pixels wide."""
    import ipywidgets as W

    seed_w = W.IntSlider(value=seed, min=0, max=999, description="seed")
    psi_w = W.FloatSlider(value=truncation_psi, min=-1.0, max=1.5, step=0.05, description="ψ")
    has_w_avg = int(G.mapping.w_avg_updates) > 0
    psi_w.disabled = not has_w_avg
    upscale = max(1, size // G.img_resolution)

    def draw():
        return sample_image(G, seed_w.value, psi_w.value if has_w_avg else 1.0, upscale=upscale)

    return figure_widget([[seed_w, psi_w]], draw)
