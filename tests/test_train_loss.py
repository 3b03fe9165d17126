"""Losses against hand-computed values; R1 is the squared gradient norm."""
import math

import pytest
import torch

from stylegan_lib.train.loss import (d_logistic, d_wgan_gp, g_nonsaturating, g_wgan,
                                     gradient_norm_sq, r1_penalty)


def test_g_nonsaturating_by_hand():
    logits = torch.tensor([[0.0], [math.log(3.0)]])
    # -log σ(0) = log 2 ; -log σ(log 3) = -log(3/4) = log(4/3)
    expected = (math.log(2.0) + math.log(4.0 / 3.0)) / 2
    assert g_nonsaturating(logits).item() == pytest.approx(expected, rel=1e-6)


def test_d_logistic_by_hand():
    real = torch.tensor([[math.log(3.0)]])   # -log σ(log 3) = log(4/3)
    fake = torch.tensor([[0.0], [-math.log(3.0)]])  # -log(1-σ(0)) = log 2 ; -log(1-σ(-log 3)) = log(4/3)
    expected = math.log(4.0 / 3.0) + (math.log(2.0) + math.log(4.0 / 3.0)) / 2
    assert d_logistic(real, fake).item() == pytest.approx(expected, rel=1e-6)


def test_losses_are_differentiable_and_saturate_the_right_way():
    x = torch.tensor([[-20.0]], requires_grad=True)
    g_nonsaturating(x).backward()
    assert x.grad.abs().item() == pytest.approx(1.0, rel=1e-6)  # non-saturating: strong gradient when D wins


class Quadratic(torch.nn.Module):
    """D(x) = Σ a·x + Σ x²: ∇D = a + 2x, known in closed form."""

    def __init__(self, a):
        super().__init__()
        self.a = a

    def forward(self, x, **_):
        return ((self.a * x).flatten(1).sum(1) + x.square().flatten(1).sum(1))[:, None]


def test_r1_equals_squared_gradient_norm():
    torch.manual_seed(0)
    a = torch.randn(1, 3, 4, 4)
    x = torch.randn(5, 3, 4, 4, requires_grad=True)
    D = Quadratic(a)
    expected_per_sample = (a + 2 * x.detach()).square().flatten(1).sum(1)
    assert torch.allclose(gradient_norm_sq(D(x), x), expected_per_sample, rtol=1e-5)
    gamma = 10.0
    r1 = r1_penalty(D(x), x, gamma)
    assert r1.item() == pytest.approx(gamma / 2 * expected_per_sample.mean().item(), rel=1e-5)
    # It is differentiable (create_graph): d R1 / d x = γ/2 · mean over the batch of 4 (a + 2x).
    (g,) = torch.autograd.grad(r1, x)
    assert torch.allclose(g, gamma / 2 * 4 * (a + 2 * x.detach()) / 5, rtol=1e-4)


def test_wgan_gp_by_hand():
    a = torch.full((1, 1, 2, 2), 0.25)  # linear critic: ‖∇D‖ = ‖a‖ = 0.5 everywhere
    D = lambda x, **_: (a * x).flatten(1).sum(1, keepdim=True)  # noqa: E731
    reals, fakes = torch.ones(4, 1, 2, 2), -torch.ones(4, 1, 2, 2)
    rl, fl = D(reals), D(fakes)  # 1.0 and -1.0
    parts = d_wgan_gp(D, reals, fakes, rl, fl, lam=10.0, drift=0.001)
    assert parts["wdist"].item() == pytest.approx(-2.0)
    assert parts["gp"].item() == pytest.approx(10.0 * (0.5 - 1.0) ** 2, rel=1e-5)
    assert parts["drift"].item() == pytest.approx(0.001)
    assert parts["loss"].item() == pytest.approx(-2.0 + 2.5 + 0.001, rel=1e-5)
    assert g_wgan(fl).item() == pytest.approx(1.0)
