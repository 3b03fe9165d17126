"""The style-based generator: G = g ∘ f (Figure 1b), with the call signatures of NVIDIA's PyTorch
releases (``G.mapping``, ``G.synthesis``, ``G(z, c, truncation_psi=…)``)."""
from __future__ import annotations

import torch
from torch import nn

from .config import ModelConfig, get_config
from .latent import mix_styles
from .mapping import MappingNetwork
from .synthesis import SynthesisNetwork
from .traditional import TraditionalSynthesis


class GeneratorBase(nn.Module):
    """What the generators of the three generations share: G = g ∘ f with ``self.mapping`` (f)
    and ``self.synthesis`` (g), which a subclass builds after calling ``__init__(config)``."""

    def __init__(self, config):
        super().__init__()
        self.config = cfg = config
        self.z_dim, self.w_dim, self.num_ws = cfg.z_dim, cfg.w_dim, cfg.num_ws
        self.c_dim = 0
        self.img_resolution, self.img_channels = cfg.img_resolution, cfg.img_channels

    def forward(self, z: torch.Tensor, c=None, truncation_psi: float = 1.0,
                truncation_cutoff: int | None = None, noise_mode: str = "random",
                **synthesis_kwargs) -> torch.Tensor:
        """G(z) = g(f(z)): map, optionally truncate towards w̄, synthesise."""
        ws = self.mapping(z, c, truncation_psi=truncation_psi, truncation_cutoff=truncation_cutoff)
        return self.synthesis(ws, noise_mode=noise_mode, **synthesis_kwargs)

    def mix(self, zs: list[torch.Tensor], crossovers: list[int], truncation_psi: float = 1.0,
            truncation_cutoff: int | None = None, **synthesis_kwargs) -> torch.Tensor:
        """Style mixing at test time: styles before ``crossovers[0]`` from ``zs[0]``, and so on."""
        if self.num_ws < 2:
            raise ValueError("style mixing needs a style-based generator (this one has a single latent input)")
        ws = [self.mapping(z, truncation_psi=truncation_psi, truncation_cutoff=truncation_cutoff) for z in zs]
        return self.synthesis(mix_styles(ws, crossovers), **synthesis_kwargs)

    @property
    def w_avg(self) -> torch.Tensor:
        return self.mapping.w_avg

    @property
    def device(self) -> torch.device:
        return self.mapping.w_avg.device

    def num_parameters(self) -> dict[str, int]:
        """Parameters of the mapping and synthesis networks and in all, counted whether or not
        they require gradients (a loaded model is frozen)."""
        return {"mapping": _count(self.mapping), "synthesis": _count(self.synthesis), "total": _count(self)}


class Generator(GeneratorBase):
    """z [N, z_dim] → image [N, 3, R, R].

    ``Generator("book-32")`` or ``Generator(get_config("paper-1024"))``. The architecture
    (style-based or traditional) follows ``config.architecture``.
    """

    def __init__(self, config: str | ModelConfig = "paper-1024"):
        super().__init__(get_config(config))
        cfg = self.config
        self.mapping = MappingNetwork(cfg)
        self.synthesis = (SynthesisNetwork if cfg.architecture == "style" else TraditionalSynthesis)(cfg)


def _count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
