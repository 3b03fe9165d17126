"""The registry of the farm: the rows of the paper's Tables 1–4 and the training runs behind them.

A *row* is one line of a published table: a configuration (a variant of
:mod:`stylegan_lib.config`), the latent space its path length and separability are measured in
("z" or "w"), and the paper's numbers. A *run* is one trained model: a configuration at a farm
scale, its training options and a seed. Two rows share a run when their configurations are equal
at that scale — the sharing is derived, not written by hand, so it follows the presets:

    book-16, book-32:  config-B ≡ traditional-0;  config-E ≡ mixing-0;  config-F ≡ mixing-90 ≡ style-based-8
    tiny-16:           the same, except that tiny-16 has a 2-layer mapping network, so config-F ≡ style-based-2

Seeds: one per run, two for the runs behind the comparisons the book draws conclusions from —
the traditional generator in Z (traditional-0) against the style-based one in W (style-based-8),
Tables 3 and 4 — so that the spread between seeds can be stood beside the difference.

A farm scale belongs to a *study*. The "paper" study is the above. The "ladder" study is
StyleGAN3's configuration table (Karras et al. 2021, Table 1: A StyleGAN2 → B … H → T → R),
asked the book's open question: which rung makes W entangled? Its rows are the rungs, measured
in W; each rung is its own run (no two rungs share a configuration), with
:data:`LADDER_SEEDS` seeds each, at a StyleGAN2 preset for A and StyleGAN3 presets for the rest.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..config import VARIANTS, ModelConfig, get_config
from ..generations import AnyConfig
from ..generations import get_config as get_any_config
from ..train.loop import TrainOptions, recipe_options

#: Variants whose runs get two seeds (the book's Z-versus-W conclusions rest on them).
MULTI_SEED_VARIANTS = ("traditional-0", "style-based-8")
DEFAULT_SEEDS = 1
MULTI_SEEDS = 2
#: Variants whose runs log FD and PPL during training (Figure 9: configurations B and F).
FIGURE9_VARIANTS = ("config-B", "config-F")


# ------------------------------------------------------------------------------------------
# Rows of the paper's tables.
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    """One line of a published table: ``variant`` measured in latent space ``space``, and the
    paper's FFHQ numbers under the names of our metrics (``fd`` stands for the paper's FID)."""

    table: str
    label: str
    variant: str
    space: str
    paper: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> str:
        return f"{self.table}:{self.label}"


def _ppl(full: float, end: float, ls: float, **more) -> dict[str, float]:
    return {"ppl_full": full, "ppl_end": end, "ls": ls, **more}


#: Tables 1–4 of Karras et al. 2019 (FFHQ column), from /work/shared/REFERENCE.md.
ROWS: tuple[Row, ...] = (
    # Table 1: FID of the configurations A–F.
    Row("table1", "A baseline progressive GAN", "config-A", "z", {"fd": 8.04}),
    Row("table1", "B + tuning (incl. bilinear up/down)", "config-B", "z", {"fd": 5.25}),
    Row("table1", "C + add mapping and styles", "config-C", "w", {"fd": 4.85}),
    Row("table1", "D + remove traditional input", "config-D", "w", {"fd": 4.88}),
    Row("table1", "E + add noise inputs", "config-E", "w", {"fd": 4.42}),
    Row("table1", "F + mixing regularisation", "config-F", "w", {"fd": 4.40}),
    # Table 2: FID when 1–4 latents are mixed at test time, by mixing probability in training.
    Row("table2", "mixing 0 %", "mixing-0", "w", {"fd": 4.42, "fd_mix2": 8.22, "fd_mix3": 12.88, "fd_mix4": 17.41}),
    Row("table2", "mixing 50 %", "mixing-50", "w", {"fd": 4.41, "fd_mix2": 6.10, "fd_mix3": 8.71, "fd_mix4": 11.61}),
    Row("table2", "mixing 90 %", "mixing-90", "w", {"fd": 4.40, "fd_mix2": 5.11, "fd_mix3": 6.88, "fd_mix4": 9.03}),
    Row("table2", "mixing 100 %", "mixing-100", "w", {"fd": 4.83, "fd_mix2": 5.17, "fd_mix3": 6.63, "fd_mix4": 8.40}),
    # Table 3: path length (full / end) and separability along the configurations.
    Row("table3", "traditional generator Z", "traditional-0", "z", _ppl(412.0, 415.3, 10.78)),
    Row("table3", "style-based generator W", "config-D", "w", _ppl(446.2, 376.6, 3.61)),
    Row("table3", "+ add noise inputs W", "config-E", "w", _ppl(200.5, 160.6, 3.54)),
    Row("table3", "+ mixing 50 % W", "mixing-50", "w", _ppl(231.5, 182.1, 3.51)),
    Row("table3", "+ mixing 90 % W", "mixing-90", "w", _ppl(234.0, 195.9, 3.79)),
    # Table 4: depth of the mapping network (FID, path length full / end, separability).
    Row("table4", "traditional 0 Z", "traditional-0", "z", _ppl(412.0, 415.3, 10.78, fd=5.25)),
    Row("table4", "traditional 8 Z", "traditional-8", "z", _ppl(896.2, 902.0, 170.29, fd=4.87)),
    Row("table4", "traditional 8 W", "traditional-8", "w", _ppl(324.5, 212.2, 6.52, fd=4.87)),
    Row("table4", "style-based 0 Z", "style-based-0", "z", _ppl(283.5, 285.5, 9.88, fd=5.06)),
    Row("table4", "style-based 1 W", "style-based-1", "w", _ppl(219.9, 209.4, 6.81, fd=4.60)),
    Row("table4", "style-based 2 W", "style-based-2", "w", _ppl(217.8, 199.9, 6.25, fd=4.43)),
    Row("table4", "style-based 8 W", "style-based-8", "w", _ppl(234.0, 195.9, 3.79, fd=4.40)),
)
TABLES = ("table1", "table2", "table3", "table4")

#: Rung A of the ladder: StyleGAN2's config F, trained from a StyleGAN2 preset.
LADDER_STYLEGAN2 = "config-A"
#: The ladder's StyleGAN2 runs: variant → StyleGAN2 preset variant (A, and A without
#: demodulation: chapter 12's droplet control).
LADDER_SG2_VARIANTS = {LADDER_STYLEGAN2: "config-F", "config-A-nodemod": "no-demod"}
#: Seeds per rung: the ladder's answer compares rungs, so each gets a spread.
LADDER_SEEDS = 2


def _eq(fd: float, eq_t: float | None = None, eq_r: float | None = None) -> dict[str, float]:
    return {k: v for k, v in (("fd", fd), ("eq_t", eq_t), ("eq_r", eq_r)) if v is not None}


#: StyleGAN3's configuration table (FFHQ-U; FID and EQ in dB), from /work/shared/REFERENCE.md.
#: The paper gives no EQ for A: StyleGAN2's learned constant cannot be moved by a fraction of a pixel.
LADDER_ROWS: tuple[Row, ...] = (
    Row("ladder", "A StyleGAN2", LADDER_STYLEGAN2, "w", _eq(5.14)),
    Row("ladder", "B + Fourier features", "config-B", "w", _eq(4.79, 16.23, 10.81)),
    Row("ladder", "C + no noise inputs", "config-C", "w", _eq(4.54, 15.81, 10.84)),
    Row("ladder", "D + simplified generator", "config-D", "w", _eq(5.21, 19.47, 10.41)),
    Row("ladder", "E + boundaries & upsampling", "config-E", "w", _eq(6.02, 24.62, 10.97)),
    Row("ladder", "F + filtered nonlinearities", "config-F", "w", _eq(6.35, 30.60, 10.81)),
    Row("ladder", "G + non-critical sampling", "config-G", "w", _eq(4.78, 43.90, 10.84)),
    Row("ladder", "H + transformed Fourier features", "config-H", "w", _eq(4.64, 45.20, 10.61)),
    Row("ladder", "T StyleGAN3-T", "config-T", "w", _eq(4.62, 63.01, 13.12)),
    Row("ladder", "R StyleGAN3-R", "config-R", "w", _eq(4.50, 66.65, 40.48)),
)
#: Step C → D changes five things at once; two control runs (not in the paper) take D's changes to
#: the mapping network and to the regularisers one at a time, for the question which part moves W.
LADDER_D_ROWS: tuple[Row, ...] = (
    Row("ladder_d", "C: 8 mapping layers, mixing and path length reg.", "config-C", "w"),
    Row("ladder_d", "C with D's 2 mapping layers", "config-C-map2", "w"),
    Row("ladder_d", "C without mixing and path length reg.", "config-C-noreg", "w"),
    Row("ladder_d", "D: both, and the simplified layers", "config-D", "w"),
)
#: Chapter 12's droplet control: StyleGAN2 with modulation but no demodulation, beside rung A.
LADDER_A_ROWS: tuple[Row, ...] = (
    Row("ladder_a", "A: StyleGAN2 (modulation, demodulation)", LADDER_STYLEGAN2, "w"),
    Row("ladder_a", "A without demodulation", "config-A-nodemod", "w"),
)
#: The rows and tables of each study.
STUDY_ROWS: dict[str, tuple[Row, ...]] = {"paper": ROWS, "ladder": LADDER_ROWS + LADDER_D_ROWS + LADDER_A_ROWS}
STUDY_TABLES: dict[str, tuple[str, ...]] = {"paper": TABLES, "ladder": ("ladder", "ladder_d", "ladder_a")}
#: The columns of each table, in the names of :func:`stylegan_lib.farm.results.row_values`.
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "table1": ("fd",),
    "table2": ("fd", "fd_mix2", "fd_mix3", "fd_mix4"),
    "table3": ("ppl_full", "ppl_end", "ls", "gt_i"),
    "table4": ("fd", "ppl_full", "ppl_end", "ls", "gt_i"),
    "ladder": ("fd", "eq_t", "eq_r", "ppl_end", "ls", "gt_i"),
    "ladder_d": ("fd", "ppl_end", "ls", "gt_i"),
    "ladder_a": ("fd", "ppl_end", "ls", "gt_i"),
}


# ------------------------------------------------------------------------------------------
# Scales: how big and how long the farm's runs are.
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FarmScale:
    """Training and evaluation settings shared by every run of a farm at one model scale.

    The progressive-growing schedule is fixed per scale (it cannot change when a run is resumed),
    so that ``kimg`` alone sets the length of the farm and may be raised after the fact: the
    finished runs then become partial and continue from their checkpoints.
    """

    scale: str
    recipe: str
    kimg: float                       # default length of every run, thousands of real images
    data: str                         # training images, as for ``python -m stylegan_lib train --data``
    schedule: dict
    options: dict                     # TrainOptions changes (ticks, checkpoints, samples)
    figure9_metrics_kimg: float       # FD / PPL in the log of the Figure 9 runs every this many kimg
    counts: dict                      # sample counts of ``farm evaluate`` (compute_metrics' keys)
    mix_counts: int                   # images per FD of mixed latents (Table 2)
    study: str = "paper"              # "paper" (Tables 1–4) or "ladder" (StyleGAN3's configurations)
    generators: tuple[str, ...] = ()  # the ladder's StyleGAN2 and StyleGAN3 scales (A; B … R)

    def preset(self, variant: str) -> str:
        """The training preset of a row's variant: ``SCALE/VARIANT`` in the paper's study; in the
        ladder, StyleGAN2's presets for rung A and its control (:data:`LADDER_SG2_VARIANTS`) and
        ``SG3-SCALE/config-X`` for the others."""
        if self.study == "paper":
            return f"{self.scale}/{variant}"
        sg2, sg3 = self.generators
        return f"{sg2}/{LADDER_SG2_VARIANTS[variant]}" if variant in LADDER_SG2_VARIANTS else f"{sg3}/{variant}"

    @property
    def rows(self) -> tuple[Row, ...]:
        return STUDY_ROWS[self.study]

    @property
    def tables(self) -> tuple[str, ...]:
        return STUDY_TABLES[self.study]

    def growth_kimg(self) -> float:
        """kimg at which the last resolution has faded in (0 for the ladder: no growing)."""
        preset = self.preset(self.rows[0].variant)
        return TrainOptions(preset=preset, schedule=self.schedule).make_schedule().growth_kimg()


def _book_scale(scale: str, kimg: float) -> FarmScale:
    """A farm at the book's network size: from 8², 10 kimg stable + 10 kimg fade-in per
    resolution, batch 32, on 30 000 synthetic faces at the default detail level."""
    return FarmScale(
        scale=scale, recipe="book", kimg=kimg, data="faces:30000",
        schedule=dict(start_res=8, lod_training_kimg=10.0, lod_transition_kimg=10.0, minibatch={},
                      minibatch_default=32, lr={}, lr_default=0.002),
        options=dict(tick_kimg=2.0, snapshot_kimg=4.0, sample_kimg=10.0),
        figure9_metrics_kimg=10.0,
        counts=dict(fd=5000, kd=5000, ppl=2000, ls=5000, gt=5000), mix_counts=5000)


def _ladder_scale(scale: str, generators: tuple[str, str], kimg: float, counts: dict) -> FarmScale:
    """A ladder at the book's network size: every rung from the first step at full resolution
    (StyleGAN2 and 3 do not grow), the "sg-book" recipe, batch 32, 30 000 faces."""
    return FarmScale(
        scale=scale, recipe="sg-book", kimg=kimg, data="faces:30000",
        schedule=dict(lod_training_kimg=0.0, lod_transition_kimg=0.0, minibatch={}, minibatch_default=32,
                      lr={}, lr_default=0.002),
        options=dict(tick_kimg=2.0, snapshot_kimg=4.0, sample_kimg=10.0), figure9_metrics_kimg=0.0,
        counts=counts, mix_counts=0, study="ladder", generators=generators)


FARM_SCALES: dict[str, FarmScale] = {
    # The CPU farm: 8² → 16² in 20 kimg, then 16² to 80 kimg. Measured on 2 cores
    # (benchmarks/training.md §8): 120 images/s at 8², 72 at 16², so a run takes about 17 min
    # and the 14 runs about 4.1 h, leaving some 50 min of the 5 h for evaluation. At 16² the
    # detectors lose the mouth and eyes (§8: smiling, eyes_open, smile, eyebrow_raise and
    # shirt_hue fall below their thresholds and are left out).
    "book-16": _book_scale("book-16", kimg=80.0),
    # 8² → 32² in 40 kimg, then 32² to 100 kimg: 11.5 h on 2 CPU cores (§8), for a GPU.
    "book-32": _book_scale("book-32", kimg=100.0),
    # Seconds per run: the tests.
    "tiny-16": FarmScale(
        scale="tiny-16", recipe="quick", kimg=0.064, data="faces:64",
        schedule=dict(start_res=8, lod_training_kimg=0.016, lod_transition_kimg=0.016, minibatch={},
                      minibatch_default=8, lr={}, lr_default=0.002),
        options=dict(tick_kimg=0.016, snapshot_kimg=0.016, sample_kimg=0.032, metrics_num=64, metrics_ppl_num=8),
        figure9_metrics_kimg=0.032,
        counts=dict(fd=64, kd=64, ppl=8, ls=64, gt=64), mix_counts=64),
    # StyleGAN3's configuration ladder (issue 12), at 16² for a CPU and at 32² for a GPU.
    "ladder-16": _ladder_scale("ladder-16", ("sg2-book-16", "sg3-book-16"), kimg=60.0,
                               counts=dict(fd=5000, kd=5000, ppl=2000, ls=5000, gt=5000, eq=500)),
    "ladder-32": _ladder_scale("ladder-32", ("sg2-book-32", "sg3-book-32"), kimg=100.0,
                               counts=dict(fd=5000, kd=5000, ppl=2000, ls=5000, gt=5000, eq=1000)),
    "ladder-tiny": FarmScale(
        scale="ladder-tiny", recipe="sg-quick", kimg=0.032, data="faces:64",
        schedule=dict(lod_training_kimg=0.0, lod_transition_kimg=0.0, minibatch={}, minibatch_default=8,
                      lr={}, lr_default=0.002),
        options=dict(tick_kimg=0.016, snapshot_kimg=0.016, sample_kimg=0.032, metrics_num=64, metrics_ppl_num=8),
        figure9_metrics_kimg=0.0, counts=dict(fd=64, kd=64, ppl=8, ls=64, gt=64, eq=4), mix_counts=0,
        study="ladder", generators=("sg2-tiny-16", "sg3-tiny-16")),
}


#: The farm's scale unless one is named: the one whose budget fits a CPU (§8 of benchmarks/training.md).
DEFAULT_SCALE = "book-16"


def farm_scale(scale: str) -> FarmScale:
    if scale not in FARM_SCALES:
        raise ValueError(f"unknown farm scale {scale!r}; farm scales: {', '.join(FARM_SCALES)}")
    return FARM_SCALES[scale]


# ------------------------------------------------------------------------------------------
# Runs.
# ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FarmRun:
    """One model to train: the configuration shared by ``variants`` at ``scale``, with ``seed``.

    ``name`` is ``<first variant>-seed<seed>`` (the first in the order of
    :data:`stylegan_lib.config.VARIANTS`); ``rows`` are the table rows it stands for.
    """

    scale: str
    variants: tuple[str, ...]
    seed: int
    config: AnyConfig
    rows: tuple[Row, ...]

    @property
    def variant(self) -> str:
        return self.variants[0]

    @property
    def name(self) -> str:
        return f"{self.variant}-seed{self.seed}"

    @property
    def preset(self) -> str:
        return farm_scale(self.scale).preset(self.variant)

    @property
    def figure9(self) -> bool:
        return farm_scale(self.scale).study == "paper" and any(v in FIGURE9_VARIANTS for v in self.variants)

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.table for r in self.rows))

    def options(self, kimg: float | None = None, device: str = "auto") -> TrainOptions:
        """The run's TrainOptions: the scale's recipe, schedule and bookkeeping, the run's preset
        and seed, ``kimg`` (default: the scale's), and FD / PPL logging for Figure 9's runs."""
        fs = farm_scale(self.scale)
        return recipe_options(fs.recipe, preset=self.preset, seed=self.seed,
                              kimg=float(fs.kimg if kimg is None else kimg), schedule=dict(fs.schedule),
                              metrics_kimg=fs.figure9_metrics_kimg if self.figure9 else 0.0,
                              device=device, **fs.options)


def config_classes(scale: str) -> list[tuple[str, ...]]:
    """The variants of :data:`VARIANTS` grouped by equal ``ModelConfig`` at ``scale``, each group
    in the order of ``VARIANTS``, the groups in the order of their first variant."""
    groups: dict[ModelConfig, list[str]] = {}
    for v in VARIANTS:
        groups.setdefault(get_config(f"{scale}/{v}"), []).append(v)
    return [tuple(g) for g in groups.values()]


def farm_runs(scale: str = DEFAULT_SCALE, min_seeds: int = 1) -> list[FarmRun]:
    """Every run of the farm at ``scale``: one per configuration any row of Tables 1–4 uses
    (rows with equal configurations share it) and per seed — :data:`MULTI_SEEDS` for the
    classes of :data:`MULTI_SEED_VARIANTS`, else :data:`DEFAULT_SEEDS`, and at least
    ``min_seeds``. A ladder scale: every rung with :data:`LADDER_SEEDS` seeds (at least
    ``min_seeds``), the two controls between C and D and chapter 12's StyleGAN2 without
    demodulation, all of seed 0 first."""
    fs = farm_scale(scale)
    if min_seeds < 1:
        raise ValueError(f"min_seeds must be at least 1, got {min_seeds}")
    if fs.study == "ladder":
        # One run per variant (the rungs, then the controls), standing for every row of it; seed
        # by seed, so that a farm trained in order has a whole ladder after its first half.
        variants = dict.fromkeys(row.variant for row in fs.rows)
        return [FarmRun(scale, (v,), seed, get_any_config(fs.preset(v)), tuple(r for r in fs.rows if r.variant == v))
                for seed in range(max(LADDER_SEEDS, min_seeds)) for v in variants]
    runs = []
    for variants in config_classes(scale):
        rows = tuple(r for r in ROWS if r.variant in variants)
        if not rows:
            continue
        seeds = MULTI_SEEDS if any(v in MULTI_SEED_VARIANTS for v in variants) else DEFAULT_SEEDS
        for seed in range(max(seeds, min_seeds)):
            runs.append(FarmRun(scale, variants, seed, get_config(f"{scale}/{variants[0]}"), rows))
    return runs


def ladder_changes(scale: str) -> list[dict[str, Any]]:
    """The ladder at ``scale`` rung by rung (:data:`LADDER_ROWS`, in order): each rung's preset,
    the configuration fields both it and the rung before have and that differ, ``changes``
    ``{field: (before, after)}``, and the fields only the rung (``new``) or only the one before
    (``dropped``) has — A → B crosses from a StyleGAN2 to a StyleGAN3 configuration. Computed
    from the presets, so the table follows them."""
    from ..config import ABSENT, describe_differences

    fs = farm_scale(scale)
    if fs.study != "ladder":
        raise ValueError(f"{scale} is not a ladder scale; ladder scales: "
                         f"{', '.join(k for k, v in FARM_SCALES.items() if v.study == 'ladder')}")
    out, before = [], None
    for row in LADDER_ROWS:
        cfg = get_any_config(fs.preset(row.variant))
        diff = {} if before is None else describe_differences(before, cfg)
        diff.pop("label", None)
        out.append({"rung": row.label.split()[0], "label": row.label, "preset": fs.preset(row.variant),
                    "changes": {k: v for k, v in diff.items() if ABSENT not in v},
                    "new": [k for k, (a, _) in diff.items() if a == ABSENT],
                    "dropped": [k for k, (_, b) in diff.items() if b == ABSENT]})
        before = cfg
    return out


def select_runs(runs: list[FarmRun], only: str | list[str] | None) -> list[FarmRun]:
    """The runs named by ``only``: comma-separated run names (``config-F-seed1``), variants
    (``mixing-90``: every seed of the run that stands for it), tables (``table3``) or seeds
    (``seed0``: every run of that seed)."""
    if not only:
        return list(runs)
    names = [n.strip() for n in (only.split(",") if isinstance(only, str) else only) if n.strip()]
    chosen, unknown = [], []
    for n in names:
        hits = [r for r in runs if n in (r.name, f"seed{r.seed}") or n in r.variants or n in r.tables]
        (chosen.extend(hits) if hits else unknown.append(n))
    if unknown:
        variants = dict.fromkeys(v for r in runs for v in r.variants)
        tables = dict.fromkeys(t for r in runs for t in r.tables)
        raise ValueError(f"--only: {', '.join(unknown)} names no run of this farm; give run names "
                         f"({', '.join(r.name for r in runs)}), variants ({', '.join(variants)}), "
                         f"tables ({', '.join(tables)}) or seeds (seed0)")
    return list(dict.fromkeys(chosen))


def registry_table(runs: list[FarmRun]) -> list[dict[str, Any]]:
    """One dict per run: its name, the variants it stands for and the rows of the tables."""
    return [{"run": r.name, "seed": r.seed, "variants": list(r.variants),
             "rows": [row.key for row in r.rows]} for r in runs]


__all__ = ["Row", "ROWS", "TABLES", "TABLE_COLUMNS", "LADDER_ROWS", "LADDER_D_ROWS", "LADDER_A_ROWS", "LADDER_SG2_VARIANTS", "LADDER_SEEDS", "LADDER_STYLEGAN2",
           "STUDY_ROWS", "STUDY_TABLES", "FarmScale", "FARM_SCALES", "farm_scale", "FarmRun",
           "config_classes", "farm_runs", "select_runs", "registry_table", "ladder_changes", "MULTI_SEED_VARIANTS",
           "FIGURE9_VARIANTS"]
