"""Perceptual path length against closed forms for a generator linear in its latent."""
import math

import numpy as np
import pytest
import scipy.integrate
import torch
from torch import nn

from stylegan_lib import Generator
from stylegan_lib.latent import latent_generator, slerp
from stylegan_lib.metrics.ppl import (box_downsample, crop_face, path_endpoints, percentile_mean,
                                      perceptual_path_length)


class NoiselessSynthesis(nn.Module):
    """A stand-in synthesis network without layers, so without noise inputs."""

    def make_noise_inputs(self, batch=1, seed=None, generator=None, layers=None):
        return []


class LinearG(nn.Module):
    """img = A · w reshaped to [3, R, R]; mapping is the identity (no normalisation), so in W the
    path length with squared L2 is ‖A(w1 − w0)‖² exactly."""

    device = torch.device("cpu")

    def __init__(self, dim=8, res=4, seed=0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.z_dim = self.w_dim = dim
        self.num_ws, self.img_resolution = 1, res
        self.A = nn.Parameter(torch.randn(3 * res * res, dim, generator=g, dtype=torch.float64) / math.sqrt(dim),
                              requires_grad=False)
        outer = self

        class Mapping(nn.Module):
            def forward(self, z, c=None):
                return z[:, None, :].double()

        class Synthesis(NoiselessSynthesis):
            def forward(self, ws, noise_mode="random", noise=None):
                return (ws[:, 0] @ outer.A.T).reshape(-1, 3, res, res)

        self.mapping, self.synthesis = Mapping(), Synthesis()


def sq_l2(a, b):
    return (a - b).square().flatten(1).sum(1)


def expected_theta_squared(n):
    """E[θ²] for the angle θ between two random directions in R^n: density ∝ sin^(n−2) θ."""
    num = scipy.integrate.quad(lambda t: t * t * np.sin(t) ** (n - 2), 0, np.pi)[0]
    den = scipy.integrate.quad(lambda t: np.sin(t) ** (n - 2), 0, np.pi)[0]
    return num / den


@pytest.mark.parametrize("sampling", ["full", "end"])
def test_w_lerp_closed_form(sampling):
    # E‖A(w1 − w0)‖² = 2‖A‖_F² for w ~ N(0, I), whatever t.
    G = LinearG(dim=8)
    res = perceptual_path_length(G, sq_l2, num_samples=4000, space="w", sampling=sampling, crop=False,
                                 batch_size=500, percentile_filter=False, progress=False, epsilon=1e-4)
    expected = 2 * float(G.A.square().sum())
    assert res.value == pytest.approx(expected, rel=0.05)
    assert res.distances.shape == (4000,) and res.name == f"ppl_w{sampling}"


def test_w_lerp_exact_per_sample():
    # Per sample: d/ε² = ‖A(w1 − w0)‖², recomputed from the same seed.
    G = LinearG(dim=5, seed=3)
    res = perceptual_path_length(G, sq_l2, num_samples=16, space="w", sampling="full", crop=False,
                                 batch_size=16, percentile_filter=False, progress=False, seed=7)
    z = torch.randn(32, 5, generator=latent_generator(7)).double()
    expected = ((z[16:] - z[:16]) @ G.A.T).square().sum(1).numpy()
    # float32 latents: the ε-step is resolved to ~1e-3 relative (as in the official float32 code)
    np.testing.assert_allclose(res.distances, expected, rtol=2e-3)


@pytest.mark.parametrize("sampling", ["full", "end"])
def test_z_slerp_closed_form(sampling):
    # Along a great circle the tangent has length θ; with a uniformly random tangent direction,
    # E[d/ε²] = E[θ²] · ‖A‖_F² / n.
    n = 8
    G = LinearG(dim=n, seed=1)
    res = perceptual_path_length(G, sq_l2, num_samples=6000, space="z", sampling=sampling, crop=False,
                                 batch_size=1000, percentile_filter=False, progress=False)
    expected = expected_theta_squared(n) * float(G.A.square().sum()) / n
    assert res.value == pytest.approx(expected, rel=0.05)


def test_z_and_w_differ_for_the_same_linear_g():
    G = LinearG(dim=8)
    kw = dict(num_samples=500, crop=False, batch_size=500, progress=False)
    assert perceptual_path_length(G, sq_l2, space="z", **kw).value < \
        perceptual_path_length(G, sq_l2, space="w", **kw).value


def test_slerp_keeps_norms_and_hits_endpoints():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(10, 16, generator=g), torch.randn(10, 16, generator=g)
    for t in (0.0, 0.3, 0.77, 1.0):
        out = slerp(a, b, torch.full((10,), t))
        np.testing.assert_allclose(out.norm(dim=1).numpy(), 1.0, atol=1e-5)
    torch.testing.assert_close(slerp(a, b, torch.zeros(10)), a / a.norm(dim=1, keepdim=True), atol=1e-5, rtol=0)
    torch.testing.assert_close(slerp(a, b, torch.ones(10)), b / b.norm(dim=1, keepdim=True), atol=1e-5, rtol=0)


@pytest.mark.parametrize("space", ["z", "w"])
def test_endpoints_share_noise(textured_G, space):
    # The two images of a pair get the same noise, so d is O(ε²) and d/ε² hardly depends on ε.
    # Independent noise for the two ends would add an O(1) image difference: d/ε² ~ 1/ε², i.e.
    # 100× larger at ε = 1e-4 than at ε = 1e-3.
    G = textured_G
    strengths = [e.noise.weight for e in G.synthesis.epilogues() if e.noise is not None]
    assert strengths and all(s.abs().min() > 0 for s in strengths), "the test needs non-zero noise strengths"
    kw = dict(num_samples=12, space=space, sampling="full", crop=True, batch_size=12, percentile_filter=False,
              progress=False, seed=5)
    small = perceptual_path_length(G, sq_l2, epsilon=1e-4, **kw).distances
    large = perceptual_path_length(G, sq_l2, epsilon=1e-3, **kw).distances
    assert np.all(small > 0)
    np.testing.assert_allclose(small, large, rtol=0.2)
    with torch.no_grad():
        z = torch.randn(4, G.z_dim)
        a, b = path_endpoints(G, z, torch.randn(4, G.z_dim), torch.zeros(4), "z", 1e-4)
    assert a.shape == (4, G.num_ws, G.w_dim) and (a - b).abs().max() > 0


class ShapeG(nn.Module):
    """A stand-in generator of any resolution that costs nothing: each image is a constant grey
    whose level is the first latent coordinate (so the two images of a pair differ a little)."""

    device = torch.device("cpu")

    def __init__(self, res, dim=4):
        super().__init__()
        self.z_dim = self.w_dim = dim
        self.num_ws, self.img_resolution = 1, res

        class Mapping(nn.Module):
            def forward(self, z, c=None):
                return z[:, None, :]

        class Synthesis(NoiselessSynthesis):
            def forward(self, ws, noise_mode="random", noise=None):
                return ws[:, 0, :1, None, None].expand(-1, 3, res, res)

        self.mapping, self.synthesis = Mapping(), Synthesis()


class RecordingDistance:
    """Squared L2 that remembers the shapes of the images it is handed."""

    def __init__(self):
        self.shapes = []

    def __call__(self, a, b):
        self.shapes.append(tuple(a.shape))
        return sq_l2(a, b)


@pytest.mark.parametrize("res, crop, expected", [
    (256, True, 128),    # crop 128², small enough already
    (512, True, 256),    # crop 256², kept (shrinking by 512 // 256 would give 128²)
    (1024, True, 256),   # crop 512², shrunk by 512 // 256 = 2 (not by 1024 // 256 = 4)
    (256, False, 256),
    (512, False, 256),
    (1024, False, 256),
])
def test_distance_sees_the_official_image_size(res, crop, expected):
    # Official procedure: crop the face, then box-downsample *the crop* to 256² if it is larger.
    dist = RecordingDistance()
    perceptual_path_length(ShapeG(res), dist, num_samples=2, crop=crop, batch_size=2, progress=False)
    assert dist.shapes == [(2, 3, expected, expected)]


def test_box_downsample_averages_blocks_of_the_crop():
    img = torch.rand(1, 3, 1024, 1024)
    face = crop_face(img)
    assert face.shape == (1, 3, 512, 512)
    small = box_downsample(face)
    assert small.shape == (1, 3, 256, 256)
    torch.testing.assert_close(small[0, 1, 5, 7], face[0, 1, 10:12, 14:16].mean())
    assert box_downsample(face[:, :, :256, :256]).shape == (1, 3, 256, 256)
    with pytest.raises(ValueError, match="multiple"):
        box_downsample(torch.zeros(1, 3, 513, 513))


def test_crop_downsample_and_filter():
    img = torch.arange(32 * 32, dtype=torch.float32).reshape(1, 1, 32, 32).repeat(1, 3, 1, 1)
    c = crop_face(img)
    assert c.shape == (1, 3, 16, 16) and c[0, 0, 0, 0] == 12 * 32 + 8
    big = torch.rand(2, 3, 1024, 1024)
    assert box_downsample(big).shape == (2, 3, 256, 256)
    assert box_downsample(big[:, :, :64, :64]).shape == (2, 3, 64, 64)
    torch.testing.assert_close(box_downsample(big)[0, 0, 0, 0], big[0, 0, :4, :4].mean())
    vals = np.concatenate([np.ones(996), [1e6, 1e6, -1e6, -1e6]])
    mean, lo, hi, kept = percentile_mean(vals)
    assert mean == 1.0 and kept == 996 and lo == hi == 1.0


# The filter's cut-offs by hand for the values i² (i = 0 … 999), whose percentiles all differ:
# 1st percentile, 'lower': position 0.01 · 999 = 9.99 → index 9 → 81;
# 99th percentile, 'higher': position 0.99 · 999 = 989.01 → index 990 → 990²;
# kept: i = 9 … 990 (982 values). (5/95 would keep i = 49 … 950; linear interpolation would
# cut at 9.99² and 989.01² and keep i = 10 … 989.)
SQUARES = np.arange(1000, dtype=np.float64) ** 2
KEPT_MEAN = float(np.mean(np.arange(9, 991, dtype=np.float64) ** 2))


def test_percentile_filter_cut_offs_by_hand():
    mean, lo, hi, kept = percentile_mean(np.random.default_rng(0).permutation(SQUARES))
    assert (lo, hi, kept) == (81.0, 990.0**2, 982)
    assert mean == pytest.approx(KEPT_MEAN, rel=1e-12)


def test_path_length_applies_the_1_99_filter():
    # A distance that returns i² · ε² in a shuffled order: the path length must be KEPT_MEAN.
    eps = 1e-4
    values = torch.from_numpy(np.random.default_rng(1).permutation(SQUARES))

    def dist(a, b):
        return values[:a.shape[0]] * eps**2

    res = perceptual_path_length(LinearG(), dist, num_samples=1000, batch_size=1000, crop=False,
                                 progress=False, epsilon=eps)
    assert (res.lo, res.hi, res.kept) == (pytest.approx(81.0), pytest.approx(990.0**2), 982)
    assert res.value == pytest.approx(KEPT_MEAN, rel=1e-9)
    assert res.mean_unfiltered == pytest.approx(SQUARES.mean(), rel=1e-9)


def test_bad_arguments():
    G = LinearG()
    with pytest.raises(ValueError, match="space"):
        perceptual_path_length(G, sq_l2, num_samples=2, space="x", progress=False)
    with pytest.raises(ValueError, match="sampling"):
        perceptual_path_length(G, sq_l2, num_samples=2, sampling="middle", progress=False)
