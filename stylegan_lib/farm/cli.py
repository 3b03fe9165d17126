"""``python -m stylegan_lib farm``: the paper's ablation runs (Tables 1–4, Figure 9).

Examples::

    python -m stylegan_lib farm list                      # rows of the tables -> runs (shared)
    python -m stylegan_lib farm budget --hours 5          # measure images/s here; time of the farm
    python -m stylegan_lib farm train --stop-at 17:30     # train missing runs, resume partial ones
    python -m stylegan_lib farm status                    # done / partial / missing, time left
    python -m stylegan_lib farm evaluate                  # FD, KD, PPL, LS of done runs -> results.json
    python -m stylegan_lib farm tables                    # Tables 1-4 beside the paper's numbers
    python -m stylegan_lib farm ship                      # fp16 G_ema + provenance into pretrained/farm
    python -m stylegan_lib farm sprint --scale ladder-32 --minutes 7.5 --workers 13 --device cuda   # a lent GPU

StyleGAN3's configuration ladder (A StyleGAN2 → B … H → T → R; FD, EQ-T, EQ-R, PPL, LS and the
ground truth in W, two seeds a rung) is a farm of its own: the same actions with
``--scale ladder-16`` (a CPU), ``ladder-32`` (a GPU) or ``ladder-tiny`` (tests).
"""
from __future__ import annotations

import argparse
import calendar
import shlex
import sys
import time

import torch

from ..checkpoint import CheckpointError
from ..train.cli import clock_time
from ..train.loop import TrainingDivergedError
from ..utils import arg_number
from .runner import DEFAULT_OUT, FarmError, format_status, status_rows, train_farm
from .runs import DEFAULT_SCALE, FARM_SCALES, farm_runs, farm_scale, registry_table, select_runs


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m stylegan_lib farm", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--scale", choices=sorted(FARM_SCALES), default=DEFAULT_SCALE,
                        help=f"model scale of every run (default {DEFAULT_SCALE}, what fits about 5 h of 2 CPU "
                             "cores; book-32 for a GPU; tiny-16 for tests; ladder-16 / ladder-32 / ladder-tiny: "
                             "StyleGAN3's configuration ladder)")
    common.add_argument("--out", default=DEFAULT_OUT, help=f"farm folder (default {DEFAULT_OUT}); "
                        "runs live in OUT/SCALE/RUN")
    common.add_argument("--kimg", type=arg_number(float, above=0), default=None,
                        help="length of every run in thousands of images (default: the scale's; raising "
                             "it later resumes the done runs)")
    common.add_argument("--only", default=None, metavar="NAMES",
                        help="comma-separated run names (config-F-seed1), variants (mixing-90, config-T), "
                             "tables (table3, ladder) or seeds (seed0)")
    common.add_argument("--seeds", type=arg_number(int, low=1), default=1,
                        help="at least this many seeds per run (the Z-vs-W runs have 2 anyway)")
    common.add_argument("--device", default="auto")
    common.add_argument("--threads", type=arg_number(int, low=1), default=None, help="torch CPU threads")
    common.add_argument("--no-progress", action="store_true")

    workers = argparse.ArgumentParser(add_help=False)
    workers.add_argument("--workers", type=arg_number(int, low=1), default=1,
                         help="processes side by side, each on its share of the runs (for a GPU; on a "
                              "2-core CPU keep 1)")

    sub.add_parser("list", parents=[common], help="the registry: runs and the table rows they stand for")
    t = sub.add_parser("train", parents=[common, workers], help="train the missing runs, resume partial ones")
    t.add_argument("--stop-at", type=clock_time, default=None, metavar="HH:MM",
                   help="wall-clock limit (UTC, today, as for train): no run starts after it, and the "
                        "running one stops at its next tick with a checkpoint")
    t.add_argument("--stop-in", type=arg_number(float, above=0), default=None, metavar="MIN",
                   help="the same limit, this many minutes from now")
    t.add_argument("--stop-by", type=float, default=None, help=argparse.SUPPRESS)  # a time.time(): for workers
    sub.add_parser("status", parents=[common], help="done / partial / missing runs and the time left")
    e = sub.add_parser("evaluate", parents=[common, workers], help="metrics of the done runs into OUT/SCALE/results.json")
    e.add_argument("--fd-num", type=arg_number(int, low=2), default=None, help="images per FD / KD set")
    e.add_argument("--ppl-num", type=arg_number(int, low=1), default=None, help="pairs per PPL")
    e.add_argument("--ls-num", type=arg_number(int, low=2), default=None, help="samples for LS")
    e.add_argument("--mix-num", type=arg_number(int, low=2), default=None, help="images per mixed-latent FD")
    e.add_argument("--ppl-distance", choices=["classifier", "auto", "vgg16"], default="classifier",
                   help="PPL distance (default the book's classifier: the same everywhere)")
    e.add_argument("--inception", default=None, help="inception-2015-12-05.pt: adds fid and kid")
    e.add_argument("--seed", type=arg_number(int, low=0), default=0)
    e.add_argument("--force", action="store_true", help="re-evaluate every run (e.g. at new counts)")
    e.add_argument("--part", type=arg_number(int, low=0), default=None, metavar="K",
                   help="write OUT/SCALE/results-part-K.json instead (what --workers' processes do)")
    s = sub.add_parser("ship", parents=[common], help="fp16 G_ema + provenance of the done runs, with the package")
    s.add_argument("--dest", default=None, help="folder (default stylegan_lib/pretrained/farm); SCALE/ is added")
    s.add_argument("--quality-num", type=arg_number(int, low=0), default=2000,
                   help="images per set of the quality record's FD ratio (0 = skip)")
    s.add_argument("--force", action="store_true", help="replace shipped files")
    b = sub.add_parser("budget", parents=[common], help="measure images/s here and estimate the farm's time")
    b.add_argument("--hours", type=arg_number(float, above=0), default=5.0, help="time budget (default 5)")
    b.add_argument("--cycles", type=arg_number(int, low=1), default=1, help="R1 cycles timed per speed")
    b.add_argument("--no-eval", action="store_true", help="do not time the evaluation of a run")
    sp = sub.add_parser("sprint", parents=[common, workers],
                        help="within --minutes: every run to one common kimg (probed, then trained side by "
                             "side), evaluated and shipped — the one prepared run of a lent GPU")
    sp.add_argument("--minutes", type=arg_number(float, above=0), required=True, help="wall time for all of it")
    sp.add_argument("--eval-share", type=arg_number(float, above=0), default=None,
                    help="part of the time kept for evaluating and shipping (default 0.3)")
    sp.add_argument("--dest", default=None, help="where to ship (default stylegan_lib/pretrained/farm); SCALE/ is added")
    sub.add_parser("tables", parents=[common], help="Tables 1-4 (or the ladder's) from the results file, beside "
                   "the paper's")
    return p


def deadline_of(stop_at: tuple[int, int] | None) -> float | None:
    """HH:MM today (UTC) as a ``time.time()`` value, as ``train --stop-at`` reads it."""
    if stop_at is None:
        return None
    now = time.gmtime()
    return calendar.timegm((now.tm_year, now.tm_mon, now.tm_mday, stop_at[0], stop_at[1], 0))


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    command = "python -m stylegan_lib farm " + " ".join(shlex.quote(a) for a in (argv if argv is not None
                                                                                  else sys.argv[1:]))
    progress = not args.no_progress
    try:
        runs = select_runs(farm_runs(args.scale, args.seeds), args.only)
        if args.action == "list":
            for r in registry_table(runs):
                print(f"{r['run']:22s} {', '.join(r['variants']):42s} {'; '.join(r['rows'])}")
        elif args.action == "train":
            limits = [d for d in (deadline_of(args.stop_at), args.stop_by,
                                  None if args.stop_in is None else time.time() + args.stop_in * 60) if d]
            deadline = min(limits) if limits else None
            if args.workers > 1:
                from .parallel import exit_code, run_workers

                extra = [*(("--kimg", args.kimg) if args.kimg else ()), *(("--stop-by", deadline) if deadline else ())]
                codes = run_workers("train", runs, args.out, args.workers, args.device, extra, log=say)
                print(format_status(status_rows(runs, args.out, args.kimg)))
                return exit_code(codes)
            train_farm(runs, args.out, args.kimg, deadline, args.device, progress, command, say)
            print(format_status(status_rows(runs, args.out, args.kimg)))
        elif args.action == "status":
            print(format_status(status_rows(runs, args.out, args.kimg)))
        elif args.action == "evaluate":
            from .results import evaluate_farm, results_path

            counts = dict(farm_scale(args.scale).counts)
            for key, value in (("fd", args.fd_num), ("kd", args.fd_num), ("ppl", args.ppl_num), ("ls", args.ls_num)):
                if value is not None:
                    counts[key] = value
            if args.workers > 1:
                from .parallel import exit_code, merge_results, run_workers, unevaluated

                extra = [f"--{name}={value}" for name, value in (
                    ("kimg", args.kimg), ("fd-num", args.fd_num), ("ppl-num", args.ppl_num), ("ls-num", args.ls_num),
                    ("mix-num", args.mix_num), ("inception", args.inception)) if value is not None]
                extra += [f"--seed={args.seed}", f"--ppl-distance={args.ppl_distance}", *(["--force"] if args.force else [])]
                todo = runs if args.force else unevaluated(runs, args.out, args.kimg)
                codes = run_workers("evaluate", todo, args.out, args.workers, args.device, extra, parts=True,
                                    log=say) if todo else []
                print(merge_results(args.out, args.scale, fresh=args.force) if todo else results_path(args.out, args.scale))
                return exit_code(codes)
            evaluate_farm(runs, args.out, counts, args.mix_num, args.kimg, args.force, device=args.device,
                          seed=args.seed, ppl_distance=args.ppl_distance, inception=args.inception,
                          progress=progress, part=args.part, log=say)
            print(results_path(args.out, args.scale, args.part))
        elif args.action == "ship":
            from .ship import ship_farm

            ship_farm(runs, args.out, args.dest, args.kimg, args.force, args.quality_num, log=say)
        elif args.action == "budget":
            from .budget import budget, format_budget

            device = "cuda" if args.device == "auto" and torch.cuda.is_available() else args.device
            device = "cpu" if device == "auto" else device
            report = budget(runs, args.out, args.kimg, args.hours, device, args.cycles, not args.no_eval, log=say)
            print(format_budget(report))
        elif args.action == "sprint":
            from .parallel import DEFAULT_EVAL_SHARE, sprint

            share = DEFAULT_EVAL_SHARE if args.eval_share is None else args.eval_share
            if share >= 1:
                raise ValueError(f"--eval-share must be below 1 (a part of the time), got {share}")
            report = sprint(runs, args.out, args.minutes, args.workers, args.device, share, args.dest, log=say)
            print(format_status(status_rows(runs, args.out, report["train"]["kimg"])))
        elif args.action == "tables":
            from .results import format_table, load_results, results_path

            doc = load_results(results_path(args.out, args.scale))
            print("\n\n".join(format_table(doc, t) for t in farm_scale(args.scale).tables))
        return 0
    except (FarmError, CheckpointError, TrainingDivergedError, ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
