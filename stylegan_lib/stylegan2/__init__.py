"""StyleGAN2 (Karras et al. 2020, "Analyzing and Improving the Image Quality of StyleGAN"),
config F at the book's scale, with the API of this library's StyleGAN1::

    from stylegan_lib.stylegan2 import Discriminator, Generator, PathLengthPenalty
    G, D = Generator("sg2-book-32"), Discriminator("sg2-book-32")
    ws = G.mapping(z)                              # [N, G.num_ws, G.w_dim]
    img = G.synthesis(ws, noise_mode="const")      # [N, 3, 32, 32]

Modules: ``config`` (StyleGAN2Config and the ``sg2-…`` presets), ``layers`` (modulated
convolution, demodulation, [1,3,3,1] resampling, synthesis layer, ToRGB), ``generator`` (the
skip generator), ``discriminator`` (the residual discriminator), ``loss`` (path length
regularisation, lazy regularisation).
"""
from .config import BOOK_PRESET, StyleGAN2Config, get_config, is_preset, preset_names
from .discriminator import Discriminator
from .generator import Generator, SynthesisNetwork
from .layers import ModulatedConv2d, demodulate, modulate, modulated_conv2d
from .loss import PathLengthPenalty, lazy_adam, lazy_scale, path_lengths

__all__ = ["BOOK_PRESET", "StyleGAN2Config", "get_config", "is_preset", "preset_names", "Discriminator",
           "Generator", "SynthesisNetwork", "ModulatedConv2d", "demodulate", "modulate", "modulated_conv2d",
           "PathLengthPenalty", "lazy_adam", "lazy_scale", "path_lengths"]
