"""The imported model computes what NVIDIA's code computes: same z, same stored noise, same ψ and
cutoff → the same image, to float32 precision.

The "NVIDIA" side is tests/official_reference.py, an independent float64 NumPy re-derivation of
the release's forward pass from its documented behaviour, fed with the very variables written
into the release-format file (TF layout, release names). The book side goes through the whole
import: pickle → restricted unpickler → layout conversion → Generator.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import official_reference as ref  # noqa: E402

from stylegan_lib.official import load_official  # noqa: E402
from stylegan_lib.official.fake import variables_of, write_release_pickle  # noqa: E402

ZDIM = 32
#: resolution → (fmap_base, fmap_max): narrow networks, the release's structure.
SIZES = {16: (256, 16), 32: (256, 16), 64: (256, 16), 128: (256, 16), 256: (512, 16), 1024: (1024, 8)}
ATOL = 1e-4
MAX_DIFF: dict[str, float] = {}


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    """resolution → (Gs, D, Gs variables, D variables), files written on first use."""
    folder = tmp_path_factory.mktemp("release")
    cache = {}

    def get(res):
        if res not in cache:
            fb, fm = SIZES[res]
            path = folder / f"stand-in-{res}x{res}.pkl"
            nets = write_release_pickle(path, res, fmap_base=fb, fmap_max=fm, latent_size=ZDIM,
                                        dlatent_size=ZDIM, mapping_fmaps=ZDIM, seed=res,
                                        protocol=2 if res == 64 else 4)
            G, D = load_official(path, device="cpu", return_discriminator=True)
            cache[res] = (G, D, variables_of(nets["Gs"]), variables_of(nets["D"]))
        return cache[res]

    yield get
    if MAX_DIFF:
        print("\nmax |ours - reference| per case:")
        for k, v in sorted(MAX_DIFF.items()):
            print(f"  {k}: {v:.2e}")


def _z(n, seed=1):
    return np.random.default_rng(seed).standard_normal((n, ZDIM))


def _compare(name, got: torch.Tensor, want: np.ndarray, atol=ATOL, min_scale=0.1):
    got = got.detach().double().numpy()
    assert got.shape == want.shape
    diff = float(np.abs(got - want).max())
    MAX_DIFF[name] = max(diff, MAX_DIFF.get(name, 0.0))
    assert diff < atol, f"{name}: max abs difference {diff:.3g} (values up to {np.abs(want).max():.3g})"
    # The comparison is meaningful: outputs are not constant and not tiny.
    assert np.abs(want).max() > min_scale and want.std() > min_scale / 10


CASES = [(res, psi, cutoff) for res in (16, 32, 64)
         for psi, cutoff in [(1.0, None), (0.7, 4), (0.5, None), (-0.5, 2)]]
CASES += [(res, psi, cutoff) for res in (128, 256) for psi, cutoff in [(1.0, None), (0.7, 8)]]


@pytest.mark.parametrize("res,psi,cutoff", CASES)
def test_images_equal_the_release_computation(release, res, psi, cutoff):
    G, _, variables, _ = release(res)
    z = _z(2, seed=res)
    want = ref.generator(variables, z, psi, cutoff, noise="const")
    with torch.no_grad():
        got = G(torch.tensor(z, dtype=torch.float32), truncation_psi=psi, truncation_cutoff=cutoff,
                noise_mode="const")
    _compare(f"G {res}x{res}", got, want)


def test_full_depth_1024(release):
    """All 18 layers, fused up-sampling at 128²…1024², ToRGB_lod0 at 1024² (narrow channels)."""
    G, _, variables, _ = release(1024)
    assert G.num_ws == 18 and G.img_resolution == 1024
    z = _z(1, seed=7)
    want = ref.generator(variables, z, 0.7, 8, noise="const")
    with torch.no_grad():
        got = G(torch.tensor(z, dtype=torch.float32), truncation_psi=0.7, truncation_cutoff=8, noise_mode="const")
    _compare("G 1024x1024", got, want, atol=2 * ATOL)


def test_release_defaults_reproduce_gs_run(release):
    """``G(z, **G.official.release_defaults)`` = the release's default ψ = 0.7, cutoff 8."""
    G, _, variables, _ = release(64)
    z = _z(2, seed=11)
    want = ref.generator(variables, z, 0.7, 8, noise="const")
    with torch.no_grad():
        got = G(torch.tensor(z, dtype=torch.float32), noise_mode="const", **G.official.release_defaults)
    _compare("G 64x64 release defaults", got, want)
    with torch.no_grad():  # and without truncation it differs (the check is not vacuous)
        plain = G(torch.tensor(z, dtype=torch.float32), noise_mode="const").double().numpy()
    assert np.abs(plain - want).max() > 1e-2


def test_mapping_and_truncation(release):
    G, _, variables, _ = release(32)
    mv = {k[8:]: v for k, v in variables.items() if k.startswith("mapping/")}
    z = _z(5, seed=2)
    w = ref.mapping(mv, z)
    with torch.no_grad():
        ws = G.mapping(torch.tensor(z, dtype=torch.float32))
        ws_t = G.mapping(torch.tensor(z, dtype=torch.float32), truncation_psi=0.6, truncation_cutoff=3)
    _compare("mapping w", ws, np.repeat(w[:, None], G.num_ws, axis=1))
    want = ref.truncate(np.repeat(w[:, None], G.num_ws, axis=1), variables["dlatent_avg"], 0.6, 3)
    _compare("mapping truncated", ws_t, want)
    assert torch.allclose(ws_t[:, 3:], ws[:, 3:]) and not torch.allclose(ws_t[:, :3], ws[:, :3])
    # ψ = 0 gives w̄ itself: the "mean face".
    with torch.no_grad():
        w0 = G.mapping(torch.tensor(z, dtype=torch.float32), truncation_psi=0.0)
    assert torch.allclose(w0, torch.from_numpy(variables["dlatent_avg"]).expand_as(w0))


@pytest.mark.parametrize("res", [32, 128])
def test_explicit_noise_and_none(release, res):
    G, _, variables, _ = release(res)
    z = _z(2, seed=5)
    gen = torch.Generator().manual_seed(0)
    noise = [torch.randn(2, 1, r, r, generator=gen) for r in G.synthesis.layer_resolutions()]
    want = ref.generator(variables, z, 1.0, None, noise=[n.numpy() for n in noise])
    with torch.no_grad():
        ws = G.mapping(torch.tensor(z, dtype=torch.float32))
        got = G.synthesis(ws, noise=noise)
        none = G.synthesis(ws, noise_mode="none")
    _compare(f"G {res}x{res} explicit noise", got, want)
    _compare(f"G {res}x{res} no noise", none, ref.generator(variables, z, 1.0, None, noise="zero"))


def test_random_noise_mode(release):
    G, _, variables, _ = release(32)
    z = torch.tensor(_z(2, seed=6), dtype=torch.float32)
    with torch.no_grad():
        const = G(z, noise_mode="const")
        torch.manual_seed(0)
        r1 = G(z, noise_mode="random")
        r2 = G(z, noise_mode="random")
        torch.manual_seed(0)
        r1_again = G(z, noise_mode="random")
    assert torch.equal(r1, r1_again)
    assert not torch.allclose(r1, r2) and not torch.allclose(r1, const)
    assert torch.isfinite(r1).all() and r1.shape == const.shape


@pytest.mark.parametrize("res", [32, 128])
def test_discriminator_equals_the_release_computation(release, res):
    _, D, _, dvars = release(res)
    img = np.random.default_rng(res).standard_normal((4, 3, res, res))
    want = ref.discriminator(dvars, img)
    with torch.no_grad():
        got = D(torch.tensor(img, dtype=torch.float32))
    # Scores of random-weight D are small (~0.05): also compare relative to their size.
    _compare(f"D {res}x{res}", got, want, min_scale=0.01)
    assert np.abs(got.double().numpy() - want).max() < 1e-4 * np.abs(want).max()


def test_reference_can_tell_a_wrong_layout(release):
    """Negative control: a kernel loaded without the [k,k,in,out] → [out,in,k,k] transpose (here:
    spatially flipped) changes the image far beyond the tolerance."""
    G, _, variables, _ = release(16)
    z = _z(1, seed=9)
    want = ref.generator(variables, z, 1.0, None)
    conv = G.synthesis.blocks["b8"].conv1
    saved = conv.weight.detach().clone()
    try:
        with torch.no_grad():
            conv.weight.copy_(saved.flip(-1))
            got = G(torch.tensor(z, dtype=torch.float32), noise_mode="const").double().numpy()
    finally:
        with torch.no_grad():
            conv.weight.copy_(saved)
    assert np.abs(got - want).max() > 1e-2
