"""Benchmarks/training.md §10: latents drawn with torch.Generator().manual_seed(seed) against the
book's models, whose weights were initialised after torch.manual_seed(seed).

    .venv/bin/python benchmarks/latent_trap.py [CHECKPOINT ...]

Default: the shipped book-32. For each model it prints the mean distance ‖w − w̄‖ of 2,000
latents of the library's latent stream (latent.random_z) and of the z_dim latents of the raw
torch stream of seed 0 that are the rows of the mapping network's first layer.
"""
import sys

import torch

from stylegan_lib.checkpoint import load_generator
from stylegan_lib.latent import random_z
from stylegan_lib.pretrained import load_pretrained

for path in sys.argv[1:] or ["book-32"]:
    G = (load_pretrained(path, device="cpu") if not path.endswith(".pt") else load_generator(path, device="cpu")).eval()
    raw = torch.randn(G.z_dim, G.z_dim, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        far_raw = (G.mapping(raw)[:, 0] - G.mapping.w_avg).norm(dim=1).mean()
        far = (G.mapping(random_z(2000, G.z_dim, 0))[:, 0] - G.mapping.w_avg).norm(dim=1).mean()
    print(f"{path}: latent stream |w - w_avg| {far:.2f}; raw torch seed 0, rows 0-{G.z_dim - 1}: {far_raw:.2f}")
