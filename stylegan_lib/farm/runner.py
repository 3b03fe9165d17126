"""Train the farm's runs one after the other: missing runs are started, killed or stopped ones
resumed from their checkpoints, finished ones skipped; and say where the farm stands.

Layout under the farm folder ``OUT`` (default ``runs/farm``)::

    OUT/<scale>/<run>/checkpoint.pt      the latest training checkpoint (kept by the trainer)
    OUT/<scale>/<run>/log.jsonl          one line per tick (FD / PPL lines for Figure 9's runs)
    OUT/<scale>/<run>/runs.jsonl         one line per training session (command, commit, machine)
    OUT/<scale>/<run>/provenance.json    the run's record: seed, kimg, wall time, sessions
    OUT/<scale>/results.json             ``farm evaluate``;  OUT/<scale>/budget.json  ``farm budget``

A run is *done* when its checkpoint has shown ``kimg`` thousand images, *partial* when it has a
checkpoint short of that (raising ``kimg`` after the fact turns done runs partial again) and
*missing* without one.
"""
from __future__ import annotations

import json
import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..provenance import cpu_model, git_commit
from ..train.checkpoint import load_training_checkpoint
from ..train.cli import load_images
from ..train.loop import Trainer, TrainOptions, read_log
from .runs import FarmRun, farm_scale

DEFAULT_OUT = "runs/farm"
#: Options a run may change between sessions (the length of the run and the hardware).
SESSION_OPTIONS = ("kimg", "device", "amp", "channels_last")


class FarmError(RuntimeError):
    """A run folder that does not hold the run the registry describes, or a farm that cannot go on."""


def farm_dir(out: str | os.PathLike, scale: str) -> Path:
    return Path(out) / scale


def run_dir(out: str | os.PathLike, run: FarmRun) -> Path:
    return farm_dir(out, run.scale) / run.name


def write_json(path: Path, obj: Any) -> Path:
    """Write ``obj`` as indented JSON through a temporary file and a rename, so that a kill
    leaves either the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(obj, indent=1) + "\n")
    os.replace(tmp, path)
    return path


# ------------------------------------------------------------------------------------------
# Where a run stands.
# ------------------------------------------------------------------------------------------
@dataclass
class RunState:
    """``state``: "done", "partial" or "missing"; ``kimg``: images shown so far / 1000."""

    run: FarmRun
    state: str
    kimg: float
    target_kimg: float
    wall_s: float


def run_state(run: FarmRun, out: str | os.PathLike, kimg: float | None = None) -> RunState:
    """The state of ``run`` in the farm folder ``out`` against a length of ``kimg`` (default:
    the scale's), read from its training checkpoint."""
    target = float(farm_scale(run.scale).kimg if kimg is None else kimg)
    ckpt = run_dir(out, run) / "checkpoint.pt"
    if not ckpt.is_file():
        return RunState(run, "missing", 0.0, target, 0.0)
    prog = load_training_checkpoint(ckpt)["progress"]
    done_kimg = prog["cur_nimg"] / 1000
    state = "done" if prog["cur_nimg"] >= target * 1000 - 0.5 else "partial"
    return RunState(run, state, done_kimg, target, float(prog.get("wall_seconds", 0.0)))


def run_command(run: FarmRun, out: str | os.PathLike, kimg: float) -> str:
    """The command that trains this run alone, as the farm does."""
    return (f"python -m stylegan_lib farm train --scale {run.scale} --kimg {kimg:g} --only {run.name} "
            f"--out {out}")


# ------------------------------------------------------------------------------------------
# Training.
# ------------------------------------------------------------------------------------------
def check_stored_options(run: FarmRun, stored: dict, wanted: TrainOptions, where: Path) -> None:
    """A resumed run must be the registry's run: every option but :data:`SESSION_OPTIONS` equal."""
    have, want = TrainOptions.from_dict(stored).to_dict(), wanted.to_dict()
    differ = [k for k in want if k not in SESSION_OPTIONS and have.get(k) != want[k]]
    if differ:
        detail = "; ".join(f"{k}: folder {have.get(k)!r}, registry {want[k]!r}" for k in differ)
        raise FarmError(f"{where} holds a run with other options than the farm's {run.name} ({detail}). "
                        "Move the folder away or give another --out; the farm never trains over it")


def session_record(command: str, data_info: dict, trainer: Trainer, run: FarmRun, farm_command: str | None) -> dict:
    """One line of runs.jsonl, with the keys ``python -m stylegan_lib train`` writes (which
    ``train.ship`` reads) plus the farm's."""
    return {"command": command, "farm_command": farm_command, "farm_run": run.name,
            "recipe": farm_scale(run.scale).recipe, "dataset": data_info, "git_commit": git_commit(),
            "device": str(trainer.device), "cpu": cpu_model(), "torch_threads": torch.get_num_threads(),
            "world_size": 1, "torch": torch.__version__, "seed": run.seed,
            "start_kimg": trainer.cur_nimg / 1000,
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def write_provenance(run: FarmRun, folder: Path, kimg: float) -> dict:
    """``provenance.json`` of a run: what it is (variants, rows, seed, options), how far it got
    (kimg, wall time) and every session that trained it (runs.jsonl)."""
    obj = load_training_checkpoint(folder / "checkpoint.pt")
    sessions = [json.loads(x) for x in (folder / "runs.jsonl").read_text().splitlines() if x.strip()]
    prog = obj["progress"]
    first = sessions[0]
    record = {
        "run": run.name, "scale": run.scale, "variants": list(run.variants),
        "rows": [r.key for r in run.rows], "seed": run.seed,
        "kimg": prog["cur_nimg"] / 1000, "target_kimg": kimg,
        "state": "done" if prog["cur_nimg"] >= kimg * 1000 - 0.5 else "partial",
        "wall_time_s": round(float(prog["wall_seconds"]), 1), "steps": prog["step"],
        "command": first["command"], "git_commit": sessions[-1].get("git_commit"),
        "device": sessions[-1].get("device"), "cpu": sessions[-1].get("cpu"),
        "torch_threads": sessions[-1].get("torch_threads"), "torch": sessions[-1].get("torch"),
        "dataset": first.get("dataset"), "options": obj["options"], "config": obj["config"],
        "sessions": sessions,
    }
    write_json(folder / "provenance.json", record)
    return record


def train_run(run: FarmRun, out: str | os.PathLike, images: torch.Tensor, data_info: dict,
              kimg: float | None = None, deadline: float | None = None, device: str = "auto",
              progress: bool = True, farm_command: str | None = None) -> dict:
    """Train ``run`` up to ``kimg`` in ``out``: a new run, or the continuation of its checkpoint.
    ``deadline`` (a ``time.time()``) stops it cleanly at the first tick after, with a checkpoint.
    Returns the run's provenance record."""
    kimg = float(farm_scale(run.scale).kimg if kimg is None else kimg)
    folder = run_dir(out, run)
    opts = run.options(kimg, device)
    command = run_command(run, out, kimg)
    ckpt = folder / "checkpoint.pt"
    if ckpt.is_file():
        stored = load_training_checkpoint(ckpt)
        check_stored_options(run, stored["options"], opts, folder)
        first = json.loads((folder / "runs.jsonl").read_text().splitlines()[0])
        if first.get("dataset") != data_info:
            raise FarmError(f"{folder} was trained on {first.get('dataset')}, not on the farm's "
                            f"{data_info}; move it away or give another --out")
        trainer = Trainer(opts, images, run_dir=folder, progress=progress, command=command)
        trainer.load_state_dict(stored)
        del stored
    else:
        folder.mkdir(parents=True, exist_ok=True)
        trainer = Trainer(opts, images, run_dir=folder, progress=progress, command=command)
    with open(folder / "runs.jsonl", "a") as f:  # one line per session
        f.write(json.dumps(session_record(command, data_info, trainer, run, farm_command)) + "\n")
    trainer.train(deadline=deadline)
    trainer.save_checkpoint()  # also when the loop had nothing left to do
    return write_provenance(run, folder, kimg)


def train_farm(runs: list[FarmRun], out: str | os.PathLike = DEFAULT_OUT, kimg: float | None = None,
               deadline: float | None = None, device: str = "auto", progress: bool = True,
               farm_command: str | None = None, log=print) -> list[dict]:
    """Train the runs that are not done, one after the other (partial ones first, so that a
    killed farm finishes what it started). No run starts after ``deadline``; a run that reaches
    it stops at its next tick with a checkpoint. The images are rendered once for all runs.
    Returns the provenance records of the runs trained in this call."""
    if not runs:
        return []
    scales = {r.scale for r in runs}
    if len(scales) > 1:
        raise FarmError(f"one farm trains one scale at a time, got {sorted(scales)}")
    fs = farm_scale(runs[0].scale)
    states = [run_state(r, out, kimg) for r in runs]
    for s in states:
        if s.state == "done":
            log(f"{s.run.name}: done ({s.kimg:g} kimg), skipped")
    todo = sorted((s for s in states if s.state != "done"), key=lambda s: s.state != "partial")
    if not todo:
        return []
    images, data_info = load_images(fs.data, runs[0].config.img_resolution, progress=progress)
    records = []
    for s in todo:
        if deadline is not None and time.time() >= deadline:
            log(f"the --stop-at time has passed: {s.run.name} and the runs after it are left for the next call")
            break
        verb = f"resuming at {s.kimg:g} kimg" if s.state == "partial" else "starting"
        log(f"{s.run.name} ({', '.join(s.run.variants)}, seed {s.run.seed}): {verb}, to {s.target_kimg:g} kimg")
        record = train_run(s.run, out, images, data_info, s.target_kimg, deadline, device, progress,
                           farm_command)
        records.append(record)
        log(f"{s.run.name}: {record['state']} at {record['kimg']:g} kimg, "
            f"{record['wall_time_s'] / 60:.1f} min of training in all")
        if record["state"] != "done":
            break
    return records


# ------------------------------------------------------------------------------------------
# Status and the remaining time.
# ------------------------------------------------------------------------------------------
def phase_seconds(run: FarmRun, kimg_from: float, kimg_to: float, speeds: dict[int, float]) -> float | None:
    r"""Seconds to train ``run`` from ``kimg_from`` to ``kimg_to``: the sum over the schedule's
    phases of :math:`1000\,\Delta\text{kimg}_p / v(R_p)`, with :math:`v(R)` the measured
    images/s at resolution R (a fade-in counts at its new resolution). None when a needed
    resolution has no measured speed."""
    if kimg_to <= kimg_from:
        return 0.0
    schedule = run.options(kimg_to).make_schedule()
    total = 0.0
    for p in schedule.phases(kimg_to):
        overlap = min(p["end"], kimg_to) - max(p["start"], kimg_from)
        if overlap <= 0:
            continue
        speed = speeds.get(int(p["resolution"]))
        if not speed:
            return None
        total += overlap * 1000 / speed
    return total


def log_speeds(folder: Path) -> dict[int, float]:
    """Median images/s per resolution over a run's log ticks (the median, so that a slow first
    tick, which includes the start-up, does not weigh)."""
    path = folder / "log.jsonl"
    if not path.is_file():
        return {}
    by_res: dict[int, list[float]] = {}
    for e in read_log(path):
        if e.get("images_per_s"):
            by_res.setdefault(int(e["resolution"]), []).append(float(e["images_per_s"]))
    return {r: statistics.median(v) for r, v in by_res.items()}


def measured_speeds(runs: list[FarmRun], out: str | os.PathLike) -> dict[str, dict[int, float]]:
    """Images/s per resolution for each run: its own log where it has trained there, else the
    median of the farm's logs, else ``farm budget``'s measurement for its configuration."""
    budget_path = farm_dir(out, runs[0].scale) / "budget.json" if runs else None
    budget = json.loads(budget_path.read_text()).get("speeds", {}) if budget_path and budget_path.is_file() else {}
    own = {r.name: log_speeds(run_dir(out, r)) for r in runs}
    pooled: dict[int, list[float]] = {}
    for sp in own.values():
        for res, v in sp.items():
            pooled.setdefault(res, []).append(v)
    farm_median = {res: statistics.median(v) for res, v in pooled.items()}
    speeds = {}
    for r in runs:
        measured = {int(k): v for k, v in budget.get(r.variant, {}).items()}
        speeds[r.name] = {**measured, **farm_median, **own[r.name]}
    return speeds


def status_rows(runs: list[FarmRun], out: str | os.PathLike, kimg: float | None = None) -> list[dict]:
    """One dict per run: name, variants, seed, state, kimg done / target, wall minutes and the
    estimated minutes left (None when no speed is known)."""
    speeds = measured_speeds(runs, out)
    rows = []
    for r in runs:
        s = run_state(r, out, kimg)
        left = phase_seconds(r, s.kimg, s.target_kimg, speeds[r.name])
        rows.append({"run": r.name, "variants": list(r.variants), "seed": r.seed, "state": s.state,
                     "kimg": round(s.kimg, 3), "target_kimg": s.target_kimg, "wall_min": round(s.wall_s / 60, 1),
                     "left_min": None if left is None else round(left / 60, 1)})
    return rows


def format_status(rows: list[dict]) -> str:
    """The status rows as a text table with a total line."""
    head = f"{'run':22s} {'stands for':42s} {'state':8s} {'kimg':>15s} {'wall min':>9s} {'left min':>9s}"
    lines = [head, "-" * len(head)]
    for r in rows:
        kimg = f"{r['kimg']:g}/{r['target_kimg']:g}"
        left = "?" if r["left_min"] is None else f"{r['left_min']:.1f}"
        lines.append(f"{r['run']:22s} {', '.join(r['variants']):42s} {r['state']:8s} {kimg:>15s} "
                     f"{r['wall_min']:9.1f} {left:>9s}")
    counts = {k: sum(r["state"] == k for r in rows) for k in ("done", "partial", "missing")}
    unknown = [r for r in rows if r["left_min"] is None]
    left = sum(r["left_min"] or 0.0 for r in rows)
    total = (f"{counts['done']} done, {counts['partial']} partial, {counts['missing']} missing; "
             f"{sum(r['wall_min'] for r in rows):.1f} min trained; about {left / 60:.1f} h ({left:.0f} min) left")
    if unknown:
        total += (f" for the runs with a measured speed ({len(unknown)} without one: run "
                  "`python -m stylegan_lib farm budget` first)")
    return "\n".join(lines + [total])


__all__ = ["DEFAULT_OUT", "FarmError", "RunState", "farm_dir", "run_dir", "run_state", "run_command",
           "train_run", "train_farm", "write_provenance", "phase_seconds", "measured_speeds", "status_rows",
           "format_status", "write_json"]
