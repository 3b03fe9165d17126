"""StyleGAN3 (Karras et al. 2021, "Alias-Free Generative Adversarial Networks") at book scale,
with the paper's configuration ladder B … R as presets and the API of the StyleGAN1 generator.

    from stylegan_lib.stylegan3 import Generator
    G = Generator("sg3-book-32/config-R")
    img = G(torch.randn(4, G.z_dim))
    img = G.synthesis(ws, input_transform=translation(0.1, 0))   # move the input, see the image move

Modules: :mod:`.filters` (Kaiser-windowed sinc/jinc design, centred resampling), :mod:`.layers`
(Fourier features, modulated conv, magnitude norm, filtered nonlinearity), :mod:`.config`
(the ladder), :mod:`.generator`.
"""
from .config import LADDER, StyleGAN3Config, get_config, is_preset, preset_names
from .filters import design_lowpass, design_radial_lowpass, frequency_response, kaiser_attenuation, kaiser_beta
from .generator import Generator, SynthesisNetwork, learned_input_transforms
from .layers import FourierFeatures, ResampledNonlinearity

__all__ = ["LADDER", "StyleGAN3Config", "get_config", "is_preset", "preset_names", "design_lowpass",
           "design_radial_lowpass", "frequency_response", "kaiser_attenuation", "kaiser_beta", "Generator",
           "SynthesisNetwork", "FourierFeatures", "ResampledNonlinearity", "learned_input_transforms"]
