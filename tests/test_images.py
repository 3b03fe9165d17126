"""stylegan_lib.images: the one float <-> uint8 conversion, the image grid, enlarging."""
import numpy as np
import pytest
import torch

from stylegan_lib.images import enlarge, image_grid, to_float, to_hwc, to_uint8


def test_uint8_round_trip_is_exact():
    u = torch.arange(256, dtype=torch.uint8).view(1, 1, 16, 16)
    x = to_float(u)
    assert x.dtype == torch.float32 and float(x.min()) == -1.0 and float(x.max()) == 1.0
    assert torch.equal(to_uint8(x), u)
    with pytest.raises(TypeError, match="uint8"):
        to_float(x)


def test_to_uint8_rounds_and_clips():
    x = torch.tensor([-3.0, -1.0, -0.99, 0.0, 0.999, 1.0, 3.0])
    assert to_uint8(x).tolist() == [0, 0, 1, 128, 255, 255, 255]
    tie = torch.tensor([-0.10196077823638916])  # (x + 1) · 127.5 = 114.5 exactly in float32
    assert float((tie + 1) * 127.5) == 114.5 and to_uint8(tie).tolist() == [114]  # ties to even


def test_to_hwc_takes_floats_or_uint8_tensors_or_arrays():
    x = torch.rand(2, 3, 4, 5) * 2 - 1
    u = to_uint8(x)
    hwc = to_hwc(x)
    assert hwc.shape == (2, 4, 5, 3) and hwc.dtype == np.uint8
    assert np.array_equal(hwc, u.permute(0, 2, 3, 1).numpy())
    assert np.array_equal(to_hwc(u), hwc) and np.array_equal(to_hwc(u.numpy()), hwc)
    with pytest.raises(ValueError, match="N, C, H, W"):
        to_hwc(x[0])


def test_image_grid_layout():
    u = torch.stack([torch.full((3, 2, 3), v, dtype=torch.uint8) for v in (10, 20, 30)])
    g = image_grid(u, 2)  # two columns, framed by 1 white pixel, the empty cell white
    assert g.shape == (2 * 3 + 1, 2 * 4 + 1, 3)
    assert g[1, 1, 0] == 10 and g[1, 5, 0] == 20 and g[4, 1, 0] == 30 and g[4, 5, 0] == 255
    assert (g[0] == 255).all() and (g[:, 0] == 255).all()
    tight = image_grid(u, 2, pad=0, pad_value=0)  # the training loop's sample grid
    assert tight.shape == (4, 6, 3) and tight[2, 3, 0] == 0
    assert image_grid(u).shape == image_grid(u, 2).shape  # ⌈√3⌉ = 2 columns by default


def test_enlarge_repeats_pixels():
    img = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    big = enlarge(img, 3)
    assert big.shape == (6, 6, 3) and big.flags["C_CONTIGUOUS"]
    assert np.array_equal(big[::3, ::3], img) and np.array_equal(big[2, 2], img[0, 0])
    assert np.array_equal(enlarge(img, 1), img)
