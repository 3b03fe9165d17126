"""``python -m stylegan_lib bench``: measure speed and record it in benchmarks/.

Prints the command, the machine and every figure, and writes ``benchmarks/latest-<device>.md``.
Sections: generator images/s (this file), data rendering, training and metrics (each measured
by its own module's ``bench`` function, when present). Timings are medians of repeated runs
after a warm-up; nothing here is a test.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import torch

from .latent import random_z
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


@contextlib.contextmanager
def step_by_step():
    """Inside: the synthesis network computes the same function the plain way — one pass over
    the feature maps per step of the epilogue (noise, bias, activation, mean, variance,
    modulation), NCHW layout — as the library did before issue 18 and as pure-PyTorch ports
    write it. Outside: the fused epilogue in channels-last (``synthesis.Epilogue._fused``)."""
    from . import layers
    from .synthesis import Epilogue

    saved = layers.ACTIVATION_FORMAT, Epilogue.fused
    layers.ACTIVATION_FORMAT, Epilogue.fused = torch.contiguous_format, False
    try:
        yield
    finally:
        layers.ACTIVATION_FORMAT, Epilogue.fused = saved


#: (preset, batch) of the generator rows: the sizes a reader with the official weights meets,
#: and the book model as the chapters run it (one image for a widget, a grid of 64).
GENERATOR_CASES = (("paper-256", 1), ("paper-256", 8), ("paper-1024", 1), ("paper-1024", 8),
                   ("book-32", 1), ("book-32", 64))


@torch.no_grad()
def bench_generator(preset: str, batch: int, device: str, repeats: int = 5) -> list[dict]:
    """Generator inference images/s, G(z) with the stored noise: the library's fast path and the
    same network step by step, timed in turns in one process so that load hits both alike, and
    the largest difference between their images."""
    from .generator import Generator

    G = Generator(preset).eval().to(device)
    z = random_z(batch, G.z_dim, 0, device)
    sync = torch.cuda.synchronize if device == "cuda" else None
    ways = {"fast": contextlib.nullcontext, "step by step": step_by_step}
    times = {name: [] for name in ways}
    for _ in range(repeats):
        for name, way in ways.items():
            with way():
                times[name].append(timeit(lambda: G(z, noise_mode="const"), repeats=1, sync=sync))
    with step_by_step():
        plain = G(z, noise_mode="const")
    diff = (G(z, noise_mode="const") - plain).abs().max().item()
    fast, slow = (statistics.median(times[n]) for n in ways)
    what = f"generator {preset}, batch {batch}"
    return [{"what": f"{what}, fast", "device": device, "value": batch / fast, "unit": "images/s"},
            {"what": f"{what}, step by step", "device": device, "value": batch / slow, "unit": "images/s"},
            {"what": f"{what}, speed-up", "device": device, "value": slow / fast, "unit": "×"},
            {"what": f"{what}, max |fast − step by step|", "device": device, "value": diff,
             "unit": "(images in [-1, 1])"}]


@torch.no_grad()
def bench_bf16_inference(preset: str = "book-32", batch: int = 64, device: str = "cpu") -> list[dict]:
    """bf16 for inference: the largest pixel difference (0–255) of the shipped model's images
    against fp32, and
    the speed where the CPU has bf16 units (elsewhere PyTorch emulates bf16, which only says how
    slow emulation is, so no speed is reported)."""
    from .images import to_uint8
    from .pretrained import load_pretrained
    from .utils import cpu_supports_bf16

    G = load_pretrained(preset, device=device).eval()  # the shipped model: the book's figures
    z = random_z(batch, G.z_dim, 0, device)
    ref = G(z, noise_mode="const")
    with torch.autocast(device_type=device, dtype=torch.bfloat16):
        low = G(z, noise_mode="const").float()
    levels = (to_uint8(low).int() - to_uint8(ref).int()).abs()
    rows = [{"what": f"generator {preset}, bf16 autocast: max pixel difference", "device": device,
             "value": levels.max().item(), "unit": "of 255"},
            {"what": f"generator {preset}, bf16 autocast: mean pixel difference", "device": device,
             "value": levels.float().mean().item(), "unit": "of 255"}]
    if device == "cuda" or cpu_supports_bf16():
        def run_bf16():
            with torch.autocast(device_type=device, dtype=torch.bfloat16):
                G(z, noise_mode="const")
        rows.append({"what": f"generator {preset}, batch {batch}, bf16 autocast", "device": device,
                     "value": batch / timeit(run_bf16), "unit": "images/s"})
    return rows


def generator_section(device: str, quick: bool) -> list[dict]:
    rows = []
    for preset, batch in GENERATOR_CASES:
        big = preset.startswith("paper-1024") and batch > 1
        rows += bench_generator(preset, batch, device, repeats=1 if quick or big else 3)
    return rows + bench_bf16_inference(device=device)


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
        _print_rows(rows)
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
