"""Pictures for the metrics chapter: what FD/KD compare, how the sample count biases FD, the paths
PPL walks (slerp in Z, lerp in W), the SVM boundary of linear separability.

The numeric logic sits in small functions (``project_2d``, ``sample_count_study``,
``interpolation_paths``, ``svm_projection``, ``sample_count_view``) that the tests check; the
``plot_*`` functions only draw their results.
"""
from __future__ import annotations

import numpy as np
import torch

from ..metrics.frechet import FeatureStats, frechet_distance_from_stats
from ..metrics.kernel import kernel_distance


def _np(x) -> np.ndarray:
    return x.detach().cpu().double().numpy() if isinstance(x, torch.Tensor) else np.asarray(x, dtype=np.float64)


# ------------------------------------------------------------------------------------------
# FD / KD
# ------------------------------------------------------------------------------------------
def project_2d(real, gen) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Both feature sets projected on the top two principal axes of the pooled features:
    (real [N, 2], gen [M, 2], axes [2, D])."""
    r, g = _np(real), _np(gen)
    pooled = np.concatenate([r, g])
    centre = pooled.mean(0)
    _, _, vt = np.linalg.svd(pooled - centre, full_matrices=False)
    axes = vt[:2]
    return (r - centre) @ axes.T, (g - centre) @ axes.T, axes


def _ellipse(ax, pts: np.ndarray, colour, label):
    """The 2σ ellipse of the Gaussian fitted to pts [N, 2]."""
    mu, cov = pts.mean(0), np.cov(pts, rowvar=False)
    lam, vec = np.linalg.eigh(cov)
    t = np.linspace(0, 2 * np.pi, 100)
    circle = np.stack([np.cos(t), np.sin(t)], 1) * 2 * np.sqrt(np.clip(lam, 0, None))
    xy = circle @ vec.T + mu
    ax.plot(xy[:, 0], xy[:, 1], color=colour, lw=2, label=label)
    ax.plot(*mu, marker="x", color=colour, ms=10, mew=2)


def plot_feature_scatter(real, gen, ax=None, max_points: int = 800, title: str | None = None,
                         labels=("real", "generated")):
    """Scatter of real and generated features on their two main axes, with the 2σ ellipses of
    the Gaussians the Fréchet distance compares."""
    import matplotlib.pyplot as plt

    r2, g2, _ = project_2d(real, gen)
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4))
    ax.scatter(*r2[:max_points].T, s=4, alpha=0.35, color="tab:blue")
    ax.scatter(*g2[:max_points].T, s=4, alpha=0.35, color="tab:orange")
    _ellipse(ax, r2, "tab:blue", f"{labels[0]} (2σ)")
    _ellipse(ax, g2, "tab:orange", f"{labels[1]} (2σ)")
    ax.set_xlabel("principal axis 1")
    ax.set_ylabel("principal axis 2")
    ax.legend(loc="upper right", fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return ax.figure


def sample_count_study(real, gen, counts, repeats: int = 3, seed: int = 0, kid_subsets: int = 20) -> dict:
    """FD and KD between random subsets of ``n`` real and ``n`` generated features, for each n in
    ``counts``, ``repeats`` times. Returns {"counts", "fd_mean", "fd_std", "kd_mean", "kd_std"}.
    FD's mean falls as n grows (its bias); KD's does not."""
    r, g = _np(real), _np(gen)
    rng = np.random.default_rng(seed)
    out = {"counts": [], "fd_mean": [], "fd_std": [], "kd_mean": [], "kd_std": []}
    for n in counts:
        n = int(n)
        if n > min(len(r), len(g)) or n < 2:
            raise ValueError(f"sample count {n} must be in [2, {min(len(r), len(g))}]")
        fds, kds = [], []
        for _ in range(repeats):
            a, b = r[rng.choice(len(r), n, replace=False)], g[rng.choice(len(g), n, replace=False)]
            fds.append(frechet_distance_from_stats(FeatureStats.from_features(a, False),
                                                   FeatureStats.from_features(b, False), method="eigh"))
            kds.append(kernel_distance(a, b, num_subsets=kid_subsets, max_subset_size=min(n, 1000),
                                       seed=int(rng.integers(1 << 31))))
        out["counts"].append(n)
        out["fd_mean"].append(float(np.mean(fds)))
        out["fd_std"].append(float(np.std(fds)))
        out["kd_mean"].append(float(np.mean(kds)))
        out["kd_std"].append(float(np.std(kds)))
    return out


def plot_sample_count(study: dict, reference: dict | None = None, axes=None, name: str = "FD"):
    """FD and KD against the sample count (log x); ``reference`` (same keys) draws a second
    curve, e.g. real vs real, whose true distance is 0."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(9, 3.4))
    kname = "KD" if name == "FD" else "KID"
    for st, style, lab in ((study, "-o", "generated vs real"), (reference, "--s", "real vs real (truth: 0)")):
        if st is None:
            continue
        c = np.array(st["counts"])
        axes[0].errorbar(c, st["fd_mean"], yerr=st["fd_std"], fmt=style, capsize=3, label=lab)
        axes[1].errorbar(c, st["kd_mean"], yerr=st["kd_std"], fmt=style, capsize=3, label=lab)
    axes[0].set_title(f"{name}: biased upwards at small N", fontsize=10)
    axes[1].set_title(f"{kname}: unbiased at every N", fontsize=10)
    for a in axes:
        a.set_xscale("log")
        a.set_xlabel("samples per side N")
        a.legend(fontsize=8)
    axes[1].axhline(0, color="gray", lw=0.8)
    axes[0].set_yscale("log")
    axes[0].set_ylabel(f"{name} (log scale)")
    axes[1].set_ylabel(kname)
    axes[0].figure.tight_layout()
    return axes[0].figure


def sample_count_view(real, gen, n: int, seed: int = 0, ax=None, names=("FD", "KD")) -> tuple[object, dict]:
    """The widget's picture: n real and n generated features (2-D projection) with their FD and
    KD at that n. Returns (figure, {"n", "fd", "kd"}); ``names`` label the two distances."""
    import matplotlib.pyplot as plt

    r, g = _np(real), _np(gen)
    rng = np.random.default_rng(seed)
    a, b = r[rng.choice(len(r), n, replace=False)], g[rng.choice(len(g), n, replace=False)]
    fd = frechet_distance_from_stats(FeatureStats.from_features(a, False), FeatureStats.from_features(b, False),
                                     method="eigh")
    kd = kernel_distance(a, b, num_subsets=20, max_subset_size=min(n, 1000), seed=seed)
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4))
    plot_feature_scatter(a, b, ax=ax, title=f"N = {n}: {names[0]} = {fd:.3g}, {names[1]} = {kd:.3g}")
    return ax.figure, {"n": int(n), "fd": fd, "kd": kd}


# ------------------------------------------------------------------------------------------
# PPL
# ------------------------------------------------------------------------------------------
@torch.no_grad()
def interpolation_paths(G, seed: int = 0, steps: int = 41) -> dict:
    """The Z path (slerp) and the W path (lerp) between the same two latents, all expressed in W
    and projected on the plane through w̄ ... spanned by f(z1) and f(z2):

    * "w_lerp": lerp(f(z1), f(z2); t) — a straight segment, the path of l_W;
    * "z_slerp": f(slerp(z1, z2; t)) — the path of l_Z seen in W, curved by the mapping f.

    Also the per-step image distance along both paths (squared L2 of the images, ÷ Δt²), to show
    where the image changes fast. Returns numpy arrays.
    """
    from ..latent import latent_generator, lerp, slerp

    gen = latent_generator(seed)
    z = torch.randn(2, G.z_dim, generator=gen)
    z = z.to(G.device)
    t = torch.linspace(0, 1, steps, device=G.device)
    w_end = G.mapping(z, None)[:, 0]
    w_lerp = lerp(w_end[0:1], w_end[1:2], t[:, None])
    w_of_z = G.mapping(slerp(z[0:1].expand(steps, -1), z[1:2].expand(steps, -1), t), None)[:, 0]
    # a 2-D basis of the plane through w1, w2 and the centre of the Z path's image
    origin = w_of_z.mean(0)
    e1 = w_end[1] - w_end[0]
    e1 = e1 / e1.norm()
    mid = w_of_z[steps // 2] - w_end[0]
    e2 = mid - (mid @ e1) * e1
    e2 = e2 / e2.norm().clamp_min(1e-12)
    basis = torch.stack([e1, e2], 1)
    noise = G.synthesis.make_noise_inputs(1, generator=gen) if hasattr(G.synthesis, "make_noise_inputs") else None

    def image_speed(ws):
        img = G.synthesis(ws[:, None].repeat(1, G.num_ws, 1), noise=noise).float()
        d = (img[1:] - img[:-1]).square().flatten(1).sum(1)
        return (d * (steps - 1) ** 2).cpu().numpy()

    return {"t": t.cpu().numpy(), "w_lerp": ((w_lerp - origin) @ basis).cpu().numpy(),
            "z_slerp": ((w_of_z - origin) @ basis).cpu().numpy(),
            "speed_w": image_speed(w_lerp), "speed_z": image_speed(w_of_z)}


def plot_interpolation_paths(paths: dict, axes=None):
    """Left: a unit circle with slerp (arc) and lerp (chord) in a 2-D toy Z. Middle: the real
    paths in W. Right: how fast the image changes along each."""
    import matplotlib.pyplot as plt

    from ..latent import lerp, slerp

    if axes is None:
        _, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    a, b = torch.tensor([[1.0, 0.2]]), torch.tensor([[-0.3, 1.0]])
    t = torch.linspace(0, 1, 11)[:, None]
    arc, chord = slerp(a.expand(11, -1), b.expand(11, -1), t), lerp(a / a.norm(), b / b.norm(), t)
    circle = np.linspace(0, 2 * np.pi, 200)
    ax = axes[0]
    ax.plot(np.cos(circle), np.sin(circle), color="lightgray")
    ax.plot(*arc.T, "-o", ms=3, label="slerp (Z: stays on the sphere)")
    ax.plot(*chord.T, "--o", ms=3, label="lerp (cuts inside)")
    ax.set_aspect("equal")
    ax.set_title("Z is normalised: interpolate on the sphere", fontsize=10)
    ax.legend(fontsize=7, loc="lower left")
    ax = axes[1]
    ax.plot(*paths["w_lerp"].T, "-", lw=2, label="lerp in W (path of $l_W$)")
    ax.plot(*paths["z_slerp"].T, "-", lw=2, label="slerp in Z, mapped by f ($l_Z$)")
    ax.plot(*paths["w_lerp"][[0, -1]].T, "ko", ms=5)
    ax.set_title("the two paths between the same endpoints, in W", fontsize=10)
    ax.set_xlabel("along $w_2 - w_1$")
    ax.legend(fontsize=7)
    ax = axes[2]
    tm = (paths["t"][1:] + paths["t"][:-1]) / 2
    ax.plot(tm, paths["speed_w"], label="lerp in W")
    ax.plot(tm, paths["speed_z"], label="slerp in Z")
    ax.set_xlabel("t")
    ax.set_ylabel("‖Δimage‖² / Δt²")
    ax.set_title("how fast the image changes along the path", fontsize=10)
    ax.legend(fontsize=7)
    axes[0].figure.tight_layout()
    return axes[0].figure


def plot_ppl_histogram(results: list, ax=None):
    """Histograms (log x) of d/ε² for several ``PPLResult``s, with their 1st/99th percentile
    bounds and filtered means."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.4))
    all_d = np.concatenate([r.distances for r in results])
    pos = all_d[all_d > 0]
    bins = np.geomspace(max(pos.min(), 1e-12), pos.max(), 40) if pos.size else 20
    for i, r in enumerate(results):
        colour = f"C{i}"
        ax.hist(np.clip(r.distances, bins[0] if not np.isscalar(bins) else None, None), bins=bins,
                alpha=0.45, color=colour, label=f"{r.name}: {r.value:.3g}")
        ax.axvline(r.value, color=colour, lw=2)
        ax.axvline(r.lo, color=colour, lw=0.8, ls=":")
        ax.axvline(r.hi, color=colour, lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_xlabel("d / ε²  (dotted: 1st / 99th percentile; solid: filtered mean)")
    ax.set_ylabel("pairs")
    ax.legend(fontsize=8)
    ax.figure.tight_layout()
    return ax.figure


# ------------------------------------------------------------------------------------------
# Linear separability
# ------------------------------------------------------------------------------------------
def svm_projection(latents, probs, keep_fraction: float = 0.5, seed: int = 0) -> dict:
    """Fit the LS SVM for one attribute and project the kept samples on a plane: x = signed
    distance to the hyperplane along its unit normal, y = the main direction of what is left.
    Returns {"xy", "labels", "accuracy", "entropy"}; the boundary is x = 0."""
    from sklearn.svm import LinearSVC

    from ..metrics.separability import conditional_entropy, most_confident

    lat, p = _np(latents), _np(probs).ravel()
    keep = most_confident(p, keep_fraction)
    x, y = lat[keep], (p[keep] > 0.5).astype(int)   # raw latents, as the LS metric fits them
    if np.unique(y).size < 2:
        raise ValueError("the kept samples all have one label: nothing to separate")
    svm = LinearSVC(C=1.0, max_iter=5000, random_state=seed).fit(x, y)
    normal = svm.coef_[0] / np.linalg.norm(svm.coef_[0])
    along = x @ normal + svm.intercept_[0] / np.linalg.norm(svm.coef_[0])
    rest = x - np.outer(x @ normal, normal)
    _, _, vt = np.linalg.svd(rest - rest.mean(0), full_matrices=False)
    pred = svm.predict(x)
    return {"xy": np.stack([along, rest @ vt[0]], 1), "labels": y, "accuracy": float((pred == y).mean()),
            "entropy": conditional_entropy(y, pred)}


def plot_svm_boundary(projections: dict[str, dict], attribute: str, axes=None):
    """One panel per latent space (e.g. {"Z": …, "W": …}) from ``svm_projection``."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, len(projections), figsize=(4.3 * len(projections), 3.6), squeeze=False)
        axes = axes[0]
    for ax, (space, pr) in zip(axes, projections.items()):
        xy, lab = pr["xy"], pr["labels"]
        ax.scatter(*xy[lab == 0][:600].T, s=5, alpha=0.5, label=f"not {attribute}")
        ax.scatter(*xy[lab == 1][:600].T, s=5, alpha=0.5, label=attribute)
        ax.axvline(0, color="k", lw=1.5, label="SVM boundary")
        ax.set_title(f"{space}: SVM accuracy {pr['accuracy']:.1%}, H(Y|X) = {pr['entropy']:.3f}", fontsize=9)
        ax.set_xlabel("signed distance to the hyperplane")
        ax.legend(fontsize=7, loc="upper left")
    axes[0].set_ylabel("main direction within the hyperplane")
    axes[0].figure.tight_layout()
    return axes[0].figure


def plot_code_scores(scores: dict[str, dict], ax=None):
    """Grouped bars: disentanglement, completeness, informativeness and MIG of several codes
    (``{code name: disentanglement_scores(...)}``)."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 3.2))
    keys = ("disentanglement", "completeness", "informativeness", "mig")
    width = 0.8 / len(keys)
    x = np.arange(len(scores))
    for i, k in enumerate(keys):
        ax.bar(x + (i - (len(keys) - 1) / 2) * width, [max(s[k], 0.0) for s in scores.values()], width,
               label="MIG" if k == "mig" else k, color=f"C{i}")
    ax.set_xticks(x, list(scores))
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score (below 0 drawn as 0)")
    ax.legend(fontsize=8, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.12))
    ax.figure.tight_layout()
    return ax.figure


def plot_factor_r2(gt: dict, ax=None):
    """Per factor, the held-out R² of a linear map from Z and from W (a ``ground_truth`` result),
    factors grouped by the scale they act on (coarse, middle, fine)."""
    import matplotlib.pyplot as plt

    from ..data import FACTOR_SCALES

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.4))
    names = sorted(gt["factors"], key=lambda k: ("coarse", "middle", "fine").index(FACTOR_SCALES[k]))
    x = np.arange(len(names))
    for i, space in enumerate(("z", "w")):
        ax.bar(x + (i - 0.5) * 0.4, [max(gt[space]["r2"][k], 0.0) for k in names], 0.4, color=f"C{i}",
               label=f"from {space.upper()}: mean {gt[space]['informativeness']:.2f}")
    for j, k in enumerate(names[1:], 1):
        if FACTOR_SCALES[k] != FACTOR_SCALES[names[j - 1]]:
            ax.axvline(j - 0.5, color="0.6", lw=0.8)
    ax.set_xticks(x, [k.replace("_", " ") for k in names], rotation=60, ha="right", fontsize=8)
    ax.set_ylim(0, 1.0)
    ax.set_ylabel("held-out R² of a linear map\n(below 0 drawn as 0)", fontsize=9)
    groups = " | ".join(dict.fromkeys(FACTOR_SCALES[k] for k in names))
    ax.set_title(f"how linearly each factor is encoded ({groups})", fontsize=10)
    ax.legend(fontsize=8)
    ax.figure.tight_layout()
    return ax.figure


def plot_factor_r2_grid(gts: dict, space: str | dict = "w", ax=None):
    """Per model (a label → its ``ground_truth`` result, e.g. the ladder's rungs in order) and
    per factor, the held-out R² of a linear map from ``space`` ("z" or "w", or a label → its
    space, for rows of a table measured in either): a heatmap, factors grouped by scale as in
    :func:`plot_factor_r2`, models as rows. Factors a model's result left out (the reader cannot
    read them at its resolution) are blank; R² below 0 is drawn as 0."""
    import matplotlib.pyplot as plt

    from ..data import FACTOR_SCALES

    if not gts:
        raise ValueError("no ground-truth results to draw")
    factors = dict.fromkeys(k for gt in gts.values() for k in gt["factors"])
    names = sorted(factors, key=lambda k: ("coarse", "middle", "fine").index(FACTOR_SCALES[k]))
    spaces = {label: space if isinstance(space, str) else space[label] for label in gts}
    r2s = {label: gt[spaces[label]]["r2"] for label, gt in gts.items()}
    grid = np.array([[max(r2[k], 0.0) if k in r2 else np.nan for k in names] for r2 in r2s.values()])
    if ax is None:
        _, ax = plt.subplots(figsize=(0.45 * len(names) + 2.5, 0.35 * len(gts) + 1.8))
    im = ax.imshow(grid, vmin=0, vmax=1, cmap="viridis", aspect="auto")
    ax.set_xticks(np.arange(len(names)), [k.replace("_", " ") for k in names], rotation=60, ha="right", fontsize=8)
    ax.set_yticks(np.arange(len(gts)), list(gts), fontsize=8)
    where = space.upper() if isinstance(space, str) else "each row's space"
    ax.set_title(f"held-out R² of a linear map from {where}, per factor", fontsize=10)
    ax.figure.colorbar(im, ax=ax, fraction=0.03)
    ax.figure.tight_layout()
    return ax.figure


def comparison_table(rows: list[tuple[str, str, str]], header=("metric", "this book", "paper (FFHQ)")) -> str:
    """A markdown table from (metric, ours, paper) rows."""
    lines = [f"| {' | '.join(header)} |", "|" + "---|" * len(header)]
    lines += [f"| {' | '.join(str(c) for c in r)} |" for r in rows]
    return "\n".join(lines)


def sample_count_widget(real, gen, num: int, seed: int = 0, names=("FD", "KD"), n: int = 200, step: int = 20):
    """A slider for the sample count N over :func:`sample_count_view` (N from ``step`` to ``num``),
    drawn into one figure. Each N's picture is kept once made: FD and KD at a large N take
    seconds (KD: 20 subsets of up to 1000 features), a second visit is immediate."""
    from functools import lru_cache

    import ipywidgets as W
    from matplotlib.figure import Figure

    from .widgets import figure_widget, png_bytes

    n_w = W.IntSlider(value=min(n, num), min=step, max=num, step=step, continuous_update=False, description="N")
    ax = Figure(figsize=(4.5, 4)).subplots()

    @lru_cache(maxsize=None)
    def picture(count):
        ax.clear()
        sample_count_view(real, gen, count, seed=seed, ax=ax, names=names)
        return png_bytes(ax.figure)

    return figure_widget([[n_w]], lambda: picture(n_w.value))
