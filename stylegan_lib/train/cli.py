"""``python -m stylegan_lib train``: train a generator, resume a killed run, or run under torchrun.

Examples::

    # the book's model on the synthetic faces (2 CPU cores; see benchmarks/training.md)
    python -m stylegan_lib train --preset book-32 --data faces:60000 --kimg 300 --out runs/book-32
    # continue it after a kill (same command plus --resume)
    python -m stylegan_lib train --preset book-32 --data faces:60000 --kimg 300 --out runs/book-32 --resume
    # your own images (a folder or zip made by `python -m stylegan_lib prepare`), 4 GPUs
    torchrun --nproc_per_node 4 -m stylegan_lib train --preset paper-256 --recipe paper \\
        --data my_faces.zip --out runs/mine --amp bf16
"""
from __future__ import annotations

import argparse
import calendar
import json
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

import torch

from ..checkpoint import CheckpointError
from . import distributed as dist_util
from .loop import RECIPES, Trainer, TrainingDivergedError, recipe_options

DEFAULT_RECIPE = {"book-32": "book", "tiny-16": "quick"}


def _parse_value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m stylegan_lib train", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="book-32", help="model preset (stylegan_lib.config), e.g. book-32, "
                   "paper-256, book-32/config-C")
    p.add_argument("--recipe", choices=sorted(RECIPES), default=None,
                   help="training recipe: paper (FFHQ schedule), book (CPU, 32²), quick (seconds). "
                        "Default: book for book-32, quick for tiny-16, paper otherwise")
    p.add_argument("--data", required=True,
                   help="'faces' or 'faces:N' (N synthetic faces rendered in memory, default 60000), "
                        "or a folder / zip with dataset.json")
    p.add_argument("--data-seed", type=int, default=0, help="seed of the synthetic faces")
    p.add_argument("--out", required=True, help="run folder (log.jsonl, samples, checkpoint.pt)")
    p.add_argument("--kimg", type=float, default=None, help="thousands of real images to show")
    p.add_argument("--resume", nargs="?", const="auto", default=None,
                   help="continue from OUT/checkpoint.pt (or the given training checkpoint)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="model config override, e.g. --set fmap_min=32 (repeatable)")
    p.add_argument("--loss", choices=["logistic", "wgan-gp"], default=None)
    p.add_argument("--r1-gamma", type=float, default=None)
    p.add_argument("--r1-interval", type=int, default=None, help="lazy R1 every k steps")
    p.add_argument("--lr", type=float, default=None, help="learning rate at every resolution")
    p.add_argument("--batch", type=int, default=None, help="minibatch at every resolution")
    p.add_argument("--start-res", type=int, default=None,
                   help="progressive growing start (= the model resolution: fixed resolution)")
    p.add_argument("--stable-kimg", type=float, default=None, help="kimg per stable phase")
    p.add_argument("--fade-kimg", type=float, default=None, help="kimg per fade-in")
    p.add_argument("--mixing-prob", type=float, default=None, help="style-mixing probability")
    p.add_argument("--ema-kimg", type=float, default=None, help="half-life of G's EMA in kimg")
    p.add_argument("--no-mirror", action="store_true", help="no horizontal flips of the reals")
    p.add_argument("--tick-kimg", type=float, default=None)
    p.add_argument("--snapshot-kimg", type=float, default=None)
    p.add_argument("--sample-kimg", type=float, default=None)
    p.add_argument("--metrics-kimg", type=float, default=None,
                   help="FD and PPL of G_ema every this many kimg, in log.jsonl (0 = never)")
    p.add_argument("--device", default="auto")
    p.add_argument("--amp", choices=["none", "bf16", "fp16"], default="none",
                   help="mixed precision: bf16/fp16 on CUDA; bf16 on CPUs with bf16 units "
                        "(refused elsewhere: emulated bf16 is slower than fp32)")
    p.add_argument("--channels-last", action="store_true", help="channels_last on CUDA")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads")
    p.add_argument("--stop-at", default=None, metavar="HH:MM",
                   help="wall-clock limit (UTC, today): stop cleanly at the first tick after it, with a "
                        "checkpoint to --resume from")
    p.add_argument("--no-progress", action="store_true")
    return p


def load_images(spec: str, resolution: int, data_seed: int = 0, progress: bool = True):
    """The training images as uint8 [N, 3, R, R], and a description of the data set."""
    if spec == "faces" or spec.startswith("faces:"):
        from ..data import SyntheticFaces

        n = int(spec.split(":", 1)[1]) if ":" in spec else 60000
        ds = SyntheticFaces(n, resolution=resolution, seed=data_seed)
        images = ds.render_all(progress=progress)
        return images, {"kind": "SyntheticFaces", "num_images": n, "resolution": resolution,
                        "seed": data_seed, "config": ds.config.to_dict()}
    from ..data import ImageFolderDataset

    ds = ImageFolderDataset(spec, resolution=resolution, use_labels=False)
    images, _ = ds.load_all()
    return images, {"kind": "ImageFolderDataset", "path": str(Path(spec).resolve()),
                    "num_images": int(len(images)), "resolution": resolution}


def _options_from_args(args):
    recipe = args.recipe or DEFAULT_RECIPE.get(args.preset, "paper")
    changes = {"preset": args.preset, "seed": args.seed, "device": args.device, "amp": args.amp,
               "channels_last": args.channels_last,
               "config_overrides": dict(s.split("=", 1) for s in args.set)}
    changes["config_overrides"] = {k: _parse_value(v) for k, v in changes["config_overrides"].items()}
    for name, attr in (("kimg", "kimg"), ("loss", "loss"), ("r1_gamma", "r1_gamma"),
                       ("r1_interval", "r1_interval"), ("mixing_prob", "style_mixing_prob"),
                       ("ema_kimg", "ema_half_life_kimg"), ("tick_kimg", "tick_kimg"),
                       ("snapshot_kimg", "snapshot_kimg"), ("sample_kimg", "sample_kimg"),
                       ("metrics_kimg", "metrics_kimg")):
        if getattr(args, name) is not None:
            changes[attr] = getattr(args, name)
    if args.no_mirror:
        changes["mirror"] = False
    sched = dict(RECIPES[recipe].get("schedule", {}))
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
    return recipe, recipe_options(recipe, **changes)


def git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).resolve().parent, timeout=10).stdout.strip() or None
    except Exception:
        return None


def cpu_model() -> str:
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout.splitlines():
            if line.startswith("Model name:"):
                return line.split(":", 1)[1].strip()
    except Exception:
        pass
    return platform.processor() or "unknown"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    rank, world, device = dist_util.init_from_env(args.device)
    args.device = device
    launcher = f"torchrun --nproc_per_node {world} -m stylegan_lib" if world > 1 else "python -m stylegan_lib"
    command = f"{launcher} train " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    try:
        recipe, opts = _options_from_args(args)
        out = Path(args.out)
        cfg = opts.model_config()
        images, data_info = load_images(args.data, cfg.img_resolution, args.data_seed,
                                        progress=not args.no_progress and rank == 0)
        if args.resume:
            ckpt = out / "checkpoint.pt" if args.resume == "auto" else Path(args.resume)
            if not ckpt.is_file() and args.resume == "auto":
                print(f"no checkpoint at {ckpt} yet: starting a new run", file=sys.stderr)
                ckpt = None
        else:
            ckpt = None
            if (out / "checkpoint.pt").is_file():
                print(f"error: {out} already holds a run (checkpoint.pt); pass --resume to continue it "
                      "or choose another --out", file=sys.stderr)
                return 2
        if ckpt is not None:
            changes = {"device": opts.device, "amp": opts.amp, "channels_last": opts.channels_last}
            if args.kimg is not None:
                changes["kimg"] = args.kimg
            trainer = Trainer.resume(ckpt, images, run_dir=out, progress=not args.no_progress,
                                     rank=rank, world_size=world, command=command, **changes)
            if rank == 0:
                print(f"resuming {ckpt} at {trainer.cur_nimg / 1000:.1f} kimg", file=sys.stderr)
        else:
            trainer = Trainer(opts, images, run_dir=out, progress=not args.no_progress, rank=rank,
                              world_size=world, command=command)
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
            hh, mm = (int(v) for v in args.stop_at.split(":"))
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
