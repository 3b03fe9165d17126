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
    d = s["disentangled"]
    assert d["disentanglement"] > 0.95 and d["completeness"] > 0.95 and d["informativeness"] > 0.99 and d["mig"] > 0.8
    r = s["rotated"]
    assert r["informativeness"] > 0.99 and r["disentanglement"] < 0.4 and r["completeness"] < 0.4 and r["mig"] < 0.3
    n = s["nonlinear"]
    assert 0.2 < n["informativeness"] < 0.9 and n["disentanglement"] > 0.4 and n["mig"] < 0.1
    u = s["unrelated"]
    assert abs(u["informativeness"]) < 0.02 and u["disentanglement"] == u["completeness"] == 0.0 and u["mig"] < 0.02


def test_weak_information_does_not_look_disentangled():
    """A rotated code keeps its low disentanglement whether it carries the factors well or
    barely (a sparse fit tuned by cross-validation would make the weak one look aligned)."""
    rng = np.random.default_rng(5)
    f = rng.uniform(size=(N, 6))
    q, _ = np.linalg.qr(rng.normal(size=(32, 32)))
    base = np.concatenate([f - 0.5, np.zeros((N, 26))], 1) @ q
    strong = disentanglement_scores(base + 0.03 * rng.normal(size=base.shape), f)
    weak = disentanglement_scores(base + 0.6 * rng.normal(size=base.shape), f)
    assert strong["informativeness"] > 0.9 and 0.05 < weak["informativeness"] < 0.6
    assert weak["disentanglement"] < strong["disentanglement"] + 0.1


def test_dci_by_hand():
    """Three code dimensions, two factors: R = [[1, 0], [1, 1], [0, 0]]. Row 0 is about factor 0
    only (D_0 = 1), row 1 splits evenly (D_1 = 1 − log_2 2 = 0), row 2 counts for nothing
    (ρ_2 = 0); ρ = (1/3, 2/3) → D = 1/3. Factor 0 is spread evenly over two of three rows
    (C_0 = 1 − log_3 2), factor 1 sits in row 1 (C_1 = 1)."""
    s = dci_scores(np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]]), np.array([0.5, 1.0]))
    assert s["disentanglement"] == pytest.approx(1 / 3)
    assert s["completeness"] == pytest.approx((1 - np.log(2) / np.log(3) + 1) / 2)
    assert s["informativeness"] == pytest.approx(0.75)


def test_mig_by_hand():
    """Factor a copied into dimension 0 and half-copied (coarser) into dimension 1: its gap is
    (ln 4 − ln 2) / ln 4 = 1/2 with 4 equiprobable values. Factor b sits in dimension 2 alone
    (gap 1). MIG = 3/4."""
    a = np.repeat(np.arange(4), 500).astype(float)
    b = np.tile(np.arange(4), 500).astype(float)
    code = np.stack([a, (a // 2) * 3.0, b], 1)
    s = mutual_information_gap(code, np.stack([a, b], 1), bins=4)
    assert s["mig_per_factor"] == pytest.approx([0.5, 1.0], abs=1e-9)
    assert s["mig"] == pytest.approx(0.75, abs=1e-9)


def test_bad_inputs_are_refused(factors):
    with pytest.raises(ValueError, match="same N"):
        disentanglement_scores(factors[:10], factors)
    with pytest.raises(ValueError, match="too few"):
        disentanglement_scores(factors[:20], factors[:20])
    constant = np.concatenate([factors, np.ones((N, 1))], 1)     # a constant factor has nothing to predict
    with pytest.raises(ValueError, match="constant"):
        disentanglement_scores(_noise(6), constant)


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


class _ReaderOfTwo(torch.nn.Module):
    """Reads 'yaw' as the mean red value of the image (in [-1, 1]) and 'smile' as random
    numbers in [5, 6]."""
    attributes = ("yaw", "smile")

    def forward(self, images):
        return torch.stack([images[:, 0].mean((1, 2)), 5 + torch.rand(len(images))], 1)


def test_ground_truth_leaves_out_unreadable_factors_and_keeps_columns():
    from stylegan_lib.config import get_config
    from stylegan_lib.generator import Generator

    torch.manual_seed(0)
    G = Generator(get_config("tiny-16")).eval().requires_grad_(False)
    with pytest.warns(RuntimeWarning, match="smile"):
        out = ground_truth(G, num_samples=200, reader=_ReaderOfTwo(), r2={"yaw": 0.9, "smile": 0.1},
                           batch_size=100, progress=False, return_data=True)
    assert out["factors"] == ["yaw"] and out["dropped_factors"] == ["smile"]
    assert out["data"]["factors"].shape == (200, 1)
    # the kept column is the reader's first output (the mean red value), not its second
    assert np.abs(out["data"]["factors"][:, 0]).max() <= 1.0
    assert set(out["z"]["r2"]) == {"yaw"} and out["reader"] == "in-memory"
    with pytest.raises(ValueError, match="no held-out R²"):
        ground_truth(G, num_samples=64, reader=_ReaderOfTwo(), r2={"yaw": 0.9}, progress=False)


def test_tiny_reader_round_trip_and_generator_scores(tmp_path):
    """Train a reader on a handful of faces, reload it by path, and score a tiny generator with
    it. The numbers of such a reader mean nothing; the plumbing (format, provenance, spaces) is
    tested."""
    from stylegan_lib.config import get_config
    from stylegan_lib.generator import Generator

    path = tmp_path / "reader.pt"
    prov = train_factor_reader(path, num_train=65, num_test=32, epochs=1, batch_size=32, progress=False)
    assert set(prov["heldout_r2"]) == set(reader_r2(path))
    assert json.loads(path.with_suffix(".json").read_text())["command"]
    reader = load_factor_reader(path)
    assert torch.load(path, weights_only=True)["format"] == READER_FORMAT
    torch.manual_seed(0)
    G = Generator(get_config("tiny-16")).eval().requires_grad_(False)
    r2 = {k: 1.0 for k in reader.attributes}          # pretend every factor is readable
    out = ground_truth(G, num_samples=64, reader=str(path), r2=r2, batch_size=32, progress=False)
    assert out["reader"].startswith("factor-reader:")
    for space in ("z", "w"):
        assert set(out[space]["r2"]) == set(reader.attributes)
        assert 0.0 <= out[space]["disentanglement"] <= 1.0
    assert out["value"] == pytest.approx(out["w"]["informativeness"] - out["z"]["informativeness"])
    with pytest.raises(ValueError, match="fewer than one batch"):
        train_factor_reader(None, num_train=8, num_test=8, epochs=1, batch_size=32, progress=False)


def test_missing_or_foreign_reader_file_is_explained(tmp_path):
    from stylegan_lib.metrics.classifier import SHIPPED_WEIGHTS

    with pytest.raises(FileNotFoundError, match="--train-factor-reader"):
        load_factor_reader(tmp_path / "absent.pt")
    with pytest.raises(ValueError, match="faces-factor-reader"):
        load_factor_reader(SHIPPED_WEIGHTS)          # the classifier is not a reader


def test_scores_per_resolution_of_the_images():
    """LS and the ground truth of a 16² model use the detectors' scores on 16² faces; a
    resolution never measured is refused with the command that measures it."""
    from stylegan_lib.metrics.classifier import attribute_accuracy

    acc16, acc32 = attribute_accuracy(resolution=16), attribute_accuracy()
    assert acc16["smiling"] < 0.9 <= acc32["smiling"]              # mouths are 1–2 pixels at 16²
    assert reader_r2(resolution=16)["smile"] < 0.5 <= reader_r2()["smile"]
    assert attribute_accuracy(resolution=32) == acc32
    for f in (attribute_accuracy, reader_r2):
        with pytest.raises(ValueError, match="--measure-detectors-at 128"):
            f(resolution=128)
