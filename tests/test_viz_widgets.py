"""The widget shell (stylegan_lib.viz.widgets) without a kernel frontend: moving a control puts
new PNG bytes into the widget's Image, a figure's PNG is the picture the inline backend showed,
a figure kept and updated shows what a new one would, and every chapter widget redraws on every
one of its controls (with the redraw measurement of stylegan_lib.redraw_bench)."""
from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from stylegan_lib import redraw_bench  # noqa: E402
from stylegan_lib.viz.book import BATCH_ENV  # noqa: E402
from stylegan_lib.viz.widgets import ImagePanels, figure_widget, png_bytes  # noqa: E402

W = pytest.importorskip("ipywidgets")


def decode(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def inline_picture(fig) -> np.ndarray:
    """What the inline backend shows of a figure: savefig(bbox_inches="tight") as PNG."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    return decode(buf.getvalue())


def test_the_shell_puts_a_new_png_into_its_image_when_a_control_changes(monkeypatch):
    monkeypatch.delenv(BATCH_ENV, raising=False)
    a, b = W.IntSlider(value=1), W.Dropdown(options=["x", "y"], value="x")
    box = figure_widget([[a, b]], lambda: np.full((3, 5, 3), 10 * a.value + (b.value == "y"), np.uint8))
    assert isinstance(box.image, W.Image) and box.children[-1] is box.image
    assert decode(box.image.value).shape == (3, 5, 3) and decode(box.image.value)[0, 0, 0] == 10
    a.value = 4
    assert decode(box.image.value)[0, 0, 0] == 40
    b.value = "y"
    assert decode(box.image.value)[0, 0, 0] == 41


def test_a_figure_png_is_the_inline_backends_picture():
    import matplotlib.pyplot as plt

    panels = ImagePanels(3, figsize=(7, 2.6))
    panels.show([np.full((8, 8, 3), 60 * k, np.uint8) for k in range(3)], ["a", "bb", "ccc"])
    beyond, ax = plt.subplots(figsize=(3, 2))              # a label drawn below the figure's edge
    ax.plot([0, 1], [0, 1])
    ax.set_xlabel("a label\nof\nthree lines", fontsize=14)
    laid_out = plt.figure(figsize=(3, 2), layout="compressed")
    laid_out.subplots(1, 2)[0].set_title("compressed")
    for fig in (panels.figure, beyond, laid_out):
        assert np.array_equal(decode(png_bytes(fig)), inline_picture(fig))
    plt.close("all")


def test_image_panels_updated_show_what_a_new_figure_shows():
    """The old widgets drew a new figure per redraw; a kept figure with new pixels and titles
    (and a map of another size, as the AdaIN widget's on a new layer) shows the same."""
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(0)
    first = [rng.integers(0, 256, (16, 16, 3), dtype=np.uint8), rng.normal(size=(4, 4))]
    second = [rng.integers(0, 256, (16, 16, 3), dtype=np.uint8), rng.normal(size=(8, 8)) * 3]
    titles = ["original", "map: μ=0.12 σ=3.00"]
    panels = ImagePanels(2, figsize=(5, 2.6), cmaps=[None, "RdBu_r"])
    panels.show(first, ["first", "a first title"])
    fig, axes = plt.subplots(1, 2, figsize=(5, 2.6))
    for ax, pic, title, cmap in zip(axes, second, titles, [None, "RdBu_r"]):
        ax.imshow(pic, cmap=cmap)
        ax.set_title(title, fontsize=9)
        ax.set_axis_off()
    assert np.array_equal(decode(png_bytes(panels.show(second, titles))), inline_picture(fig))
    plt.close("all")


def test_the_timeline_widget_shows_the_static_timeline_at_its_kimg(monkeypatch):
    import matplotlib.pyplot as plt

    from stylegan_lib.train.schedule import Schedule
    from stylegan_lib.viz.training import plot_timeline, timeline_widget

    monkeypatch.delenv(BATCH_ENV, raising=False)
    schedule = Schedule(resolution=32)
    box = timeline_widget(schedule, 300, kimg=30)
    slider, summary = box.children[0].children[0], box.children[-1]
    for kimg in (0, 95, 300):
        slider.value = kimg
        assert np.array_equal(decode(box.image.value), inline_picture(plot_timeline(schedule, 300, kimg)))
        assert summary.value.startswith(f"{kimg:g} kimg:")
    plt.close("all")


# ------------------------------------------------------------------------------------------
# Every chapter widget, on small stand-ins for the chapters' models and data
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def projected(textured_G):
    """Two faces of the tiny generator projected into W (two steps: only the shapes matter)."""
    from stylegan_lib.project import project

    G = textured_G
    target = G(torch.randn(2, G.z_dim, generator=torch.Generator().manual_seed(0)), noise_mode="const")
    return project(G, target, "w", num_steps=2, distance="classifier", progress=False, w_avg_samples=200)


def test_the_edit_widget_shows_the_static_edit_panel(textured_G, projected, monkeypatch):
    """The widget lays its figure out once and then only changes pictures and labels."""
    from stylegan_lib.viz.projection import draw_edit_panel, edit_panel, edit_widget
    from test_project_evaluate import ColourClassifier

    monkeypatch.delenv(BATCH_ENV, raising=False)
    d = torch.nn.functional.normalize(torch.randn(textured_G.w_dim, generator=torch.Generator().manual_seed(1)),
                                      dim=0)
    box = edit_widget(textured_G, projected, {"blue": d, "red": -d}, ColourClassifier(), attribute="blue")
    (face, which), alpha = box.children[0].children, box.children[1].children[0]
    face.value, which.value, alpha.value = 1, "red", 3.5
    panel = edit_panel(textured_G, projected.ws, projected.noise, 1, -d, 3.5, ColourClassifier(), "red")
    static = draw_edit_panel(projected.target[1], panel, "red", 3.5)
    assert np.array_equal(decode(box.image.value), inline_picture(static))


def chapter_widgets(G, projected):
    """(name, widget) for every widget of the book, built on a tiny generator."""
    from stylegan_lib.train.schedule import Schedule
    from stylegan_lib.viz import adain, constant, faces, mapping, metrics, mixing, noise, official
    from stylegan_lib.viz import projection, training, truncation
    from stylegan_lib.viz.widgets import seed_psi_widget
    from test_project_evaluate import ColourClassifier

    rng = np.random.default_rng(0)
    direction = torch.nn.functional.normalize(torch.randn(G.w_dim, generator=torch.Generator().manual_seed(1)),
                                              dim=0)
    return [
        ("seed_psi", seed_psi_widget(G, truncation_psi=0.7)),
        ("face", faces.face_widget(resolution=64, size=64)),   # the chapter's: one step moves a pixel
        ("interpolation", mapping.interpolation_widget(G)),
        ("style_channel", adain.style_channel_widget(G, layer=1)),
        ("constant", constant.constant_widget(G)),
        ("noise", noise.noise_widget(G)),
        ("mixing", mixing.mixing_widget(G, 0, 1)),
        ("truncation", truncation.truncation_widget(G, truncation_psi=0.5, truncation_cutoff=2)),
        ("timeline", training.timeline_widget(Schedule(resolution=16), 200, kimg=30)),
        ("sample_count", metrics.sample_count_widget(rng.normal(size=(100, 6)), rng.normal(size=(100, 6)) + 0.5,
                                                     100, n=40, step=20)),
        ("style_mixing", official.style_mixing_widget(G)),
        ("edit", projection.edit_widget(G, projected, {"blue": direction, "red": -direction}, ColourClassifier(),
                                        attribute="blue")),
    ]


def test_every_chapter_widget_redraws_on_every_control(textured_G, projected, monkeypatch):
    monkeypatch.delenv(BATCH_ENV, raising=False)   # drawn at once, as for a reader
    G = textured_G
    G.mapping.compute_w_avg()
    for name, widget in chapter_widgets(G, projected):
        assert redraw_bench.picture(widget).startswith(b"\x89PNG"), name
        for control in redraw_bench.controls(widget):
            start = control.value
            _, _, unchanged = redraw_bench.redraw_seconds(widget, control, repeats=1)
            assert unchanged == 0, f"{name}: moving {control.description!r} left the picture unchanged"
            assert control.value == start


def test_the_sample_count_widget_keeps_each_pictures_png(monkeypatch):
    """A second visit to a sample count shows the same picture without computing FD and KD."""
    from stylegan_lib.viz import metrics

    monkeypatch.delenv(BATCH_ENV, raising=False)
    rng = np.random.default_rng(0)
    box = metrics.sample_count_widget(rng.normal(size=(60, 4)), rng.normal(size=(60, 4)), 60, n=20, step=20)
    slider, first = box.children[0].children[0], box.image.value
    slider.value = 40
    calls = []
    monkeypatch.setattr(metrics, "sample_count_view", lambda *a, **k: calls.append(a))
    slider.value = 20
    assert box.image.value == first and calls == []
