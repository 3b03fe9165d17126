"""Hostile files and faults: each ends in a clear error (or a reported conversion) within seconds,
nothing a user gave is overwritten, and corruption is never accepted silently.

Every crafted file is made here, in tmp_path; none of them can run code (the payloads that
would are shown not to).
"""
from __future__ import annotations

import collections
import fractions
import os
import pickle
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from stylegan_lib.checkpoint import (FORMAT, CheckpointError, load_generator, read_checkpoint,
                                     save_models, seal)
from stylegan_lib.config import get_config
from stylegan_lib.generator import Generator
from stylegan_lib.official import OfficialFormatError, load_official, read_release_pickle, restricted_loads
from stylegan_lib.official import cli as official_cli
from stylegan_lib.official.fake import make_release_networks, release_pickle_bytes, write_release_pickle
from stylegan_lib.train import Trainer, recipe_options
from stylegan_lib.train.checkpoint import load_training_checkpoint

SMALL = dict(fmap_base=256, fmap_max=16, latent_size=16, dlatent_size=16, mapping_fmaps=16)
_RECONSTRUCT = np.zeros(1).__reduce__()[0]


class Reduce:
    """Pickles as ``func(*args)`` (plus ``state`` for BUILD): a way to write crafted pickles."""

    def __init__(self, func, args, state=None):
        self.func, self.args, self.state = func, args, state

    def __reduce__(self):
        return (self.func, self.args) if self.state is None else (self.func, self.args, self.state)


class SystemPayload:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    path = tmp_path_factory.mktemp("release") / "karras2019stylegan-test-16x16.pkl"
    write_release_pickle(path, 16, seed=1, **SMALL)
    return path


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    G = Generator("tiny-16").eval()
    path = save_models(tmp_path_factory.mktemp("ckpt") / "tiny.pt", G.config, G_ema=G)
    return path, G


@pytest.fixture(scope="module")
def training_run(tmp_path_factory):
    """A finished tiny run (its checkpoint.pt), via the command line."""
    from stylegan_lib.train import cli

    out = tmp_path_factory.mktemp("run") / "run"
    assert cli.main(train_args(out, "--kimg", "0.016")) == 0
    return out


def train_args(out, *extra):
    return ["--preset", "tiny-16", "--data", "faces:32", "--out", str(out), "--batch", "8",
            "--start-res", "16", "--tick-kimg", "0.016", "--snapshot-kimg", "0.016",
            "--sample-kimg", "0.016", "--device", "cpu", "--no-progress", "--set", "mapping_layers=1",
            *extra]


def write_pickle(path: Path, obj, protocol: int = 2) -> Path:
    path.write_bytes(pickle.dumps(obj, protocol=protocol))
    return path


def without_hanging(seconds: float = 60.0):
    """A hang guard, not a speed test: the block must end within ``seconds`` of CPU time (the
    files it guards against hung for minutes or ran out of memory; CPU time, so load does not matter)."""
    class Timer:
        def __enter__(self):
            self.t0 = time.process_time()

        def __exit__(self, *exc):
            assert time.process_time() - self.t0 < seconds, \
                "a minute of CPU: the refusal must not first do the work it refuses"
            return False
    return Timer()


def flip_byte_inside(path: Path, needle: bytes) -> None:
    data = bytearray(path.read_bytes())
    at = data.find(needle)
    assert at > 0, "tensor bytes not found in the file"
    data[at + len(needle) // 2] ^= 0x55
    path.write_bytes(bytes(data))


# ------------------------------------------------------------------------------------------
# 1. Data loss: import-official never replaces what the user gave.
# ------------------------------------------------------------------------------------------
def test_import_official_refuses_an_existing_dest_without_force(release, tmp_path, capsys):
    dest = tmp_path / "model.pt"
    dest.write_bytes(b"the user's file")
    assert official_cli.main([str(release), str(dest)]) == 2
    assert "already exists; pass --force" in capsys.readouterr().err
    assert dest.read_bytes() == b"the user's file"
    assert official_cli.main([str(release), str(dest), "--force"]) == 0
    assert read_checkpoint(dest)["format"] == FORMAT


def test_import_official_never_writes_over_its_source(release, tmp_path, capsys):
    src = tmp_path / "copy.pkl"
    src.write_bytes(release.read_bytes())
    before = src.read_bytes()
    link = tmp_path / "link.pt"
    link.symlink_to(src)
    for dest in (src, tmp_path / "sub" / ".." / "copy.pkl", link):
        (tmp_path / "sub").mkdir(exist_ok=True)
        assert official_cli.main([str(src), str(dest), "--force"]) == 2
        assert "is the source file itself" in capsys.readouterr().err
    assert src.read_bytes() == before


def test_import_official_checks_dest_before_reading_the_source(tmp_path, capsys):
    src = tmp_path / "junk.pkl"
    src.write_bytes(b"not a pickle at all")
    dest = tmp_path / "out.pt"
    dest.write_bytes(b"x")
    assert official_cli.main([str(src), str(dest)]) == 2
    assert "already exists" in capsys.readouterr().err
    folder = tmp_path / "folder"
    folder.mkdir()
    assert official_cli.main([str(src), str(folder), "--force"]) == 2
    assert "is a directory" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------
# 2. Raw errors become the library's own, naming the file and what to do.
# ------------------------------------------------------------------------------------------
def test_empty_and_directory_checkpoints(tmp_path, capsys):
    from stylegan_lib.generate import main as generate
    from stylegan_lib.pretrained import load_pretrained

    empty = tmp_path / "empty.pt"
    empty.write_bytes(b"")
    with pytest.raises(CheckpointError, match=r"empty\.pt' is empty \(0 bytes\)"):
        load_pretrained(str(empty), device="cpu")
    folder = tmp_path / "run.pt"
    folder.mkdir()
    with pytest.raises(CheckpointError, match="is a directory, not a file"):
        load_generator(folder, device="cpu")
    with pytest.raises(CheckpointError, match="is a directory"):
        load_training_checkpoint(folder)
    with pytest.raises(OfficialFormatError, match="is a directory"):
        read_release_pickle(tmp_path)
    assert generate(["--checkpoint", str(empty), "--out", str(tmp_path / "imgs"), "--device", "cpu"]) == 1
    assert "generate: error:" in capsys.readouterr().err


def test_pickled_objects_in_a_checkpoint_are_refused_without_torch_advice(tmp_path):
    marker = tmp_path / "pwned"
    for name, obj in (("fraction", {"format": FORMAT, "x": fractions.Fraction(1, 3)}),
                      ("system", {"format": FORMAT, "x": SystemPayload(f"touch {marker}")})):
        path = tmp_path / f"{name}.pt"
        torch.save(obj, path)
        with pytest.raises(CheckpointError) as err:
            load_generator(path, device="cpu")
        text = str(err.value)
        assert "holds Python objects that a safe load refuses" in text and "will not execute" in text
        assert str(path) in text
        assert "weights_only" not in text and "Re-running" not in text
    assert not marker.exists()
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match="junk.pt': UnpicklingError: .* corrupt or truncated") as err:
        load_generator(junk, device="cpu")
    assert "weights_only" not in str(err.value)


def test_crafted_release_pickles_give_format_errors(tmp_path):
    depth = 100_000
    cases = {
        # 100,000 nested lists: opcodes only (the pickler itself would hit its recursion limit)
        "deep": b"\x80\x02" + b"]" * depth + b"a" * (depth - 1) + b".",
        "bad-args": pickle.dumps(Reduce(collections.OrderedDict, (1, 2, 3)), protocol=2),
        "dtype-spec": pickle.dumps(Reduce(np.dtype, ("not a dtype", False, True)), protocol=2),
        "dtype-state": pickle.dumps(Reduce(np.dtype, ("f4", False, True),
                                           (3, "<", (np.dtype("f4"), (10**6,)), None, None, -1, -1, 0)),
                                    protocol=2),
        "structured": pickle.dumps(np.zeros(2, dtype=[("a", "f4"), ("b", "i4")]), protocol=2),
        "bytes-dtype": pickle.dumps(np.array([b"abc"]), protocol=2),
    }
    for name, data in cases.items():
        path = tmp_path / f"{name}.pkl"
        path.write_bytes(data)
        with without_hanging(), pytest.raises(OfficialFormatError) as err:
            read_release_pickle(path)
        assert str(path) in str(err.value), name


# ------------------------------------------------------------------------------------------
# 3. Bounds before allocating.
# ------------------------------------------------------------------------------------------
def test_arrays_declaring_huge_shapes_are_refused_before_allocation(tmp_path):
    cases = {
        "ndarray-call": (Reduce(np.ndarray, ((1 << 31,), "u1")), "calls numpy.ndarray directly"),
        "reconstruct": (Reduce(_RECONSTRUCT, (np.ndarray, (1 << 31,), b"b")), "more than the"),
        "state-huge": (Reduce(_RECONSTRUCT, (np.ndarray, (0,), b"b"),
                              (1, (1 << 20, 1 << 12), np.dtype("f4"), False, b"1234")), "more than the"),
        "state-short": (Reduce(_RECONSTRUCT, (np.ndarray, (0,), b"b"),
                               (1, (1000,), np.dtype("f4"), False, b"12345678")), "carries 8 bytes"),
    }
    for name, (obj, needle) in cases.items():
        path = write_pickle(tmp_path / f"{name}.pkl", obj)
        assert path.stat().st_size < 300
        with without_hanging(), pytest.raises(OfficialFormatError, match=needle):
            read_release_pickle(path)
    # the protocol-5 reconstructor checks its buffer too
    frombuffer = np.zeros(4, np.float32).__reduce_ex__(5)[0]
    with pytest.raises(OfficialFormatError, match="does not fit"):
        restricted_loads(pickle.dumps(Reduce(frombuffer, (b"1234", np.dtype("f4"), (1 << 20,), "C")), protocol=5))


def test_nested_and_self_referencing_kwargs_are_refused_quickly(tmp_path):
    loop = []
    loop.append(loop)
    laughs = [0]
    for _ in range(22):                       # 4 million leaves when expanded, a few hundred bytes pickled
        laughs = [laughs, laughs]
    for name, value, needle in (("loop", loop, "nested more than 32 levels deep, or one that contains itself"),
                                ("laughs", laughs, "more than 1,000,000 objects")):
        nets = make_release_networks(8, **SMALL)
        nets["Gs"]["static_kwargs"]["payload"] = value
        path = tmp_path / f"{name}.pkl"
        path.write_bytes(release_pickle_bytes(nets))
        with without_hanging(), pytest.raises(OfficialFormatError, match=needle):
            load_official(path, device="cpu")


def test_release_files_declaring_oversized_networks_are_refused(tmp_path):
    path = tmp_path / "deep-mapping.pkl"
    small = dict(SMALL, latent_size=4, dlatent_size=4, mapping_fmaps=4)
    write_release_pickle(path, 8, mapping_layers=100, **small)
    with without_hanging(), pytest.raises(OfficialFormatError, match="mapping_layers must be from 0 to 64"):
        load_official(path, device="cpu")
    for key, value in (("mapping_lrmul", [1, 2]), ("fused_scale", [True]), ("resolution", "abc")):
        nets = make_release_networks(8, **SMALL)
        nets["Gs"]["components"]["mapping"]["static_kwargs"][key] = value
        path.write_bytes(release_pickle_bytes(nets))
        with pytest.raises(OfficialFormatError, match=str(path)):
            load_official(path, device="cpu")


def test_checkpoint_configs_declaring_huge_networks_are_refused(tiny_checkpoint, tmp_path):
    src, _ = tiny_checkpoint
    obj = read_checkpoint(src)
    huge = get_config("paper-1024", fmap_base=1 << 20, fmap_max=4096, mapping_fmaps=4096).to_dict()
    for name, config, needle in (
            ("huge", huge, r"G_ema in .* does not fit the model built from its config"),
            ("deep", dict(obj["config"], mapping_layers=100_000), "mapping_layers must be from 0 to 64"),
            ("wide", dict(obj["config"], img_resolution=4096), "power of two from 8 to 1024"),
            ("typo", dict(obj["config"], z_dim="abc"), "z_dim must be an integer")):
        path = tmp_path / f"{name}.pt"
        torch.save(seal(dict(obj, config=config)), path)
        with without_hanging(), pytest.raises(CheckpointError, match=needle):
            load_generator(path, device="cpu")


def test_self_referencing_checkpoint_data_is_refused(tiny_checkpoint, tmp_path):
    obj = read_checkpoint(tiny_checkpoint[0])
    loop = []
    loop.append(loop)
    path = tmp_path / "loop.pt"
    torch.save(dict(obj, meta={"notes": loop}), path)
    with without_hanging(), pytest.raises(CheckpointError, match="nested more than 32 levels deep"):
        load_generator(path, device="cpu")


def test_model_config_limits_keep_every_preset():
    from stylegan_lib.config import preset_names

    for name in preset_names():
        get_config(name)
    with pytest.raises(ValueError, match="fmap_max must be from 1 to 4096"):
        get_config("book-32", fmap_max=100_000)
    with pytest.raises(ValueError, match="style_mixing_prob must be a number in"):
        get_config("book-32", style_mixing_prob=float("nan"))


# ------------------------------------------------------------------------------------------
# 4. Corruption is refused: a digest in every checkpoint, finite weights and arguments.
# ------------------------------------------------------------------------------------------
def test_flipped_bytes_in_a_checkpoint_are_refused(tiny_checkpoint, tmp_path):
    src, G = tiny_checkpoint
    assert len(read_checkpoint(src)["sha256"]) == 64
    path = tmp_path / "flipped.pt"
    path.write_bytes(src.read_bytes())
    flip_byte_inside(path, G.synthesis.blocks.b4.const.detach().numpy().tobytes())
    with pytest.raises(CheckpointError, match="do not match the SHA-256 digest"):
        load_generator(path, device="cpu")


def test_flipped_bytes_in_a_training_checkpoint_stop_the_resume(training_run, tmp_path, capsys):
    from stylegan_lib.train import cli

    run = tmp_path / "run"
    run.mkdir()
    obj = load_training_checkpoint(training_run / "checkpoint.pt")
    (run / "checkpoint.pt").write_bytes((training_run / "checkpoint.pt").read_bytes())
    exp_avg = next(iter(obj["opt_D"]["state"].values()))["exp_avg"]
    flip_byte_inside(run / "checkpoint.pt", exp_avg.numpy().tobytes())
    assert cli.main(train_args(run, "--kimg", "0.032", "--resume")) == 1
    assert "do not match the SHA-256 digest" in capsys.readouterr().err


def test_checkpoints_without_a_digest_still_load(tiny_checkpoint, tmp_path):
    obj = read_checkpoint(tiny_checkpoint[0])
    del obj["sha256"]
    path = tmp_path / "old.pt"
    torch.save(obj, path)
    G = load_generator(path, device="cpu")
    assert torch.equal(G.synthesis.blocks.b4.const, tiny_checkpoint[1].synthesis.blocks.b4.const)


def test_non_finite_weights_are_refused_by_name(tmp_path, release):
    torch.manual_seed(0)
    G = Generator("tiny-16")
    with torch.no_grad():
        G.synthesis.blocks.b8.conv1.weight[0, 0, 0, 0] = float("nan")
    path = save_models(tmp_path / "nan.pt", G.config, G_ema=G)
    with pytest.raises(CheckpointError, match=r"G_ema\.synthesis\.blocks\.b8\.conv1\.weight holds non-finite"):
        load_generator(path, device="cpu")
    nets = make_release_networks(8, **SMALL)
    synth = nets["Gs"]["components"]["synthesis"]["variables"]
    synth[:] = [(n, np.full_like(a, np.inf) if n == "8x8/Conv1/weight" else a) for n, a in synth]
    bad = tmp_path / "inf.pkl"
    bad.write_bytes(release_pickle_bytes(nets))
    with pytest.raises(OfficialFormatError, match="8x8/Conv1/weight.*non-finite"):
        load_official(bad, device="cpu")


@pytest.mark.parametrize("psi", ["nan", "inf", "-inf", "abc"])
def test_generate_refuses_non_finite_truncation(psi, tmp_path, capsys):
    from stylegan_lib.generate import main as generate

    with pytest.raises(SystemExit) as err:
        generate(["--truncation-psi", psi, "--out", str(tmp_path / "imgs")])
    assert err.value.code == 2
    assert "--truncation-psi" in capsys.readouterr().err
    assert not (tmp_path / "imgs").exists()


# ------------------------------------------------------------------------------------------
# 5. Arguments: clear argparse errors; no option silently dropped on --resume.
# ------------------------------------------------------------------------------------------
def test_metrics_batch_must_be_positive(capsys):
    from stylegan_lib.metrics.cli import main

    for batch in ("0", "-3"):
        with pytest.raises(SystemExit) as err:
            main(["--checkpoint", "random:tiny-16", "--batch", batch, "--device", "cpu"])
        assert err.value.code == 2
        assert "--batch: must be at least 1" in capsys.readouterr().err


@pytest.mark.parametrize("extra,needle", [
    (["--kimg", "nan"], "--kimg: expected a finite number"),
    (["--kimg", "inf"], "--kimg: expected a finite number"),
    (["--kimg", "0"], "--kimg: must be greater than 0"),
    (["--batch", "0"], "--batch: must be at least 1"),
    (["--mixing-prob", "2"], "--mixing-prob: must be at most 1"),
    (["--lr", "-1"], "--lr: must be greater than 0"),
    (["--stop-at", "25:99"], "--stop-at: expected a time of day HH:MM"),
    (["--set", "bogus=1"], "'bogus' is not a model config field"),
    (["--set", "z_dim=abc"], "z_dim must be an integer, got 'abc'"),
    (["--set", "mapping_layers=100000"], "mapping_layers must be from 0 to 64"),
    (["--data", "faces:abc"], "faces:N needs a positive number"),
    (["--data", "faces:64:loud"], "DETAIL one of subtle, medium, strong"),
    (["--data", "faces:64:medium:x"], "DETAIL one of subtle, medium, strong"),
])
def test_train_argument_errors(extra, needle, tmp_path, capsys):
    from stylegan_lib.train import cli

    args = train_args(tmp_path / "run") + extra
    with without_hanging(), pytest.raises(SystemExit) as err:
        cli.main(args)
    assert err.value.code == 2
    assert needle in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_resume_applies_a_new_lr_and_refuses_a_new_seed(training_run, tmp_path, capsys):
    from stylegan_lib.train import cli

    run = tmp_path / "run"
    run.mkdir()
    (run / "checkpoint.pt").write_bytes((training_run / "checkpoint.pt").read_bytes())
    for extra, needle in ((["--seed", "3"], "--seed (seed: the run has 0, the command asks for 3)"),
                          (["--batch", "4"], "--batch (minibatch_default"),
                          (["--set", "fmap_min=32"], "--preset/--set"),
                          (["--loss", "wgan-gp"], "--loss")):
        assert cli.main(train_args(run, "--kimg", "0.032", "--resume", *extra)) == 1
        err = capsys.readouterr().err
        assert "cannot change on --resume" in err and needle in err, err
    assert load_training_checkpoint(run / "checkpoint.pt")["progress"]["cur_nimg"] == 16
    assert cli.main(train_args(run, "--kimg", "0.032", "--resume", "--lr", "0.001", "--seed", "0")) == 0
    err = capsys.readouterr().err
    assert "resuming with changed options" in err and "lr_default 0.002 -> 0.001 (--lr)" in err
    state = load_training_checkpoint(run / "checkpoint.pt")
    assert state["options"]["schedule"]["lr_default"] == 0.001 and state["progress"]["cur_nimg"] == 32
    assert state["opt_G"]["param_groups"][0]["lr"] == 0.001


def test_chapter_parameters_of_the_wrong_type_are_named():
    from stylegan_lib.viz.book import check_parameters

    for params, needle in (({"seed": "abc"}, "parameter seed must be an integer >= 0, got 'abc'"),
                           ({"truncation_psi": "abc"}, "parameter truncation_psi must be a finite number"),
                           ({"truncation_psi": float("nan")}, "truncation_psi must be a finite number"),
                           ({"num_sources_a": -1}, "parameter num_sources_a must be an integer >= 1"),
                           ({"device": 3}, "parameter device must be a string"),
                           ({"tradeoff_psis": [1.0, "x"]}, "tradeoff_psis must be a non-empty list"),
                           ({"retrain": "yes"}, "parameter retrain must be True or False, got 'yes'"),
                           ({"scale": 16}, "parameter scale must be a string")):
        with pytest.raises(ValueError, match=needle):
            check_parameters(params)
    check_parameters({"seed": 0, "truncation_psi": 0.7, "num_sources_a": 5, "checkpoint": "", "other": object(),
                      "retrain": False})
    # a chapter calls check_preset(preset) after its parameters cell: the check reads them there
    chapter = "from stylegan_lib.viz.book import check_preset\npreset = 'quick'\nseed = 'abc'\ncheck_preset(preset)\n"
    with pytest.raises(ValueError, match="parameter seed must be"):
        exec(chapter, {"__name__": "__main__"})
    exec(chapter.replace("'abc'", "3"), {"__name__": "__main__", "G": object()})


def test_book_runner_checks_parameters_before_running(tmp_path):
    from stylegan_lib import book

    with pytest.raises(ValueError, match="parameter truncation_psi must be a finite number"):
        book.run_chapter("05_noise", {"truncation_psi": "abc"}, tmp_path / "out.ipynb")
    assert not (tmp_path / "out.ipynb").exists()


# ------------------------------------------------------------------------------------------
# 6. prepare: unreadable files and broken links reported, photos turned upright, DEST checked.
# ------------------------------------------------------------------------------------------
def _png(path: Path, size=(40, 40), color=(90, 120, 150)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path)
    return path


def test_prepare_skips_unreadable_files_and_broken_links(tmp_path, monkeypatch, capsys):
    from stylegan_lib.data import folder
    from stylegan_lib.data.prepare import main

    src = tmp_path / "photos"
    _png(src / "a.png")
    _png(src / "locked.png")
    (src / "gone.png").symlink_to(tmp_path / "nowhere.png")
    real_read = folder._Source.read

    def read(self, name):
        if name == "locked.png":
            raise PermissionError(13, "Permission denied")
        return real_read(self, name)

    monkeypatch.setattr(folder._Source, "read", read)
    assert main([str(src), str(tmp_path / "d.zip"), "--resolution", "32", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "1 images converted" in out and "skipped: 2" in out
    assert "locked.png: unreadable: PermissionError: Permission denied" in out
    assert "gone.png: broken symbolic link" in out


def test_prepare_turns_photos_upright_by_exif(tmp_path):
    from stylegan_lib.data import ImageFolderDataset
    from stylegan_lib.data.prepare import prepare_dataset

    src = tmp_path / "photos"
    src.mkdir()
    stored = np.zeros((40, 80, 3), np.uint8)          # stored sideways: left red, right blue
    stored[:, :40] = (255, 0, 0)
    stored[:, 40:] = (0, 0, 255)
    exif = Image.Exif()
    exif[0x0112] = 6                                   # "rotate 90° clockwise to display"
    Image.fromarray(stored).save(src / "phone.jpg", quality=95, exif=exif.tobytes())
    Image.fromarray(stored).save(src / "plain.jpg", quality=95)
    report = prepare_dataset(src, tmp_path / "d.zip", 32, progress=False)
    assert report.rotated == [("phone.jpg", 6)]
    assert "turned upright by their EXIF orientation: 1" in report.summary()
    assert any(src_name == "phone.jpg" and "EXIF orientation 6" in note for src_name, note in report.notes)
    ds = ImageFolderDataset(tmp_path / "d.zip")
    phone, plain = (ds[[s for s, _ in report.converted].index(n)][0] for n in ("phone.jpg", "plain.jpg"))
    assert phone[0, 2, 16] > 200 and phone[2, 29, 16] > 200    # upright: red on top, blue below
    assert plain[0, 16, 2] > 200 and plain[2, 16, 29] > 200    # no tag: left red, right blue


def test_prepare_refuses_a_directory_as_dest_before_any_work(tmp_path, monkeypatch, capsys):
    from stylegan_lib.data import prepare

    src = tmp_path / "photos"
    _png(src / "a.png")
    dest = tmp_path / "out.zip"
    dest.mkdir()

    def no_work(*a, **k):
        raise AssertionError("decoded an image before checking DEST")

    monkeypatch.setattr(prepare, "decode_photo", no_work)
    for extra in ([], ["--force"]):
        assert prepare.main([str(src), str(dest), "--resolution", "32", "--quiet", *extra]) == 2
        assert "is a directory" in capsys.readouterr().err


# ------------------------------------------------------------------------------------------
# 7. Saved files get the usual permissions.
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_saved_checkpoints_respect_the_umask(umask, tmp_path, tiny_checkpoint):
    G = tiny_checkpoint[1]
    old = os.umask(umask)
    try:
        path = save_models(tmp_path / "m.pt", G.config, G_ema=G)
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_training_checkpoints_get_the_usual_permissions(training_run):
    umask = os.umask(0)
    os.umask(umask)
    for name in ("checkpoint.pt", "network-final.pt"):
        assert (training_run / name).stat().st_mode & 0o777 == 0o666 & ~umask


def test_generate_does_not_overwrite_images_without_force(tmp_path, capsys):
    from stylegan_lib.generate import main as generate

    out = tmp_path / "imgs"
    out.mkdir()
    mine = out / "seed0001.png"
    mine.write_bytes(b"the user's own file")
    args = ["--checkpoint", "book-32", "--seeds", "0-2", "--out", str(out), "--device", "cpu"]
    assert generate(args) == 1
    err = capsys.readouterr().err
    assert "seed0001.png" in err and "--force" in err
    assert mine.read_bytes() == b"the user's own file" and not (out / "seed0000.png").exists()
    assert generate(args + ["--force"]) == 0
    assert mine.read_bytes()[:4] == b"\x89PNG" and (out / "seed0002.png").exists()
