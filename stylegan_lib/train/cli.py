"""``python -m stylegan_lib train``: train a generator, resume a killed run, or run under torchrun.

Examples::

    # the book's model on the synthetic faces (2 CPU cores; see benchmarks/training.md)
    python -m stylegan_lib train --preset book-32 --data faces:60000 --kimg 300 --out runs/book-32
    # continue it after a kill (same command plus --resume)
    python -m stylegan_lib train --preset book-32 --data faces:60000 --kimg 300 --out runs/book-32 --resume
    # StyleGAN2 / StyleGAN3-T at 32² (full resolution from the start; recipe sg-book)
    python -m stylegan_lib train --preset sg2-book-32 --data faces:60000 --out runs/sg2-book-32
    python -m stylegan_lib train --preset sg3-book-32/config-T --data faces:60000 --out runs/sg3-book-32
    # your own images (a folder or zip made by `python -m stylegan_lib prepare`), 4 GPUs
    torchrun --nproc_per_node 4 -m stylegan_lib train --preset paper-256 --recipe paper \\
        --data my_faces.zip --out runs/mine --amp bf16
"""
from __future__ import annotations

import argparse
import calendar
import dataclasses
import json
import re
import shlex
import sys
import time
from pathlib import Path

import torch

from ..checkpoint import CheckpointError
from ..data.faces import is_faces_spec, parse_faces_spec
from ..generations import config_fields, get_config, is_progressive
from ..provenance import cpu_model, git_commit
from ..utils import arg_number
from . import distributed as dist_util
from .checkpoint import load_training_checkpoint
from .loop import RECIPES, Trainer, TrainingDivergedError, TrainOptions, recipe_options

DEFAULT_RECIPE = {"book-32": "book", "book-32-fast": "book", "tiny-16": "quick",
                  "sg2-book-32": "sg-book", "sg3-book-32": "sg-book", "sg2-tiny-16": "sg-quick",
                  "sg3-tiny-16": "sg-quick"}
DEFAULT_PRESET = "book-32"
#: Options a resumed run may change (announced when it does): the length of the run, the
#: learning rate (the advice after a divergence is to lower it and resume), regularisation
#: strengths, bookkeeping intervals and the hardware.
RESUMABLE = ("kimg", "r1_gamma", "r1_interval", "style_mixing_prob", "ema_half_life_kimg", "mirror",
             "tick_kimg", "snapshot_kimg", "sample_kimg", "metrics_kimg")
HARDWARE = ("device", "amp", "channels_last")
RESUMABLE_SCHEDULE = ("lr", "lr_default")
OPTION_FLAGS = {"kimg": "--kimg", "r1_gamma": "--r1-gamma", "r1_interval": "--r1-interval",
                "style_mixing_prob": "--mixing-prob", "ema_half_life_kimg": "--ema-kimg",
                "mirror": "--no-mirror", "tick_kimg": "--tick-kimg", "snapshot_kimg": "--snapshot-kimg",
                "sample_kimg": "--sample-kimg", "metrics_kimg": "--metrics-kimg", "seed": "--seed",
                "loss": "--loss", "preset": "--preset", "config_overrides": "--set", "lr": "--lr",
                "lr_default": "--lr", "minibatch": "--batch", "minibatch_default": "--batch",
                "start_res": "--start-res", "lod_training_kimg": "--stable-kimg",
                "lod_transition_kimg": "--fade-kimg"}


def _parse_value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def config_override(text: str) -> tuple[str, object]:
    """``--set KEY=VALUE`` → (KEY, VALUE parsed as JSON when possible); KEY is checked against the
    preset's config fields and the value with the whole config in :func:`check_args`."""
    key, eq, value = text.partition("=")
    if not eq or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE (e.g. fmap_min=32), got {text!r}")
    return key, _parse_value(value)


def default_recipe(preset: str) -> str:
    """The recipe a preset trains with when ``--recipe`` is not given: :data:`DEFAULT_RECIPE` by
    name; a StyleGAN2 / StyleGAN3 variant (``sg3-book-32/config-R``) by its scale, since every
    rung of a ladder trains alike; "paper" otherwise."""
    if preset in DEFAULT_RECIPE:
        return DEFAULT_RECIPE[preset]
    scale = preset.partition("/")[0]
    return DEFAULT_RECIPE.get(scale, "paper") if not is_progressive(preset) else "paper"


def clock_time(text: str) -> tuple[int, int]:
    """``--stop-at HH:MM`` → (hours, minutes) of a valid time of day."""
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise argparse.ArgumentTypeError(f"expected a time of day HH:MM (00:00 to 23:59, UTC), got {text!r}")
    return int(m.group(1)), int(m.group(2))


def build_parser() -> argparse.ArgumentParser:
    count, seed = arg_number(int, low=1), arg_number(int, low=0)
    positive, nonneg = arg_number(float, above=0), arg_number(float, low=0)
    p = argparse.ArgumentParser(prog="python -m stylegan_lib train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default=None, help="model preset of any generation (stylegan_lib.generations), "
                   "e.g. book-32, paper-256, book-32/config-C, sg2-book-32, sg3-book-32/config-T "
                   f"(default {DEFAULT_PRESET}; on --resume the run's own)")
    p.add_argument("--recipe", choices=sorted(RECIPES), default=None,
                   help="training recipe: paper (FFHQ schedule), book (CPU, 32²), quick (seconds), "
                        "sg-book / sg-quick (the same for StyleGAN2 and 3: full resolution, R1 every 16 "
                        "steps). Default: book for book-32, quick for tiny-16, sg-book for sg2-book-32 and "
                        "sg3-book-32[/config-X], sg-quick for sg2-tiny-16 and sg3-tiny-16, paper otherwise")
    p.add_argument("--data", required=True,
                   help="'faces', 'faces:N' or 'faces:N:DETAIL' (N synthetic faces rendered in memory, "
                        "default 60000; DETAIL the stochastic detail: subtle (default), medium or strong), "
                        "or a folder / zip with dataset.json")
    p.add_argument("--data-seed", type=seed, default=0, help="seed of the synthetic faces")
    p.add_argument("--out", required=True, help="run folder (log.jsonl, samples, checkpoint.pt)")
    p.add_argument("--kimg", type=positive, default=None, help="thousands of real images to show")
    p.add_argument("--resume", nargs="?", const="auto", default=None,
                   help="continue from OUT/checkpoint.pt (or the given training checkpoint). The run keeps "
                        "its stored options; --kimg, --lr, --r1-gamma, --r1-interval, --mixing-prob, "
                        "--ema-kimg, --no-mirror, the *-kimg intervals and the hardware may change (each "
                        "change is printed); the model, --seed, --loss and the rest of the schedule may not")
    p.add_argument("--seed", type=seed, default=None, help="seed of the weights, latents and data order (default 0)")
    p.add_argument("--set", action="append", type=config_override, default=[], metavar="KEY=VALUE",
                   help="model config override, e.g. --set fmap_min=32 (repeatable)")
    p.add_argument("--loss", choices=["logistic", "wgan-gp"], default=None)
    p.add_argument("--r1-gamma", type=nonneg, default=None)
    p.add_argument("--r1-interval", type=count, default=None, help="lazy R1 every k steps")
    p.add_argument("--lr", type=positive, default=None, help="learning rate at every resolution")
    p.add_argument("--batch", type=count, default=None, help="minibatch at every resolution")
    p.add_argument("--start-res", type=arg_number(int, low=4), default=None,
                   help="progressive growing start (= the model resolution: fixed resolution)")
    p.add_argument("--stable-kimg", type=nonneg, default=None, help="kimg per stable phase")
    p.add_argument("--fade-kimg", type=nonneg, default=None, help="kimg per fade-in")
    p.add_argument("--mixing-prob", type=arg_number(float, low=0, high=1), default=None,
                   help="style-mixing probability, from 0 to 1")
    p.add_argument("--ema-kimg", type=positive, default=None, help="half-life of G's EMA in kimg")
    p.add_argument("--no-mirror", action="store_true", help="no horizontal flips of the reals")
    p.add_argument("--tick-kimg", type=positive, default=None)
    p.add_argument("--snapshot-kimg", type=nonneg, default=None)
    p.add_argument("--sample-kimg", type=nonneg, default=None)
    p.add_argument("--metrics-kimg", type=nonneg, default=None,
                   help="FD and PPL of G_ema every this many kimg, in log.jsonl (0 = never)")
    p.add_argument("--device", default="auto")
    p.add_argument("--amp", choices=["none", "bf16", "fp16"], default="none",
                   help="mixed precision: bf16/fp16 on CUDA; bf16 on CPUs with bf16 units "
                        "(refused elsewhere: emulated bf16 is slower than fp32)")
    p.add_argument("--channels-last", action="store_true", help="channels_last on CUDA")
    p.add_argument("--threads", type=count, default=None, help="torch CPU threads")
    p.add_argument("--stop-at", type=clock_time, default=None, metavar="HH:MM",
                   help="wall-clock limit (UTC, today): stop cleanly at the first tick after it, with a "
                        "checkpoint to --resume from")
    p.add_argument("--no-progress", action="store_true")
    return p


def check_args(parser: argparse.ArgumentParser, args) -> None:
    """Checks that need several arguments together; failures are argparse errors (exit 2)."""
    if is_faces_spec(args.data):
        try:
            parse_faces_spec(args.data)
        except ValueError as e:
            parser.error(f"argument --data: {e}")
    preset = args.preset or DEFAULT_PRESET
    fields = config_fields(preset)
    for key, _ in args.set:
        if key not in fields:
            parser.error(f"argument --set: {key!r} is not a model config field of {preset}; fields: "
                         f"{', '.join(fields)}")
    try:
        cfg = get_config(preset, **dict(args.set))
    except ValueError as e:
        given = " ".join(f"--set {k}={json.dumps(v)}" for k, v in args.set)
        parser.error(f"--preset {args.preset or DEFAULT_PRESET}{' ' + given if given else ''}: {e}")
    if args.start_res is not None and not is_progressive(cfg) and args.start_res != cfg.img_resolution:
        parser.error(f"argument --start-res: {preset} does not grow progressively; it trains at "
                     f"{cfg.img_resolution}² from the start (drop --start-res)")


def load_images(spec: str, resolution: int, data_seed: int = 0, progress: bool = True):
    """The training images as uint8 [N, 3, R, R], and a description of the data set."""
    if is_faces_spec(spec):
        from ..data import SyntheticFaces

        n, cfg = parse_faces_spec(spec)
        ds = SyntheticFaces(n, resolution=resolution, seed=data_seed, config=cfg)
        images = ds.render_all(progress=progress)
        return images, {"kind": "SyntheticFaces", "num_images": n, "resolution": resolution,
                        "seed": data_seed, "config": ds.config.to_dict()}
    from ..data import ImageFolderDataset

    ds = ImageFolderDataset(spec, resolution=resolution, use_labels=False)
    images, _ = ds.load_all()
    return images, {"kind": "ImageFolderDataset", "path": str(Path(spec).resolve()),
                    "num_images": int(len(images)), "resolution": resolution}


def _requested(args, base: dict) -> dict:
    """TrainOptions fields: ``base`` with the options given on the command line applied."""
    changes = dict(base, device=args.device, amp=args.amp, channels_last=args.channels_last)
    if args.preset is not None:
        changes["preset"] = args.preset
    if args.seed is not None:
        changes["seed"] = args.seed
    if args.set:
        changes["config_overrides"] = {**changes.get("config_overrides", {}), **dict(args.set)}
    for name, attr in (("kimg", "kimg"), ("loss", "loss"), ("r1_gamma", "r1_gamma"),
                       ("r1_interval", "r1_interval"), ("mixing_prob", "style_mixing_prob"),
                       ("ema_kimg", "ema_half_life_kimg"), ("tick_kimg", "tick_kimg"),
                       ("snapshot_kimg", "snapshot_kimg"), ("sample_kimg", "sample_kimg"),
                       ("metrics_kimg", "metrics_kimg")):
        if getattr(args, name) is not None:
            changes[attr] = getattr(args, name)
    if args.no_mirror:
        changes["mirror"] = False
    sched = dict(changes.get("schedule", {}))
    if args.lr is not None:
        sched.update(lr={}, lr_default=args.lr)
    if args.batch is not None:
        sched.update(minibatch={}, minibatch_default=args.batch)
    if args.start_res is not None:
        sched["start_res"] = args.start_res
    if args.stable_kimg is not None:
        sched["lod_training_kimg"] = args.stable_kimg
    if args.fade_kimg is not None:
        sched["lod_transition_kimg"] = args.fade_kimg
    changes["schedule"] = sched
    return changes


def _options_from_args(args):
    preset = args.preset or DEFAULT_PRESET
    recipe = args.recipe or default_recipe(preset)
    base = {"preset": preset, "seed": 0, "schedule": dict(RECIPES[recipe].get("schedule", {}))}
    return recipe, recipe_options(recipe, **_requested(args, base))


def resume_options(stored: TrainOptions, args) -> tuple[TrainOptions, list[str]]:
    """The options a resumed run continues with: its stored ones, plus the changes asked for on
    the command line that a run may take on resume (:data:`RESUMABLE`, the learning rate and the
    hardware). Returns them and a description of each change; raises ``ValueError`` naming every
    option that was asked to change but cannot (the model, the seed, the loss, the schedule)."""
    old = stored.to_dict()
    new = TrainOptions.from_dict(_requested(args, old))
    now = new.to_dict()
    refused, changed = [], []
    for key in old:
        if old[key] == now[key] or key in HARDWARE or key in ("preset", "config_overrides"):
            continue
        if key == "schedule":
            for sk in sorted(set(old[key]) | set(now[key])):
                a, b = old[key].get(sk), now[key].get(sk)
                if a != b:
                    (changed if sk in RESUMABLE_SCHEDULE else refused).append((sk, a, b))
        else:
            (changed if key in RESUMABLE else refused).append((key, old[key], now[key]))
    if stored.model_config() != new.model_config():
        diff = {k: v for k, v in dataclasses.asdict(new.model_config()).items()
                if getattr(stored.model_config(), k) != v}
        refused.append(("model", f"{stored.preset} {stored.config_overrides or ''}".strip(),
                        f"{new.preset} {diff}"))
    if refused:
        raise ValueError(
            "cannot change on --resume: "
            + "; ".join(f"{OPTION_FLAGS.get(k, '--preset/--set' if k == 'model' else k)} ({k}: the run "
                        f"has {a!r}, the command asks for {b!r})" for k, a, b in refused)
            + ". A resumed run continues with the options stored in its checkpoint: drop these options "
              "(or give the run's values), or start a new run with another --out")
    notes = [f"{k} {a!r} -> {b!r} ({OPTION_FLAGS.get(k, k)})" for k, a, b in changed]
    if args.recipe:
        notes.append(f"--recipe {args.recipe} is not used: the run keeps its stored options")
    return new, notes


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    check_args(parser, args)
    if args.threads:
        torch.set_num_threads(args.threads)
    rank, world, device = dist_util.init_from_env(args.device)
    args.device = device
    launcher = f"torchrun --nproc_per_node {world} -m stylegan_lib" if world > 1 else "python -m stylegan_lib"
    command = f"{launcher} train " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    try:
        out = Path(args.out)
        ckpt = None
        if args.resume:
            ckpt = out / "checkpoint.pt" if args.resume == "auto" else Path(args.resume)
            if args.resume == "auto" and not ckpt.exists():
                print(f"no checkpoint at {ckpt} yet: starting a new run", file=sys.stderr)
                ckpt = None
        elif (out / "checkpoint.pt").is_file():
            print(f"error: {out} already holds a run (checkpoint.pt); pass --resume to continue it "
                  "or choose another --out", file=sys.stderr)
            return 2
        if ckpt is not None:
            state = load_training_checkpoint(ckpt)
            opts, notes = resume_options(TrainOptions.from_dict(state["options"]), args)
            recipe = None
            if rank == 0 and notes:
                print("resuming with changed options: " + "; ".join(notes), file=sys.stderr)
        else:
            recipe, opts = _options_from_args(args)
        cfg = opts.model_config()
        images, data_info = load_images(args.data, cfg.img_resolution, args.data_seed,
                                        progress=not args.no_progress and rank == 0)
        trainer = Trainer(opts, images, run_dir=out, progress=not args.no_progress, rank=rank,
                          world_size=world, command=command)
        if ckpt is not None:
            trainer.load_state_dict(state)
            del state
            if rank == 0:
                print(f"resuming {ckpt} at {trainer.cur_nimg / 1000:.1f} kimg", file=sys.stderr)
        if rank == 0:
            out.mkdir(parents=True, exist_ok=True)
            info = {"command": command, "recipe": recipe, "dataset": data_info, "git_commit": git_commit(),
                    "device": str(trainer.device), "cpu": cpu_model(), "torch_threads": torch.get_num_threads(),
                    "world_size": world, "torch": torch.__version__,
                    "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
            with open(out / "runs.jsonl", "a") as f:  # one line per (re)start of the run
                f.write(json.dumps(info) + "\n")
        deadline = None
        if args.stop_at:
            hh, mm = args.stop_at
            now = time.gmtime()
            deadline = calendar.timegm((now.tm_year, now.tm_mon, now.tm_mday, hh, mm, 0))
        trainer.train(deadline=deadline)
        if trainer.stopped_early and rank == 0:
            print(f"stopped at the --stop-at limit after {trainer.cur_nimg / 1000:.1f} kimg; continue with "
                  "the same command plus --resume", file=sys.stderr)
        if rank == 0:
            trainer.save_model(out / "network-final.pt",
                               meta={"kimg": trainer.cur_nimg / 1000, "command": command,
                                     "stopped_early": trainer.stopped_early,
                                     "wall_seconds": trainer.wall_seconds(), "dataset": data_info})
            print(f"done: {trainer.cur_nimg / 1000:g} kimg in {trainer.wall_seconds() / 60:.1f} min; "
                  f"model {out / 'network-final.pt'}", file=sys.stderr)
        return 0
    except (TrainingDivergedError, CheckpointError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        dist_util.cleanup()


if __name__ == "__main__":
    sys.exit(main())
