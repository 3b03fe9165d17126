"""Turn a finished training run into a shipped model: ``stylegan_lib/pretrained/<name>.pt``
(G_ema only, fp16 storage) with ``<name>.json`` (provenance), ``<name>-log.jsonl`` (the training
log), ``<name>-samples.png`` (an uncurated sample grid) and ``<name>-progress.png`` (the fixed
sample latents at increasing kimg).

    python -m stylegan_lib.train.ship runs/book-32 --name book-32
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import torch

from ..checkpoint import save_models
from ..generations import build_generator, config_from_dict
from ..latent import random_z
from .checkpoint import load_training_checkpoint
from .loop import read_log

PRETRAINED = Path(__file__).resolve().parent.parent / "pretrained"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class RunNotFinished(RuntimeError):
    """The run's checkpoint has not reached the run's ``kimg`` (it was stopped by ``--stop-at``
    or killed): shipping it would replace the book's model with a half-trained one."""


def ship_run(run_dir: str | Path, name: str = "book-32", dest: str | Path = PRETRAINED,
             progress_kimg: list[float] | None = None, sample_seed: int = 0, notes: str = "",
             quality_num: int = 5000, quality_ppl_num: int = 2000, unfinished: bool = False) -> dict:
    """Write the shipped files of ``run_dir`` under ``dest`` and return the provenance dict,
    with the model's quality measured as for every shipped model (:mod:`..metrics.quality`;
    ``quality_num`` images per FD set, ``quality_ppl_num`` PPL pairs; ``quality_num=0`` skips it).
    A run short of its ``kimg`` raises :class:`RunNotFinished` unless ``unfinished``."""
    from PIL import Image

    from ..images import image_grid
    from ..pretrained import load_pretrained
    from ..viz.training import progression_strip, read_sample_grids

    run_dir, dest = Path(run_dir), Path(dest)
    obj = load_training_checkpoint(run_dir / "checkpoint.pt")
    cfg = config_from_dict(obj["config"])  # any generation
    G_ema = build_generator(cfg)
    G_ema.load_state_dict(obj["G_ema"])
    # Ticks written after the checkpoint by a session that was killed later do not belong to it.
    log = [e for e in read_log(run_dir / "log.jsonl") if e["kimg"] * 1000 <= obj["progress"]["cur_nimg"] + 0.5]
    sessions = [json.loads(x) for x in (run_dir / "runs.jsonl").read_text().splitlines() if x.strip()]
    prog = obj["progress"]
    opts = obj["options"]
    kimg = prog["cur_nimg"] / 1000
    if kimg < opts["kimg"] and not unfinished:
        raise RunNotFinished(f"{run_dir} is at {kimg:.1f} of its {opts['kimg']:g} kimg, so nothing was shipped; "
                             "resume the run to finish it, or pass --unfinished to ship it as it is")
    meta = {
        "name": name,
        "command": sessions[0]["command"],
        "restarts": [s["command"] for s in sessions[1:]],
        "git_commit": sessions[0].get("git_commit"),
        "device": sessions[0].get("device"),
        "cpu": sessions[0].get("cpu"),
        "torch_threads": sessions[0].get("torch_threads"),
        "torch": sessions[0].get("torch"),
        "world_size": sessions[0].get("world_size", 1),
        "seed": opts["seed"],
        "kimg": kimg,
        "images_shown": prog["cur_nimg"],
        "steps": prog["step"],
        "wall_time_s": round(prog["wall_seconds"], 1),
        "wall_time_min": round(prog["wall_seconds"] / 60, 1),
        "date": sessions[0].get("started"),
        "dataset": sessions[0].get("dataset"),
        "training_options": opts,
        "config": cfg.to_dict(),
        "final_tick": log[-1] if log else None,
        "notes": notes,
    }
    dest.mkdir(parents=True, exist_ok=True)
    pt = dest / f"{name}.pt"
    save_models(pt, cfg, G_ema=G_ema, half=True, meta={k: meta[k] for k in ("name", "kimg", "seed",
                                                                             "command", "git_commit")})
    pt.chmod(0o644)  # a shipped file is for everyone, whatever the umask
    (dest / f"{name}-log.jsonl").write_text("".join(json.dumps(e) + "\n" for e in log))
    # Samples of the shipped (fp16-stored) model, as a reader will load it.
    G = load_pretrained(str(pt), device="cpu")
    with torch.no_grad():
        z = random_z(64, G.z_dim, sample_seed)
        grid = image_grid(G(z, noise_mode="const"), 8, pad=0)
    Image.fromarray(grid).resize((grid.shape[1] * 2, grid.shape[0] * 2), Image.NEAREST) \
        .save(dest / f"{name}-samples.png")
    grids = read_sample_grids(run_dir)
    if progress_kimg:
        wanted = set(progress_kimg)
        grids = [g for g in grids if g[0] in wanted]
    columns = min(g.shape[1] for _, g in grids) // cfg.img_resolution
    strip, kimgs = progression_strip(grids, cell=cfg.img_resolution, count=min(8, columns))
    Image.fromarray(strip.numpy()).save(dest / f"{name}-progress.png")
    meta["progress_kimg"] = kimgs
    meta["samples"] = {"file": f"{name}-samples.png", "seed": sample_seed, "truncation_psi": 1.0,
                       "noise_mode": "const", "grid": "8x8, nearest-upscaled x2"}
    if quality_num:
        from ..data import dataset_spec
        from ..metrics.quality import model_quality

        # Against the data the run was trained on (its detail level), not the default faces.
        meta["quality_data"] = dataset_spec(meta["dataset"])
        meta["quality"] = model_quality(G, num=quality_num, ppl_num=quality_ppl_num, seed=sample_seed,
                                        data=meta["quality_data"])
    meta["sha256"] = _sha256(pt)
    meta["size_bytes"] = pt.stat().st_size
    (dest / f"{name}.json").write_text(json.dumps(meta, indent=1) + "\n")
    return meta


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m stylegan_lib.train.ship", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run_dir")
    ap.add_argument("--name", default="book-32")
    ap.add_argument("--dest", default=str(PRETRAINED))
    ap.add_argument("--progress-kimg", type=float, nargs="*", default=None)
    ap.add_argument("--notes", default="")
    ap.add_argument("--quality-num", type=int, default=5000,
                    help="images per set for the FD ratio of the quality record (0 = skip)")
    ap.add_argument("--unfinished", action="store_true",
                    help="ship a run that has not reached its kimg (stopped by --stop-at or killed)")
    args = ap.parse_args(argv)
    try:
        meta = ship_run(args.run_dir, args.name, args.dest, args.progress_kimg, notes=args.notes,
                        quality_num=args.quality_num, unfinished=args.unfinished)
    except RunNotFinished as e:
        print(f"not shipped: {e}", file=sys.stderr)
        return 3
    print(json.dumps({k: meta.get(k) for k in ("kimg", "wall_time_min", "size_bytes", "sha256", "quality")},
                     indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
