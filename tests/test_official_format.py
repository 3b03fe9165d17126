"""Reading NVIDIA's StyleGAN v1 release format: safety, round trips, clear errors, the CLI.

No real release file is available (nor downloaded): the files are written by
stylegan_lib.official.fake with random weights, the way the release pickled them.
"""
from __future__ import annotations

import io
import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch

from stylegan_lib.checkpoint import load_generator, read_checkpoint
from stylegan_lib.config import get_config
from stylegan_lib.discriminator import Discriminator
from stylegan_lib.generator import Generator
from stylegan_lib.official import (OfficialFormatError, RefusedGlobalError, ReleaseNetwork,
                                   config_from_release, crop_letterbox, discriminator_plan,
                                   generator_plan, load_official, read_release_pickle,
                                   restricted_loads)
from stylegan_lib.official import cli as official_cli
from stylegan_lib.official.convert import check_discriminator_gains, check_gains, to_torch_layout
from stylegan_lib.official.fake import (discriminator_shapes, make_release_networks,
                                        mapping_shapes, release_pickle_bytes, synthesis_shapes,
                                        variables_of, write_release_pickle)

SMALL = dict(fmap_base=256, fmap_max=16, latent_size=16, dlatent_size=16, mapping_fmaps=16)


@pytest.fixture(scope="module")
def small_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("official") / "karras2019stylegan-test-32x32.pkl"
    nets = write_release_pickle(path, 32, seed=3, **SMALL)
    return path, nets


# ------------------------------------------------------------------------------------------
# The writer produces what the release produced.
# ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("protocol", [2, 3, 4])
def test_writer_uses_release_class_paths(protocol):
    data = release_pickle_bytes(make_release_networks(8, **SMALL), protocol=protocol)
    assert data[:2] == bytes([0x80, protocol])
    assert _globals_named(data) == {
        "dnnlib.tflib.network.Network", "numpy.core.multiarray._reconstruct",  # numpy 1 paths
        "numpy.core.multiarray.scalar", "numpy.ndarray", "numpy.dtype",
        # protocol 2 pickles bytes through _codecs.encode
    } | ({"_codecs.encode"} if protocol == 2 else set())


def _globals_named(data: bytes) -> set[str]:
    """Every global the pickle asks the unpickler for (recorded while loading it safely)."""
    from stylegan_lib.official.unpickle import RestrictedUnpickler

    seen = set()

    class Recorder(RestrictedUnpickler):
        def find_class(self, module, name):
            seen.add(f"{module}.{name}")
            return super().find_class(module, name)

    Recorder(io.BytesIO(data)).load()
    return seen


# ------------------------------------------------------------------------------------------
# Full-size structure: the release's real names and shapes fit the paper-size models.
# ------------------------------------------------------------------------------------------
def _shape_only_network(name, func, shapes, kwargs, components=None):
    """A ReleaseNetwork whose 'arrays' are zero-stride views (no memory): for shape checks."""
    net = ReleaseNetwork()
    net.__setstate__({"version": 3, "name": name, "static_kwargs": kwargs, "components": components or {},
                      "build_module_src": "", "build_func_name": func,
                      "variables": [(n, np.broadcast_to(np.float32(0), s)) for n, s in shapes]})
    return net


@pytest.mark.parametrize("resolution,preset", [(1024, "paper-1024"), (512, "paper-512"), (256, "paper-256")])
def test_full_size_release_structure(resolution, preset):
    kw = dict(num_channels=3, resolution=resolution, label_size=0)
    mapping = _shape_only_network("G_mapping", "G_mapping", mapping_shapes(), kw)
    synth = _shape_only_network("G_synthesis", "G_synthesis", synthesis_shapes(resolution), kw)
    Gs = _shape_only_network("Gs", "G_style", [("lod", []), ("dlatent_avg", [512])], kw,
                             {"mapping": mapping, "synthesis": synth})
    D = _shape_only_network("D", "D_basic", discriminator_shapes(resolution), kw)
    cfg = config_from_release(Gs, D)
    assert cfg == get_config(preset)
    # Exact release shapes at 1024²: a few by name.
    shapes = dict(synthesis_shapes(1024))
    assert shapes["4x4/Const/StyleMod/weight"] == [512, 1024] and shapes["noise17"] == [1, 1, 1024, 1024]
    assert shapes["1024x1024/Conv0_up/weight"] == [3, 3, 32, 16] and shapes["ToRGB_lod0/weight"] == [1, 1, 16, 3]
    assert dict(discriminator_shapes(1024))["4x4/Dense0/weight"] == [8192, 512]
    with torch.device("meta"):
        G, Dm = Generator(cfg), Discriminator(cfg)
    variables = Gs.all_variables()
    sd = G.state_dict()
    plan = generator_plan(cfg)
    assert {p[0] for p in plan} | {"mapping.w_avg_updates"} == set(sd)
    assert {p[1] for p in plan} | {"lod", "synthesis/lod"} == set(variables)
    for ours, theirs, kind in plan:
        assert to_torch_layout(variables[theirs], kind).shape == tuple(sd[ours].shape), ours
    dvars, dsd = D.all_variables(), Dm.state_dict()
    dplan = discriminator_plan(cfg)
    assert {p[0] for p in dplan} == set(dsd) and {p[1] for p in dplan} | {"lod"} == set(dvars)
    for ours, theirs, kind in dplan:
        assert to_torch_layout(dvars[theirs], kind).shape == tuple(dsd[ours].shape), ours
    check_gains(G)
    check_discriminator_gains(Dm)


def test_gain_check_can_fail():
    G = Generator("tiny-16")
    check_gains(G)
    G.mapping.layers[0].weight_gain *= 100  # as if the lr multiplier were forgotten
    with pytest.raises(AssertionError, match="mapping Dense0"):
        check_gains(G)


# ------------------------------------------------------------------------------------------
# Safety: nothing in the file is ever executed.
# ------------------------------------------------------------------------------------------
class _SystemPayload:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class _EvalPayload:
    def __reduce__(self):
        return (eval, ("__import__('os').system('true')",))


def test_os_system_payload_is_refused_and_nothing_runs(tmp_path):
    marker = tmp_path / "pwned"
    payload = _SystemPayload(f"touch {marker}")
    for obj in (payload, (payload,), {"version": 3, "variables": [("x", payload)]}):
        path = tmp_path / "evil.pkl"
        path.write_bytes(pickle.dumps(obj, protocol=2))
        with pytest.raises(RefusedGlobalError, match=r"refused .*(posix|os)\.system") as err:
            read_release_pickle(path)
        assert "Nothing from it was executed" in str(err.value)
        assert not marker.exists()
    # The same payload really would run under a plain pickle.load (so the test can fail).
    subprocess.run([sys.executable, "-c", f"import pickle; pickle.loads({pickle.dumps(payload)!r})"], check=True)
    assert marker.exists()


def test_payload_inside_a_release_file_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    nets = make_release_networks(8, **SMALL)
    nets["Gs"]["static_kwargs"]["resolution"] = _SystemPayload(f"touch {marker}")
    path = tmp_path / "evil-release.pkl"
    path.write_bytes(release_pickle_bytes(nets))
    with pytest.raises(RefusedGlobalError, match="system"):
        load_official(path, device="cpu")
    assert not marker.exists()


@pytest.mark.parametrize("obj,needle", [
    (_EvalPayload(), "builtins.eval"),
    (np.array([1, "a"], dtype=object), "objects"),
])
def test_other_dangerous_objects_are_refused(obj, needle):
    with pytest.raises(OfficialFormatError, match=needle):
        restricted_loads(pickle.dumps(obj, protocol=4))


def test_reconstructor_cannot_build_other_classes():
    # numpy's _reconstruct asked to build a non-ndarray class (allowed name, wrong use).
    evil = (b"\x80\x02cnumpy.core.multiarray\n_reconstruct\nccollections\nOrderedDict\n"
            b"K\x00\x85C\x01b\x87R.")
    with pytest.raises(OfficialFormatError, match="only plain numpy.ndarray"):
        restricted_loads(evil)


def test_allowed_globals_are_only_numpy_and_the_stand_in():
    from stylegan_lib.official import allowed_globals

    for name in allowed_globals():
        assert name.split(".")[0] in ("numpy", "dnnlib", "collections", "_codecs"), name


# ------------------------------------------------------------------------------------------
# Clear errors for files that are not v1 release files.
# ------------------------------------------------------------------------------------------
def test_truncated_file(tmp_path, small_file):
    data = small_file[0].read_bytes()
    for cut in (len(data) // 2, 100, len(data) - 1):
        path = tmp_path / "cut.pkl"
        path.write_bytes(data[:cut])
        with pytest.raises(OfficialFormatError, match="truncated|corrupt"):
            load_official(path, device="cpu")


def test_trailing_data_is_refused(tmp_path, small_file):
    path = tmp_path / "two.pkl"
    path.write_bytes(small_file[0].read_bytes() + b"extra bytes")
    with pytest.raises(OfficialFormatError, match="data after the end"):
        read_release_pickle(path)


@pytest.mark.parametrize("kind", ["missing", "empty", "text", "zip", "dict", "random"])
def test_unrelated_files(tmp_path, kind):
    path = tmp_path / f"{kind}.pkl"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("hello, I am not a pickle\n")
    elif kind == "zip":
        torch.save({"a": torch.zeros(3)}, path)
    elif kind == "dict":
        path.write_bytes(pickle.dumps({"a": 1, "b": [1.0, 2.0]}))
    elif kind == "random":
        path.write_bytes(b"\x80\x04" + np.random.default_rng(0).bytes(4000))
    expected = {"missing": "does not exist", "empty": "is empty", "text": "not a Python pickle",
                "zip": "zip archive", "dict": "not the tuple", "random": "corrupt|truncated|refused"}[kind]
    with pytest.raises(OfficialFormatError, match=expected):
        load_official(path, device="cpu")


def test_stylegan2_file_is_not_v1(tmp_path):
    path = tmp_path / "stylegan2-ffhq-config-f.pkl"
    path.write_bytes(release_pickle_bytes(make_release_networks(8, version=4, **SMALL)))
    with pytest.raises(OfficialFormatError, match="not a v1 file.*version 4"):
        load_official(path, device="cpu")
    # Version 3 but StyleGAN2 variable names (modulated convolutions).
    nets = make_release_networks(8, **SMALL)
    synth = nets["Gs"]["components"]["synthesis"]
    synth["variables"].append(("4x4/Conv/mod_weight", np.zeros([16, 16], np.float32)))
    path.write_bytes(release_pickle_bytes(nets))
    with pytest.raises(OfficialFormatError, match="not a v1 file.*StyleGAN2"):
        load_official(path, device="cpu")


def test_stylegan2_ada_pytorch_pickle_is_not_v1():
    data = b"\x80\x04ctorch_utils.persistence\n_reconstruct_persistent_obj\n."
    with pytest.raises(RefusedGlobalError, match="not a v1 file"):
        restricted_loads(data)


def test_unknown_or_misshapen_variables_are_named(tmp_path):
    nets = make_release_networks(16, **SMALL)
    nets["Gs"]["components"]["synthesis"]["variables"].append(("16x16/Extra/weight", np.zeros(3, np.float32)))
    path = tmp_path / "extra.pkl"
    path.write_bytes(release_pickle_bytes(nets))
    with pytest.raises(OfficialFormatError, match="16x16/Extra/weight"):
        load_official(path, device="cpu")
    nets = make_release_networks(16, **SMALL)
    v = nets["Gs"]["components"]["synthesis"]["variables"]
    v[:] = [(n, a[..., :-1] if n == "8x8/Conv1/weight" else a) for n, a in v]
    path.write_bytes(release_pickle_bytes(nets))
    with pytest.raises(OfficialFormatError, match="8x8/Conv1/weight"):
        load_official(path, device="cpu")
    nets = make_release_networks(16, extra_static_kwargs={"use_pixel_norm": True}, **SMALL)
    path.write_bytes(release_pickle_bytes(nets))
    with pytest.raises(OfficialFormatError, match="use_pixel_norm"):
        load_official(path, device="cpu")


# ------------------------------------------------------------------------------------------
# Cars: a square render with letterbox bars.
# ------------------------------------------------------------------------------------------
def test_letterbox_from_file_name_and_crop(tmp_path):
    path = tmp_path / "karras2019stylegan-cars-32x24.pkl"
    write_release_pickle(path, 32, **SMALL)
    G = load_official(path, device="cpu")
    assert G.official.letterbox == (32, 24)
    img = G(torch.randn(2, 16), noise_mode="const")
    assert img.shape == (2, 3, 32, 32)
    crop = crop_letterbox(img, *G.official.letterbox)
    assert crop.shape == (2, 3, 24, 32)
    assert torch.equal(crop, img[:, :, 4:28, :])
    x = torch.arange(512.0).view(1, 1, 512, 1).expand(1, 3, 512, 512)
    cars = crop_letterbox(x)                      # the real 512×384 cars model
    assert cars.shape == (1, 3, 384, 512) and cars[0, 0, 0, 0] == 64 and cars[0, 0, -1, 0] == 447
    with pytest.raises(ValueError, match="cannot crop"):
        crop_letterbox(torch.zeros(1, 3, 16, 16), 32, 24)


# ------------------------------------------------------------------------------------------
# Command line and the loaders that accept a release file.
# ------------------------------------------------------------------------------------------
def test_import_official_cli(tmp_path, small_file, capsys):
    src, _ = small_file
    dest = tmp_path / "converted.pt"
    assert official_cli.main([str(src), str(dest)]) == 0
    out = capsys.readouterr().out
    assert "wrote" in out and "truncation_psi=0.7" in out
    ckpt = read_checkpoint(dest)
    assert set(ckpt) >= {"G", "G_ema", "D", "config", "meta"}
    meta = ckpt["meta"]
    assert meta["official"]["network"] == "Gs" and len(meta["official"]["sha256"]) == 64
    assert "import-official" in meta["command"]
    G_ck = load_generator(dest, device="cpu")
    G_of = load_official(src, device="cpu")
    z = torch.randn(3, 16, generator=torch.Generator().manual_seed(0))
    assert torch.equal(G_ck(z, truncation_psi=0.7, noise_mode="const"),
                       G_of(z, truncation_psi=0.7, noise_mode="const"))
    # Gs only, through the `python -m stylegan_lib` dispatcher.
    from stylegan_lib.__main__ import main as dispatch

    small = tmp_path / "gs.pt"
    assert dispatch(["import-official", str(src), str(small), "--gs-only"]) == 0
    assert set(read_checkpoint(small)) & {"G", "G_ema", "D"} == {"G_ema"}


def test_import_official_cli_bad_file(tmp_path, capsys):
    bad = tmp_path / "bad.pkl"
    bad.write_bytes(pickle.dumps([1, 2, 3]))
    assert official_cli.main([str(bad), str(tmp_path / "out.pt")]) == 1
    assert "not the tuple" in capsys.readouterr().err
    assert not (tmp_path / "out.pt").exists()


def test_load_pretrained_accepts_a_release_file(small_file):
    from stylegan_lib.pretrained import load_pretrained

    path, _ = small_file
    G = load_pretrained(str(path), device="cpu")
    assert isinstance(G, Generator) and G.official.network == "Gs"


def test_zip_is_not_read_by_pickle(tmp_path):
    # A torch checkpoint must be pointed at the right loader, not unpickled here.
    path = tmp_path / "model.pkl"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("x", b"data")
    with pytest.raises(OfficialFormatError, match="load_generator"):
        read_release_pickle(path)
