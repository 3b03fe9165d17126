"""Improved precision and recall, the spread of a feature set, and the scores of two feature
arrays (FD, KD, precision, recall, diversity) on the book's faces classifier."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from stylegan_lib.metrics.classifier import ClassifierMissingError, load_classifier
from stylegan_lib.metrics.detectors import get_feature_detector
from stylegan_lib.metrics.evaluate import distribution_scores, real_features
from stylegan_lib.metrics.precision_recall import knn_radii, mean_pairwise_distance, precision_recall


def test_precision_recall():
    rng = np.random.default_rng(0)
    real = rng.normal(size=(200, 4))
    p, r = precision_recall(real, real.copy())
    assert p == 1.0 and r == 1.0
    far = rng.normal(size=(200, 4)) + 100.0
    assert precision_recall(real, far) == (0.0, 0.0)
    # A generator that only makes the middle of the data: high precision, low recall.
    centre = real[np.linalg.norm(real, axis=1) < 1.0]
    p, r = precision_recall(real, centre)
    assert p > 0.95 and r < 0.6
    with pytest.raises(ValueError, match="more than 3"):
        precision_recall(real, real[:3])


def test_knn_radius_is_the_distance_to_the_kth_neighbour():
    points = np.array([[0.0], [1.0], [3.0], [7.0]])
    assert knn_radii(points, 1).tolist() == [1.0, 1.0, 2.0, 4.0]
    assert knn_radii(points, 3).tolist() == [7.0, 6.0, 4.0, 7.0]


def test_distribution_scores():
    rng = np.random.default_rng(1)
    real = rng.normal(size=(200, 8))
    same = distribution_scores(real, rng.normal(size=(200, 8)))
    shifted = distribution_scores(real, rng.normal(size=(200, 8)) * 0.3 + 1.0)
    assert same["fd"] < 0.5 < shifted["fd"] and same["kd"] < shifted["kd"]
    assert abs(same["diversity"] - 1) < 0.1 and shifted["diversity"] < 0.5
    assert same["recall"] > shifted["recall"]
    assert mean_pairwise_distance(np.ones((5, 3))) == 0.0


def test_real_features_are_the_shipped_classifiers_features_of_synthetic_faces():
    det = get_feature_detector("classifier")
    feats = real_features(det, 12, batch_size=5)
    assert feats.shape == (12, det.feature_dim) and feats.dtype == np.float64
    from stylegan_lib.data import SyntheticFaces

    direct = det(SyntheticFaces(12, 32, seed=123).images(np.arange(12))).double().numpy()
    np.testing.assert_allclose(feats, direct, rtol=0, atol=1e-5)
    # A model's own data: the faces of that detail level, not the default ones.
    from stylegan_lib.data import parse_faces_spec

    medium = real_features(det, 12, batch_size=5, data="faces:100000:medium")
    config = parse_faces_spec("faces:100000:medium")[1]
    direct = det(SyntheticFaces(12, 32, seed=123, config=config).images(np.arange(12))).double().numpy()
    np.testing.assert_allclose(medium, direct, rtol=0, atol=1e-5)
    assert np.abs(medium - feats).max() > 1e-3
    with pytest.raises(ValueError, match="not a faces spec"):
        real_features(det, 12, data="some/folder")


def test_a_missing_classifier_is_an_error_not_a_random_network(tmp_path):
    with pytest.raises(ClassifierMissingError):
        load_classifier(tmp_path / "absent.pt")
    assert torch.is_tensor(next(load_classifier().parameters()))
