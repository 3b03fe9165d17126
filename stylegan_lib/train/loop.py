r"""The training loop: alternating discriminator and generator steps with progressive growing,
style-mixing regularisation, lazy R1, an EMA copy of G, tick logs, sample grids and exact resume.

Every generation trains here (:mod:`stylegan_lib.generations` builds G and D from the preset):
StyleGAN1 grows progressively; StyleGAN2 and StyleGAN3 train at their full resolution from the
first step (lod 0 throughout) against StyleGAN2's residual discriminator, and StyleGAN2 adds its
path length penalty to the G step (below).

One *step* shows one minibatch of B real images to D and B generated ones to each of D and G:

1. **D step** — :math:`L_D = \mathbb E[\operatorname{softplus}(D(G(z)))] + \mathbb E[\operatorname{softplus}(-D(x))]`,
   plus every ``r1_interval`` steps the lazy R1 penalty
   :math:`k\cdot\frac{\gamma}{2}\lVert\nabla_x D(x)\rVert^2` (multiplied by the interval k so that
   its average strength is unchanged);
2. **G step** — :math:`L_G = \mathbb E[\operatorname{softplus}(-D(G(z)))]`, with style mixing: for a
   fraction ``style_mixing_prob`` of the images a second latent takes over the style inputs from a
   random crossover layer on; w̄ is tracked from the batch's w;
   StyleGAN2 and 3 (when the config's ``pl_weight`` > 0: StyleGAN2, and StyleGAN3's rungs B and
   C, which keep StyleGAN2's regularisers) add every ``PL_INTERVAL`` = 4 steps
   :math:`k\cdot\mathcal L_{pl}` on ``B / PL_BATCH_SHRINK`` = B/2 fresh latents, in fp32 outside
   autocast like R1 (:class:`~stylegan_lib.stylegan2.loss.PathLengthPenalty`; its running mean a is
   part of the training checkpoint and logged as ``pl_mean``);
3. **EMA** — :math:`\theta_\text{ema} \leftarrow \theta + \beta(\theta_\text{ema} - \theta)`;
   buffers (w̄, StyleGAN3's magnitude EMAs, which G tracks in train mode) are copied.

All randomness (data order, mirroring, latents, crossover points, noise images) comes from two
seeded ``torch.Generator``s drawn for the *whole* minibatch; under ``torch.distributed`` every
process draws the same numbers and keeps its share (images ``rank::world_size``), which is why
one step on 2 × B/2 equals one step on B, and why a resumed run repeats an uninterrupted one.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import torch

from ..checkpoint import CheckpointError, save_models
from ..generations import (AnyConfig, build_discriminator, build_generator, config_from_dict, generation_of,
                           get_config, is_progressive)
from ..images import to_float
from ..layers import downsample2d, lerp, upsample2d
from ..metrics.detectors import get_feature_detector, get_perceptual_distance
from ..metrics.evaluate import generated_features
from ..metrics.frechet import StatsAccumulator, frechet_distance_from_stats
from ..metrics.ppl import perceptual_path_length
from ..stylegan2.loss import PL_BATCH_SHRINK, PL_INTERVAL, PathLengthPenalty, lazy_scale
from ..utils import cpu_supports_bf16, get_device, stream_seed
from . import distributed as dist_util
from .checkpoint import load_training_checkpoint, save_training_checkpoint
from .ema import ema_beta, make_ema, update_ema
from .loss import LOSSES, d_logistic, d_wgan_gp, g_nonsaturating, g_wgan, r1_penalty
from .schedule import Schedule, SchedulePoint


class TrainingDivergedError(RuntimeError):
    """A loss or a weight became NaN or infinite."""


# ------------------------------------------------------------------------------------------
# Options.
# ------------------------------------------------------------------------------------------
@dataclass
class TrainOptions:
    """Everything that defines a run (stored in every checkpoint; plain data)."""

    preset: str = "book-32"              # model preset of any generation (stylegan_lib.generations)
    config_overrides: dict = field(default_factory=dict)
    kimg: float = 300.0                  # total thousands of real images shown to D
    seed: int = 0
    # Losses.
    loss: str = "logistic"               # "logistic" (+R1, the paper's FFHQ setup) or "wgan-gp"
    r1_gamma: float = 10.0
    r1_interval: int = 4                 # lazy R1: every k-th D step, scaled by k (1 = every step)
    wgan_lambda: float = 10.0
    wgan_drift: float = 0.001
    # Adam (β1 = 0, β2 = 0.99); the mapping network's 0.01× rate is built into its layers.
    betas: tuple = (0.0, 0.99)
    adam_eps: float = 1e-8
    # Schedule (progressive growing; start_res = resolution trains at a fixed resolution).
    schedule: dict = field(default_factory=dict)  # Schedule fields except ``resolution``
    # Regularisation and augmentation.
    style_mixing_prob: float | None = None  # None: the configuration's (0.9 for config F)
    mirror: bool = True
    ema_half_life_kimg: float = 10.0
    ema_rampup: float | None = 0.05
    # Bookkeeping.
    tick_kimg: float = 4.0
    snapshot_kimg: float = 20.0          # training checkpoint
    sample_kimg: float = 20.0            # sample grid PNG
    grid_size: tuple = (8, 8)            # columns, rows of the sample grid
    # Hardware.
    device: str = "auto"
    amp: str = "none"                    # "none" | "bf16" | "fp16" (CUDA); "bf16" on CPUs with bf16 units
    # Metrics of G_ema every ``metrics_kimg`` (0 = never), in the tick's log line (Figure 9): FD of
    # ``metrics_num`` generated against as many training images (the book's classifier features)
    # and PPL in W (end-point sampling) over ``metrics_ppl_num`` pairs.
    metrics_kimg: float = 0.0
    metrics_num: int = 2000
    metrics_ppl_num: int = 200
    channels_last: bool = False          # CUDA only
    nan_check: bool = True

    def __post_init__(self):
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {self.loss!r}")
        if self.amp not in ("none", "bf16", "fp16"):
            raise ValueError(f"amp must be 'none', 'bf16' or 'fp16', got {self.amp!r}")
        if self.r1_interval < 1:
            raise ValueError(f"r1_interval must be >= 1, got {self.r1_interval}")
        if self.kimg <= 0:
            raise ValueError(f"kimg must be positive, got {self.kimg}")
        self.betas = tuple(self.betas)
        self.grid_size = tuple(self.grid_size)

    def model_config(self) -> AnyConfig:
        return get_config(self.preset, **self.config_overrides)

    def make_schedule(self) -> Schedule:
        """The schedule at the model's resolution. A generator that does not grow (StyleGAN2, 3)
        starts at its full resolution whatever the recipe says: lod = 0 from the first step."""
        cfg = self.model_config()
        schedule = dict(self.schedule)
        if not is_progressive(cfg):
            schedule["start_res"] = cfg.img_resolution
        return Schedule(resolution=cfg.img_resolution, **schedule)

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["betas"], d["grid_size"] = list(self.betas), list(self.grid_size)
        d["schedule"] = {k: ({str(r): v for r, v in val.items()} if isinstance(val, dict) else val)
                         for k, val in self.schedule.items()}
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "TrainOptions":
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


#: Tells the random stream of the initial weights apart from ``torch.manual_seed(seed)``'s.
WEIGHT_STREAM = 0x3E16

#: Training recipes: the paper's FFHQ schedule, the book's CPU schedule and a tiny demo one.
RECIPES: dict[str, dict[str, Any]] = {
    # Karras et al. 2019, FFHQ: 8² start, 600k+600k per resolution, 25M images, R1 γ = 10.
    "paper": dict(kimg=25000.0, r1_interval=1, tick_kimg=160.0, snapshot_kimg=1000.0,
                  sample_kimg=1000.0, schedule={}),
    # The book's 32² model on 2 CPU cores, on faces:100000:medium (benchmarks/training.md §7).
    "book": dict(kimg=600.0, r1_gamma=1.0, r1_interval=4, tick_kimg=4.0, snapshot_kimg=20.0, sample_kimg=20.0,
                 ema_half_life_kimg=10.0, metrics_kimg=20.0,
                 schedule=dict(start_res=8, lod_training_kimg=30.0, lod_transition_kimg=30.0,
                               minibatch={8: 32, 16: 32, 32: 32}, minibatch_default=32,
                               lr={}, lr_default=0.002)),
    # A few seconds: the live demo of chapter 8 and the tests.
    "quick": dict(kimg=2.0, r1_interval=4, tick_kimg=0.25, snapshot_kimg=1.0, sample_kimg=1.0,
                  ema_half_life_kimg=0.5, grid_size=(6, 4),
                  schedule=dict(start_res=8, lod_training_kimg=0.4, lod_transition_kimg=0.4,
                                minibatch={8: 16, 16: 16}, minibatch_default=16, lr={},
                                lr_default=0.002)),
    # StyleGAN2 / StyleGAN3 at 32² on a CPU: 380 kimg (the first book model's length), the "book"
    # recipe's minibatch, learning rate, R1 γ = 1 and EMA, at a fixed resolution (these
    # generators do not grow), with R1 every 16 steps as in StyleGAN2's lazy regularisation (its
    # path length penalty runs every 4 G steps, stylegan2.loss.PL_INTERVAL). Each regulariser is
    # added, ×k, to the loss of its step, so Adam's settings stay those of "book" (no lazy_adam
    # correction). For non-growing presets only: a StyleGAN1 preset would need a start_res and
    # phase lengths.
    "sg-book": dict(kimg=380.0, r1_gamma=1.0, r1_interval=16, tick_kimg=4.0, snapshot_kimg=20.0,
                    sample_kimg=20.0, ema_half_life_kimg=10.0, metrics_kimg=20.0,
                    schedule=dict(lod_training_kimg=0.0, lod_transition_kimg=0.0, minibatch={},
                                  minibatch_default=32, lr={}, lr_default=0.002)),
    # The same in seconds ("quick"'s lengths): sg2-tiny-16, sg3-tiny-16 and the tests.
    "sg-quick": dict(kimg=2.0, r1_interval=16, tick_kimg=0.25, snapshot_kimg=1.0, sample_kimg=1.0,
                     ema_half_life_kimg=0.5, grid_size=(6, 4),
                     schedule=dict(lod_training_kimg=0.0, lod_transition_kimg=0.0, minibatch={},
                                   minibatch_default=16, lr={}, lr_default=0.002)),
}


def recipe_options(recipe: str = "book", **changes) -> TrainOptions:
    """TrainOptions from a named recipe ("paper", "book", "quick", "sg-book", "sg-quick") with
    changes on top."""
    if recipe not in RECIPES:
        raise ValueError(f"unknown recipe {recipe!r}; recipes: {', '.join(RECIPES)}")
    kw = dict(RECIPES[recipe])
    kw.update(changes)
    return TrainOptions(**kw)


# ------------------------------------------------------------------------------------------
# Real images at a level of detail.
# ------------------------------------------------------------------------------------------
def to_float_images(images_uint8: torch.Tensor) -> torch.Tensor:
    """uint8 [0, 255] → float [-1, 1]."""
    return to_float(images_uint8)


def reals_at_lod(x: torch.Tensor, lod: float) -> torch.Tensor:
    r"""What the real images look like at level of detail ``lod`` (matching G's output): box-
    downsample to the current resolution :math:`R/2^{\lfloor\text{lod}\rfloor}`, blend during a
    fade-in with the half-resolution version,
    :math:`x \leftarrow \operatorname{lerp}(x, \operatorname{up}(\operatorname{down}(x)), \text{lod}-\lfloor\text{lod}\rfloor)`,
    and upsample back to R with nearest neighbour."""
    if lod <= 0:
        return x
    f = 2 ** math.floor(lod)
    x = downsample2d(x, f)
    frac = lod - math.floor(lod)
    if frac > 0:
        x = lerp(x, upsample2d(downsample2d(x, 2)), frac)
    return upsample2d(x, f)


# ------------------------------------------------------------------------------------------
# The trainer.
# ------------------------------------------------------------------------------------------
class Trainer:
    """Train G and D on an in-memory uint8 image tensor [N, 3, R, R].

    ``Trainer(options, images, run_dir)``, then ``.train()``; or ``.step()`` for one iteration.
    ``Trainer.resume(path, images, run_dir)`` continues from a training checkpoint.
    """

    def __init__(self, options: TrainOptions, images: torch.Tensor, run_dir: str | os.PathLike | None = None,
                 progress: bool = True, rank: int | None = None, world_size: int | None = None,
                 command: str | None = None):
        self.opts = options
        self.cfg = options.model_config()
        self.schedule = options.make_schedule()
        self.device = get_device(options.device)
        self.rank = dist_util.get_rank() if rank is None else rank
        self.world_size = dist_util.get_world_size() if world_size is None else world_size
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.progress = progress and self.rank == 0
        self.command = command
        self._check_images(images)
        self.images = images
        self.mixing_prob = (self.cfg.style_mixing_prob if options.style_mixing_prob is None
                            else float(options.style_mixing_prob))

        # Initial weights, identical on every process, from a stream of their own: with plain
        # torch.manual_seed(seed), z drawn the same way would be the mapping's first-layer rows
        # (latent.latent_generator says why that breaks images).
        torch.manual_seed(stream_seed(options.seed, WEIGHT_STREAM))
        self.progressive = is_progressive(self.cfg)
        # G in train mode: StyleGAN3's magnitude normalisation tracks its EMAs only then.
        self.G = build_generator(self.cfg).to(self.device).train()
        self.D = build_discriminator(self.cfg).to(self.device).train()
        self.G_ema = make_ema(self.G)
        # StyleGAN2's path length penalty (config F: γ_pl = 2; StyleGAN3's B and C), with its running mean a.
        pl_weight = getattr(self.cfg, "pl_weight", 0.0) if generation_of(self.cfg) != "stylegan1" else 0.0
        self.pl = PathLengthPenalty(pl_weight).to(self.device) if pl_weight > 0 else None
        if self.device.type == "cuda" and options.channels_last:
            for m in (self.G, self.D, self.G_ema):
                m.to(memory_format=torch.channels_last)
        self.data_gen = torch.Generator().manual_seed(options.seed)
        self.latent_gen = torch.Generator(device=self.device).manual_seed(options.seed + 1)
        self.grid_z = torch.randn(options.grid_size[0] * options.grid_size[1], self.cfg.z_dim,
                                  generator=torch.Generator().manual_seed(options.seed + 2))
        self.perm = torch.randperm(len(images), generator=self.data_gen)
        self.pos = 0
        self.cur_nimg = 0
        self.step_idx = 0
        self.tick = 0
        self.wall_before = 0.0  # seconds of training in previous sessions (resume)
        self.lod_key = None
        self.opt_G = self.opt_D = None
        if self.device.type == "cpu" and options.amp == "fp16":
            raise ValueError("amp='fp16' is for CUDA; on the CPU use amp='bf16' (where the CPU has "
                             "bf16 units) or amp='none'")
        if self.device.type == "cpu" and options.amp == "bf16" and not cpu_supports_bf16():
            raise ValueError("amp='bf16' was asked for, but this CPU has no native bfloat16 units "
                             "(AVX512-BF16 or AMX): PyTorch would emulate bf16, several times slower "
                             "than fp32. Train with amp='none' here.")
        amp_on = self.device.type in ("cuda", "cpu") and options.amp != "none"
        self.amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(options.amp) if amp_on else None
        self.scaler = torch.amp.GradScaler("cuda", enabled=amp_on and options.amp == "fp16")
        self._stats: dict[str, list[float]] = {}
        self._real_stats = None  # classifier features of the training images, for snapshot FD

    # -- helpers --------------------------------------------------------------------------------
    def _check_images(self, images):
        R = self.cfg.img_resolution
        if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8 or images.ndim != 4 \
                or tuple(images.shape[1:]) != (self.cfg.img_channels, R, R):
            got = (f"{images.dtype} {list(images.shape)}" if isinstance(images, torch.Tensor)
                   else type(images).__name__)
            raise ValueError(f"training images must be a uint8 tensor [N, {self.cfg.img_channels}, {R}, {R}] "
                             f"(the preset's resolution), got {got}. Render or load the data set at {R}² "
                             "(e.g. stylegan_lib.data.ImageFolderDataset(path, resolution=R).load_all()).")
        if len(images) < 1:
            raise ValueError("the training set is empty")

    def point(self) -> SchedulePoint:
        return self.schedule.at(self.cur_nimg / 1000.0)

    def _make_optimizers(self, p: SchedulePoint):
        kw = dict(lr=p.lr, betas=self.opts.betas, eps=self.opts.adam_eps)
        self.opt_G = torch.optim.Adam(self.G.parameters(), **kw)
        self.opt_D = torch.optim.Adam(self.D.parameters(), **kw)

    def _autocast(self):
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.amp_dtype)

    def _next_indices(self, n: int) -> torch.Tensor:
        """The next n data indices of the shuffled epoch order (a new permutation per epoch)."""
        out = []
        while n > 0:
            if self.pos >= len(self.perm):
                self.perm = torch.randperm(len(self.images), generator=self.data_gen)
                self.pos = 0
            take = min(n, len(self.perm) - self.pos)
            out.append(self.perm[self.pos:self.pos + take])
            self.pos += take
            n -= take
        return torch.cat(out)

    def _share(self, x: torch.Tensor) -> torch.Tensor:
        """This process's part of a tensor drawn for the whole minibatch."""
        return x[self.rank::self.world_size] if self.world_size > 1 else x

    def _latents(self, B: int, lod: float):
        """z for the whole minibatch, and the style-mixing plan: a second z, and the layer from
        which it takes over (num_layers = no mixing)."""
        g, dev = self.latent_gen, self.device
        z = torch.randn(B, self.cfg.z_dim, device=dev, generator=g)
        z2 = torch.randn(B, self.cfg.z_dim, device=dev, generator=g)
        # Only the layers of the resolutions in use take part: num_ws − 2⌊lod⌋.
        cur_layers = self.G.num_ws - 2 * int(math.floor(lod))
        mix = torch.rand(B, device=dev, generator=g) < self.mixing_prob
        if cur_layers > 1:
            cut = torch.randint(1, cur_layers, (B,), device=dev, generator=g)
        else:
            cut = torch.full((B,), self.G.num_ws, device=dev)
        cutoff = torch.where(mix, cut, torch.full_like(cut, self.G.num_ws))
        return z, z2, cutoff

    def _noise(self, B: int):
        """One N(0, 1) noise image per layer for the whole minibatch, from the latent generator
        (``make_noise_inputs``; None without noise inputs)."""
        if not self.cfg.use_noise:
            return None
        return self.G.synthesis.make_noise_inputs(B, generator=self.latent_gen)

    def _lod(self, lod: float) -> dict[str, float]:
        """The level-of-detail argument of G and D: only a progressive generator takes one."""
        return {"lod": lod} if self.progressive else {}

    def _generate(self, z, z2, cutoff, noise, lod, update_w_avg=False):
        """G(z) with style mixing (:meth:`_styles`)."""
        ws = self._styles(z, z2, cutoff, update_w_avg)
        return self.G.synthesis(ws, noise=noise, **self._lod(lod))

    def _styles(self, z, z2, cutoff, update_w_avg=False) -> torch.Tensor:
        """The style inputs ws with style mixing: style input i comes from z2 when i ≥ cutoff."""
        ws = self.G.mapping(z)
        if update_w_avg:
            # w̄ ← mean_batch(w) + β (w̄ − mean_batch(w)), with the mean over the whole minibatch.
            w_mean = dist_util.all_reduce_mean(ws[:, 0].detach().float().mean(0))
            self.G.mapping.update_w_avg(w_mean[None])
        if self.mixing_prob > 0 and self.G.num_ws > 1:
            ws2 = self.G.mapping(z2)
            layer = torch.arange(self.G.num_ws, device=z.device)[None, :, None]
            ws = torch.where(layer < cutoff[:, None, None], ws, ws2)
        return ws

    def _record(self, **values):
        for k, v in values.items():
            self._stats.setdefault(k, []).append(float(v))

    def _check_finite(self, what: str, value: torch.Tensor):
        if self.opts.nan_check and not torch.isfinite(value).all():
            raise TrainingDivergedError(
                f"{what} became {value.item() if value.numel() == 1 else 'non-finite'} at "
                f"{self.cur_nimg / 1000:.3f} kimg (step {self.step_idx}). Training stopped; the last good "
                f"checkpoint is {self._last_checkpoint_text()}. Lower the learning rate, raise r1_gamma "
                "or use amp='none', then continue with --resume.")

    def _last_checkpoint_text(self) -> str:
        if self.run_dir is None or not (self.run_dir / "checkpoint.pt").is_file():
            return "none (nothing was saved yet)"
        return str(self.run_dir / "checkpoint.pt")

    # -- one iteration ----------------------------------------------------------------------
    def step(self) -> dict[str, float]:
        """One D step and one G step on one minibatch, then the EMA update; returns this step's
        losses."""
        p = self.point()
        self._update_optimizers(p)
        B, lod = p.batch, p.lod
        if B % self.world_size:
            raise ValueError(f"minibatch {B} is not divisible by the number of processes {self.world_size}")
        out = self._discriminator_step(B, lod)
        out["loss_G"] = self._generator_step(B, lod)
        self.cur_nimg += B
        self._update_ema(B)
        self.step_idx += 1
        self._record(**out)
        return out

    def _update_optimizers(self, p: SchedulePoint):
        """The schedule's learning rate for both networks; fresh optimiser state whenever a
        fade-in starts or ends."""
        if p.lod_key != self.lod_key:
            self._make_optimizers(p)
            self.lod_key = p.lod_key
        for opt in (self.opt_G, self.opt_D):
            for group in opt.param_groups:
                group["lr"] = p.lr

    def _discriminator_step(self, B: int, lod: float) -> dict[str, float]:
        r"""D on B reals and B fakes of a frozen G; returns L_D, its extra terms and the mean scores.

        Logistic: :math:`L_D = \mathbb E[\operatorname{softplus}(D(G(z)))] + \mathbb
        E[\operatorname{softplus}(-D(x))]`, plus :math:`k\cdot R_1` every k = ``r1_interval``
        steps; or WGAN-GP.
        """
        idx = self._next_indices(B)
        flip = torch.rand(B, generator=self.data_gen) < 0.5 if self.opts.mirror else None
        inputs = self._generator_inputs(B, lod)
        reals = self._reals(idx, flip, lod)
        logistic = self.opts.loss == "logistic"
        do_r1 = logistic and self.opts.r1_gamma > 0 and self.step_idx % self.opts.r1_interval == 0
        self.G.requires_grad_(False)
        self.D.requires_grad_(True)
        with self._autocast():
            with torch.no_grad():
                fakes = self._generate(*inputs, lod)
            fake_logits = self.D(fakes, lod=lod)
        # R1 needs a second derivative: its D pass runs in fp32.
        reals.requires_grad_(do_r1)
        with (contextlib.nullcontext() if do_r1 else self._autocast()):
            real_logits = self.D(reals, lod=lod)
        fake_logits, real_logits = fake_logits.float(), real_logits.float()
        out: dict[str, float] = {}
        if logistic:
            loss_D = d_logistic(real_logits, fake_logits)
            total_D = loss_D
            if do_r1:
                r1 = r1_penalty(real_logits, reals, self.opts.r1_gamma)
                total_D = total_D + r1 * self.opts.r1_interval  # lazy: k × the penalty every k steps
                out["r1"] = r1.item()
        else:
            parts = d_wgan_gp(self.D, reals, fakes, real_logits, fake_logits, lam=self.opts.wgan_lambda,
                              drift=self.opts.wgan_drift, generator=self.latent_gen, lod=lod)
            loss_D = total_D = parts["loss"]
            out["gp"] = parts["gp"].item()
        self._descend("loss_D", total_D, self.D, self.opt_D)
        out.update(loss_D=loss_D.item(), real_score=real_logits.mean().item(),
                   fake_score=fake_logits.mean().item())
        return out

    def _generator_step(self, B: int, lod: float) -> float:
        r"""G against a frozen D, on fresh latents with style mixing, tracking w̄; returns
        :math:`L_G = \mathbb E[\operatorname{softplus}(-D(G(z)))]` (WGAN: :math:`-\mathbb E[D(G(z))]`).
        With the path length penalty, G descends :math:`L_G + [k \mid t]\,k\,\mathcal L_{pl}`."""
        inputs = self._generator_inputs(B, lod)
        self.G.requires_grad_(True)
        self.D.requires_grad_(False)
        with self._autocast():
            fakes = self._generate(*inputs, lod, update_w_avg=True)
            gen_logits = self.D(fakes, lod=lod).float()
        loss_G = g_nonsaturating(gen_logits) if self.opts.loss == "logistic" else g_wgan(gen_logits)
        total_G = loss_G
        pl_gain = lazy_scale(self.step_idx, PL_INTERVAL) if self.pl is not None else 0.0
        if pl_gain:
            # lazy: k × the penalty every k steps
            total_G = total_G + self._path_length_penalty(B) * pl_gain
        self._descend("loss_G", total_G, self.G, self.opt_G)
        self.scaler.update()
        self.D.requires_grad_(True)
        return loss_G.item()

    def _path_length_penalty(self, B: int) -> torch.Tensor:
        r"""StyleGAN2's :math:`\mathcal L_{pl}` on ``B / PL_BATCH_SHRINK`` fresh latents (style
        mixing as in the G step, w̄ not tracked), in fp32 outside autocast, with the image-space
        directions :math:`y \sim \mathcal N(0, I)/\sqrt{HW}` drawn for the whole half minibatch;
        logs the penalty ``pl`` and the running mean ``pl_mean``."""
        n = max(B // PL_BATCH_SHRINK, 1)
        if n % self.world_size:
            raise ValueError(f"the path length minibatch {n} (B / {PL_BATCH_SHRINK}) is not divisible by the "
                             f"number of processes {self.world_size}")
        z, z2, cutoff, noise = self._generator_inputs(n, 0.0)
        R = self.cfg.img_resolution
        # y = N(0, I) / √(H·W)
        y = torch.randn(n, self.cfg.img_channels, R, R, device=self.device, generator=self.latent_gen) / R
        ws = self._styles(z, z2, cutoff)
        images = self.G.synthesis(ws, noise=noise)
        penalty = self.pl(images.float(), ws, y=self._share(y), reduce=dist_util.all_reduce_mean)
        self._record(pl=penalty.item(), pl_mean=self.pl.mean.item())
        return penalty

    def _update_ema(self, B: int):
        r""":math:`\theta_\text{ema} \leftarrow \theta + \beta(\theta_\text{ema} - \theta)`, with β
        from the half-life in images (ramped up at the start of training)."""
        beta = ema_beta(B, self.opts.ema_half_life_kimg * 1000, self.cur_nimg, self.opts.ema_rampup)
        update_ema(self.G_ema, self.G, beta)

    def _generator_inputs(self, B: int, lod: float):
        """This process's share of the latents, the style-mixing plan and the noise images, all
        drawn for the whole minibatch: ``(z, z2, cutoff, noise)``."""
        z, z2, cutoff = self._latents(B, lod)
        noise = self._noise(B)
        shared_noise = [self._share(n) for n in noise] if noise is not None else None
        return self._share(z), self._share(z2), self._share(cutoff), shared_noise

    def _reals(self, idx: torch.Tensor, flip: torch.Tensor | None, lod: float) -> torch.Tensor:
        """This process's share of the real images ``idx`` in [-1, 1], mirrored where ``flip``,
        at the level of detail ``lod``."""
        reals = to_float_images(self._share(self.images[idx]).to(self.device))
        if flip is not None:
            f = self._share(flip).to(self.device)
            reals = torch.where(f[:, None, None, None], reals.flip(3), reals)
        return reals_at_lod(reals, lod)

    def _descend(self, what: str, loss: torch.Tensor, net: torch.nn.Module,
                 opt: torch.optim.Optimizer):
        """One optimiser step on ``loss`` (checked to be finite), with the gradients averaged
        over the processes."""
        self._check_finite(what, loss)
        opt.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        dist_util.all_reduce_grads(net)
        self.scaler.step(opt)

    # -- samples, logs, checkpoints ----------------------------------------------------------
    @torch.no_grad()
    def sample_grid(self, lod: float | None = None) -> torch.Tensor:
        """G_ema's images for the fixed grid latents (const noise), uint8 [rows·R, cols·R, 3]."""
        from ..images import image_grid

        lod = self.point().lod if lod is None else lod
        imgs = []
        for z in self.grid_z.split(64):
            imgs.append(self.G_ema(z.to(self.device), noise_mode="const", **self._lod(lod)).float().cpu())
        return torch.from_numpy(image_grid(torch.cat(imgs), self.opts.grid_size[0], pad=0))

    @torch.no_grad()
    def snapshot_metrics(self) -> dict[str, float]:
        """FD and PPL of G_ema now (the paper's Figure 9 tracks FID and PPL over training).

        FD: ``metrics_num`` generated images (ψ = 1, random noise) against as many training
        images, on the book's classifier features; PPL: W, end points, ``metrics_ppl_num``
        pairs. Small counts: FD is biased upwards at small counts, so compare values of one
        run (or runs at one count), not with 50 k figures. The global random state is left
        as it was, so measuring does not change the training run.
        """
        t0 = time.time()
        with torch.random.fork_rng(devices=[self.device] if self.device.type == "cuda" else []):
            det = get_feature_detector("classifier", None, self.device)
            n = min(self.opts.metrics_num, len(self.images))
            if self._real_stats is None:
                acc = StatsAccumulator()
                order = torch.randperm(len(self.images), generator=torch.Generator().manual_seed(123))[:n]
                for part in order.split(500):
                    acc.add(det(self.images[part].to(self.device)))
                self._real_stats = acc.stats()
            G = self.G_ema.eval()
            (fake,) = generated_features(G, [det], n, seed=self.opts.seed + 3, device=self.device,
                                         progress=False)
            fd = float(frechet_distance_from_stats(self._real_stats, fake))
            dist = get_perceptual_distance("classifier", None, self.device)
            ppl = perceptual_path_length(G, dist, self.opts.metrics_ppl_num, space="w", sampling="end",
                                         seed=self.opts.seed + 4, device=self.device, progress=False)
        return {"fd": round(fd, 3), "ppl_wend": round(float(ppl.value), 3), "metrics_num": n,
                "metrics_ppl_num": self.opts.metrics_ppl_num, "metrics_s": round(time.time() - t0, 1)}

    def save_samples(self) -> Path | None:
        if self.run_dir is None or self.rank != 0:
            return None
        from PIL import Image

        path = self.run_dir / f"samples-{self.cur_nimg // 1000:06d}kimg.png"
        Image.fromarray(self.sample_grid().numpy()).save(path)
        return path

    def state_dict(self) -> dict[str, Any]:
        """Everything needed to continue exactly (see stylegan_lib.train.checkpoint); with the path
        length penalty, its running mean under ``"pl"``."""
        latent_state = self.latent_gen.get_state()
        pl = {"pl": self.pl.state_dict()} if self.pl is not None else {}
        return {
            "config": self.cfg.to_dict(),
            "G": self.G.state_dict(), "G_ema": self.G_ema.state_dict(), "D": self.D.state_dict(),
            "opt_G": self.opt_G.state_dict() if self.opt_G else {},
            "opt_D": self.opt_D.state_dict() if self.opt_D else {},
            "scaler": self.scaler.state_dict(),
            "options": self.opts.to_dict(),
            "progress": {"cur_nimg": self.cur_nimg, "step": self.step_idx, "tick": self.tick,
                         "lod_key": list(self.lod_key) if self.lod_key else None,
                         "wall_seconds": self.wall_seconds()},
            "rng": {"data": self.data_gen.get_state(), "latent": latent_state.cpu(),
                    "torch": torch.get_rng_state()},
            "data_order": {"perm": self.perm.clone(), "pos": self.pos, "num_images": len(self.images)},
            "meta": {"command": self.command},
            **pl,
        }

    def load_state_dict(self, obj: dict[str, Any]) -> None:
        if config_from_dict(obj["config"]) != self.cfg:
            stored = config_from_dict(obj["config"]).to_dict()
            differ = [k for k, v in self.cfg.to_dict().items() if stored.get(k) != v]
            raise CheckpointError(f"the checkpoint was trained with a different model configuration (differing: "
                                  f"{', '.join(differ)}) than the options given — its preset may have changed "
                                  "since; resume with the checkpoint's own options, or start the run afresh")
        n = obj["data_order"]["num_images"]
        if n != len(self.images):
            raise CheckpointError(f"the checkpoint's run used {n} training images but {len(self.images)} "
                                  "were given: resume with the same data set")
        self.G.load_state_dict(obj["G"])
        self.G_ema.load_state_dict(obj["G_ema"])
        self.D.load_state_dict(obj["D"])
        if self.pl is not None:
            if "pl" not in obj:
                raise CheckpointError("the checkpoint holds no path length penalty state (its running mean): "
                                      "it was not written by a run with pl_weight > 0")
            self.pl.load_state_dict(obj["pl"])
        prog = obj["progress"]
        self.cur_nimg, self.step_idx, self.tick = int(prog["cur_nimg"]), int(prog["step"]), int(prog["tick"])
        self.wall_before = float(prog.get("wall_seconds", 0.0))
        if prog.get("lod_key") is not None:
            self.lod_key = tuple(prog["lod_key"])
            self._make_optimizers(self.point())
            self.opt_G.load_state_dict(obj["opt_G"])
            self.opt_D.load_state_dict(obj["opt_D"])
        if obj.get("scaler"):
            self.scaler.load_state_dict(obj["scaler"])
        self.data_gen.set_state(obj["rng"]["data"])
        self.latent_gen.set_state(obj["rng"]["latent"].to(self.latent_gen.device)
                                  if self.latent_gen.device.type != "cpu" else obj["rng"]["latent"])
        torch.set_rng_state(obj["rng"]["torch"])
        self.perm = obj["data_order"]["perm"].clone()
        self.pos = int(obj["data_order"]["pos"])

    @classmethod
    def resume(cls, path: str | os.PathLike, images: torch.Tensor, run_dir=None, progress: bool = True,
               rank=None, world_size=None, command=None, **option_changes) -> "Trainer":
        """A trainer continuing the run of training checkpoint ``path``. ``option_changes`` may
        extend ``kimg`` (or change bookkeeping/hardware options) but not the model."""
        obj = load_training_checkpoint(path)
        opts = TrainOptions.from_dict(obj["options"])
        for k, v in option_changes.items():
            if k in ("preset", "config_overrides", "schedule", "seed"):
                raise ValueError(f"{k} cannot change when resuming a run")
            setattr(opts, k, v)
        trainer = cls(opts, images, run_dir=run_dir, progress=progress, rank=rank, world_size=world_size,
                      command=command)
        trainer.load_state_dict(obj)
        return trainer

    def wall_seconds(self) -> float:
        start = getattr(self, "_session_start", None)
        return self.wall_before + (time.time() - start if start is not None else 0.0)

    def save_checkpoint(self) -> Path | None:
        """Write ``run_dir/checkpoint.pt`` (atomically; only process 0)."""
        if self.run_dir is None or self.rank != 0:
            return None
        self._check_weights()
        return save_training_checkpoint(self.run_dir / "checkpoint.pt", self.state_dict())

    def _check_weights(self):
        if not self.opts.nan_check:
            return
        for name, module in (("G", self.G), ("D", self.D), ("G_ema", self.G_ema)):
            for pname, p in module.named_parameters():
                if not torch.isfinite(p).all():
                    raise TrainingDivergedError(
                        f"weight {name}.{pname} became non-finite at {self.cur_nimg / 1000:.3f} kimg; "
                        f"training stopped, the last good checkpoint is {self._last_checkpoint_text()}. "
                        "Lower the learning rate or raise r1_gamma, then continue with --resume.")

    def save_model(self, path, half: bool = False, meta: dict | None = None) -> Path:
        """A model checkpoint (G_ema only) for ``load_generator`` / ``load_pretrained``."""
        return save_models(path, self.cfg, G_ema=self.G_ema, half=half, meta=meta or {})

    def _log_tick(self, log_path: Path | None, tick_start: float, tick_nimg: int, bar=None,
                  extra: dict | None = None) -> dict:
        p = self.point()
        dt = max(time.time() - tick_start - (extra or {}).get("metrics_s", 0.0), 1e-9)
        ips = (self.cur_nimg - tick_nimg) / dt
        remaining = (self.opts.kimg * 1000 - self.cur_nimg) / max(ips, 1e-9)
        entry = {"tick": self.tick, "kimg": round(self.cur_nimg / 1000, 3), "step": self.step_idx,
                 "resolution": p.resolution, "lod": round(p.lod, 4), "alpha": round(p.alpha, 4),
                 "phase": p.phase, "batch": p.batch, "lr": p.lr,
                 "images_per_s": round(ips, 2), "sec_per_tick": round(dt, 2),
                 "wall_s": round(self.wall_seconds(), 1), "eta_s": round(remaining, 0)}
        for k, v in self._stats.items():
            entry[k] = round(sum(v) / len(v), 5)
        entry.update(extra or {})
        self._stats = {}
        if log_path is not None:
            with open(log_path, "a") as f:
                f.write(json.dumps(entry) + "\n")
        if bar is not None:
            bar.set_postfix_str(f"{p.resolution}² {p.phase} α={p.alpha:.2f} {ips:.0f} img/s "
                                f"G={entry.get('loss_G', float('nan')):.3f} D={entry.get('loss_D', float('nan')):.3f}")
        return entry

    # -- the loop ---------------------------------------------------------------------------
    def train(self, callback: Callable[["Trainer", dict], None] | None = None,
              stop_after_kimg: float | None = None, deadline: float | None = None) -> list[dict]:
        """Train until ``options.kimg`` (or ``stop_after_kimg``, for tests of resuming), logging a
        tick every ``tick_kimg`` and writing samples / checkpoints on their intervals.

        ``deadline`` (a ``time.time()`` value) ends the session at the first tick after it, with a
        checkpoint, so that a run with a wall-clock limit stops cleanly and can be resumed;
        ``self.stopped_early`` tells whether that happened."""
        from tqdm import tqdm  # text bars: widget bars can stall papermill/nbval kernels

        self._session_start = time.time()
        self.stopped_early = False
        total = self.opts.kimg * 1000
        stop = total if stop_after_kimg is None else min(total, stop_after_kimg * 1000)
        log_path = None
        if self.run_dir is not None and self.rank == 0:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            log_path = self.run_dir / "log.jsonl"
            self._trim_log(log_path)
            (self.run_dir / "options.json").write_text(json.dumps(self.opts.to_dict(), indent=1))
            if self.cur_nimg == 0:
                self.save_samples()
        import sys

        bar = tqdm(total=int(total), initial=int(self.cur_nimg), unit="kimg", unit_scale=0.001,
                   disable=not self.progress, dynamic_ncols=True,
                   mininterval=0.5 if sys.stderr.isatty() else 30.0)
        entries = []
        tick_start, tick_nimg = time.time(), self.cur_nimg
        next_tick = (math.floor(self.cur_nimg / (self.opts.tick_kimg * 1000)) + 1) * self.opts.tick_kimg * 1000

        def crossed(interval_kimg, before, after):
            k = interval_kimg * 1000
            return interval_kimg > 0 and math.floor(after / k) > math.floor(before / k)

        while self.cur_nimg < stop:
            before = self.cur_nimg
            self.step()
            bar.update(self.cur_nimg - before)
            done = self.cur_nimg >= stop
            if self.cur_nimg >= next_tick or done:
                self.tick += 1
                # metrics at the final resolution only: before, G draws at a lower level of detail
                measure = self.rank == 0 and self.opts.metrics_kimg > 0 and self.point().lod == 0 and (
                    crossed(self.opts.metrics_kimg, tick_nimg, self.cur_nimg) or done)
                extra = self.snapshot_metrics() if measure else None
                entry = self._log_tick(log_path, tick_start, tick_nimg, bar, extra)
                entries.append(entry)
                if crossed(self.opts.sample_kimg, tick_nimg, self.cur_nimg) or self.cur_nimg >= total:
                    self.save_samples()
                late = deadline is not None and time.time() >= deadline and not done
                if crossed(self.opts.snapshot_kimg, tick_nimg, self.cur_nimg) or done or late:
                    self.save_checkpoint()
                if late:
                    self.stopped_early = True
                    if self.rank == 0:
                        self.save_samples()
                    break
                if callback is not None:
                    callback(self, entry)
                tick_start, tick_nimg = time.time(), self.cur_nimg
                next_tick = (math.floor(self.cur_nimg / (self.opts.tick_kimg * 1000)) + 1) \
                    * self.opts.tick_kimg * 1000
        bar.close()
        return entries

    def _trim_log(self, log_path: Path):
        """On resume, drop log lines written after the checkpoint (they will be written again)."""
        if not log_path.is_file():
            return
        keep = []
        for line in log_path.read_text().splitlines():
            try:
                if json.loads(line).get("kimg", 0) * 1000 <= self.cur_nimg + 0.5:
                    keep.append(line)
            except json.JSONDecodeError:
                continue
        log_path.write_text("".join(k + "\n" for k in keep))


def read_log(path: str | os.PathLike) -> list[dict]:
    """The JSON lines of a training log as a list of dicts."""
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


__all__ = ["TrainOptions", "Trainer", "TrainingDivergedError", "RECIPES", "recipe_options",
           "reals_at_lod", "to_float_images", "read_log"]
