"""Ship the farm's finished runs with the package: ``stylegan_lib/pretrained/farm/<scale>/``
holds, per run, ``farm-<scale>-<run>.pt`` (G_ema stored in fp16) and its provenance JSON, log,
samples and progress strip (:func:`stylegan_lib.train.ship.ship_run`), and the farm's
``results.json`` beside them, so that the chapters can draw the tables without training.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from ..train.ship import PRETRAINED, ship_run
from .results import results_path
from .runner import FarmError, run_dir, run_state
from .runs import FarmRun, farm_scale

DEFAULT_DEST = PRETRAINED / "farm"


def shipped_name(run: FarmRun) -> str:
    return f"farm-{run.scale}-{run.name}"


def ship_farm(runs: list[FarmRun], out: str | os.PathLike, dest: str | os.PathLike | None = None,
              kimg: float | None = None, force: bool = False, quality_num: int = 2000,
              quality_ppl_num: int = 500, log=print) -> list[dict]:
    """Ship every done run of ``runs`` into ``dest/<scale>`` (default the package's
    ``pretrained/farm``), and copy the results file there. Existing shipped files are kept
    unless ``force``. Returns the provenance dicts of the shipped runs."""
    if not runs:
        raise FarmError("no runs to ship")
    scale = runs[0].scale
    target = Path(DEFAULT_DEST if dest is None else dest) / scale
    shipped = []
    for run in runs:
        state = run_state(run, out, kimg)
        if state.state != "done":
            log(f"{run.name}: {state.state} ({state.kimg:g} of {state.target_kimg:g} kimg), not shipped")
            continue
        name = shipped_name(run)
        if (target / f"{name}.pt").exists() and not force:
            log(f"{run.name}: {target / name}.pt exists, kept (pass --force to replace it)")
            continue
        meta = ship_run(run_dir(out, run), name=name, dest=target, quality_num=quality_num,
                        quality_ppl_num=quality_ppl_num,
                        notes=f"farm run {run.name}: {', '.join(run.variants)} at {scale}, seed {run.seed}")
        shipped.append(meta)
        log(f"{run.name}: shipped {target / name}.pt ({meta['size_bytes'] / 1e6:.1f} MB)")
    results = results_path(out, scale)
    if results.is_file():
        copy = target / "results.json"
        if copy.exists() and not force:
            log(f"{copy} exists, kept (pass --force to replace it)")
        else:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(results, copy)
            log(f"results copied to {copy}")
    return shipped


def shipped_results(scale: str, dest: str | os.PathLike | None = None) -> dict:
    """The results file shipped with a farm scale's models (what the chapters draw the tables from)."""
    from .results import load_results

    path = Path(DEFAULT_DEST if dest is None else dest) / scale / "results.json"
    if not path.is_file():
        raise FileNotFoundError(f"no shipped results for the farm scale {scale!r} ({path}); train, evaluate and "
                                f"ship it: python -m stylegan_lib farm train|evaluate|ship --scale {scale}")
    return load_results(path)


def _shipped_file(run: FarmRun, dest, suffix: str) -> Path:
    path = Path(DEFAULT_DEST if dest is None else dest) / run.scale / f"{shipped_name(run)}{suffix}"
    if not path.is_file():
        raise FileNotFoundError(f"{run.name} of the farm scale {run.scale!r} is not shipped ({path}); "
                                f"python -m stylegan_lib farm ship --scale {run.scale} --only {run.name}")
    return path


def load_shipped_run(run: FarmRun, dest: str | os.PathLike | None = None, device="auto"):
    """The shipped G_ema of a farm run, ready for inference (``pretrained.load_pretrained``)."""
    from ..pretrained import load_pretrained

    return load_pretrained(str(_shipped_file(run, dest, ".pt")), device=device)


def shipped_provenance(run: FarmRun, dest: str | os.PathLike | None = None) -> dict:
    """How a shipped farm run was made: command, commit, device, seed, kimg, wall time."""
    import json

    return json.loads(_shipped_file(run, dest, ".json").read_text())


def load_shipped_farm(scale: str, dest: str | os.PathLike | None = None) -> dict:
    """:func:`shipped_results`, checked for what a chapter needs: every run of the registry at
    ``scale`` evaluated, and all of them at one kimg (rows compare only at equal length)."""
    from .runs import farm_runs

    doc = shipped_results(scale, dest)
    missing = [r.name for r in farm_runs(scale) if r.name not in doc["runs"]]
    if missing:
        raise FarmError(f"the shipped results of the farm {scale} lack {', '.join(missing)}: train and evaluate "
                        f"them (python -m stylegan_lib farm train|evaluate --scale {scale}), then ship")
    kimgs = sorted({round(float(e["kimg"]), 3) for e in doc["runs"].values()})
    if len(kimgs) > 1:
        raise FarmError(f"the farm {scale}'s runs stopped at different lengths ({', '.join(map(str, kimgs))} kimg); "
                        f"its rows compare only at one: resume the short ones (farm train --scale {scale}), "
                        "evaluate and ship again")
    return doc


def provenance_table(runs: list[FarmRun], dest: str | os.PathLike | None = None) -> tuple[str, float]:
    """A Markdown table of how the shipped ``runs`` were made — kimg, wall time, device, commit
    and, where the run was shipped with a quality check, its FD against the FD between two sets
    of real images (the floor at that count) — and the total training time in seconds."""
    lines = ["| run | stands for | kimg | wall time | device | commit | FD (real vs real) |",
             "|---|---|---|---|---|---|---|"]
    total = 0.0
    for run in runs:
        meta = shipped_provenance(run, dest)
        total += meta["wall_time_s"]
        q = meta.get("quality") or {}
        fd = f"{q['fd']:.1f} ({q['fd_real_real']:.1f})" if "fd" in q else "—"
        lines.append(f"| {run.name} | {'; '.join(row.key for row in run.rows)} | {meta['kimg']:g} | "
                     f"{meta['wall_time_s'] / 60:.1f} min | {meta['device']} ({meta.get('cpu') or '?'}, "
                     f"{meta.get('torch_threads')} threads) | {(meta.get('git_commit') or '—')[:7]} | {fd} |")
    return "\n".join(lines), total


def row_models(scale: str, table_name: str, dest: str | os.PathLike | None = None, seed: int = 0,
               device="auto") -> dict:
    """Table ``table_name``'s rows → (the shipped generator of the run that stands for the row,
    with ``seed``; the row's latent space "z" or "w"): what the chapters walk and compare. Rows
    that share a run share one loaded generator."""
    from .runs import farm_runs

    runs = [r for r in farm_runs(scale) if r.seed == seed]
    loaded, models = {}, {}
    for run in runs:
        for row in run.rows:
            if row.table == table_name:
                if run.name not in loaded:
                    loaded[run.name] = load_shipped_run(run, dest, device)
                models[row.label] = (loaded[run.name], row.space)
    if not models:
        raise ValueError(f"the farm scale {scale!r} has no seed-{seed} run for a row of {table_name!r}")
    order = [r.label for r in farm_scale(scale).rows if r.table == table_name]
    return {label: models[label] for label in order if label in models}


__all__ = ["DEFAULT_DEST", "shipped_name", "ship_farm", "shipped_results", "load_shipped_farm", "load_shipped_run",
           "shipped_provenance", "provenance_table", "row_models"]
