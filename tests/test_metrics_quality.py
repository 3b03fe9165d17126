"""The model-quality numbers of shipped models: noise visibility and the FD ratio."""
import numpy as np
import pytest
import torch

from conftest import textured_generator
from stylegan_lib.metrics.quality import fd_ratio, noise_visibility


def test_noise_visibility_is_zero_without_noise_and_grows_with_its_strength():
    G = textured_generator()
    for name, p in G.synthesis.named_parameters():
        if name.endswith("noise.weight"):
            p.zero_()
    assert noise_visibility(G, num_latents=4, num_draws=4)["noise_std_p95"] < 1e-5
    stats = []
    for strength in (0.2, 1.0):
        for name, p in G.synthesis.named_parameters():
            if name.endswith("noise.weight"):
                p.fill_(strength)
        stats.append(noise_visibility(G, num_latents=4, num_draws=4))
    assert 0 < stats[0]["noise_std_mean"] < stats[1]["noise_std_mean"]
    assert stats[1]["noise_std_p95"] >= stats[1]["noise_std_mean"]
    with pytest.raises(ValueError, match="at least 2"):
        noise_visibility(G, num_draws=1)


def test_fd_ratio_uses_disjoint_real_sets():
    G = textured_generator()
    out = fd_ratio(G, num=40, progress=False)
    assert out["fd_real_real"] > 0                      # two different sets of 40 real faces
    assert out["fd_ratio"] == pytest.approx(out["fd"] / out["fd_real_real"])
    assert out["fd_ratio"] > 1                           # an untrained G is far from the data


def test_generated_features_depend_on_the_seed_only():
    """Latents and noise inputs come from the metric's own seeded generator: torch's global random
    numbers, used by anything else in between, change nothing (chapter 9's figures are stable)."""
    from stylegan_lib.metrics.classifier import FacesClassifier
    from stylegan_lib.metrics.detectors import ClassifierDetector
    from stylegan_lib.metrics.evaluate import generated_features

    G = textured_generator()
    torch.manual_seed(0)
    det = ClassifierDetector(classifier=FacesClassifier(("a", "b")))
    runs = []
    for global_seed in (1, 2):
        torch.manual_seed(global_seed)
        (stats,) = generated_features(G, [det], 12, batch_size=5, seed=7, progress=False)
        runs.append(stats.features)
    assert np.array_equal(runs[0], runs[1])
    (other,) = generated_features(G, [det], 12, batch_size=5, seed=8, progress=False)
    assert not np.array_equal(runs[0], other.features)

