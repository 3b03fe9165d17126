"""Chapter 2's figures: learning-rate multiplier, Z/W interpolation, Figure 6, w̄."""
import numpy as np
import pytest
from conftest import textured_generator
import torch

from stylegan_lib import Generator
from stylegan_lib.images import to_hwc
from stylegan_lib.latent import z_from_seeds
from stylegan_lib.viz import mapping as M


@pytest.fixture(scope="module")
def G():
    G = textured_generator(bias_std=0.2)  # images differ between seeds, as in a trained model
    G.mapping.compute_w_avg(500, generator=torch.Generator().manual_seed(0))
    return G


class BrightnessClassifier:
    """A stand-in for the faces classifier with a known rule: "male" = the left half is
    brighter than the right, "long_hair" = the top half is brighter than the bottom."""

    attributes = ("smiling", "male", "long_hair")

    def predict_proba(self, images):
        x = images.float().mean(1)
        h = x.shape[-1] // 2
        male = torch.sigmoid(20 * (x[..., :h].mean((1, 2)) - x[..., h:].mean((1, 2))))
        hair = torch.sigmoid(20 * (x[:, :h].mean((1, 2)) - x[:, h:].mean((1, 2))))
        return torch.stack([torch.zeros_like(male), male, hair], 1)


def test_lr_multiplier_table_and_adam_steps(G):
    rows = M.mapping_layer_table(G)
    assert len(rows) == G.config.mapping_layers
    assert all(r["lr_mul"] == pytest.approx(0.01) for r in rows)
    # Stored weights are drawn with std 1/λ = 100 at initialisation.
    fresh = Generator("tiny-16")
    assert M.mapping_layer_table(fresh)[0]["stored_std"] == pytest.approx(100, rel=0.1)
    steps = M.adam_step_sizes(fresh, lr=1e-3)
    # One Adam step moves ŵ by ≈ lr per entry: relative change lr·λ for f, lr for g (fresh init).
    assert np.allclose(steps["mapping"], 1e-5, rtol=0.1)
    assert np.allclose(steps["synthesis"], 1e-3, rtol=0.1)
    assert len(steps["synthesis"]) == 2 * len(fresh.synthesis.resolutions) - 1


def test_interpolation_strips_hit_their_endpoints(G):
    strips = M.interpolation_strips(G, 3, 7, steps=5, spaces=("z", "w", "z-lerp"))
    ends = G(z_from_seeds([3, 7], G.z_dim), noise_mode="const")
    for space in ("z", "w", "z-lerp"):
        assert strips[space].shape == (5, 3, 16, 16)
        torch.testing.assert_close(strips[space][0], ends[0], atol=1e-4, rtol=1e-4)
        torch.testing.assert_close(strips[space][-1], ends[1], atol=1e-4, rtol=1e-4)
    # The paths differ in between: slerp in Z is not lerp in W.
    assert (strips["z"][2] - strips["w"][2]).abs().max() > 1e-3
    d = M.step_distances(strips["w"])
    assert d.shape == (4,) and (d > 0).all()
    img = M.interpolate_image(G, 3, 7, 1.0, "z", upscale=2)
    assert img.shape == (32, 32, 3) and img.dtype == np.uint8
    # one image vs the last of a batch of 5: the same up to float rounding (one uint8 level)
    assert np.abs(img[::2, ::2].astype(int) - to_hwc(strips["z"][-1:])[0]).max() <= 1
    with pytest.raises(ValueError, match="space"):
        M.interpolation_ws(G, 0, 1, [0.5], "x")


def test_w_path_is_a_straight_line_in_w(G):
    ws = M.interpolation_ws(G, 1, 2, torch.linspace(0, 1, 5), "w")
    w = ws[:, 0]
    torch.testing.assert_close(w[2], (w[0] + w[4]) / 2, atol=1e-5, rtol=1e-5)
    assert torch.equal(ws[:, 0], ws[:, -1])


def test_training_factors_leave_out_long_haired_men():
    from stylegan_lib.data.faces import FacesConfig

    f = M.training_factors(1000, seed=1)
    assert f["counts"][(1, 1)] == 0 and f["counts"][(1, 0)] > 100 and f["counts"][(0, 1)] > 100
    assert f["factors"] == ("masculinity", "hair_length")
    full = M.training_factors(1000, seed=1, config=FacesConfig(exclude=()))
    assert full["counts"][(1, 1)] > 50


def test_anchors_and_planes(G):
    clf = BrightnessClassifier()
    a = M.fig6_anchors(G, clf, num_samples=48, seed=0, progress=False)
    idx = a["index"]
    assert len(set(idx.values())) == 3 and a["probs"].shape == (48, 2)
    p = a["probs"]
    # C is the most confident (not male, not long hair), B (male, not long), A (not male, long).
    assert idx["C"] == int(np.argmax((1 - p[:, 0]) * (1 - p[:, 1])))
    score_b = p[:, 0] * (1 - p[:, 1])
    score_b[idx["C"]] = -1
    assert idx["B"] == int(np.argmax(score_b))
    # The plane's corners are the anchors' latents, and (1, 1) is A + B − C.
    for space in ("z", "w"):
        pts, coords = M.plane_points(a, space, grid=3, lo=0.0, hi=1.0)
        x = a[space].double().numpy()
        assert np.allclose(coords, [0, 0.5, 1])
        assert np.allclose(pts[0], x[idx["C"]]) and np.allclose(pts[2], x[idx["B"]])
        assert np.allclose(pts[6], x[idx["A"]])
        assert np.allclose(pts[8], x[idx["A"]] + x[idx["B"]] - x[idx["C"]])
    # The plane's corner images are the anchors' own images, in Z and in W.
    for space in ("z", "w"):
        s = M.label_plane(G, clf, a, space, grid=3, lo=0.0, hi=1.0, progress=False)
        assert s["probs"].shape == (3, 3, 2) and s["images"].shape == (9, 3, 16, 16)
        torch.testing.assert_close(s["images"][2], a["images"][idx["B"]], atol=1e-4, rtol=1e-4)
        torch.testing.assert_close(s["images"][6], a["images"][idx["A"]], atol=1e-4, rtol=1e-4)
        # The labels are those of the plane's own images.
        assert np.allclose(s["probs"].reshape(9, 2), M.attribute_probabilities(clf, s["images"]), atol=1e-6)
        assert np.allclose(M.corner_probabilities(s), s["probs"][2, 2])
    # Z and W planes differ in between (f is not linear).
    sz = M.label_plane(G, clf, a, "z", grid=3, lo=0.0, hi=1.0, progress=False)
    sw = M.label_plane(G, clf, a, "w", grid=3, lo=0.0, hi=1.0, progress=False)
    assert (sz["images"][4] - sw["images"][4]).abs().max() > 1e-3
    assert M.plane_thumbnails(sw, every=2).shape == (2 * 17 + 1, 2 * 17 + 1, 3)
    fig = M.draw_figure6(M.training_factors(200), [sz, sw])
    assert len(fig.axes) == 3
    with pytest.raises(ValueError, match="space"):
        M.plane_points(a, "x")


def test_straightness_tells_straight_from_bent_boundaries():
    coords = np.linspace(-2, 2, 15)
    b, a = np.meshgrid(coords, coords, indexing="ij")
    straight = np.stack([a + 0.5 * b > 0.3, b < -0.2], -1).astype(float)
    bent = np.stack([a**2 + b**2 < 1.5, (a * b) > 0], -1).astype(float)
    assert M.straightness(straight, coords) == [1.0, 1.0]
    s = M.straightness(bent, coords)
    assert s[0] < 0.9 and s[1] < 0.8
    assert np.isnan(M.straightness(np.zeros((15, 15, 2)), coords)).all()
    fr = M.combination_fractions(straight)
    assert sum(fr.values()) == pytest.approx(1.0)


def test_average_face(G):
    avg = M.average_face(G, num_samples=32)
    expected = G.synthesis(G.mapping.w_avg[None, None].expand(1, G.num_ws, -1), noise_mode="const")
    torch.testing.assert_close(avg["w_avg"], expected)
    imgs = torch.randn(10, 3, 16, 16)
    torch.testing.assert_close(M.average_face(G, images=imgs)["pixel_mean"], imgs.mean(0, keepdim=True))
    with pytest.raises(ValueError, match="w̄"):
        M.average_face(Generator("tiny-16"), num_samples=4)


def test_attribute_classifier_is_the_shipped_one_or_a_clear_error(tmp_path):
    from stylegan_lib.metrics.classifier import ClassifierMissingError

    assert set(M.FIG6_ATTRIBUTES) <= set(M.attribute_classifier().attributes)
    with pytest.raises(ClassifierMissingError, match="missing"):
        M.attribute_classifier(str(tmp_path / "absent.pt"))


def test_attribute_probabilities_checks_names():
    with pytest.raises(ValueError, match="does not know"):
        M.attribute_probabilities(BrightnessClassifier(), torch.zeros(1, 3, 8, 8), ("bald",))


def test_combination_examples():
    probs = np.array([[0.9, 0.8], [0.2, 0.9], [0.99, 0.99], [0.6, 0.4], [0.7, 0.7]])
    images = torch.arange(5.0).view(5, 1, 1, 1).expand(5, 3, 2, 2)
    a = {"probs": probs, "images": images}
    ex = M.combination_examples(a, (1, 1), n=2)
    assert ex[:, 0, 0, 0].tolist() == [2.0, 0.0]          # most confident first, at most n
    assert M.combination_examples(a, (0, 1))[:, 0, 0, 0].tolist() == [1.0]
    assert len(M.combination_examples(a, (0, 0))) == 0
