"""``python -m stylegan_lib train``: a run, a refused overwrite, --resume, and the bench rows."""
import json

import torch

from stylegan_lib.checkpoint import load_generator
from stylegan_lib.train import cli
from stylegan_lib.train.bench import train_speed


def args(out, *extra):
    return ["--preset", "tiny-16", "--data", "faces:64", "--out", str(out), "--batch", "8",
            "--start-res", "16", "--tick-kimg", "0.016", "--snapshot-kimg", "0.032",
            "--sample-kimg", "0.032", "--device", "cpu", "--no-progress", "--set", "mapping_layers=1",
            *extra]


def test_train_resume_and_refuse_overwrite(tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(args(out, "--kimg", "0.032")) == 0
    names = {p.name for p in out.iterdir()}
    assert {"checkpoint.pt", "log.jsonl", "options.json", "runs.jsonl", "network-final.pt",
            "samples-000000kimg.png"} <= names
    log = [json.loads(x) for x in (out / "log.jsonl").read_text().splitlines()]
    assert [e["kimg"] for e in log] == [0.016, 0.032]
    assert {"loss_G", "loss_D", "images_per_s", "resolution", "alpha", "eta_s"} <= log[0].keys()
    G = load_generator(out / "network-final.pt", device="cpu")
    assert G.config.mapping_layers == 1 and G.img_resolution == 16
    run_info = json.loads((out / "runs.jsonl").read_text().splitlines()[0])
    assert run_info["dataset"]["kind"] == "SyntheticFaces" and run_info["dataset"]["num_images"] == 64

    assert cli.main(args(out, "--kimg", "0.064")) == 2
    assert "--resume" in capsys.readouterr().err
    assert cli.main(args(out, "--kimg", "0.064", "--resume")) == 0
    log = [json.loads(x) for x in (out / "log.jsonl").read_text().splitlines()]
    assert [e["kimg"] for e in log] == [0.016, 0.032, 0.048, 0.064]
    assert len((out / "runs.jsonl").read_text().splitlines()) == 2
    obj = torch.load(out / "checkpoint.pt", weights_only=True)
    assert obj["progress"]["cur_nimg"] == 64


def test_bad_data_gives_a_clear_error(tmp_path, capsys):
    bad = args(tmp_path / "r", "--kimg", "0.016")
    bad[bad.index("faces:64")] = str(tmp_path / "no-such-folder")
    assert cli.main(bad) == 1
    assert "error:" in capsys.readouterr().err
    assert not (tmp_path / "r" / "checkpoint.pt").exists()


def test_train_speed_measures_something():
    assert train_speed("tiny-16", 8, batch=8, r1_interval=2, cycles=1) > 0
