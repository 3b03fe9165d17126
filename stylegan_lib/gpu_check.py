"""The GPU path, measured (issue 18): ``python -m stylegan_lib.gpu_check --out DIR [--budget-s 420]``.

Why a script: a lent GPU comes once, for minutes, with no internet, so everything is decided
here. Each step runs under its own time limit (SIGALRM) and try/except, so one failure is
recorded and the rest still run; ``DIR/gpu-results.json`` and ``DIR/gpu.md`` are rewritten after
every step. In order: (1) correctness on CUDA (no test in tests/ runs there): ``paper-256`` on
CUDA vs the CPU, same weights and z, ``noise_mode="const"``, cuDNN TF32 on (PyTorch's default)
and off; one Trainer step in fp32 and bf16 has finite losses. (2) Training s/kimg and peak
memory at 256² and 1024² (``paper-256``, ``paper-1024``): fp32, bf16 autocast, + channels_last,
+ torch.compile of G, at the official one-GPU minibatch with R1 every step (as StyleGAN1),
against the official V100 figures; trainers from :func:`stylegan_lib.train.bench.make_trainer`.
(3) FID feature extraction, images/s (:func:`detector_speed` says which networks).

Without CUDA it prints "no CUDA device: skipped", records that, and exits 0. ``--device cpu
--quick`` runs the same steps on tiny networks (the tests do).
"""
from __future__ import annotations

import argparse
import copy
import gc
import json
import math
import signal
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import torch
import torch.nn.functional as F

#: Official StyleGAN1 on one V100, s/kimg (as quoted in issue 18), and the goal: ≥ 3× faster.
V100_S_PER_KIMG = {256: (21.6, 24.2), 1024: (154.0, 162.0)}
GOAL_SPEEDUP = 3.0
#: The official release's one-GPU minibatch (train.py, "-1gpu": minibatch_dict {…, 256: 8, 512: 4},
#: minibatch_base 4 above 512²). Its 8-GPU setting gives 32 in all, also 4 per GPU.
OFFICIAL_BATCH = {256: 8, 1024: 4}
MIN_STEP_S = 5.0   # a step given less than this is skipped
PRESETS = {256: "paper-256", 1024: "paper-1024"}
VARIANTS = {"fp32": dict(), "bf16": dict(amp="bf16"), "bf16+channels_last": dict(amp="bf16", channels_last=True),
            "bf16+channels_last+compile(G)": dict(amp="bf16", channels_last=True, compile="inductor")}


class StepTimeout(Exception):
    """A step ran past its time limit."""


# -- running: the steps in order, each under a time limit ----------------------------------
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out, data, t0 = Path(args.out), header(args, argv), time.monotonic()
    if args.device == "cuda" and not torch.cuda.is_available():
        print("no CUDA device: skipped (torch.cuda.is_available() is False)", flush=True)
        save(out, dict(data, status="skipped", reason="no CUDA device: torch.cuda.is_available() is False"))
        return 0
    save(out, data)
    for section, name, cap, fn, fn_args in steps(args.device, args.quick, args.seconds):
        row = run_step(f"{section}: {name}", lambda: fn(*fn_args), min(cap, t0 + args.budget_s - time.monotonic()))
        data["sections"].setdefault(section, []).append({"name": name, **row})
        save(out, data)
    save(out, dict(data, status="done", wall_s=round(time.monotonic() - t0, 1)))
    print(f"[gpu_check] results in {out}", flush=True)
    return 0


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m stylegan_lib.gpu_check", description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="folder for gpu-results.json and gpu.md")
    p.add_argument("--budget-s", type=float, default=420.0, help="wall-clock budget of all steps")
    p.add_argument("--seconds", type=float, default=8.0, help="timed seconds per training variant")
    p.add_argument("--device", default="cuda", help="cuda (default), or cpu to test this script")
    p.add_argument("--quick", action="store_true", help="tiny networks (for testing the script)")
    p.add_argument("--commit", default=None, help="git commit, where the checkout has no .git")
    return p.parse_args(argv)


def steps(device: str, quick: bool = False, seconds: float = 8.0) -> list[tuple]:
    """(section, name, time cap in s, function, its arguments) in the order they run: the cheap,
    important measurements first, torch.compile (slow to compile, likeliest to fail) last."""
    def train(res, batch, v):
        return ("training", f"{res}² {v}, batch {batch}", 180 if "compile" in v else 60, train_speed,
                (device, PRESETS[res], batch, VARIANTS[v], seconds))
    if quick:   # the same code on tiny networks (compile left out: tracing G alone takes 5-10 s)
        return [("generator on the device vs the CPU", "tiny-16", 30, generator_match, (device, "tiny-16", 2)),
                ("one trainer step", "tiny-16 fp32", 30, trainer_step, (device, "tiny-16", 4, "none")),
                ("training", "tiny-16 fp32", 30, train_speed, (device, "tiny-16", 4, {}, seconds)),
                ("training", "tiny-16 bf16", 30, train_speed, (device, "tiny-16", 4, VARIANTS["bf16"], seconds)),
                ("FID feature extraction", "classifier", 30, detector_speed, (device, "classifier", 4, 32, seconds))]
    return [("generator on the device vs the CPU", "paper-256", 60, generator_match, (device, "paper-256", 4)),
            *(("one trainer step", f"paper-256 amp={amp}", 40, trainer_step,
               (device, "paper-256", OFFICIAL_BATCH[256], amp)) for amp in ("none", "bf16")),
            *(train(res, OFFICIAL_BATCH[res], v) for res in (256, 1024) for v in list(VARIANTS)[:3]),
            *(("FID feature extraction", name, 40, detector_speed, (device, name, 64, 256, seconds))
              for name in ("classifier", "inception-v3 (random init)")),
            # a minibatch that fills the GPU better (not like for like with the V100 figures)
            train(256, 32, "bf16+channels_last"), train(1024, 16, "bf16+channels_last"),
            *(train(res, OFFICIAL_BATCH[res], "bf16+channels_last+compile(G)") for res in (256, 1024))]


def run_step(title: str, thunk, limit: float) -> dict:
    """``thunk()`` under a time limit of ``limit`` s (SIGALRM raises :class:`StepTimeout`); its
    error or timeout becomes the row."""
    if limit < MIN_STEP_S:
        print(f"[gpu_check] {title}: skipped, the budget is spent", flush=True)
        return {"skipped": "the budget was spent"}
    print(f"[gpu_check] {title} (limit {limit:.0f} s) …", flush=True)

    def on_alarm(signum, frame):
        raise StepTimeout(f"ran past its {limit:.0f} s limit")
    old, t0 = signal.signal(signal.SIGALRM, on_alarm), time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        row = thunk()
    except Exception as e:   # StepTimeout too: recorded, and the next step runs
        row = {"error": f"{type(e).__name__}: {str(e).strip()[:300]}"}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    row["wall_s"] = round(time.monotonic() - t0, 1)
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
    print(f"[gpu_check]   {json.dumps(row, ensure_ascii=False)}", flush=True)
    return row


# -- the measurements: each takes the device, so that the CPU tests run them too ----------
def generator_match(device: str, preset: str = "paper-256", n: int = 4) -> dict:
    """Largest |difference| of the images (range [-1, 1]) of one generator on ``device`` and on
    the CPU: same weights, same z, the stored noise images."""
    from .generator import Generator

    torch.manual_seed(0)
    G = Generator(preset).eval().requires_grad_(False)
    z = torch.randn(n, G.z_dim, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        ref = G(z, noise_mode="const")
        G_dev = copy.deepcopy(G).to(device)
        row = {"preset": preset, "images": n}
        default = torch.backends.cudnn.allow_tf32
        try:
            for tf32 in ((True, False) if torch.device(device).type == "cuda" else (False,)):
                torch.backends.cudnn.allow_tf32 = tf32
                img = G_dev(z.to(device), noise_mode="const").cpu()
                row[f"max_abs_diff (cuDNN TF32 {'on' if tf32 else 'off'})"] = (img - ref).abs().max().item()
        finally:
            torch.backends.cudnn.allow_tf32 = default
    return row


def trainer_step(device: str, preset: str, batch: int, amp: str) -> dict:
    """One training step (after make_trainer's warm-up step): are its losses finite?"""
    from .train.bench import make_trainer

    tr = make_trainer(preset, batch=batch, r1_interval=1, device=device, amp=amp)
    losses = tr.step()
    return {"preset": preset, "batch": batch, "amp": amp,
            "finite": all(math.isfinite(v) for v in losses.values()),
            **{k: round(v, 4) for k, v in losses.items()}}


def train_speed(device: str, preset: str, batch: int, variant: dict, seconds: float = 8.0) -> dict:
    """s/kimg and peak memory of training ``preset`` at its resolution, R1 every step, the warm-up
    (first steps, compilation) timed apart. ``variant``: Trainer options (amp, channels_last) and
    ``compile``, a torch.compile backend for G's mapping and synthesis (the Trainer has no such
    option; D stays eager, as its R1 penalty needs a double backward, which compile lacks)."""
    from .train.bench import make_trainer, timed_cycles

    variant = dict(variant)
    backend = variant.pop("compile", None)
    cuda = torch.device(device).type == "cuda"
    if cuda:
        torch.cuda.reset_peak_memory_stats()
    t0 = time.monotonic()
    try:
        tr = make_trainer(preset, batch=batch, r1_interval=1, device=device, **variant)
        if backend:
            tr.G.mapping.compile(backend=backend)
            tr.G.synthesis.compile(backend=backend)
        probe = timed_cycles(tr, 2)   # warm-up: compilation, cuDNN's choices
        warmup_s = time.monotonic() - t0
        ips = timed_cycles(tr, max(2, round(seconds * probe / batch)))
    finally:
        if backend:
            import torch._dynamo as dynamo
            dynamo.reset()
    R = tr.cfg.img_resolution
    row = {"resolution": R, "batch": batch, "s_per_kimg": 1000 / ips, "images_per_s": ips,
           "warmup_s": round(warmup_s, 1)}
    if cuda:
        row["peak_mem_gib"] = torch.cuda.max_memory_allocated() / 2**30
    return {**row, **versus_v100(R, row["s_per_kimg"])}


def versus_v100(resolution: int, s_per_kimg: float) -> dict:
    """How many times faster than the official V100 figures (none below 256²), and whether
    that reaches the goal even against the faster V100 figure."""
    if resolution not in V100_S_PER_KIMG:
        return {}
    lo, hi = V100_S_PER_KIMG[resolution]
    return {"speedup_vs_v100": f"{lo / s_per_kimg:.2f}–{hi / s_per_kimg:.2f}×",
            f"goal_{GOAL_SPEEDUP:g}x_met": lo / s_per_kimg >= GOAL_SPEEDUP}


def detector_speed(device: str, which: str, batch: int = 64, res: int = 256, seconds: float = 5.0) -> dict:
    """Images/s of FID-style feature extraction from uint8 images [batch, 3, res, res]. NVIDIA's
    Inception file is not on the GPU machine (nothing is downloaded), so ``which`` is "classifier"
    (the book's faces classifier, the metrics' detector without that file: "FD") or "inception-v3
    (random init)": torchvision's Inception-v3, random weights, 2048-d pool features, fed as
    NVIDIA's detector is (bilinear resize to 299²): FID's speed, features that mean nothing."""
    images = torch.randint(0, 256, (batch, 3, res, res), dtype=torch.uint8, device=device)
    from .metrics.detectors import get_feature_detector
    extract = get_feature_detector("classifier", device=device) if which == "classifier" else random_inception(device)
    for _ in range(2):
        feats = extract(images)
    sync = torch.cuda.synchronize if torch.device(device).type == "cuda" else (lambda: None)
    sync()
    t0, n = time.perf_counter(), 0
    while n == 0 or time.perf_counter() - t0 < seconds:
        extract(images)
        n += 1
    sync()
    return {"network": which, "batch": batch, "input": f"{res}²", "features": feats.shape[1],
            "images_per_s": n * batch / (time.perf_counter() - t0)}


def random_inception(device: str):
    """uint8 images → 2048-d pool features of a randomly initialised torchvision Inception-v3."""
    from torchvision.models import inception_v3

    net = inception_v3(weights=None, aux_logits=False, init_weights=False).eval().to(device)
    net.fc = torch.nn.Identity()

    @torch.no_grad()
    def extract(images):
        x = F.interpolate(images.float(), size=(299, 299), mode="bilinear", align_corners=False)
        return net((x - 128) / 128)
    return extract


# -- the record: JSON and a readable page, rewritten after every step ---------------------
def header(args, argv) -> dict:
    from .provenance import git_commit

    cuda = args.device == "cuda" and torch.cuda.is_available()
    return {"status": "running",
            "command": "python -m stylegan_lib.gpu_check " + " ".join(sys.argv[1:] if argv is None else argv),
            "commit": args.commit or git_commit() or "unknown (no git checkout here)",
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "device": torch.cuda.get_device_name() if cuda else "none" if args.device == "cuda" else args.device,
            "torch": torch.__version__, "cuda": torch.version.cuda,
            "cudnn": torch.backends.cudnn.version() if cuda else None,
            "cudnn_tf32": torch.backends.cudnn.allow_tf32 if cuda else None, "budget_s": args.budget_s,
            "reference": {"v100_s_per_kimg": {f"{r}²": v for r, v in V100_S_PER_KIMG.items()},
                          "goal_speedup": GOAL_SPEEDUP,
                          "official_batch_per_gpu": {f"{r}²": b for r, b in OFFICIAL_BATCH.items()}},
            "sections": {}}


def save(out: Path, data: dict):
    """The results so far, as ``out/gpu-results.json`` and the readable ``out/gpu.md``."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "gpu-results.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    (out / "gpu.md").write_text(render(data))


def render(d: dict) -> str:
    ref = d["reference"]
    lines = ["# GPU check (issue 18)", "",
             *(f"- {k}: {d.get(k)}" for k in ("status", "reason", "device", "torch", "cuda", "cudnn",
                                               "cudnn_tf32", "command", "commit", "date", "budget_s", "wall_s") if k in d),
             f"- reference: official StyleGAN1 on one V100, s/kimg {ref['v100_s_per_kimg']}; goal ≥ "
             f"{ref['goal_speedup']:g}× faster; official minibatch per GPU {ref['official_batch_per_gpu']}", ""]
    for section, rows in d["sections"].items():
        keys = list(dict.fromkeys(k for r in rows for k in r))
        lines += [f"## {section}", "", "| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
        lines += ["| " + " | ".join(cell(r.get(k, "")) for k in keys) + " |" for r in rows]
        lines.append("")
    return "\n".join(lines)


def cell(v) -> str:
    text = f"{v:.4g}" if isinstance(v, float) else str(v)
    return text.replace("|", "\\|").replace("\n", " ")


if __name__ == "__main__":
    sys.exit(main())
