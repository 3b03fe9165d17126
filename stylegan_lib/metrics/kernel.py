"""Kernel distance (KID, Bińkowski et al. 2018): the squared maximum mean discrepancy between
real and generated features with a cubic polynomial kernel, estimated without bias.

Why beside FID: the Fréchet distance plugs *estimated* means and covariances into a non-linear
formula, so at a finite sample count it is biased upwards (and the bias depends on N and on the
generator). The MMD² estimator below is an average of kernel values over distinct pairs, whose
expectation is exactly the population MMD² at any N: two samples of one distribution give about
0, with a standard deviation that shrinks as N grows.
"""
from __future__ import annotations

import numpy as np

from .frechet import _as_numpy


def polynomial_kernel(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    r"""k(x, y) = (xᵀy / d + 1)³, the kernel of KID (d = feature size)."""
    d = x.shape[1]
    return (x @ y.T / d + 1.0) ** 3


def mmd2_unbiased(x: np.ndarray, y: np.ndarray) -> float:
    r"""Unbiased MMD² between samples x [m, d] and y [n, d]:

    .. math::  \widehat{\mathrm{MMD}}^2_u = \frac{1}{m(m-1)}\sum_{i\ne j} k(x_i,x_j)
               + \frac{1}{n(n-1)}\sum_{i\ne j} k(y_i,y_j) - \frac{2}{mn}\sum_{i,j} k(x_i,y_j)

    The diagonal terms k(x_i, x_i) are left out: they are what biases the plain (V-statistic)
    estimator.
    """
    m, n = x.shape[0], y.shape[0]
    if m < 2 or n < 2:
        raise ValueError(f"MMD² needs at least 2 samples on each side, got {m} and {n}")
    kxx, kyy, kxy = polynomial_kernel(x, x), polynomial_kernel(y, y), polynomial_kernel(x, y)
    sxx = (kxx.sum() - np.trace(kxx)) / (m * (m - 1))
    syy = (kyy.sum() - np.trace(kyy)) / (n * (n - 1))
    return float(sxx + syy - 2.0 * kxy.mean())


def kernel_distance(real_features, gen_features, num_subsets: int = 100, max_subset_size: int = 1000,
                    seed: int = 0, return_std: bool = False):
    """KID: the mean of ``mmd2_unbiased`` over ``num_subsets`` random subsets of
    ``min(max_subset_size, N_real, N_gen)`` features from each side (the official protocol:
    100 subsets of 1000). ``return_std=True`` also returns the standard deviation over subsets
    (0 when each subset would be the whole of both samples).
    """
    x = _as_numpy(real_features).astype(np.float64)
    y = _as_numpy(gen_features).astype(np.float64)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise ValueError(f"features must be [N, D] with one D, got {list(x.shape)} and {list(y.shape)}")
    m = min(max_subset_size, x.shape[0], y.shape[0])
    if m < 2:
        raise ValueError(f"KID needs at least 2 features on each side, got {x.shape[0]} and {y.shape[0]}")
    if num_subsets < 1:
        raise ValueError(f"num_subsets must be >= 1, got {num_subsets}")
    if m == x.shape[0] == y.shape[0]:
        # Every "subset" would be all of both samples, reordered: the same MMD², computed once.
        value = mmd2_unbiased(x, y)
        return (value, 0.0) if return_std else value
    rng = np.random.default_rng(seed)
    values = np.array([
        mmd2_unbiased(x[rng.choice(x.shape[0], m, replace=False)], y[rng.choice(y.shape[0], m, replace=False)])
        for _ in range(num_subsets)])
    mean = float(values.mean())
    if return_std:
        return mean, float(values.std(ddof=1)) if num_subsets > 1 else 0.0
    return mean

