"""Feature detectors and perceptual distances: NVIDIA's standard TorchScript networks when the
reader has them, the book's own faces classifier otherwise.

Nothing is ever downloaded. A standard detector file is looked up, in this order, at

1. the path passed as an argument (``--inception PATH`` / ``--vgg16 PATH`` on the command line),
2. the environment variable ``STYLEGAN_INCEPTION`` (resp. ``STYLEGAN_VGG16``),
3. ``$STYLEGAN_LIB_CACHE/detectors/<file name>`` (default ``~/.cache/stylegan_lib/detectors/``).

The files are NVIDIA's ``inception-2015-12-05.pt`` (Inception-v3 pool features, 2048-d; called
as ``model(images_uint8_nchw, return_features=True)``) and ``vgg16.pt`` (LPIPS features; called as
``model(images_0_255, resize_images=False, return_lpips=True)``), published with NVIDIA's
StyleGAN2-ADA PyTorch release. Only distances computed with the Inception detector are called
"FID" and "KID"; with the book's classifier they are "FD" and "KD".

Every detector takes uint8 images ``[N, 3, H, W]`` in [0, 255] (the convention of NVIDIA's
detectors); every perceptual distance takes float images in [-1, 1] (the generator's range; the
path length's ε = 1e-4 steps would vanish in uint8).
"""
from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F

from .frechet import cache_root

DETECTOR_FILES = {
    # kind: (file name, environment variable, what it is)
    "inception": ("inception-2015-12-05.pt", "STYLEGAN_INCEPTION",
                  "NVIDIA's Inception-v3 TorchScript detector for FID/KID"),
    "vgg16": ("vgg16.pt", "STYLEGAN_VGG16", "NVIDIA's VGG16 LPIPS TorchScript network for PPL"),
}
DETECTORS_DIR_ENV = "STYLEGAN_DETECTORS_DIR"


class DetectorError(RuntimeError):
    """A standard detector that is missing or is not the file it should be."""


def detectors_dir() -> Path:
    """``$STYLEGAN_DETECTORS_DIR`` if set, else ``$STYLEGAN_LIB_CACHE/detectors``."""
    env = os.environ.get(DETECTORS_DIR_ENV)
    return Path(env) if env else cache_root() / "detectors"


def detector_help(kind: str) -> str:
    """Where a standard detector file can be put, in words."""
    name, env, what = DETECTOR_FILES[kind]
    return (f"{what} ({name}) was not found. stylegan_lib never downloads anything: get {name} from "
            f"NVIDIA's StyleGAN2-ADA PyTorch release (the metrics' detector URLs) and either pass its "
            f"path, set {env}=/path/to/{name}, or copy it to {detectors_dir() / name}. Without it, "
            "use the book's offline detector (metrics 'fd', 'kd'; PPL distance 'classifier').")


def find_detector_file(kind: str, path: str | os.PathLike | None = None) -> Path | None:
    """The detector file of ``kind`` ('inception' or 'vgg16'), or None if it is nowhere.

    A path given explicitly (argument or environment variable) that does not exist is an error,
    not a silent fallback.
    """
    if kind not in DETECTOR_FILES:
        raise ValueError(f"unknown detector kind {kind!r}; known: {sorted(DETECTOR_FILES)}")
    name, env, _ = DETECTOR_FILES[kind]
    for given, origin in ((path, "the path given"), (os.environ.get(env), f"${env}")):
        if given:
            p = Path(given).expanduser()
            if not p.is_file():
                raise DetectorError(f"{origin} points to {p}, which is not a file. {detector_help(kind)}")
            return p
    p = detectors_dir() / name
    return p if p.is_file() else None


def _file_digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()[:16]


def _load_torchscript(kind: str, path: Path, device) -> torch.jit.ScriptModule:
    try:
        with warnings.catch_warnings():
            # TorchScript is deprecated in recent PyTorch, but it is the format NVIDIA ships.
            warnings.simplefilter("ignore", DeprecationWarning)
            model = torch.jit.load(str(path), map_location=device)
    except Exception as e:
        raise DetectorError(
            f"{path} is not a TorchScript archive ({type(e).__name__}: {str(e).splitlines()[0][:160]}); "
            f"expected {DETECTOR_FILES[kind][0]}. {detector_help(kind)}") from e
    return model.eval()


# ------------------------------------------------------------------------------------------
# Feature detectors (FID / KID / FD / KD)
# ------------------------------------------------------------------------------------------
class FeatureDetector:
    """uint8 images [N, 3, H, W] → features [N, D]. ``name`` says what the distance is called."""

    name: str = "detector"
    metric_prefix: str = "F"   # "FID"/"KID" for Inception, "FD"/"KD" otherwise
    identity: str = ""         # goes into the stats cache key
    feature_dim: int = 0
    device: torch.device = torch.device("cpu")

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        if images.dtype != torch.uint8 or images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f"detectors take uint8 images [N, 3, H, W], got {images.dtype} "
                             f"{list(images.shape)}")
        with torch.no_grad():
            return self.features(images.to(self.device)).float()

    def features(self, images: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class InceptionDetector(FeatureDetector):
    """NVIDIA's Inception-v3 TorchScript detector: pool features (2048-d) for FID and KID."""

    name = "inception-2015-12-05"
    metric_prefix = "FID"

    def __init__(self, path: str | os.PathLike | None = None, device="cpu"):
        found = find_detector_file("inception", path)
        if found is None:
            raise DetectorError(detector_help("inception"))
        self.path, self.device = found, torch.device(device)
        self.model = _load_torchscript("inception", found, self.device)
        probe = torch.zeros(2, 3, 32, 32, dtype=torch.uint8, device=self.device)
        try:
            with torch.no_grad():
                out = self.model(probe, return_features=True)
        except Exception as e:
            raise DetectorError(
                f"{found} does not behave like the Inception detector: calling "
                f"model(uint8 images, return_features=True) failed ({type(e).__name__}: "
                f"{str(e).splitlines()[0][:160]}). Is it {DETECTOR_FILES['inception'][0]}?") from e
        if not isinstance(out, torch.Tensor) or out.ndim != 2 or out.shape[0] != 2:
            raise DetectorError(f"{found} returned {type(out).__name__} "
                                f"{list(out.shape) if isinstance(out, torch.Tensor) else ''} for 2 images; "
                                "the Inception detector returns features [N, 2048]")
        self.feature_dim = int(out.shape[1])
        self.identity = f"{self.name}:{_file_digest(found)}"

    def features(self, images):
        return self.model(images, return_features=True)


class ClassifierDetector(FeatureDetector):
    """The book's faces classifier: penultimate features for "FD" and "KD"."""

    name = "faces-classifier"
    metric_prefix = "F"

    def __init__(self, classifier=None, path=None, device="cpu"):
        from .classifier import SHIPPED_WEIGHTS, load_classifier

        self.device = torch.device(device)
        self.net = classifier.to(self.device).eval() if classifier is not None else load_classifier(path, self.device)
        self.feature_dim = self.net.feature_dim
        src = Path(path) if path is not None else SHIPPED_WEIGHTS
        digest = _file_digest(src) if classifier is None and src.is_file() else "in-memory"
        self.identity = f"{self.name}:{digest}"

    def features(self, images):
        return self.net.features(images)


def get_feature_detector(kind: str = "auto", path=None, device="cpu") -> FeatureDetector:
    """'inception', 'classifier', or 'auto' (Inception when its file is found, else the classifier)."""
    if kind == "inception":
        return InceptionDetector(path, device)
    if kind == "classifier":
        return ClassifierDetector(path=path, device=device)
    if kind == "auto":
        found = find_detector_file("inception", path)
        return InceptionDetector(found, device) if found else ClassifierDetector(device=device)
    raise ValueError(f"detector must be 'auto', 'inception' or 'classifier', got {kind!r}")


# ------------------------------------------------------------------------------------------
# Perceptual distances (PPL)
# ------------------------------------------------------------------------------------------
class PerceptualDistance:
    """d(img0, img1) → [N] for float images in [-1, 1]; the squared Euclidean distance between
    normalised multi-layer feature vectors (LPIPS)."""

    name: str = "distance"
    identity: str = ""
    device: torch.device = torch.device("cpu")

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def __call__(self, img0: torch.Tensor, img1: torch.Tensor) -> torch.Tensor:
        if img0.shape != img1.shape:
            raise ValueError(f"the two image batches differ in shape: {list(img0.shape)} vs {list(img1.shape)}")
        with torch.no_grad():
            f = self.embed(torch.cat([img0, img1]).to(self.device).float())
            f0, f1 = f.chunk(2)
            return (f0 - f1).square().sum(1)


class VGG16LPIPS(PerceptualDistance):
    """NVIDIA's VGG16 LPIPS TorchScript network (the paper's PPL distance).

    Images are handed over as floats in [0, 255] (not quantised). Inputs smaller than
    ``min_size`` pixels (e.g. a 16×16 face crop of a 32² image) are first upsampled bilinearly,
    since VGG16's five poolings need room; the official procedure never meets such small images.
    """

    name = "vgg16-lpips"

    def __init__(self, path: str | os.PathLike | None = None, device="cpu", min_size: int = 64):
        found = find_detector_file("vgg16", path)
        if found is None:
            raise DetectorError(detector_help("vgg16"))
        self.path, self.device, self.min_size = found, torch.device(device), int(min_size)
        self.model = _load_torchscript("vgg16", found, self.device)
        probe = torch.zeros(2, 3, self.min_size, self.min_size, device=self.device)
        try:
            with torch.no_grad():
                out = self.model(probe, resize_images=False, return_lpips=True)
        except Exception as e:
            raise DetectorError(
                f"{found} does not behave like the VGG16 LPIPS network: calling model(images, "
                f"resize_images=False, return_lpips=True) failed ({type(e).__name__}: "
                f"{str(e).splitlines()[0][:160]}). Is it {DETECTOR_FILES['vgg16'][0]}?") from e
        if not isinstance(out, torch.Tensor) or out.ndim != 2 or out.shape[0] != 2:
            raise DetectorError(f"{found} returned {type(out).__name__} for 2 images; the VGG16 LPIPS "
                                "network returns flat feature vectors [N, D]")
        self.identity = f"{self.name}:{_file_digest(found)}"

    def embed(self, images):
        x = (images + 1) * (255 / 2)
        if min(x.shape[2:]) < self.min_size:
            scale = self.min_size / min(x.shape[2:])
            x = F.interpolate(x, scale_factor=scale, mode="bilinear", align_corners=False)
        return self.model(x, resize_images=False, return_lpips=True)


class ClassifierLPIPS(PerceptualDistance):
    """The book's faces classifier as an LPIPS-style distance (see
    :meth:`FacesClassifier.lpips_features`)."""

    name = "faces-classifier-lpips"

    def __init__(self, classifier=None, path=None, device="cpu"):
        from .classifier import load_classifier

        self.device = torch.device(device)
        self.net = classifier.to(self.device).eval() if classifier is not None else load_classifier(path, self.device)
        self.identity = self.name

    def embed(self, images):
        return self.net.lpips_features(images)


def get_perceptual_distance(kind: str = "auto", path=None, device="cpu") -> PerceptualDistance:
    """'vgg16', 'classifier', or 'auto' (VGG16 when its file is found, else the classifier)."""
    if kind == "vgg16":
        return VGG16LPIPS(path, device)
    if kind == "classifier":
        return ClassifierLPIPS(path=path, device=device)
    if kind == "auto":
        found = find_detector_file("vgg16", path)
        return VGG16LPIPS(found, device) if found else ClassifierLPIPS(device=device)
    raise ValueError(f"distance must be 'auto', 'vgg16' or 'classifier', got {kind!r}")


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Generator output in [-1, 1] → uint8 [0, 255] as the official metrics quantise it:
    round(x · 127.5 + 127.5), clipped."""
    return (images * 127.5 + 128).clamp(0, 255).to(torch.uint8)
