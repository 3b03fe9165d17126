"""The archive format and the strict loader: round trips and every kind of bad input."""
from __future__ import annotations

import json
import warnings
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from stylegan_lib.data import (ATTRIBUTES, FACTORS, DatasetError, DatasetWarning, FacesConfig,
                               ImageFolderDataset, SyntheticFaces, random_xflip, to_float,
                               to_uint8, write_faces_archive)


def _save(path, mode="RGB", size=(16, 16), value=None, fmt=None):
    """A small test image with a gradient (so flips and crops are visible)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    w, h = size
    ramp = (np.arange(w)[None, :] * 255 // max(w - 1, 1) + np.zeros((h, 1), int)).astype(np.uint8)
    if mode == "RGB":
        img = Image.fromarray(np.stack([ramp, ramp[::-1], np.full_like(ramp, 40)], axis=2), "RGB")
    elif mode == "I;16":
        img = Image.fromarray(ramp.astype(np.uint16) * 257)          # mode I;16
    else:
        img = Image.fromarray(np.stack([ramp, ramp, ramp], axis=2), "RGB").convert(mode)
    img.save(path, format=fmt)
    return path


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    path = tmp_path_factory.mktemp("arch") / "faces.zip"
    write_faces_archive(path, 24, resolution=16, seed=4, progress=False)
    return path


# --------------------------------------------------------------------------------------------
# Round trip
# --------------------------------------------------------------------------------------------

def test_archive_round_trip_identical_pixels_and_labels(archive):
    ds = ImageFolderDataset(archive)
    ref = SyntheticFaces(24, resolution=16, seed=4)
    assert len(ds) == 24 and ds.resolution == 16 and ds.attributes == ATTRIBUTES
    images, labels = ds.load_all(progress=False)
    assert images.dtype == torch.uint8 and images.shape == (24, 3, 16, 16)
    assert labels.dtype == torch.float32 and labels.shape == (24, len(ATTRIBUTES))
    assert torch.equal(images, ref.render_all())
    assert torch.equal(labels, ref.labels)
    image, label = ds[5]
    assert torch.equal(image, ref[5][0]) and torch.equal(label, ref[5][1])
    assert ds.factor_names == FACTORS
    np.testing.assert_allclose(ds.factors[:, 0], ref.factors["yaw"], atol=1e-6)
    meta = json.loads(zipfile.ZipFile(archive).read("dataset.json"))
    assert meta["source"]["seed"] == 4 and meta["source"]["generator"] == "stylegan_lib.data.faces"
    assert FacesConfig.from_dict(meta["source"]["config"]).resolution == 16


def test_archive_is_reproducible_and_never_overwritten(archive, tmp_path):
    again = write_faces_archive(tmp_path / "b.zip", 24, resolution=16, seed=4, progress=False)
    assert again.read_bytes() == archive.read_bytes()
    with pytest.raises(FileExistsError, match="already exists"):
        write_faces_archive(again, 4, resolution=16, progress=False)
    write_faces_archive(again, 4, resolution=16, progress=False, overwrite=True)
    assert len(ImageFolderDataset(again)) == 4
    assert not list(tmp_path.glob("*.tmp-*"))                  # no temporary left behind


def test_use_labels_false_and_unlabelled_folder(archive, tmp_path):
    ds = ImageFolderDataset(archive, use_labels=False)
    assert ds[0][1].shape == (0,) and ds.label_dim == 0
    for i in range(3):
        _save(tmp_path / "sub" / f"{i}.png")
    _save(tmp_path / "a.jpg", fmt="JPEG")
    _save(tmp_path / "b.webp", fmt="WEBP")
    (tmp_path / "notes.txt").write_text("not an image")
    ds = ImageFolderDataset(tmp_path, resolution=16)
    assert len(ds) == 5 and ds.filenames[0] == "a.jpg"
    image, label = ds[0]
    assert image.shape == (3, 16, 16) and image.dtype == torch.uint8 and label.shape == (0,)
    images, labels = ds.load_all(progress=False)
    assert images.shape == (5, 3, 16, 16) and labels.shape == (5, 0)


def test_mirror_is_a_random_x_flip(tmp_path):
    _save(tmp_path / "a.png")
    ds = ImageFolderDataset(tmp_path, mirror=True)
    plain = ImageFolderDataset(tmp_path)[0][0]
    torch.manual_seed(0)
    assert not torch.equal(plain, plain.flip(2))
    draws = [ds[0][0] for _ in range(200)]
    assert all(torch.equal(d, plain) or torch.equal(d, plain.flip(2)) for d in draws)
    assert 60 < sum(torch.equal(d, plain) for d in draws) < 140     # about half the time


def test_to_float_range_and_inverse():
    x = torch.tensor([0, 127, 128, 255], dtype=torch.uint8).view(1, 1, 2, 2)
    f = to_float(x)
    assert f.dtype == torch.float32 and f.min() == -1 and f.max() == 1
    assert torch.equal(to_uint8(f), x)
    with pytest.raises(TypeError, match="uint8"):
        to_float(f)
    batch = torch.arange(2 * 3 * 2 * 4, dtype=torch.uint8).view(2, 3, 2, 4)
    out = random_xflip(batch, p=1.0)
    assert torch.equal(out, batch.flip(-1)) and torch.equal(random_xflip(batch, p=0.0), batch)


def test_zip_of_plain_images(tmp_path):
    with zipfile.ZipFile(tmp_path / "d.zip", "w") as z:
        for i in range(3):
            p = _save(tmp_path / "src" / f"{i}.png")
            z.write(p, f"imgs/{i}.png")
    ds = ImageFolderDataset(tmp_path / "d.zip")
    assert ds.filenames == ["imgs/0.png", "imgs/1.png", "imgs/2.png"] and ds[2][0].shape == (3, 16, 16)


# --------------------------------------------------------------------------------------------
# Bad input: an error or a warning that names the file, never a silent wrong tensor
# --------------------------------------------------------------------------------------------

def test_missing_path_and_empty_folder(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        ImageFolderDataset(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no images"):
        ImageFolderDataset(tmp_path / "empty")
    (tmp_path / "empty" / "readme.txt").write_text("x")
    with pytest.raises(DatasetError, match="1 other files ignored"):
        ImageFolderDataset(tmp_path / "empty")


def test_corrupt_file_is_an_error_naming_it(tmp_path):
    _save(tmp_path / "good.png")
    (tmp_path / "bad.png").write_bytes(b"this is not a png at all")
    with pytest.raises(DatasetError, match=r"'bad.png'.*prepare"):
        ImageFolderDataset(tmp_path)


def test_truncated_png_is_an_error_naming_it(tmp_path):
    _save(tmp_path / "good.png")
    data = _save(tmp_path / "cut.png", size=(16, 16)).read_bytes()
    (tmp_path / "cut.png").write_bytes(data[: len(data) // 2])
    ds = ImageFolderDataset(tmp_path)            # the header is intact …
    with pytest.raises(DatasetError, match=r"cannot decode image 'cut.png'.*prepare"):
        ds[0]                                    # … decoding is not
    with pytest.raises(DatasetError, match="cut.png"):
        ds.load_all(progress=False)


@pytest.mark.parametrize("mode, kind", [("L", "grayscale"), ("RGBA", "RGBA"), ("CMYK", "CMYK"),
                                        ("I;16", "16-bit"), ("P", "palette")])
def test_other_modes_become_8bit_rgb_with_one_warning(tmp_path, mode, kind):
    fmt = "JPEG" if mode == "CMYK" else None
    ext = "jpg" if mode == "CMYK" else "png"
    for i in range(3):
        _save(tmp_path / f"{i}.{ext}", mode=mode, fmt=fmt)
    ds = ImageFolderDataset(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        images, _ = ds.load_all(progress=False)
        ds[1]
    ours = [w for w in caught if issubclass(w.category, DatasetWarning)]
    assert len(ours) == 1, [str(w.message) for w in caught]
    assert kind in str(ours[0].message) and "0." in str(ours[0].message)
    assert images.dtype == torch.uint8 and images.shape == (3, 3, 16, 16)
    # the gradient survives: dark on the left, bright on the right (16-bit scaled, not clipped)
    left, right = images[0, :, 8, 0].float().mean(), images[0, :, 8, 15].float().mean()
    assert left < 40 and right > 200, (left, right)


def test_rgba_alpha_is_composited_onto_white(tmp_path):
    rgba = np.zeros((16, 16, 4), np.uint8)
    rgba[..., 3] = 0                                         # fully transparent black
    Image.fromarray(rgba, "RGBA").save(tmp_path / "t.png")
    with pytest.warns(DatasetWarning, match="white"):
        image = ImageFolderDataset(tmp_path)[0][0]
    assert (image == 255).all()


def test_non_square_wrong_resolution_and_mixed_sizes(tmp_path):
    a = tmp_path / "a"
    _save(a / "wide.png", size=(32, 16))
    with pytest.raises(DatasetError, match=r"square.*'wide.png'.*32×16.*prepare"):
        ImageFolderDataset(a)
    b = tmp_path / "b"
    _save(b / "x.png", size=(32, 32))
    with pytest.raises(DatasetError, match=r"must all be 64×64.*32×32.*'x.png'.*--resolution 64"):
        ImageFolderDataset(b, resolution=64)
    c = tmp_path / "c"
    _save(c / "p.png", size=(16, 16))
    _save(c / "q.png", size=(16, 16))
    _save(c / "r.png", size=(32, 32))
    with pytest.raises(DatasetError, match=r"different sizes.*16×16: 2 images, e.g. 'p.png'.*32×32: 1 images, e.g. 'r.png'"):
        ImageFolderDataset(c)
    d = tmp_path / "d"
    _save(d / "odd.png", size=(24, 24))
    with pytest.raises(DatasetError, match="power of\\s+two"):
        ImageFolderDataset(d)


def _labelled_folder(path, labels, attributes=("a", "b")):
    for name in ("0.png", "1.png"):
        _save(path / name)
    (path / "dataset.json").write_text(json.dumps({"labels": labels, "attributes": list(attributes)}))
    return path


def test_label_errors(tmp_path):
    ok = _labelled_folder(tmp_path / "ok", [["0.png", [1, 0]], ["1.png", [0, 1]]])
    assert ImageFolderDataset(ok).labels.tolist() == [[1.0, 0.0], [0.0, 1.0]]
    missing = _labelled_folder(tmp_path / "m", [["0.png", [1, 0]], ["1.png", [0, 1]], ["2.png", [1, 1]]])
    with pytest.raises(DatasetError, match=r"not in the data set.*'2.png'"):
        ImageFolderDataset(missing)
    short = _labelled_folder(tmp_path / "s", [["0.png", [1, 0]], ["1.png", [0]]])
    with pytest.raises(DatasetError, match=r"wrong length.*expected 2.*length 1 \(e.g. '1.png'\)"):
        ImageFolderDataset(short)
    unlabelled = _labelled_folder(tmp_path / "u", [["0.png", [1, 0]]])
    with pytest.raises(DatasetError, match=r"no labels for 1 of the images.*'1.png'"):
        ImageFolderDataset(unlabelled)
    assert len(ImageFolderDataset(unlabelled, use_labels=False)) == 2
    text = _labelled_folder(tmp_path / "t", [["0.png", ["x", 0]], ["1.png", [0, 1]]])
    with pytest.raises(DatasetError, match="list of numbers"):
        ImageFolderDataset(text)
    broken = _labelled_folder(tmp_path / "j", [])
    (broken / "dataset.json").write_text("{not json")
    with pytest.raises(DatasetError, match="not valid JSON"):
        ImageFolderDataset(broken)
    lying = _labelled_folder(tmp_path / "r", None)
    (lying / "dataset.json").write_text(json.dumps({"labels": None, "resolution": 32}))
    with pytest.raises(DatasetError, match="says resolution 32"):
        ImageFolderDataset(lying)


def test_not_a_zip(tmp_path):
    (tmp_path / "x.zip").write_bytes(b"nope")
    with pytest.raises(DatasetError, match="not a zip"):
        ImageFolderDataset(tmp_path / "x.zip")


def test_zip_dataset_works_in_dataloader_workers(archive):
    ds = ImageFolderDataset(archive)
    ds[0]                                                     # opens the zip in this process
    loader = torch.utils.data.DataLoader(ds, batch_size=8, num_workers=2, shuffle=False)
    images = torch.cat([x for x, _ in loader])
    assert torch.equal(images, ds.load_all(progress=False)[0])
