"""The StyleGAN3 synthesis network and generator (configs B … R of the paper's ladder), with the
API of the StyleGAN1 generator: ``G.mapping``, ``G.synthesis(ws)``, ``G(z, truncation_psi=…)``.

Differences from the paper that are deliberate, not hidden:

* Book scale: ``num_layers`` = 8 at 32², 6 at 16² (``sg3-book-16``) and 5 in the tiny test
  network instead of the paper's 14 (T, R); the channel counts are the book's (see :mod:`.config`).
* B–D keep StyleGAN2's layer plan and [1,3,3,1] upsampling but convolve *before* upsampling
  (StyleGAN2 upsamples inside a transposed convolution); the paper notes the order is free for
  band-limited signals. The noise of config B is added at the convolution's (input) rate, with
  a learned strength per channel (StyleGAN2's rung A has one per layer).
* No output clamping and no fp16. The EMA rate of the magnitude normalisation is a constant
  β = 0.999; NVIDIA's training script sets 0.5^(batch / 20 000), 0.99889 at the book's batch of 32.
"""
from __future__ import annotations

import torch
from torch import nn

from ..generator import GeneratorBase
from ..latent import random_z
from ..mapping import MappingNetwork
from ..synthesis import NoiseInputs
from .config import StyleGAN3Config, get_config
from .filters import design_lowpass, design_radial_lowpass, taps_for, upsample_centred
from .layers import NOISE_MODES, FourierFeatures, ResampledNonlinearity, SynthesisLayer, ToRGB

#: StyleGAN2's bilinear upsampling filter (B–D).
BILINEAR = torch.tensor([1.0, 3.0, 3.0, 1.0]) / 8


def make_nonlinearity(cfg: StyleGAN3Config, spec_in: dict, spec_out: dict, channels: int,
                      activation: str = "lrelu") -> ResampledNonlinearity:
    """The resampling around the leaky ReLU of one layer, from the sampling plan."""
    s_in, s_out, n = spec_in["rate"], spec_out["rate"], cfg.filter_taps
    if cfg.filtered_nonlinearity:
        # F on: the nonlinearity runs at m× the higher of the two rates.
        tmp = max(s_in, s_out) * cfg.nonlinearity_up
        up, down = tmp // s_in, tmp // s_out
        up_f = design_lowpass(taps_for(n, up), spec_in["cutoff"], spec_in["half_width"], tmp) if up > 1 else None
        radial = cfg.rotation_equivariant and not spec_out["critical"]
        design = design_radial_lowpass if radial else design_lowpass
        down_f = design(taps_for(n, down), spec_out["cutoff"], spec_out["half_width"], tmp) if down > 1 else None
        return ResampledNonlinearity(channels, up, up_f, down, down_f, spec_out["size"], activation)
    # B–E: the nonlinearity at the output rate, after upsampling.
    up = s_out // s_in
    up_f = None
    if up > 1:
        up_f = (design_lowpass(taps_for(n, up), spec_in["cutoff"], spec_in["half_width"], s_out)
                if cfg.sinc_upsampling else BILINEAR.clone())
    return ResampledNonlinearity(channels, up, up_f, 1, None, spec_out["size"], activation)


class SynthesisNetwork(NoiseInputs, nn.Module):
    """ws [N, num_ws, w_dim] → image [N, C, R, R]: Fourier features, ``len(specs) − 1`` layers,
    ToRGB (plus the per-resolution skip ToRGBs of configs B, C)."""

    #: The metrics in :mod:`stylegan_lib.metrics.equivariance` may translate / rotate the input.
    supports_input_transform = True

    def __init__(self, config: StyleGAN3Config):
        super().__init__()
        cfg = self.config = config
        self.specs = specs = cfg.layer_specs()
        self.num_ws, self.w_dim = cfg.num_ws, cfg.w_dim
        self.img_resolution, self.img_channels = cfg.img_resolution, cfg.img_channels
        self.input = FourierFeatures(specs[0]["channels"], cfg.w_dim, specs[0]["cutoff"], cfg.transformed_fourier)
        kernel = 1 if cfg.rotation_equivariant else 3
        beta = cfg.magnitude_ema_beta if cfg.magnitude_norm else None
        self.layers = nn.ModuleList()
        self.skip_rgbs = nn.ModuleDict()
        for i in range(1, len(specs)):
            a, b = specs[i - 1], specs[i]
            nonlin = make_nonlinearity(cfg, a, b, b["channels"])
            self.layers.append(SynthesisLayer(a["channels"], b["channels"], cfg.w_dim, kernel, nonlin,
                                              a["size"], cfg.use_noise, beta))
            last_at_rate = i == len(specs) - 1 or specs[i + 1]["rate"] != b["rate"]
            if cfg.skip_torgb and last_at_rate and i < len(specs) - 1:
                self.skip_rgbs[str(i)] = ToRGB(b["channels"], cfg.img_channels, cfg.w_dim)
        self.torgb = ToRGB(specs[-1]["channels"], cfg.img_channels, cfg.w_dim)
        self.register_buffer("skip_filter", BILINEAR.clone(), persistent=False)

    @property
    def num_layers(self) -> int:
        """Synthesis layers (one noise input each in config B; ToRGBs not counted)."""
        return len(self.layers)

    @property
    def device(self) -> torch.device:
        return self.torgb.bias.device

    def layer_resolutions(self) -> list[int]:
        """Size of each layer's convolution output (its input canvas, margin included): the
        size of its noise image."""
        return [layer.in_size for layer in self.layers]

    def forward(self, ws: torch.Tensor, noise_mode: str = "random", input_transform: torch.Tensor | None = None,
                record: dict | None = None, noise: list[torch.Tensor | None] | None = None) -> torch.Tensor:
        """``noise_mode`` ("random" | "const" | "none") matters only for config B: StyleGAN3 has no
        noise inputs from config C on. ``input_transform``: a [3, 3] or [N, 3, 3] affine map of
        the canvas (width 1, centre 0) applied to the input Fourier features, so the image should
        move by it if the network is equivariant. ``record``: filled with each layer's output.
        ``noise``: optional list of ``num_layers`` entries (tensor or None each, see
        :meth:`make_noise_inputs`) overriding ``noise_mode`` layer by layer."""
        if noise_mode not in NOISE_MODES:
            raise ValueError(f"noise_mode must be one of {NOISE_MODES}, got {noise_mode!r}")
        if ws.ndim != 3 or ws.shape[1:] != (self.num_ws, self.w_dim):
            raise ValueError(f"ws must have shape [N, {self.num_ws}, {self.w_dim}], got {list(ws.shape)}")
        noise = [None] * self.num_layers if noise is None else list(noise)
        if len(noise) != self.num_layers:
            raise ValueError(f"noise must be a list of {self.num_layers} entries (tensor or None), got {len(noise)}")
        s0 = self.specs[0]
        x = self.input(ws[:, 0], s0["size"], s0["rate"], input_transform)
        img = None
        for i, layer in enumerate(self.layers, start=1):
            x = layer(x, ws[:, i], noise_mode, noise[i - 1])
            if record is not None:
                record[f"L{i}"] = x
            if str(i) in self.skip_rgbs:
                img = self._add_skip(img, self.skip_rgbs[str(i)](x, ws[:, -1]))
        out = self.torgb(x, ws[:, -1])
        return out if img is None else self._add_skip(img, out)

    def _add_skip(self, img: torch.Tensor | None, rgb: torch.Tensor) -> torch.Tensor:
        """StyleGAN2's skip generator: the running image upsampled (bilinear) plus this ToRGB."""
        if img is None:
            return rgb
        return upsample_centred(img, self.skip_filter, rgb.shape[-1] // img.shape[-1]) + rgb


class Generator(GeneratorBase):
    """z [N, z_dim] → image [N, 3, R, R]: ``Generator("sg3-book-32")`` (StyleGAN3-T) or
    ``Generator("sg3-book-32/config-R")``."""

    def __init__(self, config: str | StyleGAN3Config = "sg3-book-32"):
        super().__init__(get_config(config))
        cfg = self.config
        # StyleGAN1's mapping network, reused: it reads z_dim, w_dim, num_ws and mapping_* fields.
        self.mapping = MappingNetwork(cfg)
        self.synthesis = SynthesisNetwork(cfg)


@torch.no_grad()
def learned_input_transforms(G: Generator, num: int = 2000, seed: int = 0) -> dict:
    r"""How far config H's learned transform T_w moves the Fourier features (H, T, R), over
    ``num`` latents: the rotation angle θ = atan2(r_s, r_c) in degrees and the translation in
    output pixels (canvas units × resolution): their spread over w (``angle_std_deg``,
    ``shift_std_px``, the RMS distance from the mean shift) and the RMS shift from the canvas
    centre (``shift_rms_px``, which a constant learned offset also raises). At initialisation
    T_w is the identity, so a spread here is what training put into W. Zeros for generators
    without it (B … G)."""
    z = random_z(num, G.z_dim, seed, G.device)
    m = G.synthesis.input.w_transform(G.mapping(z)[:, 0])
    angle = torch.rad2deg(torch.atan2(m[:, 1, 0], m[:, 0, 0]))
    shift = m[:, :2, 2] * G.img_resolution
    return {"angle_deg": angle.cpu().numpy(), "shift_px": shift.cpu().numpy(),
            "angle_std_deg": float(angle.std()), "shift_rms_px": float(shift.square().sum(1).mean().sqrt()),
            "shift_std_px": float((shift - shift.mean(0)).square().sum(1).mean().sqrt())}
