"""Style mixing: Figure 3, the crossover sweep, the widget, test-time mixing of several latents."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from stylegan_lib import Generator
from stylegan_lib.latent import layer_groups, ws_from_seeds
from stylegan_lib.metrics.classifier import FacesClassifier
from stylegan_lib.metrics.detectors import ClassifierDetector
from stylegan_lib.latent import multi_latent_ws
from stylegan_lib.viz.mixing import (attribute_transfer, crossover_sweep, mix_pair, mixing_scores,
                                     style_mixing_figure)


@pytest.fixture(scope="module")
def G():
    torch.manual_seed(0)
    return Generator("tiny-16").eval().requires_grad_(False)


def test_figure3_cells_take_the_rows_group_of_styles_from_b(G):
    grid = style_mixing_figure(G, [1, 2], [3, 4, 5], row_groups=["coarse", "middle", "fine"])
    assert grid.cells.shape == (3, 2, 3, 16, 16)
    assert grid.layers == [[0, 1], [2, 3], [4, 5]]
    assert grid.labels[0] == "coarse (4²)" and grid.labels[2] == "fine (16²)"
    ws_a, ws_b = ws_from_seeds(G, [1, 2]), ws_from_seeds(G, [3, 4, 5])
    for j, layers in enumerate(grid.layers):
        for i in range(2):
            expected = ws_a[i:i + 1].clone()
            expected[:, layers] = ws_b[j, layers]
            torch.testing.assert_close(grid.cells[j, i], G.synthesis(expected, noise_mode="const")[0],
                                       atol=1e-4, rtol=1e-4)
    # A cell differs from its A and its B: it really is a mixture.
    assert not torch.allclose(grid.cells[0, 0], grid.images_a[0], atol=1e-3)
    assert not torch.allclose(grid.cells[0, 0], grid.images_b[0], atol=1e-3)
    torch.testing.assert_close(grid.images_a, G.synthesis(ws_a, noise_mode="const"))


def test_figure3_rows_can_receive_and_take_given_latents(G):
    # receiver="b": row B j takes the row's group of styles from column A i (NVIDIA's script).
    z_a, z_b = torch.randn(2, G.z_dim), torch.randn(1, G.z_dim)
    grid = style_mixing_figure(G, [1, 2], [3], row_groups=["middle"], z_a=z_a, z_b=z_b, receiver="b")
    ws_a, ws_b = G.mapping(z_a), G.mapping(z_b)
    for i in range(2):
        expected = ws_b.clone()
        expected[:, [2, 3]] = ws_a[i, [2, 3]]
        torch.testing.assert_close(grid.cells[0, i], G.synthesis(expected, noise_mode="const")[0],
                                   atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(grid.images_b, G.synthesis(ws_b, noise_mode="const"))
    with pytest.raises(ValueError, match="receiver"):
        style_mixing_figure(G, [1], [2], receiver="c")
    with pytest.raises(ValueError, match="one latent per seed"):
        style_mixing_figure(G, [1], [2], z_a=z_a)


def test_figure3_default_rows_follow_the_paper(G):
    grid = style_mixing_figure(G, [0], list(range(10, 16)))
    assert grid.row_groups == ["coarse", "coarse", "coarse", "middle", "middle", "fine"]
    with pytest.raises(ValueError, match="one group per source B"):
        style_mixing_figure(G, [0], [1, 2], row_groups=["coarse"])
    with pytest.raises(ValueError, match="unknown layer group"):
        style_mixing_figure(G, [0], [1], row_groups=["tiny"])


def test_crossover_sweep_hits_both_sources(G):
    imgs = crossover_sweep(G, 1, 2)
    assert imgs.shape == (G.num_ws + 1, 3, 16, 16)
    ab = G.synthesis(ws_from_seeds(G, [1, 2]), noise_mode="const")
    torch.testing.assert_close(imgs[0], ab[1], atol=1e-4, rtol=1e-4)    # k = 0: all of B
    torch.testing.assert_close(imgs[-1], ab[0], atol=1e-4, rtol=1e-4)   # k = num_ws: all of A
    assert not torch.allclose(imgs[3], ab[0], atol=1e-3) and not torch.allclose(imgs[3], ab[1], atol=1e-3)


def test_mix_pair(G):
    a, none, b = mix_pair(G, 1, 2, [])
    torch.testing.assert_close(none, a, atol=1e-5, rtol=1e-5)
    a, every, b = mix_pair(G, 1, 2, range(G.num_ws))
    torch.testing.assert_close(every, b, atol=1e-5, rtol=1e-5)
    fine = layer_groups(G.num_ws)["fine"]
    _, mixed, _ = mix_pair(G, 1, 2, fine)
    assert not torch.allclose(mixed, a, atol=1e-3) and not torch.allclose(mixed, b, atol=1e-3)
    with pytest.raises(ValueError, match="do not exist"):
        mix_pair(G, 1, 2, [G.num_ws])


def test_multi_latent_ws_uses_k_latents(G):
    z = torch.randn(40, G.z_dim, generator=torch.Generator().manual_seed(0))
    w1 = G.mapping(z)
    torch.testing.assert_close(multi_latent_ws(G, z, 1, torch.Generator().manual_seed(1)), w1)
    for k in (2, 3, 4):
        ws = multi_latent_ws(G, z, k, torch.Generator().manual_seed(1))
        assert ws.shape == w1.shape
        # Input 0 is always the first latent's; each image has exactly k distinct, contiguous runs.
        torch.testing.assert_close(ws[:, 0], w1[:, 0])
        for n in range(len(z)):
            changes = sum(not torch.equal(ws[n, i], ws[n, i + 1]) for i in range(G.num_ws - 1))
            assert changes == k - 1
    with pytest.raises(ValueError, match="num_latents"):
        multi_latent_ws(G, z, G.num_ws + 1, torch.Generator())


def test_mixing_scores_shape(G):
    torch.manual_seed(0)
    det = ClassifierDetector(classifier=FacesClassifier(("a", "b")))
    real = np.random.default_rng(0).normal(size=(40, det.feature_dim))
    scores = mixing_scores(G, (1, 2), num_images=16, detector=det, real=real)
    assert sorted(scores) == [1, 2]
    assert set(scores[1]) == {"fd", "kd", "precision", "recall", "diversity"}
    assert all(np.isfinite(v) for s in scores.values() for v in s.values())


class MeanColourClassifier(torch.nn.Module):
    """A stand-in attribute classifier: 'red' if the image's mean red channel is positive, and
    'left_bright' if its left half is brighter than its right half."""

    attributes = ("red", "left_bright")

    def __init__(self):
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(1))

    def forward(self, img):
        red = img[:, 0].mean((1, 2))
        w = img.shape[-1] // 2
        left = img[..., :w].mean((1, 2, 3)) - img[..., w:].mean((1, 2, 3))
        return torch.stack([red, left], 1)


def test_attribute_transfer_counts_what_follows_b(G):
    clf = MeanColourClassifier()
    everything, nothing = list(range(G.num_ws)), []
    res = attribute_transfer(G, clf, num_pairs=12, groups={"all": everything, "none": nothing, "fine": [4, 5]})
    assert res.groups == ["all", "none", "fine"] and res.attributes == ["red", "left_bright"]
    assert res.follows_b.shape == (3, 2) and res.disagree.shape == (3, 2)
    # Copying every style makes the mixture B: it always has B's attributes; copying none, never.
    for a in range(2):
        if res.disagree[0, a] > 0:
            assert res.follows_b[0, a] == 1.0 and res.follows_b[1, a] == 0.0
        else:
            assert np.isnan(res.follows_b[0, a])
    assert res.disagree.sum() > 0
    assert ((res.follows_b[2] >= 0) & (res.follows_b[2] <= 1) | np.isnan(res.follows_b[2])).all()
    picked = res.select(["left_bright"])
    assert picked.attributes == ["left_bright"]
    np.testing.assert_array_equal(picked.disagree[:, 0], res.disagree[:, 1])
