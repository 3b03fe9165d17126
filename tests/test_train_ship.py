"""Shipping a run: the model file, its provenance with the run's command and the quality record."""
import json

from stylegan_lib.pretrained import load_pretrained
from stylegan_lib.train import cli
from stylegan_lib.train.ship import ship_run


def test_ship_writes_model_provenance_and_quality(tmp_path):
    out, dest = tmp_path / "run", tmp_path / "shipped"
    assert cli.main(["--preset", "tiny-16", "--data", "faces:64:medium", "--out", str(out), "--batch", "8",
                     "--start-res", "16", "--tick-kimg", "0.016", "--snapshot-kimg", "0.032",
                     "--sample-kimg", "0.016", "--metrics-kimg", "0.032", "--device", "cpu",
                     "--no-progress", "--kimg", "0.032"]) == 0
    meta = ship_run(out, name="tiny", dest=dest, quality_num=24, quality_ppl_num=16)
    saved = json.loads((dest / "tiny.json").read_text())
    assert saved["kimg"] == 0.032 and "--metrics-kimg 0.032" in saved["command"]
    q = saved["quality"]
    assert q["fd_num"] == 24 and q["fd"] > 0 and q["fd_real_real"] > 0
    assert saved["quality_data"] == "faces:64:medium"          # measured against its own data
    assert abs(q["fd_ratio"] - q["fd"] / q["fd_real_real"]) < 1e-9
    assert 0 <= q["noise_std_mean"] <= q["noise_std_p95"] and q["ppl_wend"] > 0
    assert saved["final_tick"]["fd"] > 0                      # the log's metrics travel along
    assert meta["sha256"] == saved["sha256"]
    G = load_pretrained(str(dest / "tiny.pt"), device="cpu")
    assert G.img_resolution == 16
    assert (dest / "tiny-log.jsonl").is_file() and (dest / "tiny-samples.png").is_file()


def test_ship_refuses_a_run_short_of_its_kimg(tmp_path):
    """A run stopped by --stop-at (here: its target raised after the fact) is not shipped unless
    asked for; the shipped model already in place is left alone."""
    import pytest

    from stylegan_lib.train import ship
    from stylegan_lib.checkpoint import DIGEST_KEY
    from stylegan_lib.train.checkpoint import load_training_checkpoint, save_training_checkpoint

    out, dest = tmp_path / "run", tmp_path / "shipped"
    assert cli.main(["--preset", "tiny-16", "--data", "faces:32:medium", "--out", str(out), "--batch", "8",
                     "--start-res", "16", "--tick-kimg", "0.016", "--snapshot-kimg", "0.016",
                     "--sample-kimg", "0.016", "--device", "cpu", "--no-progress", "--kimg", "0.016"]) == 0
    obj = load_training_checkpoint(out / "checkpoint.pt")
    obj["options"]["kimg"] = 0.064
    save_training_checkpoint(out / "checkpoint.pt", {k: v for k, v in obj.items() if k not in ("format", "kind", DIGEST_KEY)})
    dest.mkdir()
    (dest / "tiny.pt").write_bytes(b"the model already shipped")
    with pytest.raises(ship.RunNotFinished, match="0.0 of its 0.064 kimg"):
        ship.ship_run(out, name="tiny", dest=dest, quality_num=0)
    assert ship.main([str(out), "--name", "tiny", "--dest", str(dest), "--quality-num", "0"]) == 3
    assert (dest / "tiny.pt").read_bytes() == b"the model already shipped"
    meta = ship.ship_run(out, name="tiny", dest=dest, quality_num=0, unfinished=True)
    assert meta["kimg"] == 0.016 and meta["dataset"]["config"]["detail"] == "medium"
