"""Saving and loading models: plain state dicts and data, written atomically, read with
``torch.load(weights_only=True)`` so a checkpoint can never run code.

Format: a dict with ``format`` = "stylegan_lib/1", ``config`` (the model config as a dict: a
StyleGAN1 ModelConfig, or a StyleGAN2 / StyleGAN3 config tagged with its ``generation``), any of
``G``, ``G_ema``, ``D`` (state dicts), ``meta`` (provenance: plain data) and ``sha256``, the
digest of everything else (:func:`payload_digest`: every tensor's dtype, shape and bytes and
all plain data), checked on every read so that bytes changed on disk are refused rather than
trained on. Files written before the digest existed (no ``sha256``) are read unchecked.
Training checkpoints (stylegan_lib.train) add optimiser states and the schedule position.

Reading refuses, with an error naming the file: a directory or an empty file, pickled Python
objects (never executed), structures nested more than :data:`MAX_DEPTH` levels or holding more
than :data:`MAX_OBJECTS` objects, a digest mismatch, non-finite weights, and state dicts whose
shapes do not fit the model their config describes (checked on the meta device, before the
model is allocated).
"""
from __future__ import annotations

import hashlib
import os
import pickle
import re
import tempfile
from pathlib import Path
from typing import Any

import torch

from torch import nn

from .generations import AnyConfig, build_discriminator, build_generator, config_from_dict
from .utils import get_device

FORMAT = "stylegan_lib/1"
DIGEST_KEY = "sha256"
MAX_DEPTH = 32
MAX_OBJECTS = 1_000_000
NETWORKS = ("G", "G_ema", "D")


class CheckpointError(RuntimeError):
    """A checkpoint file that cannot be used (missing, corrupt, wrong kind, wrong model)."""


def _file_mode() -> int:
    """The mode ``open()`` gives a new file: 0o666 less the umask."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_save(obj: Any, path: str | os.PathLike) -> Path:
    """torch.save to a temporary file in the same folder, then rename over ``path``: a kill
    during the write leaves the previous file intact. The file gets the usual permissions
    (0o666 less the umask), not the temporary file's private 0o600."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fchmod(f.fileno(), _file_mode())
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def payload_digest(obj: dict) -> str:
    """SHA-256 of a checkpoint dict without its ``sha256`` entry: keys and plain values in
    order, and each tensor's dtype, shape and bytes. Raises ``ValueError`` for structures nested
    deeper than :data:`MAX_DEPTH` (or containing themselves) or larger than :data:`MAX_OBJECTS`."""
    h = hashlib.sha256()
    budget = [MAX_OBJECTS]
    _feed(h, {k: v for k, v in obj.items() if k != DIGEST_KEY}, 0, budget)
    return h.hexdigest()


def _feed(h, obj: Any, depth: int, budget: list[int]) -> None:
    if depth > MAX_DEPTH:
        raise ValueError(f"nested more than {MAX_DEPTH} levels deep, or containing itself")
    budget[0] -= 1
    if budget[0] < 0:
        raise ValueError(f"more than {MAX_OBJECTS:,} objects (counting shared ones each time they appear)")
    if isinstance(obj, torch.Tensor):
        t = obj.detach().cpu().contiguous()
        h.update(f"T{t.dtype}{list(t.shape)}:".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().data)
    elif isinstance(obj, dict):
        h.update(b"d%d:" % len(obj))
        for k, v in obj.items():
            _feed(h, k, depth + 1, budget)
            _feed(h, v, depth + 1, budget)
    elif isinstance(obj, (list, tuple)):
        h.update(b"%s%d:" % (b"l" if isinstance(obj, list) else b"t", len(obj)))
        for v in obj:
            _feed(h, v, depth + 1, budget)
    elif isinstance(obj, (str, bytes)):
        data = obj.encode("utf-8", "surrogatepass") if isinstance(obj, str) else obj
        h.update(b"%s%d:" % (b"s" if isinstance(obj, str) else b"b", len(data)))
        h.update(data)
    else:
        h.update(f"{type(obj).__name__}:{obj!r};".encode("utf-8", "surrogatepass"))


def seal(obj: dict) -> dict:
    """``obj`` with its ``sha256`` entry set (see :func:`payload_digest`)."""
    obj = {k: v for k, v in obj.items() if k != DIGEST_KEY}
    obj[DIGEST_KEY] = payload_digest(obj)
    return obj


def save_models(path: str | os.PathLike, config: AnyConfig, *, G=None, G_ema=None, D=None,
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
    return atomic_save(seal(obj), path)


def _reason(e: BaseException) -> str:
    """``Type: first line`` of an exception, without torch's advice to load unsafely."""
    lines = [line for line in str(e).splitlines() if line.strip()]
    first = lines[0][:200] if lines else ""
    if "weights_only" in first or "Weights only" in first:
        first = ""
    return f"{type(e).__name__}: {first}" if first else type(e).__name__


def check_file(path: Path, what: str = "checkpoint") -> None:
    """Clear errors for a path that cannot be a file to read: missing, a directory, empty."""
    where = repr(str(path))
    if path.is_dir():
        raise CheckpointError(f"{what} {where} is a directory, not a file: give the path of the .pt file "
                              f"(e.g. {str(path / 'checkpoint.pt')!r} in a training run's folder)")
    if not path.exists():
        raise CheckpointError(f"{what} {where} does not exist")
    if not path.is_file():
        raise CheckpointError(f"{what} {where} is not a regular file")
    if path.stat().st_size == 0:
        raise CheckpointError(f"{what} {where} is empty (0 bytes): the write that made it did not finish "
                              "or the copy failed; use another copy or write it again")


def read_checkpoint(path: str | os.PathLike, map_location="cpu") -> dict[str, Any]:
    """Read a checkpoint dict safely, with clear errors for the usual problems (see the module
    docstring): its digest is verified and its networks' weights must be finite."""
    path = Path(path)
    where = repr(str(path))
    check_file(path)
    try:
        obj = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        text = str(e)
        if not re.search(r"GLOBAL|reduce|new object|can only build", text, re.IGNORECASE):
            found = re.search(r"WeightsUnpickler error:\s*(\S[^\n]*)", text)
            reason = f"UnpicklingError: {found.group(1)[:200]}" if found else _reason(e)
            raise CheckpointError(
                f"cannot read checkpoint {where}: {reason}. The file is corrupt or truncated, or is not "
                "a stylegan_lib checkpoint (for NVIDIA's .pkl releases use stylegan_lib.load_official)") from None
        named = re.search(r"GLOBAL ([\w.]+)", text)
        raise CheckpointError(
            f"{where} holds Python objects that a safe load refuses"
            f"{f' (it names {named.group(1)})' if named else ''}: stylegan_lib reads checkpoints as "
            "plain tensors and data and will not execute anything from a file, so it cannot use this "
            "one. It is not a stylegan_lib checkpoint; for NVIDIA's .pkl releases use "
            "`python -m stylegan_lib import-official`, and save models with stylegan_lib.save_models") from None
    except Exception as e:  # truncated zip, random bytes, …
        raise CheckpointError(
            f"cannot read checkpoint {where}: {_reason(e)}. The file is corrupt or truncated, or is not "
            "a stylegan_lib checkpoint (for NVIDIA's .pkl releases use stylegan_lib.load_official)") from None
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise CheckpointError(f"{where} is not a stylegan_lib checkpoint (no format={FORMAT!r} entry)")
    try:
        digest = payload_digest(obj)
    except ValueError as e:
        raise CheckpointError(f"{where} is not a usable checkpoint: its contents are {e}") from None
    stored = obj.get(DIGEST_KEY)
    if stored is not None and stored != digest:
        raise CheckpointError(
            f"{where} is corrupt: its contents do not match the SHA-256 digest stored when it was "
            "written (bytes changed on disk or in a copy). Use another copy; for a training run, an "
            "earlier checkpoint")
    for name in NETWORKS:
        state = obj.get(name)
        if state is None:
            continue
        if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
            raise CheckpointError(f"{where}: {name} is not a state dict of tensors")
        for key, value in state.items():
            if value.is_floating_point() and not torch.isfinite(value).all():
                raise CheckpointError(
                    f"{where}: weight {name}.{key} holds non-finite values (NaN or inf); the model "
                    "diverged before it was saved or the file was altered. Use an earlier checkpoint")
    return obj


def check_fits(obj: dict, path, names: tuple[str, ...] = NETWORKS) -> AnyConfig:
    """The checkpoint's model config (of its generation, :func:`..generations.config_from_dict`),
    after checking that each state dict in ``names`` has the keys and shapes of the network that
    config describes — on the meta device, so a config asking for a huge network is refused
    before anything is allocated."""
    where = repr(str(path))
    try:
        config = config_from_dict(obj["config"])
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(f"{where} has no usable model config: {str(e)[:300]}") from None
    for name in names:
        if name not in obj:
            continue
        build = build_discriminator if name == "D" else build_generator
        with torch.device("meta"):
            want = {k: tuple(v.shape) for k, v in build(config).state_dict().items()}
        have = {str(k): tuple(v.shape) for k, v in obj[name].items()}
        if have != want:
            missing, extra = sorted(set(want) - set(have)), sorted(set(have) - set(want))
            wrong = [f"{k} {list(have[k])} (expected {list(want[k])})"
                     for k in sorted(set(want) & set(have)) if have[k] != want[k]]
            detail = "; ".join(part for part in (
                f"missing {missing[:3]}" if missing else "", f"unexpected {extra[:3]}" if extra else "",
                f"shapes {wrong[:3]}" if wrong else "") if part)
            raise CheckpointError(f"{name} in {where} does not fit the model built from its config: {detail}. "
                                  "The file is corrupt or was altered")
    return config


def _load_state(module: torch.nn.Module, state: dict, what: str, path) -> None:
    state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
    try:
        module.load_state_dict(state)
    except RuntimeError as e:
        raise CheckpointError(f"{what} in {str(path)!r} does not fit the model built from its config: "
                              f"{str(e).splitlines()[0][:300]}") from e


def load_generator(path: str | os.PathLike, device="auto", which: str = "auto") -> nn.Module:
    """The generator of a checkpoint of any generation (its config says which), in eval mode on
    ``device``. ``which``: "G_ema" (the smoothed generator, used for samples and metrics), "G",
    or "auto" (G_ema when present)."""
    obj = read_checkpoint(path)
    if which == "auto":
        which = "G_ema" if "G_ema" in obj else "G"
    if which not in obj:
        raise CheckpointError(f"{str(path)!r} holds no {which!r} (it has {sorted(k for k in obj if k in ('G', 'G_ema', 'D'))})")
    G = build_generator(check_fits(obj, path, (which,)))
    _load_state(G, obj[which], which, path)
    G.checkpoint_meta = obj.get("meta", {})
    return G.eval().requires_grad_(False).to(get_device(device))


def load_discriminator(path: str | os.PathLike, device="auto") -> nn.Module:
    """The discriminator of a checkpoint (StyleGAN2's residual one for StyleGAN2 and 3), in eval
    mode on ``device``."""
    obj = read_checkpoint(path)
    if "D" not in obj:
        raise CheckpointError(f"{str(path)!r} holds no discriminator")
    D = build_discriminator(check_fits(obj, path, ("D",)))
    _load_state(D, obj["D"], "D", path)
    return D.eval().to(get_device(device))
