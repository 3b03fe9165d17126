"""StyleGAN3 at book scale: Kaiser filters, centred resampling, the filtered nonlinearity, the
Fourier-feature input and the generator's configuration ladder (16² presets, CPU, seconds)."""
from __future__ import annotations

import math

import pytest
import torch

from stylegan_lib.stylegan3 import LADDER, Generator, get_config
from stylegan_lib.stylegan3.filters import (design_lowpass, design_radial_lowpass, downsample_centred,
                                            frequency_response, kaiser_attenuation, kaiser_beta, taps_for,
                                            upsample_centred)
from stylegan_lib.stylegan3.layers import ResampledNonlinearity


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
    # Flexible layers: cutoff from 2 to res/2, the last layers critically sampled at the image size.
    specs = c["T"].layer_specs()
    assert specs[0]["cutoff"] == pytest.approx(2.0) and specs[-1]["cutoff"] == pytest.approx(8.0)
    assert specs[-1]["size"] == 16 and specs[-1]["critical"] and specs[-2]["critical"]
    assert all(s["half_width"] > 0 and s["cutoff"] <= s["rate"] / 2 + 1e-9 for s in specs)
    # Non-critical sampling: f_c + f_h ≤ s/2 below the output resolution.
    for s in c["G"].layer_specs()[:-2]:
        assert s["cutoff"] + s["half_width"] <= s["rate"] / 2 + 1e-9


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
