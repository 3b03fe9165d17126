"""Low-pass filters by the windowed-sinc method with a Kaiser window, and the centred resampling
StyleGAN3 is built on (zero insertion → FIR filter → decimation, computed as transposed and
strided depthwise convolutions).

Units follow the StyleGAN3 paper: a signal lives on a continuous canvas whose width is 1; its
sampling rate ``s`` is the number of samples across that width, so the Nyquist frequency is s/2.
A filter is described by its cutoff ``f_c`` (the −6 dB point), the half-width ``f_h`` of its
transition band (passband ends at f_c − f_h, stopband starts at f_c + f_h) and the sampling
rate ``fs`` of the signal it is applied to.

Kaiser's design formulas (Kaiser 1974; textbook facts, e.g. Oppenheim & Schafer §7.6) fix the
window's shape β from the attenuation A that a given tap count and transition width allow.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


# ------------------------------------------------------------------------------------------
# Kaiser's formulas.
# ------------------------------------------------------------------------------------------
def kaiser_attenuation(numtaps: int, width: float) -> float:
    r"""Stopband attenuation (dB) a Kaiser-windowed filter of ``numtaps`` taps reaches for a
    transition band of full ``width`` (as a fraction of the Nyquist frequency, i.e. 2·2f_h/fs):

    .. math::  A = 2.285\,(N - 1)\,\pi\,\Delta + 7.95
    """
    return 2.285 * (numtaps - 1) * math.pi * width + 7.95


def kaiser_beta(attenuation: float) -> float:
    r"""Kaiser's shape parameter for an attenuation of A dB:

    .. math::  \beta = \begin{cases} 0.1102\,(A - 8.7) & A > 50 \\
               0.5842\,(A - 21)^{0.4} + 0.07886\,(A - 21) & 21 \le A \le 50 \\
               0 & A < 21 \end{cases}
    """
    a = attenuation
    if a > 50:
        return 0.1102 * (a - 8.7)
    if a >= 21:
        return 0.5842 * (a - 21) ** 0.4 + 0.07886 * (a - 21)
    return 0.0


def kaiser_window(numtaps: int, beta: float, dtype=torch.float64) -> torch.Tensor:
    r"""The Kaiser window over taps k = 0 … N−1:

    .. math::  w[k] = \frac{I_0\!\left(\beta\sqrt{1 - (2k/(N-1) - 1)^2}\right)}{I_0(\beta)}
    """
    if numtaps == 1:
        return torch.ones(1, dtype=dtype)
    k = torch.arange(numtaps, dtype=dtype)
    r = 2 * k / (numtaps - 1) - 1
    return torch.special.i0(beta * torch.sqrt((1 - r * r).clamp_min(0))) / torch.special.i0(
        torch.tensor(beta, dtype=dtype))


# ------------------------------------------------------------------------------------------
# Filter design.
# ------------------------------------------------------------------------------------------
def design_lowpass(numtaps: int, cutoff: float, half_width: float, fs: float) -> torch.Tensor:
    r"""A 1-D low-pass FIR filter by the windowed-sinc method (float32, symmetric, sums to 1).

    With normalised cutoff :math:`\nu = f_c / f_s` (cycles per sample), the ideal low-pass
    impulse response is windowed by a Kaiser window whose β follows from the attenuation that
    ``numtaps`` taps allow across the transition band 2·f_h:

    .. math::  h[k] \propto 2\nu\,\mathrm{sinc}\!\big(2\nu\,(k - \tfrac{N-1}{2})\big)\; w_\beta[k],
               \qquad \textstyle\sum_k h[k] = 1
    """
    _check_design(numtaps, cutoff, half_width, fs)
    beta = kaiser_beta(kaiser_attenuation(numtaps, 4 * half_width / fs))
    nu = cutoff / fs
    k = torch.arange(numtaps, dtype=torch.float64) - (numtaps - 1) / 2
    # h[k] ∝ 2ν sinc(2ν (k − (N−1)/2)) · w_β[k]
    h = 2 * nu * torch.sinc(2 * nu * k) * kaiser_window(numtaps, beta)
    return (h / h.sum()).float()


def design_radial_lowpass(numtaps: int, cutoff: float, half_width: float, fs: float) -> torch.Tensor:
    r"""A 2-D radially symmetric low-pass filter (N×N taps): the ideal disc low-pass (a "jinc")
    windowed by a radial Kaiser window with the β of the 1-D design; StyleGAN3-R's downsampling
    filter.

    The ideal low-pass whose passband is the disc of radius ν = f_c/f_s has impulse response

    .. math::  h(r) = \nu\,\frac{J_1(2\pi\nu r)}{r}\;\; (h(0) = \pi\nu^2),\qquad
               h[k] \propto h(r_k)\, w_\beta\!\big(r_k / \tfrac{N-1}{2}\big),\quad \textstyle\sum h = 1

    where r_k is the distance of tap k from the centre and the window is zero for r > (N−1)/2.
    """
    _check_design(numtaps, cutoff, half_width, fs)
    beta = kaiser_beta(kaiser_attenuation(numtaps, 4 * half_width / fs))
    nu = cutoff / fs
    k = torch.arange(numtaps, dtype=torch.float64) - (numtaps - 1) / 2
    r = torch.sqrt(k[:, None] ** 2 + k[None, :] ** 2)
    safe = torch.where(r > 0, r, torch.ones_like(r))
    # h(r) = ν J1(2πνr) / r, with its limit πν² at r = 0
    h = torch.where(r > 0, nu * torch.special.bessel_j1(2 * math.pi * nu * safe) / safe,
                    torch.full_like(r, math.pi * nu * nu))
    half = max((numtaps - 1) / 2, 1e-9)
    rho = (r / half).clamp(max=1.0)
    window = torch.special.i0(beta * torch.sqrt(1 - rho * rho)) / torch.special.i0(torch.tensor(beta, dtype=r.dtype))
    h = h * torch.where(r <= half, window, torch.zeros_like(r))
    return (h / h.sum()).float()


def frequency_response(taps: torch.Tensor, fs: float, n_fft: int = 4096) -> tuple[torch.Tensor, torch.Tensor]:
    """|H(f)| of a 1-D filter at frequencies 0 … fs/2 (in the filter's units), by a padded FFT."""
    mag = torch.fft.rfft(taps.double(), n=n_fft).abs()
    freqs = torch.arange(mag.numel(), dtype=torch.float64) * fs / n_fft
    return freqs, mag


def _check_design(numtaps, cutoff, half_width, fs) -> None:
    if not isinstance(numtaps, int) or numtaps < 1:
        raise ValueError(f"numtaps must be a positive integer, got {numtaps!r}")
    if not fs > 0:
        raise ValueError(f"sampling rate fs must be positive, got {fs}")
    if not 0 < cutoff <= fs / 2:
        raise ValueError(f"cutoff must be in (0, fs/2] = (0, {fs / 2:g}], got {cutoff:g}")
    if not half_width > 0:
        raise ValueError(f"transition half-width must be positive, got {half_width:g}")


def taps_for(n_per_unit: int, factor: int) -> int:
    """The tap count of a filter working at ``factor``× a signal's rate: n taps per sample of the
    lower rate (the paper's n = 6), made to have the parity of ``factor`` so that the filtered
    grid stays centred on the canvas (see :func:`upsample_centred`)."""
    numtaps = n_per_unit * factor
    return numtaps + 1 if (numtaps - factor) % 2 else numtaps


# ------------------------------------------------------------------------------------------
# Resampling: zero insertion, FIR filter, decimation — computed without forming the zeros.
# ------------------------------------------------------------------------------------------
def _passes(f: torch.Tensor, x: torch.Tensor) -> list[tuple[torch.Tensor, tuple[int, int]]]:
    """The depthwise kernels [C, 1, kh, kw] that apply ``f`` to each channel of ``x``, each with the
    axes (rows, columns) it works on: a 1-D filter is separable (rows, then columns), a 2-D one
    works on both at once."""
    f = f.to(device=x.device, dtype=x.dtype)
    c = x.shape[1]
    if f.ndim == 2:
        return [(f[None, None].expand(c, 1, -1, -1), (1, 1))]
    return [(f.view(1, 1, -1, 1).expand(c, 1, -1, 1), (1, 0)), (f.view(1, 1, 1, -1).expand(c, 1, 1, -1), (0, 1))]


class _Decimate(torch.autograd.Function):
    r"""The depthwise strided correlation with kernel h and zero padding p,
    :math:`y[q] = \sum_k h[k]\, x[d\,q + k - p]` (``F.conv2d``), whose gradient is its adjoint, the
    transposed convolution with the same kernel:

    .. math::  \frac{\partial L}{\partial x[n]} = \sum_q h[n + p - d\,q]\; \frac{\partial L}{\partial y[q]}

    computed by ``F.conv_transpose2d``: PyTorch's own CPU backward of a depthwise convolution is
    many times slower than either forward. The kernel is a fixed filter (it gets no gradient); the
    backward is itself differentiable.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, kernel: torch.Tensor, stride: tuple[int, int],
                padding: tuple[int, int]) -> torch.Tensor:
        ctx.save_for_backward(kernel)
        ctx.stride, ctx.padding, ctx.size = stride, padding, x.shape[-2:]
        return F.conv2d(x, kernel, stride=stride, padding=padding, groups=x.shape[1])

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (kernel,) = ctx.saved_tensors
        # Samples past the last full window get no gradient from y: extend the adjoint to x's size.
        extra = [n - (m - 1) * s + 2 * p - k for n, m, s, p, k in
                 zip(ctx.size, grad.shape[-2:], ctx.stride, ctx.padding, kernel.shape[-2:])]
        grad = F.conv_transpose2d(grad, kernel, stride=ctx.stride, padding=ctx.padding, output_padding=extra,
                                  groups=grad.shape[1])
        return grad, None, None, None


def upsample_centred(x: torch.Tensor, f: torch.Tensor | None, up: int, size: int | None = None) -> torch.Tensor:
    r"""Upsample a centred grid of N samples to the centred grid of N·u samples of the same canvas:
    insert u − 1 zeros after every sample, filter with ``f``, gain u per axis (restoring the DC
    level zero insertion divides by u). ``f`` is 1-D (separable: rows, then columns) or 2-D.
    ``size``: compute only the centred window of that many samples (default N·u).

    Sample i of the input lies at fractional index u·i + (u−1)/2 of the output grid; the filter's
    centre is (L−1)/2 taps in, so the padding (before the 'valid' filter) that aligns the grids is

    .. math::  p_0 = \frac{L + u - 2}{2},\qquad p_1 = L - 1 - p_0

    The zeros are never formed: per axis, zero insertion and the filter are the transposed
    convolution of stride u (the polyphase form), cropped by P = p₁ = (L − u)/2 on both sides, plus
    the margin c = (N·u − size)/2 of the window:

    .. math::  y[m] = u \sum_i f[m + P + c - u\,i]\; x[i]
    """
    size = x.shape[-1] * up if size is None else size
    if f is None:
        if up == 1:
            return crop_centred(x, size)
        raise ValueError(f"×{up} upsampling needs an interpolation filter (zero insertion alone aliases)")
    length = f.shape[0]
    if (length + up) % 2:
        raise ValueError(f"an upsampling filter of {length} taps cannot keep a ×{up} grid centred; "
                         f"use a tap count with the parity of {up}")
    twice_margin = x.shape[-1] * up - size
    if twice_margin < 0 or twice_margin % 2:
        raise ValueError(f"cannot take a centred {size}² window from {x.shape[-1] * up}²")
    p = (length - up) // 2 + twice_margin // 2
    for kernel, (rows, cols) in _passes(f, x):
        # y[m] = u Σ_i f[m + P + c − u i] x[i]  along each axis the kernel works on
        x = F.conv_transpose2d(x, kernel * up ** (rows + cols), stride=(up ** rows, up ** cols),
                               padding=(p * rows, p * cols), groups=x.shape[1])
    return x


def downsample_centred(x: torch.Tensor, f: torch.Tensor | None, down: int, out_size: int,
                       gain: float = 1.0) -> torch.Tensor:
    r"""Filter and decimate a centred grid of N samples to the centred grid of ``out_size``
    samples at 1/d the rate (cropping a margin when the output canvas is smaller), times ``gain``.
    ``f`` is 1-D (separable: rows, then columns), 2-D, or None (plain decimation).

    Output sample q lies at index d·q + (d−1)/2 + o of the input, o = (N − d·M)/2 the centred
    crop; aligning the filter's centre there gives the zero padding (negative: a crop) of x̃,

    .. math::  p_0 = \frac{L - d}{2} - o,\qquad p_1 = d\,(M - 1) + L - N - p_0 = p_0

    and then, along each axis, the strided convolution

    .. math::  y[q] = \text{gain}\cdot\sum_k f[L - 1 - k]\; \tilde x[d\,q + k]
    """
    size = x.shape[-1]
    length = 1 if f is None else f.shape[0]
    twice_offset = size - down * out_size
    if twice_offset < 0 or twice_offset % 2 or (length - down) % 2:
        raise ValueError(f"cannot take a centred {out_size}-sample grid at 1/{down} the rate from "
                         f"{size} samples with a {length}-tap filter (sizes or tap parity do not match)")
    p = (length - down) // 2 - twice_offset // 2      # p0 = p1
    if p < 0:
        x = x[..., -p:size + p, -p:size + p]
    if f is None:
        return x[..., ::down, ::down] * gain
    p = max(p, 0)
    for i, (kernel, (rows, cols)) in enumerate(_passes(f.flip(list(range(f.ndim))), x)):
        # y[q] = gain · Σ_k f[L − 1 − k] x̃[d q + k]  along each axis the kernel works on
        x = _Decimate.apply(x, kernel * gain if i == 0 else kernel, (down ** rows, down ** cols), (p * rows, p * cols))
    return x


def crop_centred(x: torch.Tensor, size: int) -> torch.Tensor:
    """The centred size×size window of the last two axes (sizes must differ by an even number)."""
    h = x.shape[-1]
    if (h - size) % 2 or size > h:
        raise ValueError(f"cannot crop a centred {size}² window from {h}²")
    o = (h - size) // 2
    return x[..., o:o + size, o:o + size]
