"""The discriminator (Progressive GAN's, as used by StyleGAN): FromRGB per resolution, blocks of
conv → blur → conv + downsample, and at 4×4 minibatch std → conv → dense → dense."""
from __future__ import annotations

import math

import torch
from torch import nn

from .config import ModelConfig, get_config
from .layers import (Blur, EqualizedConv2d, EqualizedLinear, MinibatchStdDev, activation_layout,
                     downsample2d, lerp)
from .mapping import _check_no_labels


class DownBlock(nn.Module):
    """At resolution R ≥ 8: 3×3 conv + lrelu, then blur, then 3×3 conv with 2× downsampling
    (average pooling below 128², fused stride-2 conv from 128² on) + lrelu."""

    def __init__(self, config: ModelConfig, resolution: int):
        super().__init__()
        c_in, c_out = config.channels(resolution), config.channels(resolution // 2)
        self.conv0 = EqualizedConv2d(c_in, c_in, 3, bias=True, activation="lrelu")
        self.blur = Blur(config.blur_filter) if config.blur_filter is not None else None
        self.conv1 = EqualizedConv2d(c_in, c_out, 3, bias=True, activation="lrelu",
                                     resample="down", fused=config.fused(resolution))

    def forward(self, x):
        x = self.conv0(x)
        if self.blur is not None:
            x = self.blur(x)
        return self.conv1(x)


class OutputBlock(nn.Module):
    """At 4×4: minibatch stddev, 3×3 conv, dense to C, dense to one score (gain 1, linear)."""

    def __init__(self, config: ModelConfig):
        super().__init__()
        c = config.channels(4)
        self.mbstd = MinibatchStdDev(config.mbstd_group_size, config.mbstd_num_features) \
            if config.mbstd_group_size > 1 else None
        extra = config.mbstd_num_features if self.mbstd is not None else 0
        self.conv = EqualizedConv2d(c + extra, c, 3, bias=True, activation="lrelu")
        self.fc = EqualizedLinear(c * 16, config.nf(0), activation="lrelu")
        self.out = EqualizedLinear(config.nf(0), 1, gain=1.0)

    def forward(self, x):
        if self.mbstd is not None:
            x = self.mbstd(x)
        x = self.conv(x)
        return self.out(self.fc(x.flatten(1)))


class Discriminator(nn.Module):
    """D: image [N, 3, R, R] → score [N, 1] (a logit: higher = more real).

    Progressive growing mirrors the generator: at level of detail ``lod`` the image is box-
    downsampled to the current resolution, and while a resolution fades in, the output of its
    block is blended with FromRGB of the image at half the resolution.
    """

    def __init__(self, config: str | ModelConfig = "paper-1024"):
        super().__init__()
        self.config = cfg = get_config(config)
        self.img_resolution, self.img_channels = cfg.img_resolution, cfg.img_channels
        self.resolutions = cfg.resolutions
        self.fromrgb = nn.ModuleDict({
            f"b{r}": EqualizedConv2d(cfg.img_channels, cfg.channels(r), 1, bias=True, activation="lrelu")
            for r in self.resolutions})
        blocks = {f"b{r}": DownBlock(cfg, r) for r in reversed(self.resolutions[1:])}
        blocks["b4"] = OutputBlock(cfg)
        self.blocks = nn.ModuleDict(blocks)

    @property
    def max_lod(self) -> int:
        return len(self.resolutions) - 1

    def forward(self, img: torch.Tensor, c=None, lod: float = 0.0) -> torch.Tensor:
        _check_no_labels(c)
        expected = (self.img_channels, self.img_resolution, self.img_resolution)
        if img.ndim != 4 or tuple(img.shape[1:]) != expected:
            raise ValueError(f"D expects images of shape [N, {', '.join(map(str, expected))}], "
                             f"got {list(img.shape)}")
        if not 0 <= lod <= self.max_lod:
            raise ValueError(f"lod must be in [0, {self.max_lod}], got {lod}")
        img = activation_layout(img)
        log2 = int(math.log2(self.img_resolution))
        x = None
        for r in reversed(self.resolutions):
            t = lod - (log2 - int(math.log2(r)))  # fade of resolution r (see SynthesisNetwork)
            if t >= 1:
                continue  # resolution r is not reached yet at this lod
            if x is None:
                x = self.fromrgb[f"b{r}"](downsample2d(img, self.img_resolution // r))
            if r == 4:
                break
            x = self.blocks[f"b{r}"](x)
            if t > 0:  # fading in: blend with the half-resolution path
                y = self.fromrgb[f"b{r // 2}"](downsample2d(img, self.img_resolution // (r // 2)))
                x = lerp(x, y, t)
        return self.blocks["b4"](x)

    def num_parameters(self) -> dict[str, int]:
        """Parameters of each part (the FromRGB layers, the blocks) and in all, counted whether
        or not they require gradients, as ``Generator.num_parameters`` counts them."""
        parts = {"fromrgb": self.fromrgb, "blocks": self.blocks, "total": self}
        return {name: sum(p.numel() for p in part.parameters()) for name, part in parts.items()}
