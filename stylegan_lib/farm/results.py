"""Evaluate the farm's finished runs at fixed sample counts into one results file, and read the
paper's tables out of it.

``OUT/<scale>/results.json`` holds one entry per run: the metrics of
:func:`stylegan_lib.metrics.evaluate.compute_metrics` under their own names (``fd``, ``kd``,
``ppl_zfull``, ``ppl_zend``, ``ppl_wfull``, ``ppl_wend``, ``ls``, ``gt``), each with its detector,
distance or classifier (the *metric versions*), the counts, the checkpoint's kimg, and for the
runs of Table 2 the FD of images whose styles come from 2, 3 and 4 latents (``fd_mix2`` …).
Figure 9's curves (FD and PPL against kimg) come from the training logs: the trainer keeps only
its latest checkpoint, but logs ``fd`` / ``ppl_wend`` every ``metrics_kimg`` for those runs.

FD is biased upwards at small counts, so the file refuses entries made at other counts than its
own (``--force`` re-evaluates every run at the new ones).

A ladder farm (StyleGAN3's configurations) measures :data:`LADDER_METRICS` instead: no Z-space
numbers (the question is W's entanglement) but EQ-T and EQ-R, which rung A, StyleGAN2, records
as not applicable.
"""
from __future__ import annotations

import math
import os
import statistics
import time
from pathlib import Path
from typing import Any

import torch

from ..checkpoint import load_generator
from ..latent import LATENT_STREAM, latent_generator, multi_latent_ws
from ..metrics.evaluate import compute_metrics
from ..provenance import git_commit
from ..train.loop import read_log
from .runner import FarmError, farm_dir, run_dir, run_state, write_json
from .runs import STUDY_ROWS, STUDY_TABLES, TABLE_COLUMNS, FarmRun, Row, farm_scale

FORMAT = "stylegan_lib-farm-results-1"
#: What ``farm evaluate`` measures (Inception's fid / kid join when a detector file is given).
EVAL_METRICS = ("fd", "kd", "ppl_zfull", "ppl_zend", "ppl_wfull", "ppl_wend", "ls", "gt")
#: What ``farm evaluate`` measures on a ladder's rungs.
LADDER_METRICS = ("fd", "kd", "ppl_wfull", "ppl_wend", "ls", "gt", "eq_t", "eq_t_frac", "eq_r")
STUDY_METRICS = {"paper": EVAL_METRICS, "ladder": LADDER_METRICS}
#: Every row of every study, for the tables.
ALL_ROWS: tuple[Row, ...] = tuple(r for rows in STUDY_ROWS.values() for r in rows)
ALL_TABLES: tuple[str, ...] = tuple(t for tables in STUDY_TABLES.values() for t in tables)
#: The ground-truth column of Tables 3 and 4 and the score of :mod:`..metrics.ground_truth` behind it
#: (informativeness only: DCI's D, C and MIG score axis alignment, which neither Z nor W need have).
GROUND_TRUTH_COLUMNS = {"gt_i": "informativeness", "gt_d": "disentanglement", "gt_c": "completeness",
                        "gt_mig": "mig"}
#: Numbers of latents mixed at test time for Table 2 (1 is the plain ``fd``).
MIXED_LATENTS = (2, 3, 4)


def results_path(out: str | os.PathLike, scale: str, part: int | None = None) -> Path:
    """``OUT/<scale>/results.json``, or part ``k`` of it written by a worker (:mod:`.parallel`)."""
    return farm_dir(out, scale) / ("results.json" if part is None else f"results-part-{part}.json")


# ------------------------------------------------------------------------------------------
# Table 2: images whose styles come from several latents.
# ------------------------------------------------------------------------------------------
class MixedLatentGenerator(torch.nn.Module):
    """``G`` drawing every image from ``k`` latents (Table 2, :func:`..latent.multi_latent_ws`):
    k − 1 distinct crossover points per image. Quacks like a generator for ``compute_metrics``."""

    def __init__(self, G, k: int, seed: int = 0):
        super().__init__()
        if not 1 <= k <= G.num_ws:
            raise ValueError(f"cannot mix {k} latents into {G.num_ws} style inputs")
        self.G, self.k = G, k
        self.gen = latent_generator(seed)
        self.z_dim, self.img_resolution, self.num_ws = G.z_dim, G.img_resolution, G.num_ws
        self.config = G.config

    @property
    def device(self):
        return self.G.device

    @property
    def synthesis(self):
        return self.G.synthesis

    def forward(self, z, c=None, truncation_psi: float = 1.0, noise_mode: str = "random", noise=None):
        if truncation_psi != 1:
            raise ValueError("mixed-latent FD is measured without truncation (ψ = 1)")
        return self.G.synthesis(multi_latent_ws(self.G, z, self.k, self.gen), noise_mode=noise_mode, noise=noise)


# ------------------------------------------------------------------------------------------
# Evaluating runs.
# ------------------------------------------------------------------------------------------
def figure9_curve(folder: Path) -> list[dict]:
    """The log's FD / PPL entries of a run (Figure 9), as [{"kimg", "fd", "ppl_wend", …}]."""
    path = folder / "log.jsonl"
    if not path.is_file():
        return []
    keep = ("kimg", "fd", "ppl_wend", "metrics_num", "metrics_ppl_num", "resolution")
    return [{k: e[k] for k in keep if k in e} for e in read_log(path) if "fd" in e]


def metric_versions(results: dict[str, Any]) -> dict[str, Any]:
    """The detector, distance, classifier or reader behind each metric of a ``compute_metrics`` result."""
    out = {}
    for name, r in results.items():
        for key in ("detector", "distance", "classifier", "reader"):
            if isinstance(r, dict) and key in r:
                out[name] = r[key]
    return out


def evaluate_run(run: FarmRun, out: str | os.PathLike, counts: dict[str, int], mix_count: int,
                 metrics=EVAL_METRICS, device="auto", seed: int = 0, ppl_distance: str = "classifier",
                 inception: str | None = None, progress: bool = True) -> dict:
    """The results entry of one run: ``compute_metrics`` of its G_ema at ``counts``, FD of mixed
    latents for Table 2's runs, its Figure 9 curve, the checkpoint's kimg and the versions."""
    folder = run_dir(out, run)
    t0 = time.time()
    state = run_state(run, out, 0.0)
    G = load_generator(folder / "checkpoint.pt", device=device, which="G_ema")
    if G.config != run.config:
        differ = [k for k, v in run.config.to_dict().items() if G.config.to_dict().get(k) != v]
        raise FarmError(f"{folder} holds a model of another configuration than the registry's {run.name} "
                        f"(differing: {', '.join(differ)}), e.g. trained before the preset changed; move the "
                        "folder away and train the run again")
    data = farm_scale(run.scale).data      # FD against the images the runs were trained on
    res = compute_metrics(G, metrics, counts=counts, data=data, device=device, seed=seed,
                          ppl_distance=ppl_distance, inception=inception, progress=progress)["results"]
    if "table2" in run.tables:
        for k in MIXED_LATENTS:
            mixed = MixedLatentGenerator(G, k, seed=seed + k)
            r = compute_metrics(mixed, ["fd"], counts={"fd": mix_count}, data=data, device=device, seed=seed,
                                progress=progress)["results"]["fd"]
            res[f"fd_mix{k}"] = {**r, "metric": f"fd_mix{k}", "latents": k}
    return {"run": run.name, "variants": list(run.variants), "seed": run.seed, "rows": [r.key for r in run.rows],
            "kimg": state.kimg, "wall_time_s": round(state.wall_s, 1),
            "counts": dict(counts), "mix_count": mix_count, "metric_versions": metric_versions(res),
            "results": res, "figure9": figure9_curve(folder), "eval_seed": seed,
            "evaluated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "git_commit": git_commit(),
            "seconds": round(time.time() - t0, 1)}


def load_results(path: str | os.PathLike) -> dict:
    import json

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no results file {path}; run `python -m stylegan_lib farm evaluate` first")
    obj = json.loads(path.read_text())
    if obj.get("format") != FORMAT:
        raise FarmError(f"{path} is not a farm results file (format {obj.get('format')!r}, expected {FORMAT!r})")
    return obj


def evaluate_farm(runs: list[FarmRun], out: str | os.PathLike, counts: dict[str, int] | None = None,
                  mix_count: int | None = None, kimg: float | None = None, force: bool = False,
                  metrics=None, device="auto", seed: int = 0, ppl_distance: str = "classifier",
                  inception: str | None = None, progress: bool = True, part: int | None = None,
                  log=print) -> dict:
    """Evaluate every done run of ``runs`` into ``OUT/<scale>/results.json`` (``part`` k:
    ``results-part-k.json``, for :mod:`.parallel`), written after each run (``metrics``
    default: the study's, :data:`STUDY_METRICS`). A run already there at the same checkpoint
    kimg is skipped; a file made at other counts or metrics is refused unless ``force``, which
    starts it afresh."""
    if not runs:
        raise FarmError("no runs to evaluate")
    scale = runs[0].scale
    fs = farm_scale(scale)
    counts = dict(fs.counts if counts is None else counts)
    mix_count = fs.mix_counts if mix_count is None else mix_count
    metrics = list(STUDY_METRICS[fs.study] if metrics is None else metrics) + (["fid", "kid"] if inception else [])
    head = {"format": FORMAT, "scale": scale, "counts": counts, "mix_count": mix_count, "metrics": metrics,
            "eval_seed": seed, "ppl_distance": ppl_distance, "data": fs.data,
            "latent_stream": LATENT_STREAM}   # results drawn with other latents are not comparable
    path = results_path(out, scale, part)
    if path.is_file() and not force:
        doc = load_results(path)
        differ = [k for k in head if doc.get(k) != head[k]]
        if differ:
            raise FarmError(f"{path} was made with other {', '.join(differ)} "
                            f"({', '.join(f'{k}={doc.get(k)!r}' for k in differ)}); numbers are only comparable "
                            "at one count: evaluate with its settings, or pass --force to re-evaluate every run")
    else:
        doc = {**head, "runs": {}}
    doc["growth_kimg"] = fs.growth_kimg()  # Figure 9's dashed line: the last resolution faded in
    doc["study"] = fs.study
    doc["rows"] = {r.key: {"table": r.table, "label": r.label, "variant": r.variant, "space": r.space,
                           "paper": r.paper} for r in fs.rows}
    for run in runs:
        state = run_state(run, out, kimg)
        if state.state != "done":
            log(f"{run.name}: {state.state} ({state.kimg:g} of {state.target_kimg:g} kimg), not evaluated")
            continue
        old = doc["runs"].get(run.name)
        if old is not None and math.isclose(old["kimg"], state.kimg):
            log(f"{run.name}: already evaluated at {state.kimg:g} kimg")
            continue
        log(f"{run.name}: evaluating {', '.join(metrics)} at {state.kimg:g} kimg")
        doc["runs"][run.name] = evaluate_run(run, out, counts, mix_count, metrics, device, seed, ppl_distance,
                                             inception, progress)
        doc["updated"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        write_json(path, doc)
    write_json(path, doc)
    return doc


# ------------------------------------------------------------------------------------------
# The tables.
# ------------------------------------------------------------------------------------------
def metric_value(entry: dict, column: str, space: str) -> float | None:
    """One column of a row from a run's entry: ``fd``, ``fd_mixK``, ``ppl_full`` / ``ppl_end``
    (in the row's space: ``ppl_{space}full``), ``ls`` (the score in the row's space),
    ``gt_i``, the ground truth's informativeness in the row's space (how linearly the known
    factors are encoded; the other ground-truth scores are in the results file), or ``eq_t`` /
    ``eq_t_frac`` / ``eq_r``. None where the entry has no number (not measured, or not applicable)."""
    res = entry["results"]
    if column in ("ppl_full", "ppl_end"):
        r = res.get(f"ppl_{space}{column[4:]}")
    elif column == "ls":
        r = res.get("ls", {}).get(space)
    elif column in GROUND_TRUTH_COLUMNS:
        gt = res.get("gt", {}).get(space)
        return None if gt is None else float(gt[GROUND_TRUTH_COLUMNS[column]])
    else:
        r = res.get(column)
    return None if r is None or r.get("value") is None else float(r["value"])


def row_values(doc: dict, row: Row, columns=None, space: str | None = None) -> dict[str, list[float]]:
    """Each column of ``row`` (default its table's) over the seeds of the run that stands for it
    (found by variant, so that rows added to the registry after a run was evaluated find it too),
    in the row's latent space or in ``space``."""
    entries = [e for e in doc["runs"].values() if row.variant in e["variants"]]
    out = {}
    for col in TABLE_COLUMNS[row.table] if columns is None else columns:
        values = [metric_value(e, col, space or row.space) for e in entries]
        out[col] = [v for v in values if v is not None]
    return out


def summarise(values: list[float]) -> dict[str, Any]:
    """Mean, sample standard deviation (None for one seed) and the number of seeds."""
    if not values:
        return {"mean": None, "std": None, "n": 0}
    return {"mean": statistics.fmean(values), "std": statistics.stdev(values) if len(values) > 1 else None,
            "n": len(values)}


def table(doc: dict, name: str, columns=None, space: str | None = None) -> list[dict]:
    """The rows of table ``name`` (``table1`` … ``table4``, ``ladder``, ``ladder_d``, ``ladder_a``): label,
    space, per column (default the table's; any of :func:`metric_value`'s, e.g. the ground
    truth's ``gt_d``, ``gt_c``, ``gt_mig``) our values (one per seed), their mean / std / n, and
    the paper's number. ``space``: read every row in that latent space instead of its own (the
    ladder's LS and ground truth in Z, for W's gain over Z; the paper's numbers are then left out)."""
    if name not in ALL_TABLES:
        raise ValueError(f"unknown table {name!r}; tables: {', '.join(ALL_TABLES)}")
    if space not in (None, "z", "w"):
        raise ValueError(f"space must be 'z' or 'w', got {space!r}")
    rows = []
    for row in (r for r in ALL_ROWS if r.table == name):
        vals = row_values(doc, row, columns, space)
        own = space in (None, row.space)
        rows.append({"label": row.label, "space": space or row.space, "variant": row.variant,
                     "ours": {c: summarise(v) for c, v in vals.items()}, "seeds": vals,
                     "paper": {c: row.paper.get(c) if own else None for c in vals}})
    return rows


def step_changes(rows: list[dict], column: str, alpha: float = 0.05, log_scale: bool = False) -> dict:
    r"""Between neighbouring rows of a table (the ladder's rungs, in order): the change Δ of the
    seed means of ``column`` and whether it stands out of the seed-to-seed noise. With
    :math:`s_p` the within-row standard deviation pooled over every row with two seeds or more
    (:math:`\nu = \sum_i (n_i - 1)` degrees of freedom), a step a → b stands out when

    .. math::  |\Delta| > t_{1-\alpha/2,\,\nu}\; s_p \sqrt{1/n_a + 1/n_b},

    a two-sided t-test at level α on the difference of two means. ``log_scale``: on the logarithm
    of the values (PPL, LS, whose spread grows with their size). Also ``beyond_ranges``: Δ clears
    the seed range of both rows (weaker: with two seeds it fires about one time in five by
    chance). Only neighbours that both have values form a step: a row without one drops the
    steps on either side of it (they are not bridged)."""
    import numpy as np
    from scipy import stats

    values = []
    for r in rows:
        v = np.asarray(r["seeds"][column], dtype=float)
        if log_scale and v.size:
            if (v <= 0).any():
                raise ValueError(f"log_scale needs positive values; {r['label']}'s {column} has {v.tolist()}")
            v = np.log(v)
        values.append(v)
    dof = int(sum(v.size - 1 for v in values if v.size >= 2))
    ss = float(sum(((v - v.mean()) ** 2).sum() for v in values if v.size >= 2))
    s_pooled = (ss / dof) ** 0.5 if dof else None
    t_crit = float(stats.t.ppf(1 - alpha / 2, dof)) if dof else None
    steps = []
    for (ra, va), (rb, vb) in zip(zip(rows, values), list(zip(rows, values))[1:]):
        if not va.size or not vb.size:
            continue
        delta = float(vb.mean() - va.mean())
        threshold = None if s_pooled is None else t_crit * s_pooled * (1 / va.size + 1 / vb.size) ** 0.5
        ranges = (va.max() - va.min(), vb.max() - vb.min())
        steps.append({"from": ra["label"], "to": rb["label"], "delta": delta, "threshold": threshold,
                      "beyond_noise": None if threshold is None else abs(delta) > threshold,
                      "beyond_ranges": bool(va.size > 1 and vb.size > 1 and abs(delta) > max(ranges))})
    return {"column": column, "log_scale": log_scale, "alpha": alpha, "s_pooled": s_pooled, "dof": dof,
            "t_crit": t_crit, "steps": steps}


def format_step_changes(changes: list[dict]) -> str:
    """A Markdown table of :func:`step_changes` results (one per column) side by side: per step,
    each column's change Δ (of the log for a ``log_scale`` column, i.e. about the relative change)
    marked ``**`` where it clears the t-test and ``†`` where it clears both rows' seed ranges
    (bold or not); a last line gives each column's pooled seed s.d. and its threshold for two
    2-seed rows."""
    if not changes:
        raise ValueError("no step changes to format: pass [step_changes(rows, column), ...]")
    heads = [c["column"] + (" (Δ log)" if c["log_scale"] else " (Δ)") for c in changes]
    lines = ["| step | " + " | ".join(heads) + " |", "|---|" + "---:|" * len(changes)]
    keys = list(dict.fromkeys((s["from"], s["to"]) for c in changes for s in c["steps"]))
    for a, b in keys:
        cells = []
        for c in changes:
            step = next((s for s in c["steps"] if (s["from"], s["to"]) == (a, b)), None)
            if step is None:
                cells.append("—")
                continue
            mark = "**" if step["beyond_noise"] else ""
            cells.append(f"{mark}{step['delta']:+.3g}{mark}" + (" †" if step["beyond_ranges"] else ""))
        lines.append(f"| {a.split()[0]} → {b.split()[0]} | " + " | ".join(cells) + " |")
    noise = []
    for c in changes:
        if c["s_pooled"] is None:
            noise.append("no two-seed row")
        else:
            noise.append(f"s = {c['s_pooled']:.3g}, threshold {c['t_crit'] * c['s_pooled']:.3g} (ν = {c['dof']})")
    lines.append("| seed noise | " + " | ".join(noise) + " |")
    return "\n".join(lines)


def format_table(doc: dict, name: str, columns=None) -> str:
    """A Markdown table: per column (default the table's; as for :func:`table`) our mean ± std
    (n seeds) and the paper's FFHQ number."""
    cols = TABLE_COLUMNS[name] if columns is None else tuple(columns)
    lines = [f"| {name} | " + " | ".join(f"{c} (ours) | {c} (paper)" for c in cols) + " |",
             "|---|" + "---|---|" * len(cols)]
    for r in table(doc, name, cols):
        cells = []
        for c in cols:
            s = r["ours"][c]
            ours = "—" if s["mean"] is None else (f"{s['mean']:.3g}" + (f" ± {s['std']:.2g} (n={s['n']})"
                                                                        if s["std"] is not None else ""))
            paper = r["paper"][c]
            cells += [ours, "—" if paper is None else f"{paper:g}"]
        lines.append(f"| {r['label']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


__all__ = ["FORMAT", "EVAL_METRICS", "LADDER_METRICS", "STUDY_METRICS", "MIXED_LATENTS", "MixedLatentGenerator", "results_path", "evaluate_run",
           "evaluate_farm", "load_results", "figure9_curve", "metric_value", "row_values", "table", "step_changes",
           "format_step_changes", "format_table"]
