"""The configuration of a StyleGAN2 (Karras et al. 2020, config F) and its named presets.

The fields StyleGAN2 shares with StyleGAN1 (latent sizes, mapping network, channel counts,
minibatch std, style mixing) are checked by building the StyleGAN1 :class:`ModelConfig` that
holds them (:attr:`StyleGAN2Config.base`); the mapping network is built from it unchanged.

Presets:

==================  ======  =====================================================================
``sg2-paper-1024``  1024²   config F: 512 channels up to 64², then halving (256, 128, 64, 32),
                            8 mapping layers of 512
``sg2-paper-256``   256²    the same network at 256²
``sg2-book-32``     32²     the channels of StyleGAN1's ``book-32`` (128, 128, 64, 64), 128-d
                            latents, 8 mapping layers of 128: the book's comparison model
``sg2-book-16``     16²     ``sg2-book-32`` stopped at 16² (128, 128, 64): the CPU ladder's rung A
``sg2-book-64``     64²     the channels of StyleGAN1's ``book-64``
``sg2-tiny-16``     16²     a tiny network for tests (channels 32, 32, 16; 2 mapping layers)
==================  ======  =====================================================================

A variant follows a slash: ``sg2-book-32/no-demod`` (AdaIN-free modulation *without*
demodulation, for the droplet comparison) and ``sg2-book-32/no-pl`` (no path length penalty).
"""
from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass
from typing import Any

from ..config import ConfigBase, ModelConfig, check_preset_type, parse_preset, preset_names_of

#: The tag ``to_dict`` writes, so a saved config says which generation it describes.
GENERATION = "stylegan2"


@dataclass(frozen=True)
class StyleGAN2Config(ConfigBase):
    """Everything that fixes the architecture of a StyleGAN2 G and D.

    Channels at resolution 2^r: ``max(fmap_min, min(fmap_base / 2^(r−1), fmap_max))`` as in
    StyleGAN1; config F doubles StyleGAN1's ``fmap_base`` (16384 instead of 8192).
    """

    img_resolution: int = 1024
    img_channels: int = 3
    z_dim: int = 512
    w_dim: int = 512
    # Mapping network f: Z -> W (StyleGAN1's, reused).
    mapping_layers: int = 8
    mapping_fmaps: int = 512
    mapping_lr_mul: float = 0.01
    w_avg_beta: float = 0.995
    # Channels per resolution.
    fmap_base: int = 16384
    fmap_max: int = 512
    fmap_min: int = 1
    # Synthesis network.
    use_noise: bool = True
    demodulate: bool = True      # False: modulation only (the droplet comparison)
    # True: one grouped convolution per layer with per-sample weights (the paper's implementation);
    # False: the same function by scaling the activations around one shared convolution, 2× faster
    # for a forward + backward pass of sg2-book-32 on a CPU (batch 16, 0.24 s vs 0.47 s).
    fused_modconv: bool = False
    # Training-time regularisation that belongs to the configuration (config F).
    style_mixing_prob: float = 0.9
    pl_weight: float = 2.0       # γ_pl of the path length penalty (0: none)
    # Discriminator.
    mbstd_group_size: int = 4
    mbstd_num_features: int = 1

    def __post_init__(self):
        # The shared fields are validated by StyleGAN1's config (clear errors, same limits).
        self.base  # noqa: B018
        for name in ("use_noise", "demodulate", "fused_modconv"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be true or false, got {getattr(self, name)!r}")
        w = self.pl_weight
        if isinstance(w, bool) or not isinstance(w, numbers.Real) or not math.isfinite(w) or not 0 <= w <= 1e3:
            raise ValueError(f"pl_weight must be a number in [0, 1000], got {w!r}")

    # -- derived quantities -------------------------------------------------------------------
    @property
    def base(self) -> ModelConfig:
        """The StyleGAN1 :class:`ModelConfig` with the fields both generations share."""
        shared = {f.name for f in dataclasses.fields(ModelConfig)} & {f.name for f in dataclasses.fields(self)}
        return ModelConfig(**{name: getattr(self, name) for name in shared})

    @property
    def resolutions(self) -> list[int]:
        """4, 8, …, img_resolution."""
        return self.base.resolutions

    @property
    def num_layers(self) -> int:
        """Modulated 3×3 convolutions (= noise inputs): one at 4², two at every later resolution."""
        return 2 * len(self.resolutions) - 1

    @property
    def num_ws(self) -> int:
        r"""Style inputs: one per convolution plus one for the last ToRGB,

        .. math::  n_w = n_\text{conv} + 1 = 2\log_2 R - 2

        (18 at 1024², as in StyleGAN1). Every other ToRGB shares its w with the first
        convolution of the next resolution, which is how NVIDIA's releases count them.
        """
        return self.num_layers + 1

    def channels(self, res: int) -> int:
        """Feature maps at resolution ``res`` (G's block output, D's block input)."""
        return self.base.channels(res)

    def nf(self, stage: int) -> int:
        """Feature maps at ``stage`` (= log2(resolution) − 1); ``nf(0)`` is D's dense width."""
        return self.base.nf(stage)

    def to_dict(self) -> dict[str, Any]:
        return {"generation": GENERATION, **dataclasses.asdict(self)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "StyleGAN2Config":
        d = dict(d)
        generation = d.pop("generation", GENERATION)
        if generation != GENERATION:
            raise ValueError(f"this is a {generation!r} config, not a {GENERATION!r} one")
        return super().from_dict(d)


# ------------------------------------------------------------------------------------------
# Presets.
# ------------------------------------------------------------------------------------------
SCALES: dict[str, dict[str, Any]] = {
    "sg2-paper-1024": dict(img_resolution=1024),
    "sg2-paper-256": dict(img_resolution=256),
    # StyleGAN1 book-32's sizes: channels 128/128/64/64 at 4²/8²/16²/32², 128-d latents.
    "sg2-book-32": dict(img_resolution=32, z_dim=128, w_dim=128, mapping_fmaps=128,
                        fmap_base=512, fmap_max=128, fmap_min=64),
    # The same network stopped at 16² (as book-16 is book-32's): the CPU ladder's config A.
    "sg2-book-16": dict(img_resolution=16, z_dim=128, w_dim=128, mapping_fmaps=128,
                        fmap_base=512, fmap_max=128, fmap_min=64),
    "sg2-book-64": dict(img_resolution=64, z_dim=256, w_dim=256, mapping_fmaps=256,
                        fmap_base=2048, fmap_max=256, fmap_min=32),
    "sg2-tiny-16": dict(img_resolution=16, z_dim=32, w_dim=32, mapping_layers=2, mapping_fmaps=32,
                        fmap_base=128, fmap_max=32, fmap_min=16),
}

VARIANTS: dict[str, dict[str, Any]] = {
    "config-F": dict(),
    "no-demod": dict(demodulate=False),
    "no-pl": dict(pl_weight=0.0),
}

BOOK_PRESET = "sg2-book-32"


def preset_names() -> list[str]:
    """Every valid StyleGAN2 preset name."""
    return preset_names_of(SCALES, VARIANTS)


def is_preset(name: object) -> bool:
    """Whether ``name`` is a StyleGAN2 preset (a trainer can route on it)."""
    return isinstance(name, str) and name.partition("/")[0] in SCALES


def get_config(name: str | StyleGAN2Config, **overrides) -> StyleGAN2Config:
    """The :class:`StyleGAN2Config` of a preset name ``SCALE`` or ``SCALE/VARIANT``, with overrides."""
    if isinstance(name, StyleGAN2Config):
        return name.replace(**overrides) if overrides else name
    if isinstance(name, ModelConfig):
        raise TypeError("this is a StyleGAN1 ModelConfig; StyleGAN2 needs a StyleGAN2Config or one of "
                        f"the presets {', '.join(SCALES)}")
    check_preset_type(name, StyleGAN2Config)
    parts = parse_preset(name, SCALES, VARIANTS)
    if parts is None:
        raise ValueError(f"unknown StyleGAN2 preset {name!r}. Scales: {', '.join(SCALES)}; variants: "
                         f"{', '.join(VARIANTS)}; combine them as 'sg2-book-32/no-demod'")
    scale, variant = parts
    return StyleGAN2Config(**{**SCALES[scale], **VARIANTS.get(variant, {}), **overrides})


__all__ = ["StyleGAN2Config", "SCALES", "VARIANTS", "BOOK_PRESET", "GENERATION", "get_config",
           "preset_names", "is_preset"]
