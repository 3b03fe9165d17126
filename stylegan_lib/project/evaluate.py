"""How well projection and editing work, measured (chapter 14).

* :func:`held_out_faces` — synthetic faces the generator never saw: the same distribution as its
  training data, drawn with another data seed;
* :func:`reconstruction_errors` — how far a projection's image is from its target, in pixels and
  in the book's perceptual distance;
* :func:`edit_scores` — move each projected latent along an attribute's direction towards the
  other label and ask the book's classifier what changed: how often the attribute flips (the
  **flip rate**) and how much the *other* attributes move (the **entanglement of editing**);
* :func:`edit_sweep` — one latent at several amounts along one direction, pictures and
  probabilities (the left-out combination: can an edit make a long-haired man?).

Every image of an edit is drawn with the projection's own noise maps, so that only the latent
changes between "before" and "after".
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from .editing import edit
from .projection import perceptual_embedding, resolve_distance

#: The data seed of the faces the book's model was trained on (``--data faces:100000:medium``,
#: seed 0; ``stylegan_lib/pretrained/book-32.json``).
TRAINING_DATA_SEED = 0
#: The data seed of the book's held-out faces.
HELD_OUT_SEED = 12345


def held_out_faces(num: int, seed: int = HELD_OUT_SEED, training_seed: int = TRAINING_DATA_SEED,
                   config=None) -> tuple[torch.Tensor, torch.Tensor, tuple[str, ...]]:
    """(uint8 images [num, 3, R, R], labels [num, A], attribute names) of ``SyntheticFaces`` with
    data seed ``seed``.

    Face ``i`` of a data seed ``s`` is drawn from its own random stream, seeded with ``(s, i)``
    (:mod:`stylegan_lib.data.faces`), so a seed other than the training data's gives faces from
    the same distribution (``config``: default ``FacesConfig()``, which leaves out men with long
    hair, as in training) that are not in the training set. ``training_seed`` is refused.
    """
    from ..data.faces import SyntheticFaces

    if int(seed) == int(training_seed):
        raise ValueError(f"seed {seed} is the training data's seed: these faces are in the training set; "
                         f"choose another seed (the book uses {HELD_OUT_SEED})")
    faces = SyntheticFaces(num, seed=int(seed), config=config)
    return faces.images(np.arange(num)), faces.labels.clone(), tuple(faces.attributes)


@torch.no_grad()
def reconstruction_errors(result, distance="classifier", device="cpu") -> dict[str, torch.Tensor]:
    r"""Per image of a :class:`~stylegan_lib.project.ProjectionResult`, between the reconstruction
    ŷ and its target x (floats in [-1, 1]):

    .. math::  \text{pixel} = \overline{(\hat y - x)^2}, \qquad
               \text{perceptual} = \lVert \phi(\hat y) - \phi(x) \rVert^2

    φ the LPIPS features of ``distance`` ('classifier': the book's faces classifier, 'vgg16',
    'auto', or a PerceptualDistance). Returns {"pixel": [N], "perceptual": [N]} on the CPU.
    """
    dist = resolve_distance(distance, device=device)
    y, x = result.image.float().to(device), result.target.float().to(device)
    pixel = (y - x).square().mean(dim=(1, 2, 3))
    perceptual = (perceptual_embedding(dist, y) - perceptual_embedding(dist, x)).square().sum(1)
    return {"pixel": pixel.cpu(), "perceptual": perceptual.cpu()}


@torch.no_grad()
def draw(G, ws: torch.Tensor, noise: list, batch_size: int = 256) -> torch.Tensor:
    """g(ws, noise) on the CPU, clamped to [-1, 1]: ws [N, num_ws, w_dim], noise one map
    [N, 1, R, R] (or None) per layer, as a projection holds them."""
    out = []
    for i in range(0, len(ws), batch_size):
        part = [m[i:i + batch_size].to(G.device) if m is not None else None for m in noise]
        out.append(G.synthesis(ws[i:i + batch_size].to(G.device), noise=part).clamp(-1, 1).cpu())
    return torch.cat(out)


@torch.no_grad()
def probabilities(classifier, images: torch.Tensor) -> torch.Tensor:
    """p(attribute) [N, A] of the classifier on images in [-1, 1], on the CPU."""
    dev = next(classifier.parameters()).device
    return torch.sigmoid(classifier(images.to(dev))).cpu()


def attribute_probabilities(G, ws: torch.Tensor, noise: list, classifier) -> torch.Tensor:
    """p(attribute) [N, A] of the classifier on g(ws, noise)."""
    return probabilities(classifier, draw(G, ws, noise))


@dataclass
class EditScores:
    """What moving every latent towards the other label of each attribute did.

    ``before`` [N, A]: probabilities of the unedited images; ``after`` [D, N, A]: after the edit
    along ``directions[k]`` (rows), by ``amount``; ``attributes``: the classifier's columns."""

    directions: list
    attributes: list
    amount: float
    before: torch.Tensor
    after: torch.Tensor

    def _col(self, name: str) -> int:
        return self.attributes.index(name)

    def flipped(self) -> torch.Tensor:
        """[D, N] bool: image n's label of attribute k changed."""
        cols = [self._col(a) for a in self.directions]
        b = self.before[:, cols].T > 0.5
        q = torch.stack([self.after[k, :, c] for k, c in enumerate(cols)]) > 0.5
        return b != q

    def flip_rate(self) -> dict[str, float]:
        r"""Per direction a: the fraction of images whose label flips,

        .. math::  F_a = \frac1N \sum_n \big[\, [q_{n,a} > \tfrac12] \ne b_n \big]
        """
        return {a: float(f.float().mean()) for a, f in zip(self.directions, self.flipped())}

    def change(self) -> torch.Tensor:
        r"""[D, A]: the mean absolute change of every attribute's probability under each edit,
        :math:`\frac1N \sum_n |q_{n,j} - p_{n,j}|`."""
        return (self.after - self.before[None]).abs().mean(1)

    def attribute_change(self) -> dict[str, float]:
        """Per direction a: the mean |Δp| of attribute a itself."""
        ch = self.change()
        return {a: float(ch[k, self._col(a)]) for k, a in enumerate(self.directions)}

    def entanglement(self) -> dict[str, float]:
        r"""The entanglement of editing, per direction a: how much the other A − 1 attributes move,

        .. math::  E_a = \frac1N \sum_n \frac{1}{A-1} \sum_{j \ne a} |q_{n,j} - p_{n,j}|

        0: the edit leaves every other attribute where it was; 1: it flips all of them with
        certainty. Attributes that go together in the data (only men have beards) count too."""
        ch = self.change()
        out = {}
        for k, a in enumerate(self.directions):
            others = [j for j in range(len(self.attributes)) if j != self._col(a)]
            # mean over j ≠ a of the per-attribute mean |Δp|: the double mean of E_a
            out[a] = float(ch[k, others].mean())
        return out

    def table(self) -> str:
        """One line per direction: flip rate, |Δp| of the attribute, entanglement."""
        flip, own, ent = self.flip_rate(), self.attribute_change(), self.entanglement()
        lines = [f"{'direction':<16}{'flip rate':>10}{'|Δp| own':>10}{'entanglement':>14}"]
        for a in self.directions:
            lines.append(f"{a:<16}{flip[a]:>10.2f}{own[a]:>10.2f}{ent[a]:>14.3f}")
        return "\n".join(lines)


@torch.no_grad()
def edit_scores(G, ws: torch.Tensor, noise: list, directions: Mapping[str, torch.Tensor], amount: float,
                classifier=None) -> EditScores:
    r"""Move each of N latents along each direction towards the other label and classify.

    For image n and attribute a with unit direction d_a (:func:`~stylegan_lib.project.edit_directions`):
    p_n = C(g(w_n)), b_n = [p_{n,a} > ½], s_n = 1 − 2 b_n (towards the other label),

    .. math::  q_n = C\big(g(w_n + \alpha\, s_n\, d_a)\big)

    with the same noise maps; in W+ every style input moves by the same α s_n d_a. ``ws``
    [N, num_ws, w_dim] (a projection's ``.ws``), ``amount`` α > 0. Returns :class:`EditScores`.
    """
    from ..metrics.classifier import load_classifier

    if not amount > 0:
        raise ValueError(f"amount must be > 0 (the edit goes towards the other label), got {amount}")
    if ws.ndim != 3:
        raise ValueError(f"ws must be [N, num_ws, w_dim] (a projection's .ws), got {list(ws.shape)}")
    classifier = classifier if classifier is not None else load_classifier(device=G.device)
    names = list(classifier.attributes)
    unknown = [a for a in directions if a not in names]
    if unknown:
        raise ValueError(f"directions {unknown} are not attributes of the classifier ({names})")
    before = attribute_probabilities(G, ws, noise, classifier)
    after = []
    for a, d in directions.items():
        s = 1.0 - 2.0 * (before[:, names.index(a)] > 0.5).float()
        after.append(attribute_probabilities(G, edit(ws, d.cpu(), float(amount) * s.to(ws.dtype)), noise, classifier))
    return EditScores(list(directions), names, float(amount), before, torch.stack(after))


@torch.no_grad()
def edit_sweep(G, ws: torch.Tensor, noise: list, direction: torch.Tensor, amounts: Sequence[float],
               classifier=None) -> tuple[torch.Tensor, torch.Tensor]:
    """Each latent at every amount along one direction, w + α d:
    (images [N, K, 3, R, R], probabilities [N, K, A]) for the K ``amounts``."""
    from ..metrics.classifier import load_classifier

    classifier = classifier if classifier is not None else load_classifier(device=G.device)
    images = torch.stack([draw(G, edit(ws, direction.cpu(), float(alpha)), noise) for alpha in amounts], 1)
    probs = probabilities(classifier, images.flatten(0, 1)).view(*images.shape[:2], -1)
    return images, probs


def bisect_amount(flip_rate_at, target: float = 0.5, high: float = 8.0, iterations: int = 10) -> float:
    """The edit amount α whose flip rate reaches ``target``: bisection on [0, ``high``] of
    ``flip_rate_at(α)``, which grows with α (not strictly: a sample's rate is a step function).
    ``high`` is doubled, up to 4 times, until it reaches the target; an error if it never does."""
    if not 0 < target < 1:
        raise ValueError(f"target flip rate must be between 0 and 1, got {target}")
    for _ in range(5):
        if flip_rate_at(high) >= target:
            break
        high *= 2
    else:
        raise ValueError(f"even an edit of {high / 2:g} flips fewer than {target:.0%} of the labels: "
                         "the direction does not control this attribute")
    low = 0.0
    for _ in range(iterations):
        mid = (low + high) / 2
        low, high = (low, mid) if flip_rate_at(mid) >= target else (mid, high)
    return high


@torch.no_grad()
def matched_edit_scores(G, ws: torch.Tensor, noise: list, directions: Mapping[str, torch.Tensor],
                        flip_rate: float = 0.5, classifier=None, iterations: int = 8) -> dict[str, EditScores]:
    r"""Per direction, :func:`edit_scores` at the amount that flips ``flip_rate`` of the labels
    (:func:`bisect_amount`), so that models whose W is scaled differently are compared at equal
    strength of edit: their entanglement :math:`E_a` at one flip rate."""
    from ..metrics.classifier import load_classifier

    classifier = classifier if classifier is not None else load_classifier(device=G.device)
    out = {}
    for a, d in directions.items():
        one = {a: d}
        amount = bisect_amount(lambda alpha: edit_scores(G, ws, noise, one, alpha, classifier).flip_rate()[a],
                               flip_rate, iterations=iterations)
        out[a] = edit_scores(G, ws, noise, one, amount, classifier)
    return out
