"""StyleGAN2 at the book's scale: modulated convolution, the skip generator, the residual
discriminator, path length regularisation, presets."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from stylegan_lib.config import get_config as get_sg1_config
from stylegan_lib.stylegan2 import (Discriminator, Generator, PathLengthPenalty, StyleGAN2Config,
                                    demodulate, get_config, lazy_adam, lazy_scale, modulate,
                                    modulated_conv2d, path_lengths, preset_names)
from stylegan_lib.stylegan2.discriminator import RESIDUAL_SCALE
from stylegan_lib.stylegan2.layers import Downsample, Upsample
from stylegan_lib.train.loss import d_logistic, g_nonsaturating, r1_penalty

TINY = "sg2-tiny-16"


@pytest.fixture(scope="module")
def G():
    torch.manual_seed(0)
    return Generator(TINY).eval()


# ------------------------------------------------------------------------------------------
# Modulation, demodulation, the fused convolution.
# ------------------------------------------------------------------------------------------
def test_modulation_and_demodulation_by_hand():
    # weight [O=2, I=2, 1, 1]: output 0 = (3, 4), output 1 = (1, 0); styles s = (1, 2).
    w = torch.tensor([[3.0, 4.0], [1.0, 0.0]]).view(2, 2, 1, 1)
    s = torch.tensor([[1.0, 2.0]])
    wm = modulate(w, s)
    assert wm.view(2, 2).tolist() == [[3.0, 8.0], [1.0, 0.0]]  # w'_ij = s_i w_ij
    wd = demodulate(wm).view(2, 2)
    expected = torch.tensor([[3 / math.sqrt(73), 8 / math.sqrt(73)], [1.0, 0.0]])
    assert torch.allclose(wd, expected, atol=1e-6)
    # Unit norm per output channel, for random 3×3 weights and styles too.
    wd = demodulate(modulate(torch.randn(5, 4, 3, 3), torch.randn(3, 4) * 3))
    assert torch.allclose(wd.square().sum(dim=(2, 3, 4)), torch.ones(3, 5), atol=1e-5)


@pytest.mark.parametrize("demod", [True, False])
def test_fused_grouped_conv_equals_a_per_sample_loop(demod):
    torch.manual_seed(1)
    x, weight, styles = torch.randn(3, 4, 6, 6), torch.randn(5, 4, 3, 3), torch.randn(3, 4)
    loop = []
    for n in range(3):
        wn = weight * styles[n].view(1, 4, 1, 1)
        if demod:
            wn = wn / (wn.square().sum(dim=(1, 2, 3), keepdim=True) + 1e-8).sqrt()
        loop.append(F.conv2d(x[n:n + 1], wn, padding=1))
    loop = torch.cat(loop)
    fused = modulated_conv2d(x, weight, styles, demod, fused=True)
    scaled = modulated_conv2d(x, weight, styles, demod, fused=False)
    assert fused.shape == (3, 5, 6, 6)
    assert torch.allclose(fused, loop, atol=1e-5)
    assert torch.allclose(scaled, loop, atol=1e-5)


def test_modulated_conv_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="do not fit"):
        modulated_conv2d(torch.randn(2, 4, 5, 5), torch.randn(3, 4, 3, 3), torch.randn(2, 5))


def test_demodulated_layer_keeps_unit_variance():
    """Eq. 2: with unit-variance i.i.d. inputs the demodulated conv's outputs have unit variance."""
    torch.manual_seed(2)
    y = modulated_conv2d(torch.randn(4, 64, 32, 32), torch.randn(32, 64, 3, 3), torch.rand(4, 64) * 2)
    assert abs(y[:, :, 1:-1, 1:-1].std().item() - 1) < 0.05


def _fir_reference(x, up):
    """Zero insertion / subsampling around a 4×4 [1,3,3,1]ᵀ[1,3,3,1] filter, written out."""
    f = torch.tensor([1.0, 3.0, 3.0, 1.0])
    f = (f[:, None] * f[None, :]) / 64
    c = x.shape[1]
    k = f.expand(c, 1, 4, 4)
    if up:
        n, _, h, w = x.shape
        z = torch.zeros(n, c, 2 * h, 2 * w)
        z[:, :, ::2, ::2] = x
        return F.conv2d(F.pad(z, [2, 1, 2, 1]), k * 4, groups=c)
    return F.conv2d(F.pad(x, [1, 1, 1, 1]), k, groups=c)[:, :, ::2, ::2]


def test_resampling_is_the_1331_filter():
    torch.manual_seed(3)
    x = torch.randn(2, 3, 8, 8)
    assert torch.allclose(Upsample()(x), _fir_reference(x, up=True), atol=1e-6)
    assert torch.allclose(Downsample()(x), _fir_reference(x, up=False), atol=1e-6)


# ------------------------------------------------------------------------------------------
# Generator.
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("preset, res, num_ws", [("sg2-tiny-16", 16, 6), ("sg2-book-32", 32, 8)])
def test_generator_shapes(preset, res, num_ws):
    torch.manual_seed(0)
    G = Generator(preset)
    assert (G.num_ws, G.img_resolution, G.synthesis.num_layers) == (num_ws, res, num_ws - 1)
    assert G.synthesis.layer_resolutions() == [4] + [r for r in G.synthesis.resolutions[1:] for _ in (0, 1)]
    with torch.no_grad():
        img = G(torch.randn(4, G.z_dim), noise_mode="const")
    assert img.shape == (4, 3, res, res) and torch.isfinite(img).all()
    assert img.abs().max() < 10  # untrained, but of the order of [-1, 1]
    assert G.mapping(torch.randn(2, G.z_dim)).shape == (2, num_ws, G.w_dim)


def test_num_ws_of_the_paper_preset():
    cfg = get_config("sg2-paper-1024")
    assert (cfg.num_ws, cfg.num_layers) == (18, 17)
    assert [cfg.channels(r) for r in cfg.resolutions] == [512, 512, 512, 512, 512, 256, 128, 64, 32]


def test_book_preset_has_the_channels_of_stylegan1_book_32():
    a, b = get_config("sg2-book-32"), get_sg1_config("book-32")
    assert [a.channels(r) for r in a.resolutions] == [b.channels(r) for r in b.resolutions] == [128, 128, 64, 64]
    assert (a.z_dim, a.w_dim, a.mapping_layers) == (b.z_dim, b.w_dim, b.mapping_layers)


def test_truncation_to_w_avg_gives_identical_images(G):
    with torch.no_grad():
        G.mapping.compute_w_avg(num_samples=64, batch_size=64, generator=torch.Generator().manual_seed(0))
        img = G(torch.randn(3, G.z_dim), truncation_psi=0.0, noise_mode="const")
    assert torch.allclose(img[0], img[1], atol=1e-5) and torch.allclose(img[0], img[2], atol=1e-5)


def test_noise_modes(G):
    ws = G.mapping(torch.randn(2, G.z_dim))
    with torch.no_grad():
        const = [G.synthesis(ws, noise_mode="const") for _ in range(2)]
        none = G.synthesis(ws, noise_mode="none")
        for layer in G.synthesis.layers():  # give the (zero-initialised) noise a strength
            layer.noise.weight.data.fill_(0.5)
        c2, c3 = G.synthesis(ws, noise_mode="const"), G.synthesis(ws, noise_mode="const")
        r1, r2 = G.synthesis(ws, noise_mode="random"), G.synthesis(ws, noise_mode="random")
        n2 = G.synthesis(ws, noise_mode="none")
        explicit = G.synthesis(ws, noise=[layer.noise_const for layer in G.synthesis.layers()])
        for layer in G.synthesis.layers():
            layer.noise.weight.data.zero_()
    assert torch.equal(const[0], const[1]) and torch.allclose(none, const[0])  # strength 0: no effect
    assert torch.equal(c2, c3) and torch.allclose(explicit, c2, atol=1e-6)
    assert not torch.allclose(c2, n2) and not torch.allclose(r1, r2)
    assert torch.allclose(n2, none)
    with pytest.raises(ValueError, match="noise_mode"):
        G.synthesis(ws, noise_mode="fresh")


def test_make_noise_inputs(G):
    noise = G.synthesis.make_noise_inputs(2, seed=5, layers=[0, 3])
    assert len(noise) == G.synthesis.num_layers
    assert noise[0].shape == (2, 1, 4, 4) and noise[3].shape == (2, 1, 16, 16) and noise[1] is None
    assert torch.equal(noise[3], G.synthesis.make_noise_inputs(2, seed=5, layers=[0, 3])[3])
    with pytest.raises(ValueError, match="do not exist"):
        G.synthesis.make_noise_inputs(1, layers=[99])


def test_synthesis_rejects_bad_inputs(G):
    ws = G.mapping(torch.randn(1, G.z_dim))
    with pytest.raises(ValueError, match="ws must have shape"):
        G.synthesis(ws[:, :-1])
    with pytest.raises(ValueError, match="no progressive growing"):
        G.synthesis(ws, lod=1.0)
    with pytest.raises(ValueError, match="list of 5 entries"):
        G.synthesis(ws, noise=[None])
    with pytest.raises(ValueError, match="noise for a 4x4 layer"):
        G.synthesis(ws, noise=[torch.zeros(1, 1, 5, 5)] + [None] * 4)


def test_features_and_style_mixing(G):
    z = torch.randn(2, G.z_dim)
    with torch.no_grad():
        img, feats = G.synthesis(G.mapping(z), noise_mode="const", return_features=True)
        assert feats["b16/conv1"].shape == (2, 16, 16, 16) and feats["b4/rgb"].shape == (2, 3, 4, 4)
        # The image is the sum of every resolution's RGB, each upsampled to the next.
        up = Upsample()
        acc = feats["b4/rgb"]
        for r in (8, 16):
            acc = up(acc) + feats[f"b{r}/rgb"]
        assert torch.allclose(acc, img, atol=1e-5)
        mixed = G.mix([z, z.flip(0)], [3], noise_mode="const")
    assert mixed.shape == img.shape


def test_fused_and_unfused_modconv_are_the_same_generator():
    torch.manual_seed(0)
    a = Generator(get_config(TINY, fused_modconv=True))
    b = Generator(get_config(TINY, fused_modconv=False))
    b.load_state_dict(a.state_dict())
    ws = a.mapping(torch.randn(2, a.z_dim))
    with torch.no_grad():
        assert torch.allclose(a.synthesis(ws, noise_mode="const"), b.synthesis(ws, noise_mode="const"), atol=1e-4)


def test_no_demod_variant_runs():
    G = Generator(f"{TINY}/no-demod")
    assert not G.config.demodulate
    with torch.no_grad():
        assert torch.isfinite(G(torch.randn(2, G.z_dim))).all()


# ------------------------------------------------------------------------------------------
# Discriminator.
# ------------------------------------------------------------------------------------------
def test_discriminator_shapes_and_residual_scaling():
    torch.manual_seed(0)
    D = Discriminator(TINY)
    x = torch.randn(4, 3, 16, 16)
    assert D(x).shape == (4, 1)
    block = D.blocks["b16"]
    h = D.fromrgb(x)
    out = block(h)
    assert out.shape == (4, 32, 8, 8)
    assert RESIDUAL_SCALE == pytest.approx(1 / math.sqrt(2))
    assert torch.allclose(out, (block.conv1(block.conv0(h)) + block.skip(h)) / math.sqrt(2), atol=1e-6)
    with pytest.raises(ValueError, match="D expects images"):
        D(torch.randn(4, 3, 32, 32))
    with pytest.raises(ValueError, match="unconditional"):
        D(x, c=torch.ones(4, 2))


# ------------------------------------------------------------------------------------------
# Path length regularisation.
# ------------------------------------------------------------------------------------------
A = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])  # a linear "generator" R² → 1×2×2
Y = torch.tensor([1.0, 2.0, 3.0, 4.0]).view(1, 1, 2, 2)             # Aᵀy = (4, 5), |Aᵀy| = √41


def test_path_length_of_a_linear_generator_by_hand():
    w = torch.tensor([[0.3, -0.7]], requires_grad=True)
    img = (w @ A.t()).view(1, 1, 2, 2)
    assert path_lengths(img, w, Y).item() == pytest.approx(math.sqrt(41))
    pl = PathLengthPenalty()  # γ = 2, β = 0.01, a = 0
    penalty = pl(img, w, Y)
    # a = 0 + 0.01·(√41 − 0); penalty = 2·(√41 − a)² = 2·0.99²·41
    assert pl.mean.item() == pytest.approx(0.01 * math.sqrt(41))
    assert penalty.item() == pytest.approx(2 * 0.99**2 * 41, rel=1e-5)
    assert "mean" in pl.state_dict()


def test_path_length_penalty_is_differentiable():
    # g(w) = w² elementwise: Jᵀy = 2 w ⊙ y, so the lengths depend on w and have a gradient.
    w = torch.tensor([[1.0, 2.0, 0.5, -1.0]], requires_grad=True)
    lengths = path_lengths(w.square().view(1, 1, 2, 2), w, Y)
    assert lengths.item() == pytest.approx(2 * math.sqrt(1 + 16 + 2.25 + 16))
    lengths.sum().backward()
    assert w.grad is not None and torch.isfinite(w.grad).all()


def test_path_length_with_one_w_per_style_input():
    ws = torch.randn(1, 2, 2, requires_grad=True)
    img = (ws[:, 0] @ A.t() + ws[:, 1] @ (2 * A).t()).view(1, 1, 2, 2)
    # per input: |Aᵀy|² = 41, |2Aᵀy|² = 164 → √((41 + 164) / 2)
    assert path_lengths(img, ws, Y).item() == pytest.approx(math.sqrt(102.5))


def test_default_y_is_scaled_by_the_resolution():
    # g = identity on 8×8 images: |Jᵀy|² = |y|², whose mean is HW · 1/(HW) = 1.
    w = torch.randn(512, 64, requires_grad=True)
    lengths = path_lengths(w.view(512, 1, 8, 8), w, generator=torch.Generator().manual_seed(0))
    assert lengths.square().mean().item() == pytest.approx(1.0, abs=0.05)
    with pytest.raises(ValueError, match="require grad"):
        path_lengths(torch.zeros(1, 1, 2, 2), torch.zeros(1, 4))


def test_lazy_regularisation_helpers():
    assert [lazy_scale(t, 4) for t in range(5)] == [4.0, 0.0, 0.0, 0.0, 4.0]
    assert lazy_scale(3, 1) == 1.0
    lr, betas = lazy_adam(0.002, (0.0, 0.99), 16)
    assert lr == pytest.approx(0.002 * 16 / 17) and betas[1] == pytest.approx(0.99 ** (16 / 17))


# ------------------------------------------------------------------------------------------
# A training step and the paper's sizes.
# ------------------------------------------------------------------------------------------
def test_a_training_step_changes_the_weights():
    torch.manual_seed(0)
    G, D, pl = Generator(TINY), Discriminator(TINY), PathLengthPenalty()
    opt_G = torch.optim.Adam(G.parameters(), lr=0.002, betas=(0.0, 0.99))
    opt_D = torch.optim.Adam(D.parameters(), lr=0.002, betas=(0.0, 0.99))
    g0 = {k: v.clone() for k, v in G.state_dict().items()}
    d0 = {k: v.clone() for k, v in D.state_dict().items()}
    reals = torch.rand(4, 3, 16, 16) * 2 - 1
    # D step: logistic loss + R1 (lazy: step 0, scaled by its interval 16).
    G.requires_grad_(False)
    reals.requires_grad_(True)
    real_logits = D(reals)
    loss_D = d_logistic(real_logits, D(G(torch.randn(4, G.z_dim)))) \
        + lazy_scale(0, 16) * r1_penalty(real_logits, reals, gamma=10.0)
    opt_D.zero_grad()
    loss_D.backward()
    opt_D.step()
    G.requires_grad_(True)
    # G step: non-saturating loss + path length penalty on half the batch (lazy, ×4).
    D.requires_grad_(False)
    loss_G = g_nonsaturating(D(G(torch.randn(4, G.z_dim))))
    ws = G.mapping(torch.randn(2, G.z_dim))
    loss_G = loss_G + lazy_scale(0, 4) * pl(G.synthesis(ws), ws)
    opt_G.zero_grad()
    loss_G.backward()
    opt_G.step()
    assert torch.isfinite(loss_D) and torch.isfinite(loss_G) and pl.mean > 0
    assert not torch.equal(G.state_dict()["synthesis.blocks.b16.conv1.conv.weight"],
                           g0["synthesis.blocks.b16.conv1.conv.weight"])
    assert not torch.equal(G.state_dict()["mapping.layers.0.weight"], g0["mapping.layers.0.weight"])
    assert not torch.equal(D.state_dict()["fromrgb.conv.weight"], d0["fromrgb.conv.weight"])


def test_paper_preset_has_config_f_parameter_counts():
    """Config F: G ≈ 30.0 M (30,370,060 = 2,101,248 mapping + 28,268,812 synthesis), D ≈ 29.0 M."""
    with torch.device("meta"):
        G, D = Generator("sg2-paper-1024"), Discriminator("sg2-paper-1024")
    g, d = G.num_parameters(), D.num_parameters()
    assert g["total"] == pytest.approx(30.0e6, rel=0.02) and d["total"] == pytest.approx(29.0e6, rel=0.02)
    assert g["mapping"] == 8 * (512 * 512 + 512)


# ------------------------------------------------------------------------------------------
# Config.
# ------------------------------------------------------------------------------------------
def test_config_round_trip_and_errors():
    cfg = get_config("sg2-book-32/no-pl")
    assert cfg.pl_weight == 0 and StyleGAN2Config.from_dict(cfg.to_dict()) == cfg
    assert cfg.to_dict()["generation"] == "stylegan2"
    assert "sg2-book-32/no-demod" in preset_names()
    with pytest.raises(ValueError, match="unknown StyleGAN2 preset"):
        get_config("book-32")
    with pytest.raises(TypeError, match="StyleGAN1 ModelConfig"):
        get_config(get_sg1_config("book-32"))
    with pytest.raises(ValueError, match="img_resolution"):
        StyleGAN2Config(img_resolution=48)
    with pytest.raises(ValueError, match="demodulate"):
        StyleGAN2Config(demodulate=1)
    with pytest.raises(ValueError, match="unknown StyleGAN2Config fields"):
        StyleGAN2Config.from_dict({"lod": 1})
    with pytest.raises(ValueError, match="not a 'stylegan2'"):
        StyleGAN2Config.from_dict({"generation": "stylegan3"})
