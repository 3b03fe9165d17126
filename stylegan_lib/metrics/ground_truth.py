r"""Ground-truth disentanglement: how the known factors of the synthetic faces are laid out in Z
and in W — a measurement no FFHQ study can make, because FFHQ's factors are unknown.

The paper measures disentanglement indirectly: short perceptual paths (PPL) and attributes that a
hyperplane separates (linear separability, LS). On the synthetic faces every image is drawn from
eighteen known numbers (:data:`stylegan_lib.data.FACTORS`), so the question can be asked
directly. For images of a generator:

1. **read** the factors of each image with the *factor reader*, the book's classifier network
   trained to regress the eighteen factors instead of ten labels (:func:`train_factor_reader`;
   factors it cannot read, held-out R² below ``MIN_R2``, are left out with a warning);
2. **score** how the latents (z, or w) encode the read factors, with two standard scores:

   * **DCI** (Eastwood & Williams 2018): a linear regressor (ridge) predicts each factor from
     the latent code; its absolute weights on the standardised code form the importance matrix
     R (code dimension d × factor k). *Disentanglement*: each code dimension matters for
     one factor; *completeness*: each factor is carried by one dimension; *informativeness*:
     how much of each factor a linear map of the code explains (held-out R²) — the ground-truth
     analogue of linear separability.
   * **MIG** (Chen et al. 2018): for each factor, the gap between the two code dimensions that
     carry the most mutual information about it, as a fraction of the factor's entropy.

D, C and MIG score *axis alignment*: a code whose factors lie along rotated directions scores
low even if every factor is linear in it. Neither Z (an isotropic Gaussian) nor W (the input of
learned affine maps) has a reason to be axis-aligned, so the paper's claim — W is less entangled
than Z — is best read off **informativeness**, with D, C and MIG reported beside it.
"""
from __future__ import annotations

import json
import os
import time
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..provenance import git_commit
from .classifier import HERE, FacesClassifier, fit, load_classifier, save_classifier

READER_WEIGHTS = HERE / "faces_factor_reader.pt"
READER_FORMAT = "stylegan_lib/faces-factor-reader/1"
READER_COMMAND = "python -m stylegan_lib metrics --train-factor-reader"
#: Factors the reader predicts with a held-out R² below this are left out of the scores.
MIN_R2 = 0.5
#: Ridge penalties tried per factor (on the standardised code; chosen by leave-one-out error).
RIDGE_ALPHAS = np.logspace(-3, 3, 13)
#: Held-out R² below which a code is taken to carry nothing of a factor (chance level at the
#: book's counts is below 0.01).
NO_INFORMATION_R2 = 0.02
#: Bins per variable when mutual information is estimated from histograms (MIG).
MIG_BINS = 20


# ------------------------------------------------------------------------------------------
# The factor reader: images → the eighteen factors.
# ------------------------------------------------------------------------------------------
def factors_to_unit(factors: dict) -> np.ndarray:
    r"""The factors as float32 ``[N, 18]`` in :data:`FACTORS` order, each mapped to [0, 1]:

    .. math::  u_k = (v_k - \mathrm{lo}_k) / (\mathrm{hi}_k - \mathrm{lo}_k)
    """
    from ..data import FACTOR_RANGES

    return np.stack([(np.asarray(factors[k], np.float64) - lo) / (hi - lo)
                     for k, (lo, hi) in FACTOR_RANGES.items()], 1).astype(np.float32)


def evaluate_reader(net: FacesClassifier, images: torch.Tensor, targets: torch.Tensor) -> dict[str, float]:
    """Held-out R² per factor of the reader's predictions (unit scale) against ``targets``."""
    r2 = held_out_r2(targets.numpy(), net.outputs(images).numpy())
    return {k: round(float(v), 4) for k, v in zip(net.attributes, r2)}


def train_factor_reader(out: str | os.PathLike | None = READER_WEIGHTS, num_train: int = 30000,
                        num_test: int = 4000, epochs: int = 5, batch_size: int = 128, lr: float = 2e-3,
                        seed: int = 0, progress: bool = True, command: str | None = None,
                        threads: int | None = 1) -> dict:
    """Train the factor reader on CPU with a fixed seed; write ``out`` (fp16) and ``out.json``
    (provenance with the held-out R² per factor). Returns the provenance dict.

    The network is the faces classifier's (:class:`~.classifier.FacesClassifier`) with one output
    per factor, trained with mean squared error on factors scaled to [0, 1]
    (:func:`factors_to_unit`). Its images include the combination the book's training data
    leaves out (``exclude=()``, like the classifier's), and half are drawn at each detail level
    the book's models are trained on ("subtle", "medium"), so that it reads the faces of either.
    No flips: a few parts of the renderer (the fringe) are not mirror-symmetric.
    """
    from ..data import FACTORS, SyntheticFaces
    from ..data.faces import FacesConfig

    t0 = time.time()
    if threads is not None:
        torch.set_num_threads(int(threads))
    torch.manual_seed(seed)

    def draw(n: int, s: int, resolution: int = 32):
        sets = [SyntheticFaces(m, resolution, seed=s + i, config=FacesConfig(exclude=(), detail=d))
                for i, (m, d) in enumerate(((n // 2, "subtle"), (n - n // 2, "medium")))]
        x = torch.cat([d.render_all(progress=progress) for d in sets])
        y = torch.from_numpy(np.concatenate([factors_to_unit(d.factors) for d in sets]))
        return x, y

    x_train, y_train = draw(num_train, seed + 4000)
    x_test, y_test = draw(num_test, seed + 5000)
    x_test64, y_test64 = draw(min(num_test, 1000), seed + 6000, 64)
    net = FacesClassifier(FACTORS)
    losses = fit(net, x_train, y_train, F.mse_loss, epochs, batch_size, lr, seed,
                 desc="training the factor reader", progress=progress)
    net.eval()
    prov = {
        "what": "factor reader: the faces classifier's network regressing the 18 factors of the "
                "synthetic faces (scaled to [0, 1]); ground-truth disentanglement scores",
        "command": command or READER_COMMAND,
        "commit": git_commit() or "unknown",
        "seed": seed,
        "config": net.config(),
        "data": {"train": f"{num_train} SyntheticFaces at 32², half detail='subtle' (seed {seed + 4000}), "
                          f"half 'medium' (seed {seed + 4001}), exclude=()",
                 "test": f"{num_test} the same way, seeds {seed + 5000} / {seed + 5001}",
                 "test64": f"{len(x_test64)} the same way at 64², seeds {seed + 6000} / {seed + 6001}"},
        "training": {"epochs": epochs, "batch_size": batch_size, "lr": lr, "optimizer": "Adam + cosine",
                     "loss": "mean squared error", "final_loss": round(float(np.mean(losses[-50:])), 6),
                     "device": "cpu", "torch": torch.__version__, "threads": torch.get_num_threads(),
                     "wall_seconds": round(time.time() - t0, 1)},
        "heldout_r2": evaluate_reader(net, x_test, y_test),
        "heldout_r2_64px": evaluate_reader(net, x_test64, y_test64),
        "num_parameters": sum(p.numel() for p in net.parameters()),
    }
    if out is not None:
        save_classifier(net, out, prov, fmt=READER_FORMAT)
    return prov


def load_factor_reader(path: str | os.PathLike | None = None, device="cpu") -> FacesClassifier:
    """The shipped factor reader (or the one at ``path``): images → factors on the [0, 1] scale."""
    from ..data import FACTORS

    net = load_classifier(path if path is not None else READER_WEIGHTS, device, fmt=READER_FORMAT,
                          retrain=READER_COMMAND)
    unknown = [k for k in net.attributes if k not in FACTORS]
    if unknown:
        raise ValueError(f"the factor reader {path or READER_WEIGHTS} reads {unknown}, which are not factors of "
                         f"the synthetic faces ({', '.join(FACTORS)}); retrain it with `{READER_COMMAND}`")
    return net


def reader_r2(path: str | os.PathLike | None = None, resolution: int | None = None) -> dict[str, float]:
    """Held-out R² per factor, from the provenance file beside the reader's weights (on faces
    drawn at ``resolution``, default the reader's own 32²)."""
    from .classifier import classifier_provenance, heldout_scores

    path = path if path is not None else READER_WEIGHTS
    return heldout_scores(classifier_provenance(path), "heldout_r2", resolution,
                          f"the factor reader's provenance {Path(path).with_suffix('.json')}")


def record_detectors_at(resolution: int, num: int = 3000, command: str | None = None) -> dict[str, dict]:
    """Held-out scores of the shipped classifier and factor reader on faces drawn at
    ``resolution`` (they resize their input to 32²), written into their provenance files: which
    attributes linear separability and which factors the ground truth may use for models of
    that resolution."""
    from .classifier import SHIPPED_WEIGHTS, evaluate_classifier, record_heldout_at

    acc = record_heldout_at(load_classifier(), SHIPPED_WEIGHTS, "heldout_accuracy", resolution,
                            evaluate_classifier, lambda ds: ds.labels, num=num, command=command)
    r2 = record_heldout_at(load_factor_reader(), READER_WEIGHTS, "heldout_r2", resolution, evaluate_reader,
                           lambda ds: torch.from_numpy(factors_to_unit(ds.factors)), num=num, command=command)
    return {"classifier_accuracy": acc, "reader_r2": r2}


# ------------------------------------------------------------------------------------------
# Scores on (latents, factors).
# ------------------------------------------------------------------------------------------
def held_out_r2(true: np.ndarray, pred: np.ndarray) -> np.ndarray:
    r"""Coefficient of determination per column:

    .. math::  R^2_k = 1 - \frac{\sum_i (v_{ik} - \hat v_{ik})^2}{\sum_i (v_{ik} - \bar v_k)^2}

    1 for a perfect prediction, 0 for predicting the mean, negative for worse. A constant column
    has no variance to explain: ValueError."""
    true, pred = np.asarray(true, np.float64), np.asarray(pred, np.float64)
    total = ((true - true.mean(0)) ** 2).sum(0)
    if (total <= 1e-12 * len(true)).any():
        raise ValueError(f"factor column(s) {np.flatnonzero(total <= 1e-12 * len(true)).tolist()} are constant: "
                         "there is nothing to predict; leave them out")
    return 1.0 - ((true - pred) ** 2).sum(0) / total


def _split(n: int, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.random.default_rng(seed).permutation(n)
    n_test = max(1, int(round(n * test_fraction)))
    return order[n_test:], order[:n_test]


def _entropy(p: np.ndarray, base: int, axis: int) -> np.ndarray:
    r"""Entropy in base ``base`` of the distributions along ``axis``: :math:`H_b(p) = -\sum p \log_b p`."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(p), 0.0)
    return -terms.sum(axis) / np.log(base)


def importance_matrix(latents: np.ndarray, factors: np.ndarray, test_fraction: float = 0.2,
                      seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    r"""(R, r2): the DCI importance matrix ``R [D, K]`` and held-out R² per factor ``[K]``.

    A ridge regression per factor on the code standardised with the training part's mean and
    spread (its penalty chosen per factor by leave-one-out error on the training part), and
    ``R_dk = |β_dk|``, the weight of code dimension d for factor k:

    .. math::  \hat v_k = \sum_d \beta_{dk}\, c_d + b_k, \qquad R_{dk} = |\beta_{dk}|

    R² (:func:`held_out_r2`) is measured on the held-out part (``test_fraction`` of the
    samples). A factor the code does not predict (held-out R² below ``NO_INFORMATION_R2``) gets
    no importance: its weights fit noise. Ridge rather than a sparse (Lasso) fit: a Lasso tuned
    by cross-validation keeps fewer weights the less a factor is predicted, so a weakly
    informative code would look disentangled.
    """
    from sklearn.linear_model import RidgeCV

    train, test = _split(len(latents), test_fraction, seed)
    c = np.asarray(latents, np.float64)
    c = (c - c[train].mean(0)) / np.maximum(c[train].std(0), 1e-12)
    v = np.asarray(factors, np.float64)
    model = RidgeCV(alphas=RIDGE_ALPHAS, alpha_per_target=True).fit(c[train], v[train])
    r2 = held_out_r2(v[test], model.predict(c[test]).reshape(len(test), -1))
    coef = np.asarray(model.coef_).reshape(v.shape[1], c.shape[1]).T            # [D, K]
    R = np.abs(coef) / np.maximum(v[train].std(0), 1e-12)[None, :]             # per unit of factor s.d.
    R[:, r2 < NO_INFORMATION_R2] = 0.0
    return R, r2


def dci_scores(R: np.ndarray, r2: np.ndarray) -> dict:
    r"""Disentanglement, completeness and informativeness from the importance matrix.

    With :math:`P_{dk} = R_{dk} / \sum_{k'} R_{dk'}` (what code dimension d is about) and
    :math:`\tilde P_{dk} = R_{dk} / \sum_{d'} R_{d'k}` (where factor k is carried), over K factors
    and D code dimensions:

    .. math::  D_d = 1 - H_K(P_{d\cdot}),\quad \rho_d = \frac{\sum_k R_{dk}}{\sum_{dk} R_{dk}},\quad
               D = \sum_d \rho_d D_d

    .. math::  C_k = 1 - H_D(\tilde P_{\cdot k}),\quad C = \frac1K \sum_k C_k,\qquad
               I = \frac1K \sum_k R^2_k

    :math:`H_b` is the entropy in base b (:func:`_entropy`), so each term lies in [0, 1].
    Dimensions that matter for no factor get ρ_d = 0; a factor no dimension predicts gets C_k = 0.
    Completeness is a plain mean over factors (Eastwood & Williams weight nothing here; some
    libraries weight factors by their total importance).
    """
    R = np.asarray(R, np.float64)
    D_dims, K = R.shape
    row = R.sum(1)
    P = R / np.where(row > 0, row, 1.0)[:, None]
    d_per_dim = np.where(row > 0, 1.0 - _entropy(P, max(K, 2), 1), 0.0)
    rho = row / row.sum() if row.sum() > 0 else np.zeros_like(row)
    col = R.sum(0)
    Pt = R / np.where(col > 0, col, 1.0)[None, :]
    c_per_factor = np.where(col > 0, 1.0 - _entropy(Pt, max(D_dims, 2), 0), 0.0)
    return {"disentanglement": float((rho * d_per_dim).sum()),
            "completeness": float(c_per_factor.mean()),
            "informativeness": float(np.mean(r2)),
            "completeness_per_factor": c_per_factor.tolist(),
            "r2_per_factor": np.asarray(r2, np.float64).tolist()}


def _discretise(a: np.ndarray, bins: int) -> np.ndarray:
    """Each column into ``bins`` equal-width bins over its range (integer codes)."""
    a = np.asarray(a, np.float64)
    lo, hi = a.min(0), a.max(0)
    width = np.where(hi > lo, (hi - lo) / bins, 1.0)
    return np.clip(((a - lo) / width).astype(np.int64), 0, bins - 1)


def mutual_information_gap(latents: np.ndarray, factors: np.ndarray, bins: int = MIG_BINS) -> dict:
    r"""MIG: for each factor k, the mutual information of its best code dimension minus that of
    its second best, over the factor's entropy; averaged over factors:

    .. math::  \mathrm{MIG} = \frac1K \sum_k \frac{I(v_k; c_{j^{(1)}_k}) - I(v_k; c_{j^{(2)}_k})}{H(v_k)}

    Both variables are discretised into ``bins`` equal-width bins; I and H are histogram
    estimates in nats (H(v) as I(v; v), the same estimator). With N samples each I is biased up
    by about (bins − 1)² / 2N nats (0.09 at N = 2000), which the gap mostly cancels; MIGs below
    that over H(v) are within the estimator's noise.
    """
    from sklearn.metrics import mutual_info_score

    c, v = _discretise(latents, bins), _discretise(factors, bins)
    if c.shape[1] < 2:
        raise ValueError("MIG needs a code of at least two dimensions")
    mi = np.array([[mutual_info_score(v[:, k], c[:, d]) for k in range(v.shape[1])] for d in range(c.shape[1])])
    h = np.array([mutual_info_score(v[:, k], v[:, k]) for k in range(v.shape[1])])
    top = np.sort(mi, 0)[::-1]
    gaps = (top[0] - top[1]) / np.maximum(h, 1e-12)
    return {"mig": float(gaps.mean()), "mig_per_factor": gaps.tolist()}


def disentanglement_scores(latents, factors, test_fraction: float = 0.2, seed: int = 0,
                           bins: int = MIG_BINS) -> dict:
    """DCI and MIG of a code ``latents [N, D]`` for ``factors [N, K]`` (numpy or torch)."""
    latents = latents.numpy() if torch.is_tensor(latents) else np.asarray(latents)
    factors = factors.numpy() if torch.is_tensor(factors) else np.asarray(factors)
    if latents.ndim != 2 or factors.ndim != 2 or len(latents) != len(factors):
        raise ValueError(f"latents [N, D] and factors [N, K] must have the same N; got "
                         f"{list(latents.shape)} and {list(factors.shape)}")
    if len(latents) < 50:
        raise ValueError(f"{len(latents)} samples are too few to score a code; use at least 50 (thousands for "
                         "numbers worth reading)")
    R, r2 = importance_matrix(latents, factors, test_fraction, seed)
    return {**dci_scores(R, r2), **mutual_information_gap(latents, factors, bins)}


def constructed_codes(num: int = 2000, num_factors: int = 4, seed: int = 0) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Factors (uniform, independent, ``[num, num_factors]``) and four codes whose scores are
    known in advance — the yardstick for reading real scores:

    * ``disentangled``: each factor in its own dimension, plus three dimensions of pure noise
      (D = C = I = 1, MIG near 1);
    * ``rotated``: a random rotation of the factors (I = 1: still linear; D, C, MIG low);
    * ``nonlinear``: sin and cos of 6·factor (every factor is in it, but not linearly: I < 1);
    * ``unrelated``: Gaussian noise (everything 0).
    """
    rng = np.random.default_rng(seed)
    f = rng.uniform(size=(num, num_factors))
    q, _ = np.linalg.qr(rng.normal(size=(num_factors, num_factors)))
    codes = {"disentangled": np.concatenate([f + 1e-3 * rng.normal(size=f.shape), rng.normal(size=(num, 3))], 1),
             "rotated": f @ q,
             "nonlinear": np.concatenate([np.sin(6 * f), np.cos(6 * f)], 1),
             "unrelated": rng.normal(size=(num, num_factors + 2))}
    return f, codes


# ------------------------------------------------------------------------------------------
# A generator's Z and W.
# ------------------------------------------------------------------------------------------
def select_factors(r2: dict[str, float], min_r2: float = MIN_R2) -> tuple[list[str], list[str]]:
    """(factors the reader reads reliably, those left out with a warning)."""
    from .separability import select_reliable

    return select_reliable(r2, min_r2, "ground-truth scores leave out factors the reader cannot read",
                           "held-out R²", fmt=lambda x: f"{x:.2f}")


def ground_truth(G, num_samples: int = 5000, reader=None, r2: dict[str, float] | None = None,
                 min_r2: float = MIN_R2, spaces=("z", "w"), batch_size: int = 128, seed: int = 0,
                 device=None, progress: bool = True, return_data: bool = False) -> dict:
    """DCI and MIG of ``G``'s Z and W for the factors its images show (ψ = 1, random noise).

    ``reader``: None (the shipped factor reader), the path of a reader file (from
    ``metrics --train-factor-reader --reader-out``), or a module images → factors on the [0, 1]
    scale with ``.attributes`` naming them; a file's held-out ``r2`` comes from its provenance,
    a module's must be passed. Per space the
    result has ``disentanglement``, ``completeness``, ``informativeness``, ``mig`` and the
    per-factor R² (``r2``); ``value`` is W's informativeness minus Z's (positive: the factors are
    more linear in W).
    """
    from .separability import sample_labelled

    t0 = time.time()
    device = G.device if device is None else device
    identity = "in-memory"
    if reader is None or isinstance(reader, (str, os.PathLike)):
        from .detectors import file_sha256

        path = Path(reader) if reader is not None else READER_WEIGHTS
        reader = load_factor_reader(path, device=device)
        r2 = reader_r2(path, resolution=G.img_resolution) if r2 is None else r2
        identity = f"factor-reader:{file_sha256(path)[:16]}"
    if r2 is None:
        raise ValueError("pass the reader's held-out R² per factor (r2={...}) so unreadable factors can be "
                         "left out; a reader file has it in its provenance")
    names = list(reader.attributes)
    missing = [k for k in names if k not in r2]
    if missing:
        raise ValueError(f"r2 has no held-out R² for the reader's factors {missing}; give one per factor")
    chosen, dropped = select_factors({k: r2[k] for k in names}, min_r2)
    if not chosen:
        raise ValueError(f"no factor is read with R² ≥ {min_r2}; nothing to score")
    data = sample_labelled(G, reader, num_samples, batch_size, seed, device, progress, activation=None)
    cols = [names.index(k) for k in chosen]
    factors = data["probs"][:, cols].numpy()
    out = {"metric": "gt", "num_samples": int(num_samples), "seed": int(seed), "factors": chosen,
           "dropped_factors": dropped, "min_r2": min_r2, "reader": identity}
    for space in spaces:
        if space not in ("z", "w"):
            raise ValueError(f"spaces must be 'z' and/or 'w', got {space!r}")
        s = disentanglement_scores(data[space].numpy(), factors, seed=seed)
        s["r2"] = dict(zip(chosen, (round(x, 4) for x in s.pop("r2_per_factor"))))
        s["completeness_per_factor"] = dict(zip(chosen, s["completeness_per_factor"]))
        s["mig_per_factor"] = dict(zip(chosen, s["mig_per_factor"]))
        out[space] = s
    if "z" in out and "w" in out:
        out["value"] = out["w"]["informativeness"] - out["z"]["informativeness"]
    out["seconds"] = round(time.time() - t0, 2)
    if return_data:
        out["data"] = {"z": data["z"], "w": data["w"], "factors": factors}
    return out
