"""Edit directions in W: the normal of the hyperplane that separates an attribute, as in the
linear separability metric (paper §4.2), used to move a latent towards or away from it
(InterFaceGAN, Shen et al. 2020).

Sample w = f(z), draw g(w), label each image with the book's attribute classifier, keep the half
of the samples the classifier is most confident about, fit a linear SVM w → label; its unit normal

    d = a / ‖a‖,      the SVM's decision being a·w + b

points towards the attribute. An edit moves w along it: w' = w + α·d (every row of a W+ latent,
or the rows of chosen layers). A direction is only as disentangled as W is: moving along
"smiling" may change "male" too when the two are correlated in the data (chapter 14 measures it).

    directions = edit_directions(G, ["smiling", "glasses"], num=5000)
    img = G.synthesis(edit(ws, directions["smiling"], 3.0))
"""
from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import torch

from ..metrics.separability import most_confident, sample_labelled


def fit_direction(w: torch.Tensor, probs: torch.Tensor, keep_fraction: float = 0.5, C: float = 1.0,
                  max_iter: int = 5000, seed: int = 0) -> tuple[torch.Tensor, float]:
    """(unit normal d [w_dim], training accuracy) of a linear SVM fitted to w [N, w_dim] → label
    p > 0.5, on the ``keep_fraction`` most confident samples, with the separability metric's
    settings (raw latents, no standardisation). The sign is chosen so that w·d grows with p:

    d = s · a / ‖a‖,   s = sign(corr(w·a, p)) over the kept samples
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    lat = w.detach().cpu().double().numpy()
    p = probs.detach().cpu().double().numpy().ravel()
    keep = most_confident(p, keep_fraction)
    y = (p[keep] > 0.5).astype(np.int64)
    if np.unique(y).size < 2:
        raise ValueError(f"every one of the {keep.size} kept samples has the same label ({int(y[0])}): "
                         "the attribute never (or always) appears, so it has no direction. Draw more "
                         "samples (num=…) or choose another attribute")
    svm = LinearSVC(C=C, max_iter=max_iter, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        svm.fit(lat[keep], y)
    a = torch.from_numpy(svm.coef_[0]).float()
    accuracy = float((svm.predict(lat[keep]) == y).mean())
    # s = sign of the correlation of w·a with p: +1 for an SVM fitted to these labels.
    s = np.sign(np.corrcoef(lat[keep] @ svm.coef_[0], p[keep])[0, 1]) or 1.0
    return float(s) * a / a.norm(), accuracy


def edit_directions(G, attributes: Sequence[str] | None = None, num: int = 5000, classifier=None,
                    keep_fraction: float = 0.5, C: float = 1.0, seed: int = 0, batch_size: int = 128,
                    progress: bool = True, return_accuracy: bool = False):
    """A unit direction in W per attribute: {name: d [w_dim]} on G's device.

    ``num`` samples w = f(z) (ψ = 1) are drawn and labelled by ``classifier`` (default: the
    book's faces classifier; a module images → logits with ``.attributes``), exactly as the linear
    separability metric does. ``attributes``: names among the classifier's (default all).
    ``return_accuracy``: also return {name: the SVM's training accuracy} (near 1: the attribute
    is linearly separable in W, its direction meaningful).
    """
    from ..metrics.classifier import load_classifier

    if num < 2:
        raise ValueError(f"num must be at least 2 samples, got {num}")
    if classifier is None:
        classifier = load_classifier(device=G.device)
    names = list(getattr(classifier, "attributes", []))
    chosen = names if attributes is None else list(attributes)
    unknown = [a for a in chosen if a not in names]
    if unknown:
        raise ValueError(f"unknown attributes {unknown}; the classifier knows {names}")
    data = sample_labelled(G, classifier, num, batch_size, seed, G.device, progress)
    directions, accuracy = {}, {}
    for name in chosen:
        d, acc = fit_direction(data["w"], data["probs"][:, names.index(name)], keep_fraction, C, seed=seed)
        directions[name], accuracy[name] = d.to(G.device), acc
    return (directions, accuracy) if return_accuracy else directions


def edit(w: torch.Tensor, direction: torch.Tensor, amount, layers: Sequence[int] | slice | None = None) -> torch.Tensor:
    r"""Move a latent along a unit direction d [w_dim]:

    .. math::  w' = w + \alpha\, d

    ``w``: [N, w_dim] (W) or [N, num_ws, w_dim] (W / W+ as the synthesis network takes it: every
    row moves, or only those in ``layers``, e.g. ``layer_groups(G.num_ws)["coarse"]``).
    ``amount`` α: a number, or one per latent [N]. Returns a new tensor.
    """
    if w.ndim not in (2, 3) or w.shape[-1] != direction.shape[-1] or direction.ndim != 1:
        raise ValueError(f"w must be [N, w_dim] or [N, num_ws, w_dim] and direction [w_dim] with the same "
                         f"w_dim, got {list(w.shape)} and {list(direction.shape)}")
    alpha = torch.as_tensor(amount, dtype=w.dtype, device=w.device)
    if alpha.ndim == 1:
        alpha = alpha.view(-1, *[1] * (w.ndim - 1))
    step = alpha * direction.to(w.device, w.dtype)
    if layers is None:
        return w + step
    if w.ndim != 3:
        raise ValueError("layers= needs w as [N, num_ws, w_dim] (one row per style input)")
    out = w.clone()
    out[:, layers] = out[:, layers] + step
    return out
