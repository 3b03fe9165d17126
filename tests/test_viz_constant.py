"""Chapter 4's figures: the learned constant, what the first layers make of it, replacing it."""
import numpy as np
import pytest
import torch

from stylegan_lib import Generator
from stylegan_lib.latent import ws_from_seeds
from stylegan_lib.viz import constant as K


@pytest.fixture(scope="module")
def G(textured_G):
    return textured_G


def test_constant_and_summary(G):
    c = K.constant_tensor(G)
    assert c.shape == (G.synthesis.blocks.b4.channels, 4, 4)
    assert torch.equal(c, G.synthesis.blocks.b4.const[0])
    fresh = K.constant_summary(Generator("tiny-16"))
    assert fresh["change_from_init"] == 0 and fresh["flat_channels"] == c.shape[0]
    s = K.constant_summary(G)
    assert s["flat_channels"] == 0 and s["change_from_init"] > 0.5
    with pytest.raises(ValueError, match="no learned constant"):
        K.constant_tensor(Generator("tiny-16/config-C"))


def test_pca_rgb():
    maps = torch.randn(3, 8, 5, 5)
    rgb = K.pca_rgb(maps)
    assert rgb.shape == (3, 5, 5, 3) and rgb.min() >= 0 and rgb.max() <= 1
    # Identical maps give identical colours; a scaled copy of the data gives the same picture.
    same = K.pca_rgb(maps[:1].expand(2, -1, -1, -1))
    assert np.allclose(same[0], same[1])
    assert np.allclose(K.pca_rgb(3 * maps), rgb)


def test_spatial_agreement():
    base = torch.randn(1, 6, 4, 4)
    # Per-channel affine changes keep the pattern: agreement 1.
    scaled = base * torch.rand(1, 6, 1, 1).add(0.5) + torch.randn(1, 6, 1, 1)
    assert K.spatial_agreement(torch.cat([base, scaled])) == pytest.approx(1.0)
    unrelated = torch.randn(40, 6, 8, 8)
    assert abs(K.spatial_agreement(unrelated)) < 0.05
    assert np.isnan(K.spatial_agreement(torch.ones(3, 2, 4, 4)))


def test_the_constant_fixes_the_first_layers_pattern(G):
    seeds = [0, 1, 2, 3]
    agree = K.agreement_by_layer(G, seeds)
    # Every image starts from the same constant (and the same stored noise): layer 0's
    # normalised maps are identical for all seeds.
    assert agree["b4/layer0"] == pytest.approx(1.0)
    assert agree["b16/layer1"] < 0.99
    # With the traditional input (config C) the first layer already differs between seeds.
    Gc = Generator("tiny-16/config-C").eval()
    assert K.agreement_by_layer(Gc, seeds)["b4/layer0"] < 0.9


def test_replacing_the_constant(G):
    ws = ws_from_seeds(G, [4, 5])
    ref = G.synthesis(ws, noise_mode="const")
    alts = K.constant_variants(G)
    assert set(alts) == set(K.VARIANTS)
    assert torch.equal(alts["mirrored"], K.constant_tensor(G).flip(-1))
    # α = 0, or the learned constant itself, change nothing.
    torch.testing.assert_close(K.synthesize_with_constant(G, ws, alts["mirrored"], alpha=0.0), ref)
    torch.testing.assert_close(K.synthesize_with_constant(G, ws, alts["learned"]), ref)
    mirrored = K.synthesize_with_constant(G, ws, alts["mirrored"])
    assert not torch.allclose(mirrored, ref)
    # A flat constant is wiped out by instance norm: layer 0 leaves AdaIN as y_b everywhere.
    _, feats = K.synthesize_with_constant(G, ws, alts["flat"], noise_mode="none", return_features=True)
    # (up to float rounding, which 1/sqrt(var + 1e-8) amplifies: normal maps have std 1)
    assert feats["b4/layer0/norm"].abs().max() < 1e-2
    # The hook is gone afterwards.
    torch.testing.assert_close(G.synthesis(ws, noise_mode="const"), ref)
    with pytest.raises(ValueError, match="shape"):
        K.synthesize_with_constant(G, ws, torch.zeros(3, 4, 4))
    img = K.constant_image(G, 4, "shifted", 0.5, upscale=2)
    assert img.shape == (32, 32, 3) and img.dtype == np.uint8
    grid = K.variants_grid(G, [4, 5], ("learned", "flat"))
    assert grid.shape == (2 * 17 + 1, 2 * 17 + 1, 3)
    with pytest.raises(ValueError, match="variant"):
        K.constant_image(G, 0, "upside down")


def test_stage_maps_stage_check(G):
    f = K.stage_maps(G, [0, 1], stage="style", layers=["b8/layer0"])
    assert list(f) == ["b8/layer0"] and f["b8/layer0"].shape == (2, 32, 8, 8)
    with pytest.raises(ValueError, match="stage"):
        K.stage_maps(G, [0], stage="bogus")
