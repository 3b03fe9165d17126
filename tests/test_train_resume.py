"""Checkpoints: a resumed run is bit-identical to an uninterrupted one (CPU, fixed seed); corrupt
or wrong files give clear errors; NaN stops the run and keeps the last good checkpoint."""
import json

import pytest
import torch

from stylegan_lib.checkpoint import CheckpointError, load_generator, save_models
from stylegan_lib.config import get_config
from stylegan_lib.train import Trainer, TrainingDivergedError, recipe_options
from stylegan_lib.train.checkpoint import load_training_checkpoint


def images(n=64, r=16, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 3, r, r), dtype=torch.uint8, generator=g)


def options(**kw):
    base = dict(preset="tiny-16", device="cpu", kimg=0.192, tick_kimg=0.032, snapshot_kimg=0.064,
                sample_kimg=0.096, ema_half_life_kimg=0.05, grid_size=(2, 2),
                schedule=dict(start_res=8, lod_training_kimg=0.032, lod_transition_kimg=0.032,
                              minibatch={}, minibatch_default=8, lr={}, lr_default=0.002))
    base.update(kw)
    return recipe_options("quick", **base)


def all_state(tr):
    out = {}
    for name in ("G", "G_ema", "D"):
        for k, v in getattr(tr, name).state_dict().items():
            out[f"{name}.{k}"] = v
    for name in ("opt_G", "opt_D"):
        for pid, st in getattr(tr, name).state_dict()["state"].items():
            for k, v in st.items():
                out[f"{name}.{pid}.{k}"] = v
    return out


def test_resume_is_bit_identical(tmp_path):
    data = images()
    torch.manual_seed(123)
    full = Trainer(options(), data, run_dir=tmp_path / "full", progress=False)
    full.train()
    # the same run, killed after 0.096 kimg (inside the 16² fade-in) and resumed in a new Trainer
    part = Trainer(options(), data, run_dir=tmp_path / "part", progress=False)
    part.train(stop_after_kimg=0.096)
    assert part.cur_nimg == 96
    torch.manual_seed(999)  # the global RNG is restored from the checkpoint
    resumed = Trainer.resume(tmp_path / "part" / "checkpoint.pt", data, run_dir=tmp_path / "part",
                             progress=False)
    assert resumed.cur_nimg == 96 and resumed.lod_key == part.lod_key
    resumed.train()
    a, b = all_state(full), all_state(resumed)
    assert a.keys() == b.keys()
    diff = [k for k in a if not torch.equal(a[k], b[k])]
    assert not diff, f"resumed run differs in {diff[:5]}"
    # both logs hold the same ticks (the resumed one without duplicates)
    la = [json.loads(x) for x in (tmp_path / "full" / "log.jsonl").read_text().splitlines()]
    lb = [json.loads(x) for x in (tmp_path / "part" / "log.jsonl").read_text().splitlines()]
    assert [e["kimg"] for e in la] == [e["kimg"] for e in lb]
    assert [e["loss_G"] for e in la] == [e["loss_G"] for e in lb]
    # the training checkpoint loads with weights_only=True and as a generator
    obj = torch.load(tmp_path / "full" / "checkpoint.pt", weights_only=True)
    assert obj["kind"] == "training" and obj["progress"]["cur_nimg"] == 192
    G = load_generator(tmp_path / "full" / "checkpoint.pt", device="cpu")
    assert torch.equal(G.synthesis.blocks.b16.conv1.weight, full.G_ema.synthesis.blocks.b16.conv1.weight)


def test_corrupt_and_wrong_checkpoints_give_clear_errors(tmp_path):
    data = images()
    tr = Trainer(options(kimg=0.016, tick_kimg=0.016), data, run_dir=tmp_path, progress=False)
    tr.train()
    good = (tmp_path / "checkpoint.pt").read_bytes()
    bad = tmp_path / "truncated.pt"
    bad.write_bytes(good[: len(good) // 2])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        Trainer.resume(bad, data, progress=False)
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        load_training_checkpoint(tmp_path / "junk.pt")
    with pytest.raises(CheckpointError, match="does not exist"):
        load_training_checkpoint(tmp_path / "missing.pt")
    model_only = save_models(tmp_path / "model.pt", get_config("tiny-16"), G_ema=tr.G_ema)
    with pytest.raises(CheckpointError, match="not a training checkpoint"):
        Trainer.resume(model_only, data, progress=False)
    with pytest.raises(CheckpointError, match="training images"):
        Trainer.resume(tmp_path / "checkpoint.pt", images(n=32), progress=False)


def test_atomic_write_keeps_the_last_good_checkpoint(tmp_path, monkeypatch):
    data = images()
    tr = Trainer(options(kimg=0.016, tick_kimg=0.016), data, run_dir=tmp_path, progress=False)
    tr.train()
    before = (tmp_path / "checkpoint.pt").read_bytes()

    real_save = torch.save

    def dying_save(obj, f, *a, **k):  # write half a file, then "get killed"
        real_save(obj, f, *a, **k)
        f.truncate(100)
        raise KeyboardInterrupt("killed during the write")

    monkeypatch.setattr(torch, "save", dying_save)
    with pytest.raises(KeyboardInterrupt):
        tr.save_checkpoint()
    monkeypatch.undo()
    assert (tmp_path / "checkpoint.pt").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
    load_training_checkpoint(tmp_path / "checkpoint.pt")


def test_nan_stops_with_a_clear_message_and_keeps_checkpoint(tmp_path):
    data = images()
    tr = Trainer(options(kimg=0.064, tick_kimg=0.016, snapshot_kimg=0.016), data, run_dir=tmp_path,
                 progress=False)
    tr.train(stop_after_kimg=0.032)
    before = (tmp_path / "checkpoint.pt").read_bytes()
    with torch.no_grad():
        tr.D.blocks.b4.out.weight.fill_(float("nan"))
    with pytest.raises(TrainingDivergedError, match=r"loss_D became nan.*last good checkpoint is .*checkpoint\.pt"):
        tr.train()
    assert (tmp_path / "checkpoint.pt").read_bytes() == before
    assert load_training_checkpoint(tmp_path / "checkpoint.pt")["progress"]["cur_nimg"] == 32


def test_snapshot_metrics_are_logged_and_leave_training_unchanged(tmp_path):
    """FD and PPL land in the tick lines at the final resolution only (Figure 9's data), and
    measuring them does not change a single weight of the run."""
    data = images()
    plain = Trainer(options(), data, run_dir=tmp_path / "plain", progress=False)
    plain.train()
    measured = Trainer(options(metrics_kimg=0.064, metrics_num=32, metrics_ppl_num=8), data,
                       run_dir=tmp_path / "measured", progress=False)
    measured.train()
    a, b = all_state(plain), all_state(measured)
    assert not [k for k in a if not torch.equal(a[k], b[k])]
    log = [json.loads(x) for x in (tmp_path / "measured" / "log.jsonl").read_text().splitlines()]
    with_fd = [e for e in log if "fd" in e]
    assert with_fd, "no metrics in the log"
    assert all(e["lod"] == 0 for e in with_fd)
    assert with_fd[-1]["kimg"] == 0.192                      # the last tick is always measured
    assert all(e["fd"] > 0 and e["ppl_wend"] > 0 and e["metrics_num"] == 32 for e in with_fd)
    assert not any("fd" in e for e in log if e["lod"] > 0)


def test_bf16_on_a_cpu_without_bf16_units_is_refused():
    from stylegan_lib.utils import cpu_supports_bf16

    if cpu_supports_bf16():
        tr = Trainer(options(amp="bf16"), images(), progress=False)
        assert tr.amp_dtype == torch.bfloat16
        tr.step()
    else:
        with pytest.raises(ValueError, match="no native bfloat16"):
            Trainer(options(amp="bf16"), images(), progress=False)
    with pytest.raises(ValueError, match="fp16' is for CUDA"):
        Trainer(options(amp="fp16"), images(), progress=False)


def test_initial_weights_are_not_the_raw_draws_of_the_seed():
    # z = torch.randn(..., generator=manual_seed(seed)) must not reproduce the mapping's
    # first layer (latent.latent_generator): the trainer draws its weights from another stream.
    tr = Trainer(options(seed=0), images())
    W = torch.nn.functional.normalize(tr.G.mapping.layers[0].weight.detach(), dim=1)
    raw = torch.nn.functional.normalize(
        torch.randn(len(W), W.shape[1], generator=torch.Generator().manual_seed(0)), dim=1)
    assert (raw * W).sum(1).abs().max() < 0.8
    again = Trainer(options(seed=0), images())
    assert torch.equal(again.G.mapping.layers[0].weight, tr.G.mapping.layers[0].weight)
