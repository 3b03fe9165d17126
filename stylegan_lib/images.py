"""Images as the generator makes them and as files and screens hold them: floats in [-1, 1]
and uint8 pixels in [0, 255], one image or a grid of them, and animations of them as GIF files.

A leaf module (torch, numpy and Pillow only), so every part of the package, the data sets
included, converts images here and nowhere else.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 pixels u in [0, 255] → float32 x in [-1, 1], the generator's range; same layout.

    x = u / 127.5 − 1
    """
    if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8:
        got = images.dtype if isinstance(images, torch.Tensor) else type(images).__name__
        raise TypeError(f"to_float expects a uint8 tensor of pixels in [0, 255]; got {got}. "
                        f"(Float images are probably already converted.)")
    return images.to(torch.float32) / 127.5 - 1.0


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Floats x in [-1, 1] → uint8 pixels u in [0, 255]; same layout and device. The inverse of
    :func:`to_float`; values outside [-1, 1] are clipped.

    u = clamp(round((x + 1) · 127.5), 0, 255)      (ties to even)
    """
    return ((images.detach().float() + 1.0) * 127.5).round().clamp(0, 255).to(torch.uint8)


def to_hwc(images) -> np.ndarray:
    """Images [N, C, H, W], floats in [-1, 1] or uint8, tensor or array → uint8 [N, H, W, C]
    numpy on the CPU: channels last, as matplotlib and PIL draw them."""
    x = torch.as_tensor(images)
    if x.ndim != 4:
        raise ValueError(f"expected a batch of images [N, C, H, W], got shape {list(x.shape)}")
    x = x if x.dtype == torch.uint8 else to_uint8(x)
    return x.cpu().permute(0, 2, 3, 1).numpy()


def image_grid(images, ncols: int | None = None, pad: int = 1, pad_value: int = 255) -> np.ndarray:
    """Tile images [N, C, H, W] (floats in [-1, 1] or uint8, tensor or array) row by row into
    one uint8 picture [H', W', C] (numpy), ``ncols`` to a row (default ⌈√N⌉).

    Cells are framed by ``pad`` pixels of ``pad_value``, which also fills the cells the last row
    leaves empty: the defaults draw thin white lines; ``pad=0, pad_value=0`` is the training
    loop's sample grid, images edge to edge and the empty cells black.
    """
    arr = to_hwc(images)
    n, h, w, c = arr.shape
    ncols = ncols or int(np.ceil(np.sqrt(n)))
    if ncols < 1:
        raise ValueError(f"ncols must be >= 1, got {ncols}")
    nrows = -(-n // ncols)
    grid = np.full((nrows * (h + pad) + pad, ncols * (w + pad) + pad, c), pad_value, np.uint8)
    for i in range(n):
        r, q = divmod(i, ncols)
        y, x = pad + r * (h + pad), pad + q * (w + pad)
        grid[y:y + h, x:x + w] = arr[i]
    return grid


def enlarge(image: np.ndarray, factor: int) -> np.ndarray:
    """One image [H, W, C] with every pixel made a factor × factor block: [H·factor, W·factor, C]
    (nearest neighbour, so the pixels stay visible on screen)."""
    return np.ascontiguousarray(image.repeat(factor, axis=0).repeat(factor, axis=1))


def write_gif(frames: Sequence[np.ndarray], path: str | Path, fps: float = 12.0, scale: int = 4,
              force: bool = False) -> Path:
    """Write frames (uint8 [H, W, C]) as a looping GIF, each pixel a ``scale`` × ``scale`` block;
    an existing file is replaced only with ``force``."""
    from PIL import Image

    path = Path(path)
    if path.exists() and not force:
        raise FileExistsError(f"{path} exists: choose another --out or pass --force to replace it")
    if not frames:
        raise ValueError("no frames to write")
    images = [Image.fromarray(enlarge(f, scale)) for f in frames]
    images[0].save(path, save_all=True, append_images=images[1:], duration=round(1000 / fps), loop=0,
                   optimize=False)
    return path
