"""Where a result was made: the git commit of this checkout and the CPU's model name.

A leaf module (the standard library only), so every command that writes a provenance record —
training, shipping, the classifier, the quality metrics, the benchmarks — asks here.
"""
from __future__ import annotations

import platform
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent


def git_commit(short: bool = False) -> str | None:
    """The commit checked out where the package lives (``git rev-parse [--short] HEAD``), or None
    outside a git checkout or without git."""
    try:
        out = subprocess.run(["git", "rev-parse", *(["--short"] if short else []), "HEAD"], cwd=HERE,
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def cpu_model() -> str:
    """The CPU's model name as ``lscpu`` gives it, else ``platform.processor()``, else "unknown"."""
    try:
        lines = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout.splitlines()
    except (OSError, subprocess.SubprocessError):
        lines = []
    for line in lines:
        if line.startswith("Model name:"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"
