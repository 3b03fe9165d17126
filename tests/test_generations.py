"""StyleGAN2 and StyleGAN3 through the library's commands: one dispatch from preset / stored config
to classes (stylegan_lib.generations), the train CLI (full resolution from the start, lazy R1,
StyleGAN2's path length penalty with its running mean saved and restored, bit-identical resume),
load_generator / load_pretrained, and the metrics CLI with EQ-T (not applicable to StyleGAN1)."""
import json

import pytest
import torch

from stylegan_lib import Generator
from stylegan_lib.checkpoint import CheckpointError, check_fits, load_discriminator, load_generator
from stylegan_lib.generations import (build_discriminator, build_generator, config_from_dict, discriminator_config,
                                      generation_of, get_config, is_progressive)
from stylegan_lib.metrics import compute_metrics
from stylegan_lib.metrics.cli import main as metrics_main
from stylegan_lib.metrics.quality import noise_visibility
from stylegan_lib.pretrained import load_pretrained
from stylegan_lib.stylegan2 import Discriminator as ResidualDiscriminator
from stylegan_lib.stylegan3 import Generator as SG3Generator
from stylegan_lib.train import cli
from stylegan_lib.train.loop import read_log, recipe_options


@pytest.fixture(autouse=True)
def keep_torch_threads():
    """The runs below train on one thread (``--threads 1``: two processes' threads fighting over two
    cores cost 3×); the rest of the session gets its thread count back."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def train_args(preset, out, kimg, *extra):
    return ["--preset", preset, "--data", "faces:32", "--out", str(out), "--kimg", str(kimg), "--batch", "8",
            "--tick-kimg", "0.032", "--snapshot-kimg", "0.032", "--sample-kimg", "1", "--device", "cpu",
            "--no-progress", "--threads", "1", *extra]


def tensors(obj, prefix=""):
    """Every tensor of a nested checkpoint dict, by path."""
    if isinstance(obj, torch.Tensor):
        yield prefix, obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from tensors(v, f"{prefix}/{k}")
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            yield from tensors(v, f"{prefix}/{i}")


def assert_same_run(a_dir, b_dir):
    """The two runs' training checkpoints hold the same tensors, bit for bit."""
    a = dict(tensors(torch.load(a_dir / "checkpoint.pt", weights_only=True)))
    b = dict(tensors(torch.load(b_dir / "checkpoint.pt", weights_only=True)))
    assert a.keys() == b.keys()
    assert [k for k in a if not torch.equal(a[k], b[k])] == []


def full_and_resumed(tmp_path, preset, kimg, half):
    """One run of ``kimg``, and the same run stopped at ``half`` and resumed by the CLI."""
    full, part = tmp_path / "full", tmp_path / "part"
    assert cli.main(train_args(preset, full, kimg)) == 0
    assert cli.main(train_args(preset, part, half)) == 0
    torch.manual_seed(999)  # the global RNG is restored from the checkpoint
    assert cli.main(train_args(preset, part, kimg, "--resume")) == 0
    return full, part


# ------------------------------------------------------------------------------------------
# The dispatch.
# ------------------------------------------------------------------------------------------
def test_one_dispatch_from_presets_and_stored_configs():
    for preset, generation in (("book-32/config-C", "stylegan1"), ("sg2-book-32/no-pl", "stylegan2"),
                               ("sg3-tiny-16/config-R", "stylegan3")):
        cfg = get_config(preset)
        assert generation_of(preset) == generation_of(cfg) == generation_of(cfg.to_dict()) == generation
        assert config_from_dict(cfg.to_dict()) == cfg
        assert is_progressive(cfg) == (generation == "stylegan1")
    assert type(build_generator("sg3-tiny-16")) is SG3Generator
    # StyleGAN3 trains against StyleGAN2's residual D with the generator's channel rule:
    # sg3-book-32's is sg2-book-32's.
    D = build_discriminator("sg3-book-32/config-T")
    assert isinstance(D, ResidualDiscriminator)
    assert discriminator_config("sg3-book-32").channels(32) == get_config("sg2-book-32").channels(32) == 64
    want = {k: v.shape for k, v in ResidualDiscriminator("sg2-book-32").state_dict().items()}
    assert {k: v.shape for k, v in D.state_dict().items()} == want
    with pytest.raises(ValueError, match="not stylegan2 config fields"):
        get_config("sg2-tiny-16", fmap_decay=1)
    with pytest.raises(ValueError, match="unknown generation"):
        config_from_dict({"generation": "stylegan9"})


# ------------------------------------------------------------------------------------------
# Training, checkpoints, resume.
# ------------------------------------------------------------------------------------------
def test_stylegan2_trains_at_full_resolution_with_path_length_penalty_and_resumes_exactly(tmp_path):
    full, part = full_and_resumed(tmp_path, "sg2-tiny-16", 0.128, 0.064)   # 16 steps of 8; resume at 8
    assert_same_run(full, part)
    log = read_log(full / "log.jsonl")
    assert {e["resolution"] for e in log} == {16} and {e["lod"] for e in log} == {0.0}
    assert all("pl_mean" in e and e["pl_mean"] > 0 for e in log)   # PL on steps 0, 4, 8, 12
    assert "r1" in log[0] and "r1" not in log[1]                      # lazy R1: steps 0, 16, …
    assert [e["pl_mean"] for e in read_log(part / "log.jsonl")] == [e["pl_mean"] for e in log]
    ckpt = torch.load(full / "checkpoint.pt", weights_only=True)
    assert float(ckpt["pl"]["mean"]) == pytest.approx(log[-1]["pl_mean"], abs=1e-5)
    G = load_generator(full / "network-final.pt", device="cpu")
    assert G.config == get_config("sg2-tiny-16")
    assert all(torch.equal(v, ckpt["G_ema"][k]) for k, v in G.state_dict().items())
    assert isinstance(load_discriminator(full / "checkpoint.pt", device="cpu"), ResidualDiscriminator)


def test_stylegan3_trains_resumes_loads_and_is_measured(tmp_path):
    full, part = full_and_resumed(tmp_path, "sg3-tiny-16/config-T", 0.064, 0.032)  # 8 steps; resume at 4
    assert_same_run(full, part)
    log = read_log(full / "log.jsonl")
    assert {e["lod"] for e in log} == {0.0} and not any("pl_mean" in e for e in log)
    ckpt = torch.load(full / "checkpoint.pt", weights_only=True)
    assert "pl" not in ckpt
    # the magnitude EMAs moved in G (train mode) and were copied into G_ema
    ema = [k for k in ckpt["G"] if k.endswith("magnitude_ema")]
    assert ema and all(float(ckpt["G"][k]) != 1.0 and torch.equal(ckpt["G"][k], ckpt["G_ema"][k]) for k in ema)
    G = load_pretrained(str(full / "network-final.pt"), device="cpu")
    assert type(G) is SG3Generator and not G.training
    assert all(torch.equal(v, ckpt["G_ema"][k]) for k, v in G.state_dict().items())
    out = tmp_path / "metrics.json"
    assert metrics_main(["--checkpoint", str(full / "network-final.pt"), "--metrics", "fd,ppl_wend,eq_t",
                         "--num", "16", "--batch", "16", "--device", "cpu", "--no-progress", "--no-cache",
                         "--out", str(out)]) == 0
    results = json.loads(out.read_text())["results"]
    assert results["fd"]["value"] > 0 and results["ppl_wend"]["value"] > 0
    assert 0 < results["eq_t"]["value"] < 200 and results["eq_t"]["unit"] == "dB"
    assert results["eq_t"]["num_samples"] == 16
    assert noise_visibility(G, num_latents=2, num_draws=2)["noise_std_mean"] is None  # no noise: not 0


def test_a_state_dict_of_another_generation_is_refused(tmp_path):
    obj = {"config": get_config("sg3-tiny-16").to_dict(), "G": Generator("tiny-16").state_dict()}
    with pytest.raises(CheckpointError, match="does not fit"):
        check_fits(obj, tmp_path / "x.pt")


def test_non_progressive_generators_ignore_the_growing_schedule(capsys, tmp_path):
    opts = recipe_options("quick", preset="sg2-tiny-16")          # a recipe that grows from 8²
    point = opts.make_schedule().at(0.0)
    assert (point.resolution, point.lod, point.phase) == (16, 0.0, "stable")
    with pytest.raises(SystemExit):
        cli.main(train_args("sg2-tiny-16", tmp_path / "r", 0.016, "--start-res", "8"))
    assert "does not grow progressively" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------
# Metrics of other generations.
# ------------------------------------------------------------------------------------------
def test_equivariance_is_not_applicable_to_stylegan1(capsys):
    torch.manual_seed(0)
    out = compute_metrics(Generator("tiny-16"), ["eq_t", "eq_r"], num=4, device="cpu", progress=False)
    for m in ("eq_t", "eq_r"):
        assert out["results"][m]["value"] is None
        assert "learned constant" in out["results"][m]["not_applicable"]
    assert metrics_main(["--checkpoint", "random:sg2-tiny-16", "--metrics", "eq_t", "--device", "cpu",
                         "--num", "2", "--no-progress"]) == 0
    assert "eq_t       not applicable" in capsys.readouterr().out
