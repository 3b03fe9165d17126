"""The paper-figure helpers of stylegan_lib.viz.official, on a small release-format stand-in."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from stylegan_lib.viz import official as F
from stylegan_lib.official import load_official
from stylegan_lib.official.fake import write_release_pickle


@pytest.fixture(scope="module")
def G(tmp_path_factory):
    path = tmp_path_factory.mktemp("fig") / "stand-in-64x64.pkl"
    write_release_pickle(path, 64, fmap_base=256, fmap_max=16, latent_size=24, dlatent_size=24,
                         mapping_fmaps=24, seed=1)
    return load_official(path, device="cpu")


def test_release_z_is_numpy_randomstate():
    z = F.release_z([5, 639], 512)
    assert z.shape == (2, 512) and z.dtype == torch.float32
    assert np.allclose(z[1].numpy(), np.random.RandomState(639).randn(512).astype(np.float32))


def test_figure2_layout(G):
    cols = F.figure2_images(G, rows=1, lods=(0, 1, 2))
    assert [tuple(c.shape) for c in cols] == [(1, 3, 64, 64), (2, 3, 32, 32), (4, 3, 16, 16)]
    mosaic = F.figure2_mosaic(cols)
    assert mosaic.shape == (3, 64, 64 + 32 + 16)
    # The first image is the first RandomState(5) latent, truncated as the release does by default.
    z = torch.from_numpy(np.random.RandomState(5).randn(7, G.z_dim)).float()[:1]
    ws = G.mapping(z, truncation_psi=0.7, truncation_cutoff=8)
    gen = torch.Generator().manual_seed(0)
    noise = [torch.randn(7, 1, r, r, generator=gen)[:1] for r in G.synthesis.layer_resolutions()]
    assert torch.allclose(cols[0][0], G.synthesis(ws, noise=noise)[0], atol=1e-5)


def test_figure3_cells_copy_the_row_range(G):
    res = F.figure3_images(G, top_seeds=[1, 2], left_seeds=[3, 4, 5], groups=["coarse", "middle", "fine"])
    assert res["grid"].shape == (3, 2, 3, 64, 64)
    assert [list(r) for r in res["ranges"]] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    ws_top, ws_left = G.mapping(F.release_z([1, 2], G.z_dim)), G.mapping(F.release_z([3, 4, 5], G.z_dim))
    mixed = ws_left[1].clone()
    mixed[4:8] = ws_top[0, 4:8]
    want = G.synthesis(mixed[None], noise_mode="const")[0]
    assert torch.allclose(res["grid"][1, 0], want, atol=1e-5)
    assert torch.allclose(F.style_mixing_image(G, 4, 1, "middle")[0], want, atol=1e-5)
    with pytest.raises(ValueError, match="one group per"):
        F.figure3_images(G, [1], [2, 3], ["coarse"])


def test_figure4_std_comes_from_noise_only(G):
    res = F.figure4_images(G, seeds=[7], num_realisations=6, num_shown=2, batch_size=4)
    assert res["images"].shape == (1, 2, 3, 64, 64) and res["std"].shape == (1, 64, 64)
    assert float(res["std"].max()) > 1e-3
    saved = [epi.noise.weight.clone() for epi in G.synthesis.epilogues()]
    try:
        for epi in G.synthesis.epilogues():
            epi.noise.weight.zero_()
        quiet = F.figure4_images(G, seeds=[7], num_realisations=4)
        assert float(quiet["std"].max()) < 1e-5
    finally:
        for epi, w in zip(G.synthesis.epilogues(), saved):
            epi.noise.weight.copy_(w)


def test_figure5_panels(G):
    res = F.figure5_images(G, seeds=[1, 2])
    assert res["images"].shape == (2, 4, 3, 64, 64)
    assert res["layers"][2] == [8, 9] and res["layers"][3] == list(range(8))
    ws = G.mapping(F.release_z([1, 2], G.z_dim))
    assert torch.allclose(res["images"][:, 0], G.synthesis(ws, noise_mode="const"), atol=1e-5)
    assert torch.allclose(res["images"][:, 1], G.synthesis(ws, noise_mode="none"), atol=1e-5)
    assert not torch.allclose(res["images"][:, 2], res["images"][:, 3])


def test_figure8_psi_zero_is_the_average(G):
    res = F.figure8_images(G, seeds=[91, 388])
    assert res["images"].shape == (2, 6, 3, 64, 64)
    p0 = res["psis"].index(0.0)
    assert torch.allclose(res["images"][0, p0], res["images"][1, p0], atol=1e-5)
    assert not torch.allclose(res["images"][0, 0], res["images"][1, 0])


def test_drawing_functions_return_figures(G):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for fig in (F.draw_figure2(F.figure2_images(G, rows=1, lods=(0, 1))),
                F.draw_figure3(F.figure3_images(G, [1], [2, 3], ["coarse", "fine"])),
                F.draw_figure4(F.figure4_images(G, [1], num_realisations=3, num_shown=2)),
                F.draw_figure5(F.figure5_images(G, [1])),
                F.draw_figure8(F.figure8_images(G, [1], psis=[1, 0]))):
        assert fig.axes
        plt.close(fig)
