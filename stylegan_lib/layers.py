"""The building blocks of StyleGAN, each with its equation.

Everything here is shared by the mapping network, the synthesis network (style-based and
traditional) and the discriminator. Tensors are NCHW; images live in [-1, 1].
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

SQRT2 = math.sqrt(2.0)
LRELU_SLOPE = 0.2
INSTANCE_NORM_EPS = 1e-8

#: The feature maps' memory layout in G and D, set once where a network's input comes in and
#: kept by every layer after it. Channels-last lets oneDNN use its fast CPU kernels: measured on
#: a 2-core EPYC at 1024², the transposed convolution is 3.2× faster, the 3×3 convolution 2×,
#: the blur 2.8×, ToRGB 8× (benchmarks/generator.md). The numbers are the same up to float
#: rounding; the images G returns are in the usual contiguous layout.
ACTIVATION_FORMAT = torch.channels_last


def activation_layout(x: torch.Tensor) -> torch.Tensor:
    """x in :data:`ACTIVATION_FORMAT` (a copy only where the layout differs)."""
    return x.contiguous(memory_format=ACTIVATION_FORMAT)


# ------------------------------------------------------------------------------------------
# Equalised learning rate (ProGAN §4.1, StyleGAN appendix C).
# ------------------------------------------------------------------------------------------
class EqualizedLinear(nn.Module):
    r"""A fully connected layer with an equalised learning rate.

    The weight is *stored* as :math:`\hat w \sim \mathcal N(0, 1/\lambda)` and *used* as

    .. math::  w = \hat w \cdot \frac{g}{\sqrt{n_\text{in}}} \cdot \lambda, \qquad
               b = \hat b \cdot \lambda

    with gain :math:`g` (√2 before a leaky ReLU, 1 for the style affine "A" and linear outputs)
    and learning-rate multiplier :math:`\lambda` (0.01 in the mapping network). Adam's update
    size does not depend on the scale of a parameter, so scaling at run time instead of at
    initialisation makes every layer learn at the same speed.
    """

    def __init__(self, in_features: int, out_features: int, gain: float = SQRT2,
                 lr_mul: float = 1.0, bias: bool = True, bias_init: float = 0.0,
                 activation: str = "linear"):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.activation = _check_activation(activation)
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_mul)
        self.bias = nn.Parameter(torch.full([out_features], float(bias_init))) if bias else None
        self.weight_gain = gain / math.sqrt(in_features) * lr_mul
        self.bias_gain = lr_mul

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """y = act(x · (ŵ · g/√n_in · λ)ᵀ + b̂ · λ)"""
        b = self.bias * self.bias_gain if self.bias is not None else None
        return _act(F.linear(x, self.weight * self.weight_gain, b), self.activation)

    def extra_repr(self) -> str:
        return (f"in={self.in_features}, out={self.out_features}, "
                f"weight_gain={self.weight_gain:.4g}, bias_gain={self.bias_gain:g}, act={self.activation}")


class EqualizedConv2d(nn.Module):
    r"""A k×k convolution with an equalised learning rate and optional 2× resampling.

    The run-time weight is :math:`w = \hat w \cdot g / \sqrt{k^2 C_\text{in}}`.

    ``resample``:

    * ``None`` – 'same' convolution;
    * ``"up"`` – 2× upsampling then convolution: nearest-neighbour + conv, or, with
      ``fused=True``, one stride-2 transposed convolution whose 4×4 kernel is the 3×3 kernel
      padded and summed over its four shifts — as the release computes it, this equals
      nearest upsampling + conv with the kernel flipped in space (same function class, cheaper);
    * ``"down"`` – convolution then 2×2 average pooling, or, ``fused=True``, one stride-2
      convolution with the 3×3 kernel padded and averaged over its four shifts.

    The official networks fuse from 128² on.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, gain: float = SQRT2,
                 bias: bool = False, activation: str = "linear", resample: str | None = None,
                 fused: bool = False, lr_mul: float = 1.0):
        super().__init__()
        if resample not in (None, "up", "down"):
            raise ValueError(f"resample must be None, 'up' or 'down', got {resample!r}")
        if fused and resample is None:
            raise ValueError("fused=True needs resample='up' or 'down'")
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel_size
        self.resample, self.fused = resample, fused
        self.activation = _check_activation(activation)
        self.weight = nn.Parameter(
            torch.randn(out_channels, in_channels, kernel_size, kernel_size) / lr_mul)
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.weight_gain = gain / math.sqrt(in_channels * kernel_size**2) * lr_mul
        self.bias_gain = lr_mul

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight * self.weight_gain
        pad = self.kernel_size // 2
        if self.resample == "up" and self.fused:
            # Transposed conv with stride 2; weight layout [in, out, k+1, k+1].
            x = F.conv_transpose2d(x, _sum_shifts(w.transpose(0, 1)), stride=2, padding=pad)
        elif self.resample == "down" and self.fused:
            x = F.conv2d(x, _sum_shifts(w) * 0.25, stride=2, padding=pad)
        else:
            if self.resample == "up":
                x = upsample2d(x)
            x = F.conv2d(x, w, padding=pad)
            if self.resample == "down":
                x = downsample2d(x)
        if self.bias is not None:
            x = x + (self.bias * self.bias_gain).view(1, -1, 1, 1)
        return _act(x, self.activation)

    def extra_repr(self) -> str:
        return (f"{self.in_channels}->{self.out_channels}, k={self.kernel_size}, "
                f"resample={self.resample}, fused={self.fused}, weight_gain={self.weight_gain:.4g}, "
                f"act={self.activation}")


def _sum_shifts(w: torch.Tensor) -> torch.Tensor:
    """Pad a k×k kernel by one and add its four one-pixel shifts: a (k+1)×(k+1) kernel."""
    w = F.pad(w, [1, 1, 1, 1])
    return w[..., 1:, 1:] + w[..., :-1, 1:] + w[..., 1:, :-1] + w[..., :-1, :-1]


# ------------------------------------------------------------------------------------------
# Resampling.
# ------------------------------------------------------------------------------------------
def upsample2d(x: torch.Tensor, factor: int = 2) -> torch.Tensor:
    """Nearest-neighbour upsampling: every pixel becomes a factor×factor block (in the input's
    memory format)."""
    if factor == 1:
        return x
    return F.interpolate(x, scale_factor=factor, mode="nearest")


def downsample2d(x: torch.Tensor, factor: int = 2) -> torch.Tensor:
    """Box downsampling: the mean of each factor×factor block."""
    if factor == 1:
        return x
    return F.avg_pool2d(x, factor)


class Blur(nn.Module):
    r"""Low-pass filter applied after upsampling and before downsampling (config B's
    "bilinear up/downsampling"):

    .. math::  f = \frac{1}{16}\begin{bmatrix}1&2&1\\2&4&2\\1&2&1\end{bmatrix} = \frac{[1,2,1]^\top[1,2,1]}{16}

    applied to every channel separately with zero padding ('same' size).
    """

    def __init__(self, taps=(1, 2, 1)):
        super().__init__()
        f = torch.tensor(taps, dtype=torch.float32)
        f = f[:, None] * f[None, :]
        self.register_buffer("kernel", (f / f.sum())[None, None], persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = x.shape[1]
        k = self.kernel.to(x.dtype).expand(c, 1, -1, -1)
        return F.conv2d(x, k, padding=self.kernel.shape[-1] // 2, groups=c)


# ------------------------------------------------------------------------------------------
# Normalisations and modulation.
# ------------------------------------------------------------------------------------------
def pixel_norm(x: torch.Tensor, dim: int = 1, eps: float = 1e-8) -> torch.Tensor:
    r"""Pixel-wise feature normalisation (ProGAN): :math:`x / \sqrt{\tfrac1C\sum_c x_c^2 + \epsilon}`.

    Applied to z before the mapping network, and after each convolution in the traditional
    generator of Figure 1a.
    """
    return x * torch.rsqrt(x.square().mean(dim=dim, keepdim=True) + eps)


def instance_norm(x: torch.Tensor, eps: float = INSTANCE_NORM_EPS) -> torch.Tensor:
    r"""Instance normalisation, each feature map on its own:

    .. math::  \text{norm}(x_i) = \frac{x_i - \mu(x_i)}{\sqrt{\sigma^2(x_i) + \epsilon}}

    with mean and variance over the H×W positions of channel i of one image.
    """
    x = x - x.mean(dim=(2, 3), keepdim=True)
    return x * torch.rsqrt(x.square().mean(dim=(2, 3), keepdim=True) + eps)


def adain(x: torch.Tensor, y_s: torch.Tensor, y_b: torch.Tensor, eps: float = INSTANCE_NORM_EPS) -> torch.Tensor:
    r"""Adaptive instance normalisation, the paper's Eq. 1, in the release's form:

    .. math::  \text{AdaIN}(x_i, y) = \text{norm}(x_i)\,(y_{s,i} + 1) + y_{b,i}

    The +1 lets a zero-initialised style start as the identity. After AdaIN, channel i of every
    image has mean y_b,i and standard deviation |y_s,i + 1|: the style sets the statistics.
    """
    return instance_norm(x, eps) * (y_s + 1).view(*y_s.shape, 1, 1) + y_b.view(*y_b.shape, 1, 1)


class StyleModulation(nn.Module):
    """"A" in Figure 1b: a learned affine map w -> y = (y_s, y_b), one scale and bias per channel,
    then the modulation x·(y_s + 1) + y_b of already-normalised feature maps."""

    def __init__(self, w_dim: int, channels: int):
        super().__init__()
        self.affine = EqualizedLinear(w_dim, 2 * channels, gain=1.0)

    def styles(self, w: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """y = A(w) split into (y_s, y_b), each [N, C]."""
        y = self.affine(w)
        return y.chunk(2, dim=1)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        """x · (y_s + 1) + y_b for instance-normalised x."""
        y_s, y_b = self.styles(w)
        return x * (y_s + 1)[:, :, None, None] + y_b[:, :, None, None]


class NoiseInjection(nn.Module):
    r""""B" in Figure 1b: add a single-channel N(0, 1) noise image, scaled per channel by a learned
    strength initialised to zero:

    .. math::  x_i \leftarrow x_i + B_i \cdot n,\qquad n \sim \mathcal N(0, 1)^{1\times H\times W}
    """

    def __init__(self, channels: int):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        return x + noise * self.weight.view(1, -1, 1, 1)


class MinibatchStdDev(nn.Module):
    """Minibatch standard deviation (ProGAN §3): lets D see how varied a group of images is.

    Split the batch into groups of ``group_size``; in each group compute the standard deviation
    of every feature at every position, average it over channels and positions, and append that
    number as ``num_features`` extra constant feature maps. Image i joins group i mod (N/G).
    """

    def __init__(self, group_size: int = 4, num_features: int = 1):
        super().__init__()
        self.group_size, self.num_features = group_size, num_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        g = min(self.group_size, n)
        if n % g:
            raise ValueError(
                f"minibatch std: batch size {n} is not divisible by the group size {g}; "
                f"use a batch size that is a multiple of {g} (or set mbstd_group_size)")
        f = self.num_features
        y = x.reshape(g, n // g, f, c // f, h, w)  # [G, M, F, c, H, W]
        y = y - y.mean(dim=0)                                  # deviation from the group mean
        y = torch.sqrt(y.square().mean(dim=0) + 1e-8)          # std over the group  [M, F, c, H, W]
        y = y.mean(dim=(2, 3, 4))                              # one number per feature group [M, F]
        y = y.reshape(-1, f, 1, 1).repeat(g, 1, h, w)          # back to [N, F, H, W]
        return torch.cat([x, y], dim=1)


# ------------------------------------------------------------------------------------------
def _check_activation(name: str) -> str:
    if name not in ("linear", "lrelu"):
        raise ValueError(f"activation must be 'linear' or 'lrelu', got {name!r}")
    return name


def _act(x: torch.Tensor, name: str) -> torch.Tensor:
    """Leaky ReLU with slope 0.2 (its √2 gain lives in the next layer's weight scale)."""
    return F.leaky_relu(x, LRELU_SLOPE) if name == "lrelu" else x


def lerp(a, b, t):
    """Linear interpolation from a (t = 0) to b (t = 1): the path used in W, the truncation
    trick's pull towards w̄, the fade-in of progressive growing.

    lerp(a, b; t) = a + (b − a) · t
    """
    return a + (b - a) * t
