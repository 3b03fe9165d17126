"""The farm (python -m stylegan_lib farm): the registry covers Tables 1–4 and shares equal
configurations; a tiny-16 farm of two runs trains, resumes after an interruption and after a
raised kimg, skips done runs, evaluates into one results file, reports its state and ships."""
import json
import math
import time

import pytest
import torch

from stylegan_lib.config import get_config
from stylegan_lib.farm import cli
from stylegan_lib.farm.budget import farm_seconds, kimg_that_fits, measure_speeds
from stylegan_lib.farm.results import EVAL_METRICS, MixedLatentGenerator, load_results, results_path, table
from stylegan_lib.farm.runner import FarmError, phase_seconds, run_dir, run_state, status_rows, train_run
from stylegan_lib.farm.runs import (MULTI_SEED_VARIANTS, ROWS, TABLES, farm_runs, farm_scale, select_runs)
from stylegan_lib.farm.ship import row_models, ship_farm, shipped_provenance
from stylegan_lib.generator import Generator
from stylegan_lib.train.cli import load_images

TINY = ["--scale", "tiny-16", "--device", "cpu", "--no-progress"]


@pytest.mark.parametrize("scale", ["book-16", "book-32", "tiny-16"])
def test_registry_covers_every_row_once_and_shares_equal_configs(scale):
    runs = farm_runs(scale)
    first_seed = [r for r in runs if r.seed == 0]
    covered = [row.key for r in first_seed for row in r.rows]
    assert sorted(covered) == sorted(row.key for row in ROWS)          # every row, by one run
    assert [sum(row.table == t for row in ROWS) for t in TABLES] == [6, 4, 5, 7]
    configs = [r.config for r in first_seed]
    assert len(set(configs)) == len(configs)                              # no two runs alike
    for r in first_seed:                                                  # and within a run, all alike
        assert all(get_config(f"{scale}/{v}") == r.config for v in r.variants)
    for v in MULTI_SEED_VARIANTS:
        assert sorted(r.seed for r in runs if v in r.variants) == [0, 1]
    assert len({r.name for r in runs}) == len(runs)


def test_sharing_follows_the_presets():
    by_variant = {v: r.name for r in farm_runs("book-32") for v in r.variants if r.seed == 0}
    assert by_variant["config-F"] == by_variant["mixing-90"] == by_variant["style-based-8"] == "config-F-seed0"
    assert by_variant["config-B"] == by_variant["traditional-0"]
    assert by_variant["config-E"] == by_variant["mixing-0"]
    assert len(set(by_variant.values())) == 12
    tiny = {v: r.name for r in farm_runs("tiny-16") for v in r.variants if r.seed == 0}
    assert tiny["config-F"] == tiny["style-based-2"] != tiny["style-based-8"]  # tiny-16 maps with 2 layers
    assert len(farm_runs("book-32", min_seeds=3)) == 12 * 3


def test_select_runs_by_name_variant_and_table():
    runs = farm_runs("book-32")
    assert [r.name for r in select_runs(runs, "mixing-90")] == ["config-F-seed0", "config-F-seed1"]
    assert [r.name for r in select_runs(runs, "config-A-seed0,table2")] == [
        "config-A-seed0", "config-E-seed0", "config-F-seed0", "config-F-seed1", "mixing-50-seed0", "mixing-100-seed0"]
    with pytest.raises(ValueError, match="names no run"):
        select_runs(runs, "config-Z")


def test_remaining_time_integrates_the_schedule():
    run = select_runs(farm_runs("tiny-16"), "config-A-seed0")[0]
    # 8² stable 16 images at 100/s, 16² fade-in 16 and stable 32 at 50/s.
    assert phase_seconds(run, 0.0, 0.064, {8: 100.0, 16: 50.0}) == pytest.approx(0.16 + 0.32 + 0.64)
    assert phase_seconds(run, 0.032, 0.064, {8: 100.0, 16: 50.0}) == pytest.approx(0.64)
    assert phase_seconds(run, 0.0, 0.064, {16: 50.0}) is None
    speeds = {run.variant: {8: 100.0, 16: 50.0}}
    fit = kimg_that_fits([run], speeds, 2.0)
    assert farm_seconds([run], speeds, fit) == pytest.approx(2.0)


def test_mixed_latents_with_one_latent_are_the_generator():
    torch.manual_seed(0)
    G = Generator("tiny-16").eval().requires_grad_(False)
    z = torch.randn(4, G.z_dim)
    assert torch.equal(MixedLatentGenerator(G, 1)(z, noise_mode="const"), G(z, noise_mode="const"))
    assert not torch.equal(MixedLatentGenerator(G, 3)(z, noise_mode="const"), G(z, noise_mode="const"))
    with pytest.raises(ValueError, match="cannot mix"):
        MixedLatentGenerator(G, G.num_ws + 1)


def test_budget_measures_speeds_per_resolution():
    run = select_runs(farm_runs("tiny-16"), "config-A-seed0")[0]
    speeds = measure_speeds([run], device="cpu", log=lambda _: None)
    assert set(speeds["config-A"]) == {8, 16} and min(speeds["config-A"].values()) > 0


def test_budget_of_a_traditional_run_and_a_table2_run(tmp_path):
    """The traditional generator has one style input, so it gets no mixed-latent FDs; the
    Table 2 run's are measured and counted once per Table 2 run."""
    from stylegan_lib.farm.budget import budget

    runs = select_runs(farm_runs("tiny-16"), "config-A,mixing-50")
    report = budget(runs, tmp_path, hours=1.0, device="cpu", log=lambda _: None)
    assert report["eval_seconds_per_run"] > 0 and report["eval_seconds_mixed_per_table2_run"] > 0
    assert report["eval_seconds"] == pytest.approx(2 * report["eval_seconds_per_run"]
                                                   + report["eval_seconds_mixed_per_table2_run"], abs=1)
    assert (tmp_path / "tiny-16" / "budget.json").is_file()
    assert report["figure9_seconds"] == 0                      # neither run is one of Figure 9's


def test_figure9_runs_measure_at_every_multiple_past_growth_and_at_their_end():
    from stylegan_lib.farm.budget import figure9_points

    runs = {r.name: r for r in farm_runs("book-16")}
    b, a = runs["config-B-seed0"], runs["config-A-seed0"]
    assert farm_scale("book-16").growth_kimg() == 20 and farm_scale("book-16").figure9_metrics_kimg == 10
    assert figure9_points(b, 80.0) == 7                      # 20, 30, …, 80 (what the trained runs logged)
    assert figure9_points(b, 75.0) == 7                      # 20, …, 70 and the end
    assert figure9_points(b, 19.0) == 0 and figure9_points(a, 80.0) == 0


def test_tiny_farm_trains_resumes_skips_evaluates_and_ships(tmp_path, capsys):
    out = tmp_path / "farm"
    base = TINY + ["--out", str(out), "--only", "config-A,mixing-50"]
    runs = select_runs(farm_runs("tiny-16"), "config-A,mixing-50")
    a, mix = runs
    assert [r["state"] for r in status_rows(runs, out)] == ["missing", "missing"]

    # An interrupted session: the deadline has passed, so config-A stops at its first tick.
    fs = farm_scale("tiny-16")
    images, info = load_images(fs.data, 16, progress=False)
    record = train_run(a, out, images, info, deadline=time.time() - 1, device="cpu", progress=False)
    assert record["state"] == "partial" and record["kimg"] == pytest.approx(0.016)
    assert run_state(a, out).state == "partial"

    # The farm resumes it (partial runs first) and starts the missing one.
    assert cli.main(["train"] + base) == 0
    err = capsys.readouterr().err
    assert "config-A-seed0 (config-A, seed 0): resuming at 0.016 kimg" in err
    assert "mixing-50-seed0 (mixing-50, seed 0): starting" in err
    log = [json.loads(x) for x in (run_dir(out, a) / "log.jsonl").read_text().splitlines()]
    assert [e["kimg"] for e in log] == [0.016, 0.032, 0.048, 0.064]
    prov = json.loads((run_dir(out, a) / "provenance.json").read_text())
    assert prov["state"] == "done" and prov["kimg"] == pytest.approx(0.064) and prov["seed"] == 0
    assert len(prov["sessions"]) == 2 and prov["wall_time_s"] > 0
    assert {"command", "git_commit", "cpu", "device", "dataset", "options"} <= prov.keys()
    assert "farm train --scale tiny-16 --kimg 0.064 --only config-A-seed0" in prov["command"]

    # Done runs are skipped.
    stamp = (run_dir(out, a) / "checkpoint.pt").stat().st_mtime_ns
    assert cli.main(["train"] + base) == 0
    assert capsys.readouterr().err.count("skipped") == 2
    assert (run_dir(out, a) / "checkpoint.pt").stat().st_mtime_ns == stamp

    # A kimg raised after the fact turns them partial; training config-A again brings it there.
    assert cli.main(["status"] + base + ["--kimg", "0.08"]) == 0
    text = capsys.readouterr().out
    assert "partial" in text and "2 partial" in text
    assert cli.main(["train"] + TINY + ["--out", str(out), "--only", "config-A", "--kimg", "0.08"]) == 0
    capsys.readouterr()
    assert [r["state"] for r in status_rows(runs, out, 0.08)] == ["done", "partial"]
    assert [r["state"] for r in status_rows(runs, out)] == ["done", "done"]

    # A folder holding another run is refused, not trained over.
    other = tmp_path / "other"
    (other / "tiny-16").mkdir(parents=True)
    import shutil

    shutil.copytree(run_dir(out, a), run_dir(other, mix))
    with pytest.raises(FarmError, match="other options"):
        train_run(mix, other, images, info, device="cpu", progress=False)

    # Evaluate: one results file, one entry per run, the counts and the metric versions.
    assert cli.main(["evaluate"] + base) == 0
    doc = load_results(results_path(out, "tiny-16"))
    assert set(doc["runs"]) == {"config-A-seed0", "mixing-50-seed0"}
    assert doc["counts"] == fs.counts and doc["scale"] == "tiny-16" and doc["growth_kimg"] == 0.032
    ea, em = doc["runs"]["config-A-seed0"], doc["runs"]["mixing-50-seed0"]
    assert ea["kimg"] == pytest.approx(0.08) and em["kimg"] == pytest.approx(0.064)
    assert set(EVAL_METRICS) <= set(ea["results"]) and "fd_mix2" not in ea["results"]
    assert {"fd_mix2", "fd_mix3", "fd_mix4"} <= set(em["results"])
    assert ea["results"]["fd"]["num_gen"] == fs.counts["fd"]
    assert ea["results"]["ppl_wend"]["num_samples"] == fs.counts["ppl"]
    assert {"fd", "kd", "ppl_zfull", "ppl_wend", "ls"} <= set(ea["metric_versions"])
    assert all(math.isfinite(ea["results"][m]["value"]) for m in ("fd", "kd", "ppl_zend", "ppl_wfull"))
    t2 = {r["label"]: r for r in table(doc, "table2")}
    assert t2["mixing 50 %"]["ours"]["fd_mix3"]["n"] == 1 and t2["mixing 0 %"]["ours"]["fd"]["n"] == 0
    assert t2["mixing 50 %"]["paper"]["fd_mix2"] == 6.10
    assert cli.main(["evaluate"] + base) == 0
    assert capsys.readouterr().err.count("already evaluated") == 2
    assert cli.main(["evaluate"] + base + ["--fd-num", "32"]) == 1
    assert "--force" in capsys.readouterr().err
    assert cli.main(["tables"] + base) == 0
    assert "| mixing 50 % |" in capsys.readouterr().out

    # Ship: fp16 G_ema with provenance; an existing file is kept without --force.
    dest = tmp_path / "pretrained"
    shipped = ship_farm(runs, out, dest, quality_num=0, log=lambda _: None)
    assert [m["name"] for m in shipped] == ["farm-tiny-16-config-A-seed0", "farm-tiny-16-mixing-50-seed0"]
    assert (dest / "tiny-16" / "farm-tiny-16-config-A-seed0.pt").is_file()
    assert (dest / "tiny-16" / "results.json").is_file()
    meta = json.loads((dest / "tiny-16" / "farm-tiny-16-mixing-50-seed0.json").read_text())
    assert meta["seed"] == 0 and meta["kimg"] == pytest.approx(0.064) and "farm train" in meta["command"]
    assert ship_farm(runs, out, dest, quality_num=0, log=lambda _: None) == []
    assert shipped_provenance(runs[1], dest) == meta
    # A table's rows with their generators and spaces: config-B was not shipped, which the error says.
    with pytest.raises(FileNotFoundError, match="config-B-seed0 of the farm scale 'tiny-16' is not shipped.*farm ship"):
        row_models("tiny-16", "table1", dest, device="cpu")


# ------------------------------------------------------------------------------------------
# The ladder: StyleGAN3's configurations as a farm of their own.
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("scale", ["ladder-16", "ladder-32", "ladder-tiny"])
def test_ladder_registry_is_every_rung_twice_at_its_generation(scale):
    from stylegan_lib.farm.runs import LADDER_ROWS, LADDER_SEEDS
    from stylegan_lib.generations import generation_of

    runs = farm_runs(scale)
    # Seed 0's ladder and its three controls first, then seed 1's.
    assert [r.name for r in runs[9:14]] == ["config-R-seed0", "config-C-map2-seed0", "config-C-noreg-seed0",
                                           "config-A-nodemod-seed0", "config-A-seed1"]
    assert len(runs) == (len(LADDER_ROWS) + 3) * LADDER_SEEDS == 26
    first = [r for r in runs if r.seed == 0]
    assert [r.variant for r in first[:10]] == [row.variant for row in LADDER_ROWS]
    assert [generation_of(r.config) for r in first] == ["stylegan2"] + ["stylegan3"] * 11 + ["stylegan2"]
    assert len({r.config for r in first}) == 13                    # every rung its own network
    assert first[0].config.demodulate and not first[-1].config.demodulate   # chapter 12's droplet control
    assert {r.config.img_resolution for r in runs} == {int(scale.split("-")[1]) if scale != "ladder-tiny" else 16}
    assert not any(r.figure9 for r in runs)
    by_name = {r.name: r for r in first}
    assert by_name["config-C-seed0"].tables == by_name["config-D-seed0"].tables == ("ladder", "ladder_d")
    assert by_name["config-C-map2-seed0"].tables == ("ladder_d",) and by_name["config-T-seed0"].tables == ("ladder",)
    # The controls change one part of step C → D each.
    c, m2, noreg, d = (by_name[f"config-{v}-seed0"].config for v in ("C", "C-map2", "C-noreg", "D"))
    assert (m2.mapping_layers, m2.style_mixing_prob, m2.pl_weight) == (d.mapping_layers, c.style_mixing_prob, c.pl_weight)
    assert (noreg.mapping_layers, noreg.style_mixing_prob, noreg.pl_weight) == (c.mapping_layers, 0.0, 0.0)
    assert m2.skip_torgb == noreg.skip_torgb == c.skip_torgb != d.skip_torgb
    assert [r.name for r in select_runs(runs, "config-T")] == ["config-T-seed0", "config-T-seed1"]
    assert len(select_runs(runs, "ladder")) == 20 and len(select_runs(runs, "ladder_d")) == 8
    assert [r.name for r in select_runs(runs, "ladder_a")] == ["config-A-seed0", "config-A-nodemod-seed0",
                                                               "config-A-seed1", "config-A-nodemod-seed1"]
    assert [r.name for r in select_runs(runs, "seed0")] == [r.name for r in runs[:13]]
    with pytest.raises(ValueError, match="variants \\(config-A, config-B"):
        select_runs(runs, "mixing-90")


def test_ladder_changes_name_each_rungs_step_from_the_presets():
    from stylegan_lib.farm.runs import ladder_changes

    steps = {s["rung"]: s for s in ladder_changes("ladder-16")}
    assert list(steps) == ["A", "B", "C", "D", "E", "F", "G", "H", "T", "R"]
    assert steps["A"]["changes"] == {} and steps["A"]["preset"] == "sg2-book-16/config-F"
    # A → B changes generation: StyleGAN2's fields go, StyleGAN3's come.
    assert steps["B"]["changes"] == {"generation": ("stylegan2", "stylegan3")}
    assert "demodulate" in steps["B"]["dropped"] and "transformed_fourier" in steps["B"]["new"]
    assert steps["C"]["changes"] == {"use_noise": (True, False)}
    assert set(steps["D"]["changes"]) == {"mapping_layers", "skip_torgb", "magnitude_norm", "style_mixing_prob",
                                          "pl_weight"}
    assert steps["D"]["changes"]["mapping_layers"] == (8, 2)
    assert steps["H"]["changes"] == {"transformed_fourier": (False, True)}
    assert all(not s["new"] and not s["dropped"] for r, s in steps.items() if r != "B")
    with pytest.raises(ValueError, match="not a ladder scale"):
        ladder_changes("book-16")


def test_tiny_ladder_trains_evaluates_and_tabulates(tmp_path, capsys):
    """StyleGAN2 (rung A) gets no EQ numbers, StyleGAN3-T gets both; the table stands the
    paper's FID / EQ beside ours."""
    out = tmp_path / "ladder"
    base = ["--scale", "ladder-tiny", "--device", "cpu", "--no-progress", "--out", str(out),
            "--only", "config-A-seed0,config-T-seed0"]
    assert cli.main(["train"] + base) == 0
    assert cli.main(["evaluate"] + base) == 0
    doc = load_results(results_path(out, "ladder-tiny"))
    assert doc["study"] == "ladder" and set(doc["runs"]) == {"config-A-seed0", "config-T-seed0"}
    ea, et = doc["runs"]["config-A-seed0"]["results"], doc["runs"]["config-T-seed0"]["results"]
    assert "ppl_zend" not in ea and ea["eq_t"]["value"] is None and "not_applicable" in ea["eq_t"]
    assert math.isfinite(et["eq_t"]["value"]) and math.isfinite(et["eq_r"]["value"])
    assert et["eq_t"]["num_samples"] == farm_scale("ladder-tiny").counts["eq"]
    rows = {r["variant"]: r for r in table(doc, "ladder")}
    assert rows["config-A"]["ours"]["eq_t"]["n"] == 0 and rows["config-A"]["ours"]["fd"]["n"] == 1
    assert rows["config-T"]["ours"]["eq_r"]["mean"] == pytest.approx(et["eq_r"]["value"])
    assert rows["config-T"]["paper"]["eq_t"] == 63.01 and rows["config-B"]["ours"]["fd"]["n"] == 0
    gt = {r["variant"]: r for r in table(doc, "ladder", columns=("gt_d", "gt_mig"))}
    assert gt["config-T"]["seeds"]["gt_mig"] == [et["gt"]["w"]["mig"]] and set(gt["config-A"]["ours"]) == {"gt_d", "gt_mig"}
    capsys.readouterr()
    assert cli.main(["tables"] + base) == 0
    text = capsys.readouterr().out
    assert "| T StyleGAN3-T |" in text and "table1" not in text
    # A folder whose model is not the registry's (a preset changed since, say) is refused, not evaluated.
    import shutil

    from stylegan_lib.farm.results import evaluate_farm

    nodemod = select_runs(farm_runs("ladder-tiny"), "config-A-nodemod-seed0")[0]
    shutil.copytree(run_dir(out, select_runs(farm_runs("ladder-tiny"), "config-A-seed0")[0]), run_dir(out, nodemod))
    with pytest.raises(FarmError, match="differing: demodulate"):
        evaluate_farm([nodemod], out, device="cpu", progress=False, log=lambda _: None)

    # The picture: seeds, their mean, and the paper's numbers on their own axis where it has them.
    from stylegan_lib.viz.tables import plot_ladder, plot_table, table_points

    ladder = table(doc, "ladder")
    p = table_points(ladder, "eq_t")
    assert math.isnan(p["mean"][0]) and p["seeds"][1] == []
    assert p["mean"][8] == pytest.approx(et["eq_t"]["value"]) == p["seeds"][8][0] and p["paper"][9] == 66.65
    assert math.isnan(table_points(ladder, "ls")["paper"][8])
    fig = plot_ladder(ladder)
    assert sum(ax.get_visible() for ax in fig.axes) == 6 + 3             # 3 twin axes: fd, eq_t, eq_r
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == list("ABCDEFGHTR")
    with pytest.raises(ValueError, match="not the ladder"):
        plot_ladder(table(doc, "table1"))
    with pytest.raises(ValueError, match="no column 'eq_t'"):
        plot_table(table(doc, "table1"), ["eq_t"])
    fig = plot_table(table(doc, "table4"), ["fd", "ls"])                # the paper's tables, long labels
    assert fig.axes[0].get_xticklabels()[0].get_text() == "traditional 0 Z"


# ------------------------------------------------------------------------------------------
# Workers side by side, and the sprint (the one prepared run of a lent GPU).
# ------------------------------------------------------------------------------------------
def test_workers_share_the_runs_and_the_common_length_is_worked_out_by_hand():
    from stylegan_lib.farm.parallel import common_kimg, split_runs

    runs = farm_runs("ladder-tiny")
    shares = split_runs(runs, 13)
    assert [[r.name for r in s] for s in shares[:2]] == [["config-A-seed0", "config-A-seed1"],
                                                          ["config-B-seed0", "config-B-seed1"]]
    assert len(split_runs(runs[:3], 10)) == 3 and sum(map(len, split_runs(runs, 5))) == 26
    with pytest.raises(ValueError, match="at least 1"):
        split_runs(runs, 0)
    a0, a1, b0 = runs[0], runs[13], runs[1]
    # Worker 1 alone on B at 100 images/s from 0.5 kimg, 60 s: K = 0.5 + 100·60/1000 = 6.5.
    # Worker 0: A seed 0 at 50/s from 1, then seed 1 at 25/s from 0: 20(K−1) + 40K = 60 → K = 4/3,
    # 1.25 in whole ticks of 0.25; the common length is the smaller.
    now, speed = {a0.name: 1.0, a1.name: 0.0, b0.name: 0.5}, {a0.name: 50.0, a1.name: 25.0, b0.name: 100.0}
    assert common_kimg([[b0]], now, speed, 60.0, 0.5) == 6.5
    assert common_kimg([[a0, a1], [b0]], now, speed, 60.0, 0.25) == 1.25
    assert common_kimg([[a0, a1], [b0]], now, speed, 0.0, 0.5) == 1.0    # never below the furthest run


def test_results_written_in_parts_merge_into_one_file(tmp_path):
    from stylegan_lib.farm.parallel import merge_results
    from stylegan_lib.farm.results import FORMAT
    from stylegan_lib.farm.runner import write_json

    head = {"format": FORMAT, "scale": "ladder-tiny", "counts": {"fd": 64}, "study": "ladder"}
    for k, run in enumerate(("config-A-seed0", "config-T-seed0")):
        write_json(tmp_path / "ladder-tiny" / f"results-part-{k}.json", {**head, "runs": {run: {"kimg": k}}})
    merged = load_results(merge_results(tmp_path, "ladder-tiny"))
    assert set(merged["runs"]) == {"config-A-seed0", "config-T-seed0"} and merged["counts"] == {"fd": 64}
    assert not list((tmp_path / "ladder-tiny").glob("results-part-*"))
    write_json(tmp_path / "ladder-tiny" / "results-part-0.json", {**head, "counts": {"fd": 32}, "runs": {}})
    with pytest.raises(FarmError, match="other counts"):
        merge_results(tmp_path, "ladder-tiny")
    assert set(load_results(merge_results(tmp_path, "ladder-tiny", fresh=True))["runs"]) == set()


def test_sprint_probes_sizes_trains_evaluates_and_ships_in_its_time(tmp_path, capsys):
    from stylegan_lib.farm.parallel import probe_ticks

    out, dest = tmp_path / "sprint", tmp_path / "shipped"
    assert cli.main(["sprint", "--scale", "ladder-tiny", "--device", "cpu", "--no-progress", "--out", str(out),
                     "--only", "config-A-seed0,config-B-seed0", "--workers", "2", "--minutes", "0.8",
                     "--eval-share", "0.6", "--dest", str(dest)]) == 0
    report = json.loads((out / "ladder-tiny" / "sprint.json").read_text())
    probe, k = report["probe"], report["train"]["kimg"]
    # A tiny tick is 2 steps, lazy R1 every 16: the probe spans a whole R1 cycle after its first tick.
    assert probe_ticks(select_runs(farm_runs("ladder-tiny"), "config-A-seed0")[0]) == 1 + 8
    assert probe["kimg"] == pytest.approx(9 * 0.016) and all(v > 0 for v in probe["images_per_s"].values())
    assert k >= probe["kimg"] - 1e-9 and math.isclose(k / 0.016, round(k / 0.016))   # whole ticks, not below the probe
    done = [n for n, s in report["train"]["states"].items() if s == "done"]
    assert done and report["seconds"] < 0.8 * 60 + 5                    # within its time
    assert report["evaluate"]["evaluated"] == sorted(done), report["evaluate"]
    doc = load_results(results_path(out, "ladder-tiny"))
    assert sorted(doc["runs"]) == sorted(done) and all(e["kimg"] == pytest.approx(k) for e in doc["runs"].values())
    assert sorted(report["ship"]["shipped"]) == sorted(f"farm-ladder-tiny-{n}" for n in done)
    assert (out / "ladder-tiny" / "workers" / "train-1.log").is_file()
    # What the chapters read back: the shipped results and generators.
    from stylegan_lib.farm.ship import load_shipped_run, shipped_results

    assert sorted(shipped_results("ladder-tiny", dest)["runs"]) == sorted(done)
    run = select_runs(farm_runs("ladder-tiny"), done[0])[0]
    G = load_shipped_run(run, dest, device="cpu")
    assert G.img_resolution == 16 and G.config == run.config
    with pytest.raises(FileNotFoundError, match="farm ship --scale ladder-tiny"):
        load_shipped_run(select_runs(farm_runs("ladder-tiny"), "config-R-seed1")[0], dest)
    with pytest.raises(FileNotFoundError, match="no shipped results"):
        shipped_results("ladder-16", dest)
    # A growing farm cannot be sized from a probe: refused, with what to do instead.
    assert cli.main(["sprint", "--scale", "tiny-16", "--out", str(out), "--minutes", "1", "--device", "cpu"]) == 1
    assert "farm train --workers" in capsys.readouterr().err


def test_figure9_draws_each_runs_fd_and_ppl_against_kimg():
    from stylegan_lib.viz.disentanglement import plot_figure9

    curves = {"config-B-seed0": [{"kimg": 10, "fd": 300.0, "ppl_wend": 20.0}, {"kimg": 20, "fd": 200.0, "ppl_wend": 30.0}],
              "config-F-seed0": [{"kimg": 10, "fd": 310.0, "ppl_wend": 15.0}, {"kimg": 20, "fd": 190.0}]}
    fig = plot_figure9(curves, growth_kimg=20.0)
    fd_ax, ppl_ax = fig.axes
    assert [list(l.get_ydata()) for l in fd_ax.get_lines()[:2]] == [[300.0, 200.0], [310.0, 190.0]]
    assert list(ppl_ax.get_lines()[1].get_ydata()) == [15.0]              # a missing PPL is left out
    assert fd_ax.get_lines()[-1].get_xdata()[0] == 20.0                  # the dashed growth line
    with pytest.raises(ValueError, match="config-B and config-F"):
        plot_figure9({"config-B-seed0": []})


def test_a_terminated_farm_command_leaves_no_worker_running(tmp_path, monkeypatch):
    import os
    import re
    import signal
    import subprocess
    import sys
    import threading

    from stylegan_lib.farm import parallel

    marker = f"import time; time.sleep(61.{os.getpid()})"                # a worker that would outlive us

    timers = []

    def worker(*args, **kwargs):                                          # called once the handler is in place
        if not timers:
            timers.append(threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGTERM)))
            timers[0].start()
        return [sys.executable, "-c", marker]

    monkeypatch.setattr(parallel, "worker_command", worker)
    runs = select_runs(farm_runs("ladder-tiny"), "config-A-seed0,config-B-seed0")
    with pytest.raises(SystemExit) as stop:
        parallel.run_workers("train", runs, tmp_path, 2, "cpu", log=lambda _: None)
    assert stop.value.code == 128 + signal.SIGTERM
    assert subprocess.run(["pgrep", "-f", re.escape(marker)], capture_output=True).returncode == 1   # none left
    assert signal.getsignal(signal.SIGTERM) is not parallel._exit_on_signal                # handler restored


def test_workers_get_enough_seeds_and_old_parts_are_cleared_first(tmp_path, monkeypatch):
    import sys

    from stylegan_lib.farm import parallel
    from stylegan_lib.farm.runner import write_json

    runs = farm_runs("book-16")
    share = [r for r in runs if r.name == "config-B-seed1"]          # traditional-0, seed 1
    cmd = parallel.worker_command("train", share, tmp_path, "cpu", 1)
    assert cmd[cmd.index("--seeds") + 1] == "2" and cmd[cmd.index("--only") + 1] == "config-B-seed1"
    assert [r.name for r in select_runs(farm_runs("book-16", 2), "config-C-seed1")] == ["config-C-seed1"]

    stale = write_json(tmp_path / "book-16" / "results-part-7.json", {"runs": {}})
    monkeypatch.setattr(parallel, "worker_command", lambda *a, **k: [sys.executable, "-c", "raise SystemExit(3)"])
    codes = parallel.run_workers("evaluate", runs[:2], tmp_path, 2, "cpu", parts=True, log=lambda _: None)
    assert codes == [3, 3] and parallel.exit_code(codes) == 1 and parallel.exit_code([0, 0]) == 0
    assert not stale.exists()


def test_step_changes_pool_the_seed_noise_and_test_each_step_by_hand():
    from scipy import stats

    from stylegan_lib.farm.results import step_changes

    rows = [{"label": lab, "seeds": {"gt_i": v}} for lab, v in
            (("A", [1.0, 3.0]), ("B", [5.0, 7.0]), ("C", [5.5, 6.5]), ("D", []), ("E", [6.0]))]
    out = step_changes(rows, "gt_i")
    # Within-rung variances 2, 2, 0.5 on 3 degrees of freedom: s_p² = 1.5.
    assert out["dof"] == 3 and out["s_pooled"] == pytest.approx(1.5 ** 0.5)
    limit = stats.t.ppf(0.975, 3) * 1.5 ** 0.5                      # 3.90 for two seeds on each side
    a_b, b_c = out["steps"][:2]
    assert (a_b["from"], a_b["to"], a_b["delta"]) == ("A", "B", 4.0) and a_b["threshold"] == pytest.approx(limit)
    assert a_b["beyond_noise"] and a_b["beyond_ranges"] and not b_c["beyond_noise"] and b_c["delta"] == 0.0
    assert len(out["steps"]) == 2                                      # C → D and D → E have no two sides
    logged = step_changes(rows, "gt_i", log_scale=True)["steps"][0]
    assert logged["delta"] == pytest.approx(math.log(35) / 2 - math.log(3) / 2)
    assert step_changes(rows[3:], "gt_i")["s_pooled"] is None          # one seed: no noise estimate
    with pytest.raises(ValueError, match="positive"):
        step_changes([{"label": "A", "seeds": {"x": [0.0, 1.0]}}], "x", log_scale=True)


def test_step_changes_formatted_side_by_side_with_their_marks():
    from stylegan_lib.farm.results import format_step_changes, step_changes

    rows = [{"label": f"{lab} rung", "seeds": {"gt_i": g, "fd": f}} for lab, g, f in
            (("A", [1.0, 3.0], [10.0, 10.5]), ("B", [5.0, 7.0], [10.2, 10.4]), ("C", [5.5, 6.5], []))]
    text = format_step_changes([step_changes(rows, "gt_i"), step_changes(rows, "fd")])
    lines = text.splitlines()
    assert lines[0] == "| step | gt_i (Δ) | fd (Δ) |"
    assert lines[2] == "| A → B | **+4** † | +0.05 |"            # 4 > 3.90 and > both ranges (2, 2)
    assert lines[3] == "| B → C | +0 | — |"                        # C has no FD: no step
    assert lines[4] == "| seed noise | s = 1.22, threshold 3.9 (ν = 3) | s = 0.269, threshold 1.16 (ν = 2) |"
    with pytest.raises(ValueError, match="no step changes"):
        format_step_changes([])


def test_a_table_read_in_another_space_drops_the_papers_numbers():
    from stylegan_lib.farm.results import table

    entry = {"variants": ["style-based-8"], "results": {
        "ls": {"z": 4.0, "w": 2.0}, "ppl_wend": {"value": 30.0}, "ppl_zend": {"value": 60.0}}}
    doc = {"runs": {"x": entry}}
    own = {r["label"]: r for r in table(doc, "table4", columns=("ppl_end",))}["style-based 8 W"]
    other = {r["label"]: r for r in table(doc, "table4", columns=("ppl_end",), space="z")}["style-based 8 W"]
    assert own["seeds"]["ppl_end"] == [30.0] and own["paper"]["ppl_end"] == 195.9
    assert other["seeds"]["ppl_end"] == [60.0] and other["paper"]["ppl_end"] is None and other["space"] == "z"
    with pytest.raises(ValueError, match="space"):
        table(doc, "table4", space="x")


def test_two_rows_walked_side_by_side_and_their_widget():
    from stylegan_lib.generator import Generator
    from stylegan_lib.viz.disentanglement import compare_paths, configuration_widget

    torch.manual_seed(0)
    trad, style = Generator("tiny-16/config-B").eval(), Generator("tiny-16/config-F").eval()
    models = {"traditional Z": (trad, "z"), "style-based W": (style, "w")}
    fig = compare_paths(models, "traditional Z", "style-based W", 3, 4, steps=5, ppl={"style-based W": 12.5})
    strip_a, strip_b = [ax for ax in fig.axes if ax.get_ylabel() != "mean squared change"][:2]
    assert strip_a.get_ylabel() == "traditional Z" and strip_b.get_ylabel() == "style-based W\nPPL 12.5"
    assert strip_a.get_title() == "seed 3 (t = 0)  →  seed 4 (t = 1)"
    with pytest.raises(ValueError, match="no model for 'mixing'"):
        compare_paths(models, "mixing", "style-based W")
    box = configuration_widget(models)
    box.children[1].children[0].value = 7                                  # seed A: redrawn
    first = box.image.value
    box.children[1].children[0].value = 8                                  # and again, other faces
    assert first[:4] == b"\x89PNG" and box.image.value[:4] == b"\x89PNG" and box.image.value != first
    import matplotlib.pyplot as plt

    plt.close("all")


def test_a_shipped_farm_is_checked_whole_and_at_one_length_and_its_provenance_tabulated(tmp_path):
    from stylegan_lib.farm.results import FORMAT
    from stylegan_lib.farm.ship import load_shipped_farm, provenance_table, shipped_name

    runs = farm_runs("tiny-16")
    folder = tmp_path / "tiny-16"
    folder.mkdir()

    def write(entries):
        (folder / "results.json").write_text(json.dumps({"format": FORMAT, "runs": entries}))

    write({r.name: {"kimg": 0.064} for r in runs[1:]})
    with pytest.raises(FarmError, match=f"lack {runs[0].name}"):
        load_shipped_farm("tiny-16", tmp_path)
    write({r.name: {"kimg": 0.064 if i else 0.048} for i, r in enumerate(runs)})
    with pytest.raises(FarmError, match="different lengths \\(0.048, 0.064 kimg\\)"):
        load_shipped_farm("tiny-16", tmp_path)
    write({r.name: {"kimg": 0.064} for r in runs})
    assert set(load_shipped_farm("tiny-16", tmp_path)["runs"]) == {r.name for r in runs}

    meta = {"kimg": 0.064, "wall_time_s": 90.0, "device": "cpu", "cpu": "AMD EPYC", "torch_threads": 2,
            "git_commit": None}
    (folder / f"{shipped_name(runs[0])}.json").write_text(json.dumps(meta))
    (folder / f"{shipped_name(runs[1])}.json").write_text(json.dumps(
        {**meta, "git_commit": "abcdef0123", "quality": {"fd": 213.61, "fd_real_real": 2.21}}))
    text, seconds = provenance_table(runs[:2], tmp_path)
    lines = text.splitlines()
    assert seconds == 180.0 and len(lines) == 4
    assert lines[2].endswith("| 1.5 min | cpu (AMD EPYC, 2 threads) | — | — |")      # no commit, no quality check
    assert lines[3].endswith("| abcdef0 | 213.6 (2.2) |")


def test_sample_rows_draw_every_model_on_the_same_seeds():
    from stylegan_lib.generator import Generator
    from stylegan_lib.viz.grids import plot_sample_rows

    torch.manual_seed(0)
    models = {"one": Generator("tiny-16").eval(), "a longer label": Generator("tiny-16").eval()}
    fig = plot_sample_rows(models, [3, 4, 5])
    assert len(fig.axes) == 6 and fig.axes[3].get_ylabel() == "a longer label"
    with pytest.raises(ValueError, match="at least one model"):
        plot_sample_rows({}, [1])
