"""Command line: ``python -m stylegan_lib COMMAND …`` (``--help`` after a command for its options).

Each command lives in the module that implements it; this file only dispatches.
"""
from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "train": ("stylegan_lib.train.cli", "train a generator (also under torchrun)"),
    "generate": ("stylegan_lib.generate", "write images from a checkpoint"),
    "metrics": ("stylegan_lib.metrics.cli", "FID/KID, perceptual path length, linear separability"),
    "prepare": ("stylegan_lib.data.prepare", "turn a folder of photos into a training archive"),
    "import-official": ("stylegan_lib.official.cli", "convert NVIDIA's StyleGAN v1 .pkl files"),
    "book": ("stylegan_lib.book", "run the chapters listed in book.toml through papermill"),
    "farm": ("stylegan_lib.farm.cli", "the paper's ablation runs (Tables 1-4) and StyleGAN3's ladder: train missing runs, evaluate, status, budget, ship, sprint"),
    "project": ("stylegan_lib.project.projection", "project an image into W / W+ (latent, noise, reconstruction, progress GIF)"),
    "video": ("stylegan_lib.video", "animated GIFs: interpolation in Z and W, truncation and mixing sweeps"),
    "html": ("stylegan_lib.book_html", "the static HTML edition of the executed chapters (build/html)"),
    "bench": ("stylegan_lib.bench", "measure speed and write benchmarks/"),
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m stylegan_lib COMMAND [options]\n\ncommands:")
        for name, (_, text) in COMMANDS.items():
            print(f"  {name:16s} {text}")
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"unknown command {name!r}; commands: {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    return int(module.main(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
