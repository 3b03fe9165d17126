"""The GPU check script (stylegan_lib.gpu_check): without CUDA it skips cleanly; its steps run
on the CPU on tiny networks, and a failing or overlong step is recorded, not fatal."""
import json
import time

import pytest
import torch

from stylegan_lib import gpu_check


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-CUDA path")
def test_without_cuda_it_skips_and_says_so(tmp_path, capsys):
    assert gpu_check.main(["--out", str(tmp_path)]) == 0
    assert "no CUDA device: skipped" in capsys.readouterr().out
    result = json.loads((tmp_path / "gpu-results.json").read_text())
    assert result["status"] == "skipped" and "no CUDA device" in result["reason"]
    assert result["sections"] == {} and "skipped" in (tmp_path / "gpu.md").read_text()


def test_quick_run_on_cpu_records_every_step(tmp_path):
    assert gpu_check.main(["--out", str(tmp_path), "--device", "cpu", "--quick", "--seconds", "0.2",
                           "--commit", "abc123"]) == 0
    result = json.loads((tmp_path / "gpu-results.json").read_text())
    assert result["status"] == "done" and result["commit"] == "abc123"
    sections = result["sections"]
    assert sections["generator on the device vs the CPU"][0]["max_abs_diff (cuDNN TF32 off)"] == 0.0
    assert sections["one trainer step"][0]["finite"] is True
    rows = {r["name"]: r for r in sections["training"]}
    fp32 = rows["tiny-16 fp32"]
    assert fp32["resolution"] == 16 and fp32["batch"] == 4 and fp32["s_per_kimg"] > 0
    # bf16 on a CPU without bf16 units: the trainer refuses, the row says why, the run goes on
    assert "s_per_kimg" in rows["tiny-16 bf16"] or "bf16" in rows["tiny-16 bf16"]["error"]
    detector = sections["FID feature extraction"][0]
    assert detector["network"] == "classifier" and detector["images_per_s"] > 0 and detector["features"] > 0
    md = (tmp_path / "gpu.md").read_text()
    assert "## training" in md and "tiny-16 fp32" in md and "abc123" in md


def test_speed_against_the_v100_figures():
    assert gpu_check.versus_v100(256, 7.2) == {"speedup_vs_v100": "3.00–3.36×", "goal_3x_met": True}
    assert gpu_check.versus_v100(1024, 60.0)["goal_3x_met"] is False
    assert gpu_check.versus_v100(16, 1.0) == {}
    assert gpu_check.OFFICIAL_BATCH == {256: 8, 1024: 4}


def test_a_step_past_its_limit_or_failing_is_recorded(monkeypatch):
    monkeypatch.setattr(gpu_check, "MIN_STEP_S", 0.1)
    assert "StepTimeout" in gpu_check.run_step("slow", lambda: time.sleep(10), limit=0.3)["error"]
    assert "ZeroDivisionError" in gpu_check.run_step("bad", lambda: 1 / 0, limit=10)["error"]
    assert gpu_check.run_step("late", lambda: {}, limit=0.05) == {"skipped": "the budget was spent"}
    assert gpu_check.run_step("ok", lambda: {"x": 1}, limit=10)["x"] == 1
