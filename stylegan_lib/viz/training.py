"""Pictures of training: sample grids, loss curves from a training log, the progressive-growing
timeline and a sample progression over kimg (used by chapter 8)."""
from __future__ import annotations

import torch


def image_grid(images: torch.Tensor, cols: int) -> torch.Tensor:
    """Float images [N, C, H, W] in [-1, 1] → one uint8 picture [rows·H, cols·W, C] (row-major;
    missing cells stay black)."""
    if images.ndim != 4:
        raise ValueError(f"images must be [N, C, H, W], got {list(images.shape)}")
    if cols < 1:
        raise ValueError(f"cols must be >= 1, got {cols}")
    n, c, h, w = images.shape
    rows = -(-n // cols)
    x = ((images.detach().float().cpu() + 1) * 127.5).round().clamp(0, 255).to(torch.uint8)
    canvas = torch.zeros(rows * cols, c, h, w, dtype=torch.uint8)
    canvas[:n] = x
    canvas = canvas.view(rows, cols, c, h, w).permute(0, 3, 1, 4, 2).reshape(rows * h, cols * w, c)
    return canvas
