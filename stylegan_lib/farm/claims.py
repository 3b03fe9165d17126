"""The paper's Section 4 claims, each stated as comparisons between two rows of its tables, and
judged on the farm's runs (chapter 11's conclusions).

The magnitudes of the paper's numbers cannot carry over to the book's scale (other data,
resolution, detectors, attribute count, training length), so a claim is judged by its
*direction*: does row ``b`` beat row ``a`` the way the paper's numbers say, by more than the
farm's own seeds disagree?

Two seeds exist only for the runs behind the Z-versus-W comparisons (traditional-0 and
style-based-8, :data:`.runs.MULTI_SEED_VARIANTS`). Their spread is borrowed for every row. FD,
PPL and LS are positive and spread more the larger they are, so for them the *relative seed
range* of a column is the largest (max − min) / mean over the rows that have two seeds or more,

    noise(column) = max_rows (max_s v_s − min_s v_s) / mean_s v_s,

and a comparison's threshold scales it to the larger of the two means compared,

    threshold = noise(column) · max(mean_a, mean_b).

The ground truth's informativeness is an R² (at most 1, near 0 or below for an uninformative
space), whose spread does not scale with it: its noise is the largest seed range itself, and the
threshold is that range. The mixed-latent FDs of Table 2, measured only on Table 2's runs, borrow
FD's noise when none of those runs has two seeds.

The verdict is **yes** when Δ = mean_b − mean_a points the paper's way and |Δ| > threshold,
**no** when it points the other way by more than the threshold, **within noise** otherwise.
This is a crude rule, not a significance test. With normal seed-to-seed noise of one size σ
everywhere and no real difference, |Δ| clears the threshold by chance in about 1/3 of the
comparisons between two one-seed rows (three |differences of two draws| are compared, each as
likely the largest), in 28 % between a one-seed and a two-seed row and in 22 % between the two
two-seed rows (Monte Carlo); half of those point the paper's way, so a "yes" is wrong about one
time in six to nine. It is also conservative for the one comparison within a model (its Z against
its W: no seed stands between them). A "yes" is a direction that clears the seeds the farm has.
"""
from __future__ import annotations

from dataclasses import dataclass

from .results import table

#: Which way each column improves.
BETTER = {"fd": "lower", "fd_mix2": "lower", "fd_mix3": "lower", "fd_mix4": "lower",
          "ppl_full": "lower", "ppl_end": "lower", "ls": "lower", "gt_i": "higher"}
VERDICTS = ("yes", "within noise", "no")
#: Columns whose seed spread is taken in absolute units (an R²), not relative to the mean.
ABSOLUTE = ("gt_i",)
#: Where a column has no row with two seeds, the column whose noise it borrows.
BORROW = {"fd_mix2": "fd", "fd_mix3": "fd", "fd_mix4": "fd"}


@dataclass(frozen=True)
class Comparison:
    """Row ``a`` against row ``b`` of ``table`` (row labels as in :data:`.runs.ROWS`) on ``column``;
    the paper says ``b`` is better, in :data:`BETTER`'s sense."""

    table: str
    a: str
    b: str
    column: str


@dataclass(frozen=True)
class Claim:
    key: str
    text: str
    comparisons: tuple[Comparison, ...]


def _both(table_name: str, a: str, b: str, columns: tuple[str, ...]) -> tuple[Comparison, ...]:
    return tuple(Comparison(table_name, a, b, c) for c in columns)


#: The claims of the paper's Section 4 (Tables 1–4), strongest evidence first in each.
CLAIMS: tuple[Claim, ...] = (
    Claim("style-based", "StyleGAN's changes together improve image quality (Table 1, A → F)",
          _both("table1", "A baseline progressive GAN", "F + mixing regularisation", ("fd",))),
    Claim("mapping", "a mapping network with styles improves image quality (Table 1, B → C)",
          _both("table1", "B + tuning (incl. bilinear up/down)", "C + add mapping and styles", ("fd",))),
    Claim("noise-quality", "noise inputs improve image quality (Table 1, D → E)",
          _both("table1", "D + remove traditional input", "E + add noise inputs", ("fd",))),
    Claim("noise-paths", "noise inputs shorten the paths in W (Table 3)",
          _both("table3", "style-based generator W", "+ add noise inputs W", ("ppl_full", "ppl_end"))),
    Claim("mixing", "mixing regularisation makes mixed styles look like real images (Table 2, 4 latents)",
          _both("table2", "mixing 0 %", "mixing 90 %", ("fd_mix4",)) + _both("table2", "mixing 0 %", "mixing 100 %",
                                                                            ("fd_mix4",))),
    Claim("w-paths", "paths in W are shorter than in Z (Tables 3 and 4, traditional 0 Z → style-based 8 W)",
          _both("table4", "traditional 0 Z", "style-based 8 W", ("ppl_full", "ppl_end"))),
    Claim("w-linear", "W is more linear than Z (Tables 3 and 4; gt_i is the book's ground truth)",
          _both("table4", "traditional 0 Z", "style-based 8 W", ("ls", "gt_i"))),
    Claim("depth", "a deeper mapping network helps (Table 4, style-based 0 Z → 8 W)",
          _both("table4", "style-based 0 Z", "style-based 8 W", ("fd", "ppl_end", "ls", "gt_i"))),
    Claim("traditional-w", "even without styles, a mapping network's W is less entangled than its Z "
          "(Table 4, traditional 8 Z → W)",
          _both("table4", "traditional 8 Z", "traditional 8 W", ("ppl_end", "ls", "gt_i"))),
)


def seed_noise(doc: dict, column: str) -> float | None:
    """noise(column): the largest seed range over the rows of every table that have the column and
    two seeds or more — relative to the row's mean, except for :data:`ABSOLUTE` columns — or the
    noise of the column it borrows from (:data:`BORROW`); None where there is none."""
    ranges = []
    for name in sorted({c.table for claim in CLAIMS for c in claim.comparisons}):
        for r in table(doc, name, columns=(column,)):
            v = r["seeds"][column]
            if len(v) >= 2:
                spread, mean = max(v) - min(v), sum(v) / len(v)
                if column not in ABSOLUTE and mean <= 0:
                    raise ValueError(f"{name}'s {r['label']} has {column} {v}: a relative seed range needs a positive "
                                     "mean (FD, PPL and LS are positive; is this results file damaged?)")
                ranges.append(spread if column in ABSOLUTE else spread / mean)
    if not ranges:
        return seed_noise(doc, BORROW[column]) if column in BORROW else None
    return max(ranges)


def _row(doc: dict, comparison: Comparison, label: str) -> dict:
    rows = {r["label"]: r for r in table(doc, comparison.table, columns=(comparison.column,))}
    if label not in rows:
        raise ValueError(f"{comparison.table} has no row {label!r}; rows: {', '.join(rows)}")
    return rows[label]


def judge(doc: dict, comparison: Comparison) -> dict:
    """One comparison on a results file: both rows' seeds and means, the paper's numbers, Δ, the
    threshold and the verdict (None when a row has no value or no row has two seeds)."""
    col = comparison.column
    ra, rb = _row(doc, comparison, comparison.a), _row(doc, comparison, comparison.b)
    mean_a, mean_b = ra["ours"][col]["mean"], rb["ours"][col]["mean"]
    noise = seed_noise(doc, col)
    out = {"table": comparison.table, "a": comparison.a, "b": comparison.b, "column": col, "better": BETTER[col],
           "seeds_a": ra["seeds"][col], "seeds_b": rb["seeds"][col], "mean_a": mean_a, "mean_b": mean_b,
           "paper_a": ra["paper"][col], "paper_b": rb["paper"][col], "noise": noise,
           "delta": None, "threshold": None, "verdict": None}
    if mean_a is None or mean_b is None or noise is None:
        return out
    delta = mean_b - mean_a
    threshold = noise if col in ABSOLUTE else noise * max(mean_a, mean_b)
    sign = -1.0 if BETTER[col] == "lower" else 1.0     # the sign of Δ the paper expects
    verdict = "within noise" if abs(delta) <= threshold else ("yes" if delta * sign > 0 else "no")
    return {**out, "delta": delta, "threshold": threshold, "verdict": verdict}


def judge_claims(doc: dict, claims: tuple[Claim, ...] = CLAIMS) -> list[dict]:
    """Every claim judged: its comparisons (:func:`judge`) and a summary verdict — "yes" or "no"
    when all its comparisons agree, "within noise" when all are, "mixed" otherwise (None when a
    comparison could not be judged)."""
    out = []
    for claim in claims:
        judged = [judge(doc, c) for c in claim.comparisons]
        verdicts = {j["verdict"] for j in judged}
        summary = None if None in verdicts else (verdicts.pop() if len(verdicts) == 1 else "mixed")
        out.append({"key": claim.key, "text": claim.text, "comparisons": judged, "verdict": summary})
    return out


def format_claims(judged: list[dict]) -> str:
    """A Markdown table, one line per comparison: the paper's numbers, our seed means (and the seeds
    where there are several), Δ against the threshold, and the verdict."""
    def num(v):
        return "—" if v is None else f"{v:.3g}"

    def ours(seeds, mean):
        return num(mean) + (f" ({', '.join(f'{s:.3g}' for s in seeds)})" if len(seeds) > 1 else "")

    lines = ["| claim | rows a → b | column | paper a → b | ours a → b (seeds) | Δ | threshold | verdict |",
             "|---|---|---|---|---|---|---|---|"]
    for claim in judged:
        for i, j in enumerate(claim["comparisons"]):
            head = f"**{claim['key']}** ({claim['verdict'] or 'not judged'})" if i == 0 else ""
            lines.append(f"| {head} | {j['a']} → {j['b']} | {j['column']} ({j['better']} is better) | "
                         f"{num(j['paper_a'])} → {num(j['paper_b'])} | {ours(j['seeds_a'], j['mean_a'])} → "
                         f"{ours(j['seeds_b'], j['mean_b'])} | {num(j['delta'])} | ±{num(j['threshold'])} | "
                         f"{j['verdict'] or 'not judged'} |")
    return "\n".join(lines)


__all__ = ["BETTER", "VERDICTS", "Comparison", "Claim", "CLAIMS", "ABSOLUTE", "BORROW", "seed_noise", "judge", "judge_claims",
           "format_claims"]
