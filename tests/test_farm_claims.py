"""The paper's claims judged on a results file: the rows they name exist, the directions they expect
are the paper's, and on made-up results the seed noise, thresholds and verdicts come out as
worked out by hand."""
import pytest

from stylegan_lib.farm.claims import (BETTER, CLAIMS, Comparison, format_claims, judge, judge_claims,
                                      seed_noise)
from stylegan_lib.farm.results import format_table
from stylegan_lib.farm.runs import ROWS, farm_runs


def entry(variants, fd=None, ppl=None, ls=None, gt=None, fd_mix4=None):
    """A results entry with the given numbers in both spaces (``ppl``: PPL end and full)."""
    res = {}
    if fd is not None:
        res["fd"] = {"value": fd}
    if fd_mix4 is not None:
        res["fd_mix4"] = {"value": fd_mix4}
    for space in ("z", "w"):
        if ppl is not None:
            res[f"ppl_{space}end"] = res[f"ppl_{space}full"] = {"value": ppl[space]}
        if ls is not None:
            res.setdefault("ls", {})[space] = {"value": ls[space]}
        if gt is not None:
            res.setdefault("gt", {})[space] = {"informativeness": gt[space]}
    return {"variants": variants, "results": res}


def book16_doc(values):
    """A results file for the book-16 registry: ``values`` maps a run name to its entry's keywords."""
    runs = {r.name: r for r in farm_runs("book-16")}
    return {"runs": {name: entry(list(runs[name].variants), **kw) for name, kw in values.items()}}


def test_every_comparison_names_real_rows_and_expects_the_papers_direction():
    labels = {(r.table, r.label): r for r in ROWS}
    for claim in CLAIMS:
        for c in claim.comparisons:
            assert (c.table, c.a) in labels and (c.table, c.b) in labels, (claim.key, c)
            pa, pb = labels[c.table, c.a].paper.get(c.column), labels[c.table, c.b].paper.get(c.column)
            if pa is not None and pb is not None:     # gt_i has no published number
                assert (pb < pa) == (BETTER[c.column] == "lower"), (claim.key, c, pa, pb)


def test_noise_thresholds_and_verdicts_worked_out_by_hand():
    # traditional-0 (config-B) seeds: FD 100 and 120 (relative range 20/110); style-based-8
    # (config-F) seeds: FD 50 and 60 (10/55 — the larger); gt_i ranges 0.04 and 0.10.
    doc = book16_doc({
        "config-B-seed0": dict(fd=100.0, ppl={"z": 40.0, "w": 40.0}, ls={"z": 8.0, "w": 8.0}, gt={"z": 0.20, "w": 0.2}),
        "config-B-seed1": dict(fd=120.0, ppl={"z": 44.0, "w": 44.0}, ls={"z": 8.0, "w": 8.0}, gt={"z": 0.24, "w": 0.2}),
        "config-F-seed0": dict(fd=50.0, ppl={"z": 30.0, "w": 20.0}, ls={"z": 8.0, "w": 3.0}, gt={"z": 0.3, "w": 0.50},
                               fd_mix4=80.0),
        "config-F-seed1": dict(fd=60.0, ppl={"z": 30.0, "w": 22.0}, ls={"z": 8.0, "w": 3.0}, gt={"z": 0.3, "w": 0.60},
                               fd_mix4=90.0),
        "config-C-seed0": dict(fd=200.0),
        "config-E-seed0": dict(fd=112.0, fd_mix4=100.0),
        "mixing-100-seed0": dict(fd=60.0, fd_mix4=200.0),
    })
    assert seed_noise(doc, "fd") == pytest.approx(10 / 55)
    assert seed_noise(doc, "gt_i") == pytest.approx(0.10)                 # absolute, not relative
    assert seed_noise(doc, "fd_mix4") == pytest.approx(10 / 85)           # config-F is mixing-90 too
    assert seed_noise(doc, "ppl_full") == pytest.approx(4 / 42)
    # The ground-truth columns as a table, seeds summarised (traditional 0 Z: 0.20 and 0.24).
    text = format_table(doc, "table4", columns=("gt_i",))
    assert text.splitlines()[0] == "| table4 | gt_i (ours) | gt_i (paper) |"
    assert "| traditional 0 Z | 0.22 ± 0.028 (n=2) | — |" in text

    # Table 1, B → C: FD 110 → 200, the wrong way by more than (10/55)·200 = 36.4.
    j = judge(doc, Comparison("table1", "B + tuning (incl. bilinear up/down)", "C + add mapping and styles", "fd"))
    assert j["delta"] == pytest.approx(90.0) and j["threshold"] == pytest.approx(200 * 10 / 55)
    assert j["verdict"] == "no" and j["paper_a"] == 5.25 and j["seeds_a"] == [100.0, 120.0]
    # traditional 0 Z → style-based 8 W: gt_i 0.22 → 0.55 clears 0.10; PPL end 42 → 21 clears (4/42)·42.
    t4 = ("table4", "traditional 0 Z", "style-based 8 W")
    assert judge(doc, Comparison(*t4, "gt_i"))["verdict"] == "yes"
    j = judge(doc, Comparison(*t4, "ppl_end"))
    assert j["threshold"] == pytest.approx(4.0) and j["verdict"] == "yes"
    # LS 8 → 3 has no seed spread at all (noise 0): any difference is beyond it.
    assert judge(doc, Comparison(*t4, "ls"))["verdict"] == "yes"
    # Table 2, 4 latents: mixing 0 % (config-E) 100 → mixing 90 % 85: Δ −15 beats (10/85)·100 = 11.8;
    # mixing 100 % at 200 is worse by far.
    m0 = ("table2", "mixing 0 %")
    assert judge(doc, Comparison(*m0, "mixing 90 %", "fd_mix4"))["verdict"] == "yes"
    assert judge(doc, Comparison(*m0, "mixing 100 %", "fd_mix4"))["verdict"] == "no"
    # Table 1, D → E where D was never trained: not judged, and said so.
    j = judge(doc, Comparison("table1", "D + remove traditional input", "E + add noise inputs", "fd"))
    assert j["verdict"] is None and j["mean_a"] is None


def test_within_noise_and_the_summary_of_a_claim():
    doc = book16_doc({
        "config-B-seed0": dict(ppl={"z": 40.0, "w": 0.0}, ls={"z": 5.0, "w": 5.0}, gt={"z": 0.2, "w": 0.2}),
        "config-B-seed1": dict(ppl={"z": 60.0, "w": 0.0}, ls={"z": 6.0, "w": 6.0}, gt={"z": 0.3, "w": 0.3}),
        "config-F-seed0": dict(ppl={"z": 50.0, "w": 45.0}, ls={"z": 5.0, "w": 5.5}, gt={"z": 0.2, "w": 0.25}),
        "config-F-seed1": dict(ppl={"z": 50.0, "w": 55.0}, ls={"z": 5.0, "w": 5.5}, gt={"z": 0.2, "w": 0.35}),
    })
    # PPL noise: 20/50; 50 → 50 is no change; LS 5.5 → 5.5 likewise; gt_i 0.25 → 0.30 below 0.1.
    by_key = {c["key"]: c for c in judge_claims(doc)}
    assert by_key["w-paths"]["verdict"] == "within noise"
    assert by_key["w-linear"]["verdict"] == "within noise"
    assert by_key["depth"]["verdict"] is None          # style-based-0 was not trained
    text = format_claims(list(by_key.values()))
    assert "**w-paths** (within noise)" in text and "not judged" in text
    assert text.count("\n") == 1 + sum(len(c.comparisons) for c in CLAIMS)


def test_a_relative_range_of_a_non_positive_mean_is_refused():
    doc = book16_doc({"config-B-seed0": dict(fd=-1.0), "config-B-seed1": dict(fd=1.0)})
    with pytest.raises(ValueError, match="B \\+ tuning.*positive mean"):
        seed_noise(doc, "fd")


def test_a_missing_row_is_an_error_that_names_the_rows():
    with pytest.raises(ValueError, match="no row 'G nonexistent'.*A baseline"):
        judge(book16_doc({}), Comparison("table1", "A baseline progressive GAN", "G nonexistent", "fd"))
