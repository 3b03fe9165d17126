"""Projection: find the latent that makes the generator draw a given image (``python -m
stylegan_lib project``).

The official projector's recipe (StyleGAN2, Appendix D), applied to StyleGAN 1: optimise a
latent and the noise maps so that g(w, noise) looks like the target,

    min_{w, n}  d(g(w, n), x) + λ_pix · mean((g(w, n) − x)²) + λ_n · L_noise(n)

* the latent lives in W (one w repeated over the ``num_ws`` style inputs) or in W+ (one w per
  style input: more freedom, so closer reconstructions, but further from what the mapping
  network produces, so edits behave less well);
* d is a perceptual distance: NVIDIA's VGG16 LPIPS network when the reader has its file (images
  larger than 256² box-downsampled to 256² first, as in the release), else the book's faces
  classifier's LPIPS-style distance; at the book's 32² a pixel term helps the coarse feature
  maps pin the colours down (``pixel_weight``);
* L_noise keeps the noise maps noise: their autocorrelation at a shift of one pixel, squared,
  summed over a pyramid of 2× downsampled copies; after every step each map is renormalised to
  zero mean and unit variance, so the noise cannot smuggle in the image;
* Adam from w̄ with a learning rate that ramps up over the first 5 % of the steps and down (a
  cosine) over the last 25 %, and Gaussian noise added to w whose strength, a fraction of the
  spread of W, falls to zero over the first 75 %: an early exploration of W.

Defaults are the official projector's (1000 steps, learning rate 0.1, noise weight 1e5, w noise
0.05 × the spread of W); see REFERENCE.md, "Projection".

    python -m stylegan_lib project face.png --space w --steps 1000 --out proj/
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..images import image_grid, to_float
from ..latent import latent_generator

SPACES = ("w", "w+")
FORMAT = "stylegan_lib/projection/1"
OUTPUT_FILES = ("projected_w.pt", "reconstruction.png", "target.png", "loss.json")
VIDEO_FILE = "progress.gif"
REGULARIZE_NOISE_WEIGHT = 1e5   # the official projector's weight of L_noise


# ------------------------------------------------------------------------------------------
# The schedule
# ------------------------------------------------------------------------------------------
def learning_rate(step: int, num_steps: int, initial_learning_rate: float = 0.1,
                  lr_rampup_length: float = 0.05, lr_rampdown_length: float = 0.25) -> float:
    r"""The learning rate at ``step`` of ``num_steps``, t = step / num_steps:

    .. math::  \eta(t) = \eta_0 \cdot \min\!\left(1, \frac{t}{t_{up}}\right) \cdot
               \left(\tfrac12 - \tfrac12\cos\!\left(\pi \min\!\left(1, \frac{1 - t}{t_{down}}\right)\right)\right)

    a linear ramp-up over the first ``lr_rampup_length`` of the steps, flat, then a cosine
    ramp-down to 0 over the last ``lr_rampdown_length``.
    """
    t = step / num_steps
    ramp_down = 0.5 - 0.5 * math.cos(math.pi * min(1.0, (1.0 - t) / lr_rampdown_length))
    ramp_up = min(1.0, t / lr_rampup_length)
    return initial_learning_rate * ramp_down * ramp_up


def w_noise_scale(step: int, num_steps: int, w_std: float, initial_noise_factor: float = 0.05,
                  noise_ramp_length: float = 0.75) -> float:
    r"""Standard deviation of the Gaussian noise added to w at ``step``:

    .. math::  \sigma(t) = \sigma_W \cdot f_0 \cdot \max\!\left(0, 1 - \frac{t}{t_{noise}}\right)^2

    (σ_W the spread of W, f_0 = ``initial_noise_factor``), zero after ``noise_ramp_length``."""
    t = step / num_steps
    return w_std * initial_noise_factor * max(0.0, 1.0 - t / noise_ramp_length) ** 2


@torch.no_grad()
def w_statistics(G, w_avg_samples: int = 10_000, seed: int = 0,
                 batch_size: int = 1000) -> tuple[torch.Tensor, float]:
    r"""(w̄, σ_W) from ``w_avg_samples`` mapped samples z ~ N(0, I):

    .. math::  \sigma_W = \sqrt{\frac1N \sum_i \lVert w_i - \bar w \rVert^2}

    w̄ is the generator's tracked ``G.mapping.w_avg`` when it has one (the sample mean otherwise);
    σ_W is always measured about the sample mean."""
    gen = latent_generator(seed)
    ws = []
    for i in range(0, w_avg_samples, batch_size):
        z = torch.randn(min(batch_size, w_avg_samples - i), G.z_dim, generator=gen)
        ws.append(G.mapping(z.to(G.device))[:, 0].double())
    ws = torch.cat(ws)
    mean = ws.mean(0)
    w_std = float((ws - mean).square().sum(1).mean().sqrt())
    tracked = int(getattr(G.mapping, "w_avg_updates", 0)) > 0
    w_avg = G.mapping.w_avg.float() if tracked else mean.float()
    return w_avg.detach().clone(), w_std


# ------------------------------------------------------------------------------------------
# The noise maps
# ------------------------------------------------------------------------------------------
def noise_regularization(noise: list[torch.Tensor]) -> torch.Tensor:
    r"""L_noise per image [N]: for every noise map n (and each 2× average-pooled copy of it, down
    to 8×8), the squared mean of its product with itself shifted by one pixel, across and down,

    .. math::  L = \sum_{maps} \sum_{k} \left(\overline{n_k \cdot \text{roll}_x(n_k)}\right)^2 +
                   \left(\overline{n_k \cdot \text{roll}_y(n_k)}\right)^2,
               \qquad n_{k+1} = \text{avgpool}_2(n_k)

    (white noise: about 0; any structure, smooth or striped, makes it large)."""
    total = 0.0
    for n in noise:
        while True:
            across = (n * torch.roll(n, shifts=1, dims=3)).mean(dim=(1, 2, 3))
            down = (n * torch.roll(n, shifts=1, dims=2)).mean(dim=(1, 2, 3))
            total = total + across.square() + down.square()
            if n.shape[2] <= 8:
                break
            n = F.avg_pool2d(n, kernel_size=2)
    return total


@torch.no_grad()
def normalize_noise_(noise: list[torch.Tensor]) -> None:
    r"""Renormalise each noise map in place to zero mean and unit variance (per image):

    .. math::  n \leftarrow (n - \bar n) / \sqrt{\overline{(n - \bar n)^2}}
    """
    for n in noise:
        n -= n.mean(dim=(1, 2, 3), keepdim=True)
        n *= n.square().mean(dim=(1, 2, 3), keepdim=True).rsqrt()


def noise_layers(G) -> list[int]:
    """The layers of ``G.synthesis`` that have a noise input (none for the traditional generator)."""
    return [i for i, epi in enumerate(G.synthesis.epilogues()) if epi.noise is not None]


# ------------------------------------------------------------------------------------------
# The distance
# ------------------------------------------------------------------------------------------
def perceptual_embedding(distance, images: torch.Tensor) -> torch.Tensor:
    """The LPIPS feature vectors [N, D] of images in [-1, 1], with gradients; images larger than
    256² are box-downsampled to 256² first (the release's projector)."""
    from ..metrics.ppl import box_downsample

    return distance.embed(box_downsample(images, 256))


def resolve_distance(distance, vgg16=None, device="cpu"):
    """A PerceptualDistance: the one given, or 'auto' / 'vgg16' / 'classifier' (see
    :func:`stylegan_lib.metrics.detectors.get_perceptual_distance`)."""
    from ..metrics.detectors import get_perceptual_distance

    if isinstance(distance, str):
        return get_perceptual_distance(distance, vgg16, device)
    if not hasattr(distance, "embed"):
        raise TypeError(f"distance must be 'auto', 'vgg16', 'classifier' or a PerceptualDistance "
                        f"(with an .embed method), got {type(distance).__name__}")
    return distance


# ------------------------------------------------------------------------------------------
# Projection
# ------------------------------------------------------------------------------------------
@dataclass
class ProjectionResult:
    """What :func:`project` found, on the CPU.

    ``ws`` [N, num_ws, w_dim] is what ``G.synthesis`` takes (in W all ``num_ws`` rows are one w);
    ``noise`` one map per layer ([N, 1, R, R], None for a layer without noise); ``image`` the
    reconstruction g(ws, noise); per step: ``loss`` (the objective, per image), ``distance``,
    ``pixel``, ``noise_reg`` and ``learning_rate``; ``frames`` uint8 pictures (target |
    reconstruction side by side) every ``frame_every`` steps, for a progress video."""

    space: str
    ws: torch.Tensor
    noise: list
    image: torch.Tensor
    target: torch.Tensor
    distance_name: str
    loss: list = field(default_factory=list)
    distance: list = field(default_factory=list)
    pixel: list = field(default_factory=list)
    noise_reg: list = field(default_factory=list)
    learning_rate: list = field(default_factory=list)
    frames: list = field(default_factory=list)

    @property
    def w(self) -> torch.Tensor:
        """The latent found: [N, w_dim] in W, [N, num_ws, w_dim] in W+."""
        return self.ws[:, 0] if self.space == "w" else self.ws

    def pixel_error(self) -> torch.Tensor:
        """Mean squared error per image [N] between reconstruction and target, in [-1, 1] units."""
        return (self.image - self.target).square().mean(dim=(1, 2, 3))

    def save(self, path, force: bool = False, **meta) -> Path:
        """Write the latent and noise maps (``torch.load(weights_only=True)`` reads them back; see
        :func:`load_projection`); an existing file is replaced only with ``force``."""
        path = Path(path)
        if path.exists() and not force:
            raise FileExistsError(f"{path} exists: choose another path or pass force=True to replace it")
        torch.save({"format": FORMAT, "space": self.space, "ws": self.ws, "w": self.w,
                    "noise": self.noise, "distance": self.distance_name,
                    "final_loss": self.loss[-1] if self.loss else None, "meta": meta}, path)
        return path


def load_projection(path) -> dict:
    """A file written by :meth:`ProjectionResult.save`: {"space", "ws", "w", "noise", …}; draw it
    with ``G.synthesis(d["ws"], noise=d["noise"])``."""
    obj = torch.load(Path(path), map_location="cpu", weights_only=True)
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise ValueError(f"{path} is not a projection file (no format={FORMAT!r} entry); "
                         "it is written by `python -m stylegan_lib project`")
    return obj


def check_target(G, target: torch.Tensor) -> torch.Tensor:
    """Target images as floats in [-1, 1], [N, 3, R, R] on G's device (uint8 is converted)."""
    if not isinstance(target, torch.Tensor):
        raise TypeError(f"target must be a tensor of images [N, 3, H, W], got {type(target).__name__}")
    if target.ndim == 3:
        target = target[None]
    r = G.img_resolution
    if target.ndim != 4 or target.shape[1:] != (G.img_channels, r, r):
        raise ValueError(f"target must be images [N, {G.img_channels}, {r}, {r}] (the generator's "
                         f"resolution), got {list(target.shape)}; resize or crop it to {r}×{r} first")
    x = to_float(target) if target.dtype == torch.uint8 else target.float()
    return x.to(G.device)


def initial_latent(w_avg: torch.Tensor, n: int, num_ws: int, space: str) -> torch.Tensor:
    """w̄ for each of ``n`` images: [n, 1, w_dim] in W, [n, num_ws, w_dim] in W+."""
    if space not in SPACES:
        raise ValueError(f"space must be one of {SPACES}, got {space!r}")
    rows = 1 if space == "w" else num_ws
    return w_avg.reshape(1, 1, -1).repeat(n, rows, 1).clone()


def project(G, target: torch.Tensor, space: str = "w", num_steps: int = 1000, distance="auto",
            vgg16=None, pixel_weight: float = 1.0, initial_learning_rate: float = 0.1,
            lr_rampup_length: float = 0.05, lr_rampdown_length: float = 0.25,
            initial_noise_factor: float = 0.05, noise_ramp_length: float = 0.75,
            regularize_noise_weight: float = REGULARIZE_NOISE_WEIGHT, w_avg_samples: int = 10_000, seed: int = 0,
            frame_every: int | None = None, progress: bool = True) -> ProjectionResult:
    """Project target images [N, 3, R, R] (floats in [-1, 1] or uint8) into W or W+ of ``G``.

    Each image gets its own latent and noise maps (the objective is a sum over images, so a batch
    is N independent projections done at once). ``distance``: 'auto' (NVIDIA's VGG16 LPIPS when
    its file is found, see :mod:`stylegan_lib.metrics.detectors`; ``vgg16`` its path), 'vgg16',
    'classifier' (the book's faces classifier) or a PerceptualDistance. ``pixel_weight``: weight
    of the pixel MSE (0 = the official objective). ``seed`` fixes the initial noise maps and the
    noise added to w. Returns a :class:`ProjectionResult`.
    """
    from tqdm import tqdm  # text bars: widget bars can stall papermill/nbval kernels

    if num_steps < 1:
        raise ValueError(f"num_steps must be >= 1, got {num_steps}")
    x = check_target(G, target)
    dist = resolve_distance(distance, vgg16, G.device)
    n = x.shape[0]
    w_avg, w_std = w_statistics(G, w_avg_samples, seed)
    gen = torch.Generator().manual_seed(int(seed))

    w_opt = initial_latent(w_avg, n, G.num_ws, space).to(G.device).requires_grad_(True)
    noisy = noise_layers(G)
    noise = G.synthesis.make_noise_inputs(n, generator=gen, layers=noisy) if noisy else [None] * G.synthesis.num_layers
    trainable = [m.requires_grad_(True) for m in noise if m is not None]
    optimizer = torch.optim.Adam([w_opt] + trainable, betas=(0.9, 0.999), lr=initial_learning_rate)
    with torch.no_grad():
        target_features = perceptual_embedding(dist, x)

    result = ProjectionResult(space=space, ws=None, noise=[], image=None, target=x.detach().cpu(),
                              distance_name=getattr(dist, "name", type(dist).__name__))
    for step in tqdm(range(num_steps), desc=f"projecting into {space.upper()}", unit="step", disable=not progress):
        lr = learning_rate(step, num_steps, initial_learning_rate, lr_rampup_length, lr_rampdown_length)
        for group in optimizer.param_groups:
            group["lr"] = lr
        # w + σ(t)·ε, ε ~ N(0, I): early exploration around the current estimate.
        sigma = w_noise_scale(step, num_steps, w_std, initial_noise_factor, noise_ramp_length)
        eps = torch.randn(w_opt.shape, generator=gen).to(G.device)
        ws = (w_opt + sigma * eps).expand(n, G.num_ws, -1)
        images = G.synthesis(ws, noise=noise)

        # d(g(w, n), x) + λ_pix · mean((g − x)²) + λ_n · L_noise, per image; summed over images.
        d = (perceptual_embedding(dist, images) - target_features).square().sum(1)
        pix = (images - x).square().mean(dim=(1, 2, 3))
        reg = noise_regularization(trainable) if trainable else torch.zeros(n, device=G.device)
        loss = d + pixel_weight * pix + regularize_noise_weight * reg
        optimizer.zero_grad(set_to_none=True)
        loss.sum().backward()
        optimizer.step()
        normalize_noise_(trainable)

        for name, value in (("loss", loss), ("distance", d), ("pixel", pix), ("noise_reg", reg)):
            getattr(result, name).append(float(value.detach().mean()))
        result.learning_rate.append(lr)
        if frame_every and (step % frame_every == 0 or step == num_steps - 1):
            result.frames.append(progress_frame(G, w_opt, noise, x))

    with torch.no_grad():
        result.ws = w_opt.detach().expand(n, G.num_ws, -1).clone().cpu()
        result.noise = [m.detach().clone().cpu() if m is not None else None for m in noise]
        result.image = G.synthesis(w_opt.detach().expand(n, G.num_ws, -1), noise=noise).cpu()
    return result


@torch.no_grad()
def progress_frame(G, w_opt: torch.Tensor, noise: list, target: torch.Tensor) -> np.ndarray:
    """One picture of the projection so far: each target beside its current reconstruction (the
    latent without the exploration noise)."""
    images = G.synthesis(w_opt.expand(target.shape[0], G.num_ws, -1), noise=noise)
    pairs = torch.stack([target, images.clamp(-1, 1)], 1).flatten(0, 1)
    return image_grid(pairs.cpu(), ncols=2)


# ------------------------------------------------------------------------------------------
# Reading the target
# ------------------------------------------------------------------------------------------
class TargetImageError(ValueError):
    """An image file that cannot be a target as it is (size, mode, transparency)."""


def read_target(path, resolution: int) -> tuple[torch.Tensor, list[str]]:
    """A PNG/JPEG file → uint8 [1, 3, R, R] and notes on what was converted.

    The EXIF orientation is applied (as a viewer shows the photo); grayscale and palette images
    become RGB, and an alpha channel that is fully opaque is dropped. Refused with a
    :class:`TargetImageError` saying what to do: an image of another size (the projector does not
    guess a crop), transparent pixels (no background to guess), other modes (CMYK, 16-bit, …).
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    try:
        with Image.open(path) as im:
            im.load()
            image = ImageOps.exif_transpose(im)
    except FileNotFoundError:
        raise TargetImageError(f"{path}: no such file") from None
    except (UnidentifiedImageError, OSError) as e:
        raise TargetImageError(f"{path} cannot be read as an image ({type(e).__name__}: {e}); "
                               "give a PNG or JPEG file") from None
    notes = []
    image = to_rgb(image, path, notes)
    if image.size != (resolution, resolution):
        w, h = image.size
        raise TargetImageError(
            f"{path} is {w}×{h} pixels, but the generator makes {resolution}×{resolution} images: "
            f"crop and resize it to {resolution}×{resolution} first, e.g. put it in a folder and run "
            f"`python -m stylegan_lib prepare FOLDER out.zip --resolution {resolution}` (centre crop + "
            "Lanczos resize), then project the image from the archive")
    array = np.asarray(image, dtype=np.uint8)
    return torch.from_numpy(array.copy()).permute(2, 0, 1)[None], notes


def to_rgb(image, path, notes: list[str]):
    """An 8-bit RGB version of a Pillow image, or a TargetImageError; ``notes`` says what changed."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in ("L", "P", "LA", "PA", "RGBA", "La", "RGBa"):
        rgba = image.convert("RGBA")
        alpha = np.asarray(rgba)[..., 3]
        if alpha.min() < 255:
            raise TargetImageError(
                f"{path} has transparent pixels ({int((alpha < 255).sum())} of {alpha.size}): the "
                "projector cannot guess the background behind them. Flatten the image onto a "
                "background of your choice and save it as RGB first")
        notes.append(f"converted from {mode} to RGB" + (" (a grayscale image: the three channels are equal)"
                                                        if mode in ("L", "LA") else ""))
        return rgba.convert("RGB")
    raise TargetImageError(
        f"{path} has Pillow mode {mode!r} (CMYK, 16-bit or float pixels, 1-bit, …), which the projector "
        "does not convert for you: save it as 8-bit RGB first, or run it through "
        "`python -m stylegan_lib prepare`, which converts such images")


# ------------------------------------------------------------------------------------------
# Command line
# ------------------------------------------------------------------------------------------
def existing_outputs(out: Path, video: bool) -> list[Path]:
    """The files this run would write that are already there."""
    names = OUTPUT_FILES + ((VIDEO_FILE,) if video else ())
    return [out / name for name in names if (out / name).exists()]


def main(argv: list[str] | None = None) -> int:
    from PIL import Image

    from ..checkpoint import CheckpointError
    from ..images import to_hwc
    from ..metrics.detectors import DetectorError
    from ..official import OfficialFormatError
    from ..pretrained import load_pretrained
    from ..utils import arg_number

    ap = argparse.ArgumentParser(prog="python -m stylegan_lib project", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("image", type=Path, help="the target: a PNG or JPEG of the generator's size")
    ap.add_argument("--checkpoint", default="book-32",
                    help="shipped model name, .pt checkpoint or official .pkl (default book-32)")
    ap.add_argument("--space", choices=SPACES, default="w",
                    help="w: one w for all style inputs (default); w+: one w per style input")
    ap.add_argument("--steps", type=arg_number(int, low=1, high=100_000), default=1000,
                    help="optimisation steps (default 1000, as the official projector)")
    ap.add_argument("--distance", choices=["auto", "vgg16", "classifier"], default="auto",
                    help="perceptual distance: NVIDIA's VGG16 LPIPS when found (auto), or the book's classifier")
    ap.add_argument("--vgg16", default=None,
                    help="path to NVIDIA's vgg16.pt (else $STYLEGAN_VGG16 or the detectors folder)")
    ap.add_argument("--pixel-weight", type=arg_number(float, low=0), default=1.0,
                    help="weight of the pixel MSE term (default 1; 0 = the official objective)")
    ap.add_argument("--seed", type=arg_number(int, low=0), default=0,
                    help="seed of the initial noise maps and of the noise added to w")
    ap.add_argument("--video", action="store_true", help=f"also write {VIDEO_FILE}, the projection in motion")
    ap.add_argument("--frame-every", type=arg_number(int, low=1), default=None,
                    help="steps between video frames (default: about 50 frames)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--out", type=Path, required=True, help="output folder")
    ap.add_argument("--force", action="store_true", help="replace existing outputs in --out")
    args = ap.parse_args(argv)

    if args.out.exists() and not args.out.is_dir():
        ap.error(f"--out {args.out} is a file, not a folder: choose another --out")
    clash = existing_outputs(args.out, args.video)
    if clash and not args.force:
        ap.error(f"{', '.join(str(p) for p in clash)} already exist: choose another --out or pass "
                 "--force to replace them")
    try:
        G = load_pretrained(args.checkpoint, device=args.device)
    except (CheckpointError, OfficialFormatError, FileNotFoundError, RuntimeError, ValueError) as e:
        print(f"project: error: {e}", file=sys.stderr)
        return 1
    try:
        target, notes = read_target(args.image, G.img_resolution)
    except TargetImageError as e:
        print(f"project: error: {e}", file=sys.stderr)
        return 2
    for note in notes:
        print(f"project: {args.image}: {note}", file=sys.stderr)

    frame_every = (args.frame_every or max(1, args.steps // 50)) if args.video else None
    try:
        result = project(G, target, args.space, args.steps, args.distance, args.vgg16,
                         pixel_weight=args.pixel_weight, seed=args.seed, frame_every=frame_every)
    except DetectorError as e:
        print(f"project: error: {e}", file=sys.stderr)
        return 1

    args.out.mkdir(parents=True, exist_ok=True)
    result.save(args.out / "projected_w.pt", force=True, checkpoint=str(args.checkpoint),
                image=str(args.image), steps=args.steps, seed=args.seed, pixel_weight=args.pixel_weight)
    Image.fromarray(to_hwc(result.image)[0]).save(args.out / "reconstruction.png")
    Image.fromarray(to_hwc(target)[0]).save(args.out / "target.png")
    summary = {"space": args.space, "steps": args.steps, "distance_name": result.distance_name,
               "pixel_weight": args.pixel_weight, "regularize_noise_weight": REGULARIZE_NOISE_WEIGHT, "seed": args.seed,
               "final_pixel_mse": float(result.pixel_error()[0]),
               "loss": result.loss, "distance": result.distance, "pixel": result.pixel,
               "noise_reg": result.noise_reg, "learning_rate": result.learning_rate}
    (args.out / "loss.json").write_text(json.dumps(summary) + "\n")
    if args.video:
        from ..images import write_gif

        write_gif(result.frames, args.out / VIDEO_FILE, fps=12, scale=max(1, 128 // G.img_resolution), force=True)
    print(f"projected {args.image} into {args.space.upper()} in {args.steps} steps: "
          f"{result.distance_name} distance {result.distance[-1]:.4f}, pixel MSE "
          f"{summary['final_pixel_mse']:.4f}; wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
