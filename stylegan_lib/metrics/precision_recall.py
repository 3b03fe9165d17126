r"""Improved precision and recall (Kynkäänniemi, Karras, Laine, Lehtinen, Aila, NeurIPS 2019),
and the spread of a set of features.

Each set of features is approximated by the union of balls around its samples, the radius of
sample φ being the distance to its k-th nearest neighbour in its own set, r_k(φ):

.. math::  f(\phi, \Phi) = [\exists \phi' \in \Phi: \lVert \phi - \phi' \rVert \le r_k(\phi')]

.. math::  \text{precision} = \tfrac1{|\Phi_g|} \sum_{\phi_g} f(\phi_g, \Phi_r), \qquad
           \text{recall} = \tfrac1{|\Phi_r|} \sum_{\phi_r} f(\phi_r, \Phi_g)

Precision is the fraction of generated samples inside the manifold of the real ones (quality),
recall the fraction of real samples inside the manifold of the generated ones (coverage).
"""
from __future__ import annotations

import numpy as np


def pairwise_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    r"""Euclidean distances [len(a), len(b)]:
    :math:`\lVert a_i - b_j \rVert^2 = \lVert a_i \rVert^2 + \lVert b_j \rVert^2 - 2 a_i \cdot b_j`."""
    sq = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
    return np.sqrt(np.clip(sq, 0, None))


def mean_pairwise_distance(features: np.ndarray) -> float:
    r"""The spread of a set of images: the average distance between two different samples,
    :math:`\tfrac1{N(N-1)} \sum_{i \ne j} \lVert \phi_i - \phi_j \rVert`."""
    n = len(features)
    if n < 2:
        raise ValueError(f"need at least 2 samples, got {n}")
    d = pairwise_distances(features, features)
    return float(d.sum() / (n * (n - 1)))


def knn_radii(features: np.ndarray, k: int) -> np.ndarray:
    """r_k(φ) for every sample: the distance to its k-th nearest neighbour in its own set."""
    d = pairwise_distances(features, features)
    return np.sort(d, axis=1)[:, k]  # column 0 is the sample itself


def coverage(manifold: np.ndarray, samples: np.ndarray, k: int) -> float:
    """The fraction of ``samples`` inside the union of k-NN balls around ``manifold``: the mean of
    f(φ, manifold) over φ in ``samples``."""
    inside = pairwise_distances(samples, manifold) <= knn_radii(manifold, k)[None, :]
    return float(inside.any(axis=1).mean())


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3) -> tuple[float, float]:
    """(precision, recall) of generated features ``fake`` against real features ``real``."""
    if min(len(real), len(fake)) <= k:
        raise ValueError(f"precision/recall with k={k} needs more than {k} samples per set, "
                         f"got {len(real)} real and {len(fake)} generated")
    return coverage(real, fake, k), coverage(fake, real, k)
