"""Ground-truth disentanglement scores (DCI, MIG) on codes whose answer is known, and the factor
reader's plumbing on a tiny network."""
import json

import numpy as np
import pytest
import torch

from stylegan_lib.metrics.ground_truth import (READER_FORMAT, constructed_codes, dci_scores, disentanglement_scores,
                                               factors_to_unit, ground_truth, load_factor_reader,
                                               mutual_information_gap, reader_r2, select_factors,
                                               train_factor_reader)

N, K = 2000, 4


@pytest.fixture(scope="module")
def factors():
    return np.random.default_rng(0).uniform(size=(N, K))


def _noise(d, seed=1):
    return np.random.default_rng(seed).normal(size=(N, d))


def test_perfect_code_scores_one(factors):
    """Each factor in its own dimension, plus nuisance dimensions that carry nothing."""
    code = np.concatenate([factors + 1e-3 * _noise(K), _noise(3, 2)], 1)
    s = disentanglement_scores(code, factors)
    assert s["disentanglement"] > 0.97 and s["completeness"] > 0.97
    assert s["informativeness"] > 0.99
    assert s["mig"] > 0.85


def test_rotation_keeps_information_but_loses_alignment(factors):
    q, _ = np.linalg.qr(np.random.default_rng(3).normal(size=(K, K)))
    s = disentanglement_scores(factors @ q, factors)
    perfect = disentanglement_scores(factors, factors)
    assert s["informativeness"] > 0.99                      # still a linear code
    assert s["disentanglement"] < perfect["disentanglement"] - 0.4
    assert s["completeness"] < perfect["completeness"] - 0.3
    assert s["mig"] < 0.3


def test_unrelated_code_scores_zero(factors):
    s = disentanglement_scores(_noise(6, 4), factors)
    assert abs(s["informativeness"]) < 0.02
    assert s["disentanglement"] == 0.0 and s["completeness"] == 0.0   # no importance at all
    assert s["mig"] < 0.02


def test_nonlinear_code_is_less_informative(factors):
    """The factors are all in the code, but not linearly: informativeness drops."""
    s = disentanglement_scores(np.concatenate([np.sin(6 * factors), np.cos(6 * factors)], 1), factors)
    assert 0.2 < s["informativeness"] < 0.9


def test_constructed_codes_score_as_documented():
    f, codes = constructed_codes(num=1500, num_factors=3, seed=2)
    s = {name: disentanglement_scores(c, f) for name, c in codes.items()}
    assert s["disentangled"]["disentanglement"] > 0.95 and s["disentangled"]["mig"] > 0.8
    assert s["rotated"]["informativeness"] > 0.99 and s["rotated"]["mig"] < 0.3
    assert s["nonlinear"]["informativeness"] < 0.9
    assert s["unrelated"]["informativeness"] < 0.02 and s["unrelated"]["disentanglement"] == 0.0


def test_dci_by_hand():
    """Two code dimensions, two factors: R = [[1, 0], [1, 1]]. Row 0 is about factor 0 only
    (D_0 = 1); row 1 splits evenly (D_1 = 0); weights ρ = (1/3, 2/3) → D = 1/3. Factor 0 is spread
    over both rows (C_0 = 0), factor 1 sits in row 1 (C_1 = 1) → C = 1/2."""
    s = dci_scores(np.array([[1.0, 0.0], [1.0, 1.0]]), np.array([0.5, 1.0]))
    assert s["disentanglement"] == pytest.approx(1 / 3)
    assert s["completeness"] == pytest.approx(0.5)
    assert s["informativeness"] == pytest.approx(0.75)


def test_mig_by_hand():
    """A factor copied into one dimension and half-copied (coarser) into another: the gap is
    I(v; c0) − I(v; c1) over H(v) = (ln 4 − ln 2) / ln 4 = 1/2, with 4 equiprobable values."""
    v = np.repeat(np.arange(4), 500)[:, None].astype(float)
    code = np.concatenate([v, (v // 2) * 3.0], 1)
    s = mutual_information_gap(code, v, bins=4)
    assert s["mig"] == pytest.approx(0.5, abs=1e-9)


def test_bad_inputs_are_refused(factors):
    with pytest.raises(ValueError, match="same N"):
        disentanglement_scores(factors[:10], factors)
    with pytest.raises(ValueError, match="too few"):
        disentanglement_scores(factors[:20], factors[:20])


def test_factors_to_unit_maps_ranges():
    from stylegan_lib.data import FACTOR_RANGES, FACTORS

    lo = {k: r[0] for k, r in FACTOR_RANGES.items()}
    hi = {k: r[1] for k, r in FACTOR_RANGES.items()}
    u = factors_to_unit({k: np.array([lo[k], hi[k]]) for k in FACTORS})
    assert u.shape == (2, len(FACTORS)) and np.allclose(u[0], 0) and np.allclose(u[1], 1)


def test_select_factors_warns():
    with pytest.warns(RuntimeWarning, match="hair_hue"):
        keep, dropped = select_factors({"yaw": 0.9, "hair_hue": 0.2})
    assert keep == ["yaw"] and dropped == ["hair_hue"]


def test_tiny_reader_round_trip_and_generator_scores(tmp_path):
    """Train a reader on a handful of faces, reload it, and score a tiny generator with it. The
    numbers of such a reader mean nothing; the plumbing (format, provenance, spaces) is tested."""
    from stylegan_lib.generator import Generator
    from stylegan_lib.config import get_config

    path = tmp_path / "reader.pt"
    prov = train_factor_reader(path, num_train=64, num_test=32, epochs=1, batch_size=32, progress=False)
    assert set(prov["heldout_r2"]) == set(reader_r2(path))
    assert json.loads(path.with_suffix(".json").read_text())["command"]
    reader = load_factor_reader(path)
    assert torch.load(path, weights_only=True)["format"] == READER_FORMAT
    torch.manual_seed(0)
    G = Generator(get_config("tiny-16")).eval().requires_grad_(False)
    r2 = {k: 1.0 for k in reader.attributes}          # pretend every factor is readable
    out = ground_truth(G, num_samples=64, reader=reader, r2=r2, batch_size=32, progress=False)
    for space in ("z", "w"):
        assert set(out[space]["r2"]) == set(reader.attributes)
        assert 0.0 <= out[space]["disentanglement"] <= 1.0
    assert out["value"] == pytest.approx(out["w"]["informativeness"] - out["z"]["informativeness"])


def test_missing_or_foreign_reader_file_is_explained(tmp_path):
    from stylegan_lib.metrics.classifier import SHIPPED_WEIGHTS

    with pytest.raises(FileNotFoundError, match="--train-factor-reader"):
        load_factor_reader(tmp_path / "absent.pt")
    with pytest.raises(ValueError, match="faces-factor-reader"):
        load_factor_reader(SHIPPED_WEIGHTS)          # the classifier is not a reader
