r"""Progressive growing (Karras et al. 2018, used unchanged by StyleGAN): the training schedule.

Training starts at a low resolution. Each resolution gets a *stable* phase of
``lod_training_kimg`` thousand images, then the next resolution *fades in* over
``lod_transition_kimg`` thousand images while its layers are blended with the upsampled output of
the previous one. The position is expressed by the level of detail

.. math::  \text{lod} = \log_2 R - \log_2 R_\text{start} - p
           - \frac{\max(k - T_\text{stable}, 0)}{T_\text{fade}},\qquad
           p = \Big\lfloor\frac{\text{kimg}}{T_\text{stable}+T_\text{fade}}\Big\rfloor,\quad
           k = \text{kimg} - p\,(T_\text{stable}+T_\text{fade})

clipped at 0; the current resolution is :math:`2^{\log_2 R - \lfloor \text{lod}\rfloor}` and the
fade-in weight of the newest layers is :math:`\alpha = 1 - (\text{lod} - \lfloor\text{lod}\rfloor)`.
Minibatch size and learning rate are chosen per current resolution; the optimisers' state is
reset whenever ⌊lod⌋ or ⌈lod⌉ changes (a fade-in starts or ends).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SchedulePoint:
    """Where training is at a given number of images shown."""

    kimg: float
    lod: float
    resolution: int  # resolution of the newest layers being trained
    alpha: float     # fade-in weight of the newest layers (1 = fully in)
    phase: str       # "stable" or "fade"
    batch: int
    lr: float

    @property
    def lod_key(self) -> tuple[int, int]:
        """(⌊lod⌋, ⌈lod⌉): the optimisers are reset when this changes."""
        return (math.floor(self.lod), math.ceil(self.lod))


def _res_dict(d) -> dict[int, float]:
    return {int(k): v for k, v in (d or {}).items()}


@dataclass
class Schedule:
    """The progressive-growing schedule (or a fixed resolution with ``start_res = resolution``).

    Paper defaults for FFHQ 1024²: start at 8², 600 k images stable + 600 k fade-in per
    resolution, minibatch {4: 512, 8: 256, 16: 128, 32: 64, 64: 32, else 32}, learning rate
    0.001 up to 64² then {128: 0.0015, 256: 0.002, 512: 0.003, 1024: 0.003}.
    """

    resolution: int
    start_res: int = 8
    lod_training_kimg: float = 600.0
    lod_transition_kimg: float = 600.0
    minibatch: dict = field(default_factory=lambda: {4: 512, 8: 256, 16: 128, 32: 64, 64: 32})
    minibatch_default: int = 32
    lr: dict = field(default_factory=lambda: {128: 0.0015, 256: 0.002, 512: 0.003, 1024: 0.003})
    lr_default: float = 0.001

    def __post_init__(self):
        self.minibatch = _res_dict(self.minibatch)
        self.lr = _res_dict(self.lr)
        for name, r in (("resolution", self.resolution), ("start_res", self.start_res)):
            if r < 4 or r & (r - 1):
                raise ValueError(f"{name} must be a power of two >= 4, got {r}")
        if self.start_res > self.resolution:
            raise ValueError(f"start_res ({self.start_res}) cannot exceed the resolution ({self.resolution})")
        if self.lod_training_kimg < 0 or self.lod_transition_kimg < 0:
            raise ValueError("lod_training_kimg and lod_transition_kimg must be >= 0")
        if self.start_res < self.resolution and self.lod_training_kimg + self.lod_transition_kimg <= 0:
            raise ValueError("progressive growing needs lod_training_kimg + lod_transition_kimg > 0 "
                             "(or set start_res equal to the resolution for a fixed-resolution run)")

    @property
    def max_lod(self) -> int:
        """The lod of the starting resolution."""
        return int(math.log2(self.resolution) - math.log2(self.start_res))

    def lod_at(self, kimg: float) -> float:
        """The level of detail after ``kimg`` thousand images (the formula of the module docstring)."""
        lod = float(self.max_lod)
        phase_dur = self.lod_training_kimg + self.lod_transition_kimg
        if lod == 0 or phase_dur <= 0:
            return max(lod, 0.0) if phase_dur > 0 else 0.0
        phase_idx = math.floor(kimg / phase_dur)
        phase_kimg = kimg - phase_idx * phase_dur
        lod -= phase_idx
        if self.lod_transition_kimg > 0:
            lod -= max(phase_kimg - self.lod_training_kimg, 0.0) / self.lod_transition_kimg
        return max(lod, 0.0)

    def at(self, kimg: float) -> SchedulePoint:
        """Resolution, fade-in α, minibatch size and learning rate after ``kimg`` thousand images."""
        lod = self.lod_at(kimg)
        res = 2 ** (int(math.log2(self.resolution)) - math.floor(lod))
        frac = lod - math.floor(lod)
        return SchedulePoint(kimg=kimg, lod=lod, resolution=res, alpha=1.0 - frac,
                             phase="fade" if frac > 0 else "stable",
                             batch=int(self.minibatch.get(res, self.minibatch_default)),
                             lr=float(self.lr.get(res, self.lr_default)))

    def growth_kimg(self) -> float:
        """kimg at which the final resolution is fully faded in (0 for a fixed resolution)."""
        return self.max_lod * (self.lod_training_kimg + self.lod_transition_kimg)

    def phases(self, total_kimg: float) -> list[dict]:
        """The timeline as a list of {"start", "end", "resolution", "phase"} (kimg), for plots."""
        out, t = [], 0.0
        phase_dur = self.lod_training_kimg + self.lod_transition_kimg
        res = self.start_res
        while t < total_kimg:
            if res >= self.resolution:
                out.append({"start": t, "end": total_kimg, "resolution": res, "phase": "stable"})
                break
            for kind, dur in (("stable", self.lod_training_kimg), ("fade", self.lod_transition_kimg)):
                if dur <= 0 or t >= total_kimg:
                    continue
                r = res if kind == "stable" else res * 2
                out.append({"start": t, "end": min(t + dur, total_kimg), "resolution": r, "phase": kind})
                t += dur
            res *= 2
            if phase_dur <= 0:
                break
        return out

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["minibatch"] = {str(k): v for k, v in self.minibatch.items()}
        d["lr"] = {str(k): v for k, v in self.lr.items()}
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "Schedule":
        return cls(**d)


__all__ = ["Schedule", "SchedulePoint"]
