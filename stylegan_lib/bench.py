"""``python -m stylegan_lib bench``: measure speed and record it in benchmarks/.

Prints the command, the machine and every figure, and writes ``benchmarks/latest-<device>.md``.
Sections: generator images/s (this file), data rendering, training and metrics (each measured
by its own module's ``bench`` function, when present). Timings are medians of repeated runs
after a warm-up; nothing here is a test.
"""
from __future__ import annotations

import argparse
import importlib
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

from .provenance import cpu_model, git_commit

ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    text = (f"{cpu_model()}; {torch.get_num_threads()} torch threads; Python {platform.python_version()}; "
            f"torch {torch.__version__}")
    if torch.cuda.is_available():
        text += f"; CUDA {torch.cuda.get_device_name()}"
    try:  # other processes running at the same time slow every figure down: say so
        text += "; load average before the run {:.1f}".format(__import__("os").getloadavg()[0])
    except OSError:
        pass
    return text


def timeit(fn, repeats: int = 5, warmup: int = 1, sync=None) -> float:
    """Median seconds of ``fn()`` over ``repeats`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        if sync:
            sync()
        t0 = time.perf_counter()
        fn()
        if sync:
            sync()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


@torch.no_grad()
def bench_generator(preset: str, batch: int, device: str, repeats: int = 5) -> dict:
    """Generator inference images/s (mapping + synthesis, const noise)."""
    from .generator import Generator

    G = Generator(preset).eval().to(device)
    z = torch.randn(batch, G.z_dim, device=device)
    sync = torch.cuda.synchronize if device == "cuda" else None
    sec = timeit(lambda: G(z, noise_mode="const"), repeats=repeats, sync=sync)
    return {"what": f"generator {preset}, batch {batch}", "device": device,
            "value": batch / sec, "unit": "images/s"}


def generator_section(device: str, quick: bool) -> list[dict]:
    rows = [bench_generator("book-32", 1, device), bench_generator("book-32", 32, device)]
    rows.append(bench_generator("paper-1024", 1, device, repeats=1 if quick else 3))
    return rows


# Sections provided by other modules: module path -> function name returning rows.
SECTIONS = {
    "data": ("stylegan_lib.data.faces", "bench"),
    "training": ("stylegan_lib.train.bench", "run"),
    "metrics": ("stylegan_lib.metrics.bench", "run"),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m stylegan_lib bench", description=__doc__)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--only", nargs="*", default=None, help="sections: generator data training metrics")
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args(argv)
    from .utils import get_device

    device = get_device(args.device).type
    command = "python -m stylegan_lib bench " + " ".join(argv if argv is not None else sys.argv[1:])
    header = [f"command: {command.strip()}", f"machine: {machine()}",
              f"date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC"]
    header.append(f"commit: {git_commit(short=True) or 'unknown'}")
    print("\n".join(header))
    rows: list[dict] = []
    wanted = args.only or ["generator", *SECTIONS]
    if "generator" in wanted:
        rows += generator_section(device, args.quick)
        _print_rows(rows[-3:])
    for name, (module, fn) in SECTIONS.items():
        if name not in wanted:
            continue
        new = getattr(importlib.import_module(module), fn)()
        _print_rows(new)
        rows += new
    if not args.no_write:
        out = ROOT / "benchmarks" / f"latest-{device}.md"
        out.parent.mkdir(exist_ok=True)
        lines = ["# Benchmark results", "", *[f"- {h}" for h in header], "",
                 "| what | device | value | unit |", "|---|---|---:|---|"]
        lines += [f"| {r['what']} | {r.get('device', device)} | {r['value']:.4g} | {r['unit']} |" for r in rows]
        out.write_text("\n".join(lines) + "\n")
        print(f"wrote {out}")
    return 0


def _print_rows(rows):
    for r in rows:
        print(f"  {r['what']:55s} {r['value']:>10.4g} {r['unit']}  ({r.get('device', '')})")


if __name__ == "__main__":
    sys.exit(main())
