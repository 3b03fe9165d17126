"""``python -m stylegan_lib metrics`` and compute_metrics, on a tiny random generator."""
import json

import pytest
import torch
import torch.nn.functional as F
from torch import nn

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated:DeprecationWarning")

from stylegan_lib.metrics import compute_metrics
from stylegan_lib.metrics.cli import main


@pytest.fixture(autouse=True)
def no_detectors(tmp_path, monkeypatch):
    for var in ("STYLEGAN_INCEPTION", "STYLEGAN_VGG16", "STYLEGAN_DETECTORS_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("STYLEGAN_LIB_CACHE", str(tmp_path / "cache"))


def test_cli_json_and_cache(tmp_path, capsys):
    out = tmp_path / "m.json"
    args = ["--checkpoint", "random:tiny-16", "--metrics", "fd,kd,ppl_wend,ls", "--num", "48", "--batch", "24",
            "--no-progress", "--out", str(out), "--device", "cpu"]
    assert main(args) == 0
    res = json.loads(out.read_text())
    r = res["results"]
    assert set(r) == {"fd", "kd", "ppl_wend", "ls"}
    assert r["fd"]["detector"].startswith("faces-classifier:") and r["fd"]["num_gen"] == 48
    assert r["fd"]["value"] > 0 and r["fd"]["real_stats_cached"] is False
    assert r["ppl_wend"]["distance"] == "faces-classifier-lpips" and r["ppl_wend"]["num_samples"] == 48
    assert r["ls"]["num_samples"] == 48 and r["ls"]["z"]["value"] >= 1
    for m in r.values():
        assert m["seed"] == 0 and m["seconds"] >= 0
    assert res["device"] == "cpu" and "metrics" in res["command"]
    printed = capsys.readouterr().out
    assert "fd" in printed and "FID" not in printed
    # the real statistics come from the cache the second time
    assert main(args[:3] + ["fd", "--num", "48", "--batch", "24", "--no-progress", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["results"]["fd"]["real_stats_cached"] is True


def test_fid_needs_the_inception_file(capsys):
    assert main(["--checkpoint", "random:tiny-16", "--metrics", "fid", "--num", "8", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "inception-2015-12-05.pt" in err and "STYLEGAN_INCEPTION" in err
    assert main(["--checkpoint", "random:tiny-16", "--metrics", "fdi", "--num", "8"]) == 2
    assert "unknown metrics" in capsys.readouterr().err


class StandInInception(nn.Module):
    """The Inception detector's call signature and feature size (2048)."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(48, 2048)

    def forward(self, img: torch.Tensor, return_features: bool = False) -> torch.Tensor:
        return self.proj(F.adaptive_avg_pool2d(img.float() / 255, 4).flatten(1))


def test_fid_and_kid_with_a_stand_in_detector(tmp_path, monkeypatch):
    path = tmp_path / "inception.pt"
    torch.manual_seed(0)
    torch.jit.script(StandInInception()).save(str(path))
    monkeypatch.setenv("STYLEGAN_INCEPTION", str(path))
    torch.manual_seed(0)
    from stylegan_lib import Generator

    G = Generator("tiny-16").eval()
    out = compute_metrics(G, "fid,kid", num=40, batch_size=20, device="cpu", progress=False)
    r = out["results"]
    assert r["fid"]["detector"].startswith("inception-2015-12-05:") and r["fid"]["value"] > 0
    assert r["kid"]["subset_size"] == 40 and "std" in r["kid"]


def test_dispatch_through_the_package_cli(tmp_path):
    from stylegan_lib.__main__ import main as pkg_main

    assert pkg_main(["metrics", "--checkpoint", "random:tiny-16", "--metrics", "ppl_zfull", "--num", "8",
                     "--no-progress", "--no-cache"]) == 0


def test_bench_rows(monkeypatch):
    from stylegan_lib import Generator, pretrained
    from stylegan_lib.metrics import bench, evaluate

    monkeypatch.setattr(evaluate, "QUICK_COUNTS", {"fd": 16, "kd": 16, "fid": 16, "kid": 16, "ppl": 8, "ls": 32})
    monkeypatch.setattr(pretrained, "load_pretrained", lambda name, device: Generator("tiny-16").eval().to(device))
    rows = bench.run()
    assert all({"what", "value", "unit", "device"} <= set(r) for r in rows)
    assert any("fd+kd at 16" in r["what"] for r in rows) and any("estimated" in r["what"] for r in rows)
    assert all(r["value"] >= 0 for r in rows)


def test_help_says_detector_files_are_code():
    from stylegan_lib.metrics.cli import build_parser

    text = " ".join(build_parser().format_help().split())
    assert "TorchScript" in text and "trusted source" in text and "SHA-256" in text


def test_cli_ground_truth_prints_z_and_w(capsys):
    args = ["--checkpoint", "random:tiny-16", "--metrics", "gt", "--num", "64", "--batch", "32",
            "--no-progress", "--device", "cpu"]
    with pytest.warns(RuntimeWarning, match="eyes_open"):        # the reader cannot see eyes at 16²
        assert main(args) == 0
    printed = capsys.readouterr().out
    assert "informativeness z" in printed and "MIG z" in printed and "14 factors" in printed


def test_cli_refuses_to_replace_a_file_without_force(tmp_path, capsys):
    user_file = tmp_path / "mine.pt"
    user_file.write_bytes(b"precious")
    for flag in ("--reader-out", "--classifier-out"):
        train = "--train-factor-reader" if flag == "--reader-out" else "--train-classifier"
        assert main([train, flag, str(user_file)]) == 2
        assert "--force" in capsys.readouterr().err
    assert user_file.read_bytes() == b"precious"


def test_cli_training_outputs_are_checked_before_anything_runs(tmp_path, capsys):
    assert main(["--train-factor-reader", "--reader-out", str(tmp_path / "r.json")]) == 2
    assert ".pt file" in capsys.readouterr().err
    (tmp_path / "r.json").write_text("{}")                    # the provenance beside r.pt is someone's
    assert main(["--train-factor-reader", "--reader-out", str(tmp_path / "r.pt")]) == 2
    assert "r.json" in capsys.readouterr().err and not (tmp_path / "r.pt").exists()
    assert main(["--train-factor-reader", "--train-classifier"]) == 2
    assert "one at a time" in capsys.readouterr().err
    assert main(["--measure-detectors-at", "12"]) == 2            # not a resolution faces are drawn at
    assert "--measure-detectors-at 12" in capsys.readouterr().err
