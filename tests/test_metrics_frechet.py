"""Fréchet distance, KID and the statistics cache."""
import warnings

import numpy as np
import pytest
import scipy.linalg
import torch

from stylegan_lib.metrics.frechet import (FeatureStats, StatsAccumulator, StatsCache, frechet_distance,
                                          frechet_distance_from_stats)
from stylegan_lib.metrics.kernel import kernel_distance, mmd2_unbiased, polynomial_kernel


def random_spd(d, rng, cond=10.0):
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    lam = np.geomspace(1.0, cond, d)
    return (q * lam) @ q.T


@pytest.mark.parametrize("method", ["sqrtm", "eigh"])
def test_closed_form_diagonal(method):
    # Commuting (diagonal) covariances: d² = |μ1 − μ2|² + Σ (√a − √b)².
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.1, 3, 6), rng.uniform(0.1, 3, 6)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    expected = np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2)
    assert frechet_distance(mu1, np.diag(a), mu2, np.diag(b), method=method) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("method", ["sqrtm", "eigh"])
def test_closed_form_scaled_covariance(method):
    # Σ2 = c² Σ1: Tr(Σ1 + c²Σ1 − 2cΣ1) = (1 − c)² Tr Σ1, for a non-diagonal Σ1.
    rng = np.random.default_rng(1)
    s = random_spd(8, rng)
    c = 1.7
    assert frechet_distance(np.zeros(8), s, np.zeros(8), c**2 * s, method=method) == \
        pytest.approx((1 - c) ** 2 * np.trace(s), rel=1e-8)


def test_matches_direct_scipy_and_methods_agree():
    rng = np.random.default_rng(2)
    s1, s2 = random_spd(10, rng), random_spd(10, rng, cond=50)
    mu1, mu2 = rng.normal(size=10), rng.normal(size=10)
    direct = np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * np.real(scipy.linalg.sqrtm(s1 @ s2)))
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(direct, rel=1e-9)
    assert frechet_distance(mu1, s1, mu2, s2, method="eigh") == pytest.approx(direct, rel=1e-7)


def test_symmetric_and_zero_for_identical():
    rng = np.random.default_rng(3)
    s1, s2 = random_spd(5, rng), random_spd(5, rng)
    mu1, mu2 = rng.normal(size=5), rng.normal(size=5)
    assert frechet_distance(mu1, s1, mu2, s2) == pytest.approx(frechet_distance(mu2, s2, mu1, s1), rel=1e-9)
    assert abs(frechet_distance(mu1, s1, mu1, s1)) < 1e-9
    assert abs(frechet_distance(mu1, s1, mu1, s1, method="eigh")) < 1e-9


def test_singular_covariances_are_handled_and_reported():
    # Fewer samples than dimensions: rank-deficient covariances.
    rng = np.random.default_rng(4)
    a = FeatureStats.from_features(rng.normal(size=(5, 20)))
    b = FeatureStats.from_features(rng.normal(size=(5, 20)) + 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        info = frechet_distance(a.mu, a.sigma, b.mu, b.sigma, return_info=True)
    assert np.isfinite(info.value) and info.value > 0
    assert info.value == pytest.approx(info.mean_term + info.trace_term)
    # the symmetric method gives the same number without any offset
    eig = frechet_distance(a.mu, a.sigma, b.mu, b.sigma, method="eigh", return_info=True)
    assert info.value == pytest.approx(eig.value, rel=1e-3, abs=1e-3)


def test_bad_inputs_clear_errors():
    with pytest.raises(ValueError, match="shape mismatch"):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))
    with pytest.raises(ValueError, match="NaN or inf"):
        frechet_distance(np.array([np.nan, 0]), np.eye(2), np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match="method"):
        frechet_distance(np.zeros(2), np.eye(2), np.zeros(2), np.eye(2), method="magic")
    with pytest.raises(ValueError, match="large imaginary"):
        # not a covariance: a negative eigenvalue has an imaginary square root
        frechet_distance(np.zeros(2), np.diag([-1.0, 1.0]), np.zeros(2), np.eye(2))


def test_accumulator_matches_numpy():
    rng = np.random.default_rng(5)
    f = rng.normal(size=(300, 7)) * 3 + 1
    acc = StatsAccumulator()
    for chunk in np.array_split(f, 7):
        acc.add(torch.from_numpy(chunk).float())
    st = acc.stats()
    assert st.num == 300 and st.features.shape == (300, 7)
    np.testing.assert_allclose(st.mu, f.mean(0), rtol=1e-5)
    np.testing.assert_allclose(st.sigma, np.cov(f, rowvar=False), rtol=1e-4, atol=1e-5)
    st2 = FeatureStats.from_features(f)
    assert frechet_distance_from_stats(st, st2) < 1e-6


def test_stats_cache_key_and_atomicity(tmp_path):
    cache = StatsCache(tmp_path)
    key = {"dataset": "synthetic-faces", "detector": "faces-classifier:abc", "resolution": 32, "num": 100}
    rng = np.random.default_rng(6)
    stats = FeatureStats.from_features(rng.normal(size=(100, 4)))
    calls = []

    def compute():
        calls.append(1)
        return stats

    s1, hit1 = cache.get_or_compute(key, compute)
    s2, hit2 = cache.get_or_compute(key, compute)
    assert (hit1, hit2) == (False, True) and len(calls) == 1
    np.testing.assert_array_equal(s1.sigma, s2.sigma)
    np.testing.assert_array_equal(s1.features, s2.features)
    # any change of the key is a miss: resolution, sample count, detector
    for change in ({"resolution": 64}, {"num": 200}, {"detector": "inception:xyz"}):
        assert cache.load({**key, **change}) is None
    # no temporary files are left behind
    assert [p.suffix for p in tmp_path.iterdir()] == [".pt"]
    # a file written for another key (e.g. renamed by hand) is not reused
    other = {**key, "num": 101}
    cache.path(other).write_bytes(cache.path(key).read_bytes())
    with pytest.warns(UserWarning, match="another key"):
        assert cache.load(other) is None
    with pytest.raises(ValueError, match="missing"):
        cache.path({"dataset": "x"})


# ---------------------------------------------------------------------------------------------
# KID
# ---------------------------------------------------------------------------------------------
def test_mmd_unbiased_matches_definition():
    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(6, 3)), rng.normal(size=(5, 3)) + 1
    k = polynomial_kernel
    sxx = sum(k(x[i:i + 1], x[j:j + 1])[0, 0] for i in range(6) for j in range(6) if i != j) / 30
    syy = sum(k(y[i:i + 1], y[j:j + 1])[0, 0] for i in range(5) for j in range(5) if i != j) / 20
    sxy = sum(k(x[i:i + 1], y[j:j + 1])[0, 0] for i in range(6) for j in range(5)) / 30
    assert mmd2_unbiased(x, y) == pytest.approx(sxx + syy - 2 * sxy, rel=1e-10)


def test_kid_hand_computed():
    # d = 2, k(x, y) = (x·y / 2 + 1)³. x = {(2, 0), (0, 2)}, y = {(0, 0), (0, −3)}.
    # x1·x2 = 0 → k = 1, so the x term (pairs i ≠ j only) is 1; y1·y2 = 0 → the y term is 1.
    # Cross terms: x·y = 0, 0, 0, −6 → k = 1, 1, 1, (−3 + 1)³ = −8; mean (3 − 8)/4 = −1.25.
    # MMD²_u = 1 + 1 − 2·(−1.25) = 4.5. (Quadratic kernel: 2 − 2·7/4 = −1.5; keeping the
    # diagonal k(x1, x1) = (4/2 + 1)³ = 27 would give a biased x term of (27 + 27 + 1 + 1)/4 = 14.)
    x = np.array([[2.0, 0.0], [0.0, 2.0]])
    y = np.array([[0.0, 0.0], [0.0, -3.0]])
    assert polynomial_kernel(x[1:], y[1:])[0, 0] == -8.0
    assert mmd2_unbiased(x, y) == pytest.approx(4.5, abs=1e-12)
    # one subset of both whole sets: KID is the same number
    assert kernel_distance(x, y, num_subsets=1, max_subset_size=2) == pytest.approx(4.5, abs=1e-12)


def test_kid_unbiased_same_distribution():
    # Same distribution: KID averages to ~0 (the biased FD does not).
    rng = np.random.default_rng(8)
    d = 16
    values = []
    fd_values = []
    for _ in range(20):
        a, b = rng.normal(size=(200, d)), rng.normal(size=(200, d))
        values.append(kernel_distance(a, b, num_subsets=5, max_subset_size=200, seed=1))
        fd_values.append(frechet_distance_from_stats(FeatureStats.from_features(a), FeatureStats.from_features(b)))
    mean, sem = np.mean(values), np.std(values) / np.sqrt(len(values))
    assert abs(mean) < 3 * sem + 1e-4
    assert np.mean(fd_values) > 10 * max(sem, 1e-3)  # FD is biased upwards at N = 200


def test_kid_detects_a_shift_and_reports_std():
    rng = np.random.default_rng(9)
    a, b = rng.normal(size=(500, 8)), rng.normal(size=(500, 8)) + 0.5
    mean, std = kernel_distance(a, b, num_subsets=10, max_subset_size=300, return_std=True)
    assert mean > 5 * std > 0
    with pytest.raises(ValueError, match="one D"):
        kernel_distance(a, b[:, :4])


def test_kid_over_whole_samples_is_their_mmd_once():
    """When a subset would be all of both samples, every subset gives the same MMD² (up to the
    order of a sum): KID is that number, with spread 0, as the subsets' own mean says."""
    rng = np.random.default_rng(10)
    a, b = rng.normal(size=(120, 6)), rng.normal(size=(120, 6)) + 0.3
    rng2 = np.random.default_rng(0)
    by_subsets = np.mean([mmd2_unbiased(a[rng2.permutation(120)], b[rng2.permutation(120)]) for _ in range(5)])
    mean, std = kernel_distance(a, b, num_subsets=5, max_subset_size=1000, return_std=True)
    assert mean == pytest.approx(by_subsets, rel=1e-10) and std == 0.0
    assert mean == pytest.approx(mmd2_unbiased(a, b), rel=1e-12)
