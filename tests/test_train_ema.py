"""The EMA of G: β = 0.5^(B/h) and θ_ema ← θ + β (θ_ema − θ)."""
import pytest
import torch

from stylegan_lib.train.ema import ema_beta, make_ema, update_ema


def test_ema_beta_half_life():
    assert ema_beta(32, 10_000) == pytest.approx(0.5 ** (32 / 10_000))
    # after h/B steps the old average has weight 1/2, whatever the batch
    for B in (8, 32, 100):
        assert ema_beta(B, 10_000) ** (10_000 / B) == pytest.approx(0.5)
    # rampup caps the half-life at rampup · images shown
    assert ema_beta(32, 10_000, cur_nimg=1000, rampup=0.05) == pytest.approx(0.5 ** (32 / 50))
    assert ema_beta(32, 10_000, cur_nimg=10**7, rampup=0.05) == pytest.approx(0.5 ** (32 / 10_000))
    with pytest.raises(ValueError):
        ema_beta(0, 10_000)


def test_update_ema_formula_and_buffers():
    torch.manual_seed(0)
    G = torch.nn.BatchNorm1d(3)  # has parameters and buffers
    G_ema = make_ema(G)
    assert not any(p.requires_grad for p in G_ema.parameters())
    with torch.no_grad():
        G.weight.copy_(torch.tensor([1.0, 2.0, 3.0]))
        G_ema.weight.copy_(torch.tensor([0.0, 0.0, 0.0]))
        G.running_mean.fill_(7.0)
    update_ema(G_ema, G, beta=0.75)
    # θ + β(θ_ema − θ) = θ (1 − β) here
    assert torch.allclose(G_ema.weight, torch.tensor([0.25, 0.5, 0.75]))
    assert torch.equal(G_ema.running_mean, G.running_mean)
    update_ema(G_ema, G, beta=0.0)
    assert torch.equal(G_ema.weight, G.weight)
    with pytest.raises(ValueError):
        update_ema(G_ema, G, beta=1.5)
