"""StyleGAN3's layers: Fourier-feature input, modulated convolution, magnitude normalisation,
the (filtered) nonlinearity, the synthesis layer and ToRGB.

Feature maps are samples of continuous signals on a canvas of width 1 (the output image),
taken at ``rate`` samples per unit on a centred grid of ``size`` samples (``size − rate`` is
twice the margin); sample k lies at (k + ½ − size/2) / rate.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..layers import LRELU_SLOPE, SQRT2, EqualizedLinear, NoiseInjection
from .filters import downsample_centred, upsample_centred

NOISE_MODES = ("random", "const", "none")


def centred_grid(size: int, rate: float, device=None, dtype=torch.float32) -> torch.Tensor:
    """Canvas coordinates of a size×size centred grid: [size, size, 2] as (x = column, y = row)."""
    t = (torch.arange(size, dtype=dtype, device=device) + 0.5 - size / 2) / rate
    y, x = torch.meshgrid(t, t, indexing="ij")
    return torch.stack([x, y], dim=-1)


# ------------------------------------------------------------------------------------------
# Input: Fourier features (config B on), transformed by w (config H on).
# ------------------------------------------------------------------------------------------
class FourierFeatures(nn.Module):
    r"""The input z₀: C sinusoids with frequencies drawn uniformly in the disc of radius
    ``bandwidth`` (the first layer's cutoff) and phases uniform in [0, 1), then a learned 1×1
    channel mix:

    .. math::  z_0(p) = W\,\big[\sin 2\pi(f_c \cdot T^{-1}p + \varphi_c)\big]_{c=1}^{C} / \sqrt C

    ``T`` moves the features' content: with ``transform_from_w`` (config H) first by T_w, a
    rotation by angle atan2(r_s, r_c) and translation (t_x, t_y) predicted by an affine layer from
    w and initialised to the identity (weight 0, bias (1, 0, 0, 0)), then by the caller's
    ``input_transform`` U (how the equivariance metrics move the input): T = U T_w, so that U
    moves the features as the model draws them, whatever T_w is. Rotations and translations keep
    every |f|, so no amplitude taper near the band limit is needed.
    """

    def __init__(self, channels: int, w_dim: int, bandwidth: float, transform_from_w: bool):
        super().__init__()
        radius = bandwidth * torch.sqrt(torch.rand(channels))   # uniform over the disc's area
        angle = 2 * math.pi * torch.rand(channels)
        self.register_buffer("freqs", torch.stack([radius * angle.cos(), radius * angle.sin()], dim=1))
        self.register_buffer("phases", torch.rand(channels))
        self.weight = nn.Parameter(torch.randn(channels, channels))
        self.channels, self.bandwidth = channels, bandwidth
        self.affine = None
        if transform_from_w:
            self.affine = EqualizedLinear(w_dim, 4, gain=1.0)
            with torch.no_grad():
                self.affine.weight.zero_()
                self.affine.bias.copy_(torch.tensor([1.0, 0.0, 0.0, 0.0]))

    def w_transform(self, w: torch.Tensor) -> torch.Tensor:
        r"""[N, 3, 3] rotation + translation from w (identity without config H):

        .. math::  (r_c, r_s, t_x, t_y) = A(w),\quad (r_c, r_s) \leftarrow (r_c, r_s)/\|(r_c, r_s)\|,\quad
                   T_w = \begin{bmatrix} r_c & -r_s & t_x\\ r_s & r_c & t_y\\ 0&0&1\end{bmatrix}
        """
        n = w.shape[0]
        m = torch.eye(3, device=w.device, dtype=w.dtype).repeat(n, 1, 1)
        if self.affine is None:
            return m
        t = self.affine(w)
        rc, rs, tx, ty = t.unbind(1)
        norm = torch.sqrt(rc * rc + rs * rs).clamp_min(1e-8)
        rc, rs = rc / norm, rs / norm
        m = torch.stack([torch.stack([rc, -rs, tx], 1), torch.stack([rs, rc, ty], 1),
                         m[:, 2]], dim=1)
        return m

    def forward(self, w: torch.Tensor, size: int, rate: float,
                input_transform: torch.Tensor | None = None) -> torch.Tensor:
        n = w.shape[0]
        transform = self.w_transform(w)
        if input_transform is not None:
            user = input_transform.to(w.dtype).to(w.device)
            user = user.expand(n, 3, 3) if user.ndim == 2 else user
            transform = user @ transform            # T = U T_w: the caller's move comes last
        # q = T⁻¹ p for every grid point p (homogeneous coordinates)
        inv = torch.linalg.inv(transform)
        p = centred_grid(size, rate, w.device, w.dtype).reshape(-1, 2)
        q = p @ inv[:, :2, :2].transpose(1, 2) + inv[:, None, :2, 2]            # [N, P, 2]
        # sin 2π(f·q + φ)
        x = torch.sin(2 * math.pi * (q @ self.freqs.T + self.phases))          # [N, P, C]
        x = x @ (self.weight / math.sqrt(self.channels)).T
        return x.transpose(1, 2).reshape(n, self.channels, size, size)


# ------------------------------------------------------------------------------------------
# Modulated convolution and magnitude normalisation.
# ------------------------------------------------------------------------------------------
class ModulatedConv(nn.Module):
    r"""A k×k convolution whose weights are scaled by a style s = A(w) per input channel and,
    with ``demodulate``, renormalised per output channel (StyleGAN2's Eq. 1–3):

    .. math::  w'_{ijk} = s_i\, w_{ijk},\qquad w''_{ijk} = w'_{ijk} \Big/ \sqrt{\textstyle\sum_{i,k} {w'_{ijk}}^2 + \epsilon}

    StyleGAN3 first divides the styles by their RMS over channels (input-side normalisation,
    s ← s / √mean(s²)); with demodulation this changes nothing but the numerics. No noise and
    'same' zero padding; the margin keeps the padding's effect away from the image.

    The per-sample weights w'' are never formed: w''_{ijk} = s_i w_{ijk} d_j factors into a scaling
    of the input, one convolution with the weights shared by the whole batch, and a scaling of the
    output (far faster on CPU than a grouped convolution with a kernel per sample):

    .. math::  y_j = d_j \sum_i w_{ij} * (s_i\, x_i),\qquad d_j = 1 \Big/ \sqrt{\textstyle\sum_i s_i^2 \sum_k w_{ijk}^2 + \epsilon}
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, w_dim: int,
                 demodulate: bool = True):
        super().__init__()
        self.affine = EqualizedLinear(w_dim, in_channels, gain=1.0, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.weight_gain = 1 / math.sqrt(in_channels * kernel_size ** 2)
        self.demodulate, self.kernel_size = demodulate, kernel_size

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        s = self.affine(w)
        if self.demodulate:
            # s ← s / √(mean_i s_i²)
            s = s * torch.rsqrt(s.square().mean(dim=1, keepdim=True) + 1e-8)
        weight = self.weight * self.weight_gain
        # y_j = Σ_i w_ij * (s_i x_i)
        out = F.conv2d(x * s[:, :, None, None].to(x.dtype), weight.to(x.dtype), padding=self.kernel_size // 2)
        if self.demodulate:
            # y_j ← d_j y_j,  d_j = 1 / √(Σ_i s_i² Σ_k w_ijk² + ε)
            d = torch.rsqrt(s.square() @ weight.square().sum(dim=(2, 3)).T + 1e-8)
            out = out * d[:, :, None, None].to(out.dtype)
        return out


class MagnitudeNorm(nn.Module):
    r"""Config D's replacement for the skip connections: divide the input of a convolution by
    the running RMS of its values, tracked during training as an exponential moving average

    .. math::  \sigma^2 \leftarrow \beta\,\sigma^2 + (1-\beta)\,\mathbb E[x^2],\qquad x \leftarrow x / \sqrt{\sigma^2}
    """

    def __init__(self, beta: float):
        super().__init__()
        self.beta = beta
        self.register_buffer("magnitude_ema", torch.ones([]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            with torch.no_grad():
                self.magnitude_ema.copy_(self.beta * self.magnitude_ema + (1 - self.beta) * x.detach().float().square().mean())
        return x * self.magnitude_ema.rsqrt().to(x.dtype)


# ------------------------------------------------------------------------------------------
# The nonlinearity, plain (B–E) or filtered (F on).
# ------------------------------------------------------------------------------------------
class ResampledNonlinearity(nn.Module):
    r"""Bias, ×u upsampling with ``up_filter``, leaky ReLU (gain √2), low-pass ``down_filter`` and
    ÷d downsampling, then the centred crop to ``out_size``:

    .. math::  y = \downarrow_d\!\Big(h_\text{down} * \sqrt2\,\phi\big(h_\text{up} * \uparrow_u (x + b)\big)\Big)

    The filtered nonlinearity of config F is u = (max(s_in, s_out)·m)/s_in, d = (max(s_in,
    s_out)·m)/s_out; the plain one (B–E) is u = s_out/s_in, no down filter, d = 1. A filter of
    None is the identity (only with a factor of 1). ``activation="linear"`` drops φ and its gain.
    """

    def __init__(self, channels: int, up: int, up_filter: torch.Tensor | None, down: int,
                 down_filter: torch.Tensor | None, out_size: int, activation: str = "lrelu"):
        super().__init__()
        if activation not in ("lrelu", "linear"):
            raise ValueError(f"activation must be 'lrelu' or 'linear', got {activation!r}")
        self.up, self.down, self.out_size, self.activation = up, down, out_size, activation
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("up_filter", up_filter, persistent=False)
        self.register_buffer("down_filter", down_filter, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.bias.view(1, -1, 1, 1).to(x.dtype)
        # φ is pointwise, so the crop the output needs is taken before it, by the upsampling.
        x = upsample_centred(x, self.up_filter, self.up, self.needed_size(x.shape[-1]))
        gain = 1.0
        if self.activation == "lrelu":
            # φ in place (x is a fresh tensor nothing else keeps); its gain √2 rides on ↓_d
            x, gain = F.leaky_relu(x, LRELU_SLOPE, inplace=True), SQRT2
        if self.down == 1 and self.down_filter is None:
            return x * gain
        return downsample_centred(x, self.down_filter, self.down, self.out_size, gain=gain)

    def needed_size(self, in_size: int) -> int:
        """The centred window of the ×u grid that the output depends on: ``out_size`` without a
        down filter, else the d·M + L − d samples its filter reaches (at most all N·u)."""
        if self.down == 1 and self.down_filter is None:
            return self.out_size
        length = 1 if self.down_filter is None else self.down_filter.shape[0]
        return min(in_size * self.up, self.down * self.out_size + length - self.down)

    def extra_repr(self) -> str:
        taps = lambda f: None if f is None else tuple(f.shape)  # noqa: E731
        return f"up={self.up} {taps(self.up_filter)}, down={self.down} {taps(self.down_filter)}, out={self.out_size}"


class SynthesisLayer(nn.Module):
    """One layer: [magnitude norm] → modulated conv (3×3, 1×1 in R) → [noise, config B] →
    resampled nonlinearity. Input at ``in_spec``, output at ``out_spec`` (see
    :meth:`StyleGAN3Config.layer_specs`)."""

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, kernel_size: int,
                 nonlinearity: ResampledNonlinearity, in_size: int, use_noise: bool,
                 magnitude_beta: float | None):
        super().__init__()
        self.norm = MagnitudeNorm(magnitude_beta) if magnitude_beta is not None else None
        self.conv = ModulatedConv(in_channels, out_channels, kernel_size, w_dim)
        self.noise = NoiseInjection(out_channels) if use_noise else None
        if use_noise:
            g = torch.Generator().manual_seed(in_size * 1000 + out_channels)
            self.register_buffer("noise_const", torch.randn(1, 1, in_size, in_size, generator=g))
        self.nonlinearity = nonlinearity
        self.in_size = in_size

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise_mode: str = "random",
                noise: torch.Tensor | None = None) -> torch.Tensor:
        """``noise``: a [1 or N, 1, in_size, in_size] image to add instead of ``noise_mode``'s
        (config B; ignored by layers without noise inputs)."""
        if self.norm is not None:
            x = self.norm(x)
        x = self.conv(x, w)
        if self.noise is not None and (noise is not None or noise_mode != "none"):
            if noise is None:
                noise = (torch.randn(x.shape[0], 1, *x.shape[2:], device=x.device, dtype=x.dtype)
                         if noise_mode == "random" else self.noise_const)
            x = self.noise(x, noise.to(x.dtype))
        return self.nonlinearity(x)


class ToRGB(nn.Module):
    """Modulated 1×1 convolution to RGB without demodulation, plus a bias; no nonlinearity."""

    def __init__(self, in_channels: int, img_channels: int, w_dim: int):
        super().__init__()
        self.conv = ModulatedConv(in_channels, img_channels, 1, w_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(img_channels))

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return self.conv(x, w) + self.bias.view(1, -1, 1, 1).to(x.dtype)
