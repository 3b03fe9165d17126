"""Small helpers every chapter uses: where figures go, and the header each chapter prints.

Figures land in ``figures/`` when ``make book`` runs. Under ``make test`` the environment
variable ``STYLEGAN_BOOK_FIGURES`` points at a temporary folder instead, so running the tests
never rewrites tracked files.
"""
from __future__ import annotations

import os
from pathlib import Path

FIGURES_ENV = "STYLEGAN_BOOK_FIGURES"


def figures_dir(default: str | os.PathLike = "../figures") -> Path:
    """The folder figures are written to: $STYLEGAN_BOOK_FIGURES if set, else ``default``."""
    path = Path(os.environ.get(FIGURES_ENV) or default)
    path.mkdir(parents=True, exist_ok=True)
    return path


def save_figure(fig, name: str, folder: str | os.PathLike = "../figures", dpi: int = 100) -> Path:
    """Save a matplotlib figure as ``<folder>/<name>.png`` (PNG: stable for nbval) and return the path."""
    if not name or "/" in name or name.endswith(".png"):
        raise ValueError(f"figure name must be a bare name without '/' or '.png', got {name!r}")
    path = figures_dir(folder) / f"{name}.png"
    fig.savefig(path, dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    return path


def chapter_header(title: str, device, expected_seconds: float) -> str:
    """The line printed at the top of every chapter: what runs where, and for how long."""
    line = f"{title}: running on {device}; expected run time about {expected_seconds:.0f} s"
    print(line)
    return line
