r"""How close a model is to its data, measured the same way for every shipped model.

Three numbers (``python -m stylegan_lib.metrics.quality CHECKPOINT``; the shipping script
stores them in the model's provenance):

* **FD ratio** — FD between ``num`` generated and ``num`` real images, divided by the FD
  between two *disjoint* sets of ``num`` real images (the floor a perfect model would reach at
  this count; FD is biased upwards at small counts, so only the ratio at one count means
  anything).
* **Noise visibility** — for a fixed w, the per-pixel standard deviation of the image over
  random noise draws, averaged over the colour channels (Figure 4's statistic), on the
  [-1, 1] scale: its mean and 95th percentile over pixels and latents. A generator without
  noise inputs (StyleGAN3 from config C on, StyleGAN1 configs A–D) gets None and a reason, not
  0: there is nothing to measure, which is not the same as noise that learned to be invisible.
* **PPL** in W (end points) over ``ppl_num`` pairs, with the same distance as chapter 9.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

from ..latent import random_z
from ..provenance import git_commit
from .detectors import get_feature_detector, get_perceptual_distance
from .evaluate import dataset_features, generated_features, real_dataset
from .frechet import FeatureStats, frechet_distance_from_stats
from .ppl import perceptual_path_length


@torch.no_grad()
def noise_visibility(G, num_latents: int = 64, num_draws: int = 16, seed: int = 0) -> dict[str, float]:
    r"""Per-pixel std over noise draws for fixed w:
    :math:`\sigma_p = \frac13\sum_c \operatorname{std}_k x_{k,c,p}`; mean and 95th percentile."""
    if num_draws < 2:
        raise ValueError(f"a standard deviation needs at least 2 noise draws, got {num_draws}")
    if not G.config.use_noise:
        return {"noise_std_mean": None, "noise_std_p95": None,
                "noise_not_applicable": f"{type(G).__module__}.{type(G).__name__} with use_noise=False has no "
                                        "noise inputs"}
    z = random_z(num_latents, G.z_dim, seed)
    ws = G.mapping(z.to(G.device))
    torch.manual_seed(int(seed))  # noise_mode="random" draws from the global generator
    draws = torch.stack([G.synthesis(ws, noise_mode="random").float().cpu() for _ in range(num_draws)])
    sigma = draws.std(dim=0, unbiased=False).mean(dim=1)          # [latents, H, W]
    values = sigma.flatten().numpy()
    return {"noise_std_mean": float(values.mean()), "noise_std_p95": float(np.percentile(values, 95)),
            "noise_latents": num_latents, "noise_draws": num_draws}


def fd_ratio(G, num: int = 5000, data: str | None = None, seed: int = 0,
             progress: bool = True) -> dict[str, float]:
    """FD(generated, real) / FD(real, real') at ``num`` images each (classifier features).
    Real images ``0 … num−1`` and ``num … 2·num−1`` of the data set are the two real sets."""
    det = get_feature_detector("classifier", None, G.device)
    ds, _ = real_dataset(data, G.img_resolution, 2 * num)
    (real,) = dataset_features(ds, [det], 2 * num, progress=progress)
    real_a = FeatureStats.from_features(real.features[:num])
    real_b = FeatureStats.from_features(real.features[num:])
    (fake,) = generated_features(G, [det], num, seed=seed, progress=progress)
    fd_gen = float(frechet_distance_from_stats(real_a, fake))
    fd_real = float(frechet_distance_from_stats(real_a, real_b))
    return {"fd": fd_gen, "fd_real_real": fd_real, "fd_ratio": fd_gen / fd_real, "fd_num": num,
            "detector": det.identity}


def model_quality(G, num: int = 5000, ppl_num: int = 2000, data: str | None = None, seed: int = 0,
                  progress: bool = True) -> dict:
    """FD ratio, noise visibility and PPL (W, end points) of ``G``; a JSON-able dict."""
    t0 = time.time()
    G = G.eval()
    out = fd_ratio(G, num, data, seed, progress)
    out.update(noise_visibility(G, seed=seed))
    dist = get_perceptual_distance("classifier", None, G.device)
    ppl = perceptual_path_length(G, dist, ppl_num, space="w", sampling="end", seed=seed,
                                 device=G.device, progress=progress)
    out.update(ppl_wend=float(ppl.value), ppl_num=ppl_num, ppl_distance=dist.identity,
               seed=seed, seconds=round(time.time() - t0, 1))
    return out


def main(argv: list[str] | None = None) -> int:
    from ..checkpoint import load_generator

    ap = argparse.ArgumentParser(prog="python -m stylegan_lib.metrics.quality", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkpoint", help="a stylegan_lib model checkpoint (.pt), e.g. a shipped model")
    ap.add_argument("--num", type=int, default=5000, help="images per set for the FD ratio")
    ap.add_argument("--ppl-num", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", default=None, help="real images, as for `metrics --data` (default: the dataset "
                    "named in the --into provenance file, else the book's default faces)")
    ap.add_argument("--into", default=None, metavar="JSON",
                    help="also store the result, with this command, under 'quality' in this "
                         "provenance file (e.g. stylegan_lib/pretrained/book-32.json)")
    args = ap.parse_args(argv)
    into = Path(args.into) if args.into else None
    if into is not None and not into.is_file():
        ap.error(f"--into {into}: no such provenance file")
    data = args.data
    if data is None and into is not None:
        from ..data import dataset_spec

        data = dataset_spec(json.loads(into.read_text()).get("dataset"))
    G = load_generator(args.checkpoint, device="cpu")
    result = model_quality(G, args.num, args.ppl_num, data=data, seed=args.seed)
    result["data"] = data or "synthetic"
    print(json.dumps(result, indent=1))
    if into is not None:
        meta = json.loads(into.read_text())
        result["command"] = "python -m stylegan_lib.metrics.quality " + " ".join(
            argv if argv is not None else sys.argv[1:])
        result["date"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        result["torch"] = torch.__version__
        result["device"] = str(G.device)
        result["git_commit"] = git_commit()
        meta["quality"] = result
        into.write_text(json.dumps(meta, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
