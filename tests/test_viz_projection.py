"""Chapter 14's figures and widget (stylegan_lib.viz.projection)."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from stylegan_lib.images import image_grid, to_hwc  # noqa: E402
from stylegan_lib.project import project  # noqa: E402
from stylegan_lib.viz import projection as vp  # noqa: E402

from test_project_evaluate import ColourClassifier  # noqa: E402


@pytest.fixture(scope="module")
def projected(textured_G):
    G = textured_G
    target = G(torch.randn(3, G.z_dim, generator=torch.Generator().manual_seed(0)), noise_mode="const")
    return project(G, target, "w", num_steps=5, distance="classifier", frame_every=2, progress=False,
                   w_avg_samples=500)


def test_frame_steps_and_cells():
    assert vp.frame_steps(5, 2) == [0, 2, 4] and vp.frame_steps(6, 2) == [0, 2, 4, 5]
    images = torch.randint(0, 256, (4, 3, 8, 8), dtype=torch.uint8)
    grid = image_grid(images, ncols=2)
    for i in range(4):
        assert np.array_equal(vp.frame_cell(grid, i // 2, i % 2, 8), to_hwc(images[i:i + 1])[0])
    with pytest.raises(ValueError, match="outside a frame"):
        vp.frame_cell(grid, 2, 0, 8)


def test_progress_strip_and_frames(projected):
    strip = vp.progress_strip(projected, index=1)
    assert strip.shape == (3, 16, 16, 3) and strip.dtype == np.uint8          # steps 0, 2, 4
    assert np.array_equal(vp.frame_cell(projected.frames[0], 1, 0, 16), to_hwc(projected.target[1:2])[0])
    small = vp.progress_frames(projected, 2)
    assert len(small) == 3 and small[0].shape == (2 * 17 + 1, 2 * 17 + 1, 3)
    empty = type(projected)("w", projected.ws, projected.noise, projected.image, projected.target, "x")
    with pytest.raises(ValueError, match="frame_every"):
        vp.progress_strip(empty)


def test_figures_draw(projected):
    import matplotlib.pyplot as plt

    fig = vp.draw_progress(projected, vp.frame_steps(5, 2), index=0)
    assert len(fig.axes) == 4
    _, ax = plt.subplots()
    vp.draw_loss(projected, ax)
    fig = vp.draw_comparison(projected.target, {"W": projected.image}, {"W": [0.1, 0.2, 0.3]})
    assert len(fig.axes) == 6 and fig.axes[3].get_xlabel() == "0.1000"
    table = torch.zeros(2, 3, 3, 16, 16)
    fig = vp.draw_edit_table(table, ["a", "b"], [-1, 0, 1], torch.full((2, 3), 0.5))
    assert len(fig.axes) == 6 and fig.axes[0].get_title() == "α = -1" and fig.axes[0].get_xlabel() == "p = 0.50"
    plt.close("all")


def test_edit_panel(textured_G, projected):
    G, C = textured_G, ColourClassifier()
    d = torch.zeros(G.w_dim)
    d[0] = 1.0
    still = vp.edit_panel(G, projected.ws, projected.noise, 2, d, 0.0, C, "blue")
    assert still["images"].shape == (2, 3, 16, 16) and still["p"].shape == (2,)
    torch.testing.assert_close(still["images"][0], projected.image[2].clamp(-1, 1), atol=1e-5, rtol=0)
    torch.testing.assert_close(still["images"][0], still["images"][1])
    moved = vp.edit_panel(G, projected.ws, projected.noise, 2, d, 3.0, C, "blue")
    assert not torch.allclose(moved["images"][1], moved["images"][0])
    with pytest.raises(ValueError, match="index must be in"):
        vp.edit_panel(G, projected.ws, projected.noise, 3, d, 1.0, C, "blue")
    fig = vp.draw_edit_panel(projected.target[2], moved, "blue", 3.0)
    assert fig.axes[2].get_title() == "blue +3"


def test_edit_widget_builds(textured_G, projected, monkeypatch):
    pytest.importorskip("ipywidgets")
    monkeypatch.setenv("STYLEGAN_BOOK_BATCH", "1")
    G = textured_G
    d = torch.zeros(G.w_dim)
    box = vp.edit_widget(G, projected, {"red": d, "blue": d}, ColourClassifier(), index=1, attribute="blue")
    face, which = box.children[0].children
    assert face.value == 1 and face.max == 2 and which.value == "blue"
