"""Detector loading with stand-in TorchScript modules, and the perceptual distances."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")

from stylegan_lib.metrics import detectors as det
from stylegan_lib.metrics.classifier import FacesClassifier, load_classifier


class StandInInception(nn.Module):
    """Same call signature as NVIDIA's inception-2015-12-05.pt: uint8 NCHW → [N, 2048]."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(3, 2048)

    def forward(self, img: torch.Tensor, return_features: bool = False) -> torch.Tensor:
        x = F.interpolate(img.float(), size=(8, 8), mode="bilinear", align_corners=False)
        return self.proj(x.mean([2, 3]) / 255)


class StandInVGG(nn.Module):
    """Same call signature and output layout as NVIDIA's vgg16.pt with return_lpips=True: five
    unit-normalised feature maps of 64 … 512 channels at 1, 1/2 … 1/16 of the size, flattened."""

    def __init__(self):
        super().__init__()
        self.convs = nn.ModuleList([nn.Conv2d(3, c, 1) for c in (64, 128, 256, 512, 512)])

    def forward(self, img: torch.Tensor, resize_images: bool = True, return_lpips: bool = False) -> torch.Tensor:
        x = img / 255
        fs = []
        for i, conv in enumerate(self.convs):
            if i > 0:
                x = F.avg_pool2d(x, 2)
            f = conv(x)
            fs.append((f / (f.square().sum(1, keepdim=True).sqrt() + 1e-8)).flatten(1))
        return torch.cat(fs, 1)


class WrongSizeInception(nn.Module):
    """The right call signature, but 96-d features: not the Inception detector."""

    def forward(self, img: torch.Tensor, return_features: bool = False) -> torch.Tensor:
        x = F.adaptive_avg_pool2d(img.float() / 255, 4).flatten(1)
        return torch.cat([x, x.square()], 1)


class WrongSizeVGG(nn.Module):
    """The right call signature, but one pooled RGB map instead of VGG16's five LPIPS layers."""

    def forward(self, img: torch.Tensor, resize_images: bool = True, return_lpips: bool = False) -> torch.Tensor:
        f = F.avg_pool2d(img / 255, 4)
        return (f / (f.square().sum(1, keepdim=True).sqrt() + 1e-8)).flatten(1)


@pytest.fixture
def files(tmp_path, monkeypatch):
    for var in ("STYLEGAN_INCEPTION", "STYLEGAN_VGG16", "STYLEGAN_DETECTORS_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("STYLEGAN_LIB_CACHE", str(tmp_path / "cache"))
    inc, vgg = tmp_path / "inc.pt", tmp_path / "vgg.pt"
    torch.manual_seed(0)
    torch.jit.script(StandInInception()).save(str(inc))
    torch.jit.script(StandInVGG()).save(str(vgg))
    return inc, vgg


def test_inception_from_argument_env_and_cache(files, monkeypatch, tmp_path):
    inc, _ = files
    d = det.InceptionDetector(inc)
    imgs = torch.randint(0, 256, (5, 3, 32, 32), dtype=torch.uint8)
    f = d(imgs)
    assert f.shape == (5, 2048) and d.feature_dim == 2048 and d.metric_prefix == "FID"
    assert d.identity.startswith("inception-2015-12-05:")
    monkeypatch.setenv("STYLEGAN_INCEPTION", str(inc))
    torch.testing.assert_close(det.InceptionDetector()(imgs), f)
    monkeypatch.delenv("STYLEGAN_INCEPTION")
    cache = tmp_path / "cache" / "detectors"
    cache.mkdir(parents=True)
    (cache / "inception-2015-12-05.pt").write_bytes(inc.read_bytes())
    assert isinstance(det.get_feature_detector("auto"), det.InceptionDetector)
    with pytest.raises(ValueError, match="uint8"):
        d(imgs.float())


def test_missing_detector_says_where_to_put_it(files):
    with pytest.raises(det.DetectorError) as e:
        det.InceptionDetector()
    msg = str(e.value)
    assert "inception-2015-12-05.pt" in msg and "STYLEGAN_INCEPTION" in msg and "never downloads" in msg
    with pytest.raises(det.DetectorError, match="not a file"):
        det.InceptionDetector("/nonexistent/inception.pt")
    # auto without files → the book's classifier, honestly named
    d = det.get_feature_detector("auto")
    assert isinstance(d, det.ClassifierDetector) and d.metric_prefix == "F"


def test_wrong_file_gives_clear_error(files, tmp_path):
    inc, vgg = files
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"definitely not a zip archive" * 10)
    with pytest.raises(det.DetectorError, match="not a TorchScript archive"):
        det.InceptionDetector(junk)
    state_dict = tmp_path / "weights.pt"
    torch.save({"w": torch.zeros(3)}, state_dict)
    with pytest.raises(det.DetectorError, match="not a TorchScript archive"):
        det.InceptionDetector(state_dict)
    # the VGG file where the Inception one should be: wrong call signature
    with pytest.raises(det.DetectorError, match="does not behave like the Inception detector"):
        det.InceptionDetector(vgg)
    with pytest.raises(det.DetectorError, match="does not behave like the VGG16"):
        det.VGG16LPIPS(inc)


def test_vgg16_lpips_stand_in(files):
    _, vgg = files
    d = det.VGG16LPIPS(vgg)
    a = torch.rand(3, 3, 16, 16) * 2 - 1
    b = torch.rand(3, 3, 16, 16) * 2 - 1
    assert torch.all(d(a, a) == 0)
    torch.testing.assert_close(d(a, b), d(b, a))
    assert torch.all(d(a, b) > 0)
    assert isinstance(det.get_perceptual_distance("vgg16", vgg), det.VGG16LPIPS)


def test_wrong_feature_size_is_refused(files, tmp_path):
    # Any network with the right call signature used to be reported as "FID"; not any more.
    inc96, vgg_small = tmp_path / "inc96.pt", tmp_path / "vgg_small.pt"
    torch.jit.script(WrongSizeInception()).save(str(inc96))
    torch.jit.script(WrongSizeVGG()).save(str(vgg_small))
    with pytest.raises(det.DetectorError, match="96-d features.*2048"):
        det.InceptionDetector(inc96)
    with pytest.raises(det.DetectorError, match=f"768-d LPIPS vectors.*{det.vgg16_lpips_dim(64)}"):
        det.VGG16LPIPS(vgg_small)
    with pytest.raises(det.DetectorError, match="2048"):
        det.get_feature_detector("auto", inc96)


def test_vgg16_lpips_size_by_hand():
    # 64·64² + 128·32² + 256·16² + 512·8² + 512·4² = 262144 + 131072 + 65536 + 32768 + 8192
    assert det.vgg16_lpips_dim(64) == 499712 == 122 * 64**2


def test_load_says_which_file_and_that_it_is_unverified(files, tmp_path, capsys):
    import hashlib

    inc, vgg = files
    digest = hashlib.sha256(inc.read_bytes()).hexdigest()
    d = det.InceptionDetector(inc)
    err = capsys.readouterr().err
    assert str(inc) in err and digest[:16] in err and "the path given" in err
    assert "could not be verified" in err and "trusted source" in err
    assert d.sha256 == digest and d.verified is None and d.identity.endswith(digest[:16])
    # found implicitly in the cache folder: said just as loudly
    cache = tmp_path / "cache" / "detectors"
    cache.mkdir(parents=True)
    (cache / "vgg16.pt").write_bytes(vgg.read_bytes())
    dist = det.get_perceptual_distance("auto")
    err = capsys.readouterr().err
    assert isinstance(dist, det.VGG16LPIPS) and str(cache / "vgg16.pt") in err and "detectors folder" in err
    assert hashlib.sha256(vgg.read_bytes()).hexdigest()[:16] in err


def test_official_digest_is_compared(files, monkeypatch, capsys):
    import hashlib

    inc, _ = files
    digest = hashlib.sha256(inc.read_bytes()).hexdigest()
    monkeypatch.setitem(det.OFFICIAL_SHA256, "inception", digest)
    assert det.InceptionDetector(inc).verified is True
    assert "matches NVIDIA's official" in capsys.readouterr().err
    monkeypatch.setitem(det.OFFICIAL_SHA256, "inception", "0" * 64)
    with pytest.warns(RuntimeWarning, match="DIFFERS from NVIDIA's official"):
        d = det.InceptionDetector(inc)
    assert d.verified is False and "DIFFERS" in capsys.readouterr().err


def _blur(x, k):
    if k == 0:
        return x
    kernel = torch.ones(3, 1, 2 * k + 1, 2 * k + 1) / (2 * k + 1) ** 2
    return F.conv2d(F.pad(x, [k] * 4, mode="replicate"), kernel, groups=3)


def _faces(n=16):
    from stylegan_lib.data import SyntheticFaces
    return SyntheticFaces(n, 32, seed=123).images(range(n)).float() / 127.5 - 1


@pytest.mark.parametrize("shipped", [True, False])
def test_classifier_lpips_properties(shipped):
    torch.manual_seed(0)
    net = load_classifier() if shipped else FacesClassifier(("a", "b"))
    d = det.ClassifierLPIPS(net)
    x = _faces()
    assert torch.all(d(x, x) == 0)
    y = _blur(x, 1)
    torch.testing.assert_close(d(x, y), d(y, x))
    blur = [d(x, _blur(x, k)).mean().item() for k in (0, 1, 2, 3)]
    assert blur[0] == 0 and all(b2 > b1 for b1, b2 in zip(blur, blur[1:])), blur
    g = torch.Generator().manual_seed(1)
    n = torch.randn(x.shape, generator=g)
    noise = [d(x, x + s * n).mean().item() for s in (0.0, 0.05, 0.1, 0.2, 0.4)]
    assert noise[0] == 0 and all(b2 > b1 for b1, b2 in zip(noise, noise[1:])), noise


def test_classifier_detector_uint8_and_resizing():
    d = det.ClassifierDetector()
    from stylegan_lib.data import SyntheticFaces
    x32 = SyntheticFaces(8, 32, seed=5).images(range(8))
    f = d(x32)
    assert f.shape == (8, d.feature_dim) and torch.isfinite(f).all()
    x64 = SyntheticFaces(8, 64, seed=5).images(range(8))
    assert d(x64).shape == f.shape
    assert d.identity.startswith("faces-classifier:")


def test_to_uint8_rounds_like_the_official_code():
    x = torch.tensor([-1.0, -0.99, 0.0, 0.999, 1.0, 3.0])
    assert det.to_uint8(x).tolist() == [0, 1, 128, 255, 255, 255]
