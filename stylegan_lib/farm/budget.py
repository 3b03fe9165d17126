"""How long the farm takes here: measured images/s of every run's configuration at every
resolution of the farm's schedule, and the wall time of the whole farm for a given ``kimg``.

The time of one run is the sum over the schedule's phases of thousands of images over measured
speed (:func:`stylegan_lib.farm.runner.phase_seconds`); the farm's is the sum over its runs (one
after the other), plus the measured time of evaluating one run times the number of runs (and of
the mixed-latent FDs times the number of Table 2's runs). Figure 9's runs also measure FD and
PPL while they train, at every multiple of ``metrics_kimg`` once the last resolution has faded
in and at their end: the measured time of one such measurement times their number
(:func:`figure9_points`) joins the training time. Past the growth phase a run costs the same per
kimg, so the kimg that fits a budget of T seconds is

    kimg_fit = kimg_0 + (T − t(kimg_0)) / (dt/dkimg),   kimg_0 = growth_kimg.
"""
from __future__ import annotations

import math
import os
import time

import torch

from ..generations import build_generator
from ..provenance import cpu_model, git_commit
from ..train.bench import train_speed
from .runner import farm_dir, phase_seconds, write_json
from .runs import FarmRun, farm_scale


def schedule_resolutions(run: FarmRun) -> list[int]:
    """The resolutions the run trains at (start resolution … final)."""
    sched = run.options().make_schedule()
    return sorted({int(p["resolution"]) for p in sched.phases(farm_scale(run.scale).growth_kimg() + 1)})


def measure_speeds(runs: list[FarmRun], device: str = "cpu", cycles: int = 1, log=print) -> dict[str, dict[int, float]]:
    """Images/s of training each configuration of ``runs`` (one per shared configuration, not per
    seed) at each resolution of the schedule: ``train.bench.train_speed`` over ``cycles`` R1
    cycles after a warm-up cycle, with the farm's batch and lazy R1 interval."""
    speeds: dict[str, dict[int, float]] = {}
    for run in runs:
        if run.variant in speeds:
            continue
        opts = run.options(device=device)
        batch = opts.schedule.get("minibatch_default", 32)
        speeds[run.variant] = {}
        for res in schedule_resolutions(run):
            ips = train_speed(run.preset, res, cycles=cycles, batch=batch, r1_interval=opts.r1_interval,
                              device=device)
            speeds[run.variant][res] = round(ips, 1)
            log(f"{run.variant:16s} {res:4d}²  {ips:8.1f} images/s")
    return speeds


def measure_evaluation(runs: list[FarmRun], device: str = "cpu", log=print) -> dict[str, float]:
    """Seconds to evaluate at the scale's counts (untrained generators): ``base``, the metrics
    every run gets (on the first run's configuration), and ``mixed``, the mixed-latent FDs that
    Table 2's runs add (on the first such run's; 0 when ``runs`` has none)."""
    from ..metrics.evaluate import compute_metrics
    from .results import MIXED_LATENTS, STUDY_METRICS, MixedLatentGenerator

    fs = farm_scale(runs[0].scale)
    torch.manual_seed(0)
    # The ladder's last rung, R, is its slowest to run (training.md §9), and rung A has no EQ to time.
    timed = runs[-1] if fs.study == "ladder" else runs[0]
    G = build_generator(timed.config).eval().requires_grad_(False)
    t0 = time.time()
    compute_metrics(G, STUDY_METRICS[fs.study], counts=fs.counts, device=device, ppl_distance="classifier",
                    progress=False)
    out = {"base": time.time() - t0, "mixed": 0.0, "figure9": 0.0}
    log(f"evaluating one run ({timed.variant}, counts {fs.counts}): {out['base']:.0f} s")
    tracked = next((r for r in runs if r.figure9), None)
    if tracked is not None:   # what the trainer's snapshot_metrics measures, at its counts
        opts = tracked.options(device=device)
        G = build_generator(tracked.config).eval().requires_grad_(False)
        t0 = time.time()
        compute_metrics(G, ["fd", "ppl_wend"], counts={"fd": opts.metrics_num, "ppl": opts.metrics_ppl_num},
                        device=device, ppl_distance="classifier", progress=False)
        out["figure9"] = time.time() - t0
        log(f"FD and PPL during training of a Figure 9 run ({tracked.variant}, {opts.metrics_num} images, "
            f"{opts.metrics_ppl_num} pairs): {out['figure9']:.0f} s each time")
    mixing = next((r for r in runs if "table2" in r.tables), None)
    if mixing is not None:
        G = build_generator(mixing.config).eval().requires_grad_(False)
        t0 = time.time()
        for k in MIXED_LATENTS:
            compute_metrics(MixedLatentGenerator(G, k), ["fd"], counts={"fd": fs.mix_counts}, device=device,
                            progress=False)
        out["mixed"] = time.time() - t0
        log(f"mixed-latent FDs of a Table 2 run ({mixing.variant}, {fs.mix_counts} images each): "
            f"{out['mixed']:.0f} s")
    return out


def figure9_points(run: FarmRun, kimg: float) -> int:
    """How often a run measures FD and PPL while it trains to ``kimg``: at every multiple of
    ``metrics_kimg`` past the growth phase and at its end (0 for runs that are not Figure 9's)."""
    m, g = farm_scale(run.scale).figure9_metrics_kimg, farm_scale(run.scale).growth_kimg()
    if not run.figure9 or m <= 0 or kimg < g:
        return 0
    # the multiples of m in [g, kimg], plus the end when it is not one of them
    return math.floor(kimg / m + 1e-9) - math.ceil(g / m - 1e-9) + 1 + (0 if math.isclose(kimg / m, round(kimg / m)) else 1)


def farm_seconds(runs: list[FarmRun], speeds: dict[str, dict[int, float]], kimg: float) -> float:
    """Training seconds of every run from 0 to ``kimg``, one after the other."""
    return sum(phase_seconds(r, 0.0, kimg, {int(k): v for k, v in speeds[r.variant].items()}) for r in runs)


def kimg_that_fits(runs: list[FarmRun], speeds: dict, seconds: float) -> float | None:
    """The largest kimg whose training fits ``seconds`` (the formula of the module docstring);
    None when even the growth phase does not fit."""
    k0 = farm_scale(runs[0].scale).growth_kimg()
    t0 = farm_seconds(runs, speeds, k0)
    if t0 > seconds:
        return None
    rate = farm_seconds(runs, speeds, k0 + 1.0) - t0
    return k0 + (seconds - t0) / rate


def budget(runs: list[FarmRun], out: str | os.PathLike, kimg: float | None = None, hours: float = 5.0,
           device: str = "cpu", cycles: int = 1, evaluation: bool = True, log=print) -> dict:
    """Measure, estimate and write ``OUT/<scale>/budget.json`` (which ``farm status`` reads)."""
    fs = farm_scale(runs[0].scale)
    kimg = float(fs.kimg if kimg is None else kimg)
    t0 = time.time()
    speeds = measure_speeds(runs, device, cycles, log)
    ev = measure_evaluation(runs, device, log) if evaluation else {"base": 0.0, "mixed": 0.0, "figure9": 0.0}
    eval_s = ev["base"] * len(runs) + ev["mixed"] * sum("table2" in r.tables for r in runs)
    figure9_s = ev["figure9"] * sum(figure9_points(r, kimg) for r in runs)
    train_s = farm_seconds(runs, speeds, kimg) + figure9_s
    total_s = train_s + eval_s
    fit = kimg_that_fits(runs, speeds, hours * 3600 - eval_s - figure9_s)   # the Figure 9 part taken as fixed
    report = {
        "scale": fs.scale, "kimg": kimg, "runs": len(runs), "device": device, "cpu": cpu_model(),
        "torch_threads": torch.get_num_threads(), "git_commit": git_commit(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cycles": cycles,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "speeds": speeds, "eval_seconds_per_run": round(ev["base"], 1),
        "eval_seconds_mixed_per_table2_run": round(ev["mixed"], 1), "eval_seconds": round(eval_s),
        "figure9_seconds_per_point": round(ev["figure9"], 1), "figure9_seconds": round(figure9_s),
        "train_seconds": round(train_s), "total_seconds": round(total_s), "total_hours": round(total_s / 3600, 2),
        "hours": hours, "kimg_that_fits": None if fit is None else round(fit, 1),
        "measured_in_s": round(time.time() - t0, 1),
    }
    write_json(farm_dir(out, fs.scale) / "budget.json", report)
    return report


def format_budget(report: dict) -> str:
    fit = report["kimg_that_fits"]
    return "\n".join([
        f"{report['runs']} runs of {report['scale']} at {report['kimg']:g} kimg on {report['device']} "
        f"({report['cpu']}, {report['torch_threads']} threads, load average {report['load_average']}):",
        f"  training   {report['train_seconds'] / 3600:.2f} h ({report['train_seconds'] / 60:.0f} min), of which "
        f"{report.get('figure9_seconds', 0) / 60:.0f} min FD and PPL during Figure 9's runs "
        f"({report.get('figure9_seconds_per_point', 0):.0f} s each time)",
        f"  evaluation {report['eval_seconds_per_run']:.0f} s per run, + {report['eval_seconds_mixed_per_table2_run']:.0f} s "
        f"per Table 2 run ({report['eval_seconds'] / 60:.0f} min in all)",
        f"  total      {report['total_hours']:.2f} h",
        f"  within {report['hours']:g} h: " + ("not even the growth phase fits" if fit is None
                                               else f"up to {fit:g} kimg per run"),
    ])


__all__ = ["schedule_resolutions", "measure_speeds", "measure_evaluation", "figure9_points", "farm_seconds", "kimg_that_fits",
           "budget", "format_budget"]
