r"""The layers StyleGAN2 adds: modulated convolution with weight demodulation (the paper's §2.2,
Eq. 1–3) in place of AdaIN, the [1,3,3,1] resampling filter, a synthesis layer and the
modulated ToRGB of the "skip" generator.

Conventions of StyleGAN2 (different from this library's StyleGAN1 code): every weight has the
equalised-lr gain :math:`1/\sqrt{\text{fan in}}` and the activation carries the gain instead,
:math:`\phi(x) = \sqrt2\,\operatorname{lrelu}_{0.2}(x)`.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..layers import SQRT2, LRELU_SLOPE, Blur, EqualizedLinear, NoiseInjection, downsample2d, upsample2d

NOISE_MODES = ("random", "const", "none")
DEMOD_EPS = 1e-8


def lrelu_agc(x: torch.Tensor) -> torch.Tensor:
    r"""Leaky ReLU with its gain: :math:`\phi(x) = \sqrt2 \cdot \max(x, 0.2x)`, which keeps the
    second moment of a unit Gaussian's activations near 1."""
    return F.leaky_relu(x, LRELU_SLOPE) * SQRT2


# ------------------------------------------------------------------------------------------
# Resampling with the [1, 3, 3, 1] filter.
# ------------------------------------------------------------------------------------------
class Upsample(nn.Module):
    r"""2× upsampling with the separable filter :math:`[1,3,3,1]/4` per axis (bilinear):

    .. math::  y_{2i} = \tfrac14(x_{i-1} + 3x_i), \qquad y_{2i+1} = \tfrac14(3x_i + x_{i+1})

    This is nearest-neighbour upsampling followed by the :math:`[1,2,1]/4` blur of StyleGAN1,
    because :math:`[1,1] * [1,2,1] = [1,3,3,1]`; both are reused from ``stylegan_lib.layers``.
    """

    def __init__(self):
        super().__init__()
        self.blur = Blur((1, 2, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.blur(upsample2d(x))


class Downsample(nn.Module):
    r"""2× downsampling with the :math:`[1,3,3,1]/8` filter per axis:

    .. math::  y_i = \tfrac18(x_{2i-1} + 3x_{2i} + 3x_{2i+1} + x_{2i+2})

    — the :math:`[1,2,1]/4` blur, then the mean of each 2×2 block (:math:`[1,2,1]*[1,1]=[1,3,3,1]`).
    """

    def __init__(self):
        super().__init__()
        self.blur = Blur((1, 2, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return downsample2d(self.blur(x))


# ------------------------------------------------------------------------------------------
# Modulation and demodulation (StyleGAN2 §2.2).
# ------------------------------------------------------------------------------------------
def modulate(weight: torch.Tensor, styles: torch.Tensor) -> torch.Tensor:
    r"""Scale the input channels of a shared weight by each sample's style (Eq. 1):

    .. math::  w'_{ijk} = s_i \cdot w_{ijk}

    weight [O, I, k, k] (j = output, i = input, k = position), styles [N, I] → [N, O, I, k, k].
    """
    return weight[None] * styles[:, None, :, None, None]


def demodulate(weight: torch.Tensor, eps: float = DEMOD_EPS) -> torch.Tensor:
    r"""Rescale every output channel of modulated weights [N, O, I, k, k] to unit norm (Eq. 3):

    .. math::  w''_{ijk} = w'_{ijk} \Big/ \sqrt{\textstyle\sum_{i,k} {w'_{ijk}}^2 + \epsilon}

    so that unit-variance inputs give unit-variance outputs (Eq. 2) — the statistics AdaIN
    enforced by normalising the data, now assumed of the weights instead.
    """
    return weight * torch.rsqrt(weight.square().sum(dim=(2, 3, 4), keepdim=True) + eps)


def modulated_conv2d(x: torch.Tensor, weight: torch.Tensor, styles: torch.Tensor,
                     demodulate_weights: bool = True, fused: bool = True,
                     eps: float = DEMOD_EPS) -> torch.Tensor:
    r"""A 'same' convolution of x [N, I, H, W] whose weight [O, I, k, k] is modulated by styles
    [N, I] and (optionally) demodulated, each sample with its own weights.

    ``fused=True``: the N weight sets are stacked into one grouped convolution,
    :math:`[N \cdot O, I, k, k]` over the input viewed as :math:`[1, N \cdot I, H, W]` with N groups.

    ``fused=False``: the same function with a shared weight — scale the activations instead,

    .. math::  y_j = \frac{1}{\sigma_j}\sum_{i,k} w_{ijk}\,(s_i x_i), \qquad
               \sigma_j = \sqrt{\textstyle\sum_i s_i^2 \sum_k w_{ijk}^2 + \epsilon}
    """
    n, c, h, w = x.shape
    out_c, in_c, kh, kw = weight.shape
    if c != in_c or styles.shape != (n, in_c):
        raise ValueError(f"modulated conv: x {list(x.shape)}, weight {list(weight.shape)} and styles "
                         f"{list(styles.shape)} do not fit (need x [N, {in_c}, H, W], styles [N, {in_c}])")
    pad = kh // 2
    if fused:
        wts = modulate(weight, styles)
        if demodulate_weights:
            wts = demodulate(wts, eps)
        y = F.conv2d(x.reshape(1, n * c, h, w), wts.reshape(n * out_c, in_c, kh, kw), padding=pad, groups=n)
        return y.reshape(n, out_c, *y.shape[2:])
    y = F.conv2d(x * styles[:, :, None, None], weight, padding=pad)
    if demodulate_weights:
        sigma_inv = torch.rsqrt(styles.square() @ weight.square().sum(dim=(2, 3)).t() + eps)  # [N, O]
        y = y * sigma_inv[:, :, None, None]
    return y


class ModulatedConv2d(nn.Module):
    r"""A k×k convolution modulated by w: the style :math:`s = A(w)` (a learned affine map, "A"
    in Figure 2, bias initialised to 1 so every channel starts unscaled), the weight with the
    equalised-lr gain :math:`1/\sqrt{I k^2}`, demodulation on or off.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, w_dim: int,
                 demodulate: bool = True, fused: bool = True):
        super().__init__()
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel_size
        self.demodulate, self.fused = demodulate, fused
        self.affine = EqualizedLinear(w_dim, in_channels, gain=1.0, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, kernel_size, kernel_size))
        self.weight_gain = 1 / math.sqrt(in_channels * kernel_size**2)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """x [N, I, H, W], w [N, w_dim] → [N, O, H, W]."""
        styles = self.affine(w)
        return modulated_conv2d(x, self.weight * self.weight_gain, styles, self.demodulate, self.fused)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}->{self.out_channels}, k={self.kernel_size}, "
                f"demodulate={self.demodulate}, fused={self.fused}")


# ------------------------------------------------------------------------------------------
# The layers of the synthesis network.
# ------------------------------------------------------------------------------------------
class SynthesisLayer(nn.Module):
    r"""One layer of the StyleGAN2 generator (Figure 2d):

    .. math::  x \leftarrow \phi\big(\operatorname{modconv}_{3\times3}(\operatorname{up}(x), A(w))
               + B\,n + b\big), \qquad n \sim \mathcal N(0, 1)^{1\times H\times W}

    with optional 2× upsampling by the [1,3,3,1] filter before the convolution, a single
    learned noise strength B per layer (initialised to 0), a bias and :math:`\phi` = lrelu·√2.
    There is no normalisation of the activations: demodulation replaced it.
    """

    def __init__(self, in_channels: int, out_channels: int, w_dim: int, resolution: int,
                 up: bool = False, use_noise: bool = True, demodulate: bool = True, fused: bool = True):
        super().__init__()
        self.resolution = resolution
        self.up = Upsample() if up else None
        self.conv = ModulatedConv2d(in_channels, out_channels, 3, w_dim, demodulate, fused)
        self.noise = NoiseInjection(1) if use_noise else None  # one strength for all channels
        if use_noise:
            self.register_buffer("noise_const", torch.randn(1, 1, resolution, resolution))
        else:
            self.noise_const = None
        self.bias = nn.Parameter(torch.zeros(out_channels))

    def noise_image(self, x: torch.Tensor, noise_mode: str, noise: torch.Tensor | None):
        """This layer's noise: the given image, fresh N(0, 1), the stored image, or none."""
        if self.noise is None:
            return None
        n, _, h, w = x.shape
        if noise is not None:
            if noise.ndim != 4 or noise.shape[1] != 1 or noise.shape[2:] != (h, w) or noise.shape[0] not in (1, n):
                raise ValueError(f"noise for a {h}x{w} layer must have shape [1 or {n}, 1, {h}, {w}], "
                                 f"got {list(noise.shape)}")
            return noise.to(x.dtype)
        if noise_mode == "random":
            return torch.randn(n, 1, h, w, device=x.device, dtype=x.dtype)
        if noise_mode == "const":
            return self.noise_const.to(x.dtype)
        return None

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise_mode: str = "random",
                noise: torch.Tensor | None = None) -> torch.Tensor:
        if self.up is not None:
            x = self.up(x)
        x = self.conv(x, w)
        n = self.noise_image(x, noise_mode, noise)
        if n is not None:
            x = self.noise(x, n)
        return lrelu_agc(x + self.bias.view(1, -1, 1, 1))


class ToRGB(nn.Module):
    r"""The output layer of every resolution: a modulated 1×1 convolution *without*
    demodulation (the colours must keep their scale) plus a bias, linear:

    .. math::  \text{rgb} = \operatorname{modconv}_{1\times1}(x, A(w)) + b
    """

    def __init__(self, in_channels: int, img_channels: int, w_dim: int, fused: bool = True):
        super().__init__()
        self.conv = ModulatedConv2d(in_channels, img_channels, 1, w_dim, demodulate=False, fused=fused)
        self.bias = nn.Parameter(torch.zeros(img_channels))

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return self.conv(x, w) + self.bias.view(1, -1, 1, 1)


__all__ = ["NOISE_MODES", "lrelu_agc", "Upsample", "Downsample", "modulate", "demodulate",
           "modulated_conv2d", "ModulatedConv2d", "SynthesisLayer", "ToRGB"]
