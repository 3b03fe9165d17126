"""Pictures: grids, seeded generation, Figure 1 from the model's structure, the tour widget."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from stylegan_lib import Generator
from stylegan_lib.generate import generate
from stylegan_lib.images import image_grid, to_hwc
from stylegan_lib.latent import random_z, ws_from_seeds, z_from_seeds
from stylegan_lib.utils import progress_bar
from stylegan_lib.viz.architecture import architecture_summary, parameter_table
from stylegan_lib.viz.widgets import sample_image


def test_z_from_seeds_does_not_depend_on_the_batch():
    a = z_from_seeds([3, 4, 5], 16)
    b = z_from_seeds([5], 16)
    assert torch.equal(a[2], b[0]) and not torch.equal(a[0], a[1])


def test_latents_of_a_seed_are_not_the_weights_initialised_with_that_seed():
    # Models trained before the latent stream (book-32) seeded torch with their seed before
    # building G: the mapping network's first layer is then N(0, 1) draws / lr_mul, and a latent
    # of that raw stream is a weight row.
    torch.manual_seed(0)
    G = Generator("tiny-16")
    W = G.mapping.layers[0].weight.detach()                       # [out, z_dim]
    rows = torch.nn.functional.normalize(W, dim=1)
    raw = torch.randn(4, G.z_dim, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(torch.nn.functional.normalize(raw, dim=1)[0], rows[0], atol=1e-5)  # the trap
    for z in (random_z(256, G.z_dim, 0), z_from_seeds(range(8), G.z_dim)):
        cos = torch.nn.functional.normalize(z, dim=1) @ rows.T
        assert cos.abs().max() < 0.8
    assert torch.equal(random_z(3, G.z_dim, 7)[0], z_from_seeds([7], G.z_dim)[0])
    assert torch.equal(random_z(5, 8, 1), random_z(5, 8, 1)) and not torch.equal(random_z(5, 8, 1), random_z(5, 8, 2))


def test_ws_from_seeds_maps_the_seeds_or_the_given_latents():
    torch.manual_seed(0)
    G = Generator("tiny-16").eval()
    ws = ws_from_seeds(G, [3, 4])
    assert ws.shape == (2, G.num_ws, G.w_dim) and torch.equal(ws, G.mapping(z_from_seeds([3, 4], G.z_dim)))
    G.mapping.compute_w_avg(100, generator=torch.Generator().manual_seed(0))
    assert torch.equal(ws_from_seeds(G, [3, 4], 0.5, 2), G.mapping(z_from_seeds([3, 4], G.z_dim), None, 0.5, 2))
    z = torch.randn(2, G.z_dim)
    assert torch.equal(ws_from_seeds(G, [3, 4], z=z), G.mapping(z))
    with pytest.raises(ValueError, match="one latent per seed"):
        ws_from_seeds(G, [3], z=z)


def test_progress_bar_only_when_asked():
    steps = range(3)
    assert progress_bar(steps, False) is steps
    assert list(progress_bar(steps, True, disable=True)) == [0, 1, 2]


def test_to_hwc_and_grid():
    x = torch.tensor([-1.0, 0.0, 1.0, 2.0]).view(1, 1, 2, 2).expand(3, 3, 2, 2)
    u = to_hwc(x)
    assert u.shape == (3, 2, 2, 3) and u.dtype == np.uint8
    assert u[0, :, :, 0].ravel().tolist() == [0, 128, 255, 255]
    g = image_grid(x, ncols=2, pad=1)
    assert g.shape == (2 * 3 + 1, 2 * 3 + 1, 3)


def test_generate_is_deterministic_by_seed():
    torch.manual_seed(0)
    G = Generator("tiny-16").eval()
    a = generate(G, [1, 2, 3], noise_mode="const", batch_size=2)
    b = generate(G, [3], noise_mode="const")
    torch.testing.assert_close(a[2:], b)
    img = sample_image(G, 3, upscale=2)
    assert img.shape == (32, 32, 3) and img.dtype == np.uint8


def test_architecture_summary_follows_the_model():
    def labels(preset):
        s = architecture_summary(Generator(preset))
        return s, [b.label for _, boxes in s["synthesis"] for b in boxes]

    s, f = labels("tiny-16")
    assert s["style_based"] and f[0].startswith("Const") and "+ noise · B" in f
    assert f.count("AdaIN ← A(w)") == 2 * 3 and "PixelNorm" not in f
    s, b = labels("tiny-16/config-B")
    assert not s["style_based"] and b[0].startswith("FC") and "AdaIN ← A(w)" not in b and "PixelNorm" in b
    _, c = labels("tiny-16/config-C")
    assert c[0].startswith("FC") and "AdaIN ← A(w)" in c and "+ noise · B" not in c
    _, a = labels("tiny-16/config-A")
    assert "Blur" not in a and "Blur" in b


def test_parameter_table_adds_up():
    G = Generator("tiny-16")
    rows = dict(parameter_table(G))
    assert rows["total"] == sum(v for k, v in rows.items() if k != "total")
    assert rows["total"] == G.num_parameters()["total"]


def test_parameter_counts_include_frozen_parameters():
    from stylegan_lib import Discriminator

    G = Generator("tiny-16")
    D = Discriminator("tiny-16")
    before = dict(parameter_table(G)), G.num_parameters(), D.num_parameters()
    G.requires_grad_(False), D.requires_grad_(False)
    assert (dict(parameter_table(G)), G.num_parameters(), D.num_parameters()) == before
    assert before[0]["total"] == sum(p.numel() for p in G.parameters()) > 0


def test_tour_widget_builds():
    import matplotlib

    matplotlib.use("Agg")
    from stylegan_lib.viz.widgets import seed_psi_widget

    G = Generator("tiny-16").eval()
    w = seed_psi_widget(G)
    assert len(w.children) == 2


def test_figure_widget_redraws_on_every_change(monkeypatch):
    W = pytest.importorskip("ipywidgets")
    from stylegan_lib.viz.book import BATCH_ENV
    from stylegan_lib.viz.widgets import figure_widget

    seen = []

    def draw():
        seen.append((a.value, b.value))
        return np.zeros((2, 2, 3), np.uint8)

    a, b = W.IntSlider(value=1), W.FloatSlider(value=0.5)
    monkeypatch.setenv(BATCH_ENV, "1")  # a batch run: nothing drawn at creation
    box = figure_widget([[a], [b]], draw)
    assert seen == [] and len(box.children) == 3 and box.image.value == b""
    a.value = 2
    b.value = 0.25
    assert seen == [(2, 0.5), (2, 0.25)] and bytes(box.image.value).startswith(b"\x89PNG")
    monkeypatch.delenv(BATCH_ENV)  # a reader: the first picture at once
    box = figure_widget([[a, b]], draw)
    assert seen[-1] == (2, 0.25) and bytes(box.image.value).startswith(b"\x89PNG")
