"""StyleGAN3 at book scale: Kaiser filters, centred resampling, the filtered nonlinearity, the
Fourier-feature input and the generator's configuration ladder (16² presets, CPU, seconds)."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from stylegan_lib.stylegan3 import LADDER, Generator, get_config
from stylegan_lib.stylegan3.filters import (design_lowpass, design_radial_lowpass, downsample_centred,
                                            frequency_response, kaiser_attenuation, kaiser_beta, taps_for,
                                            upsample_centred)
from stylegan_lib.stylegan3.layers import ModulatedConv, ResampledNonlinearity


def cosine_image(size: int, rate: float, fx: float = 1.5, fy: float = 0.7, phase: float = 0.2) -> torch.Tensor:
    """cos 2π(f·p + φ) sampled on the centred grid of ``size`` samples at ``rate``: [1, 1, size, size]."""
    t = (torch.arange(size, dtype=torch.float64) + 0.5 - size / 2) / rate
    return torch.cos(2 * math.pi * (fx * t[None, :] + fy * t[:, None]) + phase)[None, None].float()


# ------------------------------------------------------------------------------------------
# Filters.
# ------------------------------------------------------------------------------------------
def test_kaiser_formulas_by_hand():
    assert kaiser_attenuation(11, 0.1) == pytest.approx(2.285 * 10 * math.pi * 0.1 + 7.95)
    assert kaiser_beta(60.0) == pytest.approx(0.1102 * 51.3)
    assert kaiser_beta(30.0) == pytest.approx(0.5842 * 9 ** 0.4 + 0.07886 * 9)
    assert kaiser_beta(10.0) == 0.0


@pytest.mark.parametrize("numtaps,cutoff,half_width,fs", [(12, 2.0, 2 * (math.sqrt(2) - 1), 8.0),
                                                          (24, 4.0, 1.5, 32.0), (13, 3.0, 1.0, 16.0)])
def test_lowpass_response_symmetry_and_unit_sum(numtaps, cutoff, half_width, fs):
    f = design_lowpass(numtaps, cutoff, half_width, fs)
    assert f.shape == (numtaps,)
    assert torch.allclose(f, f.flip(0), atol=1e-7)
    assert float(f.sum()) == pytest.approx(1.0, abs=1e-6)
    freqs, mag = frequency_response(f, fs)
    atten = kaiser_attenuation(numtaps, 4 * half_width / fs)
    delta = 10 ** (-atten / 20)
    passband, stopband = mag[freqs < cutoff - half_width], mag[freqs > cutoff + half_width]
    # Kaiser's formula is an empirical fit: allow 3 dB beyond the designed ripple / attenuation.
    assert float((passband - 1).abs().max()) < delta * 10 ** (3 / 20)
    assert float(stopband.max()) < delta * 10 ** (3 / 20)
    assert float(mag[0]) == pytest.approx(1.0, abs=1e-6)


def test_radial_filter_is_rotation_symmetric_and_sums_to_one():
    f = design_radial_lowpass(12, 4.0, 4 * (math.sqrt(2) - 1), 16.0)
    assert f.shape == (12, 12)
    assert float(f.sum()) == pytest.approx(1.0, abs=1e-6)
    for g in (f.T, f.flip(0), f.flip(1), torch.rot90(f)):
        assert torch.allclose(f, g, atol=1e-7)


def test_bad_designs_are_refused():
    with pytest.raises(ValueError, match="cutoff"):
        design_lowpass(8, 5.0, 1.0, 8.0)
    with pytest.raises(ValueError, match="numtaps"):
        design_lowpass(0, 1.0, 1.0, 8.0)
    with pytest.raises(ValueError, match="parity"):
        upsample_centred(torch.zeros(1, 1, 4, 4), torch.ones(5) / 5, 2)


def test_taps_keep_the_parity_of_the_factor():
    assert taps_for(6, 2) == 12 and taps_for(6, 4) == 24 and taps_for(6, 1) == 7


# ------------------------------------------------------------------------------------------
# Resampling and the filtered nonlinearity.
# ------------------------------------------------------------------------------------------
def test_centred_upsampling_interpolates_a_band_limited_signal():
    s = 16
    f = design_lowpass(taps_for(6, 2), s / 2, (math.sqrt(2) - 1) * s / 2, 2 * s)
    up = upsample_centred(cosine_image(s, s), f, 2)
    ref = cosine_image(2 * s, 2 * s)
    assert float((up - ref)[..., 8:-8, 8:-8].abs().max()) < 0.02


def test_downsampling_crops_the_margin_centred():
    s, margin = 16, 4
    f = design_lowpass(taps_for(6, 2), s / 2, (math.sqrt(2) - 1) * s / 2, 2 * s)
    x = cosine_image(2 * (s + 2 * margin), 2 * s)
    y = downsample_centred(x, f, 2, s)
    assert y.shape[-1] == s
    assert float((y - cosine_image(s, s)).abs().max()) < 0.02


@pytest.mark.parametrize("radial", [False, True])
@torch.no_grad()
def test_filtered_nonlinearity_leaves_a_band_limited_signal_nearly_unchanged(radial):
    """Up ×2, leaky ReLU (identity × √2 on positive values), low-pass, down ×2."""
    s, fc, fh = 16, 8.0, (math.sqrt(2) - 1) * 8.0
    up_f = design_lowpass(taps_for(6, 2), fc, fh, 2 * s)
    down_f = (design_radial_lowpass if radial else design_lowpass)(taps_for(6, 2), fc, fh, 2 * s)
    x = cosine_image(s + 8, s)
    linear = ResampledNonlinearity(1, 2, up_f, 2, down_f, s + 8, activation="linear")
    y = linear(x)
    assert y.shape == x.shape
    assert float((y - x)[..., 5:-5, 5:-5].abs().max()) < 0.03
    lrelu = ResampledNonlinearity(1, 2, up_f, 2, down_f, s, activation="lrelu")
    y = lrelu(x + 2.0)                       # positive everywhere: φ(v) = v, times the gain √2
    ref = (cosine_image(s, s) + 2.0) * math.sqrt(2)
    assert float((y - ref)[..., 1:-1, 1:-1].abs().max()) < 0.06
    with pytest.raises(ValueError, match="activation"):
        ResampledNonlinearity(1, 1, None, 1, None, s, activation="relu")


# ------------------------------------------------------------------------------------------
# The fast paths equal the straightforward computations they replace.
# ------------------------------------------------------------------------------------------
def dense_upfirdn(x, f, up, down, p0, p1, gain=1.0):
    """The textbook definition: zero insertion into a u× larger tensor, zero padding (negative:
    crop) by p0 / p1, a dense 2-D convolution with f (a 1-D f as its outer product f fᵀ), every
    d-th sample. Float64 throughout."""
    x, f = x.double(), f.double()
    f2 = torch.outer(f, f) if f.ndim == 1 else f
    n, c, h, w = x.shape
    z = x.new_zeros(n, c, h * up, w * up)
    z[:, :, ::up, ::up] = x
    z = F.pad(z, [p0, p1, p0, p1])
    return F.conv2d(z, (gain * f2).flip(0, 1)[None, None].expand(c, 1, -1, -1), stride=down, groups=c)


def test_resampling_by_hand():
    """f = [½, ½]: ×2 upsampling repeats every sample, ÷2 downsampling averages pairs."""
    x = torch.arange(16.0).view(1, 1, 4, 4)
    box = torch.tensor([0.5, 0.5])
    assert torch.equal(upsample_centred(x, box, 2), x.repeat_interleave(2, 2).repeat_interleave(2, 3))
    assert torch.allclose(downsample_centred(x, box, 2, 2), torch.tensor([[[[2.5, 4.5], [10.5, 12.5]]]]))


@pytest.mark.parametrize("radial", [False, True])
@pytest.mark.parametrize("up,n,size", [(2, 10, None), (2, 10, 14), (4, 6, 20), (1, 9, 5)])
def test_polyphase_upsampling_equals_zero_insertion_and_dense_filtering(up, n, size, radial):
    torch.manual_seed(0)
    length = taps_for(6, up)
    f = torch.rand([length] * (2 if radial else 1), dtype=torch.float64)   # asymmetric: flips matter
    x = torch.randn(2, 3, n, n, dtype=torch.float64)
    p0 = (length + up - 2) // 2
    full = dense_upfirdn(x, f, up, 1, p0, length - 1 - p0, gain=up * up)
    size = size or n * up
    o = (n * up - size) // 2
    assert torch.allclose(upsample_centred(x, f, up, size), full[..., o:o + size, o:o + size], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("radial", [False, True])
@pytest.mark.parametrize("down,n,out", [(2, 20, 10), (2, 24, 6), (4, 28, 5)])
def test_strided_downsampling_equals_dense_filtering_and_its_gradient_too(down, n, out, radial):
    torch.manual_seed(0)
    length = taps_for(6, down)
    f = torch.rand([length] * (2 if radial else 1), dtype=torch.float64)   # asymmetric: flips matter
    x = torch.randn(2, 3, n, n, dtype=torch.float64, requires_grad=True)
    p = (length - down) // 2 - (n - down * out) // 2
    ref = dense_upfirdn(x, f, 1, down, p, p, gain=1.5)
    y = downsample_centred(x, f, down, out, gain=1.5)
    assert y.shape == ref.shape == (2, 3, out, out)
    assert torch.allclose(y, ref, rtol=1e-12, atol=1e-12)
    g = torch.randn_like(y)
    grad, = torch.autograd.grad(y, x, g)
    ref_grad, = torch.autograd.grad(ref, x, g)           # PyTorch's own backward of the dense conv
    assert torch.allclose(grad, ref_grad, rtol=1e-12, atol=1e-12)


def test_resampling_gradients_and_second_derivatives_check_numerically():
    torch.manual_seed(0)
    f = torch.rand(6, dtype=torch.float64)
    x = torch.randn(1, 2, 8, 8, dtype=torch.float64, requires_grad=True)
    for fn in (lambda v: downsample_centred(v, f, 2, 3), lambda v: upsample_centred(v, f, 2, 12)):
        assert torch.autograd.gradcheck(fn, (x,), fast_mode=True)
        assert torch.autograd.gradgradcheck(fn, (x,), fast_mode=True)


@pytest.mark.parametrize("up,down,radial,n,out", [(2, 2, False, 12, 12), (4, 2, False, 8, 10),
                                                  (2, 2, True, 12, 6), (2, 1, False, 10, 14)])
def test_nonlinearity_equals_full_size_reference(up, down, radial, n, out):
    """The layer crops before φ, folds √2 into the down filter and runs φ in place; the reference
    upsamples the whole grid, applies √2·φ and filters / crops the full result."""
    torch.manual_seed(0)
    up_f = design_lowpass(taps_for(6, up), 2.0, 1.0, 4.0 * up)
    down_f = None
    if down > 1:
        down_f = (design_radial_lowpass if radial else design_lowpass)(taps_for(6, down), 2.0, 1.0, 4.0 * up)
    layer = ResampledNonlinearity(3, up, up_f, down, down_f, out).double()
    with torch.no_grad():
        layer.bias.normal_()
    x = torch.randn(2, 3, n, n, dtype=torch.float64)
    p0 = (up_f.shape[0] + up - 2) // 2
    v = dense_upfirdn(x + layer.bias.view(1, -1, 1, 1), up_f, up, 1, p0, up_f.shape[0] - 1 - p0, gain=up * up)
    v = F.leaky_relu(v, 0.2) * math.sqrt(2)
    if down_f is None:
        o = (n * up - out) // 2
        ref = v[..., o:o + out, o:o + out]
    else:
        p = (down_f.shape[0] - down) // 2 - (n * up - down * out) // 2
        ref = dense_upfirdn(v, down_f, 1, down, p, p)
    assert torch.allclose(layer(x), ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kernel,demodulate", [(3, True), (1, True), (1, False)])
def test_modulated_conv_equals_grouped_conv_with_per_sample_weights(kernel, demodulate):
    """StyleGAN2's Eq. 1–3 literally: build w'' per sample, one grouped convolution."""
    torch.manual_seed(0)
    conv = ModulatedConv(5, 4, kernel, w_dim=6, demodulate=demodulate).double()
    x = torch.randn(3, 5, 7, 7, dtype=torch.float64)
    w = torch.randn(3, 6, dtype=torch.float64)
    s = conv.affine(w)
    if demodulate:
        s = s / s.square().mean(dim=1, keepdim=True).add(1e-8).sqrt()
    wp = conv.weight[None] * conv.weight_gain * s[:, None, :, None, None]            # w' = s_i w_ijk
    if demodulate:
        wp = wp / (wp.square().sum(dim=(2, 3, 4), keepdim=True) + 1e-8).sqrt()        # w'' = w' / √(Σ w'² + ε)
    ref = F.conv2d(x.reshape(1, 15, 7, 7), wp.reshape(12, 5, kernel, kernel), padding=kernel // 2, groups=3)
    assert torch.allclose(conv(x, w), ref.reshape(3, 4, 7, 7), rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------------------------------
# The generator and its ladder.
# ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def G():
    torch.manual_seed(0)
    return Generator("sg3-tiny-16").eval()


def test_output_shape_num_ws_and_finite_range(G):
    z = torch.randn(3, G.z_dim)
    with torch.no_grad():
        ws = G.mapping(z)
        img = G.synthesis(ws)
    assert ws.shape == (3, G.num_ws, G.w_dim)
    assert G.num_ws == G.config.num_layers + 2
    assert img.shape == (3, 3, 16, 16) and G.img_resolution == 16
    assert torch.isfinite(img).all() and 0.05 < float(img.std()) < 5


def test_determinism_by_seed():
    def make():
        torch.manual_seed(3)
        g = Generator("sg3-tiny-16/config-R").eval()
        with torch.no_grad():
            return g(torch.randn(2, g.z_dim, generator=torch.Generator().manual_seed(1)))
    assert torch.equal(make(), make())


def test_truncation_psi_zero_gives_identical_images(G):
    G.mapping.compute_w_avg(num_samples=64, batch_size=64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        img = G(torch.randn(4, G.z_dim), truncation_psi=0.0)
    assert torch.allclose(img, img[:1].expand_as(img), atol=1e-5)


@pytest.mark.parametrize("label", LADDER)
def test_every_ladder_preset_builds_runs_and_backpropagates(label):
    import time

    torch.manual_seed(0)
    start = time.perf_counter()
    g = Generator(f"sg3-tiny-16/config-{label}")
    img = g(torch.randn(2, g.z_dim))
    img.square().mean().backward()
    assert img.shape == (2, 3, 16, 16) and torch.isfinite(img).all()
    assert time.perf_counter() - start < 5
    trained = [n for n, p in g.synthesis.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    # Noise strengths start at zero, so their gradient is zero only through the noise (config B).
    assert all("noise" in n for n in trained), trained


def test_the_ladder_changes_what_the_paper_says():
    c = {x: get_config(f"sg3-tiny-16/config-{x}") for x in LADDER}
    assert c["B"].use_noise and not c["C"].use_noise
    assert c["C"].skip_torgb and not c["D"].skip_torgb and c["C"].mapping_layers == 8 and c["D"].mapping_layers == 2
    assert c["D"].margin == 0 and c["E"].margin == 10 and c["E"].sinc_upsampling and not c["D"].sinc_upsampling
    assert not c["E"].filtered_nonlinearity and c["F"].filtered_nonlinearity
    assert c["F"].critical_sampling and not c["G"].critical_sampling
    assert not c["G"].transformed_fourier and c["H"].transformed_fourier
    assert not c["H"].flexible_layers and c["T"].flexible_layers
    assert c["R"].rotation_equivariant and not c["T"].rotation_equivariant
    # B and C keep StyleGAN2's regularisers; D drops both (as the official StyleGAN3 configs train).
    assert c["B"].pl_weight == c["C"].pl_weight == 2.0 and c["C"].style_mixing_prob == 0.9
    assert all(c[x].pl_weight == 0 and c[x].style_mixing_prob == 0 for x in "DEFGHTR")
    # Flexible layers: cutoff from 2 to res/2, the last layers critically sampled at the image size.
    specs = c["T"].layer_specs()
    assert specs[0]["cutoff"] == pytest.approx(2.0) and specs[-1]["cutoff"] == pytest.approx(8.0)
    assert specs[-1]["size"] == 16 and specs[-1]["critical"] and specs[-2]["critical"]
    # The last num_critical layers are critical: exactly those whose cutoff is the image's Nyquist;
    # the input and the first layer share the first cutoff (NVIDIA's schedule, shifted by its input).
    assert [s["critical"] for s in specs] == [s["cutoff"] == pytest.approx(8.0) for s in specs]
    assert sum(s["critical"] for s in specs) == c["T"].num_critical
    assert specs[1]["cutoff"] == specs[0]["cutoff"] and specs[2]["cutoff"] > specs[1]["cutoff"]
    assert all(s["half_width"] > 0 and s["cutoff"] <= s["rate"] / 2 + 1e-9 for s in specs)
    # Non-critical sampling: f_c + f_h ≤ s/2 below the output resolution.
    for s in c["G"].layer_specs()[:-2]:
        assert s["cutoff"] + s["half_width"] <= s["rate"] / 2 + 1e-9


@pytest.mark.parametrize("rung", ["B", "C"])                         # B: with noise inputs, C: without
def test_rungs_b_and_c_train_with_the_path_length_penalty_and_d_without(rung):
    from stylegan_lib.train.bench import make_trainer

    tr = make_trainer(f"sg3-tiny-16/config-{rung}", batch=4, r1_interval=4)   # 4 steps: one with the penalty
    assert tr.pl is not None and tr.pl.mean.item() > 0                  # its running mean has moved
    assert make_trainer("sg3-tiny-16/config-D", batch=4, r1_interval=1).pl is None


def test_noise_modes_only_matter_for_config_B():
    torch.manual_seed(0)
    b = Generator("sg3-tiny-16/config-B").eval()
    with torch.no_grad():
        for layer in b.synthesis.layers:
            layer.noise.weight.fill_(1.0)
        ws = b.mapping(torch.randn(1, b.z_dim))
        assert not torch.equal(b.synthesis(ws, noise_mode="random"), b.synthesis(ws, noise_mode="random"))
        assert torch.equal(b.synthesis(ws, noise_mode="const"), b.synthesis(ws, noise_mode="const"))
    t = Generator("sg3-tiny-16").eval()
    with torch.no_grad():
        ws = t.mapping(torch.randn(1, t.z_dim))
        assert torch.equal(t.synthesis(ws, noise_mode="random"), t.synthesis(ws, noise_mode="none"))


def test_transformed_fourier_features_start_as_the_identity(G):
    with torch.no_grad():
        ws = G.mapping(torch.randn(2, G.z_dim))
        assert torch.allclose(G.synthesis(ws), G.synthesis(ws, input_transform=torch.eye(3)), atol=1e-6)
        assert torch.allclose(G.synthesis.input.w_transform(ws[:, 0]), torch.eye(3).expand(2, 3, 3))


def test_an_input_translation_moves_the_features_as_drawn_whatever_w_does():
    """With a learned rotation and shift (config H after training), translating the input by a
    whole number of pixels must shift the Fourier features by those pixels, not by a rotated
    version of them: T = U T_w."""
    from stylegan_lib.metrics.equivariance import translation
    from stylegan_lib.stylegan3.layers import FourierFeatures

    torch.manual_seed(0)
    ff = FourierFeatures(8, w_dim=4, bandwidth=2.0, transform_from_w=True)
    with torch.no_grad():                                # T_w: rotate by 0.6 rad, shift by (0.1, -0.05)
        ff.affine.bias.copy_(torch.tensor([math.cos(0.6), math.sin(0.6), 0.1, -0.05]))
    w, size, rate, k = torch.zeros(1, 4), 20, 16.0, 3
    base = ff(w, size, rate)
    moved = ff(w, size, rate, input_transform=translation(k / rate, 0.0))    # k pixels to the right
    assert torch.allclose(moved[..., k:], base[..., :-k], atol=1e-5)
    assert not torch.allclose(ff(w, size, rate, input_transform=translation(0.0, k / rate))[..., k:], base[..., :-k],
                              atol=1e-3)                                    # a vertical move is not this


def test_learned_input_transforms_read_the_rotation_and_shift_from_w():
    from stylegan_lib.stylegan3 import learned_input_transforms

    torch.manual_seed(0)
    h = Generator("sg3-tiny-16/config-H").eval()
    still = learned_input_transforms(h, num=16)
    assert still["angle_std_deg"] == 0 and still["shift_rms_px"] == 0          # the identity at initialisation
    with torch.no_grad():                                                     # 30°, shifted (0.125, 0) of the canvas
        h.synthesis.input.affine.bias.copy_(torch.tensor([math.cos(math.pi / 6), math.sin(math.pi / 6), 0.125, 0.0]))
    moved = learned_input_transforms(h, num=16)
    assert moved["angle_deg"] == pytest.approx([30.0] * 16, abs=1e-4)
    assert moved["shift_px"][:, 0] == pytest.approx([2.0] * 16) and moved["shift_rms_px"] == pytest.approx(2.0)
    assert moved["shift_std_px"] == pytest.approx(0.0, abs=1e-5)                # a constant offset: no spread over w
    assert learned_input_transforms(Generator("sg3-tiny-16/config-G"), num=4)["shift_rms_px"] == 0


def test_magnitude_ema_tracks_the_input_rms_in_training_only():
    torch.manual_seed(0)
    g = Generator("sg3-tiny-16")
    norm = g.synthesis.layers[0].norm
    before = float(norm.magnitude_ema)
    g.eval()
    with torch.no_grad():
        g(torch.randn(2, g.z_dim))
    assert float(norm.magnitude_ema) == before
    g.train()
    with torch.no_grad():
        g(torch.randn(2, g.z_dim))
    assert float(norm.magnitude_ema) != before


def test_clear_errors(G):
    with pytest.raises(ValueError, match="unknown StyleGAN3 preset"):
        Generator("sg3-book-32/config-A")
    with pytest.raises(ValueError, match="ws must have shape"):
        G.synthesis(torch.zeros(1, 2, G.w_dim))
    with pytest.raises(ValueError, match="noise_mode"):
        G.synthesis(torch.zeros(1, G.num_ws, G.w_dim), noise_mode="fresh")
    with pytest.raises(ValueError, match="config T"):
        get_config("sg3-tiny-16/config-R", flexible_layers=False)
