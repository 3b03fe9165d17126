"""Noise inputs: Figure 4 (stochastic variation), Figure 5 (noise per layer group), the widget."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from stylegan_lib import Generator
from stylegan_lib.latent import noise_groups, ws_from_seeds
from stylegan_lib.viz.noise import (GROUPS, figure5_panels, layer_noise, layers_label, noise_image,
                                    noise_layers, noise_panels, noise_strengths, stochastic_variation)


def tiny(strengths: dict[int, float] | None = None, seed: int = 0):
    """tiny-16 (layers at 4,4,8,8,16,16) with the given noise strength B in the given layers,
    zero elsewhere (an untrained G has B = 0 everywhere)."""
    torch.manual_seed(seed)
    G = Generator("tiny-16").eval().requires_grad_(False)
    for i, epi in enumerate(G.synthesis.epilogues()):
        epi.noise.weight.fill_((strengths or {}).get(i, 0.0))
    return G


def test_layer_groups_of_the_noise_inputs():
    G = tiny()
    assert noise_layers(G, ["coarse"]) == [0, 1, 2, 3]
    assert noise_layers(G, ["fine"]) == [4, 5]
    assert noise_layers(G, ["all"]) == list(range(6))
    panels = figure5_panels(G)
    assert panels["fine"] == [4, 5] and panels["coarse"] == [0, 1, 2, 3] and panels["none"] == []
    assert layers_label(G, panels["coarse"]) == "4²–8²" and layers_label(G, []) == "none"
    with pytest.raises(ValueError, match="unknown layer group"):
        noise_layers(G, ["middle"])


@pytest.mark.parametrize("num_layers, coarse, fine", [
    (18, range(0, 8), range(8, 18)),   # the paper's Figure 5 at 1024²: 4²–32² vs 64²–1024²
    (8, range(0, 6), range(6, 8)),     # the book's 32²: 4²–16² vs 32²
    (6, range(0, 4), range(4, 6))])    # 16²: 4²–8² vs 16²
def test_noise_groups_are_figure5s_split(num_layers, coarse, fine):
    assert noise_groups(num_layers) == {"coarse": coarse, "fine": fine}


def test_figure5_widget_and_panels_share_one_split():
    G = tiny()
    widget = {g: noise_layers(G, [g]) for g in GROUPS}
    assert widget == {g: list(r) for g, r in noise_groups(6).items()}
    assert {g: figure5_panels(G)[g] for g in GROUPS} == widget


def test_layer_noise_is_independent_of_which_layers_are_on():
    G = tiny()
    every = layer_noise(G, None, noise_seed=3, batch=2)
    fine = layer_noise(G, [4, 5], noise_seed=3, batch=2, strength=2.0)
    assert [n.shape[-1] for n in every] == G.synthesis.layer_resolutions()
    assert all(n.shape[:2] == (2, 1) for n in every)
    for i in range(4):
        assert not fine[i].any()
    torch.testing.assert_close(fine[4], 2 * every[4])
    torch.testing.assert_close(fine[5], 2 * every[5])
    assert not torch.equal(every[4], layer_noise(G, None, noise_seed=4, batch=2)[4])
    with pytest.raises(ValueError, match="do not exist"):
        layer_noise(G, [6])


def test_figure4_std_is_zero_without_noise_strength_and_positive_with_it():
    # B = 0 everywhere (an untrained G): the noise cannot change a pixel (up to the float
    # round-off of batches of different sizes, 4 then 2).
    r = stochastic_variation(tiny(), [1, 2], num_realisations=6, num_shown=3, batch_size=4)
    assert r.images.shape == (2, 3, 3, 16, 16) and r.std.shape == (2, 16, 16)
    assert float(r.std.max()) < 1e-4
    assert torch.equal(r.images[0, 0], r.images[0, 1])  # same batch: bit for bit
    # Noise only in the last (16²) layer: every pixel varies, and the identity (mean) stays.
    r2 = stochastic_variation(tiny({5: 0.5}), [1, 2], num_realisations=6, num_shown=3, batch_size=4)
    assert float(r2.std.min()) > 1e-3
    assert not torch.equal(r2.images[0, 0], r2.images[0, 1])
    # The realisations of one seed differ much less from each other than the two seeds do.
    within = (r2.images[0, 0] - r2.images[0, 1]).abs().mean()
    between = (r2.mean[0] - r2.mean[1]).abs().mean()
    assert within < between


def test_figure4_std_matches_a_direct_computation():
    G = tiny({2: 0.3, 4: 0.3})
    r = stochastic_variation(G, [7], num_realisations=5, num_shown=5, batch_size=2, noise_seed=11)
    gen = torch.Generator().manual_seed(11)
    ws = ws_from_seeds(G, [7]).expand(5, -1, -1)
    # Same draws in the same order: batches of 2, 2, 1 from one generator.
    imgs = torch.cat([G.synthesis(ws[:k], noise=layer_noise(G, batch=k, generator=gen)) for k in (2, 2, 1)])
    torch.testing.assert_close(r.images[0], imgs)
    torch.testing.assert_close(r.std[0], imgs.double().std(0, unbiased=False).mean(0).float(),
                               atol=1e-5, rtol=1e-4)


def test_figure4_grey_std_and_given_latents():
    # std_of="grey": the per-pixel standard deviation of the grey value (mean over RGB), the
    # statistic of the official Figure 4; z replaces the seeds' own latents.
    G = tiny({2: 0.3, 4: 0.3})
    z = torch.randn(1, G.z_dim, generator=torch.Generator().manual_seed(5))
    r = stochastic_variation(G, [7], num_realisations=5, num_shown=5, batch_size=2, noise_seed=11, z=z,
                             std_of="grey")
    gen = torch.Generator().manual_seed(11)
    ws = G.mapping(z).expand(5, -1, -1)
    imgs = torch.cat([G.synthesis(ws[:k], noise=layer_noise(G, batch=k, generator=gen)) for k in (2, 2, 1)])
    assert torch.equal(r.images[0], imgs)
    assert torch.equal(r.std[0], imgs.double().mean(1).std(0, unbiased=False).float())
    with pytest.raises(ValueError, match="std_of"):
        stochastic_variation(G, [7], num_realisations=2, num_shown=1, std_of="red")


def test_figure5_panels():
    G = tiny({0: 0.4, 5: 0.4})
    p = noise_panels(G, [3], noise_seed=1)
    assert p.names == ["all", "none", "fine", "coarse"] and p.images.shape == (1, 4, 3, 16, 16)
    ws = ws_from_seeds(G, [3])
    torch.testing.assert_close(p.images[0, 1], G.synthesis(ws, noise_mode="none")[0])
    d = p.difference()
    assert float(d[0, 1].max()) == 0.0 and float(d[0, 0].max()) > 0
    # Only the fine noise (layer 5) is on: the images differ from "none" …
    assert float(d[0, 2].max()) > 0 and float(d[0, 3].max()) > 0
    # … and with B = 0 in the coarse layers, coarse-only noise changes nothing.
    p2 = noise_panels(tiny({5: 0.4}), [3], noise_seed=1)
    assert float(p2.difference()[0, 3].max()) == 0.0 and float(p2.difference()[0, 2].max()) > 0


def test_noise_strengths_report_the_size_of_b():
    G = tiny({1: 0.5})
    G.synthesis.epilogues()[3].noise.weight.copy_(torch.tensor([3.0, 4.0] + [0.0] * 30)[:32])
    s = noise_strengths(G)
    assert [r for r, _ in s] == [4, 4, 8, 8, 16, 16]
    assert s[0][1] == 0.0 and s[1][1] == pytest.approx(0.5)
    assert s[3][1] == pytest.approx(np.sqrt(25 / 32))
    with pytest.raises(ValueError, match="no noise inputs"):
        noise_strengths(Generator("tiny-16/config-D"))


def test_noise_widget_function():
    G = tiny({4: 1.0})
    off = noise_image(G, 5, groups=(), upscale=1)
    assert off.shape == (16, 16, 3) and off.dtype == np.uint8
    # Noise in the fine group only matters because only layer 4 has B ≠ 0.
    assert np.array_equal(noise_image(G, 5, groups=("coarse",), upscale=1), off)
    on = noise_image(G, 5, groups=("fine",), upscale=1)
    assert not np.array_equal(on, off)
    # Strength 0 is no noise; a stronger noise moves the picture further.
    assert np.array_equal(noise_image(G, 5, groups=("fine",), strength=0.0, upscale=1), off)
    d1 = np.abs(on.astype(int) - off).mean()
    d3 = np.abs(noise_image(G, 5, groups=("fine",), strength=3.0, upscale=1).astype(int) - off).mean()
    assert d3 > d1
    assert noise_image(G, 5, upscale=2).shape == (32, 32, 3)


def test_stored_noise_panels_are_noise_mode_const():
    G = tiny({0: 0.4, 5: 0.4})
    z = torch.randn(2, G.z_dim, generator=torch.Generator().manual_seed(1))
    p = noise_panels(G, [10, 11], z=z, noise_mode="const")
    ws = G.mapping(z)
    assert torch.equal(p.images[:, 0], G.synthesis(ws, noise_mode="const"))
    torch.testing.assert_close(p.images[:, 1], G.synthesis(ws, noise_mode="none"))
    stored = layer_noise(G, [4, 5], noise_mode="const")
    assert not stored[0].any() and torch.equal(stored[5], G.synthesis.epilogues()[5].noise_const)
    with pytest.raises(ValueError, match="noise_mode"):
        layer_noise(G, noise_mode="none")
