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


def _model(device):
    from ..pretrained import is_available, load_pretrained

    if is_available("book-32"):
        return load_pretrained("book-32", device=device), "book-32"
    from ..generator import Generator

    torch.manual_seed(0)
    return Generator("book-32").eval().to(device), "book-32 (random init: shipped model missing)"


def _time(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def run(device: str = "cpu", full: bool = False, progress: bool = False) -> list[dict]:
    """Rows {"what", "value", "unit", "device"} for benchmarks/."""
    from .evaluate import FULL_COUNTS, QUICK_COUNTS, compute_metrics

    dev = torch.device(device)
    G, name = _model(dev)
    counts = FULL_COUNTS if full else QUICK_COUNTS
    label = "full" if full else "quick"
    rows = []
    jobs = [("fd+kd", ["fd", "kd"], counts["fd"], "images per side"),
            ("ppl_zfull", ["ppl_zfull"], counts["ppl"], "pairs"),
            ("ppl_wend", ["ppl_wend"], counts["ppl"], "pairs"),
            ("ls", ["ls"], counts["ls"], "images")]
    for what, metrics, n, unit in jobs:
        sec = _time(lambda: compute_metrics(G, metrics, num=n, device=dev, use_cache=False, progress=progress,
                                            ppl_distance="classifier", batch_size=128 if dev.type == "cpu" else 512))
        rows.append({"what": f"metrics {what} at {n} {unit} ({label}, {name})", "value": sec, "unit": "s",
                     "device": dev.type})
        if not full:
            big = FULL_COUNTS["fd" if what == "fd+kd" else "ppl" if what.startswith("ppl") else "ls"]
            rows.append({"what": f"metrics {what} at {big} {unit} (estimated from the quick rate)",
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
