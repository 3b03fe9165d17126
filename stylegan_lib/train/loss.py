r"""The losses of StyleGAN training (paper §C; Mescheder et al. 2018 for R1; Gulrajani et al. 2017
for WGAN-GP), each written as a function of discriminator logits so it can be tested by hand.

Notation: :math:`D(x)` is the discriminator's logit, :math:`G(z)` a generated image,
:math:`\operatorname{softplus}(t) = \log(1 + e^t)`, so that
:math:`-\log \sigma(t) = \operatorname{softplus}(-t)` and :math:`-\log(1-\sigma(t)) = \operatorname{softplus}(t)`.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

LOSSES = ("logistic", "wgan-gp")


def g_nonsaturating(fake_logits: torch.Tensor) -> torch.Tensor:
    r"""The non-saturating generator loss (Goodfellow et al. 2014), the paper's choice:

    .. math::  L_G = \mathbb E_z\big[-\log \sigma(D(G(z)))\big] = \mathbb E_z\big[\operatorname{softplus}(-D(G(z)))\big]
    """
    return F.softplus(-fake_logits).mean()


def d_logistic(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    r"""The logistic discriminator loss (real → 1, fake → 0):

    .. math::  L_D = \mathbb E_z\big[\operatorname{softplus}(D(G(z)))\big] + \mathbb E_x\big[\operatorname{softplus}(-D(x))\big]
    """
    return F.softplus(fake_logits).mean() + F.softplus(-real_logits).mean()


def gradient_norm_sq(outputs: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
    r""":math:`\lVert\nabla_x D(x)\rVert^2` per sample, kept differentiable (create_graph) so that
    a penalty on it can be minimised. ``inputs`` must have ``requires_grad=True``."""
    (grad,) = torch.autograd.grad(outputs=outputs.sum(), inputs=inputs, create_graph=True,
                                  only_inputs=True)
    return grad.square().flatten(1).sum(1)


def r1_penalty(real_logits: torch.Tensor, reals: torch.Tensor, gamma: float) -> torch.Tensor:
    r"""The R1 regulariser on real images (Mescheder et al. 2018), γ = 10 in the paper:

    .. math::  R_1 = \frac{\gamma}{2}\,\mathbb E_x\big[\lVert\nabla_x D(x)\rVert^2\big]
    """
    return gradient_norm_sq(real_logits, reals).mean() * (gamma / 2)


def g_wgan(fake_logits: torch.Tensor) -> torch.Tensor:
    r"""WGAN generator loss: :math:`L_G = -\mathbb E_z[D(G(z))]`."""
    return -fake_logits.mean()


def d_wgan_gp(D, reals: torch.Tensor, fakes: torch.Tensor, real_logits: torch.Tensor,
              fake_logits: torch.Tensor, lam: float = 10.0, drift: float = 0.001,
              target: float = 1.0, generator: torch.Generator | None = None, **d_kwargs) -> dict:
    r"""WGAN-GP with the drift term of Progressive GAN (used by the paper for CelebA-HQ):

    .. math::  L_D = \mathbb E[D(G(z))] - \mathbb E[D(x)]
               + \lambda\,\mathbb E_{\hat x}\Big[\big(\lVert\nabla_{\hat x} D(\hat x)\rVert - t\big)^2 / t^2\Big]
               + \epsilon_\text{drift}\,\mathbb E[D(x)^2]

    with :math:`\hat x = x + u\,(G(z) - x)`, :math:`u \sim U(0,1)` per sample; λ = 10, t = 1,
    ε = 0.001. Returns the parts and their sum (``"loss"``).
    """
    u = torch.rand(reals.shape[0], 1, 1, 1, device=reals.device, dtype=reals.dtype, generator=generator)
    mixed = (reals.detach() + u * (fakes.detach() - reals.detach())).requires_grad_(True)
    grad_norm = gradient_norm_sq(D(mixed, **d_kwargs), mixed).add(1e-12).sqrt()
    wdist = fake_logits.mean() - real_logits.mean()
    gp = ((grad_norm - target).square() / target**2).mean() * lam
    drift_term = real_logits.square().mean() * drift
    return {"wdist": wdist, "gp": gp, "drift": drift_term, "loss": wdist + gp + drift_term}


__all__ = ["LOSSES", "g_nonsaturating", "d_logistic", "r1_penalty", "gradient_norm_sq", "g_wgan",
           "d_wgan_gp"]
