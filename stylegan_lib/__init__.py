"""stylegan_lib: StyleGAN (Karras, Laine, Aila, CVPR 2019) in plain PyTorch, written to be read.

    from stylegan_lib import Generator, Discriminator, get_config
    G = Generator("book-32")                 # or "paper-1024", "book-32/config-C", …
    ws = G.mapping(z, truncation_psi=0.7)    # [N, num_ws, w_dim]
    img = G.synthesis(ws, noise_mode="const")
"""
from .checkpoint import load_discriminator, load_generator, save_models
from .config import ModelConfig, get_config, preset_names
from .discriminator import Discriminator
from .generator import Generator
from .official import load_official
from .pretrained import load_pretrained
from .utils import get_device

__version__ = "0.1.0"

__all__ = ["Generator", "Discriminator", "ModelConfig", "get_config", "preset_names",
           "load_generator", "load_discriminator", "save_models", "get_device", "load_official",
           "load_pretrained"]
