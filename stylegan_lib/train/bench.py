"""Training speed of the book preset on this machine (``python -m stylegan_lib bench``, section
"training"; recorded in benchmarks/training.md).

Each row is one full training iteration (D step + G step, lazy R1 every 4th step, style mixing,
EMA) of ``book-32`` at batch 32, timed over whole R1 cycles after a warm-up. Images/s counts
real images shown to D (the unit of "kimg"). Variants that are compared are built first and
then timed in turns, so that a change in the machine's load hits them alike.
"""
from __future__ import annotations

import time

import torch

from ..utils import cpu_supports_bf16
from .loop import Trainer, recipe_options

#: What the 32² rows compare: the book preset, the same with its 32² channels halved
#: (book-32-fast), and bf16 autocast where the CPU has bf16 units.
VARIANTS = {
    "book-32 (64 channels at 32²)": dict(),
    "book-32-fast (32 channels at 32²)": dict(preset="book-32-fast"),
    "book-32, bf16 autocast": dict(amp="bf16"),
}


def make_trainer(preset: str = "book-32", resolution: int | None = None, batch: int = 32,
                 r1_interval: int = 4, device: str = "cpu", **changes) -> Trainer:
    """A trainer fixed at ``resolution`` (its lod) on random images, warmed up by one R1 cycle."""
    opts = recipe_options("book", preset=preset, device=device, r1_interval=r1_interval,
                          nan_check=False, metrics_kimg=0.0, **changes)
    R = opts.model_config().img_resolution
    resolution = resolution or R
    opts.schedule = dict(start_res=resolution, lod_training_kimg=1e9, lod_transition_kimg=1e9,
                         minibatch={}, minibatch_default=batch, lr={}, lr_default=0.002)
    images = torch.randint(0, 256, (max(4 * batch, 256), 3, R, R), dtype=torch.uint8,
                           generator=torch.Generator().manual_seed(0))
    tr = Trainer(opts, images, progress=False)
    for _ in range(r1_interval):
        tr.step()
    return tr


def timed_cycles(tr: Trainer, cycles: int = 1) -> float:
    """Images/s over ``cycles`` R1 cycles of ``tr``."""
    sync = torch.cuda.synchronize if tr.device.type == "cuda" else (lambda: None)
    sync()
    t0, n0 = time.perf_counter(), tr.cur_nimg
    for _ in range(cycles * tr.opts.r1_interval):
        tr.step()
    sync()
    return (tr.cur_nimg - n0) / (time.perf_counter() - t0)


def train_speed(preset: str = "book-32", resolution: int | None = None, cycles: int = 3, **kw) -> float:
    """Images/s of training ``preset`` at ``resolution``, after one warm-up R1 cycle."""
    return timed_cycles(make_trainer(preset, resolution, **kw), cycles)


def run(quick: bool = False) -> list[dict]:
    """Rows for ``make bench``: book-32 at 8² and 16², and the 32² variants side by side."""
    threads = torch.get_num_threads()
    rows = []
    for res in (8, 16):
        ips = train_speed("book-32", res, cycles=1 if quick else 3)
        rows.append({"what": f"training book-32 at {res}² (G+D step, batch 32, lazy R1 every 4th, "
                             f"{threads} threads)", "device": "cpu", "value": ips, "unit": "images/s"})
    trainers, skipped = {}, []
    for name, changes in VARIANTS.items():
        if changes.get("amp") == "bf16" and not cpu_supports_bf16():
            skipped.append(name)
            continue
        changes = dict(changes)
        trainers[name] = make_trainer(changes.pop("preset", "book-32"), 32, **changes)
    speeds = {name: [] for name in trainers}
    for _ in range(1 if quick else 3):          # in turns
        for name, tr in trainers.items():
            speeds[name].append(timed_cycles(tr))
    for name, values in speeds.items():
        rows.append({"what": f"training {name} at 32² (side by side, {threads} threads)", "device": "cpu",
                     "value": sum(values) / len(values), "unit": "images/s"})
    for name in skipped:
        rows.append({"what": f"training {name} at 32²: not measured, this CPU has no bf16 units "
                             "(emulated bf16 is slower than fp32; the trainer refuses it)",
                     "device": "cpu", "value": float("nan"), "unit": "images/s"})
    return rows


__all__ = ["make_trainer", "timed_cycles", "train_speed", "run", "VARIANTS"]
