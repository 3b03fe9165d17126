"""Truncation: Figure 8, the average face, the widget, and the quality/diversity measurements."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from stylegan_lib import Generator
from stylegan_lib.latent import z_from_seeds
from stylegan_lib.metrics.classifier import FacesClassifier
from stylegan_lib.metrics.detectors import ClassifierDetector
from stylegan_lib.viz.truncation import average_image, truncated_image, truncation_figure, truncation_tradeoff


@pytest.fixture(scope="module")
def G():
    torch.manual_seed(0)
    G = Generator("tiny-16").eval().requires_grad_(False)
    G.mapping.compute_w_avg(500, generator=torch.Generator().manual_seed(0))
    return G


def test_psi_zero_gives_the_same_image_for_every_seed(G):
    grid = truncation_figure(G, [1, 2, 3], psis=(1.0, 0.5, 0.0, -1.0))
    assert grid.images.shape == (3, 4, 3, 16, 16)
    at0 = grid.images[:, 2]
    # (1e-4: the float round-off of convolutions over batches of different sizes.)
    torch.testing.assert_close(at0[0], at0[1], atol=1e-4, rtol=0)
    torch.testing.assert_close(at0[0], at0[2], atol=1e-4, rtol=0)
    torch.testing.assert_close(at0[0], average_image(G)[0], atol=1e-4, rtol=0)
    assert (grid.images[0, 0] - grid.images[1, 0]).abs().max() > 0.1
    # ψ = 1 is the plain image; other ψ differ between seeds and from it.
    plain = G(z_from_seeds([1, 2, 3], G.z_dim), noise_mode="const")
    torch.testing.assert_close(grid.images[:, 0], plain)
    assert not torch.allclose(grid.images[0, 1], grid.images[1, 1])
    assert not torch.allclose(grid.images[0, 1], grid.images[0, 0])


def test_negative_psi_mirrors_w_around_the_average(G):
    z = z_from_seeds([4], G.z_dim)
    w = G.mapping(z)
    w_neg = G.mapping.truncate(w, -1.0)
    torch.testing.assert_close(w_neg - G.mapping.w_avg, -(w - G.mapping.w_avg))
    grid = truncation_figure(G, [4], psis=(-1.0,))
    torch.testing.assert_close(grid.images[0, 0], G.synthesis(w_neg, noise_mode="const")[0])
    # Given latents replace the seeds' own (the seeds only label the rows).
    other = torch.randn(1, G.z_dim)
    given = truncation_figure(G, [4], psis=(-1.0,), z=other)
    w_other = G.mapping.truncate(G.mapping(other), -1.0)
    torch.testing.assert_close(given.images[0, 0], G.synthesis(w_other, noise_mode="const")[0])


def test_truncated_image_cutoff(G):
    plain = truncated_image(G, 5, 1.0, upscale=1)
    assert plain.shape == (16, 16, 3) and plain.dtype == np.uint8
    assert np.array_equal(truncated_image(G, 5, 0.3, truncation_cutoff=0, upscale=1), plain)
    half = truncated_image(G, 5, 0.0, truncation_cutoff=2, upscale=1)
    full = truncated_image(G, 5, 0.0, upscale=1)
    assert not np.array_equal(half, plain) and not np.array_equal(half, full)
    assert np.array_equal(full, truncated_image(G, 77, 0.0, upscale=1))
    assert truncated_image(G, 5, 0.5, upscale=3).shape == (48, 48, 3)


def test_truncation_needs_w_avg():
    with pytest.raises(ValueError, match="w̄"):
        truncation_figure(Generator("tiny-16"), [0])


def test_tradeoff_measures_less_diversity_at_small_psi(G):
    torch.manual_seed(0)
    det = ClassifierDetector(classifier=FacesClassifier(("a", "b")))
    # "Real" data: other images of the same generator, so that ψ = 1 is as diverse as the data.
    from stylegan_lib.metrics.evaluate import seed_features

    real = seed_features(G, det, list(range(1000, 1048)))
    res = truncation_tradeoff(G, [1.0, 0.5, 0.0], num_images=24, detector=det, real=real)
    assert res.psis == [1.0, 0.5, 0.0] and set(res.scores) == {"fd", "kd", "precision", "recall", "diversity"}
    d = res.scores["diversity"]
    assert 0.7 < d[0] < 1.3 and d[0] > d[1] > d[2]
    assert d[2] < 1e-3  # the noise of an untrained G is off (B = 0): ψ = 0 is one image
    fd = res.scores["fd"]
    assert fd[0] < fd[2]
    table = res.table().splitlines()
    assert table[0].split()[:3] == ["ψ", "FD", "KD"] and len(table) == 1 + len(res.psis)
    assert all(len(row.split()[1].split(".")[1]) == 1 for row in table[1:])     # FD: one decimal
