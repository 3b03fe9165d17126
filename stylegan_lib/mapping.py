"""The mapping network f: Z → W, the running average w̄ and the truncation trick."""
from __future__ import annotations

import torch
from torch import nn

from .config import ModelConfig
from .layers import SQRT2, EqualizedLinear, lerp, pixel_norm


class MappingNetwork(nn.Module):
    r"""f: Z → W, Figure 1b (left): normalise z, then ``mapping_layers`` fully connected layers
    with leaky ReLU, each at 0.01× the learning rate.

    The output is broadcast to ``num_ws`` copies, one per style input of the synthesis network,
    so style mixing and truncation can treat them separately.

    With ``mapping_layers = 0`` (Table 4's "…-0" rows) w is just the normalised z.
    """

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.z_dim, self.w_dim, self.num_ws = config.z_dim, config.w_dim, config.num_ws
        self.w_avg_beta = config.w_avg_beta
        dims = [config.z_dim] + [config.mapping_fmaps] * (config.mapping_layers - 1) + [config.w_dim]
        self.layers = nn.ModuleList(
            EqualizedLinear(dims[i], dims[i + 1], gain=SQRT2, lr_mul=config.mapping_lr_mul,
                            activation="lrelu")
            for i in range(config.mapping_layers)
        )
        self.register_buffer("w_avg", torch.zeros(config.w_dim))
        # How many times w̄ was updated (0 = never: truncation is then refused).
        self.register_buffer("w_avg_updates", torch.zeros([], dtype=torch.long))

    def forward(self, z: torch.Tensor, c=None, truncation_psi: float = 1.0,
                truncation_cutoff: int | None = None, update_w_avg: bool = False) -> torch.Tensor:
        """z [N, z_dim] → ws [N, num_ws, w_dim]."""
        _check_no_labels(c)
        if z.ndim != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"z must have shape [N, {self.z_dim}], got {list(z.shape)}")
        # Normalise z: x · rsqrt(mean(x²) + 1e-8).
        x = pixel_norm(z)
        for layer in self.layers:
            x = layer(x)
        if update_w_avg:
            self.update_w_avg(x)
        ws = x.unsqueeze(1).repeat(1, self.num_ws, 1)
        if truncation_psi != 1:
            ws = self.truncate(ws, truncation_psi, truncation_cutoff)
        return ws

    @torch.no_grad()
    def update_w_avg(self, w: torch.Tensor) -> None:
        r"""Track the centre of mass of W:  :math:`\bar w \leftarrow \bar w_{batch} + \beta(\bar w - \bar w_{batch})`,
        β = 0.995 (the first update takes the batch mean as it is)."""
        batch_mean = w.detach().float().mean(dim=0)
        beta = self.w_avg_beta if self.w_avg_updates > 0 else 0.0
        self.w_avg.copy_(lerp(batch_mean, self.w_avg, beta))
        self.w_avg_updates += 1

    @torch.no_grad()
    def compute_w_avg(self, num_samples: int = 10_000, batch_size: int = 1000,
                      generator: torch.Generator | None = None) -> torch.Tensor:
        """Estimate w̄ = E_z[f(z)] by sampling (for a model whose w̄ was never tracked)."""
        device = self.w_avg.device
        total = torch.zeros(self.w_dim, dtype=torch.float64, device=device)
        done = 0
        while done < num_samples:
            n = min(batch_size, num_samples - done)
            z = torch.randn(n, self.z_dim, device=device, generator=generator)
            total += self.forward(z)[:, 0].double().sum(0)
            done += n
        self.w_avg.copy_((total / num_samples).float())
        self.w_avg_updates.fill_(max(int(self.w_avg_updates), 1))
        return self.w_avg

    def truncate(self, ws: torch.Tensor, truncation_psi: float,
                 truncation_cutoff: int | None = None) -> torch.Tensor:
        r"""The truncation trick in W (paper Appendix B):

        .. math::  w' = \bar w + \psi\,(w - \bar w)

        applied to the style inputs with index < ``truncation_cutoff`` (all when None; the
        paper's figures use cutoff 8 of 18, i.e. the 4²–32² styles).
        """
        if int(self.w_avg_updates) == 0:
            raise ValueError(
                "truncation_psi != 1 needs the running average of w (w̄), but this generator has "
                "none (it was never trained, or its w̄ was not saved). Train it, load a trained "
                "checkpoint, call G.mapping.compute_w_avg(), or use truncation_psi=1.")
        # As in the release, a cutoff beyond the last style input truncates all of them.
        cutoff = self.num_ws if truncation_cutoff is None else min(int(truncation_cutoff), self.num_ws)
        if cutoff < 0:
            raise ValueError(f"truncation_cutoff must be >= 0 (or None for all), got {truncation_cutoff}")
        ws = ws.clone()
        ws[:, :cutoff] = lerp(self.w_avg.to(ws.dtype), ws[:, :cutoff], truncation_psi)
        return ws


def _check_no_labels(c) -> None:
    """Accept NVIDIA's positional label argument ``c`` for compatibility; our models are
    unconditional, so it must be None or empty."""
    if c is not None and torch.as_tensor(c).numel() > 0:
        raise ValueError("this generator is unconditional: pass c=None (or an empty tensor)")
