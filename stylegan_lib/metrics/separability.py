"""Linear separability (paper §4.2): if a latent space is disentangled, each factor of variation
should be separable from the others by a hyperplane in it.

Procedure (paper): generate images, label each with auxiliary attribute classifiers, keep the half
of the samples the classifier is most confident about, fit a linear SVM per attribute that
predicts the label from the latent (z, or w), and measure how much information about the label
the SVM's side of the hyperplane leaves unexplained, the conditional entropy H(Y|X). The score is

    exp( Σ_i H(Y_i | X_i) )                                   (paper, §4.2)

1 means every attribute is linearly separable; attributes the SVM cannot predict at all add
ln 2 each (for balanced labels), so k such attributes give 2^k.
"""
from __future__ import annotations

import time
import warnings

import numpy as np
import torch

from ..latent import latent_generator

MIN_ACCURACY = 0.9


def conditional_entropy(y: np.ndarray, x: np.ndarray) -> float:
    r"""H(Y|X) in nats for two discrete arrays of the same length:

    .. math::  H(Y \mid X) = -\sum_{x,y} p(x, y)\,\log p(y \mid x)
    """
    y, x = np.asarray(y).astype(np.int64).ravel(), np.asarray(x).astype(np.int64).ravel()
    if y.shape != x.shape or y.size == 0:
        raise ValueError(f"y and x must be non-empty and of one length, got {y.size} and {x.size}")
    h = 0.0
    n = y.size
    for xv in np.unique(x):
        in_x = x == xv
        p_x = in_x.sum() / n
        counts = np.bincount(y[in_x])
        p_y_given_x = counts[counts > 0] / in_x.sum()
        h -= p_x * float((p_y_given_x * np.log(p_y_given_x)).sum())
    return max(h, 0.0)


def svm_entropy(latents: np.ndarray, labels: np.ndarray, C: float = 1.0, max_iter: int = 5000,
                seed: int = 0) -> tuple[float, float]:
    """Fit a linear SVM latent → label and return (H(Y|X) of the labels given its predictions,
    its accuracy). The SVM is scored on the samples it was fitted on, as in the paper.

    As in the official release, the SVM sees the raw latents: no standardisation. (A scaler would
    change the regularised fit, and so the score, whenever the latent's axes have different
    spreads, as W's do.)"""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    labels = np.asarray(labels).astype(np.int64)
    if np.unique(labels).size < 2:
        return 0.0, 1.0  # one class only: nothing left to explain
    svm = LinearSVC(C=C, max_iter=max_iter, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        svm.fit(latents, labels)
    pred = svm.predict(latents)
    return conditional_entropy(labels, pred), float((pred == labels).mean())


def most_confident(probs: np.ndarray, keep_fraction: float = 0.5) -> np.ndarray:
    """Indices of the ``keep_fraction`` samples whose probability is farthest from 0.5."""
    probs = np.asarray(probs, dtype=np.float64)
    k = max(2, int(round(keep_fraction * probs.size)))
    return np.argsort(-np.abs(probs - 0.5), kind="stable")[:k]


def separability_score(latents, probs, attributes=None, keep_fraction: float = 0.5,
                       C: float = 1.0, seed: int = 0) -> dict:
    """Linear separability of ``latents`` [N, D] for the attribute probabilities ``probs`` [N, A]
    (or hard 0/1 labels): per attribute keep the most confident half, label = p > 0.5, fit the
    SVM, H(Y|X). Returns {"value": exp(Σ H), "entropies": {...}, "svm_accuracy": {...}, ...}."""
    lat = latents.detach().cpu().double().numpy() if isinstance(latents, torch.Tensor) else np.asarray(latents, np.float64)
    p = probs.detach().cpu().double().numpy() if isinstance(probs, torch.Tensor) else np.asarray(probs, np.float64)
    if p.ndim == 1:
        p = p[:, None]
    if lat.ndim != 2 or p.ndim != 2 or lat.shape[0] != p.shape[0]:
        raise ValueError(f"latents [N, D] and probs [N, A] must have one N, got {list(lat.shape)} and {list(p.shape)}")
    attributes = list(attributes) if attributes is not None else [f"attr{i}" for i in range(p.shape[1])]
    if len(attributes) != p.shape[1]:
        raise ValueError(f"{len(attributes)} attribute names for {p.shape[1]} columns of probs")
    entropies, accuracies, positives = {}, {}, {}
    for i, name in enumerate(attributes):
        keep = most_confident(p[:, i], keep_fraction)
        y = (p[keep, i] > 0.5).astype(np.int64)
        h, acc = svm_entropy(lat[keep], y, C=C, seed=seed)
        entropies[name], accuracies[name], positives[name] = h, acc, float(y.mean())
    total = float(sum(entropies.values()))
    # exp(Σ_i H(Y_i | X_i))
    return {"value": float(np.exp(total)), "sum_entropy": total, "entropies": entropies,
            "svm_accuracy": accuracies, "positive_fraction": positives, "num_samples": int(lat.shape[0]),
            "keep_fraction": keep_fraction}


def select_reliable(scores: dict[str, float], minimum: float, what: str, measure: str,
                    fmt=lambda x: f"{x:.1%}") -> tuple[list[str], list[str]]:
    """(names whose ``measure`` reaches ``minimum``, those left out with the warning
    "<what> (<measure> < minimum): name (score), …")."""
    keep = [a for a, v in scores.items() if v >= minimum]
    dropped = [a for a, v in scores.items() if v < minimum]
    if dropped:
        warnings.warn(f"{what} ({measure} < {fmt(minimum)}): "
                      + ", ".join(f"{a} ({fmt(scores[a])})" for a in dropped), RuntimeWarning, stacklevel=3)
    return keep, dropped


def select_attributes(accuracy: dict[str, float], min_accuracy: float = MIN_ACCURACY) -> tuple[list[str], list[str]]:
    """(attributes the classifier tells reliably, those left out with a warning)."""
    return select_reliable(accuracy, min_accuracy, "linear separability leaves out attributes the classifier "
                           "cannot tell reliably", "held-out accuracy")


@torch.no_grad()
def sample_labelled(G, classifier, num_samples: int, batch_size: int = 128, seed: int = 0,
                    device=None, progress: bool = True, activation=torch.sigmoid) -> dict[str, torch.Tensor]:
    """Generate ``num_samples`` images (ψ = 1, random noise) and label them.
    Returns {"z": [N, z_dim], "w": [N, w_dim], "probs": [N, A]} on the CPU: ``activation`` of
    the classifier's outputs (None keeps them as they are: the factor reader's readings)."""
    from tqdm import tqdm  # text bars: widget bars can stall papermill/nbval kernels

    device = torch.device(device) if device is not None else G.device
    gen = latent_generator(seed)
    zs, ws, ps = [], [], []
    bar = tqdm(total=num_samples, desc="separability: generate + label", unit="img", disable=not progress)
    done = 0
    while done < num_samples:
        n = min(batch_size, num_samples - done)
        z = torch.randn(n, G.z_dim, generator=gen)
        w = G.mapping(z.to(device), None)
        img = G.synthesis(w, noise=G.synthesis.make_noise_inputs(n, generator=gen))
        out = classifier(img.float().clamp(-1, 1))
        ps.append((out if activation is None else activation(out)).cpu())
        zs.append(z)
        ws.append(w[:, 0].float().cpu())
        done += n
        bar.update(n)
    bar.close()
    return {"z": torch.cat(zs), "w": torch.cat(ws), "probs": torch.cat(ps)}


def linear_separability(G, classifier=None, num_samples: int = 200_000, spaces=("z", "w"),
                        attributes=None, accuracy: dict[str, float] | None = None,
                        min_accuracy: float = MIN_ACCURACY, keep_fraction: float = 0.5,
                        batch_size: int = 128, seed: int = 0, device=None, progress: bool = True,
                        return_data: bool = False) -> dict:
    """The paper's linear separability of ``G`` in Z and W.

    ``classifier``: a module images [-1, 1] → attribute logits with ``.attributes`` (default: the
    shipped faces classifier, whose held-out accuracies come from its provenance). Attributes
    whose ``accuracy`` is below ``min_accuracy`` are left out with a warning. ``return_data=True``
    adds the samples (``out["data"]``: z, w, probs and the classifier's attribute names).
    """
    from .classifier import attribute_accuracy, load_classifier

    t0 = time.time()
    if device is None:
        device = G.device
    if classifier is None:
        classifier = load_classifier(device=device)
        if accuracy is None:
            accuracy = attribute_accuracy(resolution=G.img_resolution)
    names = list(getattr(classifier, "attributes", []))
    if accuracy is None:
        raise ValueError("pass the classifier's held-out accuracy per attribute (accuracy={...}) so "
                         "unreliable attributes can be left out; the shipped classifier has it in its provenance")
    chosen, dropped = select_attributes({a: accuracy.get(a, 0.0) for a in names}, min_accuracy)
    if attributes is not None:
        unknown = [a for a in attributes if a not in names]
        if unknown:
            raise ValueError(f"unknown attributes {unknown}; the classifier knows {names}")
        chosen = [a for a in attributes if a in chosen]
    if not chosen:
        raise ValueError("no attribute is left to measure (all below min_accuracy?)")
    data = sample_labelled(G, classifier, num_samples, batch_size, seed, device, progress)
    cols = [names.index(a) for a in chosen]
    out = {"metric": "ls", "num_samples": int(num_samples), "seed": int(seed), "attributes": chosen,
           "dropped_attributes": dropped, "min_accuracy": min_accuracy,
           "classifier": getattr(classifier, "name", type(classifier).__name__)}
    for space in spaces:
        if space not in ("z", "w"):
            raise ValueError(f"spaces must be 'z' and/or 'w', got {space!r}")
        out[space] = separability_score(data[space], data["probs"][:, cols], chosen, keep_fraction, seed=seed)
    out["seconds"] = round(time.time() - t0, 2)
    if return_data:
        out["data"] = {**data, "attributes": names}
    return out
