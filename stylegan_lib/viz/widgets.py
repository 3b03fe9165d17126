"""Interactive widgets for the chapters. Each widget is a thin shell around a package function
(tested on its own) that maps the widget's values to a picture."""
from __future__ import annotations

import numpy as np

from .grids import generate, image_grid
from .book import interactive


def sample_image(G, seed: int, truncation_psi: float = 1.0, noise_mode: str = "const",
                 upscale: int = 4) -> np.ndarray:
    """The picture behind the seed/ψ widget: one image as uint8 [H·upscale, W·upscale, 3]."""
    img = image_grid(generate(G, [int(seed)], truncation_psi=truncation_psi, noise_mode=noise_mode), pad=0)
    return np.kron(img, np.ones((upscale, upscale, 1), dtype=np.uint8)) if upscale > 1 else img


def seed_psi_widget(G, seed: int = 0, truncation_psi: float = 1.0):
    """Sliders for the seed and ψ, showing ``sample_image`` (needs ipywidgets and a kernel)."""
    import ipywidgets as W
    import matplotlib.pyplot as plt

    out = W.Output()
    seed_w = W.IntSlider(value=seed, min=0, max=999, description="seed")
    psi_w = W.FloatSlider(value=truncation_psi, min=-1.0, max=1.5, step=0.05, description="ψ")
    has_w_avg = int(G.mapping.w_avg_updates) > 0
    psi_w.disabled = not has_w_avg

    def redraw(*_):
        with out:
            out.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(2.5, 2.5))
            ax.imshow(sample_image(G, seed_w.value, psi_w.value if has_w_avg else 1.0))
            ax.set_axis_off()
            plt.show()

    seed_w.observe(redraw, "value")
    psi_w.observe(redraw, "value")
    if interactive():  # in a batch run (papermill/nbval) the static figure stands in
        redraw()
    return W.VBox([W.HBox([seed_w, psi_w]), out])
