"""Linear separability: conditional entropy, the SVM score and the attribute filter."""
import numpy as np
import pytest
import torch
from torch import nn

from stylegan_lib import Generator
from stylegan_lib.metrics.separability import (conditional_entropy, linear_separability, most_confident,
                                               select_attributes, separability_score)


def test_conditional_entropy_hand_values():
    y = np.array([0, 0, 1, 1])
    assert conditional_entropy(y, y) == 0.0
    assert conditional_entropy(y, 1 - y) == 0.0            # a flipped predictor still explains all
    assert conditional_entropy(y, np.zeros(4)) == pytest.approx(np.log(2))
    # X splits 4 samples in half; Y|X=0 is (0, 0), Y|X=1 is (0, 1): H = ½·0 + ½·ln 2
    assert conditional_entropy(np.array([0, 0, 0, 1]), np.array([0, 0, 1, 1])) == pytest.approx(np.log(2) / 2)


def test_perfectly_separable_gives_one():
    rng = np.random.default_rng(0)
    lat = rng.normal(size=(1000, 6))
    # a classifier's probabilities that depend on the latent through a hyperplane each
    scores = np.stack([lat[:, 0], lat[:, 1] + lat[:, 2] - 0.3, -lat[:, 5]], 1)
    res = separability_score(lat, 1 / (1 + np.exp(-5 * scores)), ["a", "b", "c"])
    assert res["value"] == pytest.approx(1.0, abs=0.02)
    assert all(h < 0.01 for h in res["entropies"].values())


def test_independent_labels_give_two_to_the_k():
    rng = np.random.default_rng(1)
    k = 3
    lat = rng.normal(size=(4000, 4))
    probs = rng.uniform(size=(4000, k))                    # labels independent of the latent
    res = separability_score(lat, probs)
    assert res["value"] == pytest.approx(2.0**k, rel=0.05)
    for h in res["entropies"].values():
        assert h == pytest.approx(np.log(2), rel=0.03)


def test_most_confident_half():
    p = np.array([0.5, 0.9, 0.1, 0.45, 0.99, 0.6])
    assert sorted(most_confident(p, 0.5).tolist()) == [1, 2, 4]


def test_select_attributes_warns():
    with pytest.warns(RuntimeWarning, match="smiling"):
        keep, dropped = select_attributes({"male": 0.99, "smiling": 0.7})
    assert keep == ["male"] and dropped == ["smiling"]


class MeanColourClassifier(nn.Module):
    """Two 'attributes': bright red channel, bright green channel."""
    attributes = ("red", "green")

    def forward(self, img):
        return img[:, :2].mean((2, 3)) * 20


def test_linear_separability_end_to_end():
    torch.manual_seed(0)
    G = Generator("tiny-16").eval()
    with pytest.warns(RuntimeWarning, match="green"):
        res = linear_separability(G, MeanColourClassifier(), num_samples=200, batch_size=100,
                                  accuracy={"red": 0.95, "green": 0.5}, progress=False, return_data=True)
    assert res["attributes"] == ["red"] and res["dropped_attributes"] == ["green"]
    assert res["data"]["z"].shape == (200, G.z_dim) and res["data"]["w"].shape == (200, G.w_dim)
    assert res["data"]["probs"].shape == (200, 2) and res["data"]["attributes"] == ["red", "green"]
    for space in ("z", "w"):
        assert 1.0 <= res[space]["value"] <= 2.0 + 1e-6
        assert set(res[space]["entropies"]) == {"red"}
    with pytest.raises(ValueError, match="accuracy"):
        linear_separability(G, MeanColourClassifier(), num_samples=10, progress=False)


def test_svm_sees_raw_latents_like_a_plain_linear_svc():
    # The release fits sklearn's LinearSVC on the raw latents. On anisotropic latents (as W is:
    # axes of very different spread) whose label hangs on the small axes, standardising first
    # changes the regularised fit and the score, so the two must not be confused.
    import warnings

    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import LinearSVC

    rng = np.random.default_rng(0)
    lat = rng.normal(size=(400, 4)) * np.array([30.0, 3.0, 0.3, 0.03])
    score = lat[:, 3] / 0.03 + lat[:, 2] / 0.3 + 0.8 * rng.normal(size=400)
    probs = 1 / (1 + np.exp(-3 * score))
    keep = most_confident(probs, 0.5)
    y = (probs[keep] > 0.5).astype(np.int64)

    def entropy_of(model):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(lat[keep], y)
        return conditional_entropy(y, model.predict(lat[keep]))

    plain = entropy_of(LinearSVC(C=1.0, max_iter=5000, random_state=0))
    scaled = entropy_of(make_pipeline(StandardScaler(), LinearSVC(C=1.0, max_iter=5000, random_state=0)))
    assert abs(plain - scaled) > 0.05, "the case must tell a plain SVM from a standardised one"
    res = separability_score(lat, probs, ["a"])
    assert res["entropies"]["a"] == pytest.approx(plain, abs=1e-12)
    assert res["value"] == pytest.approx(np.exp(plain), rel=1e-12)
