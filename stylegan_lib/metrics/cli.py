"""``python -m stylegan_lib metrics``: FID/KID (or FD/KD), perceptual path length, linear separability.

Examples::

    python -m stylegan_lib metrics --checkpoint book-32 --metrics fd,kd,ppl_wend,ls --quick
    python -m stylegan_lib metrics --checkpoint ffhq.pkl --metrics fid,ppl_zfull,ppl_wend,ls \\
        --inception ~/detectors/inception-2015-12-05.pt --vgg16 ~/detectors/vgg16.pt --data ffhq.zip
    python -m stylegan_lib metrics --train-classifier     # retrain the shipped faces classifier
    python -m stylegan_lib metrics --train-factor-reader  # retrain the ground truth's factor reader

``--checkpoint`` takes a shipped model name, a ``.pt`` checkpoint of any generation, an official
``.pkl``, or ``random:PRESET`` (a randomly initialised generator of any generation, e.g.
``random:tiny-16`` or ``random:sg3-tiny-16/config-R``, for trying things). EQ-T / EQ-R
(``eq_t``, ``eq_t_frac``, ``eq_r``) are measured for StyleGAN3 generators and reported as not
applicable for the others.
Results are printed and, with ``--out``, written as JSON.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def load_any_generator(spec: str, device="cpu", seed: int = 0):
    """A generator from a shipped name, a file, or ``random:PRESET``."""
    if spec.startswith("random:"):
        import torch

        from ..generations import build_generator

        torch.manual_seed(seed)
        return build_generator(spec.split(":", 1)[1]).eval().to(device)
    from ..pretrained import load_pretrained

    return load_pretrained(spec, device=device)


def build_parser() -> argparse.ArgumentParser:
    import textwrap

    from ..utils import arg_number
    from .detectors import TRUST_NOTE
    from .evaluate import FULL_COUNTS, METRICS, QUICK_COUNTS

    p = argparse.ArgumentParser(prog="python -m stylegan_lib metrics", description=__doc__,
                                epilog="\n".join(textwrap.wrap(TRUST_NOTE, 96)),
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--checkpoint", default="book-32",
                   help="shipped model name, .pt / .pkl path, or random:PRESET (default: book-32)")
    p.add_argument("--metrics", default="fd,kd,ppl_wend,ls", help=f"comma-separated, of {','.join(METRICS)}")
    p.add_argument("--num", type=int, default=None, help="sample count for every metric (overrides the defaults)")
    p.add_argument("--quick", action="store_true", help=f"CPU sample counts {QUICK_COUNTS} instead of the "
                   f"paper's {FULL_COUNTS}")
    p.add_argument("--data", default="synthetic",
                   help="real images: 'synthetic' (the book's default faces), 'faces:N:DETAIL' (the faces a "
                        "model was trained on, as for train --data) or a folder/zip")
    p.add_argument("--device", default="auto")
    p.add_argument("--batch", type=arg_number(int, low=1), default=64, help="images per forward pass (at least 1)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--inception", default=None, help="path to inception-2015-12-05.pt (or $STYLEGAN_INCEPTION)")
    p.add_argument("--vgg16", default=None, help="path to vgg16.pt (or $STYLEGAN_VGG16)")
    p.add_argument("--ppl-distance", default="auto", choices=("auto", "vgg16", "classifier"))
    p.add_argument("--no-crop", action="store_true", help="PPL without the central face crop")
    p.add_argument("--cache-dir", default=None, help="folder for real-data statistics "
                   "(default $STYLEGAN_LIB_CACHE/metrics-stats)")
    p.add_argument("--no-cache", action="store_true")
    p.add_argument("--out", default=None, help="write the results here as JSON")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--train-classifier", action="store_true",
                   help="(re)train the book's faces classifier instead (CPU, a few minutes)")
    p.add_argument("--classifier-out", default=None, help="where --train-classifier writes (default: shipped file)")
    p.add_argument("--train-factor-reader", action="store_true",
                   help="(re)train the factor reader of the ground-truth scores instead (CPU, a few minutes)")
    p.add_argument("--reader-out", default=None, help="where --train-factor-reader writes (default: shipped file)")
    p.add_argument("--force", action="store_true", help="let --classifier-out / --reader-out replace a file")
    p.add_argument("--measure-detectors-at", type=int, default=None, metavar="R",
                   help="measure the shipped classifier's and factor reader's held-out scores on faces drawn at "
                        "R² and record them in their provenance (needed before LS / gt of R² models, R ≠ 32)")
    p.add_argument("--factor-reader", default=None, metavar="PATH",
                   help="the factor reader the gt metric uses (default: the shipped one)")
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    if args.train_classifier and args.train_factor_reader:
        print("error: --train-classifier and --train-factor-reader train different networks; run one at a time",
              file=sys.stderr)
        return 2
    for flag, dest in (("--classifier-out", args.classifier_out), ("--reader-out", args.reader_out)):
        if not dest:
            continue
        if Path(dest).suffix != ".pt":
            print(f"error: {flag} {dest}: the weights go into a .pt file (the provenance into the .json beside it)",
                  file=sys.stderr)
            return 2
        taken = [str(p) for p in (Path(dest), Path(dest).with_suffix(".json")) if p.exists()]
        if taken and not args.force:
            print(f"error: {flag} would replace {' and '.join(taken)}; choose another path or pass --force",
                  file=sys.stderr)
            return 2
    if args.measure_detectors_at is not None:
        from .ground_truth import record_detectors_at

        try:
            out = record_detectors_at(args.measure_detectors_at,
                                      command="python -m stylegan_lib metrics " + " ".join(argv))
        except ValueError as e:
            print(f"error: --measure-detectors-at {args.measure_detectors_at}: {e}", file=sys.stderr)
            return 2
        print(json.dumps(out, indent=2))
        return 0
    if args.train_factor_reader:
        from .ground_truth import READER_WEIGHTS, train_factor_reader

        prov = train_factor_reader(args.reader_out or READER_WEIGHTS, seed=args.seed, progress=not args.no_progress,
                                   command="python -m stylegan_lib metrics " + " ".join(argv))
        print(json.dumps({"heldout_r2": prov["heldout_r2"]}, indent=2))
        return 0
    if args.train_classifier:
        from .classifier import SHIPPED_WEIGHTS, train_classifier

        prov = train_classifier(args.classifier_out or SHIPPED_WEIGHTS, seed=args.seed,
                                progress=not args.no_progress,
                                command="python -m stylegan_lib metrics " + " ".join(argv))
        print(json.dumps({"heldout_accuracy": prov["heldout_accuracy"]}, indent=2))
        return 0

    from ..utils import get_device
    from .detectors import DetectorError
    from .evaluate import QUICK_COUNTS, compute_metrics, parse_metrics

    try:
        names = parse_metrics(args.metrics)
        device = get_device(args.device)
        G = load_any_generator(args.checkpoint, device, args.seed)
        out = compute_metrics(G, names, num=args.num, counts=QUICK_COUNTS if args.quick else None,
                              data=args.data, device=device, batch_size=args.batch, seed=args.seed,
                              inception=args.inception, vgg16=args.vgg16, ppl_distance=args.ppl_distance,
                              ppl_crop=not args.no_crop, cache_dir=args.cache_dir, use_cache=not args.no_cache,
                              factor_reader=args.factor_reader, progress=not args.no_progress)
    except (DetectorError, ValueError, FileNotFoundError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    out["checkpoint"] = args.checkpoint
    out["command"] = "python -m stylegan_lib metrics " + " ".join(argv)
    for name, r in out["results"].items():
        if r.get("value") is None and "not_applicable" in r:
            print(f"{name:10s} not applicable: {r['not_applicable']}")
        elif name == "gt":
            z, w = r["z"], r["w"]
            print(f"{name:10s} informativeness z {z['informativeness']:.3f}  w {w['informativeness']:.3f}   "
                  f"DCI-D z {z['disentanglement']:.3f}  w {w['disentanglement']:.3f}   MIG z {z['mig']:.3f}  "
                  f"w {w['mig']:.3f}   ({r['num_samples']} images, {len(r['factors'])} factors, {r['seconds']} s)")
        elif name == "ls":
            print(f"{name:10s} z {r['z']['value']:.4g}  w {r['w']['value']:.4g}   "
                  f"({r['num_samples']} images, {len(r['attributes'])} attributes, {r['seconds']} s)")
        else:
            n = r.get("num_gen", r.get("num_samples"))
            extra = f" ± {r['std']:.2g}" if "std" in r else ""
            how = r.get("detector", r.get("distance", r.get("unit")))
            print(f"{name:10s} {r['value']:.6g}{extra}   ({n} samples, {how}, "
                  f"{r['seconds']} s)")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(out, indent=2, default=str) + "\n")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
