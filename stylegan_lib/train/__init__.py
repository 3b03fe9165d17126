"""Training StyleGAN: losses, progressive-growing schedule, EMA, checkpoints, the loop, and
multi-process data parallelism (see each module)."""
from .checkpoint import load_training_checkpoint, save_training_checkpoint
from .ema import ema_beta, make_ema, update_ema
from .loop import (RECIPES, Trainer, TrainingDivergedError, TrainOptions, read_log, reals_at_lod,
                   recipe_options)
from .loss import d_logistic, d_wgan_gp, g_nonsaturating, g_wgan, r1_penalty
from .schedule import Schedule, SchedulePoint

__all__ = ["Trainer", "TrainOptions", "TrainingDivergedError", "RECIPES", "recipe_options", "read_log",
           "reals_at_lod", "Schedule", "SchedulePoint", "ema_beta", "make_ema", "update_ema",
           "g_nonsaturating", "d_logistic", "r1_penalty", "g_wgan", "d_wgan_gp",
           "save_training_checkpoint", "load_training_checkpoint"]
