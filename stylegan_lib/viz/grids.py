"""Turning generator outputs into pictures: uint8 conversion, grids, and seeded generation."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ..latent import z_from_seeds


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """[N, C, H, W] floats in [-1, 1] → [N, H, W, C] uint8 (values outside are clipped)."""
    x = (images.detach().float().cpu().clamp(-1, 1) + 1) * 127.5
    return x.round().to(torch.uint8).permute(0, 2, 3, 1).numpy()


def image_grid(images, ncols: int | None = None, pad: int = 1, pad_value: int = 255) -> np.ndarray:
    """Tile N images ([N,C,H,W] tensor in [-1,1] or [N,H,W,C] uint8) into one uint8 [H', W', C] grid."""
    arr = to_uint8(images) if isinstance(images, torch.Tensor) else np.asarray(images)
    if arr.ndim != 4:
        raise ValueError(f"expected a batch of images [N,H,W,C] or [N,C,H,W], got shape {arr.shape}")
    n, h, w, c = arr.shape
    ncols = ncols or int(np.ceil(np.sqrt(n)))
    nrows = int(np.ceil(n / ncols))
    grid = np.full((nrows * (h + pad) + pad, ncols * (w + pad) + pad, c), pad_value, np.uint8)
    for i in range(n):
        r, q = divmod(i, ncols)
        grid[pad + r * (h + pad): pad + r * (h + pad) + h, pad + q * (w + pad): pad + q * (w + pad) + w] = arr[i]
    return grid


@torch.no_grad()
def generate(G, seeds: Sequence[int], truncation_psi: float = 1.0, truncation_cutoff: int | None = None,
             noise_mode: str = "const", batch_size: int = 64, **synthesis_kwargs) -> torch.Tensor:
    """Images for a list of seeds (z from ``z_from_seeds``), in batches, on G's device, returned on CPU."""
    device = next(G.parameters()).device
    out = []
    for i in range(0, len(seeds), batch_size):
        z = z_from_seeds(seeds[i:i + batch_size], G.z_dim, device)
        out.append(G(z, truncation_psi=truncation_psi, truncation_cutoff=truncation_cutoff,
                     noise_mode=noise_mode, **synthesis_kwargs).cpu())
    return torch.cat(out)


def show_images(images, ax=None, ncols: int | None = None, title: str | None = None):
    """Draw a grid of images on a matplotlib axis (created if needed); returns the axis."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 6))
    ax.imshow(image_grid(images, ncols), interpolation="nearest")
    ax.set_axis_off()
    if title:
        ax.set_title(title)
    return ax
