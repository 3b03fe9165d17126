"""Benchmarks/training.md §10: latents drawn with torch.Generator().manual_seed(seed) against the
book's models, whose weights were initialised after torch.manual_seed(seed).

    .venv/bin/python benchmarks/latent_trap.py [CHECKPOINT DATA] ...

Defaults: the shipped book-32 with its own training data. For each model it prints, for 2,000
latents of the library's latent stream (latent.random_z) and for the 128 latents of the raw
torch stream of seed 0 that are the rows of the mapping network's first layer: the mean distance
|w − w̄| and the share broken by the redraw test (metrics.quality.broken_fraction).
"""
import sys

import torch

from stylegan_lib.checkpoint import load_generator
from stylegan_lib.latent import random_z
from stylegan_lib.metrics import quality
from stylegan_lib.metrics.ground_truth import load_factor_reader
from stylegan_lib.pretrained import load_pretrained, training_data

args = sys.argv[1:] or ["book-32", training_data("book-32")]
reader = load_factor_reader()
for path, data in zip(args[::2], args[1::2]):
    G = (load_pretrained(path, device="cpu") if not path.endswith(".pt") else load_generator(path, device="cpu")).eval()
    res = quality.broken_fraction(G, 2000, data, 0)
    raw = torch.randn(G.z_dim, G.z_dim, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        d_raw = quality.redraw_distance(G(raw, noise_mode="const").float().clamp(-1, 1), reader)
        far_raw = (G.mapping(raw)[:, 0] - G.mapping.w_avg).norm(dim=1).mean()
        far = (G.mapping(random_z(2000, G.z_dim, 0))[:, 0] - G.mapping.w_avg).norm(dim=1).mean()
    print(f"{path} ({data}): latent stream: |w - w_avg| {far:.2f}, broken {res['broken_fraction']:.3f} | "
          f"raw torch seed 0, rows 0-{G.z_dim - 1}: |w - w_avg| {far_raw:.2f}, "
          f"broken {(d_raw > res['broken_threshold']).mean():.3f}")
