"""The model: shapes, equations, modes and errors of G and D."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from stylegan_lib import Discriminator, Generator, get_config, load_generator, save_models
from stylegan_lib.config import VARIANTS, describe_differences, preset_names
from stylegan_lib.layers import (Blur, EqualizedConv2d, EqualizedLinear, MinibatchStdDev, adain,
                                 instance_norm, pixel_norm, upsample2d)
from stylegan_lib.latent import copy_styles, layer_groups, mix_styles, slerp

TINY = "tiny-16"


def tiny(resolution=16, **kw):
    return get_config(TINY, img_resolution=resolution, **kw)


@pytest.fixture(scope="module")
def G():
    torch.manual_seed(0)
    g = Generator(TINY)
    with torch.no_grad():  # non-zero noise strengths, so noise has a visible effect
        for epi in g.synthesis.epilogues():
            epi.noise.weight.normal_()
    g.mapping.compute_w_avg(256)
    return g.eval()


# ------------------------------------------------------------------------------------------
# Shapes
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("res", [8, 16, 32, 64])
@pytest.mark.parametrize("variant", ["config-F", "config-C", "config-A"])
def test_output_shapes(res, variant):
    cfg = get_config(f"{TINY}/{variant}", img_resolution=res)
    G, D = Generator(cfg), Discriminator(cfg)
    z = torch.randn(4, cfg.z_dim)
    ws = G.mapping(z)
    assert ws.shape == (4, cfg.num_ws, cfg.w_dim)
    img = G.synthesis(ws)
    assert img.shape == (4, 3, res, res) and img.dtype == torch.float32
    assert D(img).shape == (4, 1)
    expected_ws = 1 if variant == "config-A" else 2 * (int(math.log2(res)) - 1)
    assert G.num_ws == expected_ws


def _release_param_count(resolution=1024, w=512, base=8192, fmax=512):
    """Trainable parameters of the official generator and discriminator, enumerated from the
    layer list of REFERENCE.md (independently of the model code)."""
    nf = lambda stage: min(int(base / 2 ** stage), fmax)  # noqa: E731
    log2 = int(math.log2(resolution))
    mapping = 8 * (w * w + w)
    style = lambda c: w * 2 * c + 2 * c  # noqa: E731  affine A: weight + bias
    epilogue = lambda c: c + c + style(c)  # noqa: E731  noise strength, bias, style
    c4 = nf(1)
    synth = c4 * 16 + epilogue(c4) + 9 * c4 * c4 + epilogue(c4) + (c4 * 3 + 3)
    for r in range(3, log2 + 1):
        cin, cout = nf(r - 2), nf(r - 1)
        synth += 9 * cin * cout + epilogue(cout) + 9 * cout * cout + epilogue(cout) + (cout * 3 + 3)
    d = 0
    for r in range(log2, 2, -1):
        c, cdown = nf(r - 1), nf(r - 2)
        d += 3 * nf(r - 1) + nf(r - 1)  # FromRGB (every resolution has one)
        d += 9 * c * c + c + 9 * c * cdown + cdown
    d += 3 * c4 + c4  # FromRGB at 4x4
    d += 9 * (c4 + 1) * c4 + c4 + 16 * c4 * nf(0) + nf(0) + nf(0) + 1
    return mapping, synth, d


def test_paper_1024_matches_the_release_architecture():
    G, D = Generator("paper-1024"), Discriminator("paper-1024")
    mapping, synth, d = _release_param_count()
    counts = G.num_parameters()
    assert (counts["mapping"], counts["synthesis"], D.num_parameters()["total"]) == (mapping, synth, d)
    d_counts = D.num_parameters()
    assert d_counts["fromrgb"] + d_counts["blocks"] == d_counts["total"]
    assert G.num_ws == 18 and G.w_dim == 512 and G.z_dim == 512
    # Channels per resolution: 512 up to 32², then 256, 128, 64, 32, 16.
    chans = [G.synthesis.blocks[f"b{r}"].epi1.channels for r in G.synthesis.resolutions]
    assert chans == [512, 512, 512, 512, 256, 128, 64, 32, 16]
    # Nearest + conv below 128², fused transposed conv from 128² on; same for D's downsampling.
    fused = {r: G.synthesis.blocks[f"b{r}"].conv0.fused for r in G.synthesis.resolutions[1:]}
    assert fused == {8: False, 16: False, 32: False, 64: False, 128: True, 256: True, 512: True, 1024: True}
    assert [D.blocks[f"b{r}"].conv1.fused for r in (64, 128)] == [False, True]
    assert D.blocks["b4"].fc.in_features == 8192 and D.blocks["b4"].fc.out_features == 512
    with torch.no_grad():
        img = G.synthesis(G.mapping(torch.randn(1, 512)), noise_mode="const", lod=3.0)
    assert img.shape == (1, 3, 1024, 1024)


# ------------------------------------------------------------------------------------------
# Equalised learning rate
# ------------------------------------------------------------------------------------------
def test_equalized_linear_scaling():
    torch.manual_seed(0)
    layer = EqualizedLinear(256, 64, gain=math.sqrt(2), lr_mul=0.01, activation="linear")
    # Stored weights ~ N(0, 1/lrmul): std 100 for lrmul 0.01.
    assert abs(layer.weight.std().item() - 100) < 5
    with torch.no_grad():
        layer.bias.normal_()
    x = torch.randn(8, 256)
    c = math.sqrt(2) / math.sqrt(256) * 0.01
    expected = x @ (layer.weight * c).T + layer.bias * 0.01
    torch.testing.assert_close(layer(x), expected)
    # The run-time weight has He std gain/sqrt(fan_in) whatever lrmul is.
    assert abs((layer.weight * c).std().item() - math.sqrt(2 / 256)) < 0.005


def test_equalized_conv_scaling_and_fused_resampling():
    torch.manual_seed(0)
    conv = EqualizedConv2d(8, 4, 3, gain=1.0)
    x = torch.randn(2, 8, 8, 8)
    torch.testing.assert_close(conv(x), F.conv2d(x, conv.weight / math.sqrt(8 * 9), padding=1))
    up_plain = EqualizedConv2d(8, 4, 3, resample="up")
    up_fused = EqualizedConv2d(8, 4, 3, resample="up", fused=True)
    up_fused.load_state_dict(up_plain.state_dict())
    # Like the release, the fused path is a transposed conv of the padded, shift-summed kernel:
    # that equals nearest upsampling + conv with the kernel flipped in space.
    with torch.no_grad():
        up_plain.weight.copy_(up_plain.weight.flip(2, 3))
    torch.testing.assert_close(up_fused(x), up_plain(x), atol=1e-5, rtol=1e-5)
    down_plain = EqualizedConv2d(8, 4, 3, resample="down")
    down_fused = EqualizedConv2d(8, 4, 3, resample="down", fused=True)
    down_fused.load_state_dict(down_plain.state_dict())
    torch.testing.assert_close(down_fused(x), down_plain(x), atol=1e-5, rtol=1e-5)


def test_blur_kernel_and_pixel_norm():
    b = Blur()
    torch.testing.assert_close(b.kernel[0, 0], torch.tensor([[1., 2, 1], [2, 4, 2], [1, 2, 1]]) / 16)
    x = torch.randn(3, 16)
    y = pixel_norm(x)
    torch.testing.assert_close(y.square().mean(1), torch.ones(3), atol=1e-5, rtol=0)


# ------------------------------------------------------------------------------------------
# AdaIN, noise, truncation, mixing
# ------------------------------------------------------------------------------------------
def test_adain_output_statistics_equal_the_style():
    torch.manual_seed(0)
    x = torch.randn(2, 5, 8, 8) * 3 + 7
    y_s, y_b = torch.randn(2, 5), torch.randn(2, 5)
    out = adain(x, y_s, y_b)
    torch.testing.assert_close(out.mean(dim=(2, 3)), y_b, atol=1e-4, rtol=0)
    torch.testing.assert_close(out.std(dim=(2, 3), unbiased=False), (y_s + 1).abs(), atol=1e-4, rtol=1e-4)
    n = instance_norm(x)
    torch.testing.assert_close(n.mean(dim=(2, 3)), torch.zeros(2, 5), atol=1e-5, rtol=0)


def test_style_layer_statistics_follow_the_affine_style(G):
    z = torch.randn(3, G.z_dim)
    ws = G.mapping(z)
    _, feats = G.synthesis(ws, noise_mode="const", return_features=True)
    epi = G.synthesis.blocks["b8"].epi1
    y_s, y_b = epi.style.styles(ws[:, 5])
    out = feats["b8/layer1/style"]
    torch.testing.assert_close(out.mean(dim=(2, 3)), y_b, atol=1e-4, rtol=0)
    torch.testing.assert_close(out.std(dim=(2, 3), unbiased=False), (y_s + 1).abs(), atol=1e-3, rtol=1e-3)


@pytest.mark.parametrize("with_noise", [True, False])
def test_fused_epilogue_equals_the_staged_one_values_and_gradients(with_noise):
    """The fast path (no features recorded) computes the same function, and the same gradients,
    as the step-by-step path the chapters' feature maps come from."""
    from stylegan_lib.synthesis import Epilogue

    torch.manual_seed(0)
    epi = Epilogue(6, 16, 8, use_noise=True)
    for p in epi.parameters():
        p.data.normal_(0, 0.5)
    x = (torch.randn(3, 6, 8, 8) * 2 + 1).contiguous(memory_format=torch.channels_last)
    w = torch.randn(3, 16)
    noise = torch.randn(3, 1, 8, 8) if with_noise else None
    outs, grads = [], []
    for record in (None, {}):
        xi, wi = x.clone().requires_grad_(), w.clone().requires_grad_()
        epi.zero_grad()
        out = epi(xi, wi, noise_mode="random" if with_noise else "none", noise=noise, record=record)
        (out * torch.linspace(-1, 1, out.numel()).view_as(out)).sum().backward()
        outs.append(out)
        grads.append([xi.grad, wi.grad] + [p.grad.clone() for p in epi.parameters() if p.grad is not None])
    assert outs[0].is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(outs[0], outs[1], atol=2e-5, rtol=1e-5)
    assert len(grads[0]) == len(grads[1]) == (6 if with_noise else 5)  # x, w, bias, affine weight and bias (+ noise strength)
    for g_fused, g_staged in zip(*grads):
        torch.testing.assert_close(g_fused, g_staged, atol=1e-4, rtol=1e-4)


def test_generator_returns_contiguous_images_and_discriminator_takes_any_layout(G):
    img = G(torch.randn(2, G.z_dim), noise_mode="const")
    assert img.is_contiguous()
    D = Discriminator(G.config)
    torch.testing.assert_close(D(img), D(img.contiguous(memory_format=torch.channels_last)))


def test_noise_modes(G):
    ws = G.mapping(torch.randn(2, G.z_dim))
    const1, const2 = G.synthesis(ws, noise_mode="const"), G.synthesis(ws, noise_mode="const")
    assert torch.equal(const1, const2)
    rand1, rand2 = G.synthesis(ws, noise_mode="random"), G.synthesis(ws, noise_mode="random")
    assert not torch.allclose(rand1, rand2)
    none = G.synthesis(ws, noise_mode="none")
    zeros = [torch.zeros(1, 1, r, r) for r in G.synthesis.layer_resolutions()]
    torch.testing.assert_close(none, G.synthesis(ws, noise=zeros))
    assert not torch.allclose(none, const1)


def test_explicit_noise_override_per_layer(G):
    ws = G.mapping(torch.randn(2, G.z_dim))
    res = G.synthesis.layer_resolutions()
    noise = [torch.randn(1, 1, r, r) for r in res]
    a = G.synthesis(ws, noise=noise, noise_mode="random")
    b = G.synthesis(ws, noise=noise, noise_mode="none")
    torch.testing.assert_close(a, b)  # every layer overridden: the mode does not matter
    # Overriding only the last layer: the other layers follow noise_mode.
    partial = [None] * (len(res) - 1) + [noise[-1]]
    c = G.synthesis(ws, noise=partial, noise_mode="const")
    d = G.synthesis(ws, noise=[e.noise_const for e in G.synthesis.epilogues()[:-1]] + [noise[-1]])
    torch.testing.assert_close(c, d)
    with pytest.raises(ValueError, match="shape"):
        G.synthesis(ws, noise=[torch.randn(1, 1, 3, 3)] * len(res))
    with pytest.raises(ValueError, match="noise_mode"):
        G.synthesis(ws, noise_mode="sometimes")


def test_make_noise_inputs_seeded_per_layer(G):
    syn = G.synthesis
    noise = syn.make_noise_inputs(2, seed=7)
    gen = torch.Generator().manual_seed(7)
    assert [tuple(n.shape) for n in noise] == [(2, 1, r, r) for r in syn.layer_resolutions()]
    assert all(torch.equal(n, torch.randn(n.shape, generator=gen)) for n in noise)  # layer order
    again = syn.make_noise_inputs(2, generator=torch.Generator().manual_seed(7))
    assert all(torch.equal(a, b) for a, b in zip(noise, again))
    some = syn.make_noise_inputs(1, seed=7, layers=[3])
    assert [n is None for n in some] == [i != 3 for i in range(syn.num_layers)]
    assert torch.equal(some[3], torch.randn(some[3].shape, generator=torch.Generator().manual_seed(7)))
    ws = G.mapping(torch.randn(1, G.z_dim))
    torch.testing.assert_close(G.synthesis(ws, noise=syn.make_noise_inputs(1, seed=1)),
                               G.synthesis(ws, noise=syn.make_noise_inputs(1, seed=1)))
    with pytest.raises(ValueError, match="do not exist"):
        syn.make_noise_inputs(layers=[syn.num_layers])
    with pytest.raises(ValueError, match="not both"):
        syn.make_noise_inputs(seed=1, generator=torch.Generator())


def test_truncation_formula_and_cutoff(G):
    z = torch.randn(4, G.z_dim)
    ws = G.mapping(z)
    w_avg = G.mapping.w_avg
    for psi in (0.7, 0.0, -0.5):
        t = G.mapping(z, truncation_psi=psi, truncation_cutoff=2)
        torch.testing.assert_close(t[:, :2], w_avg + psi * (ws[:, :2] - w_avg))
        torch.testing.assert_close(t[:, 2:], ws[:, 2:])
    # A cutoff past the last style input truncates all of them (as in the release).
    torch.testing.assert_close(G.mapping(z, truncation_psi=0.5, truncation_cutoff=99),
                               G.mapping(z, truncation_psi=0.5))
    full = G.mapping(z, truncation_psi=0.0)
    torch.testing.assert_close(full, w_avg.expand_as(full))


def test_w_avg_update_rule():
    G = Generator(TINY)
    w1, w2 = torch.randn(8, G.w_dim), torch.randn(8, G.w_dim)
    G.mapping.update_w_avg(w1)
    torch.testing.assert_close(G.w_avg, w1.mean(0))
    G.mapping.update_w_avg(w2)
    torch.testing.assert_close(G.w_avg, w2.mean(0) + 0.995 * (w1.mean(0) - w2.mean(0)))


def test_style_mixing_takes_styles_from_the_right_source(G):
    za, zb, zc = (torch.randn(2, G.z_dim) for _ in range(3))
    wa, wb, wc = G.mapping(za), G.mapping(zb), G.mapping(zc)
    mixed = mix_styles([wa, wb, wc], [2, 4])
    assert torch.equal(mixed[:, :2], wa[:, :2]) and torch.equal(mixed[:, 2:4], wb[:, 2:4])
    assert torch.equal(mixed[:, 4:], wc[:, 4:])
    # In the network: layers before the crossover see only A's styles.
    _, fa = G.synthesis(wa, noise_mode="const", return_features=True)
    _, fm = G.synthesis(mix_styles([wa, wb], [2]), noise_mode="const", return_features=True)
    torch.testing.assert_close(fm["b4/layer1/style"], fa["b4/layer1/style"])
    assert not torch.allclose(fm["b8/layer0/style"], fa["b8/layer0/style"])
    img = G.mix([za, zb], [3], noise_mode="const")
    torch.testing.assert_close(img, G.synthesis(mix_styles([wa, wb], [3]), noise_mode="const"))
    copied = copy_styles(wa, wb, layer_groups(G.num_ws)["middle"])
    assert torch.equal(copied[:, 2:4], wb[:, 2:4]) and torch.equal(copied[:, :2], wa[:, :2])
    with pytest.raises(ValueError, match="increasing"):
        mix_styles([wa, wb, wc], [4, 2])


def test_layer_groups():
    assert layer_groups(18) == {"coarse": range(0, 4), "middle": range(4, 8), "fine": range(8, 18)}
    assert layer_groups(8) == {"coarse": range(0, 4), "middle": range(4, 6), "fine": range(6, 8)}


def test_slerp_keeps_norm_and_hits_endpoints():
    a, b = torch.randn(5, 16), torch.randn(5, 16)
    torch.testing.assert_close(slerp(a, b, 0.0), a / a.norm(dim=1, keepdim=True))
    torch.testing.assert_close(slerp(a, b, 1.0), b / b.norm(dim=1, keepdim=True), atol=1e-5, rtol=1e-5)
    mid = slerp(a, b, torch.rand(5))
    torch.testing.assert_close(mid.norm(dim=1), torch.ones(5))


# ------------------------------------------------------------------------------------------
# Progressive growing
# ------------------------------------------------------------------------------------------
def test_fade_in_limits_generator(G):
    ws = G.mapping(torch.randn(2, G.z_dim))
    _, f = G.synthesis(ws, noise_mode="const", return_features=True)
    # lod 0 = alpha 1 for the last resolution: exactly its ToRGB.
    torch.testing.assert_close(G.synthesis(ws, noise_mode="const", lod=0.0), f["b16/rgb"])
    # lod 1 = alpha 0: the 8x8 RGB, upsampled.
    torch.testing.assert_close(G.synthesis(ws, noise_mode="const", lod=1.0), upsample2d(f["b8/rgb"], 2))
    # Halfway: the average of the two.
    half = G.synthesis(ws, noise_mode="const", lod=0.5)
    torch.testing.assert_close(half, 0.5 * f["b16/rgb"] + 0.5 * upsample2d(f["b8/rgb"], 2))
    torch.testing.assert_close(G.synthesis(ws, noise_mode="const", lod=2.0), upsample2d(f["b4/rgb"], 4))
    with pytest.raises(ValueError, match="lod"):
        G.synthesis(ws, lod=2.5)


def test_fade_in_limits_discriminator():
    torch.manual_seed(0)
    D = Discriminator(TINY)
    img = torch.randn(4, 3, 16, 16)
    # At lod 1 (alpha 0) D only sees the image at 8x8: changing detail inside 2x2 blocks that
    # keeps their mean changes nothing.
    detail = torch.randn(4, 3, 16, 16)
    detail = detail - upsample2d(F.avg_pool2d(detail, 2), 2)
    torch.testing.assert_close(D(img, lod=1.0), D(img + detail, lod=1.0), atol=1e-5, rtol=1e-5)
    assert not torch.allclose(D(img, lod=0.0), D(img + detail, lod=0.0))
    # Halfway between: the blend of the full-resolution path and the 8x8 path before the 8x8 block.
    lo, hi = D(img, lod=1.0), D(img, lod=0.0)
    assert D(img, lod=0.5).shape == lo.shape == hi.shape


# ------------------------------------------------------------------------------------------
# Gradients, presets, checkpoints, errors
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("variant", ["config-F", "config-C", "config-B"])
def test_gradients_reach_every_parameter(variant):
    cfg = get_config(f"{TINY}/{variant}")
    G, D = Generator(cfg), Discriminator(cfg)
    with torch.no_grad():
        for m in G.modules():  # noise strengths start at 0 and would block gradients to nothing
            if hasattr(m, "noise") and m.noise is not None and hasattr(m.noise, "weight"):
                m.noise.weight.fill_(0.1)
    # lod 0 uses the last ToRGB/FromRGB only; fading in (0.5, 1.5) uses the lower ones too.
    loss = sum(D(G(torch.randn(4, cfg.z_dim), lod=lod), lod=lod).sum() for lod in (0.0, 0.5, 1.5))
    loss.backward()
    for name, p in list(G.named_parameters()) + list(D.named_parameters()):
        assert p.grad is not None and p.grad.abs().sum() > 0, f"no gradient reaches {name}"


def test_differences_across_generations_mark_the_fields_one_side_lacks():
    from stylegan_lib.config import ABSENT
    from stylegan_lib.stylegan2.config import get_config as sg2_config

    diff = describe_differences(get_config("book-32"), sg2_config("sg2-book-32"))
    assert diff["generation"] == (ABSENT, "stylegan2")      # StyleGAN1 configs carry no tag
    assert diff["demodulate"] == (ABSENT, True)
    assert all(a != b for a, b in diff.values())
    assert describe_differences(get_config("book-32"), get_config("book-32")) == {}


def test_ablation_presets_differ_as_the_paper_says():
    def diff(a, b):
        return set(describe_differences(get_config(f"book-32/{a}"), get_config(f"book-32/{b}")))

    assert diff("config-A", "config-B") == {"blur_filter"}
    assert diff("config-B", "config-C") == {"architecture", "mapping_layers"}
    assert diff("config-C", "config-D") == {"const_input"}
    assert diff("config-D", "config-E") == {"use_noise"}
    assert diff("config-E", "config-F") == {"style_mixing_prob"}
    assert get_config("book-32/config-F") == get_config("book-32")
    assert diff("traditional-0", "traditional-8") == {"mapping_layers"}
    assert get_config("book-32/traditional-0") == get_config("book-32/config-B")
    assert get_config("book-32/style-based-8") == get_config("book-32/config-F")
    assert [get_config(f"book-32/style-based-{n}").mapping_layers for n in (0, 1, 2, 8)] == [0, 1, 2, 8]
    assert [get_config(f"mixing-{p}").style_mixing_prob for p in (0, 50, 90, 100)] == [0, 0.5, 0.9, 1.0]
    assert Generator("book-32/config-A").num_ws == 1
    assert Generator("tiny-16/config-C").synthesis.blocks["b4"].const is None
    assert Generator("tiny-16/config-D").synthesis.blocks["b4"].epi0.noise is None
    assert all(n in preset_names() for n in VARIANTS)


def test_checkpoint_round_trip_gives_identical_images(tmp_path, G):
    path = save_models(tmp_path / "g.pt", G.config, G_ema=G, meta={"note": "test"})
    G2 = load_generator(path, device="cpu")
    z = torch.randn(3, G.z_dim)
    torch.testing.assert_close(G2(z, noise_mode="const", truncation_psi=0.7),
                               G(z, noise_mode="const", truncation_psi=0.7), rtol=0, atol=0)
    assert G2.checkpoint_meta == {"note": "test"}


def test_clear_errors_for_bad_arguments(tmp_path, G):
    with pytest.raises(ValueError, match="power of two"):
        get_config("book-32", img_resolution=48)
    with pytest.raises(ValueError, match="power of two"):
        get_config("book-32", img_resolution=2048)
    with pytest.raises(ValueError, match="unknown preset"):
        Generator("book-33")
    with pytest.raises(ValueError, match=r"z must have shape \[N, 32\]"):
        G(torch.randn(2, 31))
    with pytest.raises(ValueError, match="ws must have shape"):
        G.synthesis(torch.randn(2, G.num_ws + 1, G.w_dim))
    fresh = Generator(TINY)
    with pytest.raises(ValueError, match="running average of w"):
        fresh(torch.randn(1, 32), truncation_psi=0.7)
    with pytest.raises(ValueError, match="unconditional"):
        G(torch.randn(1, 32), torch.ones(1, 3))
    with pytest.raises(ValueError, match="divisible"):
        Discriminator(TINY)(torch.randn(6, 3, 16, 16))
    with pytest.raises(ValueError, match="D expects"):
        Discriminator(TINY)(torch.randn(4, 3, 32, 32))
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(RuntimeError, match="cannot read checkpoint"):
        load_generator(bad)


def test_minibatch_stddev_against_a_loop():
    torch.manual_seed(0)
    x = torch.randn(8, 6, 4, 4)
    out = MinibatchStdDev(group_size=4)(x)
    assert out.shape == (8, 7, 4, 4)
    for i in range(8):
        group = x[[j for j in range(8) if j % 2 == i % 2]]  # image i is in group i mod (N/G)
        expected = torch.sqrt(group.var(dim=0, unbiased=False) + 1e-8).mean()
        torch.testing.assert_close(out[i, 6], expected.expand(4, 4))


def test_traditional_generator_has_pixel_norm_and_no_styles():
    G = Generator("tiny-16/config-B")
    assert G.num_ws == 1 and G.synthesis.norm == "pixel"
    assert all(e.style is None and e.noise is None for e in G.synthesis.epilogues())
    _, f = G.synthesis(G.mapping(torch.randn(2, 32)), return_features=True)
    torch.testing.assert_close(f["b8/layer1/norm"].square().mean(1), torch.ones(2, 8, 8), atol=1e-4, rtol=0)
