"""The configuration of a book-scale StyleGAN3 and the paper's configuration ladder B … R.

Presets are ``sg3-SCALE`` or ``sg3-SCALE/config-X``; a bare scale is ``config-T``
(StyleGAN3-T). Scales: ``sg3-book-32`` (32², the channels of StyleGAN1's ``book-32``: 128 at
cutoffs ≤ 4, 64 above, 128-d latents), ``sg3-book-16`` (16², the same channel rule, 6 layers:
the CPU ladder) and ``sg3-tiny-16`` (16², for tests).

==========  ===================================================================================
config-B    StyleGAN2-like layers (one at 4², two per further resolution, skip ToRGBs, noise,
            bilinear [1,3,3,1] upsampling, 'same' zero padding) fed by Fourier features
config-C    + no noise inputs
config-D    + simplified generator: 2 mapping layers, no skip ToRGBs (one final ToRGB),
            each convolution's input divided by the EMA of its RMS; no mixing and no path length
            regularisation (B and C keep StyleGAN2's: mixing 90 %, γ_pl = 2)
config-E    + boundaries & upsampling: a 10-pixel margin around every feature map, cropped after
            each layer; Kaiser-windowed sinc upsampling, critical: f_c = s/2, f_h = (√2−1)·s/2
config-F    + filtered nonlinearities: ×m up → leaky ReLU → low-pass → ↓ (m = 2)
config-G    + non-critical sampling: f_c = s/2 − f_h except at the output resolution;
            channels ∝ 1/f_c instead of 1/s
config-H    + transformed Fourier features (rotation + translation predicted from w, identity
            at initialisation)
config-T    + flexible layers: ``num_layers`` layers (14 in the paper) whose cutoff grows
            geometrically from 2 to res/2, stopband from 2^2.1 to (res/2)·2^0.3, the last two
            critically sampled, s = the smallest power of two ≥ 2·f_t, f_h = max(f_t, s/2) − f_c
config-R    + rotation equivariance: 1×1 convolutions, twice the channels, radially symmetric
            (jinc) downsampling filters except in the two critically sampled layers
==========  ===================================================================================

Two controls that the paper does not have split D's changes for the book's question (which step
entangles W): ``config-C-map2`` is C with D's 2-layer mapping network only, ``config-C-noreg`` is C
without mixing and path length regularisation only.

Config A (StyleGAN2 itself) is the ``stylegan_lib.stylegan2`` generator (``sg2-…`` presets);
it is not repeated here. Where this ladder departs from the paper, the docstring of the field
says so (see also :mod:`stylegan_lib.stylegan3`).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from ..config import ConfigBase, check_preset_type, parse_preset, preset_names_of

#: The tag ``to_dict`` writes, so a saved config says which generation it describes.
GENERATION = "stylegan3"
LADDER = ("B", "C", "D", "E", "F", "G", "H", "T", "R")


@dataclass(frozen=True)
class StyleGAN3Config(ConfigBase):
    """Everything that fixes the architecture of a StyleGAN3 generator (one rung of the ladder).

    Channels of a layer: ``clamp(round(channel_base / f), channel_min, channel_max)`` with f the
    layer's sampling Nyquist s/2 (configs B–F, i.e. ∝ 1/s as in StyleGAN2) or its cutoff f_c
    (config G on: "inversely proportional to f_c").
    """

    img_resolution: int = 32
    img_channels: int = 3
    z_dim: int = 128
    w_dim: int = 128
    # Mapping network (StyleGAN1's, reused; 2 layers from config D on).
    mapping_layers: int = 2
    mapping_fmaps: int = 128
    mapping_lr_mul: float = 0.01
    w_avg_beta: float = 0.995
    # Channels.
    channel_base: int = 512
    channel_max: int = 128
    channel_min: int = 64
    # The ladder's switches.
    use_noise: bool = False            # B only
    skip_torgb: bool = False           # B, C: one ToRGB per resolution, summed (StyleGAN2 "skip")
    magnitude_norm: bool = True        # D on: divide each conv input by the EMA of its RMS
    margin: int = 10                   # E on: pixels of canvas kept around every feature map
    sinc_upsampling: bool = True       # E on: Kaiser-windowed sinc instead of bilinear [1,3,3,1]
    filtered_nonlinearity: bool = True  # F on: leaky ReLU at m× the rate between low-pass filters
    critical_sampling: bool = False    # E, F: f_c = s/2 everywhere; G on: only at the output
    transformed_fourier: bool = True   # H on: rotation/translation of the input from w
    flexible_layers: bool = True       # T on: the geometric schedule of the paper's Figure 4c
    rotation_equivariant: bool = False  # R: 1×1 convs, 2× channels, radial down filters
    # Filters and the flexible schedule (the paper's defaults, marked * in its ablation).
    num_layers: int = 8                # T, R: layers of the schedule (14 in the paper at any res)
    num_critical: int = 2              # T, R: the last layers are critically sampled
    filter_taps: int = 6               # n: taps per sample of the lower rate
    nonlinearity_up: int = 2           # m
    first_cutoff: float = 2.0          # f_c,0 (also the band of the Fourier features)
    first_stopband: float = 2 ** 2.1   # f_t,0
    last_stopband_rel: float = 2 ** 0.3  # f_t,N = f_c,N · this
    magnitude_ema_beta: float = 0.999  # our choice: the paper gives no value in REFERENCE.md
    style_mixing_prob: float = 0.0     # D on: mixing regularisation disabled
    pl_weight: float = 0.0             # D on: path length regularisation disabled (B, C: 2, as StyleGAN2)
    #   (its lengths average |J^T y|² over every style input, the Fourier input's too, which B and C
    #   do not use: their logged pl_mean is about √((n−1)/n) of a StyleGAN2 of n inputs)
    label: str = "T"

    def __post_init__(self):
        r = self.img_resolution
        if not isinstance(r, int) or r < 8 or r > 1024 or r & (r - 1):
            raise ValueError(f"img_resolution must be a power of two from 8 to 1024, got {r!r}")
        for name in ("z_dim", "w_dim", "mapping_fmaps", "channel_base", "channel_max", "channel_min",
                     "num_layers", "filter_taps", "nonlinearity_up"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        if self.margin < 0:
            raise ValueError(f"margin must be >= 0, got {self.margin}")
        if not 0 <= self.num_critical < self.num_layers:
            raise ValueError(f"num_critical must be in [0, num_layers), got {self.num_critical}")
        if self.filtered_nonlinearity and not self.sinc_upsampling:
            raise ValueError("filtered nonlinearities (config F on) need the sinc filters of config E")
        if self.flexible_layers and not self.filtered_nonlinearity:
            raise ValueError("flexible layers (config T) are defined for filtered nonlinearities (F on)")
        if self.rotation_equivariant and not self.flexible_layers:
            raise ValueError("config R builds on config T: set flexible_layers=True")
        if self.mapping_layers == 0 and self.z_dim != self.w_dim:
            raise ValueError("with mapping_layers=0, w is the normalised z: z_dim must equal w_dim")

    # -- the layer plan -----------------------------------------------------------------------
    @property
    def num_ws(self) -> int:
        """One w for the input (its transform), one per layer, one for the final ToRGB."""
        return len(self.layer_specs()) + 1

    def channels(self, f: float) -> int:
        k = 2 if self.rotation_equivariant else 1   # R: "doubling the number of feature maps"
        return int(min(max(round(k * self.channel_base / f), k * self.channel_min), k * self.channel_max))

    def layer_specs(self) -> list[dict[str, Any]]:
        """The sampling plan: entry 0 describes the Fourier-feature input, entry i ≥ 1 the output
        of layer i. Each: ``rate`` s, ``size`` (s + 2·margin, or the image size at the end),
        ``cutoff`` f_c, ``half_width`` f_h, ``channels``, ``critical``."""
        return self._flexible_specs() if self.flexible_layers else self._ladder_specs()

    def _ladder_specs(self) -> list[dict[str, Any]]:
        """B–H: the StyleGAN2 resolutions, 4² (input and one layer) then two layers per octave."""
        rates = [4, 4] + [r for r in (2 ** k for k in range(3, self.img_resolution.bit_length())) for _ in (0, 1)]
        specs = []
        for i, s in enumerate(rates):
            critical = self.critical_sampling or s == self.img_resolution
            # E on: critical f_h = (√2 − 1)·s/2; G on: f_c = s/2 − f_h below the output resolution.
            f_h = (math.sqrt(2) - 1) * s / 2
            f_c = s / 2 if critical else s / 2 - f_h
            margin = self.margin if i < len(rates) - 1 else 0
            size = s + 2 * margin if i < len(rates) - 1 else self.img_resolution
            f_channels = s / 2 if self.critical_sampling else f_c
            specs.append(dict(rate=s, size=size, cutoff=f_c, half_width=f_h, critical=critical,
                              channels=self.channels(f_channels), margin=margin))
        return specs

    def _flexible_specs(self) -> list[dict[str, Any]]:
        r"""T, R (the paper's Figure 4c): the input (i = 0) and layers i = 1 … N, with
        e_i = min(max(i − 1, 0) / (N − N_crit), 1), so that the input and the first layer share the
        first cutoff and the last N_crit layers sit at the image's Nyquist, critically sampled —
        NVIDIA's schedule, whose index k = i − 1 counts layers from 0 (the input shares layer 0's)
        and whose extra last entry is ToRGB's, which here reads layer N's.

        .. math::  f_{c,i} = f_{c,0}^{1-e_i} f_{c,N}^{e_i},\quad f_{t,i} = f_{t,0}^{1-e_i} f_{t,N}^{e_i},\quad
                   s_i = 2^{\lceil \log_2 \min(2 f_{t,i},\, R) \rceil},\quad f_{h,i} = \max(f_{t,i}, s_i/2) - f_{c,i}
        """
        n, res = self.num_layers, self.img_resolution
        last_cutoff = res / 2
        last_stop = last_cutoff * self.last_stopband_rel
        specs = []
        for i in range(n + 1):
            e = min(max(i - 1, 0) / (n - self.num_critical), 1.0)
            f_c = self.first_cutoff ** (1 - e) * last_cutoff ** e
            f_t = self.first_stopband ** (1 - e) * last_stop ** e
            s = 2 ** math.ceil(math.log2(min(2 * f_t, res)))
            f_h = max(f_t, s / 2) - f_c
            margin = self.margin if i < n else 0
            specs.append(dict(rate=s, size=s + 2 * margin if i < n else res, cutoff=f_c, half_width=f_h,
                              critical=i > n - self.num_critical, channels=self.channels(f_c), margin=margin))
        return specs

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["generation"] = GENERATION
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "StyleGAN3Config":
        return super().from_dict({k: v for k, v in d.items() if k != "generation"})


# ------------------------------------------------------------------------------------------
# Presets.
# ------------------------------------------------------------------------------------------
SCALES: dict[str, dict[str, Any]] = {
    # 32²: cutoffs 2, 4 → 128 channels, 8, 16 → 64 (StyleGAN1 book-32: 128/128/64/64), 128-d latents.
    "sg3-book-32": dict(img_resolution=32, z_dim=128, w_dim=128, mapping_fmaps=128,
                        channel_base=512, channel_max=128, channel_min=64, num_layers=8),
    # 16²: the CPU ladder. Cutoffs 2 … 8 → 128 … 64 channels, 6 layers. Every layer samples at 16
    # (twice the stopband, capped at the image size) plus the 10-pixel margin from config E on.
    "sg3-book-16": dict(img_resolution=16, z_dim=128, w_dim=128, mapping_fmaps=128,
                        channel_base=512, channel_max=128, channel_min=64, num_layers=6),
    # 16²: a tiny network for tests.
    "sg3-tiny-16": dict(img_resolution=16, z_dim=32, w_dim=32, mapping_fmaps=32,
                        channel_base=128, channel_max=32, channel_min=16, num_layers=5),
}

_OFF_FROM_E = dict(sinc_upsampling=False, filtered_nonlinearity=False, flexible_layers=False,
                   transformed_fourier=False, critical_sampling=True, margin=0)
VARIANTS: dict[str, dict[str, Any]] = {
    "config-B": dict(_OFF_FROM_E, use_noise=True, skip_torgb=True, magnitude_norm=False, mapping_layers=8,
                     style_mixing_prob=0.9, pl_weight=2.0, label="B"),
    "config-C": dict(_OFF_FROM_E, skip_torgb=True, magnitude_norm=False, mapping_layers=8,
                     style_mixing_prob=0.9, pl_weight=2.0, label="C"),
    # Two controls between C and D (not in the paper): D's changes to the mapping and to the
    # regularisers, one at a time, so that the ladder can tell which of D's parts moves W.
    "config-C-map2": dict(_OFF_FROM_E, skip_torgb=True, magnitude_norm=False, mapping_layers=2,
                          style_mixing_prob=0.9, pl_weight=2.0, label="C-map2"),
    "config-C-noreg": dict(_OFF_FROM_E, skip_torgb=True, magnitude_norm=False, mapping_layers=8,
                           label="C-noreg"),
    "config-D": dict(_OFF_FROM_E, label="D"),
    "config-E": dict(_OFF_FROM_E, margin=10, sinc_upsampling=True, label="E"),
    "config-F": dict(flexible_layers=False, transformed_fourier=False, critical_sampling=True, label="F"),
    "config-G": dict(flexible_layers=False, transformed_fourier=False, label="G"),
    "config-H": dict(flexible_layers=False, label="H"),
    "config-T": dict(label="T"),
    "config-R": dict(rotation_equivariant=True, label="R"),
}
DEFAULT_VARIANT = "config-T"


def preset_names() -> list[str]:
    """Every valid StyleGAN3 preset name."""
    return preset_names_of(SCALES, VARIANTS)


def is_preset(name: object) -> bool:
    return isinstance(name, str) and name in preset_names()


def get_config(name: str | StyleGAN3Config, **overrides) -> StyleGAN3Config:
    """The config of ``sg3-SCALE`` or ``sg3-SCALE/config-X`` (X in B…H, T, R, or the controls
    C-map2 and C-noreg), with overrides."""
    if isinstance(name, StyleGAN3Config):
        return name.replace(**overrides) if overrides else name
    check_preset_type(name, StyleGAN3Config)
    parts = parse_preset(name, SCALES, VARIANTS, default_variant=DEFAULT_VARIANT)
    if parts is None:
        raise ValueError(f"unknown StyleGAN3 preset {name!r}; scales: {', '.join(SCALES)}; variants: "
                         f"{', '.join(VARIANTS)} (config A is StyleGAN2: the sg2-… presets)")
    scale, variant = parts
    kwargs = {**SCALES[scale], **VARIANTS[variant], **overrides}
    return StyleGAN3Config(**kwargs)
