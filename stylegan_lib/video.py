"""``python -m stylegan_lib video``: the generator in motion, as animated GIFs.

Three walks, each a sequence of frames; every frame is a row of images, one per seed:

* ``interpolation``: from each seed's latent to the next seed's, once in Z (spherical, as the
  paper's PPL walks Z) and once in W (linear); the top row walks Z, the bottom row W. Where W is
  less entangled than Z (Section 4), the W row changes more evenly along the walk.
* ``truncation``: ψ swept from 1 to −1 and back (Figure 8 in motion); at ψ = 0 every face is the
  average face w̄, at negative ψ the "opposite" face.
* ``mixing``: the crossover point swept from the last style input to the first: frame k draws
  seed A's styles below layer k and seed B's from k on (Figure 3 in motion: B takes over first
  the fine, then the middle, then the coarse styles).

    python -m stylegan_lib video interpolation --seeds 0-3 --out walk.gif
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from .images import image_grid, write_gif
from .latent import mix_styles, slerp, z_from_seeds
from .layers import lerp

WALKS = ("interpolation", "truncation", "mixing")


def frame_bar(steps, progress: bool):
    """``steps`` with a progress bar when ``progress`` (the command line), plain otherwise."""
    from tqdm import tqdm

    return tqdm(steps, desc="frames", unit="frame", disable=not progress)


@torch.no_grad()
def interpolation_frames(G, seeds: Sequence[int], steps: int = 24, noise_mode: str = "const",
                         progress: bool = False) -> list[np.ndarray]:
    """Seed i → seed i+1 (the last back to the first): row 1 along

    z(t) = slerp(z_i, z_{i+1}; t),   row 2 along   w(t) = (1 − t)·w_i + t·w_{i+1},

    with ``steps`` frames per leg, t = k / steps."""
    z = z_from_seeds(seeds, G.z_dim, G.device)
    z_next = z.roll(-1, dims=0)
    w, w_next = G.mapping(z), G.mapping(z_next)
    frames = []
    for k in frame_bar(range(steps), progress):
        t = k / steps
        row_z = G.synthesis(G.mapping(slerp(z, z_next, t)), noise_mode=noise_mode)
        row_w = G.synthesis(lerp(w, w_next, t), noise_mode=noise_mode)
        frames.append(image_grid(torch.cat([row_z, row_w]), ncols=len(seeds)))
    return frames


@torch.no_grad()
def truncation_frames(G, seeds: Sequence[int], steps: int = 24, noise_mode: str = "const",
                      progress: bool = False) -> list[np.ndarray]:
    """ψ from 1 down to −1 and back up in 2·``steps`` frames:

    w' = w̄ + ψ · (w − w̄)."""
    down = np.linspace(1.0, -1.0, steps + 1)
    psis = np.concatenate([down, down[::-1][1:-1]])
    w = G.mapping(z_from_seeds(seeds, G.z_dim, G.device))
    frames = []
    for psi in frame_bar(psis, progress):
        images = G.synthesis(G.mapping.truncate(w.clone(), float(psi), None), noise_mode=noise_mode)
        frames.append(image_grid(images, ncols=len(seeds)))
    return frames


@torch.no_grad()
def mixing_frames(G, seeds: Sequence[int], seed_b: int, noise_mode: str = "const",
                  progress: bool = False) -> list[np.ndarray]:
    """Crossover c from ``num_ws`` (all of A) down to 0 (all of B) and back: frame c draws
    mix_styles([w_A, w_B], [c]) for every seed A of ``seeds``."""
    w_a = G.mapping(z_from_seeds(seeds, G.z_dim, G.device))
    w_b = G.mapping(z_from_seeds([seed_b], G.z_dim, G.device)).expand_as(w_a)
    crossovers = [*range(G.num_ws, -1, -1), *range(1, G.num_ws)]
    return [image_grid(G.synthesis(mix_styles([w_a, w_b], [c]), noise_mode=noise_mode), ncols=len(seeds))
            for c in frame_bar(crossovers, progress)]


def walk_frames(G, walk: str, seeds: Sequence[int], steps: int, seed_b: int | None = None,
                noise_mode: str = "const", progress: bool = False) -> list[np.ndarray]:
    """The frames of one of :data:`WALKS`."""
    if walk == "interpolation":
        return interpolation_frames(G, seeds, steps, noise_mode, progress)
    if walk == "truncation":
        return truncation_frames(G, seeds, steps, noise_mode, progress)
    if walk == "mixing":
        return mixing_frames(G, seeds, seeds[-1] + 1 if seed_b is None else seed_b, noise_mode, progress)
    raise ValueError(f"walk must be one of {', '.join(WALKS)}, got {walk!r}")


def main(argv: list[str] | None = None) -> int:
    from .checkpoint import CheckpointError
    from .generate import parse_seeds
    from .official import OfficialFormatError
    from .pretrained import load_pretrained
    from .utils import arg_number

    ap = argparse.ArgumentParser(prog="python -m stylegan_lib video", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("walk", choices=WALKS)
    ap.add_argument("--checkpoint", default="book-32",
                    help="shipped model name, .pt checkpoint or official .pkl (default book-32)")
    ap.add_argument("--seeds", type=parse_seeds, default=parse_seeds("0-3"), help="one image per seed (default 0-3)")
    ap.add_argument("--seed-b", type=arg_number(int, low=0), default=None,
                    help="mixing: the seed whose styles take over (default: the last seed + 1)")
    ap.add_argument("--steps", type=arg_number(int, low=2, high=1000), default=24,
                    help="frames per leg of the interpolation, per half of the truncation sweep")
    ap.add_argument("--fps", type=arg_number(float, low=0.1, high=100), default=12.0)
    ap.add_argument("--scale", type=arg_number(int, low=1, high=32), default=4,
                    help="each pixel drawn as SCALE×SCALE (default 4)")
    ap.add_argument("--noise-mode", choices=["random", "const", "none"], default="const")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--out", type=Path, required=True, help="the .gif to write")
    ap.add_argument("--force", action="store_true", help="replace --out if it exists")
    args = ap.parse_args(argv)
    if args.out.exists() and not args.force:
        ap.error(f"{args.out} exists: choose another --out or pass --force to replace it")
    if len(args.seeds) > 64:
        ap.error(f"at most 64 seeds fit one frame, got {len(args.seeds)}")
    try:
        G = load_pretrained(args.checkpoint, device=args.device)
    except (CheckpointError, OfficialFormatError, FileNotFoundError, RuntimeError, ValueError) as e:
        print(f"video: error: {e}", file=sys.stderr)
        return 1
    frames = walk_frames(G, args.walk, args.seeds, args.steps, args.seed_b, args.noise_mode, progress=True)
    write_gif(frames, args.out, args.fps, args.scale, force=args.force)
    print(f"wrote {len(frames)} frames to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
