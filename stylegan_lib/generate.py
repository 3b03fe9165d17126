"""``python -m stylegan_lib generate``: write images from a generator to PNG files, and
:func:`generate`, the images of a list of seeds that the command, the widgets and the chapters
draw."""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import torch

from .latent import z_from_seeds


@torch.no_grad()
def generate(G, seeds: Sequence[int], truncation_psi: float = 1.0, truncation_cutoff: int | None = None,
             noise_mode: str = "const", batch_size: int = 64, **synthesis_kwargs) -> torch.Tensor:
    """Images for a list of seeds (z from ``z_from_seeds``), in batches, on G's device, returned on CPU."""
    out = []
    for i in range(0, len(seeds), batch_size):
        z = z_from_seeds(seeds[i:i + batch_size], G.z_dim, G.device)
        out.append(G(z, truncation_psi=truncation_psi, truncation_cutoff=truncation_cutoff,
                     noise_mode=noise_mode, **synthesis_kwargs).cpu())
    return torch.cat(out)


def parse_seeds(text: str) -> list[int]:
    """"0-7,12,20-21" → [0, 1, …, 7, 12, 20, 21]."""
    seeds: list[int] = []
    try:
        for part in text.split(","):
            lo, _, hi = part.partition("-")
            seeds += list(range(int(lo), int(hi) + 1)) if hi else [int(lo)]
    except ValueError:
        raise argparse.ArgumentTypeError(f"seeds look like '0-7,12', got {text!r}") from None
    if not seeds:
        raise argparse.ArgumentTypeError("no seeds given")
    return seeds


def main(argv: list[str] | None = None) -> int:
    from PIL import Image
    from tqdm import tqdm

    from .checkpoint import CheckpointError
    from .images import image_grid, to_hwc
    from .official import OfficialFormatError
    from .pretrained import load_pretrained
    from .utils import arg_number

    ap = argparse.ArgumentParser(prog="python -m stylegan_lib generate", description=__doc__)
    ap.add_argument("--checkpoint", default="book-32",
                    help="shipped model name, .pt checkpoint or official .pkl (default book-32)")
    ap.add_argument("--seeds", type=parse_seeds, default=parse_seeds("0-15"))
    ap.add_argument("--truncation-psi", type=arg_number(float), default=1.0,
                    help="truncation ψ, a finite number (1 = none, 0.7 = the paper's figures)")
    ap.add_argument("--truncation-cutoff", type=arg_number(int, low=0), default=None)
    ap.add_argument("--noise-mode", choices=["random", "const", "none"], default="const")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--grid", action="store_true", help="also write all images as one grid.png")
    ap.add_argument("--out", type=Path, required=True, help="output folder")
    ap.add_argument("--force", action="store_true", help="replace images that --out already holds")
    args = ap.parse_args(argv)
    targets = [args.out / f"seed{s:04d}.png" for s in args.seeds] + ([args.out / "grid.png"] if args.grid else [])
    existing = [t for t in targets if t.exists()]
    if existing and not args.force:  # checked before anything is loaded or written
        more = f" and {len(existing) - 1} more" if len(existing) > 1 else ""
        print(f"generate: error: {existing[0]}{more} exist(s): choose another --out or pass --force "
              "to replace them", file=sys.stderr)
        return 1

    try:
        G = load_pretrained(args.checkpoint, device=args.device)
    except (CheckpointError, OfficialFormatError, FileNotFoundError, RuntimeError, ValueError) as e:
        print(f"generate: error: {e}", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    chunks = [args.seeds[i:i + 32] for i in range(0, len(args.seeds), 32)]
    all_images = []
    for chunk in tqdm(chunks, desc="generating", unit="batch"):
        images = generate(G, chunk, args.truncation_psi, args.truncation_cutoff, args.noise_mode)
        for s, img in zip(chunk, to_hwc(images)):
            Image.fromarray(img).save(args.out / f"seed{s:04d}.png")
        all_images.append(images)
    if args.grid:
        Image.fromarray(image_grid(torch.cat(all_images))).save(args.out / "grid.png")
    print(f"wrote {len(args.seeds)} images to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
