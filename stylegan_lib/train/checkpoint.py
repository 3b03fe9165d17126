"""Training checkpoints: everything needed to continue a run exactly where it stopped.

Built on :mod:`stylegan_lib.checkpoint` (same ``format``, written with ``atomic_save`` and read
with ``read_checkpoint``, i.e. ``torch.load(weights_only=True)``: state dicts and plain data
only). A training checkpoint has ``kind = "training"`` and adds to the G / G_ema / D state dicts:

* ``opt_G``, ``opt_D`` – the Adam states;
* ``options`` – the :class:`~stylegan_lib.train.loop.TrainOptions` as a dict;
* ``progress`` – images shown, step, tick, the lod of the last step, wall time so far;
* ``rng`` – the states of the random generators (data order, latents/noise, torch's global);
* ``data_order`` – the current epoch's permutation and the position in it.

A kill during a write leaves the previous file intact (``atomic_save`` writes a temporary file
and renames it). Like every checkpoint it carries a ``sha256`` of its contents, verified on
reading, and its state dicts are checked against its config before any network is built.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..checkpoint import FORMAT, CheckpointError, atomic_save, check_fits, read_checkpoint, seal

KIND = "training"
REQUIRED = ("config", "G", "G_ema", "D", "opt_G", "opt_D", "options", "progress", "rng", "data_order")


def save_training_checkpoint(path: str | os.PathLike, state: dict[str, Any]) -> Path:
    """Write ``state`` (see module docstring) atomically, tagged with the format and kind."""
    missing = [k for k in REQUIRED if k not in state]
    if missing:
        raise ValueError(f"training checkpoint state is missing {missing}")
    obj = {"format": FORMAT, "kind": KIND, **state}
    return atomic_save(seal(obj), path)


def load_training_checkpoint(path: str | os.PathLike, map_location="cpu") -> dict[str, Any]:
    """Read a training checkpoint, with a clear error if it is corrupt or is not one."""
    obj = read_checkpoint(path, map_location=map_location)
    if obj.get("kind") != KIND:
        raise CheckpointError(
            f"{str(path)!r} is a model checkpoint, not a training checkpoint: it cannot resume a "
            "run (it lacks optimiser states and the schedule position). Start a new run instead.")
    missing = [k for k in REQUIRED if k not in obj]
    if missing:
        raise CheckpointError(f"training checkpoint {str(path)!r} is incomplete: missing {missing}")
    check_fits(obj, path)
    return obj


__all__ = ["save_training_checkpoint", "load_training_checkpoint", "KIND", "CheckpointError"]
