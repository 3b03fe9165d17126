"""Chapter 3's figures: AdaIN's statistics, style vs noise, the style-channel widget."""
import numpy as np
import pytest
import torch

from stylegan_lib import Generator
from stylegan_lib.latent import ws_from_seeds, z_from_seeds
from stylegan_lib.layers import adain
from stylegan_lib.viz import adain as A
from stylegan_lib.viz.mapping import map_z


@pytest.fixture(scope="module")
def G(textured_G):
    return textured_G


def test_layer_names_follow_the_style_inputs(G):
    names = A.layer_names(G)
    assert names == ["b4/layer0", "b4/layer1", "b8/layer0", "b8/layer1", "b16/layer0", "b16/layer1"]
    assert A.layer_index(G, "b8/layer1") == 3
    with pytest.raises(ValueError, match="unknown layer"):
        A.layer_index(G, "b32/layer0")
    with pytest.raises(ValueError, match="layer must be"):
        A.layer_index(G, 6)


def test_adain_sets_each_channels_statistics(G):
    f = A.layer_stages(G, ws_from_seeds(G, [1, 2]), "b8/layer0")
    stats = A.channel_statistics(f)
    mean, std = stats["norm"]
    assert np.allclose(mean, 0, atol=1e-5) and np.allclose(std, 1, atol=1e-3)
    mean, std = stats["style"]
    np.testing.assert_allclose(mean, f["y_b"].numpy(), atol=1e-4)
    np.testing.assert_allclose(std, (f["y_s"] + 1).abs().numpy(), rtol=1e-3, atol=1e-4)
    # Before the norm, channels have their own statistics.
    assert stats["act"][1].std() > 0.01
    # The library's adain() gives the same output as the layer.
    torch.testing.assert_close(adain(f["act"], f["y_s"], f["y_b"]), f["style"], atol=1e-4, rtol=1e-4)


def test_style_changes_are_affine_noise_changes_are_not(G):
    r = A.style_vs_noise(G, seed=3, layer="b8/layer0")
    assert np.all(np.abs(r["corr_style"]) > 0.9999)
    assert np.nanmin(r["corr_noise"]) < 0.99
    # Same layer input for the style change: the normalised maps are identical.
    torch.testing.assert_close(r["base"]["norm"], r["style"]["norm"])
    assert not torch.allclose(r["base"]["norm"], r["noise"]["norm"])
    # Without noise strength the noise changes nothing at all.
    G0 = Generator("tiny-16").eval().requires_grad_(False)
    G0.synthesis.blocks.b4.const.normal_()
    r0 = A.style_vs_noise(G0, seed=3, layer="b8/layer0")
    torch.testing.assert_close(r0["base"]["style"], r0["noise"]["style"])


def test_new_style_changes_the_image_from_that_layer_on(G):
    layer = "b8/layer0"
    r = A.style_vs_noise(G, seed=3, layer=layer)
    assert r["other_seed"] == A.distant_seed(G, 3) != 3
    ws = ws_from_seeds(G, [3, r["other_seed"]])
    mixed = ws[:1].clone()
    mixed[:, 2:] = ws[1:, 2:]
    torch.testing.assert_close(r["style"]["image"], A.layer_stages(G, mixed, layer)["image"])
    change = (r["style"]["image"] - r["base"]["image"]).abs().mean().item()
    one_layer = ws[:1].clone()
    one_layer[:, 2] = ws[1:, 2]
    change_one = (A.layer_stages(G, one_layer, layer)["image"] - r["base"]["image"]).abs().mean().item()
    assert change > 0.02 and change > change_one


def test_distant_seed_is_the_farthest_w():
    G = Generator("tiny-16").eval()
    w = map_z(G, z_from_seeds([0, 1, 2, 3], G.z_dim))
    far = int((w[1:] - w[0]).norm(dim=1).argmax()) + 1
    assert A.distant_seed(G, 0, candidates=[0, 1, 2, 3]) == far
    assert A.distant_seed(G, 5) in range(6, 22)
    with pytest.raises(ValueError, match="candidate"):
        A.distant_seed(G, 0, candidates=[0])


def test_scaling_one_channel_changes_only_that_channels_statistics(G):
    ws = ws_from_seeds(G, [5])
    layer, ch = "b8/layer1", 3
    ref = A.layer_stages(G, ws, layer)
    mod = A.scale_style_channel(G, ws, layer, ch, scale=2.5, shift=0.75)
    others = [c for c in range(ref["style"].shape[1]) if c != ch]
    torch.testing.assert_close(mod["style"][:, others], ref["style"][:, others])
    torch.testing.assert_close(mod["norm"], ref["norm"])
    s_ref, s_mod = A.channel_statistics(ref)["style"], A.channel_statistics(mod)["style"]
    assert s_mod[1][0, ch] == pytest.approx(2.5 * s_ref[1][0, ch], rel=1e-4)
    assert s_mod[0][0, ch] == pytest.approx(s_ref[0][0, ch] + 0.75, abs=1e-4)
    assert not torch.allclose(mod["image"], ref["image"])
    # scale 1, shift 0 is the identity, and the hook is gone afterwards.
    same = A.scale_style_channel(G, ws, layer, ch, scale=1.0)
    torch.testing.assert_close(same["image"], ref["image"])
    torch.testing.assert_close(A.layer_stages(G, ws, layer)["image"], ref["image"])
    with pytest.raises(ValueError, match="channel must be"):
        A.scale_style_channel(G, ws, layer, 999)
    assert len(G.synthesis.epilogues()[3].style.affine._forward_hooks) == 0


def test_channel_influence_matches_one_by_one(G):
    ws = ws_from_seeds(G, [7])
    infl = A.channel_influence(G, ws, "b4/layer1", scale=0.0, batch_size=5)
    c = G.synthesis.epilogues()[1].channels
    assert infl.shape == (c,) and (infl >= 0).all()
    top = int(np.argmax(infl))
    ref = A.layer_stages(G, ws, 1)["image"]
    one = A.scale_style_channel(G, ws, 1, top, 0.0)["image"]
    assert (one - ref).abs().mean().item() == pytest.approx(infl[top], rel=1e-4)
    img = A.style_channel_image(G, 7, 1, top, 0.0, upscale=2)
    assert img.shape == (32, 32, 3) and img.dtype == np.uint8
    sweep = A.style_channel_sweep(G, 7, 1, top, scales=(0.0, 1.0))
    torch.testing.assert_close(sweep["images"][1:], ref)
    assert sweep["maps"].shape == (2, 4, 4) and sweep["maps"][0].abs().max() == pytest.approx(
        abs(float(A.layer_stages(G, ws, 1)["y_b"][0, top])), abs=1e-5)


def test_strongest_noise_layer_and_decorrelation(G):
    strengths = [float(e.noise.weight.abs().mean()) for e in G.synthesis.epilogues()]
    assert A.strongest_noise_layer(G) == A.layer_names(G)[int(np.argmax(strengths))]
    r = A.style_vs_noise(G, seed=2, layer=A.strongest_noise_layer(G))
    d_style, d_noise = A.decorrelation(r["corr_style"]), A.decorrelation(r["corr_noise"])
    assert d_style.max() < 1e-6 and d_noise.max() > 1e-3 and (d_noise >= 0).all()
    fig = A.draw_style_vs_noise(r, [0, 1])
    assert len(fig.axes) == 4 * 2 + 3 + 1


def test_channels_off_and_sweep_figures(G):
    r = A.channels_off(G, 3, "b8/layer0", [0, 5], scale=0.0)
    assert r["images"].shape == (2, 3, 16, 16) and r["change"].shape == (2, 16, 16)
    one = A.scale_style_channel(G, ws_from_seeds(G, [3]), "b8/layer0", 5, 0.0)["image"]
    torch.testing.assert_close(r["images"][1:], one)
    torch.testing.assert_close(r["change"][1], (one - r["original"]).abs().mean(1)[0])
    assert len(A.draw_channels_off(r).axes) == 2 * 3
    sweep = A.style_channel_sweep(G, 3, "b8/layer0", 5, scales=(0.0, 1.0, 2.0))
    assert len(A.draw_style_channel_sweep(sweep).axes) == 3 * 3
