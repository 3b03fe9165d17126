"""``python -m stylegan_lib prepare SRC DEST --resolution R``: photos -> a training archive.

Every image under SRC (a folder, searched recursively, or a zip) is decoded, turned upright
by its EXIF orientation (photos stored sideways; counted in the report), converted to
8-bit RGB if it is not (grayscale, RGBA, CMYK, palette, 16-bit: noted in the report),
cropped to the largest centred square and resized to R×R (Pillow's Lanczos filter, after a
box-filter reduction when shrinking a lot, i.e. area averaging), then stored as PNG in the
zip format of :mod:`stylegan_lib.data.folder`.

Prepare is forgiving where the loader is strict: an unreadable file (corrupt, or one that
cannot be opened), a broken symbolic link, or an image smaller than R (unless ``--upscale``)
is skipped and listed with the reason.  The summary printed at the
end — and ``prepare_report.txt`` inside the archive — say how many images were converted,
how many skipped and why.  DEST is never overwritten without ``--force``, and it is written
atomically (an interrupted run leaves no half-written archive).

Exit codes: 0 done; 1 no image could be converted (no archive written); 2 bad arguments:
SRC missing or without images, DEST exists or is a directory, resolution not a power of two.
"""
from __future__ import annotations

import argparse
import os
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from .folder import (IMAGE_EXTENSIONS, LABELS_FILE, ArchiveWriter, DatasetError, _Source,
                     decode_photo, encode_png)

REPORT_FILE = "prepare_report.txt"


@dataclass
class PrepareReport:
    """What prepare did: archive names written, files skipped and conversions made."""

    dest: Path
    resolution: int
    converted: list[tuple[str, str]] = field(default_factory=list)   # (source, archive name)
    skipped: list[tuple[str, str]] = field(default_factory=list)     # (source, reason)
    notes: list[tuple[str, str]] = field(default_factory=list)       # (source, what was done)
    rotated: list[tuple[str, int]] = field(default_factory=list)     # (source, EXIF orientation)

    def summary(self) -> str:
        """Human-readable summary: counts, then every skipped file and every note."""
        lines = [f"prepare: {len(self.converted)} images converted to {self.resolution}×{self.resolution} "
                 f"-> {self.dest}", f"skipped: {len(self.skipped)}"]
        reasons: dict[str, int] = {}
        for _, reason in self.skipped:
            key = reason.split(":")[0]
            reasons[key] = reasons.get(key, 0) + 1
        lines += [f"  {count} × {reason}" for reason, count in sorted(reasons.items())]
        lines += [f"  {src}: {reason}" for src, reason in self.skipped]
        lines.append(f"turned upright by their EXIF orientation: {len(self.rotated)}")
        lines.append(f"converted with notes: {len(self.notes)}")
        lines += [f"  {src}: {note}" for src, note in self.notes]
        return "\n".join(lines)


def _square_resize(img: Image.Image, resolution: int) -> Image.Image:
    """Centre-crop to the largest square, then resize to ``resolution`` (Lanczos; when shrinking
    by a large factor Pillow first reduces with a box filter — area averaging — via
    ``reducing_gap``)."""
    w, h = img.size
    side = min(w, h)
    left, top = (w - side) // 2, (h - side) // 2
    img = img.crop((left, top, left + side, top + side))
    if side == resolution:
        return img
    return img.resize((resolution, resolution), Image.Resampling.LANCZOS,
                      reducing_gap=3.0 if side > resolution else None)


def prepare_dataset(src: str | os.PathLike, dest: str | os.PathLike, resolution: int,
                    upscale: bool = False, force: bool = False,
                    progress: bool = True) -> PrepareReport:
    """Turn the images under ``src`` into the archive ``dest``; see the module docstring.

    Raises ``FileNotFoundError`` (SRC missing), :class:`DatasetError` (no images in SRC),
    ``FileExistsError`` (DEST exists, no ``force``), ``ValueError`` (bad resolution or DEST
    not a .zip) and ``RuntimeError`` when nothing could be converted.
    """
    resolution = int(resolution)
    if resolution < 4 or resolution & (resolution - 1):
        raise ValueError(f"--resolution must be a power of two (16, 32, 64, …); got {resolution}")
    src, dest = Path(src), Path(dest)
    if not src.exists():
        raise FileNotFoundError(f"source {str(src)!r} does not exist")
    if dest.is_dir():
        raise ValueError(f"DEST {str(dest)!r} is a directory; give the archive file to write, e.g. "
                         f"{str(dest / 'dataset.zip')!r}")
    if dest.suffix.lower() != ".zip":
        raise ValueError(f"DEST must be a .zip file; got {str(dest)!r}")
    if dest.exists() and not force:
        raise FileExistsError(f"{str(dest)!r} already exists; pass --force to overwrite it")
    if dest.resolve() == src.resolve():
        raise ValueError("DEST must not be the same file as SRC")
    source = _Source(src)
    names = source.image_names()
    report = PrepareReport(dest=dest, resolution=resolution)
    for other in source.all_names:
        if other not in names and other != LABELS_FILE:
            report.skipped.append((other, f"not an image: extension not in {', '.join(IMAGE_EXTENSIONS)}"))
    for link in source.broken_links:
        report.skipped.append((link, "broken symbolic link: its target does not exist"))
    if not names:
        raise DatasetError(f"no images ({', '.join(IMAGE_EXTENSIONS)}) found in {str(src)!r}"
                           + (f"; {len(source.all_names)} other files ignored" if source.all_names else ""))

    it = names
    if progress:
        from tqdm import tqdm  # text bars: widget bars can stall papermill/nbval kernels
        it = tqdm(names, desc=f"prepare {src.name}", unit="img")
    writer = ArchiveWriter(dest, overwrite=force)
    try:
        for name in it:
            try:
                pixels, note, orientation = decode_photo(source.read(name), name)
            except DatasetError as e:
                report.skipped.append((name, f"unreadable: {getattr(e, 'reason', e)}"))
                continue
            except (OSError, zipfile.BadZipFile) as e:
                report.skipped.append((name, f"unreadable: {type(e).__name__}: {getattr(e, 'strerror', None) or e}"))
                continue
            h, w = pixels.shape[:2]
            if min(w, h) < resolution and not upscale:
                report.skipped.append((name, f"too small: {w}×{h}, shorter side below {resolution} "
                                             f"(use --upscale to enlarge such images)"))
                continue
            out_name = f"img{len(report.converted):08d}.png"
            image = _square_resize(Image.fromarray(pixels, "RGB"), resolution)
            writer.add(out_name, encode_png(np.asarray(image)))
            report.converted.append((name, out_name))
            extra = []
            if orientation != 1:
                report.rotated.append((name, orientation))
                extra.append(f"turned upright by its EXIF orientation {orientation}")
            if note:
                extra.append(f"{note} converted to 8-bit RGB")
            if w != h:
                extra.append(f"cropped {w}×{h} to the centre {min(w, h)}×{min(w, h)}")
            if min(w, h) < resolution:
                extra.append(f"upscaled from {min(w, h)} to {resolution}")
            if extra:
                report.notes.append((name, "; ".join(extra)))
        if not report.converted:
            raise RuntimeError(f"no image in {str(src)!r} could be converted; nothing written\n"
                               + report.summary())
        writer.add_json(LABELS_FILE, {
            "labels": None, "attributes": [], "resolution": resolution,
            "source": {"generator": "stylegan_lib.data.prepare", "src": str(src.resolve()),
                       "upscale": bool(upscale),
                       "files": {out: s for s, out in report.converted}},
        })
        writer.add(REPORT_FILE, (report.summary() + "\n").encode("utf-8"), compress=True)
        writer.close()
    except BaseException:
        writer.abort()
        raise
    return report


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (called by ``python -m stylegan_lib prepare …``)."""
    parser = argparse.ArgumentParser(
        prog="python -m stylegan_lib prepare",
        description="Centre-crop and resize a folder (or zip) of photos into a training archive "
                    "(zip of PNGs + dataset.json). Unreadable and too-small images are skipped "
                    "and listed; grayscale/RGBA/CMYK/16-bit images are converted to 8-bit RGB.")
    parser.add_argument("src", help="folder of images (searched recursively) or a zip")
    parser.add_argument("dest", help="archive to write, ending in .zip")
    parser.add_argument("--resolution", type=int, required=True,
                        help="output size R (a power of two); images become R×R")
    parser.add_argument("--upscale", action="store_true",
                        help="enlarge images smaller than R instead of skipping them")
    parser.add_argument("--force", action="store_true", help="overwrite DEST if it exists")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    try:
        report = prepare_dataset(args.src, args.dest, args.resolution, upscale=args.upscale,
                                 force=args.force, progress=not args.quiet)
    except (FileNotFoundError, FileExistsError, ValueError) as e:   # DatasetError is a ValueError
        print(f"prepare: error: {e}", file=sys.stderr)
        return 2
    except RuntimeError as e:
        print(f"prepare: error: {e}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
