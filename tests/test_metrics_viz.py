"""The metrics chapter's plots and the logic behind them."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from stylegan_lib import Generator  # noqa: E402
from stylegan_lib.metrics.ppl import perceptual_path_length  # noqa: E402
from stylegan_lib.viz import metrics as vm  # noqa: E402


def test_project_2d_keeps_the_main_axes():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(300, 5)) * np.array([5, 2, 0.1, 0.1, 0.1])
    gen = real + np.array([3, 0, 0, 0, 0])
    r2, g2, axes = vm.project_2d(real, gen)
    assert r2.shape == (300, 2) and axes.shape == (2, 5)
    assert abs(axes[0, 0]) > 0.95           # the widest, shifted direction comes first
    assert abs((g2 - r2).mean(0)[0]) == pytest.approx(3, rel=0.01)
    fig = vm.plot_feature_scatter(real, gen)
    assert len(fig.axes) == 1
    plt.close(fig)


def test_sample_count_study_shows_the_bias():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2000, 8)), rng.normal(size=(2000, 8))   # one distribution
    st = vm.sample_count_study(a, b, [20, 100, 1000], repeats=4, seed=0)
    assert st["fd_mean"][0] > st["fd_mean"][1] > st["fd_mean"][2] > 0   # FD falls with N
    assert all(abs(m) < 4 * s + 0.02 for m, s in zip(st["kd_mean"], st["kd_std"]))  # KD stays ~0
    fig = vm.plot_sample_count(st, st)
    plt.close(fig)
    with pytest.raises(ValueError, match="sample count"):
        vm.sample_count_study(a, b, [5000])


def test_sample_count_view_numbers():
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(500, 4)), rng.normal(size=(500, 4)) + 1
    fig, info = vm.sample_count_view(a, b, 200, seed=0)
    assert info["n"] == 200 and info["fd"] > 3 and info["kd"] > 0
    plt.close(fig)


def test_interpolation_paths_geometry():
    torch.manual_seed(0)
    G = Generator("tiny-16").eval()
    p = vm.interpolation_paths(G, seed=1, steps=21)
    assert p["w_lerp"].shape == (21, 2) and p["z_slerp"].shape == (21, 2)
    # both paths join the same endpoints; the lerp path is straight
    np.testing.assert_allclose(p["w_lerp"][[0, -1]], p["z_slerp"][[0, -1]], atol=1e-4)
    np.testing.assert_allclose(p["w_lerp"][:, 1], p["w_lerp"][0, 1], atol=1e-4)
    assert p["speed_w"].shape == (20,) and (p["speed_w"] >= 0).all()
    fig = vm.plot_interpolation_paths(p)
    assert len(fig.axes) == 3
    plt.close(fig)


def test_ppl_histogram_draws():
    G = Generator("tiny-16").eval()
    res = [perceptual_path_length(G, lambda a, b: (a - b).square().flatten(1).sum(1), num_samples=50,
                                  space=s, batch_size=50, progress=False) for s in ("z", "w")]
    fig = vm.plot_ppl_histogram(res)
    plt.close(fig)


def test_svm_projection_separates():
    rng = np.random.default_rng(3)
    lat = rng.normal(size=(600, 6))
    probs = 1 / (1 + np.exp(-4 * (lat[:, 1] - lat[:, 3])))
    pr = vm.svm_projection(lat, probs)
    assert pr["accuracy"] > 0.98 and pr["entropy"] < 0.1
    # the label sits on the side of the boundary: x > 0 ↔ label 1
    assert ((pr["xy"][:, 0] > 0) == (pr["labels"] == 1)).mean() > 0.98
    fig = vm.plot_svm_boundary({"Z": pr, "W": pr}, "attr")
    assert len(fig.axes) == 2
    plt.close(fig)


def test_comparison_table():
    t = vm.comparison_table([("FD", "1.0", "—")])
    assert t.splitlines()[0] == "| metric | this book | paper (FFHQ) |" and "| FD | 1.0 | — |" in t


def test_ground_truth_plots_draw_what_they_are_given():
    from stylegan_lib.metrics.ground_truth import constructed_codes, disentanglement_scores

    f, codes = constructed_codes(num=400, num_factors=2)
    scores = {k: disentanglement_scores(c, f) for k, c in list(codes.items())[:2]}
    fig = vm.plot_code_scores(scores)
    heights = [p.get_height() for p in fig.axes[0].patches]
    assert len(heights) == 2 * 4 and heights[0] == pytest.approx(scores["disentangled"]["disentanglement"])
    plt.close(fig)
    gt = {"factors": ["shirt_hue", "yaw", "smile"],           # fine, coarse, middle: drawn coarse first
          "z": {"r2": {"shirt_hue": 0.1, "yaw": 0.2, "smile": -0.3}, "informativeness": 0.0},
          "w": {"r2": {"shirt_hue": 0.5, "yaw": 0.9, "smile": 0.7}, "informativeness": 0.7}}
    fig = vm.plot_factor_r2(gt)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["yaw", "smile", "shirt hue"]
    assert [p.get_height() for p in ax.patches] == pytest.approx([0.2, 0.0, 0.1, 0.9, 0.7, 0.5])
    plt.close(fig)


def test_factor_r2_grid_rows_are_models_and_blanks_are_left_out_factors():
    gts = {"A": {"factors": ["hair_length", "smile"], "w": {"r2": {"hair_length": 0.8, "smile": -0.2}}},
           "T": {"factors": ["hair_length"], "w": {"r2": {"hair_length": 0.5}}}}
    fig = vm.plot_factor_r2_grid(gts)
    grid = fig.axes[0].images[0].get_array()
    assert grid.shape == (2, 2) and [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["A", "T"]
    names = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    h, s = names.index("hair length"), names.index("smile")
    assert grid[0, h] == 0.8 and grid[0, s] == 0.0 and grid[1, h] == 0.5 and np.ma.getmaskarray(grid)[1, s]
    # Rows of a table are measured in their own spaces.
    gts["A"]["z"] = {"r2": {"hair_length": 0.1, "smile": 0.3}}
    grid = vm.plot_factor_r2_grid(gts, space={"A": "z", "T": "w"}).axes[0].images[0].get_array()
    assert grid[0, h] == pytest.approx(0.1) and grid[0, s] == pytest.approx(0.3) and grid[1, h] == 0.5
    with pytest.raises(ValueError, match="no ground-truth"):
        vm.plot_factor_r2_grid({})
    plt.close("all")
