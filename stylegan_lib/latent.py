"""Moving around latent space: interpolation and style mixing."""
from __future__ import annotations

from collections.abc import Sequence

import torch

from .layers import lerp
from .utils import stream_seed


def normalize(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """x / ‖x‖ along the last axis."""
    return x / x.norm(dim=-1, keepdim=True).clamp_min(eps)


def slerp(a: torch.Tensor, b: torch.Tensor, t) -> torch.Tensor:
    r"""Spherical interpolation of the *directions* of a and b, the path used in Z:

    .. math::  \text{slerp}(a, b; t) = \frac{\sin((1-t)\theta)}{\sin\theta}\hat a
               + \frac{\sin(t\theta)}{\sin\theta}\hat b,\qquad \cos\theta = \hat a\cdot\hat b

    Returns unit vectors (z is normalised anyway by the mapping network's first step).
    """
    a, b = normalize(a), normalize(b)
    t = torch.as_tensor(t, dtype=a.dtype, device=a.device)
    if t.ndim == 1:
        t = t[:, None]
    cos = (a * b).sum(-1, keepdim=True).clamp(-1.0, 1.0)
    theta = torch.acos(cos)
    # Equivalent closed form that stays finite when a ≈ b: rotate a towards b by tθ.
    c = normalize(b - cos * a)
    out = a * torch.cos(t * theta) + c * torch.sin(t * theta)
    return normalize(torch.where(theta < 1e-6, lerp(a, b, t), out))


def mix_styles(ws_list: Sequence[torch.Tensor], crossovers: Sequence[int]) -> torch.Tensor:
    """Style mixing: the style inputs before ``crossovers[0]`` come from ``ws_list[0]``, those
    from ``crossovers[0]`` up to ``crossovers[1]`` from ``ws_list[1]``, and so on.

    ws_list: k tensors [N, num_ws, w_dim]; crossovers: k − 1 increasing indices in [0, num_ws].
    """
    if len(ws_list) < 1 or len(crossovers) != len(ws_list) - 1:
        raise ValueError(f"need k ws and k-1 crossover indices, got {len(ws_list)} ws and "
                         f"{len(crossovers)} crossovers")
    ref = ws_list[0]
    num_ws = ref.shape[1]
    bounds = [0, *[int(c) for c in crossovers], num_ws]
    if any(a > b for a, b in zip(bounds, bounds[1:])):
        raise ValueError(f"crossover indices must be increasing and within [0, {num_ws}], got {list(crossovers)}")
    for ws in ws_list:
        if ws.shape != ref.shape:
            raise ValueError(f"all ws must have the same shape, got {list(ws.shape)} and {list(ref.shape)}")
    out = ref.clone()
    for ws, lo, hi in zip(ws_list, bounds, bounds[1:]):
        out[:, lo:hi] = ws[:, lo:hi]
    return out


def copy_styles(ws_a: torch.Tensor, ws_b: torch.Tensor, layers: Sequence[int] | slice) -> torch.Tensor:
    """ws_a with the style inputs in ``layers`` taken from ws_b (Figure 3: B's coarse, middle or
    fine styles copied into A)."""
    if ws_a.shape != ws_b.shape:
        raise ValueError(f"ws_a and ws_b must have the same shape, got {list(ws_a.shape)} and {list(ws_b.shape)}")
    out = ws_a.clone()
    out[:, layers] = ws_b[:, layers]
    return out


def layer_groups(num_ws: int) -> dict[str, range]:
    """The paper's Figure 3 groups of style inputs.

    From 64² on: coarse = 4²–8² (inputs 0–3), middle = 16²–32² (4–7), fine = 64² and up.
    A smaller model has no 64² layers, so its groups are shifted down to keep three: at 32²,
    coarse = 4²–8², middle = 16², fine = 32²; at 16², coarse = 4², middle = 8², fine = 16².
    """
    n_res = num_ws // 2
    if n_res >= 5:
        bounds = [0, 4, 8, num_ws]
    else:
        coarse = max(1, n_res - 2)
        bounds = [0, 2 * coarse, min(2 * coarse + 2, num_ws), num_ws]
    return {name: range(lo, hi) for name, lo, hi in zip(("coarse", "middle", "fine"), bounds, bounds[1:])}


def noise_groups(num_layers: int) -> dict[str, range]:
    """The paper's Figure 5 split of the noise inputs into two groups (one noise input per layer,
    indexed like the style inputs).

    At 1024²: coarse = 4²–32² (layers 0–7), fine = 64²–1024² (8–17), i.e. the fine group of
    :func:`layer_groups` and everything below it. At the book's 32²: coarse = 4²–16² (layers
    0–5), fine = 32² (6–7); at 16²: coarse = 4²–8², fine = 16².
    """
    fine = layer_groups(num_layers)["fine"]
    return {"coarse": range(0, fine.start), "fine": fine}


def random_crossover(num_ws: int, generator: torch.Generator | None = None) -> int:
    """A crossover index uniform in [1, num_ws), as in style-mixing regularisation."""
    return int(torch.randint(1, num_ws, (), generator=generator))


#: Tells the random stream of latents apart from ``torch.manual_seed(seed)``'s (see
#: :func:`latent_generator`).
LATENT_STREAM = 0x1A7E


def latent_generator(seed: int) -> torch.Generator:
    """The (CPU) random generator every latent of ``seed`` is drawn from: a torch generator seeded
    with a hash of (seed, :data:`LATENT_STREAM`) (:func:`..utils.stream_seed`), not with ``seed``.

    Why not ``torch.Generator().manual_seed(seed)``: models trained before this stream existed,
    the shipped book-32 among them, initialised their weights after ``torch.manual_seed(seed)``,
    and the mapping network's first layer is stored as plain N(0, 1) draws (scaled by 1/lr_mul),
    which training hardly moves (its learning rate is 100× lower). The first z_dim latents of
    that stream *are* the rows of that layer: each drives its own unit about √z_dim times harder
    than a random z does, so they map far from w̄ and draw broken images. In book-32 (seed 0)
    they land twice as far from w̄ as other latents (benchmarks/training.md §10).
    """
    return torch.Generator().manual_seed(stream_seed(seed, LATENT_STREAM))


def random_z(num: int, z_dim: int, seed: int = 0, device="cpu") -> torch.Tensor:
    """``num`` latents z ~ N(0, I) of ``seed`` ([num, z_dim], drawn on the CPU, so the same on
    every machine), from :func:`latent_generator`."""
    return torch.randn(int(num), z_dim, generator=latent_generator(seed)).to(device)


def z_from_seeds(seeds, z_dim: int, device="cpu") -> torch.Tensor:
    """One latent per seed, the same on every machine and for any batch: z_s ~ N(0, I), the
    first draw of :func:`latent_generator` (s). [len(seeds), z_dim]."""
    zs = [torch.randn(z_dim, generator=latent_generator(s)) for s in seeds]
    return torch.stack(zs).to(device)


@torch.no_grad()
def ws_from_seeds(G, seeds, truncation_psi: float = 1.0, truncation_cutoff: int | None = None,
                  z: torch.Tensor | None = None) -> torch.Tensor:
    """The style inputs of a list of seeds, on G's device: [len(seeds), num_ws, w_dim].

    ws = f(z_s), with z_s from :func:`z_from_seeds`, or the rows of ``z`` when given (one per
    seed, the seeds then only name them: e.g. latents drawn as NVIDIA's release draws them);
    w′ = w̄ + ψ(w − w̄) on the style inputs below ``truncation_cutoff`` (all if None) when ψ ≠ 1.
    """
    seeds = list(seeds)
    if z is None:
        z = z_from_seeds(seeds, G.z_dim)
    elif len(z) != len(seeds):
        raise ValueError(f"one latent per seed: got {len(z)} latents for {len(seeds)} seeds")
    return G.mapping(z.to(G.device), None, truncation_psi=truncation_psi, truncation_cutoff=truncation_cutoff)


def multi_latent_ws(G, z: torch.Tensor, num_latents: int, generator: torch.Generator) -> torch.Tensor:
    """ws whose style inputs come from ``num_latents`` latents: z and num_latents − 1 further
    latents drawn from ``generator``, switched at num_latents − 1 distinct crossover points drawn
    uniformly from 1…num_ws−1 (sorted), independently per image."""
    n = z.shape[0]
    if not 1 <= num_latents <= G.num_ws:
        raise ValueError(f"num_latents must be in [1, num_ws={G.num_ws}], got {num_latents}")
    ws = G.mapping(z)
    if num_latents == 1:
        return ws
    others = [G.mapping(torch.randn(n, G.z_dim, generator=generator).to(z.device))
              for _ in range(num_latents - 1)]
    # Which latent each style input of each image comes from: the number of crossovers at or below it.
    cuts = torch.stack([torch.randperm(G.num_ws - 1, generator=generator)[:num_latents - 1] + 1
                        for _ in range(n)])                          # [n, num_latents − 1]
    layer = torch.arange(G.num_ws)
    source = (layer[None, :, None] >= cuts[:, None, :]).sum(-1).to(z.device)  # [n, num_ws]: 0…k−1
    out = ws.clone()
    for j, other in enumerate(others, 1):
        out[source == j] = other[source == j]
    return out
