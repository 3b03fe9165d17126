"""Chapter 2, the mapping network f: Z → W — the figures and the widget behind them.

* :func:`mapping_layer_table` and :func:`adam_step_sizes`: what the learning-rate multiplier
  λ = 0.01 does (the mapping network learns 100× more slowly than the synthesis network).
* :func:`interpolation_strips`: slerp in Z vs lerp in W, as image strips (the two paths of the
  perceptual path length, paper §4.1); :func:`interpolate_image` is the widget's picture.
* The paper's Figure 6 made real on the synthetic faces, whose training set has no long-haired
  men: :func:`training_factors` (panel a), :func:`fig6_anchors` + :func:`label_plane`
  (panels b and c: the attributes of generated images over the plane through three generated
  faces, in Z and in W), and :func:`straightness` (how well one straight line separates each
  attribute in a plane).
* :func:`average_face`: the image of w̄ next to the pixel average of many images.

Attributes of generated images are read by the book's faces classifier
(``stylegan_lib.metrics.classifier``) through one function, :func:`attribute_classifier`.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ..images import enlarge, image_grid, to_hwc
from ..latent import lerp, random_z, slerp, z_from_seeds
from ..metrics.classifier import load_classifier
from ..utils import progress_bar
from .widgets import ImagePanels, figure_widget

SPACES = ("z", "w", "z-lerp")
SPACE_LABELS = {"z": "Z, slerp", "w": "W, lerp", "z-lerp": "Z, lerp"}
FIG6_ATTRIBUTES = ("male", "long_hair")


# ------------------------------------------------------------------------------------------
# Small helpers shared by the chapters' modules.
# ------------------------------------------------------------------------------------------
@torch.no_grad()
def synthesize_ws(G, ws: torch.Tensor, noise_mode: str = "const", batch_size: int = 64,
                  progress: bool = False, desc: str = "synthesising") -> torch.Tensor:
    """g(ws) in batches on G's device; images [N, 3, R, R] in [-1, 1] returned on the CPU."""
    starts = progress_bar(range(0, len(ws), batch_size), progress, desc=desc, unit="batch")
    return torch.cat([G.synthesis(ws[i:i + batch_size].to(G.device), noise_mode=noise_mode).cpu()
                      for i in starts]) if len(ws) else torch.zeros(0, 3, G.img_resolution, G.img_resolution)


@torch.no_grad()
def map_z(G, z: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """f(z): one w per latent, [N, w_dim] on the CPU (no truncation)."""
    return torch.cat([G.mapping(z[i:i + batch_size].to(G.device))[:, 0].cpu()
                      for i in range(0, len(z), batch_size)])


def broadcast_w(G, w: torch.Tensor) -> torch.Tensor:
    """[N, w_dim] → ws [N, num_ws, w_dim]: the same w for every style input."""
    return w[:, None, :].expand(-1, G.num_ws, -1).contiguous()


# ------------------------------------------------------------------------------------------
# The learning-rate multiplier.
# ------------------------------------------------------------------------------------------
def mapping_layer_table(G) -> list[dict]:
    """One row per fully connected layer of f: its size, the equalised-lr factors and the
    spread of the stored (ŵ) and the effective (ŵ · g/√n · λ) weights."""
    rows = []
    for i, layer in enumerate(G.mapping.layers):
        w = layer.weight.detach().float()
        rows.append(dict(layer=i, in_features=layer.in_features, out_features=layer.out_features,
                         lr_mul=float(layer.bias_gain), weight_gain=float(layer.weight_gain),
                         stored_std=float(w.std()), effective_std=float(w.std() * layer.weight_gain)))
    return rows


def adam_step_sizes(G, lr: float = 1e-3, seed: int = 0) -> dict[str, list[float]]:
    r"""How far one Adam step moves each layer's *effective* weights, relative to their size.

    For every mapping layer and every synthesis convolution, a copy of the stored weight ŵ
    takes one real ``torch.optim.Adam`` step (β₁ = 0, β₂ = 0.99, ε = 1e-8, the paper's
    settings) on a random gradient. Adam's first step moves each stored weight by about lr,
    whatever the gradient's size, so the relative change of w = ŵ·c is

    .. math::  \frac{\lVert \Delta w \rVert}{\lVert w \rVert}
               = \frac{\lVert \Delta \hat w \rVert}{\lVert \hat w \rVert}
               \approx \frac{\text{lr}}{\operatorname{rms}(\hat w)}
               = \text{lr} \cdot \lambda \quad\text{at initialisation } (\hat w \sim \mathcal N(0, 1/\lambda^2))

    Returns {"mapping": [...], "synthesis": [...]} (one relative change per layer). The model
    is not modified.
    """
    gen = torch.Generator().manual_seed(seed)

    def step(weight: torch.Tensor) -> float:
        w = torch.nn.Parameter(weight.detach().float().cpu().clone())
        opt = torch.optim.Adam([w], lr=lr, betas=(0.0, 0.99), eps=1e-8)
        before = w.detach().clone()
        w.grad = torch.randn(w.shape, generator=gen)
        opt.step()
        return float((w.detach() - before).norm() / before.norm().clamp_min(1e-12))

    convs = [m for name, m in G.synthesis.named_modules()
             if type(m).__name__ == "EqualizedConv2d" and not name.startswith("torgb")]
    return {"mapping": [step(layer.weight) for layer in G.mapping.layers],
            "synthesis": [step(m.weight) for m in convs]}


# ------------------------------------------------------------------------------------------
# Interpolation: slerp in Z, lerp in W.
# ------------------------------------------------------------------------------------------
@torch.no_grad()
def interpolation_ws(G, seed_a: int, seed_b: int, ts: Sequence[float] | torch.Tensor,
                     space: str = "w") -> torch.Tensor:
    """The style inputs along the path from seed A to seed B: [len(ts), num_ws, w_dim].

    * ``"z"``: slerp(z_A, z_B; t) then f — the path of the paper's PPL in Z;
    * ``"w"``: lerp(f(z_A), f(z_B); t) — the path in W;
    * ``"z-lerp"``: a straight line in Z then f (for comparison).
    """
    if space not in SPACES:
        raise ValueError(f"space must be one of {SPACES}, got {space!r}")
    t = torch.as_tensor(ts, dtype=torch.float32).reshape(-1)
    z = z_from_seeds([seed_a, seed_b], G.z_dim)
    if space == "w":
        w = map_z(G, z)
        w_path = lerp(w[:1], w[1:], t[:, None])
    else:
        path = slerp(z[:1], z[1:], t) if space == "z" else lerp(z[:1], z[1:], t[:, None])
        w_path = map_z(G, path)
    return broadcast_w(G, w_path)


def interpolation_strips(G, seed_a: int, seed_b: int, steps: int = 8,
                         spaces: Sequence[str] = ("z", "w"), noise_mode: str = "const") -> dict:
    """Image strips from A to B for each space: {"t": [steps], space: images [steps, 3, R, R]}.
    The first and last images of every strip are G(z_A) and G(z_B)."""
    if steps < 2:
        raise ValueError(f"an interpolation strip needs at least 2 steps, got {steps}")
    ts = torch.linspace(0, 1, steps)
    out = {"t": ts.numpy(), "seeds": (seed_a, seed_b)}
    for space in spaces:
        out[space] = synthesize_ws(G, interpolation_ws(G, seed_a, seed_b, ts, space), noise_mode)
    return out


def step_distances(images: torch.Tensor) -> np.ndarray:
    """Mean squared pixel difference between consecutive images of a strip: [steps − 1].
    An even path has equal steps; a jump shows up as one large step."""
    x = images.float()
    return (x[1:] - x[:-1]).square().mean(dim=(1, 2, 3)).numpy()


def draw_interpolation(strips: dict, spaces: Sequence[str] | None = None, labels: dict | None = None, fig=None):
    """Figure: one image strip per space (or per key of ``strips`` named in ``spaces``, labelled
    by ``labels``), and the step sizes along each path. ``fig``: a figure to draw into (cleared
    first), as a widget keeps one."""
    import matplotlib.pyplot as plt

    spaces = [s for s in (spaces or SPACES) if s in strips]
    labels = {**SPACE_LABELS, **(labels or {})}
    n = len(strips["t"])
    size = (1.1 * n + 3.2, 1.25 * len(spaces) + 0.4)
    if fig is None:
        fig = plt.figure(figsize=size)
    else:
        fig.clear()
        fig.set_size_inches(*size)
    gs = fig.add_gridspec(len(spaces), 2, width_ratios=[n, 2.6], wspace=0.08)
    ax_d = fig.add_subplot(gs[:, 1])
    for row, space in enumerate(spaces):
        ax = fig.add_subplot(gs[row, 0])
        ax.imshow(image_grid(strips[space], ncols=n, pad=1), interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(labels[space], fontsize=9)
        if row == 0:
            a, b = strips["seeds"]
            ax.set_title(f"seed {a} (t = 0)  →  seed {b} (t = 1)", fontsize=10)
        d = step_distances(strips[space])
        ax_d.plot(np.arange(1, n), d, marker="o", label=labels[space].replace("\n", " "))
    ax_d.set_xlabel("step")
    ax_d.set_ylabel("mean squared change")
    ax_d.yaxis.set_label_position("right")
    ax_d.yaxis.tick_right()
    ax_d.legend(fontsize=8)
    ax_d.set_title("step sizes", fontsize=10)
    return fig


def interpolate_image(G, seed_a: int, seed_b: int, t: float, space: str = "w",
                      noise_mode: str = "const", upscale: int = 4) -> np.ndarray:
    """The picture behind the interpolation widget: uint8 [R·upscale, R·upscale, 3]."""
    img = to_hwc(synthesize_ws(G, interpolation_ws(G, int(seed_a), int(seed_b), [float(t)], space),
                               noise_mode))[0]
    return enlarge(img, upscale)


def interpolation_widget(G, seed_a: int = 0, seed_b: int = 1, t: float = 0.5):
    """Seeds A and B, the position t and the space: Z (slerp) and W (lerp) side by side."""
    import ipywidgets as W

    a_w = W.IntSlider(value=seed_a, min=0, max=999, description="seed A")
    b_w = W.IntSlider(value=seed_b, min=0, max=999, description="seed B")
    t_w = W.FloatSlider(value=t, min=0.0, max=1.0, step=0.05, description="t")
    panels = ImagePanels(2, figsize=(5, 2.7), fontsize=None)

    def draw():
        spaces = ("z", "w")
        return panels.show([interpolate_image(G, a_w.value, b_w.value, t_w.value, s) for s in spaces],
                           [SPACE_LABELS[s] for s in spaces])

    return figure_widget([[a_w, b_w, t_w]], draw)


# ------------------------------------------------------------------------------------------
# Figure 6: the left-out combination, and how Z and W bend around it.
# ------------------------------------------------------------------------------------------
def training_factors(num_images: int = 2000, seed: int = 0, config=None,
                     attributes: Sequence[str] = FIG6_ATTRIBUTES) -> dict:
    """Panel (a): the factors behind two attributes in the training set (default: the book's
    data set, which leaves out long-haired men). {"x", "y": factor values, "labels": [N, 2]
    0/1, "factors": the two factor names, "thresholds", "counts": {(a, b): n}}."""
    from ..data.faces import ATTRIBUTE_RULES, FacesConfig, labels_from_factors, sample_factors, ATTRIBUTES

    config = config or FacesConfig()
    f = sample_factors(num_images, seed, config)
    labels = labels_from_factors(f)[:, [ATTRIBUTES.index(a) for a in attributes]]
    names = [ATTRIBUTE_RULES[a][0] for a in attributes]
    counts = {(i, j): int(((labels[:, 0] == i) & (labels[:, 1] == j)).sum()) for i in (0, 1) for j in (0, 1)}
    return dict(x=f[names[0]], y=f[names[1]], labels=labels, factors=tuple(names),
                thresholds=tuple(ATTRIBUTE_RULES[a][1] for a in attributes),
                attributes=tuple(attributes), counts=counts)


def attribute_classifier(path: str = "", device="cpu"):
    """The faces classifier that labels generated images (``stylegan_lib.metrics.classifier``):
    the shipped one, or the weights at ``path``; ``ClassifierMissingError`` when they are missing."""
    return load_classifier(path or None, device=device)


@torch.no_grad()
def attribute_probabilities(classifier, images: torch.Tensor,
                            attributes: Sequence[str] = FIG6_ATTRIBUTES) -> np.ndarray:
    """p(attribute) for each image, [N, len(attributes)], from the faces classifier."""
    missing = [a for a in attributes if a not in classifier.attributes]
    if missing:
        raise ValueError(f"the classifier does not know {missing}; it knows {list(classifier.attributes)}")
    p = classifier.predict_proba(images)
    return p[:, [classifier.attributes.index(a) for a in attributes]].numpy()


#: The three corners of the Figure 6 planes: (p(male), p(long_hair)) wanted at each.
ANCHOR_ROLES = {"C": (0, 0), "B": (1, 0), "A": (0, 1)}


def fig6_anchors(G, classifier, num_samples: int = 256, seed: int = 0,
                 attributes: Sequence[str] = FIG6_ATTRIBUTES, batch_size: int = 64,
                 progress: bool = True) -> dict:
    """The three generated images that span the Figure 6 planes, picked from ``num_samples``
    random ones by the classifier: C, the most confident (not a, not b) — with the default
    attributes a woman with short hair; B, the most confident (a, not b) — a man with short hair;
    A, the most confident (not a, b) — a woman with long hair. Three different images.

    Returns {"z": [N, z_dim], "w": [N, w_dim], "probs": [N, 2], "images", "index": {"A", "B",
    "C": sample index}, "attributes"}.
    """
    z = random_z(num_samples, G.z_dim, seed)
    w = map_z(G, z)
    images = synthesize_ws(G, broadcast_w(G, w), "const", batch_size, progress, "Figure 6: samples")
    probs = attribute_probabilities(classifier, images, attributes)
    index: dict[str, int] = {}
    for role, (i, j) in ANCHOR_ROLES.items():
        pa = probs[:, 0] if i else 1 - probs[:, 0]
        pb = probs[:, 1] if j else 1 - probs[:, 1]
        score = pa * pb
        score[list(index.values())] = -1.0  # three different images
        index[role] = int(np.argmax(score))
    return dict(z=z, w=w, probs=probs, images=images, index=index, attributes=tuple(attributes))


def plane_points(anchors: dict, space: str, grid: int = 12, lo: float = -0.25,
                 hi: float = 1.25) -> tuple[np.ndarray, np.ndarray]:
    r"""Points of the plane through the anchors' latents in Z or W, [grid², dim] (float64), and
    the coordinates [grid] (from ``lo`` to ``hi``):

    .. math::  x(u, v) = x_C + u\,(x_B - x_C) + v\,(x_A - x_C)

    so (0, 0) is C, (1, 0) is B, (0, 1) is A and (1, 1) is A + B − C — the combination the
    training set leaves out, by vector arithmetic. Point i·grid + j sits at (u, v) =
    (coords[j], coords[i]). In Z the points go through f like any z (f normalises them first).
    """
    if space not in ("z", "w"):
        raise ValueError(f"space must be 'z' or 'w', got {space!r}")
    coords = np.linspace(lo, hi, grid)
    v, u = np.meshgrid(coords, coords, indexing="ij")
    x = anchors[space].double().numpy()
    c, b, a = (x[anchors["index"][k]] for k in ("C", "B", "A"))
    pts = c + u.reshape(-1, 1) * (b - c) + v.reshape(-1, 1) * (a - c)
    return pts, coords


def plane_latents(G, anchors: dict, space: str, grid: int = 12, lo: float = -0.25,
                  hi: float = 1.25) -> tuple[torch.Tensor, np.ndarray]:
    """ws [grid², num_ws, w_dim] for the points of :func:`plane_points` (z points go through f)."""
    pts, coords = plane_points(anchors, space, grid, lo, hi)
    x = torch.from_numpy(pts).float()
    return broadcast_w(G, map_z(G, x) if space == "z" else x), coords


def label_plane(G, classifier, anchors: dict, space: str, grid: int = 12, lo: float = -0.25,
                hi: float = 1.25, batch_size: int = 64, progress: bool = True) -> dict:
    """Panels (b) and (c): an image at every point of the plane through A, B, C in Z or in W,
    and its attributes. {"probs": [grid, grid, 2], "coords": [grid], "images": [grid², 3, R, R]}."""
    ws, coords = plane_latents(G, anchors, space, grid, lo, hi)
    images = synthesize_ws(G, ws, "const", batch_size, progress, f"Figure 6: plane in {space.upper()}")
    probs = attribute_probabilities(classifier, images, anchors["attributes"])
    return dict(probs=probs.reshape(grid, grid, -1), coords=coords, images=images, space=space,
                attributes=anchors["attributes"])


def corner_probabilities(plane: dict) -> np.ndarray:
    """p(a), p(b) at the grid point nearest to (1, 1) — A + B − C, the left-out combination."""
    k = int(np.argmin(np.abs(plane["coords"] - 1.0)))
    return plane["probs"][k, k]


def straightness(probs: np.ndarray, coords: np.ndarray) -> list[float]:
    """For each attribute over a plane's grid: the fraction of grid points on the right side of
    the best straight boundary (a logistic regression on the two coordinates). 1.0: a straight
    line separates the attribute exactly; lower: the boundary bends (or the label is noisy).
    NaN where the attribute does not change within the plane (there is no boundary to fit)."""
    from sklearn.linear_model import LogisticRegression

    g = len(coords)
    b, a = np.meshgrid(coords, coords, indexing="ij")
    xy = np.stack([a.ravel(), b.ravel()], 1)
    out = []
    for k in range(probs.shape[-1]):
        y = (probs[..., k].reshape(g * g) > 0.5).astype(int)
        if y.min() == y.max():
            out.append(float("nan"))
            continue
        clf = LogisticRegression(C=1e4, max_iter=2000).fit(xy, y)
        out.append(float((clf.predict(xy) == y).mean()))
    return out


def combination_examples(anchors: dict, combination: tuple[int, int] = (1, 1), n: int = 16) -> torch.Tensor:
    """The generated images of :func:`fig6_anchors` that the classifier puts in ``combination``
    (default: both attributes, i.e. long-haired men), most confident first; at most ``n``,
    [k, 3, R, R] (k = 0 when there are none)."""
    p = anchors["probs"]
    pa = p[:, 0] if combination[0] else 1 - p[:, 0]
    pb = p[:, 1] if combination[1] else 1 - p[:, 1]
    inside = np.where((pa > 0.5) & (pb > 0.5))[0]
    order = inside[np.argsort(-(pa * pb)[inside], kind="stable")][:n]
    return anchors["images"][torch.as_tensor(order, dtype=torch.long)]


def combination_fractions(probs: np.ndarray) -> dict[tuple[int, int], float]:
    """Share of images (or of a plane's area) in each of the four combinations of two attributes."""
    lab = probs.reshape(-1, probs.shape[-1]) > 0.5
    return {(i, j): float(((lab[:, 0] == i) & (lab[:, 1] == j)).mean()) for i in (0, 1) for j in (0, 1)}


_COMBO_COLOURS = {(0, 0): (0.55, 0.75, 0.95), (0, 1): (0.98, 0.75, 0.45),
                  (1, 0): (0.55, 0.85, 0.55), (1, 1): (0.85, 0.2, 0.2)}


def _combo_image(probs: np.ndarray) -> np.ndarray:
    """Each point's colour: the combinations' colours weighted by their probabilities
    p(a = i) · p(b = j), so confident points have a pure colour and unsure ones a blend."""
    img = np.zeros(probs.shape[:2] + (3,))
    for (i, j), c in _COMBO_COLOURS.items():
        pa = probs[..., 0] if i else 1 - probs[..., 0]
        pb = probs[..., 1] if j else 1 - probs[..., 1]
        img += (pa * pb)[..., None] * np.asarray(c)
    return img


def percent_or_dash(v: float) -> str:
    """0.87 → "87%"; NaN → "–"."""
    return "–" if np.isnan(v) else f"{v:.0%}"


def draw_figure6(factors: dict, slices: Sequence[dict] = ()):
    """The paper's Figure 6 on the synthetic faces: (a) the training set's two factors, with
    one combination missing; (b, c) which combination the generator draws over the plane through
    three generated images A, B, C in Z and in W (colour), with the 0.5 level of each
    attribute's probability (solid: first attribute, dashed: second)."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    n = 1 + len(slices)
    fig, axes = plt.subplots(1, n, figsize=(3.6 * n, 3.9))
    axes = np.atleast_1d(axes)
    ax = axes[0]
    lab = factors["labels"].astype(int)
    colours = np.array([_COMBO_COLOURS[(i, j)] for i, j in lab])
    ax.scatter(factors["x"], factors["y"], s=4, c=colours, alpha=0.7, linewidths=0)
    tx, ty = factors["thresholds"]
    ax.axvline(tx, color="k", lw=0.6, ls=":")
    ax.axhline(ty, color="k", lw=0.6, ls=":")
    ax.set_xlabel(factors["factors"][0])
    ax.set_ylabel(factors["factors"][1])
    ax.set_title("(a) training set", fontsize=10)
    ax.text(0.97, 0.97, f"{factors['attributes'][0]} & {factors['attributes'][1]}:\n"
            f"{factors['counts'][(1, 1)]} of {len(lab)}", transform=ax.transAxes, ha="right", va="top",
            fontsize=8, color=_COMBO_COLOURS[(1, 1)])
    a0, a1 = factors["attributes"]
    for ax, s, letter in zip(axes[1:], slices, "bcdef"):
        c = s["coords"]
        step = (c[1] - c[0]) / 2 if len(c) > 1 else 0.5
        ext = [c[0] - step, c[-1] + step, c[0] - step, c[-1] + step]
        ax.imshow(_combo_image(s["probs"]), origin="lower", extent=ext, interpolation="nearest")
        for k, (col, ls) in enumerate((("k", "-"), ("k", "--"))):
            p = s["probs"][..., k]
            if p.min() < 0.5 < p.max():
                ax.contour(c, c, p, levels=[0.5], colors=col, linestyles=ls, linewidths=1.2)
        for (u, v), name in (((0, 0), "C"), ((1, 0), "B"), ((0, 1), "A"), ((1, 1), "A+B−C")):
            ax.plot(u, v, "o", ms=5, mfc="white", mec="k")
            ax.annotate(name, (u, v), textcoords="offset points", xytext=(5, 4), fontsize=8)
        lin = straightness(s["probs"], c)
        ax.set_title(f"({letter}) plane in {s['space'].upper()}\nstraight-line fit "
                     f"{percent_or_dash(lin[0])} / {percent_or_dash(lin[1])}", fontsize=10)
        ax.set_xlabel("u: from C towards B")
        ax.set_ylabel("v: from C towards A")
    handles = [Patch(color=_COMBO_COLOURS[(i, j)],
                     label=f"{'' if i else 'not '}{a0}, {'' if j else 'not '}{a1}".replace("_", " "))
               for i, j in ((0, 0), (0, 1), (1, 0), (1, 1))]
    fig.legend(handles=handles, loc="lower center", ncol=4 if n > 1 else 2, fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, -0.04))
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def plane_thumbnails(s: dict, every: int = 2) -> np.ndarray:
    """A grid of a plane's images (every ``every``-th row and column), top row = largest v,
    so it reads like the label map. uint8 [H, W, 3]."""
    g = len(s["coords"])
    idx = [i * g + j for i in range(g - 1, -1, -every) for j in range(0, g, every)]
    return image_grid(s["images"][idx], ncols=len(range(0, g, every)), pad=1)


# ------------------------------------------------------------------------------------------
# w̄, the average face.
# ------------------------------------------------------------------------------------------
@torch.no_grad()
def average_face(G, num_samples: int = 256, seed: int = 0, noise_mode: str = "const",
                 images: torch.Tensor | None = None) -> dict:
    """{"w_avg": g(w̄) [1, 3, R, R], "pixel_mean": the mean of ``num_samples`` images
    [1, 3, R, R], "samples": a few of those images}. Pass ``images`` to reuse ones already drawn."""
    if int(G.mapping.w_avg_updates) == 0:
        raise ValueError("this generator has no w̄ (it was never trained): call "
                         "G.mapping.compute_w_avg() first")
    if images is None:
        z = random_z(num_samples, G.z_dim, seed)
        images = synthesize_ws(G, broadcast_w(G, map_z(G, z)), noise_mode)
    w_avg_img = synthesize_ws(G, broadcast_w(G, G.mapping.w_avg.detach().cpu()[None].float()), noise_mode)
    return {"w_avg": w_avg_img, "pixel_mean": images.mean(0, keepdim=True), "samples": images[:8]}


def draw_average_face(avg: dict):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(8.4, 2.9), gridspec_kw=dict(width_ratios=[1, 1, 2.2]))
    for ax, key, title in ((axes[0], "w_avg", "g(w̄)"), (axes[1], "pixel_mean", "mean of the images")):
        ax.imshow(to_hwc(avg[key])[0], interpolation="nearest")
        ax.set_title(title, fontsize=10)
        ax.set_axis_off()
    axes[2].imshow(image_grid(avg["samples"], ncols=4), interpolation="nearest")
    axes[2].set_title("some of the images", fontsize=10)
    axes[2].set_axis_off()
    fig.tight_layout()
    return fig
