"""Interactive widgets for the chapters. Each widget is a thin shell around a package function
(tested on its own) that maps the widget's values to a picture; the shell itself is
:func:`figure_widget` (or :func:`on_change` for a widget that is not a matplotlib figure)."""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..generate import generate
from ..images import enlarge, image_grid
from .book import interactive


def on_change(controls: Sequence, update: Callable[[], None]) -> None:
    """Call ``update()`` whenever one of ``controls`` changes its value, and once now if a reader
    is there to see it (in a batch run, papermill or nbval, the static figure stands in)."""
    for control in controls:
        control.observe(lambda _change: update(), "value")
    if interactive():
        update()


def figure_widget(rows: Sequence[Sequence], draw: Callable[[], None]):
    """Rows of controls above an output area showing the matplotlib figure that ``draw()`` makes
    from their values, drawn afresh whenever one of them changes (needs ipywidgets and a kernel)."""
    import ipywidgets as W
    import matplotlib.pyplot as plt

    out = W.Output()

    def redraw():
        with out:
            out.clear_output(wait=True)
            draw()
            plt.show()

    on_change([control for row in rows for control in row], redraw)
    return W.VBox([*(W.HBox(list(row)) for row in rows), out])


def sample_image(G, seed: int, truncation_psi: float = 1.0, noise_mode: str = "const",
                 upscale: int = 4) -> np.ndarray:
    """The picture behind the seed/ψ widget: one image as uint8 [H·upscale, W·upscale, 3]."""
    img = image_grid(generate(G, [int(seed)], truncation_psi=truncation_psi, noise_mode=noise_mode), pad=0)
    return enlarge(img, upscale)


def seed_psi_widget(G, seed: int = 0, truncation_psi: float = 1.0):
    """Sliders for the seed and ψ, showing ``sample_image``."""
    import ipywidgets as W
    import matplotlib.pyplot as plt

    seed_w = W.IntSlider(value=seed, min=0, max=999, description="seed")
    psi_w = W.FloatSlider(value=truncation_psi, min=-1.0, max=1.5, step=0.05, description="ψ")
    has_w_avg = int(G.mapping.w_avg_updates) > 0
    psi_w.disabled = not has_w_avg

    def draw():
        fig, ax = plt.subplots(figsize=(2.5, 2.5))
        ax.imshow(sample_image(G, seed_w.value, psi_w.value if has_w_avg else 1.0))
        ax.set_axis_off()

    return figure_widget([[seed_w, psi_w]], draw)
