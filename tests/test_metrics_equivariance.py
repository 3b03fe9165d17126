"""EQ-T / EQ-R (StyleGAN3 paper): the PSNR by hand, band-limited image transforms, toy layers
that are / are not equivariant, and StyleGAN3 generators at 16²."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from stylegan_lib.metrics.equivariance import (compute_equivariance, eq_r, eq_t, equivariance_psnr, masked_mse,
                                               psnr, rotation, sample_transforms, transform_image, translation)

RES = 32
FREQS = torch.tensor([[1.0, 2.0], [-2.0, 1.0], [3.0, 0.0], [0.0, -1.0]])   # cycles per image width
PHASES = torch.tensor([0.1, 0.4, 0.7, 0.25])


def toy_input(matrix: torch.Tensor | None) -> torch.Tensor:
    """Four band-limited, periodic sinusoids evaluated at M⁻¹p on the 32² pixel centres: [1, 4, 32, 32]."""
    t = (torch.arange(RES, dtype=torch.float64) + 0.5 - RES / 2) / RES
    y, x = torch.meshgrid(t, t, indexing="ij")
    p = torch.stack([x.reshape(-1), y.reshape(-1), torch.ones(RES * RES, dtype=torch.float64)], 1)
    if matrix is not None:
        p = p @ torch.linalg.inv(matrix.double()).T
    z = torch.sin(2 * math.pi * (p[:, :2] @ FREQS.double().T + PHASES.double()))
    return z.T.reshape(1, 4, RES, RES).float()


KERNEL = torch.randn(3, 4, 3, 3, generator=torch.Generator().manual_seed(0)) / 6
PATTERN = torch.randn(1, 3, RES, RES, generator=torch.Generator().manual_seed(1)) * 0.3


def circular_conv(matrix):
    """Translation-equivariant: a 3×3 convolution with circular padding."""
    return F.conv2d(F.pad(toy_input(matrix), [1, 1, 1, 1], mode="circular"), KERNEL)


def conv_plus_pattern(matrix):
    """Not equivariant: a fixed pattern glued to pixel positions is added."""
    return circular_conv(matrix) + PATTERN


def pointwise(matrix):
    """Rotation-equivariant: a 1×1 channel mix."""
    return F.conv2d(toy_input(matrix), KERNEL[:, :, 1:2, 1:2] * 3)


def test_psnr_by_hand():
    a = torch.zeros(1, 1, 2, 2)
    b = a.clone()
    b[0, 0, 0, 0] = 0.5
    s, c = masked_mse(a, b, torch.ones(1, 1, 2, 2))
    assert float(s) == 0.25 and float(c) == 4
    # 20 log10 2 − 10 log10(0.25 / 4) = 6.0206 + 12.0412
    assert psnr(float(s) / float(c)) == pytest.approx(20 * math.log10(2) - 10 * math.log10(0.0625))
    assert psnr(float(s) / float(c)) == pytest.approx(18.0618, abs=1e-4)
    mask = torch.ones(1, 1, 2, 2)
    mask[0, 0, 0, 0] = 0
    s, c = masked_mse(a, b, mask)
    assert float(s) == 0 and psnr(0.0) == math.inf


def test_integer_translation_of_an_image_is_exact_and_masks_what_came_in():
    img = torch.randn(1, 3, 8, 8)
    out, mask = transform_image(img, translation(2 / 8, -1 / 8))        # 2 px right, 1 px up
    assert torch.equal(out[0, :, :7, 2:], img[0, :, 1:, :6])
    assert mask[0, 0, :7, 2:].all() and not mask[0, 0, 7].any() and not mask[0, 0, :, :2].any()


def test_sub_pixel_translation_and_rotation_of_a_band_limited_image():
    base = toy_input(None)
    for m in (translation(0.37 / RES, -1.6 / RES), rotation(0.3)):
        out, mask = transform_image(base, m)
        assert mask.sum() > 100
        err = ((out - toy_input(m)) * mask).square().sum() / (mask.sum() * 4)
        assert psnr(err) > 40


def test_toy_layers_score_as_expected():
    gen = torch.Generator().manual_seed(0)
    t_int = sample_transforms("eq_t", 4, RES, generator=gen)
    t_sub = sample_transforms("eq_t_frac", 4, RES, generator=gen)
    rots = sample_transforms("eq_r", 4, RES, generator=gen)
    assert equivariance_psnr(circular_conv, t_int, RES) > 100
    assert equivariance_psnr(circular_conv, t_sub, RES) > 40
    assert equivariance_psnr(conv_plus_pattern, t_int, RES) < 20
    assert equivariance_psnr(conv_plus_pattern, t_sub, RES) < 20
    assert equivariance_psnr(pointwise, rots, RES) > 40
    assert equivariance_psnr(lambda m: pointwise(m) + PATTERN, rots, RES) < 20


def test_transform_matrices():
    assert torch.allclose(rotation(math.pi / 2) @ torch.tensor([1.0, 0, 1]), torch.tensor([0.0, 1, 1]), atol=1e-6)
    assert torch.equal(translation(0.5, 0.25) @ torch.tensor([0.0, 0, 1]), torch.tensor([0.5, 0.25, 1]))
    assert translation(torch.zeros(5), torch.zeros(5)).shape == (5, 3, 3)


def test_stylegan1_is_refused_with_a_clear_error():
    from stylegan_lib.generator import Generator as StyleGAN1

    with pytest.raises(ValueError, match="learned constant"):
        eq_t(StyleGAN1("tiny-16"), num=2)
    with pytest.raises(ValueError, match="unknown equivariance metric"):
        sample_transforms("eq_s", 2, 16)


def test_stylegan3_ladder_ends_more_equivariant_than_it_starts():
    from stylegan_lib.stylegan3 import Generator

    torch.manual_seed(0)
    b, t, r = (Generator(f"sg3-tiny-16/config-{x}").eval() for x in "BTR")
    assert eq_t(t, num=4) > eq_t(b, num=4) + 20
    assert eq_r(r, num=4) > eq_r(t, num=4) + 5


def test_band_limited_image_moves_exactly_and_the_reference_ceiling_follows_taps_and_band():
    from stylegan_lib.metrics.equivariance import band_limited_image, reference_ceiling

    freqs, phases = torch.tensor([[1.0, 0.0]]), torch.tensor([0.0])
    img = band_limited_image(freqs, phases, 8)
    # One cosine along x, amplitude √2: x(p) = √2 cos 2π p_x; moved by a quarter width it becomes √2 sin.
    k = (torch.arange(8) + 0.5) / 8 - 0.5
    assert torch.allclose(img[0, 0, 3], math.sqrt(2) * torch.cos(2 * math.pi * k), atol=1e-6)
    moved = band_limited_image(freqs, phases, 8, translation(0.25, 0.0))
    assert torch.allclose(moved[0, 0, 3], math.sqrt(2) * torch.sin(2 * math.pi * k), atol=1e-6)
    # Whole-pixel shifts need no interpolation; sub-pixel ones and rotations are capped by it.
    assert reference_ceiling("eq_t", 16, num=4) == math.inf
    frac16, frac32 = reference_ceiling("eq_t_frac", 16, num=16), reference_ceiling("eq_t_frac", 32, num=16)
    assert 15 < frac16 < frac32 < 80                          # 2 taps per side at 16², 4 at 32²
    assert reference_ceiling("eq_t_frac", 16, band=0.3, num=16) > frac16 + 5
    assert reference_ceiling("eq_t_frac", 16, num=16, radius=6) > frac16
    assert reference_ceiling("eq_t_frac", 16, num=16, rms=0.05) == pytest.approx(frac16 + 20, abs=1e-3)
    with pytest.raises(ValueError, match="fraction of the Nyquist"):
        reference_ceiling("eq_t_frac", 16, band=1.5)
