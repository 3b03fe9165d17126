"""Training speed of the book preset on this machine (``python -m stylegan_lib bench``, section
"training"; recorded in benchmarks/training.md).

Each row is one full training iteration (D step + G step, lazy R1 every 4th step, style mixing,
EMA) of ``book-32`` at batch 32, at the three resolutions of its progressive growing, timed over
whole R1 cycles after a warm-up. Images/s counts real images shown to D (the unit of "kimg").
"""
from __future__ import annotations

import time

import torch

from .loop import Trainer, recipe_options


def train_speed(preset: str = "book-32", resolution: int | None = None, batch: int = 32,
                r1_interval: int = 4, cycles: int = 3, device: str = "cpu", amp: str = "none",
                channels_last: bool = False) -> float:
    """Images/s of training ``preset`` at ``resolution`` (its lod), after one warm-up R1 cycle."""
    opts = recipe_options("book", preset=preset, device=device, amp=amp, channels_last=channels_last,
                          r1_interval=r1_interval, nan_check=False)
    R = opts.model_config().img_resolution
    resolution = resolution or R
    opts.schedule = dict(start_res=resolution, lod_training_kimg=1e9, lod_transition_kimg=1e9,
                         minibatch={}, minibatch_default=batch, lr={}, lr_default=0.002)
    images = torch.randint(0, 256, (max(4 * batch, 256), 3, R, R), dtype=torch.uint8,
                           generator=torch.Generator().manual_seed(0))
    tr = Trainer(opts, images, progress=False)
    sync = torch.cuda.synchronize if tr.device.type == "cuda" else (lambda: None)
    for _ in range(r1_interval):
        tr.step()
    sync()
    t0 = time.perf_counter()
    n0 = tr.cur_nimg
    for _ in range(cycles * r1_interval):
        tr.step()
    sync()
    return (tr.cur_nimg - n0) / (time.perf_counter() - t0)


def run(quick: bool = False) -> list[dict]:
    """Rows for ``make bench``: book-32 training images/s at 8², 16², 32² on the CPU."""
    rows = []
    for res in (8, 16, 32):
        ips = train_speed("book-32", res, cycles=1 if quick else 3)
        rows.append({"what": f"training book-32 at {res}² (G+D step, batch 32, lazy R1 every 4th, "
                             f"{torch.get_num_threads()} threads)",
                     "device": "cpu", "value": ips, "unit": "images/s"})
    return rows


__all__ = ["train_speed", "run"]
