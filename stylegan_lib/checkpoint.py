"""Saving and loading models: plain state dicts and data, written atomically, read with
``torch.load(weights_only=True)`` so a checkpoint can never run code.

Format: a dict with ``format`` = "stylegan_lib/1", ``config`` (ModelConfig as a dict), any of
``G``, ``G_ema``, ``D`` (state dicts) and ``meta`` (provenance: plain data). Training
checkpoints (stylegan_lib.train) add optimiser states and the schedule position.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import torch

from .config import ModelConfig
from .discriminator import Discriminator
from .generator import Generator
from .utils import get_device

FORMAT = "stylegan_lib/1"


class CheckpointError(RuntimeError):
    """A checkpoint file that cannot be used (missing, corrupt, wrong kind, wrong model)."""


def atomic_save(obj: Any, path: str | os.PathLike) -> Path:
    """torch.save to a temporary file in the same folder, then rename over ``path``: a kill
    during the write leaves the previous file intact."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def save_models(path: str | os.PathLike, config: ModelConfig, *, G=None, G_ema=None, D=None,
                meta: dict | None = None, half: bool = False, **extra) -> Path:
    """Write a checkpoint. ``half=True`` stores floating tensors as fp16 (for shipping)."""
    obj: dict[str, Any] = {"format": FORMAT, "config": config.to_dict(), "meta": meta or {}}
    for name, module in (("G", G), ("G_ema", G_ema), ("D", D)):
        if module is not None:
            sd = module.state_dict()
            if half:
                sd = {k: v.half() if v.is_floating_point() else v for k, v in sd.items()}
            obj[name] = sd
    obj.update(extra)
    return atomic_save(obj, path)


def read_checkpoint(path: str | os.PathLike, map_location="cpu") -> dict[str, Any]:
    """Read a checkpoint dict safely, with clear errors for the usual problems."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {str(path)!r} does not exist")
    try:
        obj = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # truncated zip, random bytes, pickled classes …
        raise CheckpointError(
            f"cannot read checkpoint {str(path)!r}: {type(e).__name__}: {str(e).splitlines()[0][:200]}. "
            "The file is corrupt or truncated, or is not a stylegan_lib checkpoint (for NVIDIA's "
            ".pkl releases use stylegan_lib.load_official)") from e
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise CheckpointError(f"{str(path)!r} is not a stylegan_lib checkpoint (no format={FORMAT!r} entry)")
    return obj


def _load_state(module: torch.nn.Module, state: dict, what: str, path) -> None:
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    try:
        module.load_state_dict(state)
    except RuntimeError as e:
        raise CheckpointError(f"{what} in {str(path)!r} does not fit the model built from its config: "
                              f"{str(e).splitlines()[0][:300]}") from e


def load_generator(path: str | os.PathLike, device="auto", which: str = "auto") -> Generator:
    """The generator of a checkpoint, in eval mode on ``device``. ``which``: "G_ema" (the
    smoothed generator, used for samples and metrics), "G", or "auto" (G_ema when present)."""
    obj = read_checkpoint(path)
    if which == "auto":
        which = "G_ema" if "G_ema" in obj else "G"
    if which not in obj:
        raise CheckpointError(f"{str(path)!r} holds no {which!r} (it has {sorted(k for k in obj if k in ('G', 'G_ema', 'D'))})")
    G = Generator(ModelConfig.from_dict(obj["config"]))
    _load_state(G, obj[which], which, path)
    G.checkpoint_meta = obj.get("meta", {})
    return G.eval().requires_grad_(False).to(get_device(device))


def load_discriminator(path: str | os.PathLike, device="auto") -> Discriminator:
    obj = read_checkpoint(path)
    if "D" not in obj:
        raise CheckpointError(f"{str(path)!r} holds no discriminator")
    D = Discriminator(ModelConfig.from_dict(obj["config"]))
    _load_state(D, obj["D"], "D", path)
    return D.eval().to(get_device(device))
