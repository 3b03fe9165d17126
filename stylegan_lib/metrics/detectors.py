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

A detector file is a TorchScript archive, i.e. *code*: TorchScript programs can read and write
files, so a file from an untrusted source must never be loaded. On every load stylegan_lib prints
which file it uses (path, where it was found, SHA-256 prefix), compares its SHA-256 with the
official one where that is known, and refuses a file whose output has the wrong size (a
stand-in network with the right call signature is not "FID").

Every detector takes uint8 images ``[N, 3, H, W]`` in [0, 255] (the convention of NVIDIA's
detectors); every perceptual distance takes float images in [-1, 1] (the generator's range; the
path length's ε = 1e-4 steps would vanish in uint8).
"""
from __future__ import annotations

import hashlib
import os
import sys
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

# SHA-256 of NVIDIA's published files, by kind. The project's reference record of the release
# (REFERENCE.md) does not give them, so none is known yet: such a file is used but reported as
# unverified. Fill in a digest here once it is known, and a differing file is flagged.
OFFICIAL_SHA256: dict[str, str | None] = {"inception": None, "vgg16": None}

INCEPTION_FEATURES = 2048                       # Inception-v3 pool features
VGG16_LPIPS_CHANNELS = (64, 128, 256, 512, 512)  # LPIPS layers relu1_2, relu2_2, relu3_3, relu4_3, relu5_3


TRUST_NOTE = (
    "Detector files (--inception, --vgg16, $STYLEGAN_INCEPTION, $STYLEGAN_VGG16, or found in the "
    "detectors folder $STYLEGAN_DETECTORS_DIR / $STYLEGAN_LIB_CACHE/detectors) are TorchScript "
    "archives: they contain code that runs on this machine and can read and write files. Use only "
    "files from a trusted source (NVIDIA's StyleGAN2-ADA release). Every load prints the file's "
    "path and SHA-256, compares the digest with the official one where it is known (otherwise it "
    "says the file could not be verified), and refuses a network whose output has the wrong size "
    "(2048-d features for Inception; VGG16's five LPIPS layers for vgg16).")


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


def locate_detector_file(kind: str, path: str | os.PathLike | None = None) -> tuple[Path, str] | None:
    """(file, where it was found) for the detector of ``kind``, or None if it is nowhere.

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
            return p, origin
    p = detectors_dir() / name
    return (p, f"the detectors folder {detectors_dir()}") if p.is_file() else None


def find_detector_file(kind: str, path: str | os.PathLike | None = None) -> Path | None:
    """The detector file of ``kind`` ('inception' or 'vgg16'), or None if it is nowhere (see
    :func:`locate_detector_file`)."""
    found = locate_detector_file(kind, path)
    return found[0] if found else None


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes, as hex."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_detector_file(kind: str, path: Path, origin: str = "the path given") -> tuple[str, bool | None]:
    """Say which detector file is about to run, and whether it is NVIDIA's: returns (sha256,
    verified), verified being True (the official digest), False (another file: a warning) or None
    (no official digest known). Printed to stderr before the file is loaded."""
    name, _, what = DETECTOR_FILES[kind]
    digest = file_sha256(path)
    official = OFFICIAL_SHA256.get(kind)
    if official is None:
        verified, verdict = None, (f"could not be verified: stylegan_lib knows no official SHA-256 for {name}. "
                                   "It is TorchScript, i.e. code that runs here: use it only from a trusted source.")
    elif digest == official.lower():
        verified, verdict = True, f"matches NVIDIA's official {name}."
    else:
        verified, verdict = False, (f"DIFFERS from NVIDIA's official {name} (sha256 {official[:16]}…): it is "
                                    "not the published network, so its numbers are not comparable with "
                                    "published ones, and it runs code: make sure you trust its source.")
        warnings.warn(f"{path}: {verdict}", RuntimeWarning, stacklevel=3)
    print(f"stylegan_lib: {what}: using {path} (from {origin}), sha256 {digest[:16]}…; {verdict}",
          file=sys.stderr)
    return digest, verified


def _file_digest(path: Path) -> str:
    return file_sha256(path)[:16]


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
        located = locate_detector_file("inception", path)
        if located is None:
            raise DetectorError(detector_help("inception"))
        found, origin = located
        self.path, self.device = found, torch.device(device)
        self.sha256, self.verified = check_detector_file("inception", found, origin)
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
                                f"the Inception detector returns features [N, {INCEPTION_FEATURES}]")
        if out.shape[1] != INCEPTION_FEATURES:
            raise DetectorError(
                f"{found} gives {out.shape[1]}-d features, but the Inception detector gives "
                f"{INCEPTION_FEATURES}-d pool features: refusing it, since distances in another feature "
                f"space must not be called FID/KID. Use NVIDIA's {DETECTOR_FILES['inception'][0]}, or the "
                "book's offline detector (metrics 'fd', 'kd').")
        self.feature_dim = INCEPTION_FEATURES
        self.identity = f"{self.name}:{self.sha256[:16]}"

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
        return InceptionDetector(path, device) if found else ClassifierDetector(device=device)
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


def vgg16_lpips_dim(size: int) -> int:
    r"""Length of the LPIPS vector of a size² image: the five VGG16 layers' unit-normalised
    features, flattened and concatenated,

    .. math::  D = \sum_{l=0}^{4} C_l \,\lfloor \text{size} / 2^l \rfloor^2
               \quad (= 122 \cdot \text{size}^2 \text{ when 16 divides size})
    """
    return sum(c * (size // 2**l) ** 2 for l, c in enumerate(VGG16_LPIPS_CHANNELS))


class VGG16LPIPS(PerceptualDistance):
    """NVIDIA's VGG16 LPIPS TorchScript network (the paper's PPL distance).

    Images are handed over as floats in [0, 255] (not quantised). Inputs smaller than
    ``min_size`` pixels (e.g. a 16×16 face crop of a 32² image) are first upsampled bilinearly,
    since VGG16's five poolings need room; the official procedure never meets such small images.
    """

    name = "vgg16-lpips"

    def __init__(self, path: str | os.PathLike | None = None, device="cpu", min_size: int = 64):
        located = locate_detector_file("vgg16", path)
        if located is None:
            raise DetectorError(detector_help("vgg16"))
        found, origin = located
        self.path, self.device, self.min_size = found, torch.device(device), int(min_size)
        self.sha256, self.verified = check_detector_file("vgg16", found, origin)
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
        expected = vgg16_lpips_dim(self.min_size)
        if out.shape[1] != expected:
            raise DetectorError(
                f"{found} gives {out.shape[1]}-d LPIPS vectors for {self.min_size}² images, but VGG16's "
                f"LPIPS layers (relu1_2 … relu5_3, channels {VGG16_LPIPS_CHANNELS}, each halved in size) "
                f"give {expected}: refusing it, since its path lengths would not be the paper's. Use "
                f"NVIDIA's {DETECTOR_FILES['vgg16'][0]}, or the book's distance (--ppl-distance classifier).")
        self.identity = f"{self.name}:{self.sha256[:16]}"

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
        return VGG16LPIPS(path, device) if found else ClassifierLPIPS(device=device)
    raise ValueError(f"distance must be 'auto', 'vgg16' or 'classifier', got {kind!r}")


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Generator output in [-1, 1] → uint8 [0, 255] as the official metrics quantise it, ties
    rounded up. ``stylegan_lib.images.to_uint8``, which the book's pictures and data use, rounds
    ties to even; the two differ at a few pixels in a million, and the detectors see NVIDIA's.

    u = clamp(⌊x · 127.5 + 128⌋, 0, 255)
    """
    return (images * 127.5 + 128).clamp(0, 255).to(torch.uint8)
