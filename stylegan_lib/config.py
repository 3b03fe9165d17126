"""Model configurations and the named presets of the book.

A preset name is ``SCALE`` or ``SCALE/VARIANT``:

* SCALE is the size of the networks: ``paper-1024`` (NVIDIA's official FFHQ generator and
  discriminator, layer for layer), ``paper-512`` / ``paper-256`` (the same architecture at the
  resolutions of the other official releases), and ``book-32`` / ``book-64`` (narrow networks a
  laptop CPU can train, used throughout the book).
* VARIANT is one configuration of the paper's ablations:

  ====================  =========================================================
  Table 1               ``config-A`` … ``config-F``
  Table 4               ``traditional-0``, ``traditional-8``,
                        ``style-based-0``, ``style-based-1``, ``style-based-2``,
                        ``style-based-8``
  Table 2               ``mixing-0``, ``mixing-50``, ``mixing-90``, ``mixing-100``
  ====================  =========================================================

  A bare variant (``config-A``) means ``paper-1024/config-A``; a bare scale means its
  configuration F, the paper's final StyleGAN.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


class ConfigBase:
    """What the frozen config dataclasses of the three generations share: a checked
    ``from_dict`` and ``replace``."""

    @classmethod
    def from_dict(cls, d: dict[str, Any]):
        """The config of a dict of its fields (``to_dict()``); a ValueError names unknown keys."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown {cls.__name__} fields {unknown}; known fields: {sorted(known)}")
        return cls(**d)

    def replace(self, **changes):
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class ModelConfig(ConfigBase):
    """Everything that fixes the architecture of G and D (plus the mixing probability of training).

    Channel count at resolution 2^r (the official ``nf(stage)`` with stage = r − 1):
    ``max(fmap_min, min(fmap_base / 2^stage, fmap_max))``.
    """

    img_resolution: int = 1024
    img_channels: int = 3
    z_dim: int = 512
    w_dim: int = 512
    # Mapping network f: Z -> W (Figure 1b, left).
    mapping_layers: int = 8
    mapping_fmaps: int = 512
    mapping_lr_mul: float = 0.01
    w_avg_beta: float = 0.995
    # Channels per resolution.
    fmap_base: int = 8192
    fmap_max: int = 512
    fmap_min: int = 1
    # Synthesis network g.
    architecture: str = "style"  # "style" (Figure 1b) or "traditional" (Figure 1a)
    const_input: bool = True  # learned 4x4 constant (config D on) vs. latent into a dense layer
    use_noise: bool = True  # per-layer noise inputs "B" (config E on)
    blur_filter: tuple[int, ...] | None = (1, 2, 1)  # low-pass after up / before down (config B on)
    fused_scale_min_res: int = 128  # fused transposed / strided conv from this resolution on
    # Training-time regularisation that belongs to a configuration (config F: 0.9).
    style_mixing_prob: float = 0.9
    # Discriminator.
    mbstd_group_size: int = 4
    mbstd_num_features: int = 1

    def __post_init__(self):
        import math
        import numbers

        r = self.img_resolution
        if not isinstance(r, int) or r < 8 or r > 1024 or r & (r - 1):
            raise ValueError(
                f"img_resolution must be a power of two from 8 to 1024, got {r!r}; "
                "pick one of 8, 16, 32, 64, 128, 256, 512, 1024"
            )
        # Bounds well above any StyleGAN (the paper's networks: 512 channels, 8 mapping layers), so
        # that a config from a file cannot ask for tens of gigabytes before anything is checked.
        int_limits = (("img_channels", 1, 4), ("z_dim", 1, 4096), ("w_dim", 1, 4096),
                      ("mapping_layers", 0, 64), ("mapping_fmaps", 1, 4096), ("fmap_base", 1, 1 << 20),
                      ("fmap_max", 1, 4096), ("fmap_min", 1, 4096), ("fused_scale_min_res", 0, 1 << 16),
                      ("mbstd_group_size", 0, 1024), ("mbstd_num_features", 0, 64))
        for name, low, high in int_limits:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise ValueError(f"{name} must be an integer, got {value!r}")
            if not low <= value <= high:
                raise ValueError(f"{name} must be from {low} to {high}, got {value} (limits far above "
                                 "any StyleGAN, checked before a network is allocated)")
            object.__setattr__(self, name, int(value))
        for name, low, high in (("mapping_lr_mul", 1e-6, 1e3), ("w_avg_beta", 0.0, 1.0),
                                ("style_mixing_prob", 0.0, 1.0)):
            value = getattr(self, name)
            if (isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value)
                    or not low <= value <= high):
                raise ValueError(f"{name} must be a number in [{low:g}, {high:g}], got {value!r}")
        for name in ("const_input", "use_noise"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be true or false, got {getattr(self, name)!r}")
        if self.architecture not in ("style", "traditional"):
            raise ValueError(f"architecture must be 'style' or 'traditional', got {self.architecture!r}")
        if self.architecture == "traditional" and (self.const_input or self.use_noise):
            raise ValueError("the traditional generator (Figure 1a) has no constant input and no noise "
                             "inputs: set const_input=False and use_noise=False")
        if self.mapping_layers == 0 and self.z_dim != self.w_dim:
            raise ValueError("with mapping_layers=0, w is the normalised z: z_dim must equal w_dim")
        if self.blur_filter is not None:
            taps = self.blur_filter
            if (not isinstance(taps, (list, tuple)) or not 1 <= len(taps) <= 16
                    or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) and 0 <= v <= 1024
                               for v in taps)):
                raise ValueError(f"blur_filter must be None or 1 to 16 integer taps such as (1, 2, 1), "
                                 f"got {taps!r}")
            object.__setattr__(self, "blur_filter", tuple(int(v) for v in taps))

    # -- derived quantities -------------------------------------------------------------------
    @property
    def resolution_log2(self) -> int:
        return self.img_resolution.bit_length() - 1

    @property
    def resolutions(self) -> list[int]:
        """4, 8, …, img_resolution."""
        return [2**r for r in range(2, self.resolution_log2 + 1)]

    @property
    def num_ws(self) -> int:
        """Number of style inputs: two per resolution for the style-based G, one for Figure 1a."""
        return 2 * len(self.resolutions) if self.architecture == "style" else 1

    @property
    def num_layers(self) -> int:
        """Number of convolution layers (and noise inputs) of the synthesis network."""
        return 2 * len(self.resolutions)

    def nf(self, stage: int) -> int:
        """Feature maps at ``stage`` (= log2(resolution) − 1), as in the official code."""
        return max(self.fmap_min, min(int(self.fmap_base / (2.0**stage)), self.fmap_max))

    def channels(self, res: int) -> int:
        """Feature maps of the synthesis block at resolution ``res`` (also D's block input)."""
        return self.nf(res.bit_length() - 2)

    def fused(self, res: int) -> bool:
        """Whether the block producing (G) or consuming (D) resolution ``res`` uses a fused conv."""
        return res >= self.fused_scale_min_res

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["blur_filter"] = list(self.blur_filter) if self.blur_filter is not None else None
        return d


# ------------------------------------------------------------------------------------------
# Scales: how big the networks are.
# ------------------------------------------------------------------------------------------
SCALES: dict[str, dict[str, Any]] = {
    "paper-1024": dict(img_resolution=1024),
    "paper-512": dict(img_resolution=512),
    "paper-256": dict(img_resolution=256),
    # 32x32 with 128/128/64/64 channels (4², 8², 16², 32²) and 128-d latents: the book's shipped
    # model, trained on two CPU cores (benchmarks/training.md).
    "book-32": dict(
        img_resolution=32, z_dim=128, w_dim=128, mapping_fmaps=128,
        fmap_base=512, fmap_max=128, fmap_min=64,
    ),
    # The same with 32 channels at 32²: a training step 1.6x faster on a CPU (benchmarks/
    # training.md, section 5), for the next book model.
    "book-32-fast": dict(
        img_resolution=32, z_dim=128, w_dim=128, mapping_fmaps=128,
        fmap_base=512, fmap_max=128, fmap_min=32,
    ),
    # book-32's network stopped at 16² (128/128/64 channels at 4², 8², 16²): the ablation farm's
    # scale on a CPU, where the 32² stage costs 2.7x the 16² one per image (benchmarks/training.md §8).
    "book-16": dict(
        img_resolution=16, z_dim=128, w_dim=128, mapping_fmaps=128,
        fmap_base=512, fmap_max=128, fmap_min=64,
    ),
    "book-64": dict(
        img_resolution=64, z_dim=256, w_dim=256, mapping_fmaps=256,
        fmap_base=2048, fmap_max=256, fmap_min=32,
    ),
    # A tiny network for tests and the live demo of the training chapter.
    "tiny-16": dict(
        img_resolution=16, z_dim=32, w_dim=32, mapping_layers=2, mapping_fmaps=32,
        fmap_base=128, fmap_max=32, fmap_min=16,
    ),
}

# ------------------------------------------------------------------------------------------
# Variants: the paper's ablations (Tables 1, 2 and 4).
# ------------------------------------------------------------------------------------------
_TRADITIONAL = dict(architecture="traditional", const_input=False, use_noise=False, style_mixing_prob=0.0)
VARIANTS: dict[str, dict[str, Any]] = {
    # Table 1. A: Progressive GAN baseline (nearest up/down, no mapping, latent into layer one).
    "config-A": dict(_TRADITIONAL, mapping_layers=0, blur_filter=None),
    # B: + tuning, incl. bilinear up/down (the [1,2,1] blur).
    "config-B": dict(_TRADITIONAL, mapping_layers=0),
    # C: + mapping network and styles (AdaIN); the latent still enters the first layer.
    "config-C": dict(const_input=False, use_noise=False, style_mixing_prob=0.0),
    # D: + learned constant input instead of the traditional input.
    "config-D": dict(use_noise=False, style_mixing_prob=0.0),
    # E: + noise inputs.
    "config-E": dict(style_mixing_prob=0.0),
    # F: + mixing regularisation (90 %): the final StyleGAN.
    "config-F": dict(),
    # Table 4: depth of the mapping network, traditional vs style-based generator.
    "traditional-0": dict(_TRADITIONAL, mapping_layers=0),
    "traditional-8": dict(_TRADITIONAL, mapping_layers=8),
    "style-based-0": dict(mapping_layers=0),
    "style-based-1": dict(mapping_layers=1),
    "style-based-2": dict(mapping_layers=2),
    "style-based-8": dict(mapping_layers=8),
    # Table 2: style-mixing probability during training.
    "mixing-0": dict(style_mixing_prob=0.0),
    "mixing-50": dict(style_mixing_prob=0.5),
    "mixing-90": dict(style_mixing_prob=0.9),
    "mixing-100": dict(style_mixing_prob=1.0),
}

DEFAULT_SCALE = "paper-1024"
BOOK_PRESET = "book-32"


def preset_names() -> list[str]:
    """Every valid preset name."""
    return preset_names_of(SCALES, VARIANTS, bare_variants=True)


def get_config(name: str | ModelConfig, **overrides) -> ModelConfig:
    """The ``ModelConfig`` of a preset name (see the module docstring), with optional overrides."""
    if isinstance(name, ModelConfig):
        return name.replace(**overrides) if overrides else name
    check_preset_type(name, ModelConfig)
    parts = parse_preset(name, SCALES, VARIANTS, default_scale=DEFAULT_SCALE)
    if parts is None:
        raise ValueError(
            f"unknown preset {name!r}. Scales: {', '.join(SCALES)}; variants: "
            f"{', '.join(VARIANTS)}; combine them as 'book-32/config-C'"
        )
    scale, variant = parts
    kwargs: dict[str, Any] = {}
    kwargs.update(SCALES[scale])
    kwargs.update(VARIANTS.get(variant, {}))
    if kwargs.get("mapping_layers", 8) == 0:
        kwargs["w_dim"] = kwargs.get("z_dim", 512)
    kwargs.update(overrides)
    return ModelConfig(**kwargs)


# ------------------------------------------------------------------------------------------
# Preset names, shared by the three generations' config modules.
# ------------------------------------------------------------------------------------------
def preset_names_of(scales: dict[str, Any], variants: dict[str, Any], bare_variants: bool = False) -> list[str]:
    """The preset names of one generation's tables: every ``SCALE``, every ``SCALE/VARIANT`` and,
    with ``bare_variants``, every ``VARIANT`` on its own (at the default scale)."""
    names = list(scales) + [f"{s}/{v}" for s in scales for v in variants]
    return names + list(variants) if bare_variants else names


def parse_preset(name: str, scales: dict[str, Any], variants: dict[str, Any], default_scale: str | None = None,
                 default_variant: str = "") -> tuple[str, str] | None:
    """``(scale, variant)`` of a preset name ``SCALE`` or ``SCALE/VARIANT``, or None when the
    name is not one of these tables'. A bare ``VARIANT`` means ``default_scale/VARIANT`` when a
    default scale is given; a bare ``SCALE`` has the variant ``default_variant`` ("": none)."""
    scale, _, variant = name.partition("/")
    if not variant and default_scale is not None and scale in variants:
        scale, variant = default_scale, scale
    variant = variant or default_variant
    if scale not in scales or (variant and variant not in variants):
        return None
    return scale, variant


def check_preset_type(name: object, config_class: type) -> None:
    """A TypeError unless ``name`` is a preset name (a ``config_class`` is handled before)."""
    if not isinstance(name, str):
        raise TypeError(f"preset must be a name or a {config_class.__name__}, got {type(name).__name__}")


#: The value :func:`describe_differences` gives a field that one of the two configurations lacks.
ABSENT = "—"


def describe_differences(a, b) -> dict[str, tuple[Any, Any]]:
    """Fields that differ between two configurations: {field: (value in a, value in b)}. They may
    be of different generations (a StyleGAN2 and a StyleGAN3 config): a field only one of them
    has is :data:`ABSENT` in the other."""
    da, db = a.to_dict(), b.to_dict()
    return {k: (da.get(k, ABSENT), db.get(k, ABSENT)) for k in {**da, **db}
            if da.get(k, ABSENT) != db.get(k, ABSENT)}


__all__ = [
    "ModelConfig", "SCALES", "VARIANTS", "get_config", "preset_names", "describe_differences", "ABSENT",
    "BOOK_PRESET", "ConfigBase", "preset_names_of", "parse_preset", "check_preset_type",
]
