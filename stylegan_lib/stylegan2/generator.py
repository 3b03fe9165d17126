r"""The StyleGAN2 generator, config F: the "skip" synthesis network (Figure 7b of the paper)
behind StyleGAN1's mapping network, with the API of this library's StyleGAN1 generator
(``G.mapping``, ``G.synthesis``, ``G(z, truncation_psi=…)``).

No progressive growing: every resolution has its own ToRGB from the start, and the image is
the sum of their outputs, each upsampled to the next resolution,

.. math::  \text{img}_{4} = \text{tRGB}_4(x_4), \qquad
           \text{img}_{2r} = \operatorname{up}(\text{img}_r) + \text{tRGB}_{2r}(x_{2r})

Style inputs: convolution l (l = 0 … num_layers − 1) takes ``ws[:, l]``; the ToRGB of the
block at 2^(k+2) takes ``ws[:, 2k + 1]`` — shared with the next block's first convolution —
so num_ws = num_layers + 1 = 2·log2(R) − 2, as in NVIDIA's releases (18 at 1024²).
"""
from __future__ import annotations

import torch
from torch import nn

from ..generator import GeneratorBase
from ..mapping import MappingNetwork
from ..synthesis import NoiseInputs
from .config import StyleGAN2Config, get_config
from .layers import NOISE_MODES, SynthesisLayer, ToRGB, Upsample


class InputBlock(nn.Module):
    """4×4: the learned constant (N(0, 1) initialised), one modulated 3×3 convolution, ToRGB."""

    def __init__(self, config: StyleGAN2Config):
        super().__init__()
        c = config.channels(4)
        self.const = nn.Parameter(torch.randn(1, c, 4, 4))
        self.conv1 = SynthesisLayer(c, c, config.w_dim, 4, use_noise=config.use_noise,
                                    demodulate=config.demodulate, fused=config.fused_modconv)
        self.torgb = ToRGB(c, config.img_channels, config.w_dim, fused=config.fused_modconv)

    def forward(self, ws, noise_mode, noises, record):
        """ws [N, 2, w_dim]: the convolution's and ToRGB's."""
        x = self.const.to(ws.dtype).expand(ws.shape[0], -1, -1, -1)
        x = self.conv1(x, ws[:, 0], noise_mode, noises[0])
        img = self.torgb(x, ws[:, 1])
        _keep(record, "b4", conv1=x, rgb=img)
        return x, img


class SynthesisBlock(nn.Module):
    """Resolution R ≥ 8: 2× up + modulated 3×3 conv, a second modulated 3×3 conv, ToRGB;
    the image so far is upsampled with the [1,3,3,1] filter and this block's RGB added."""

    def __init__(self, config: StyleGAN2Config, resolution: int):
        super().__init__()
        cin, cout = config.channels(resolution // 2), config.channels(resolution)
        self.resolution = resolution
        kw = dict(use_noise=config.use_noise, demodulate=config.demodulate, fused=config.fused_modconv)
        self.conv0 = SynthesisLayer(cin, cout, config.w_dim, resolution, up=True, **kw)
        self.conv1 = SynthesisLayer(cout, cout, config.w_dim, resolution, **kw)
        self.torgb = ToRGB(cout, config.img_channels, config.w_dim, fused=config.fused_modconv)
        self.upsample = Upsample()

    def forward(self, x, img, ws, noise_mode, noises, record):
        """ws [N, 3, w_dim]: conv0's, conv1's and ToRGB's."""
        x = self.conv0(x, ws[:, 0], noise_mode, noises[0])
        x1 = self.conv1(x, ws[:, 1], noise_mode, noises[1])
        rgb = self.torgb(x1, ws[:, 2])
        _keep(record, f"b{self.resolution}", conv0=x, conv1=x1, rgb=rgb)
        return x1, self.upsample(img) + rgb


def _keep(record: dict | None, prefix: str, **tensors) -> None:
    if record is not None:
        record.update({f"{prefix}/{k}": v for k, v in tensors.items()})


class SynthesisNetwork(NoiseInputs, nn.Module):
    """g: ws [N, num_ws, w_dim] → image [N, img_channels, R, R] (about [-1, 1] once trained)."""

    def __init__(self, config: StyleGAN2Config):
        super().__init__()
        self.config = config
        self.w_dim, self.img_resolution, self.img_channels = config.w_dim, config.img_resolution, config.img_channels
        self.resolutions = config.resolutions
        self.num_layers, self.num_ws = config.num_layers, config.num_ws
        blocks = {"b4": InputBlock(config)}
        blocks.update({f"b{r}": SynthesisBlock(config, r) for r in self.resolutions[1:]})
        self.blocks = nn.ModuleDict(blocks)

    @property
    def device(self) -> torch.device:
        return self.blocks["b4"].const.device

    def layers(self) -> list[SynthesisLayer]:
        """The ``num_layers`` modulated 3×3 convolutions in order (noise inputs, biases, styles)."""
        return [self.blocks["b4"].conv1] + [m for r in self.resolutions[1:]
                                            for m in (self.blocks[f"b{r}"].conv0, self.blocks[f"b{r}"].conv1)]

    def layer_resolutions(self) -> list[int]:
        """Resolution of each convolution (and noise input): 4, 8, 8, 16, 16, …"""
        return [layer.resolution for layer in self.layers()]

    def forward(self, ws: torch.Tensor, noise_mode: str = "random", noise=None, lod: float = 0.0,
                return_features: bool = False):
        """Synthesise images.

        Args:
            ws: [N, num_ws, w_dim] style inputs.
            noise_mode: "random" (fresh noise), "const" (the stored noise images) or "none".
            noise: optional list of ``num_layers`` entries, a [1 or N, 1, H, W] tensor or None each.
            lod: accepted for the trainer's sake; must be 0 (StyleGAN2 does not grow).
            return_features: also return a dict of feature maps ("b8/conv0", "b8/conv1",
                "b8/rgb": the layer outputs and each resolution's ToRGB output).
        """
        if noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {NOISE_MODES}, got {noise_mode!r}")
        if ws.ndim != 3 or ws.shape[1:] != (self.num_ws, self.w_dim):
            raise ValueError(f"ws must have shape [N, {self.num_ws}, {self.w_dim}], got {list(ws.shape)}")
        if lod != 0:
            raise ValueError(f"StyleGAN2 has no progressive growing: lod must be 0, got {lod}")
        noise = [None] * self.num_layers if noise is None else list(noise)
        if len(noise) != self.num_layers:
            raise ValueError(f"noise must be a list of {self.num_layers} entries (tensor or None), got {len(noise)}")
        record = {} if return_features else None
        x, img = self.blocks["b4"](ws[:, 0:2], noise_mode, noise[0:1], record)
        for k, r in enumerate(self.resolutions[1:], start=1):
            x, img = self.blocks[f"b{r}"](x, img, ws[:, 2 * k - 1:2 * k + 2], noise_mode,
                                          noise[2 * k - 1:2 * k + 1], record)
        return (img, record) if return_features else img


class Generator(GeneratorBase):
    """z [N, z_dim] → image [N, 3, R, R]: ``Generator("sg2-book-32")``."""

    def __init__(self, config: str | StyleGAN2Config = "sg2-paper-1024"):
        super().__init__(get_config(config))
        cfg = self.config
        # StyleGAN1's mapping network: its num_ws (2 per resolution) equals StyleGAN2's.
        base = cfg.base
        if base.num_ws != cfg.num_ws:
            raise AssertionError(f"mapping broadcasts to {base.num_ws} ws, synthesis needs {cfg.num_ws}")
        self.mapping = MappingNetwork(base)
        self.synthesis = SynthesisNetwork(cfg)


__all__ = ["Generator", "SynthesisNetwork", "SynthesisBlock", "InputBlock"]
