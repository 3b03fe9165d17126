"""``python -m stylegan_lib import-official SRC.pkl DEST.pt``: convert a StyleGAN v1 release file
into a book checkpoint (read with ``torch.load(weights_only=True)``; never executes the pickle)."""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import torch

from ..checkpoint import load_generator, read_checkpoint, save_models
from .convert import provenance, read_official
from .unpickle import OfficialFormatError, read_release_pickle


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m stylegan_lib import-official",
        description="Convert one of NVIDIA's StyleGAN v1 release pickles (karras2019stylegan-*.pkl) "
                    "into a stylegan_lib checkpoint. The pickle is read with a restricted unpickler: "
                    "nothing in it is executed, and TensorFlow is not needed.")
    p.add_argument("src", help="the release .pkl file")
    p.add_argument("dest", help="the checkpoint to write (.pt); an existing file only with --force")
    p.add_argument("--gs-only", action="store_true",
                   help="store only the smoothed generator Gs (as G_ema), not the training G and D")
    p.add_argument("--half", action="store_true", help="store weights as float16 (half the size)")
    p.add_argument("--force", action="store_true", help="overwrite DEST if it exists (never SRC itself)")
    return p


def check_destination(src: str | os.PathLike, dest: str | os.PathLike, force: bool) -> str | None:
    """Why DEST must not be written (None when it may): it is SRC itself, a directory, or an
    existing file without ``force``."""
    src, dest = Path(src), Path(dest)
    same = (os.path.samefile(src, dest) if src.exists() and dest.exists()
            else src.resolve() == dest.resolve())
    if same:
        return (f"DEST {str(dest)!r} is the source file itself: converting would replace the release "
                "pickle. Choose another DEST, e.g. a .pt file next to it")
    if dest.is_dir():
        return f"DEST {str(dest)!r} is a directory: give the checkpoint file to write, e.g. {str(dest / 'model.pt')!r}"
    if (dest.exists() or dest.is_symlink()) and not force:
        return f"DEST {str(dest)!r} already exists; pass --force to overwrite it"
    return None


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    t0 = time.perf_counter()
    refusal = check_destination(args.src, args.dest, args.force)
    if refusal:
        print(f"import-official: error: {refusal}", file=sys.stderr)
        return 2
    try:
        nets = read_release_pickle(args.src)
        Gs, D, info = read_official(args.src, which="Gs", discriminator=not args.gs_only, networks=nets)
        G = None if args.gs_only else read_official(args.src, which="G", with_hash=False, networks=nets)[0]
    except OfficialFormatError as e:
        print(f"import-official: {e}", file=sys.stderr)
        return 1
    meta = provenance(info)
    meta["command"] = "python -m stylegan_lib import-official " + " ".join(argv if argv is not None else sys.argv[1:])
    meta["contents"] = {"G_ema": "Gs (smoothed generator)", "G": None if G is None else "G (training generator)",
                        "D": None if D is None else "D"}
    try:
        path = save_models(args.dest, Gs.config, G=G, G_ema=Gs, D=D, meta=meta, half=args.half)
    except OSError as e:
        print(f"import-official: error: cannot write {args.dest!r}: {e.strerror or e}", file=sys.stderr)
        return 1
    # Verify: the checkpoint reads back into the same weights.
    back = load_generator(path, device="cpu", which="G_ema")
    want = Gs.state_dict()
    tol = 1e-3 if args.half else 0.0
    for k, v in back.state_dict().items():
        if not torch.allclose(v.float(), want[k].float(), atol=tol, rtol=tol):
            print(f"import-official: verification failed: {k} differs after reading {path} back", file=sys.stderr)
            return 1
    read_checkpoint(path)  # readable with weights_only=True
    cfg = Gs.config
    print(f"wrote {path}: {cfg.img_resolution}x{cfg.img_resolution} StyleGAN "
          f"(z {cfg.z_dim}, w {cfg.w_dim}, {cfg.num_ws} style inputs), networks "
          f"{', '.join(k for k, v in meta['contents'].items() if v)}; sha256 of the source "
          f"{info.sha256[:16]}…; {time.perf_counter() - t0:.1f} s")
    if info.letterbox:
        print(f"note: the real images are {info.letterbox[0]}x{info.letterbox[1]}; the generator renders "
              f"{cfg.img_resolution}x{cfg.img_resolution} with letterbox bars — crop with "
              "stylegan_lib.official.crop_letterbox")
    print("release defaults for Gs.run(z, None): " + ", ".join(f"{k}={v}" for k, v in info.release_defaults.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
