"""Shipping a run: the model file, its provenance with the run's command and the quality record."""
import json

from stylegan_lib.pretrained import load_pretrained
from stylegan_lib.train import cli
from stylegan_lib.train.ship import ship_run


def test_ship_writes_model_provenance_and_quality(tmp_path):
    out, dest = tmp_path / "run", tmp_path / "shipped"
    assert cli.main(["--preset", "tiny-16", "--data", "faces:64", "--out", str(out), "--batch", "8",
                     "--start-res", "16", "--tick-kimg", "0.016", "--snapshot-kimg", "0.032",
                     "--sample-kimg", "0.016", "--metrics-kimg", "0.032", "--device", "cpu",
                     "--no-progress", "--kimg", "0.032"]) == 0
    meta = ship_run(out, name="tiny", dest=dest, quality_num=24, quality_ppl_num=16)
    saved = json.loads((dest / "tiny.json").read_text())
    assert saved["kimg"] == 0.032 and "--metrics-kimg 0.032" in saved["command"]
    q = saved["quality"]
    assert q["fd_num"] == 24 and q["fd"] > 0 and q["fd_real_real"] > 0
    assert abs(q["fd_ratio"] - q["fd"] / q["fd_real_real"]) < 1e-9
    assert 0 <= q["noise_std_mean"] <= q["noise_std_p95"] and q["ppl_wend"] > 0
    assert saved["final_tick"]["fd"] > 0                      # the log's metrics travel along
    assert meta["sha256"] == saved["sha256"]
    G = load_pretrained(str(dest / "tiny.pt"), device="cpu")
    assert G.img_resolution == 16
    assert (dest / "tiny-log.jsonl").is_file() and (dest / "tiny-samples.png").is_file()
