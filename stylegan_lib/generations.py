"""The three generations of generator behind one door: the one place that maps a preset name, a
config object or a stored config dict to the right generation's classes.

==============  ==================  ===========================  ===============================
generation      presets             generator                    discriminator
==============  ==================  ===========================  ===============================
``stylegan1``   ``book-32``, …      :class:`.generator.Generator`  :class:`.discriminator.Discriminator`
``stylegan2``   ``sg2-…``           :class:`.stylegan2.Generator`  :class:`.stylegan2.Discriminator`
``stylegan3``   ``sg3-…``           :class:`.stylegan3.Generator`  :class:`.stylegan2.Discriminator`
==============  ==================  ===========================  ===============================

A preset's generation is read from its prefix (``sg2-`` / ``sg3-``; anything else is
StyleGAN1), a stored config's from its ``"generation"`` entry (absent in StyleGAN1 configs,
which predate it). StyleGAN3 has no discriminator of its own: as in the paper, it is trained
against StyleGAN2's residual discriminator at the same resolution and channel counts
(:func:`discriminator_config`).

    from stylegan_lib.generations import build_discriminator, build_generator, config_from_dict
    G, D = build_generator("sg3-book-32/config-T"), build_discriminator("sg3-book-32/config-T")

Only StyleGAN1 grows progressively (:func:`is_progressive`); the later generations train at
their full resolution from the first step.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Union

from torch import nn

from . import config as sg1_config
from . import stylegan2, stylegan3
from .config import ModelConfig
from .discriminator import Discriminator
from .generator import Generator
from .stylegan2.config import StyleGAN2Config
from .stylegan3.config import StyleGAN3Config

GENERATIONS = ("stylegan1", "stylegan2", "stylegan3")
#: Preset prefix → generation (a preset without one of these prefixes is StyleGAN1's).
PREFIXES = {"sg2-": "stylegan2", "sg3-": "stylegan3"}
CONFIG_CLASSES = {"stylegan1": ModelConfig, "stylegan2": StyleGAN2Config, "stylegan3": StyleGAN3Config}
PRESET_MODULES = {"stylegan1": sg1_config, "stylegan2": stylegan2.config, "stylegan3": stylegan3.config}
GENERATORS = {"stylegan1": Generator, "stylegan2": stylegan2.Generator, "stylegan3": stylegan3.Generator}

AnyConfig = Union[ModelConfig, StyleGAN2Config, StyleGAN3Config]


def generation_of(preset_or_config: str | AnyConfig | dict) -> str:
    """"stylegan1", "stylegan2" or "stylegan3" for a preset name, a config object or a stored
    config dict (its ``"generation"`` entry; StyleGAN1 dicts have none)."""
    if isinstance(preset_or_config, str):
        return next((gen for prefix, gen in PREFIXES.items() if preset_or_config.startswith(prefix)),
                    "stylegan1")
    if isinstance(preset_or_config, dict):
        generation = preset_or_config.get("generation", "stylegan1")
        if generation not in GENERATIONS:
            raise ValueError(f"unknown generation {generation!r}; known: {', '.join(GENERATIONS)}")
        return generation
    for generation, cls in CONFIG_CLASSES.items():
        if isinstance(preset_or_config, cls):
            return generation
    raise TypeError(f"expected a preset name, a config or a config dict, got {type(preset_or_config).__name__}")


def get_config(preset_or_config: str | AnyConfig, **overrides) -> AnyConfig:
    """The config of a preset name of any generation (or a config object), with overrides."""
    generation = generation_of(preset_or_config)
    unknown = sorted(set(overrides) - set(config_fields(generation)))
    if unknown:
        raise ValueError(f"{unknown} are not {generation} config fields; fields: "
                         f"{', '.join(config_fields(generation))}")
    return PRESET_MODULES[generation].get_config(preset_or_config, **overrides)


def config_fields(preset_or_generation: str) -> list[str]:
    """The field names of the config of a generation (or of a preset's generation)."""
    generation = (preset_or_generation if preset_or_generation in GENERATIONS
                  else generation_of(preset_or_generation))
    return [f.name for f in dataclasses.fields(CONFIG_CLASSES[generation])]


def config_from_dict(d: dict[str, Any]) -> AnyConfig:
    """A stored config (``config.to_dict()``) back as the config object of its generation."""
    if not isinstance(d, dict):
        raise TypeError(f"a stored config is a dict, got {type(d).__name__}")
    generation = generation_of(d)
    if generation == "stylegan1":
        return ModelConfig.from_dict(d)
    return CONFIG_CLASSES[generation].from_dict(d)


def preset_names() -> list[str]:
    """Every preset of every generation."""
    return [name for module in PRESET_MODULES.values() for name in module.preset_names()]


def is_progressive(preset_or_config: str | AnyConfig) -> bool:
    """Whether the generator grows progressively (StyleGAN1 only): the others have a ToRGB at every
    resolution (StyleGAN2) or no resolution ladder at all (StyleGAN3) and train at full size."""
    return generation_of(preset_or_config) == "stylegan1"


def discriminator_config(preset_or_config: str | AnyConfig) -> ModelConfig | StyleGAN2Config:
    """The config of the discriminator a generator trains against.

    StyleGAN1 and StyleGAN2: their own. StyleGAN3: StyleGAN2's residual discriminator at the
    same resolution with the generator's channel rule, ``fmap_base`` = ``channel_base``,
    ``fmap_max`` = ``channel_max``, ``fmap_min`` = ``channel_min`` — for ``sg3-book-32`` the
    discriminator of ``sg2-book-32`` (128, 128, 64, 64 channels at 4², 8², 16², 32²), for
    ``sg3-tiny-16`` that of ``sg2-tiny-16``. (Config R's doubled channels are the generator's
    alone.)
    """
    cfg = get_config(preset_or_config)
    if not isinstance(cfg, StyleGAN3Config):
        return cfg
    return StyleGAN2Config(img_resolution=cfg.img_resolution, img_channels=cfg.img_channels,
                           fmap_base=cfg.channel_base, fmap_max=cfg.channel_max, fmap_min=cfg.channel_min)


def build_generator(preset_or_config: str | AnyConfig) -> nn.Module:
    """The generator of a preset or config, of its generation's class (random weights)."""
    cfg = get_config(preset_or_config)
    return GENERATORS[generation_of(cfg)](cfg)


def build_discriminator(preset_or_config: str | AnyConfig) -> nn.Module:
    """The discriminator that trains the generator of a preset or config (:func:`discriminator_config`)."""
    cfg = discriminator_config(preset_or_config)
    return Discriminator(cfg) if isinstance(cfg, ModelConfig) else stylegan2.Discriminator(cfg)


__all__ = ["GENERATIONS", "PREFIXES", "AnyConfig", "generation_of", "get_config", "config_fields",
           "config_from_dict", "preset_names", "is_progressive", "discriminator_config", "build_generator",
           "build_discriminator"]
