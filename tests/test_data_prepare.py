"""prepare: photos of any size and mode -> a clean archive, with an honest summary."""
from __future__ import annotations

import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from stylegan_lib.data import ImageFolderDataset
from stylegan_lib.data.prepare import REPORT_FILE, main, prepare_dataset


def _photo(path, size, mode="RGB", fmt=None):
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w]
    rgb = np.stack([xx * 255 // max(w - 1, 1), yy * 255 // max(h - 1, 1), (xx + yy) % 256], axis=2)
    img = Image.fromarray(rgb.astype(np.uint8), "RGB")
    if mode == "I;16":
        img = Image.fromarray((rgb[..., 0].astype(np.uint16) * 257))
    elif mode != "RGB":
        img = img.convert(mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, format=fmt)
    return path


@pytest.fixture
def photos(tmp_path):
    src = tmp_path / "photos"
    _photo(src / "wide.png", (80, 48))                        # cropped to the centre
    _photo(src / "gray.png", (40, 40), "L")
    _photo(src / "alpha.png", (50, 50), "RGBA")
    _photo(src / "deep" / "cmyk.jpg", (64, 90), "CMYK", fmt="JPEG")
    _photo(src / "sixteen.png", (40, 40), "I;16")
    _photo(src / "tiny.png", (20, 20))                        # smaller than 32: skipped
    (src / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    data = _photo(src / "cut.png", (64, 64)).read_bytes()
    (src / "cut.png").write_bytes(data[: len(data) // 3])     # truncated
    (src / "notes.txt").write_text("not a photo")
    return src


def test_prepare_converts_skips_and_reports(photos, tmp_path, capsys):
    dest = tmp_path / "out" / "data.zip"
    assert main([str(photos), str(dest), "--resolution", "32", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "5 images converted to 32×32" in out
    assert "skipped: 4" in out
    assert "1 × too small" in out and "2 × unreadable" in out and "1 × not an image" in out
    for name in ("tiny.png", "broken.jpg", "cut.png", "notes.txt"):
        assert name in out
    assert "mode L (grayscale)" in out and "mode CMYK" in out and "16-bit" in out and "RGBA" in out
    assert "cropped 80×48 to the centre 48×48" in out

    ds = ImageFolderDataset(dest, resolution=32)
    images, labels = ds.load_all(progress=False)
    assert images.shape == (5, 3, 32, 32) and images.dtype == torch.uint8 and labels.shape == (5, 0)
    with zipfile.ZipFile(dest) as z:
        report = z.read(REPORT_FILE).decode()
    assert "5 images converted" in report and "tiny.png: too small: 20×20" in report


def test_prepare_keeps_the_centre_and_scales_16_bit(tmp_path):
    src = tmp_path / "s"
    _photo(src / "a.png", (128, 64))
    _photo(src / "b.png", (64, 64), "I;16")
    report = prepare_dataset(src, tmp_path / "d.zip", 32, progress=False)
    assert [s for s, _ in report.converted] == ["a.png", "b.png"]
    ds = ImageFolderDataset(tmp_path / "d.zip")
    a, b = ds[0][0].float(), ds[1][0].float()
    # red ramps across the full width: the centre crop of a 128-wide image spans 1/4 … 3/4
    assert 50 < a[0, 16, 0] < 80 and 175 < a[0, 16, 31] < 205
    assert b[:, 16, 31].min() > 240                           # 16-bit white stays white


def test_upscale_option(photos, tmp_path):
    report = prepare_dataset(photos, tmp_path / "u.zip", 32, upscale=True, progress=False)
    assert "tiny.png" in [s for s, _ in report.converted]
    assert any("upscaled from 20 to 32" in note for _, note in report.notes)
    assert len(report.converted) == 6


def test_never_overwrite_without_force(photos, tmp_path, capsys):
    dest = tmp_path / "d.zip"
    assert main([str(photos), str(dest), "--resolution", "16", "--quiet"]) == 0
    before = dest.read_bytes()
    assert main([str(photos), str(dest), "--resolution", "16", "--quiet"]) == 2
    assert "already exists" in capsys.readouterr().err and dest.read_bytes() == before
    assert main([str(photos), str(dest), "--resolution", "16", "--quiet", "--force"]) == 0


def test_bad_arguments_exit_2(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main([str(empty), str(tmp_path / "x.zip"), "--resolution", "32", "--quiet"]) == 2
    assert "no images" in capsys.readouterr().err
    assert main([str(tmp_path / "missing"), str(tmp_path / "x.zip"), "--resolution", "32"]) == 2
    _photo(empty / "a.png", (40, 40))
    assert main([str(empty), str(tmp_path / "x.zip"), "--resolution", "48", "--quiet"]) == 2
    assert "power of two" in capsys.readouterr().err
    assert main([str(empty), str(tmp_path / "x.tar"), "--resolution", "32", "--quiet"]) == 2
    assert not (tmp_path / "x.zip").exists()


def test_nothing_convertible_exits_1_and_writes_nothing(tmp_path, capsys):
    src = tmp_path / "s"
    _photo(src / "small.png", (8, 8))
    assert main([str(src), str(tmp_path / "x.zip"), "--resolution", "32", "--quiet"]) == 1
    assert "too small" in capsys.readouterr().err
    assert not list(tmp_path.glob("x.zip*"))
