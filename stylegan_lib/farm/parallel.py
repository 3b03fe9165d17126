"""The farm's runs side by side: worker processes, each training or evaluating its share of the
runs, and the *sprint* — every run to one common length within a fixed wall time, for the one
prepared run of a lent GPU.

Why processes: the book's networks are small, so on a GPU one training process leaves the device
waiting between kernel launches, and each process needs a CPU core to issue them. Several
processes fill the device. On the book's 2-core CPU never use more than one worker: two trainings
on two cores run at a third of their speed each (benchmarks/training.md §3).

Worker k of N gets runs k, k + N, k + 2N, … of the registry, trained one after the other, so
with 10 workers on the 20-run ladder each worker trains one rung, seed 0 first. Every worker is
``python -m stylegan_lib farm ACTION --only ITS-RUNS …`` with its output in
``OUT/<scale>/workers/ACTION-k.log``; evaluating workers each write
``results-part-k.json``, merged into ``results.json`` afterwards (:func:`merge_results`).

The sprint (``farm sprint --minutes M --workers N``), in M minutes of wall time, for runs that
train at one resolution throughout (the ladder; a growing farm is refused, since a short probe
sees only its fastest, smallest resolution):

1. *probe*: every run trains to :data:`PROBE_TICKS` ticks beyond the furthest run (more when a
   tick is shorter than one lazy-R1 cycle, so that the probe sees the regularisation steps),
   all workers at once, so that its speed is measured under the same contention as the real
   training (its mean speed over the ticks after the first, which holds the start-up); the
   probe's wall time beyond its
   training at those speeds, for the busiest worker, is the *overhead* (imports, device, data,
   slow first ticks, checkpoints), charged again to the training;
2. *length*: the largest common K (whole ticks) that every worker reaches in
   T = 0.9 · (time left for training − overhead). Worker w trains its runs r one after
   the other from kimg k_r at speed v_r, so it needs :math:`\\sum_r 1000\\,(K - k_r) / v_r \\le T`:
   :math:`K_w = (T / 1000 + \\sum_r k_r / v_r) / \\sum_r 1 / v_r`, and K = min_w K_w;
3. *train* every run to K (a run that finishes frees the device for the slower ones, so the
   estimate errs on the safe side; the end of the training share is also a hard deadline, and a
   run that misses it stays partial: not shipped, not evaluated, resumable);
4. *ship* the done runs' G_ema in fp16 with provenance (no quality record: a CPU job for later),
   replacing what an earlier sprint shipped;
5. *evaluate* the done runs, N workers, until the end of the M minutes, merged into one results
   file (copied beside the shipped models).
"""
from __future__ import annotations

import json
import math
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from ..train.loop import read_log
from .results import FORMAT, load_results, results_path
from .runner import FarmError, farm_dir, run_dir, run_state, write_json
from .runs import FarmRun, farm_scale

#: Ticks every run trains in the sprint's probe (the speed is the last one's).
PROBE_TICKS = 3
#: The part of the sprint's time kept for evaluation and shipping.
DEFAULT_EVAL_SHARE = 0.3
#: The share of the remaining training time the common length is sized to.
SAFETY = 0.9
PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def split_runs(runs: list[FarmRun], workers: int) -> list[list[FarmRun]]:
    """Worker k's runs: k, k + N, k + 2N, … (empty shares dropped)."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    return [share for share in (runs[k::workers] for k in range(workers)) if share]


def worker_command(action: str, share: list[FarmRun], out, device: str, threads: int, extra=()) -> list[str]:
    """The command line of one worker: the farm's own CLI, on its share of the runs (with enough
    ``--seeds`` that its registry holds every run it is named)."""
    return [sys.executable, "-m", "stylegan_lib", "farm", action, "--scale", share[0].scale, "--out", str(out),
            "--only", ",".join(r.name for r in share), "--seeds", str(max(r.seed for r in share) + 1),
            "--device", device, "--threads", str(threads), "--no-progress", *map(str, extra)]


def run_workers(action: str, runs: list[FarmRun], out, workers: int, device: str = "auto", extra=(),
                parts: bool = False, deadline: float | None = None, log=print) -> list[int]:
    """Run ``farm ACTION`` in ``workers`` processes at once, each on its share of ``runs``, and
    wait for all. ``parts``: each worker writes ``results-part-k.json`` (``--part k``; old part
    files are removed first). ``deadline`` (a ``time.time()``): workers still running then are
    stopped. Returns their exit codes (a worker stopped by a signal: minus the signal)."""
    shares = split_runs(runs, workers)
    folder = farm_dir(out, runs[0].scale) / "workers"
    folder.mkdir(parents=True, exist_ok=True)
    if parts:
        for old in farm_dir(out, runs[0].scale).glob("results-part-*.json"):
            old.unlink()
    threads = max(1, (os.cpu_count() or 1) // len(shares))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (str(PACKAGE_ROOT), os.environ.get("PYTHONPATH"))
                                                       if p)}
    procs, codes = [], []
    # A SIGTERM to this process (``kill``, ``timeout``) becomes SystemExit, so that ``finally`` runs.
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _exit_on_signal) if in_main else None
    try:
        for k, share in enumerate(shares):
            cmd = worker_command(action, share, out, device, threads, [*extra, *(("--part", k) if parts else ())])
            logfile = open(folder / f"{action}-{k}.log", "a")
            procs.append((logfile, None))
            logfile.write(f"$ {' '.join(cmd)}\n")
            logfile.flush()
            procs[-1] = (logfile, subprocess.Popen(cmd, stdout=logfile, stderr=subprocess.STDOUT, env=env))
            log(f"worker {k}: {action} {', '.join(r.name for r in share)} ({threads} threads)")
        for k, (logfile, proc) in enumerate(procs):
            try:
                codes.append(proc.wait(None if deadline is None else max(0.0, deadline - time.time())))
            except subprocess.TimeoutExpired:
                proc.terminate()
                codes.append(proc.wait())
                log(f"worker {k} ({action}) was still running at its deadline and was stopped")
            if codes[-1] != 0:
                log(f"worker {k} ({action}) exited with {codes[-1]}: see {folder / f'{action}-{k}.log'}")
    finally:  # interrupted (Ctrl-C, a signal): no worker outlives the farm command
        if in_main:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)   # a second signal must not cut the clean-up short
        running = [proc for _, proc in procs if proc is not None and proc.poll() is None]
        for proc in running:
            proc.terminate()
        for proc in running:
            proc.wait()
        for logfile, _ in procs:
            logfile.close()
        if in_main:
            signal.signal(signal.SIGTERM, previous)
    return codes


def exit_code(codes: list[int]) -> int:
    """0 when every worker succeeded, else 1."""
    return 0 if all(c == 0 for c in codes) else 1


def _exit_on_signal(signum, frame):
    raise SystemExit(128 + signum)


# ------------------------------------------------------------------------------------------
# Results written in parts.
# ------------------------------------------------------------------------------------------
def unevaluated(runs: list[FarmRun], out, kimg: float | None = None) -> list[FarmRun]:
    """The runs that ``results.json`` has no entry for at the kimg of their checkpoint."""
    path = results_path(out, runs[0].scale) if runs else None
    have = load_results(path)["runs"] if path is not None and path.is_file() else {}
    return [r for r in runs if not (r.name in have and math.isclose(have[r.name]["kimg"], run_state(r, out, kimg).kimg))]


def merge_results(out, scale: str, fresh: bool = False) -> Path:
    """Merge ``results-part-*.json`` into ``results.json``: its runs are kept (unless ``fresh``)
    and a part's entry for the same run replaces them. The parts must agree with it on
    everything but their runs; they are removed once merged."""
    parts = sorted(farm_dir(out, scale).glob("results-part-*.json"))
    target = results_path(out, scale)
    docs = [load_results(p) for p in parts]
    if not docs:
        raise FarmError(f"no results-part-*.json in {farm_dir(out, scale)} to merge")
    if target.is_file() and not fresh:
        merged = load_results(target)
    else:
        merged = {k: v for k, v in docs[0].items() if k != "runs"}
    merged.setdefault("runs", {})
    for path, doc in zip(parts, docs):
        differ = [k for k in doc if k not in ("runs", "updated") and k in merged and merged[k] != doc[k]]
        if differ:
            raise FarmError(f"{path} was made with other {', '.join(differ)} than {target}; "
                            "evaluate every part with the same settings")
        merged["runs"].update(doc["runs"])
    merged["format"] = FORMAT
    merged["updated"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    write_json(target, merged)
    for p in parts:
        p.unlink()
    return target


# ------------------------------------------------------------------------------------------
# The sprint.
# ------------------------------------------------------------------------------------------
def probe_ticks(run: FarmRun) -> int:
    """Ticks the probe trains: :data:`PROBE_TICKS`, or enough for one tick to hold the start-up
    and the others a whole lazy-R1 cycle, whose regularisation steps are the slow ones (the
    book's ticks hold many cycles; the tests' tiny ticks hold two steps)."""
    opts = run.options(device="cpu")
    steps_per_tick = opts.tick_kimg * 1000 / opts.make_schedule().minibatch_default
    return max(PROBE_TICKS, 1 + math.ceil(opts.r1_interval / steps_per_tick))


def probe_speed(run: FarmRun, out, since_kimg: float = 0.0) -> float | None:
    """Images/s of the run over its ticks logged beyond ``since_kimg`` (where the probe started),
    after the first of them (which holds the start-up): images over seconds, so that the slow
    regularisation steps count at their share. The first tick's own speed when it is the only
    one; None before any."""
    path = run_dir(out, run) / "log.jsonl"
    ticks = [e for e in read_log(path) if e.get("images_per_s") and e["kimg"] > since_kimg + 1e-9] \
        if path.is_file() else []
    if not ticks:
        return None
    if len(ticks) == 1:
        return float(ticks[0]["images_per_s"])
    images = [1000 * (b["kimg"] - a["kimg"]) for a, b in zip(ticks, ticks[1:])]
    seconds = sum(n / float(b["images_per_s"]) for n, b in zip(images, ticks[1:]))
    return sum(images) / seconds


def common_kimg(shares: list[list[FarmRun]], kimg_now: dict[str, float], speeds: dict[str, float],
                seconds: float, tick_kimg: float) -> float:
    """The largest K, a whole number of ticks, that every worker reaches within ``seconds``
    training its runs one after the other from ``kimg_now`` at ``speeds`` (the formula of the
    module docstring). Never below the furthest run's current kimg rounded up to a tick."""
    bounds = []
    for share in shares:
        inv = sum(1.0 / speeds[r.name] for r in share)
        bounds.append((seconds / 1000.0 + sum(kimg_now[r.name] / speeds[r.name] for r in share)) / inv)
    k = math.floor(min(bounds) / tick_kimg + 1e-9) * tick_kimg
    floor = math.ceil(max(kimg_now.values()) / tick_kimg - 1e-9) * tick_kimg
    return round(max(k, floor), 6)


def sprint(runs: list[FarmRun], out, minutes: float, workers: int, device: str = "auto",
           eval_share: float = DEFAULT_EVAL_SHARE, dest=None, log=print) -> dict:
    """Probe, size, train, evaluate and ship ``runs`` within ``minutes`` of wall time (module
    docstring). Writes and returns ``OUT/<scale>/sprint.json``."""
    from .ship import DEFAULT_DEST, ship_farm

    t0 = time.time()
    scale = runs[0].scale
    fs = farm_scale(scale)
    if fs.growth_kimg() > 0:
        raise FarmError(f"the sprint sizes its runs from the speed of a short probe, which holds only for runs "
                        f"that train at one resolution throughout (the ladder); {scale}'s runs grow, and their "
                        "later resolutions are slower. Train them with `farm train --workers N --stop-at HH:MM` "
                        "instead")
    tick = float(fs.options["tick_kimg"])
    train_end = t0 + minutes * 60 * (1 - eval_share)
    report = {"scale": scale, "runs": [r.name for r in runs], "workers": workers, "device": device,
              "minutes": minutes, "eval_share": eval_share, "started": time.strftime("%Y-%m-%dT%H:%M:%SZ")}
    path = farm_dir(out, scale) / "sprint.json"

    def stage(name: str, **data):
        report[name] = {**data, "at_s": round(time.time() - t0, 1)}
        write_json(path, report)
        log(f"sprint {name}: {json.dumps(data)}")

    # 1. Probe: every run to a few ticks beyond the furthest one, under full contention.
    shares = split_runs(runs, workers)
    kimg_before = {r.name: run_state(r, out, 0.0).kimg for r in runs}
    probe_kimg = max(kimg_before.values()) + max(probe_ticks(r) for r in runs) * tick
    t_probe = time.time()
    codes = run_workers("train", runs, out, workers, device, ["--kimg", probe_kimg, "--stop-by", train_end],
                        deadline=train_end + 60, log=log)
    probe_s = time.time() - t_probe
    speeds = {r.name: probe_speed(r, out, kimg_before[r.name]) for r in runs}
    kimg_now = {r.name: run_state(r, out, 0.0).kimg for r in runs}
    if any(v is None for v in speeds.values()):
        stage("probe", kimg=probe_kimg, exit_codes=codes, images_per_s=speeds, kimg_now=kimg_now)
        raise FarmError("the probe left runs without a measured speed: see the workers' logs in "
                        f"{farm_dir(out, scale) / 'workers'}")
    # The probe's wall time beyond its training at those speeds (the busiest worker's): start-up
    # (imports, device, data), slow first ticks, checkpoints. Charged again to the training.
    overhead = max(0.0, probe_s - max(sum(1000 * (kimg_now[r.name] - kimg_before[r.name]) / speeds[r.name]
                                          for r in share) for share in shares))
    stage("probe", kimg=probe_kimg, exit_codes=codes, images_per_s=speeds, kimg_now=kimg_now,
          seconds=round(probe_s, 1), overhead_s=round(overhead, 1))

    # 2–3. One common length (less the overhead, with a tenth to spare), then train to it.
    k = common_kimg(shares, kimg_now, speeds, SAFETY * (train_end - time.time() - overhead), tick)
    codes = run_workers("train", runs, out, workers, device, ["--kimg", k, "--stop-by", train_end],
                        deadline=train_end + 60, log=log)
    states = {r.name: run_state(r, out, k).state for r in runs}
    stage("train", kimg=k, exit_codes=codes, states=states)
    done = [r for r in runs if states[r.name] == "done"]
    if not done:
        raise FarmError(f"no run reached the common length of {k:g} kimg in time: see {path}")

    # 4. Ship first (seconds, and what matters most), replacing what an earlier sprint shipped.
    shipped = ship_farm(done, out, dest, kimg=k, force=True, quality_num=0, log=log)
    stage("ship", shipped=[m["name"] for m in shipped])

    # 5. Evaluate the done runs in parts until the end of the sprint, then merge.
    codes = run_workers("evaluate", done, out, workers, device, ["--kimg", k], parts=True,
                        deadline=t0 + minutes * 60 - 5, log=log)
    try:
        merged = merge_results(out, scale)
        shutil.copyfile(merged, Path(DEFAULT_DEST if dest is None else dest) / scale / "results.json")
        stage("evaluate", exit_codes=codes, results=str(merged),
              evaluated=sorted(load_results(merged)["runs"]))
    except FarmError as e:
        stage("evaluate", exit_codes=codes, error=str(e))
    report["seconds"] = round(time.time() - t0, 1)
    write_json(path, report)
    return report


__all__ = ["split_runs", "worker_command", "run_workers", "unevaluated", "merge_results", "probe_speed",
           "common_kimg", "sprint", "PROBE_TICKS", "DEFAULT_EVAL_SHARE", "exit_code"]
