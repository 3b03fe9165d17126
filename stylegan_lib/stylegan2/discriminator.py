r"""The StyleGAN2 discriminator, config F: "residual" (Figure 7c of the paper).

FromRGB once, at full resolution; per resolution two 3×3 convolutions (the second downsampling)
beside a 1×1 downsampling skip, summed and scaled so the variance stays put:

.. math::  x \leftarrow \tfrac{1}{\sqrt2}\big(\operatorname{conv}_\downarrow(\operatorname{conv}(x))
           + \operatorname{conv}^{1\times1}_\downarrow(x)\big)

then at 4×4 minibatch std, a 3×3 conv, a dense layer and the logit.
Weights have gain 1/√fan_in and the activation is lrelu·√2, as in the generator.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ..layers import Blur, EqualizedConv2d, EqualizedLinear, MinibatchStdDev
from .config import StyleGAN2Config, get_config
from .layers import lrelu_agc

RESIDUAL_SCALE = 1 / math.sqrt(2)


class ConvLayer(nn.Module):
    """An equalised-lr k×k convolution with bias and lrelu·√2, optionally downsampling 2× with
    the [1,3,3,1] filter: the [1,2,1] blur, the convolution, the mean of each 2×2 block
    (``layers.Downsample`` with the convolution moved in before the mean, where it commutes)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, down: bool = False,
                 bias: bool = True, activation: bool = True):
        super().__init__()
        self.blur = Blur((1, 2, 1)) if down else None
        self.conv = EqualizedConv2d(in_channels, out_channels, kernel_size, gain=1.0, bias=bias,
                                    resample="down" if down else None)
        self.activation = activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.blur is not None:
            x = self.blur(x)
        x = self.conv(x)
        return lrelu_agc(x) if self.activation else x


class ResidualBlock(nn.Module):
    """Resolution R → R/2: conv 3×3, conv 3×3 ↓, plus a 1×1 ↓ skip without bias or activation."""

    def __init__(self, config: StyleGAN2Config, resolution: int):
        super().__init__()
        c_in, c_out = config.channels(resolution), config.channels(resolution // 2)
        self.resolution = resolution
        self.conv0 = ConvLayer(c_in, c_in, 3)
        self.conv1 = ConvLayer(c_in, c_out, 3, down=True)
        self.skip = ConvLayer(c_in, c_out, 1, down=True, bias=False, activation=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(conv1(conv0(x)) + skip(x)) / √2"""
        return (self.conv1(self.conv0(x)) + self.skip(x)) * RESIDUAL_SCALE


class OutputBlock(nn.Module):
    """4×4: minibatch std, 3×3 conv, dense to nf(0), dense to one logit (linear)."""

    def __init__(self, config: StyleGAN2Config):
        super().__init__()
        c = config.channels(4)
        self.mbstd = MinibatchStdDev(config.mbstd_group_size, config.mbstd_num_features) \
            if config.mbstd_group_size > 1 else None
        extra = config.mbstd_num_features if self.mbstd is not None else 0
        self.conv = ConvLayer(c + extra, c, 3)
        self.fc = EqualizedLinear(c * 16, config.nf(0), gain=1.0)
        self.out = EqualizedLinear(config.nf(0), 1, gain=1.0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.mbstd is not None:
            x = self.mbstd(x)
        x = self.conv(x)
        return self.out(lrelu_agc(self.fc(x.flatten(1))))


class Discriminator(nn.Module):
    """D: image [N, 3, R, R] → logit [N, 1] (higher = more real)."""

    def __init__(self, config: str | StyleGAN2Config = "sg2-paper-1024"):
        super().__init__()
        self.config = cfg = get_config(config)
        self.img_resolution, self.img_channels = cfg.img_resolution, cfg.img_channels
        self.resolutions = cfg.resolutions
        self.fromrgb = ConvLayer(cfg.img_channels, cfg.channels(cfg.img_resolution), 1)
        blocks = {f"b{r}": ResidualBlock(cfg, r) for r in reversed(self.resolutions[1:])}
        blocks["b4"] = OutputBlock(cfg)
        self.blocks = nn.ModuleDict(blocks)

    def forward(self, img: torch.Tensor, c=None, lod: float = 0.0) -> torch.Tensor:
        _no_labels(c)
        expected = (self.img_channels, self.img_resolution, self.img_resolution)
        if img.ndim != 4 or tuple(img.shape[1:]) != expected:
            raise ValueError(f"D expects images of shape [N, {', '.join(map(str, expected))}], got {list(img.shape)}")
        if lod != 0:
            raise ValueError(f"StyleGAN2 has no progressive growing: lod must be 0, got {lod}")
        x = self.fromrgb(img)
        for block in self.blocks.values():
            x = block(x)
        return x

    def num_parameters(self) -> dict[str, int]:
        """Parameters of FromRGB, the blocks and in all."""
        parts = {"fromrgb": self.fromrgb, "blocks": self.blocks, "total": self}
        return {name: sum(p.numel() for p in part.parameters()) for name, part in parts.items()}


def _no_labels(c) -> None:
    if c is not None and torch.as_tensor(c).numel() > 0:
        raise ValueError("this discriminator is unconditional: pass c=None (or an empty tensor)")


__all__ = ["Discriminator", "ResidualBlock", "OutputBlock", "ConvLayer", "RESIDUAL_SCALE"]
