"""The traditional generator of Figure 1a (Progressive GAN), the baseline of the ablations.

The latent enters the network through its first layer: a dense layer maps it to 4×4×C feature
maps; every convolution is followed by bias, leaky ReLU and pixel norm. There are no styles and
no noise inputs. With ``mapping_layers > 0`` (Table 4's "Traditional 8") the latent fed in is
w = f(z) instead of the normalised z; configs A and B use no mapping network.
"""
from __future__ import annotations

import torch

from .synthesis import SynthesisNetwork


class TraditionalSynthesis(SynthesisNetwork):
    """Figure 1a: z (or w) → dense → 4×4 → [upsample, conv, PixelNorm]×… → ToRGB.

    It has one style input (``num_ws = 1``): the latent of the first layer. Its blocks are the
    style-based blocks with pixel norm instead of AdaIN and no noise, so both generators share
    every convolution, upsampling and ToRGB layer.
    """

    use_styles = False
    norm = "pixel"

    def _style_ws(self, ws: torch.Tensor) -> torch.Tensor:
        # Only the input layer reads the latent; the other layers ignore it.
        return ws[:, :1].expand(-1, self.num_layers, -1)
