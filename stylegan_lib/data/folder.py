"""Data sets on disk: one archive format for synthetic and real images, and a strict loader.

The format
----------
A data set is a folder or a ``.zip`` holding square RGB images (PNG, or JPEG/WebP for photos)
and, optionally, a ``dataset.json`` at the top level::

    {"labels": [["img00000000.png", [1.0, 0.0, …]], …],   # or null when unlabelled
     "attributes": ["male", "long_hair", …],              # names of the label entries
     "resolution": 32,
     "factors": [["img00000000.png", [0.71, …]], …],      # optional: continuous truth
     "factor_names": ["yaw", …],
     "source": {"generator": …, "seed": …, "config": {…}}} # provenance

:func:`write_faces_archive` writes the synthetic faces of :mod:`stylegan_lib.data.faces` in
this format; ``python -m stylegan_lib prepare`` (:mod:`stylegan_lib.data.prepare`) turns a
folder of photos into it.

The loader is strict
--------------------
:class:`ImageFolderDataset` would rather stop than hand the training loop a wrong tensor:
an empty folder, an unreadable or truncated file, images that are not square, not the
requested resolution or not all the same size, labels that name missing files or have the
wrong length — each is an error that names the file and says what to do (usually: run
``prepare``, which is forgiving and reports what it skipped).  Images that are decodable
but not 8-bit RGB (grayscale, RGBA, CMYK, palette, 16-bit) are converted, with one warning
per kind of conversion.
"""
from __future__ import annotations

import io
import json
import os
import warnings
import zipfile
from pathlib import Path, PurePosixPath
from typing import Iterable, Sequence

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError

from ..images import to_float, to_uint8  # the data package hands them on: data.to_float, data.to_uint8

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp")
LABELS_FILE = "dataset.json"
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)     # so the same data gives a byte-identical archive


class DatasetError(ValueError):
    """A data set on disk is unusable as it is; the message says which file and what to do."""


class DatasetWarning(UserWarning):
    """Something in a data set was changed on the fly (e.g. a grayscale image made RGB)."""


PREPARE_HINT = "run `python -m stylegan_lib prepare SRC DEST --resolution R` to make a clean archive"


# --------------------------------------------------------------------------------------------
# Reading files from a folder or a zip
# --------------------------------------------------------------------------------------------

class _Source:
    """The files of a folder (recursively) or a zip, by relative POSIX name.

    A zip is opened lazily and once per process, so the object can be handed to
    DataLoader workers (an open zip handle must not be shared across a fork).
    """

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)
        if not self.path.exists():
            raise DatasetError(f"data set path {str(self.path)!r} does not exist")
        self.is_zip = self.path.is_file()
        if self.is_zip and not zipfile.is_zipfile(self.path):
            raise DatasetError(f"{str(self.path)!r} is a file but not a zip archive; give a folder "
                               f"of images or a .zip ({PREPARE_HINT})")
        self._zip = None
        self._zip_pid = None
        #: Symbolic links in a folder whose target does not exist (never listed as files).
        self.broken_links: list[str] = []
        if self.is_zip:
            names = [n for n in self._zipfile().namelist() if not n.endswith("/")]
        else:
            names = []
            for p in self.path.rglob("*"):
                if p.is_file():
                    names.append(p.relative_to(self.path).as_posix())
                elif p.is_symlink() and not p.exists():
                    self.broken_links.append(p.relative_to(self.path).as_posix())
            self.broken_links.sort()
        self.all_names = sorted(names)

    def _zipfile(self) -> zipfile.ZipFile:
        if self._zip is None or self._zip_pid != os.getpid():
            self._zip = zipfile.ZipFile(self.path)
            self._zip_pid = os.getpid()
        return self._zip

    def image_names(self) -> list[str]:
        return [n for n in self.all_names if PurePosixPath(n).suffix.lower() in IMAGE_EXTENSIONS
                and not PurePosixPath(n).name.startswith(".")]

    def open(self, name: str):
        """A binary file object (for the header-only PIL open)."""
        if self.is_zip:
            return self._zipfile().open(name)
        return open(self.path / name, "rb")

    def read(self, name: str) -> bytes:
        if self.is_zip:
            return self._zipfile().read(name)
        return (self.path / name).read_bytes()

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_zip"] = None
        return state


# --------------------------------------------------------------------------------------------
# Decoding one image
# --------------------------------------------------------------------------------------------

_MODE_NOTES = {
    "L": "grayscale", "LA": "grayscale with alpha (composited onto white)", "1": "1-bit",
    "P": "palette", "PA": "palette with alpha (composited onto white)",
    "RGBA": "RGBA (alpha composited onto white)", "RGBa": "RGBA (alpha composited onto white)",
    "CMYK": "CMYK", "YCbCr": "YCbCr", "LAB": "Lab", "HSV": "HSV",
    "I;16": "16-bit grayscale", "I;16B": "16-bit grayscale", "I;16L": "16-bit grayscale",
    "I;16N": "16-bit grayscale", "I": "32-bit integer grayscale", "F": "floating-point grayscale",
}


def _to_rgb8(img: Image.Image) -> tuple[np.ndarray, str | None]:
    """Any PIL image -> (uint8 [H, W, 3] RGB, a note describing the conversion or None).

    Alpha is composited onto white; 16-bit values are scaled to 8 bits (``v / 257``)
    rather than clipped; floating-point images are taken to be in [0, 1] if their maximum
    is at most 1, else in [0, 255].
    """
    mode = img.mode
    if mode == "RGB":
        return np.array(img, dtype=np.uint8), None
    note = f"mode {mode} ({_MODE_NOTES.get(mode, 'unusual mode')})"
    if mode.startswith("I") or mode == "F":
        a = np.asarray(img).astype(np.float64)
        if mode.startswith("I;16"):
            a = a / 257.0
        elif mode == "I":
            a = a / 257.0 if a.max(initial=0) > 255 else a
        elif a.max(initial=0) <= 1.0:
            a = a * 255.0
        gray = np.clip(np.floor(a + 0.5), 0, 255).astype(np.uint8)
        return np.repeat(gray[:, :, None], 3, axis=2), note
    if mode == "P" and "transparency" in img.info:
        img, mode = img.convert("RGBA"), "RGBA"
    if mode in ("LA", "PA", "RGBA", "RGBa"):
        rgba = img.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.array(Image.alpha_composite(white, rgba).convert("RGB"), dtype=np.uint8), note
    return np.array(img.convert("RGB"), dtype=np.uint8), note


def decode_image(data: bytes, name: str = "<bytes>", where: str = "") -> tuple[np.ndarray, str | None]:
    """Decode image bytes to uint8 ``[H, W, 3]`` RGB, or raise :class:`DatasetError` naming ``name``.

    Returns the pixels and a note if the image had to be converted (see :func:`_to_rgb8`).
    Truncated files are an error (Pillow's LOAD_TRUNCATED_IMAGES is not consulted).
    """
    pixels, note, _ = _decode(data, name, where, upright=False)
    return pixels, note


def decode_photo(data: bytes, name: str = "<bytes>", where: str = "") -> tuple[np.ndarray, str | None, int]:
    """:func:`decode_image` for photos: the image is first turned upright by its EXIF Orientation
    tag (``PIL.ImageOps.exif_transpose``), as cameras store many photos sideways. Returns the
    pixels, the conversion note and the orientation that was applied (1: none)."""
    return _decode(data, name, where, upright=True)


def _decode(data: bytes, name: str, where: str, upright: bool) -> tuple[np.ndarray, str | None, int]:
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            if getattr(img, "n_frames", 1) > 1:
                img.seek(0)
            orientation = 1
            if upright:
                orientation = img.getexif().get(0x0112, 1)
                orientation = orientation if orientation in range(2, 9) else 1
                if orientation != 1:
                    img = ImageOps.exif_transpose(img)
            pixels, note = _to_rgb8(img)
            return pixels, note, orientation
    except DatasetError:
        raise
    except Exception as e:  # PIL raises OSError, SyntaxError, ValueError, … for bad files
        reason = ("not a recognisable image (unknown format or corrupt header)"
                  if isinstance(e, UnidentifiedImageError) else f"{type(e).__name__}: {e}")
        err = DatasetError(f"cannot decode image {name!r}{where}: {reason}. The file is corrupt, "
                           f"truncated or not an image; replace or delete it, or {PREPARE_HINT} "
                           f"(prepare skips unreadable files and lists them)")
        err.reason = reason
        raise err from e


def _header(source: _Source, name: str) -> tuple[tuple[int, int], str]:
    """(width, height), mode from the file header only (no decoding)."""
    try:
        with source.open(name) as fh, Image.open(fh) as img:
            return img.size, img.mode
    except Exception as e:
        raise DatasetError(f"cannot read image {name!r} in {str(source.path)!r}: "
                           f"{type(e).__name__}: {e}. The file is corrupt or not an image; "
                           f"replace or delete it, or {PREPARE_HINT}") from e


# --------------------------------------------------------------------------------------------
# The loader
# --------------------------------------------------------------------------------------------

class ImageFolderDataset(torch.utils.data.Dataset):
    """Square RGB images from a folder (searched recursively) or a ``.zip``.

    Item ``i`` is ``(uint8 tensor [3, R, R], float32 labels [L])``; the labels come from
    ``dataset.json`` and are an empty tensor (``[0]``) when there are none or when
    ``use_labels=False``.  Files are ordered by their relative path.

    ``resolution``: if given, every image must be exactly R×R (else an error telling you to
    run ``prepare``); if None, it is read from the images, which must all be the same square
    power-of-two size.  ``mirror=True`` is x-flip augmentation: each item is flipped
    left-right with probability 0.5 (torch's global random generator).  ``load_all()``
    decodes everything into one tensor (what training at 32² uses); it does not mirror —
    flip batches with :func:`random_xflip` instead.
    """

    def __init__(self, path: str | os.PathLike, resolution: int | None = None,
                 use_labels: bool = True, mirror: bool = False):
        self.path = Path(path)
        self.source = _Source(path)
        self.mirror = bool(mirror)
        self.use_labels = bool(use_labels)
        self.filenames = self.source.image_names()
        if not self.filenames:
            others = len(self.source.all_names)
            raise DatasetError(f"no images ({', '.join(IMAGE_EXTENSIONS)}) found in "
                               f"{str(self.path)!r}" + (f" ({others} other files ignored)" if others else "")
                               + "; point at a folder or zip of images")
        self.meta = self._read_meta()
        self.resolution = self._check_sizes(resolution)
        self.attributes: tuple[str, ...] = tuple(self.meta.get("attributes") or ())
        self._labels = self._read_table("labels", self.attributes) if self.use_labels else None
        factor_names = tuple(self.meta.get("factor_names") or ())
        self.factor_names = factor_names
        self.factors = self._read_table("factors", factor_names) if self.meta.get("factors") else None
        if self._labels is None:
            self._labels = np.zeros((len(self.filenames), 0), dtype=np.float32)
        self._warned: set[str] = set()

    # -- metadata ------------------------------------------------------------------------------
    def _read_meta(self) -> dict:
        if LABELS_FILE not in self.source.all_names:
            return {}
        try:
            meta = json.loads(self.source.read(LABELS_FILE).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise DatasetError(f"{LABELS_FILE} in {str(self.path)!r} is not valid JSON ({e}); fix it "
                               f"or delete it to load the images without labels") from e
        if not isinstance(meta, dict):
            raise DatasetError(f"{LABELS_FILE} in {str(self.path)!r} must hold a JSON object with "
                               f"'labels' (and optionally 'attributes', 'resolution', 'source')")
        return meta

    def _read_table(self, key: str, names: Sequence[str]) -> np.ndarray | None:
        """``[[filename, [floats]], …]`` -> float32 [N, L] in self.filenames order, checked."""
        rows = self.meta.get(key)
        if rows is None:
            return None
        where = f"{LABELS_FILE} of {str(self.path)!r}"
        if not isinstance(rows, list) or not all(isinstance(r, (list, tuple)) and len(r) == 2 for r in rows):
            raise DatasetError(f"'{key}' in {where} must be a list of [filename, [numbers]] pairs")
        table = {}
        for fname, values in rows:
            if not isinstance(values, (list, tuple)) or not all(
                    isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
                raise DatasetError(f"'{key}' entry for {fname!r} in {where} must be a list of "
                                   f"numbers; got {values!r}")
            table[str(fname)] = values
        present = set(self.filenames)
        missing_files = [f for f in table if f not in present]
        if missing_files:
            raise DatasetError(f"{where} has {key} for {len(missing_files)} files that are not in the "
                               f"data set, e.g. {missing_files[:3]}; fix {LABELS_FILE} or add the images")
        unlabelled = [f for f in self.filenames if f not in table]
        if unlabelled:
            raise DatasetError(f"{where} has no {key} for {len(unlabelled)} of the images, e.g. "
                               f"{unlabelled[:3]}; every image needs an entry (or use "
                               f"use_labels=False)")
        lengths = {len(v) for v in table.values()}
        expected = len(names) if names else None
        if len(lengths) > 1 or (expected is not None and lengths != {expected}):
            example = {n: next(f for f, v in table.items() if len(v) == n) for n in sorted(lengths)}
            want = f"{expected} (the number of names listed)" if expected is not None else "one length"
            raise DatasetError(f"{key} in {where} have the wrong length: expected {want}, found "
                               + ", ".join(f"length {n} (e.g. {f!r})" for n, f in example.items()))
        return np.asarray([table[f] for f in self.filenames], dtype=np.float32).reshape(len(self.filenames), -1)

    def _check_sizes(self, resolution: int | None) -> int:
        """Read every header; all images must be the same R×R square (R = ``resolution`` if given)."""
        by_size: dict[tuple[int, int], list[str]] = {}
        for name in self.filenames:
            size, _mode = _header(self.source, name)
            by_size.setdefault(size, []).append(name)
        where = f"in {str(self.path)!r}"
        nonsquare = [(s, names[0]) for s, names in by_size.items() if s[0] != s[1]]
        if nonsquare:
            (w, h), name = nonsquare[0]
            raise DatasetError(f"dataset images must all be square R×R; {name!r} {where} is {w}×{h} "
                               f"({sum(len(by_size[s]) for s, _ in nonsquare)} non-square images); "
                               f"{PREPARE_HINT}")
        if len(by_size) > 1:
            listing = "; ".join(f"{w}×{h}: {len(n)} images, e.g. {n[0]!r}"
                                for (w, h), n in sorted(by_size.items()))
            raise DatasetError(f"dataset images {where} have different sizes ({listing}); they must all "
                               f"be R×R: {PREPARE_HINT}")
        (size, _), = by_size.items()
        found = size[0]
        if resolution is not None and found != resolution:
            raise DatasetError(f"dataset images must all be {resolution}×{resolution}, but the images "
                               f"{where} are {found}×{found} (e.g. {by_size[size][0]!r}); "
                               f"{PREPARE_HINT.replace('R`', f'{resolution}`')}")
        if found & (found - 1) or found < 4:
            raise DatasetError(f"dataset images {where} are {found}×{found}; StyleGAN needs a power of "
                               f"two (16, 32, 64, …): {PREPARE_HINT}")
        stated = self.meta.get("resolution")
        if stated is not None and stated != found:
            raise DatasetError(f"{LABELS_FILE} {where} says resolution {stated} but the images are "
                               f"{found}×{found}; fix {LABELS_FILE} or {PREPARE_HINT}")
        return found

    # -- access -------------------------------------------------------------------------------
    @property
    def label_dim(self) -> int:
        return int(self._labels.shape[1])

    @property
    def labels(self) -> torch.Tensor:
        """All labels, float32 ``[N, L]`` (``L = 0`` when unlabelled)."""
        return torch.from_numpy(self._labels.copy())

    def __len__(self) -> int:
        return len(self.filenames)

    def _load(self, i: int) -> np.ndarray:
        name = self.filenames[i]
        pixels, note = decode_image(self.source.read(name), name, f" in {str(self.path)!r}")
        if pixels.shape[:2] != (self.resolution, self.resolution):
            h, w = pixels.shape[:2]
            raise DatasetError(f"dataset images must all be {self.resolution}×{self.resolution}; "
                               f"{name!r} in {str(self.path)!r} decodes to {w}×{h}; {PREPARE_HINT}")
        if note is not None:
            kind = note.split(" (")[0]
            if kind not in self._warned:
                self._warned.add(kind)
                warnings.warn(f"{str(self.path)!r}: image {name!r} is {note}; converted to 8-bit RGB. "
                              f"Other images of this kind are converted without another warning; "
                              f"{PREPARE_HINT} to store RGB once.", DatasetWarning, stacklevel=3)
        return pixels

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        if not -len(self) <= i < len(self):
            raise IndexError(f"index {i} out of range for a data set of {len(self)} images")
        i = i % len(self)
        image = torch.from_numpy(np.ascontiguousarray(self._load(i).transpose(2, 0, 1)))
        if self.mirror and bool(torch.rand(()) < 0.5):
            image = image.flip(2)
        return image, torch.from_numpy(self._labels[i].copy())

    def load_all(self, progress: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
        """Decode every image: ``(uint8 [N, 3, R, R], float32 labels [N, L])`` (no mirroring)."""
        n, r = len(self), self.resolution
        images = torch.empty((n, 3, r, r), dtype=torch.uint8)
        it: Iterable[int] = range(n)
        if progress:
            from tqdm import tqdm  # text bars: widget bars can stall papermill/nbval kernels
            it = tqdm(it, desc=f"loading {self.path.name}", unit="img", leave=False)
        for i in it:
            images[i] = torch.from_numpy(self._load(i).transpose(2, 0, 1))
        return images, self.labels


def random_xflip(images: torch.Tensor, p: float = 0.5,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """Mirror augmentation for a batch ``[N, C, H, W]``: flip each image left-right with
    probability ``p`` (a new tensor; the input is not changed)."""
    flip = torch.rand(images.shape[0], generator=generator, device="cpu") < p
    out = images.clone()
    out[flip] = images[flip].flip(-1)
    return out


# --------------------------------------------------------------------------------------------
# Writing archives
# --------------------------------------------------------------------------------------------

def encode_png(pixels_hwc: np.ndarray) -> bytes:
    """uint8 [H, W, 3] -> PNG bytes (no timestamps, so the bytes are reproducible)."""
    buf = io.BytesIO()
    Image.fromarray(pixels_hwc, "RGB").save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


class ArchiveWriter:
    """Write a zip data set atomically: files go to ``DEST.tmp-PID`` which replaces ``DEST``
    only when :meth:`close` succeeds (an interrupted run leaves no half archive behind)."""

    def __init__(self, path: str | os.PathLike, overwrite: bool = False):
        self.path = Path(path)
        if self.path.suffix.lower() != ".zip":
            raise ValueError(f"archive path must end in .zip; got {str(self.path)!r}")
        if self.path.exists() and not overwrite:
            raise FileExistsError(f"{str(self.path)!r} already exists; delete it or pass overwrite "
                                  f"(--force on the command line)")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.tmp = self.path.with_name(f"{self.path.name}.tmp-{os.getpid()}")
        self._zip = zipfile.ZipFile(self.tmp, "w", compression=zipfile.ZIP_STORED)

    def add(self, name: str, data: bytes, compress: bool = False) -> None:
        info = zipfile.ZipInfo(name, date_time=_FIXED_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        self._zip.writestr(info, data)

    def add_json(self, name: str, obj) -> None:
        self.add(name, json.dumps(obj, indent=None, separators=(",", ":")).encode("utf-8"), compress=True)

    def close(self) -> Path:
        self._zip.close()
        os.replace(self.tmp, self.path)
        return self.path

    def abort(self) -> None:
        try:
            self._zip.close()
        finally:
            self.tmp.unlink(missing_ok=True)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.abort()
        return False


def write_faces_archive(path: str | os.PathLike, num_images: int, resolution: int = 32,
                        seed: int = 0, config=None, overwrite: bool = False,
                        batch_size: int = 512, progress: bool = True) -> Path:
    """Render ``num_images`` synthetic faces into a zip data set (PNG + ``dataset.json``).

    Image ``i`` is ``img{i:08d}.png``; ``dataset.json`` holds the binary labels, the
    continuous factors and the provenance (generator, seed, config), so the archive can be
    recreated and checked.  Written atomically; the same arguments give the same bytes.
    """
    import dataclasses
    from .faces import ATTRIBUTES, FACTORS, FacesConfig, labels_from_factors, render, sample_factors

    config = config or FacesConfig()
    config = dataclasses.replace(config, resolution=int(resolution))
    n = int(num_images)
    if n <= 0:
        raise ValueError(f"num_images must be positive; got {num_images}")
    names = [f"img{i:08d}.png" for i in range(n)]
    factors = sample_factors(n, seed, config)
    labels = labels_from_factors(factors)
    starts = range(0, n, batch_size)
    if progress:
        from tqdm import tqdm  # text bars: widget bars can stall papermill/nbval kernels
        starts = tqdm(starts, desc=f"writing {Path(path).name}", unit="batch")
    with ArchiveWriter(path, overwrite=overwrite) as out:
        for s in starts:
            idx = np.arange(s, min(s + batch_size, n))
            images = render({k: v[idx] for k, v in factors.items()}, config.resolution, seed, idx,
                            config.texture, detail=config.detail)
            for j, i in enumerate(idx):
                out.add(names[i], encode_png(images[j].transpose(1, 2, 0)))
        factor_table = np.stack([factors[k] for k in FACTORS], axis=1)
        out.add_json(LABELS_FILE, {
            "labels": [[names[i], labels[i].tolist()] for i in range(n)],
            "attributes": list(ATTRIBUTES),
            "resolution": config.resolution,
            "factors": [[names[i], [round(float(v), 6) for v in factor_table[i]]] for i in range(n)],
            "factor_names": list(FACTORS),
            "source": {"generator": "stylegan_lib.data.faces", "seed": int(seed),
                       "num_images": n, "config": config.to_dict()},
        })
    return Path(path)
