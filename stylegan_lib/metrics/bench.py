"""Timing of each metric on the book's model, for ``make bench`` (``python -m stylegan_lib bench``).

``run()`` measures every metric at the quick sample counts (``QUICK_COUNTS``) on the CPU and, from
the measured rate, gives the time the paper's counts (``FULL_COUNTS``) would take, marked
"estimated". ``run(full=True)`` measures the full counts instead (about an hour on two cores).
With a CUDA device (``device="cuda"``) it also measures generated-image features per second and
the PPL time at 100 k pairs.
"""
from __future__ import annotations

import time

import torch


def _time(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def _time_both(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process, all threads): on a shared machine the CPU
    time says what the work costs, the wall time what it took."""
    t, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - t, time.process_time() - c


def run(device: str = "cpu", full: bool = False, progress: bool = False) -> list[dict]:
    """Rows {"what", "value", "unit", "device"} for benchmarks/."""
    from ..pretrained import load_pretrained
    from .evaluate import FULL_COUNTS, QUICK_COUNTS, compute_metrics

    dev = torch.device(device)
    name = "book-32"
    G = load_pretrained(name, device=dev)
    counts = FULL_COUNTS if full else QUICK_COUNTS
    label = "full" if full else "quick"
    rows = []
    jobs = [("fd+kd", ["fd", "kd"], counts["fd"], "images per side"),
            ("ppl_zfull", ["ppl_zfull"], counts["ppl"], "pairs"),
            ("ppl_wend", ["ppl_wend"], counts["ppl"], "pairs"),
            ("ls", ["ls"], counts["ls"], "images")]
    for what, metrics, n, unit in jobs:
        sec, cpu = _time_both(lambda: compute_metrics(
            G, metrics, num=n, device=dev, use_cache=False, progress=progress, ppl_distance="classifier",
            batch_size=128 if dev.type == "cpu" else 512))
        rows.append({"what": f"metrics {what} at {n} {unit} ({label}, {name}), wall", "value": sec, "unit": "s",
                     "device": dev.type})
        if dev.type == "cpu":
            rows.append({"what": f"metrics {what} at {n} {unit} ({label}, {name}), CPU time", "value": cpu,
                         "unit": "s", "device": dev.type})
        if not full:
            big = FULL_COUNTS["fd" if what == "fd+kd" else "ppl" if what.startswith("ppl") else "ls"]
            rows.append({"what": f"metrics {what} at {big} {unit} (estimated: quick wall time x {big // n})",
                         "value": sec * big / n, "unit": "s", "device": dev.type})
    if dev.type == "cuda":
        from .detectors import get_feature_detector, get_perceptual_distance
        from .evaluate import generated_features
        from .ppl import perceptual_path_length

        det = get_feature_detector("auto", device=dev)
        generated_features(G, [det], 512, 512, device=dev, progress=False)  # warm-up
        torch.cuda.synchronize()
        n = 20_000
        sec = _time(lambda: (generated_features(G, [det], n, 1024, device=dev, progress=False), torch.cuda.synchronize()))
        rows.append({"what": f"generated images → {det.name} features", "value": n / sec, "unit": "img/s",
                     "device": "cuda"})
        dist = get_perceptual_distance("auto", device=dev)
        sec = _time(lambda: perceptual_path_length(G, dist, 100_000, "w", "end", batch_size=1024, device=dev,
                                                   progress=False))
        rows.append({"what": f"ppl_wend at 100000 pairs ({dist.name})", "value": sec, "unit": "s", "device": "cuda"})
    return rows


def write_markdown(rows: list[dict], path, command: str) -> None:
    """benchmarks/metrics.md: the command, the machine's load and every row."""
    import os
    import platform
    from datetime import datetime, timezone
    from pathlib import Path

    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    lines = ["# Metrics: timings", "",
             f"- command: `{command}`",
             f"- date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC",
             f"- machine: {platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
             f"{torch.get_num_threads()} threads; load average at the end {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}",
             "- 'estimated' rows scale the quick wall time linearly to the paper's sample counts "
             "(50 k images for FD/KD, 100 k pairs for PPL, 200 k images for LS); they are not measurements.",
             "", "| what | device | value | unit |", "|---|---|---:|---|"]
    lines += [f"| {r['what']} | {r['device']} | {r['value']:.4g} | {r['unit']} |" for r in rows]
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    """``python -m stylegan_lib.metrics.bench [--full] [--device cpu] [--out benchmarks/metrics.md]``."""
    import argparse
    import sys

    p = argparse.ArgumentParser(description="time every metric on the book's model")
    p.add_argument("--device", default="cpu")
    p.add_argument("--full", action="store_true", help="measure the paper's sample counts (long)")
    p.add_argument("--out", default="benchmarks/metrics.md")
    a = p.parse_args(argv)
    rows = run(a.device, a.full, progress=True)
    for r in rows:
        print(f"  {r['what']:80s} {r['value']:>10.4g} {r['unit']}")
    cmd = "python -m stylegan_lib.metrics.bench " + " ".join(sys.argv[1:] if argv is None else argv)
    write_markdown(rows, a.out, cmd.strip())
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
