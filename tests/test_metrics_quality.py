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


class ImagesAsGenerator:
    """Quacks like G for broken_fraction: hands out the given images in order."""

    def __init__(self, images):
        self.images, self.pos = images, 0
        self.z_dim, self.img_resolution, self.device = 8, images.shape[-1], torch.device("cpu")

    def __call__(self, z, noise_mode="const"):
        out = self.images[self.pos:self.pos + len(z)]
        self.pos += len(z)
        return out


def real_faces(num, seed):
    from stylegan_lib.data import SyntheticFaces
    from stylegan_lib.images import to_float

    return to_float(SyntheticFaces(num, 32, seed=seed).images(np.arange(num)))


def test_redraw_test_passes_real_faces_and_fails_broken_ones():
    from stylegan_lib.metrics.quality import broken_fraction

    faces = real_faces(300, seed=77)
    real = broken_fraction(ImagesAsGenerator(faces), num=300)
    assert real["broken_fraction"] <= 0.05               # unseen real faces: ~1 % by construction
    assert 0 < real["broken_threshold"] and len(real["first64_redraw_distance"]) == 64
    # The failures of chapter 8's grids: a mosaic band across the eyes, a face hidden under a blob.
    band, blob = faces.clone(), faces.clone()
    g = torch.Generator().manual_seed(0)
    band[:, :, 12:19, 6:26] = torch.rand(300, 3, 7, 20, generator=g) * 2 - 1
    blob[:, :, 8:26, 8:24] = faces[:, :, :1, :1] * 0 + 0.9
    for broken in (band, blob):
        assert broken_fraction(ImagesAsGenerator(broken), num=300)["broken_fraction"] >= 0.8


def test_redraw_test_needs_synthetic_faces(tmp_path):
    from stylegan_lib.metrics.quality import broken_fraction

    out = broken_fraction(ImagesAsGenerator(real_faces(4, 1)), num=4, data=str(tmp_path / "photos.zip"))
    assert out["broken_fraction"] is None and "synthetic faces" in out["broken_not_applicable"]
