"""The synthesis network g of Figure 1b: from a learned 4×4 constant to an image, one style
(AdaIN) and one noise input per convolution, progressively grown.

Layer order inside every layer (the release's "epilogue"):
conv → add noise·B → add bias → leaky ReLU → instance norm → style modulation.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import nn

from .config import ModelConfig
from .layers import (INSTANCE_NORM_EPS, LRELU_SLOPE, SQRT2, Blur, EqualizedConv2d, EqualizedLinear,
                     NoiseInjection, StyleModulation, _act, activation_layout, instance_norm, lerp,
                     pixel_norm, upsample2d)

NOISE_MODES = ("random", "const", "none")


class NoiseInputs:
    """Mixin of the synthesis networks of all three generations: per-layer noise images for
    ``forward(ws, noise=…)``, given ``num_layers``, ``layer_resolutions()`` and ``device``."""

    def make_noise_inputs(self, batch: int = 1, seed: int | None = None,
                          generator: torch.Generator | None = None,
                          layers: Iterable[int] | None = None) -> list[torch.Tensor | None]:
        """Noise images for ``forward(ws, noise=…)``, one entry per layer (StyleGAN1: indexed like
        the style inputs and ``latent.noise_groups``),

        n_l ~ N(0, I), shape [batch, 1, R_l, R_l]  (R_l = ``layer_resolutions()[l]``)

        drawn in layer order from a CPU generator seeded with ``seed`` (the same images on every
        machine), or from ``generator`` on its own device (or else the global one), and moved to
        this network's device. Only the layers in ``layers`` (default: all) get an image; the
        others are None and follow ``noise_mode``. (StyleGAN3 adds them in config B only: there is
        nothing for noise to do in an alias-free generator.)
        """
        if seed is not None and generator is not None:
            raise ValueError("give the noise a seed or a generator, not both")
        wanted = set(range(self.num_layers)) if layers is None else {int(i) for i in layers}
        unknown = sorted(i for i in wanted if not 0 <= i < self.num_layers)
        if unknown:
            raise ValueError(f"layers {unknown} do not exist: this network has layers 0…{self.num_layers - 1}")
        gen = torch.Generator().manual_seed(int(seed)) if seed is not None else generator
        where = gen.device if gen is not None else self.device
        return [torch.randn(batch, 1, r, r, generator=gen, device=where).to(self.device) if i in wanted else None
                for i, r in enumerate(self.layer_resolutions())]


class Epilogue(nn.Module):
    """What follows every convolution: noise, bias, activation, normalisation, style.

    The style-based generator uses instance norm + style modulation (AdaIN); the traditional
    generator of Figure 1a uses pixel norm and no style. ``noise_const`` is the fixed noise image
    used by ``noise_mode="const"`` (the release ships one per layer).
    """

    def __init__(self, channels: int, w_dim: int, resolution: int, use_noise: bool,
                 use_styles: bool = True, norm: str = "instance"):
        super().__init__()
        self.channels, self.resolution = channels, resolution
        self.norm = norm
        self.noise = NoiseInjection(channels) if use_noise else None
        self.bias = nn.Parameter(torch.zeros(channels))
        self.style = StyleModulation(w_dim, channels) if use_styles else None
        if use_noise:
            self.register_buffer("noise_const", torch.randn(1, 1, resolution, resolution))
        else:
            self.noise_const = None

    def make_noise(self, x: torch.Tensor, noise_mode: str, noise: torch.Tensor | None):
        """The noise image for this layer: the explicit one, fresh N(0,1), the stored one, or none."""
        if self.noise is None:
            return None
        if noise is not None:
            n, _, h, w = x.shape
            if noise.ndim != 4 or noise.shape[1] != 1 or noise.shape[2:] != (h, w) \
                    or noise.shape[0] not in (1, n):
                raise ValueError(f"noise for a {h}x{w} layer must have shape [1 or {n}, 1, {h}, {w}], "
                                 f"got {list(noise.shape)}")
            return noise.to(x.dtype)
        if noise_mode == "random":
            return torch.randn(x.shape[0], 1, *x.shape[2:], device=x.device, dtype=x.dtype)
        if noise_mode == "const":
            return self.noise_const.to(x.dtype)
        return None  # "none"

    #: Take :meth:`_fused` when no features are recorded (False: always :meth:`_staged`, which
    #: ``python -m stylegan_lib bench`` times as the plain way of computing the same thing).
    fused = True

    def forward(self, x: torch.Tensor, w: torch.Tensor | None, noise_mode: str = "random",
                noise: torch.Tensor | None = None, record: dict | None = None, name: str = ""):
        n = self.make_noise(x, noise_mode, noise)
        if self.fused and record is None and self.style is not None and self.norm == "instance":
            return self._fused(x, w, n)
        return self._staged(x, w, n, record, name)

    def _staged(self, x, w, n, record, name):
        """One step at a time, each kept in ``record`` (the features the chapters draw)."""
        def keep(stage, t):
            if record is not None:
                record[f"{name}/{stage}"] = t

        keep("conv", x)
        if n is not None:
            x = self.noise(x, n)
        keep("noise", x)
        x = _act(x + self.bias.view(1, -1, 1, 1), "lrelu")
        keep("act", x)
        x = instance_norm(x) if self.norm == "instance" else pixel_norm(x)
        keep("norm", x)
        if self.style is not None:
            x = self.style(x, w)
            keep("style", x)
        return x

    def _fused(self, x, w, n):
        r"""The same function as :meth:`_staged` in four passes over the feature maps instead of
        about ten (the epilogue, not the convolution, dominates at high resolution on a CPU).

        Noise, bias and activation in one expression, x ← lrelu(x + B·n + b) (in place after
        the first op, so no copy is kept), then instance norm and style modulation folded into
        one scale and shift per channel,

        .. math::  \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}\,(y_s + 1) + y_b
                   = (x - \mu)\,a + y_b, \qquad a = \frac{y_s + 1}{\sqrt{\sigma^2 + \epsilon}}

        with μ and σ² of each feature map from one ``var_mean``. (x − μ is formed before the
        scaling, as in the staged path: a feature map that is nearly constant — the constant
        input of an untrained network is all ones — has a tiny σ, and x·a − μ·a would cancel
        catastrophically.)
        """
        bias = self.bias.to(x.dtype).view(1, -1, 1, 1)
        if n is not None:
            x = torch.addcmul(x, n, self.noise.weight.to(x.dtype).view(1, -1, 1, 1)).add_(bias)
        else:
            x = x + bias
        x = torch.nn.functional.leaky_relu_(x, LRELU_SLOPE)
        var, mean = torch.var_mean(x, dim=(2, 3), correction=0, keepdim=True)
        y_s, y_b = self.style.styles(w)
        a = (y_s + 1)[:, :, None, None] * torch.rsqrt(var + INSTANCE_NORM_EPS)
        return torch.addcmul(y_b[:, :, None, None], x - mean, a)


class InputBlock(nn.Module):
    """The 4×4 block: input layer, then one 3×3 convolution.

    The input is a learned constant 1×C×4×4 initialised to ones (configs D–F), or — the
    traditional input of configs A–C — a dense layer from the first w to C×4×4 (gain √2/4).
    """

    def __init__(self, config: ModelConfig, use_styles: bool, norm: str):
        super().__init__()
        c = config.channels(4)
        self.channels = c
        if config.const_input:
            self.const = nn.Parameter(torch.ones(1, c, 4, 4))
            self.dense = None
        else:
            self.const = None
            self.dense = EqualizedLinear(config.w_dim, c * 16, gain=SQRT2 / 4)
        kw = dict(use_noise=config.use_noise, use_styles=use_styles, norm=norm)
        self.epi0 = Epilogue(c, config.w_dim, 4, **kw)
        self.conv1 = EqualizedConv2d(c, c, 3)
        self.epi1 = Epilogue(c, config.w_dim, 4, **kw)

    def forward(self, ws, noise_mode, noises, record):
        if self.const is not None:
            x = self.const.to(ws.dtype).expand(ws.shape[0], -1, -1, -1)
        else:
            x = self.dense(ws[:, 0]).view(ws.shape[0], self.channels, 4, 4)
        x = activation_layout(x)
        x = self.epi0(x, ws[:, 0], noise_mode, noises[0], record, "b4/layer0")
        x = self.epi1(self.conv1(x), ws[:, 1], noise_mode, noises[1], record, "b4/layer1")
        return x


class UpBlock(nn.Module):
    """A block at resolution R ≥ 8: upsample ×2 + 3×3 conv (+ blur), then a second 3×3 conv.

    Upsampling is nearest-neighbour below 128² and a fused transposed convolution from 128² on.
    """

    def __init__(self, config: ModelConfig, resolution: int, use_styles: bool, norm: str):
        super().__init__()
        cin, cout = config.channels(resolution // 2), config.channels(resolution)
        self.resolution = resolution
        self.conv0 = EqualizedConv2d(cin, cout, 3, resample="up", fused=config.fused(resolution))
        self.blur = Blur(config.blur_filter) if config.blur_filter is not None else None
        kw = dict(use_noise=config.use_noise, use_styles=use_styles, norm=norm)
        self.epi0 = Epilogue(cout, config.w_dim, resolution, **kw)
        self.conv1 = EqualizedConv2d(cout, cout, 3)
        self.epi1 = Epilogue(cout, config.w_dim, resolution, **kw)

    def forward(self, x, ws, noise_mode, noises, record):
        r = self.resolution
        x = self.conv0(x)
        if self.blur is not None:
            x = self.blur(x)
        x = self.epi0(x, ws[:, 0], noise_mode, noises[0], record, f"b{r}/layer0")
        x = self.epi1(self.conv1(x), ws[:, 1], noise_mode, noises[1], record, f"b{r}/layer1")
        return x


class SynthesisNetwork(NoiseInputs, nn.Module):
    """g: ws [N, num_ws, w_dim] → image [N, 3, R, R] in about [-1, 1].

    Style inputs 2k and 2k+1 drive the two layers of the block at resolution 2^(k+2). Each
    resolution has its own ToRGB (1×1 conv, gain 1); progressive growing blends the newest
    block's RGB with the upsampled RGB of the previous one according to ``lod``.
    """

    use_styles = True
    norm = "instance"

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.w_dim, self.img_resolution, self.img_channels = \
            config.w_dim, config.img_resolution, config.img_channels
        self.resolutions = config.resolutions
        self.num_layers = config.num_layers
        self.num_ws = config.num_ws
        blocks = {"b4": InputBlock(config, self.use_styles, self.norm)}
        for r in self.resolutions[1:]:
            blocks[f"b{r}"] = UpBlock(config, r, self.use_styles, self.norm)
        self.blocks = nn.ModuleDict(blocks)
        self.torgb = nn.ModuleDict({
            f"b{r}": EqualizedConv2d(config.channels(r), config.img_channels, 1, gain=1.0, bias=True)
            for r in self.resolutions})

    # -- helpers --------------------------------------------------------------------------------
    @property
    def max_lod(self) -> int:
        """lod of the 4×4 stage: log2(R) − 2."""
        return len(self.resolutions) - 1

    def layer_resolutions(self) -> list[int]:
        """Resolution of each of the ``num_layers`` layers (and noise inputs)."""
        return [r for r in self.resolutions for _ in range(2)]

    def epilogues(self) -> list[Epilogue]:
        """The layers' epilogues in order (they hold noise strengths, biases and styles)."""
        return [m for b in self.blocks.values() for m in (b.epi0, b.epi1)]

    @property
    def device(self) -> torch.device:
        return self.torgb[f"b{self.img_resolution}"].weight.device

    def _style_ws(self, ws: torch.Tensor) -> torch.Tensor:
        """The w used by each layer: [N, num_layers, w_dim]."""
        return ws

    # -- forward --------------------------------------------------------------------------------
    def forward(self, ws: torch.Tensor, noise_mode: str = "random", noise=None, lod: float = 0.0,
                return_features: bool = False, **_ignored):
        """Synthesise images.

        Args:
            ws: [N, num_ws, w_dim] style inputs (from ``G.mapping`` or mixed by hand).
            noise_mode: "random" (fresh noise), "const" (the stored noise images) or "none".
            noise: optional list of ``num_layers`` entries, each a [1 or N, 1, H, W] tensor that
                overrides the noise of that layer, or None to follow ``noise_mode``.
            lod: level of detail for progressive growing, 0 = full resolution,
                ``max_lod`` = 4×4 only; fractional values fade the newest resolution in.
            return_features: also return a dict of intermediate feature maps
                ("b8/layer0/conv", ".../noise", ".../act", ".../norm", ".../style", "b8/rgb").

        Returns: images [N, img_channels, R, R] (always at full resolution: lower levels of
        detail are upsampled with nearest neighbour), and the features dict if asked.
        """
        if noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {NOISE_MODES}, got {noise_mode!r}")
        if ws.ndim != 3 or ws.shape[1:] != (self.num_ws, self.w_dim):
            raise ValueError(f"ws must have shape [N, {self.num_ws}, {self.w_dim}], got {list(ws.shape)}")
        if not 0 <= lod <= self.max_lod:
            raise ValueError(f"lod must be in [0, {self.max_lod}], got {lod}")
        if noise is None:
            noise = [None] * self.num_layers
        if len(noise) != self.num_layers:
            raise ValueError(f"noise must be a list of {self.num_layers} entries (tensor or None), "
                             f"got {len(noise)}")
        record = {} if return_features else None
        layer_ws = self._style_ws(ws)

        images = None
        x = None
        log2 = int(math.log2(self.img_resolution))
        for i, r in enumerate(self.resolutions):
            lod_r = log2 - int(math.log2(r))  # the lod at which r is the output resolution
            t = lod - lod_r                   # > 0: still fading in; >= 1: not reached yet
            if t >= 1:
                break
            block = self.blocks[f"b{r}"]
            sl = slice(2 * i, 2 * i + 2)
            if x is None:
                x = block(layer_ws[:, sl], noise_mode, noise[sl], record)
            else:
                x = block(x, layer_ws[:, sl], noise_mode, noise[sl], record)
            # This RGB is needed if it is the output (the next resolution, at t + 1, is not
            # reached) or if the next resolution fades in from it (t + 1 > 0); when features
            # are asked for, every resolution's RGB is recorded.
            if r == self.img_resolution or t > -1 or record is not None:
                y = self.torgb[f"b{r}"](x)
                if record is not None:
                    record[f"b{r}/rgb"] = y
                # Fade-in: lerp(new RGB, upsampled previous RGB, t) with t clipped to [0, 1].
                images = y if (images is None or t <= 0) else lerp(y, upsample2d(images), t)
        images = upsample2d(images, self.img_resolution // images.shape[-1]).contiguous()
        return (images, record) if return_features else images
