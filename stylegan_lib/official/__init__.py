"""NVIDIA's official StyleGAN v1 weights in the book's model — read safely, without TensorFlow.

    from stylegan_lib.official import load_official
    G = load_official("karras2019stylegan-ffhq-1024x1024.pkl")          # Gs, eval mode
    img = G(z, truncation_psi=0.7, truncation_cutoff=8, noise_mode="const")
    G, D = load_official(path, return_discriminator=True)

Command line: ``python -m stylegan_lib import-official SRC.pkl DEST.pt`` writes a book
checkpoint (with provenance) that ``load_generator`` / ``load_pretrained`` read.

The release files are not shipped and never downloaded: get them from NVIDIA's StyleGAN
repository (github.com/NVlabs/stylegan, "Pre-trained networks") under NVIDIA's licence.
:mod:`stylegan_lib.official.fake` writes stand-in files with random weights in the same format.
"""
from .convert import (OfficialInfo, config_from_release, convert_discriminator, convert_generator,
                      crop_letterbox, discriminator_plan, generator_plan, load_official,
                      read_official)
from .unpickle import (OfficialFormatError, ReleaseNetwork, RefusedGlobalError, allowed_globals,
                       read_release_pickle, restricted_loads)

__all__ = [
    "load_official", "read_official", "crop_letterbox", "OfficialInfo", "OfficialFormatError",
    "RefusedGlobalError", "ReleaseNetwork", "read_release_pickle", "restricted_loads",
    "allowed_globals", "config_from_release", "convert_generator", "convert_discriminator",
    "generator_plan", "discriminator_plan",
]
