"""The book's offline feature network: a small CNN that recognises the attributes of the synthetic
faces.

It plays three parts the paper gives to three pre-trained networks:

* its penultimate features stand in for Inception-v3's pool features → "FD" and "KD" (never
  called FID/KID: the numbers are not comparable with the literature);
* its normalised feature maps at four resolutions give an LPIPS-style perceptual distance for
  the perceptual path length (the paper uses LPIPS on VGG16);
* its attribute outputs are the auxiliary classifier of linear separability (the paper uses 40
  CelebA attribute classifiers).

It is trained by :func:`train_classifier` (fixed seed, CPU, a few minutes) on faces drawn
without the excluded combination (``FacesConfig(exclude=())``), so it sees long-haired men too
and cannot learn "long hair ⇒ not male". The shipped weights (``faces_classifier.pt``, fp16) and
their provenance (``faces_classifier.json``: command, commit, seed, held-out accuracy per
attribute) live next to this file.
"""
from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..images import to_float
from ..provenance import git_commit

HERE = Path(__file__).resolve().parent
SHIPPED_WEIGHTS = HERE / "faces_classifier.pt"
SHIPPED_PROVENANCE = HERE / "faces_classifier.json"
FORMAT = "stylegan_lib/faces-classifier/1"


class FacesClassifier(nn.Module):
    """32×32 RGB → one logit per binary attribute of the synthetic faces.

    Four stages at 32², 16², 8², 4² (two 3×3 convolutions + batch norm + ReLU each, 2×2 average
    pooling in between), then a dense layer to ``feature_dim`` features (ReLU) and a linear head.
    Inputs of any size are resized to ``resolution`` first (area for larger, bilinear for smaller
    images), so 16² crops and 64² images work too. Inputs are floats in [-1, 1] (the generator's
    range) or uint8 in [0, 255] (the detectors' convention).
    """

    def __init__(self, attributes: tuple[str, ...] | list[str], widths=(16, 32, 48, 64),
                 feature_dim: int = 128, resolution: int = 32):
        super().__init__()
        self.attributes = tuple(attributes)
        self.widths = tuple(int(w) for w in widths)
        self.feature_dim, self.resolution = int(feature_dim), int(resolution)
        stages = []
        c_in = 3
        for w in self.widths:
            stages.append(nn.Sequential(nn.Conv2d(c_in, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(),
                                        nn.Conv2d(w, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU()))
            c_in = w
        self.stages = nn.ModuleList(stages)
        last = self.resolution // 2 ** (len(self.widths) - 1)
        self.fc = nn.Linear(c_in * last * last, self.feature_dim)
        self.head = nn.Linear(self.feature_dim, len(self.attributes))

    def config(self) -> dict:
        return {"attributes": list(self.attributes), "widths": list(self.widths),
                "feature_dim": self.feature_dim, "resolution": self.resolution}

    # -- input ---------------------------------------------------------------------------------
    def prepare(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 [0, 255] or float [-1, 1] NCHW of any size → float [-1, 1] at ``resolution``²."""
        if images.ndim != 4 or images.shape[1] != 3:
            raise ValueError(f"images must be [N, 3, H, W], got {list(images.shape)}")
        x = to_float(images) if images.dtype == torch.uint8 else images.float()
        r = self.resolution
        if x.shape[2:] != (r, r):
            mode = "area" if min(x.shape[2:]) >= r else "bilinear"
            x = F.interpolate(x, size=(r, r), mode=mode, **({} if mode == "area" else {"align_corners": False}))
        return x

    # -- forward -------------------------------------------------------------------------------
    def run(self, images: torch.Tensor) -> tuple[list[torch.Tensor], torch.Tensor, torch.Tensor]:
        """(feature maps of the four stages, penultimate features, logits)."""
        x = self.prepare(images)
        maps = []
        for i, stage in enumerate(self.stages):
            if i > 0:
                x = F.avg_pool2d(x, 2)
            x = stage(x)
            maps.append(x)
        feats = F.relu(self.fc(x.flatten(1)))
        return maps, feats, self.head(feats)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Logits [N, num_attributes]; sigmoid gives p(attribute = 1)."""
        return self.run(images)[2]

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """Penultimate features [N, feature_dim]: the embedding behind "FD" and "KD"."""
        return self.run(images)[1]

    def lpips_features(self, images: torch.Tensor) -> torch.Tensor:
        r"""The feature maps of the four stages, each unit-normalised along channels at every pixel
        and scaled by 1/√(H·W), flattened and concatenated, so that the squared Euclidean distance
        of two such vectors is the LPIPS-style distance (Zhang et al. 2018, without learned
        channel weights):

        .. math::  d(x_0, x_1) = \sum_l \frac{1}{H_l W_l} \sum_{h,w}
                   \lVert \hat y^l_{0,hw} - \hat y^l_{1,hw} \rVert_2^2,
                   \qquad \hat y = y / \lVert y \rVert_2 \text{ over channels}
        """
        maps = self.run(images)[0]
        out = []
        for y in maps:
            y_hat = y / (y.square().sum(1, keepdim=True) + 1e-10).sqrt()
            out.append((y_hat / math.sqrt(y.shape[2] * y.shape[3])).flatten(1))
        return torch.cat(out, 1)

    @torch.no_grad()
    def outputs(self, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
        """The head's outputs [N, num_outputs] on the CPU, computed in batches."""
        dev = next(self.parameters()).device
        return torch.cat([self(images[i:i + batch_size].to(dev)).cpu() for i in range(0, len(images), batch_size)])

    def predict_proba(self, images: torch.Tensor, batch_size: int = 512) -> torch.Tensor:
        """p(attribute = 1) [N, num_attributes], in batches."""
        return torch.sigmoid(self.outputs(images, batch_size))


# ------------------------------------------------------------------------------------------
# Loading
# ------------------------------------------------------------------------------------------
class ClassifierMissingError(FileNotFoundError):
    pass


def load_classifier(path: str | os.PathLike | None = None, device="cpu", fmt: str = FORMAT,
                    retrain: str = "python -m stylegan_lib metrics --train-classifier") -> FacesClassifier:
    """The shipped classifier (or one saved by :func:`train_classifier` at ``path``), eval mode,
    float32, read with ``torch.load(weights_only=True)``. ``fmt``/``retrain``: the file format
    expected and the command that remakes the file (the factor reader of :mod:`.ground_truth`
    is the same network, saved under its own format)."""
    path = Path(path) if path is not None else SHIPPED_WEIGHTS
    if not path.is_file():
        raise ClassifierMissingError(f"{path} is missing; train it with `{retrain}` (CPU, a few minutes)")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise ValueError(f"cannot read {path}: {type(e).__name__}: {e}. Retrain it with `{retrain}`") from e
    if not isinstance(obj, dict) or obj.get("format") != fmt:
        raise ValueError(f"{path} is not a {fmt} file (its format entry is "
                         f"{obj.get('format') if isinstance(obj, dict) else None!r}); retrain it with `{retrain}`")
    net = FacesClassifier(**obj["config"])
    net.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in obj["state"].items()})
    return net.eval().requires_grad_(False).to(device)


def classifier_provenance(path: str | os.PathLike | None = None) -> dict:
    """The JSON written next to the weights: command, commit, seed, accuracy per attribute."""
    path = Path(path).with_suffix(".json") if path is not None else SHIPPED_PROVENANCE
    if not path.is_file():
        raise FileNotFoundError(f"no provenance file {path} next to the classifier weights")
    return json.loads(path.read_text())


def heldout_scores(prov: dict, key: str, resolution: int | None, where: str) -> dict[str, float]:
    """The held-out scores ``prov[key]`` of a network's provenance, or those measured on images
    drawn at ``resolution`` (``key_<R>px``, written by :func:`record_heldout_at`) when it is not
    the network's own. A resolution never measured raises ValueError saying how to measure it."""
    own = prov.get("config", {}).get("resolution", 32)
    name = key if resolution in (None, own) else f"{key}_{int(resolution)}px"
    if name not in prov:
        raise ValueError(f"{where} has no held-out scores for images drawn at {resolution}²; measure them with "
                         f"`python -m stylegan_lib metrics --measure-detectors-at {resolution}`")
    return {k: float(v) for k, v in prov[name].items()}


def attribute_accuracy(path: str | os.PathLike | None = None, resolution: int | None = None) -> dict[str, float]:
    """Held-out accuracy per attribute from the provenance file (on faces drawn at
    ``resolution``, default the classifier's own 32²)."""
    return heldout_scores(classifier_provenance(path), "heldout_accuracy", resolution,
                          f"the classifier's provenance {path or SHIPPED_PROVENANCE}")


def record_heldout_at(net: FacesClassifier, path: str | os.PathLike, key: str, resolution: int, evaluate,
                      targets, num: int = 3000, seed: int = 7000, command: str | None = None) -> dict[str, float]:
    """Measure a shipped network's held-out scores on ``num`` faces drawn at ``resolution``
    (seed ``seed``, ``exclude=()``) and write them into its provenance file beside ``path`` as
    ``<key>_<R>px``, with how. ``evaluate(net, images, targets(dataset))`` gives the scores."""
    from ..data import SyntheticFaces
    from ..data.faces import FacesConfig

    ds = SyntheticFaces(num, resolution, seed=seed, config=FacesConfig(exclude=()))
    scores = evaluate(net, ds.render_all(), targets(ds))
    prov_path = Path(path).with_suffix(".json")
    prov = json.loads(prov_path.read_text())
    prov[f"{key}_{int(resolution)}px"] = scores
    prov[f"{key}_{int(resolution)}px_how"] = {
        "data": f"SyntheticFaces({num}, {resolution}, seed={seed}, FacesConfig(exclude=()))",
        "command": command or f"python -m stylegan_lib metrics --measure-detectors-at {resolution}",
        "commit": git_commit() or "unknown", "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    prov_path.write_text(json.dumps(prov, indent=2) + "\n")
    return scores


# ------------------------------------------------------------------------------------------
# Training
# ------------------------------------------------------------------------------------------
@torch.no_grad()
def evaluate_classifier(net: FacesClassifier, images: torch.Tensor, labels: torch.Tensor,
                        batch_size: int = 512) -> dict[str, float]:
    """Accuracy per attribute (threshold p = 0.5) on the given images."""
    prob = net.predict_proba(images, batch_size)
    correct = ((prob > 0.5).float() == (labels > 0.5).float()).float().mean(0)
    return {name: round(float(c), 4) for name, c in zip(net.attributes, correct)}


def fit(net: FacesClassifier, x_train: torch.Tensor, y_train: torch.Tensor, loss_fn, epochs: int,
        batch_size: int, lr: float, seed: int, mirror=None, desc: str = "training",
        progress: bool = True) -> list[float]:
    """Train ``net`` on uint8 images and float targets: Adam with a cosine learning-rate decay,
    ``loss_fn(outputs, targets)``. ``mirror``: if given, half of each batch is flipped
    horizontally and ``mirror(targets of the flipped images)`` returns their targets (flips
    double the poses). Returns the loss of every step."""
    from tqdm import tqdm  # text bars: widget bars can stall papermill/nbval kernels

    if len(x_train) < batch_size:
        raise ValueError(f"{len(x_train)} training images are fewer than one batch of {batch_size}; "
                         "give more images or a smaller batch")
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    steps_per_epoch = len(x_train) // batch_size
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, epochs * steps_per_epoch)
    gen = torch.Generator().manual_seed(seed)
    bar = tqdm(total=epochs * steps_per_epoch, desc=desc, disable=not progress)
    losses = []
    net.train()
    for _ in range(epochs):
        perm = torch.randperm(len(x_train), generator=gen)
        for s in range(steps_per_epoch):
            idx = perm[s * batch_size:(s + 1) * batch_size]
            x, y = to_float(x_train[idx]), y_train[idx].clone()
            if mirror is not None:
                flip = torch.rand(len(idx), generator=gen) < 0.5
                x[flip] = x[flip].flip(3)
                y[flip] = mirror(y[flip])
            loss = loss_fn(net(x), y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(float(loss.detach()))
            bar.update(1)
            bar.set_postfix(loss=f"{np.mean(losses[-50:]):.4f}")
    bar.close()
    return losses


def train_classifier(out: str | os.PathLike | None = SHIPPED_WEIGHTS, num_train: int = 12000,
                     num_test: int = 4000, epochs: int = 3, batch_size: int = 128, lr: float = 2e-3,
                     seed: int = 0, progress: bool = True, command: str | None = None,
                     threads: int | None = 1) -> dict:
    """Train the faces classifier on CPU with a fixed seed and write ``out`` (fp16 weights) and
    ``out.json`` (provenance). Returns the provenance dict.

    Training images: ``SyntheticFaces(num_train, 32, seed=seed + 1000, exclude=())`` with random
    horizontal flips mirrored into the ``looking_left`` label; held-out test images use another
    seed (``seed + 2000``), and a second held-out set at 64² checks the resizing path.
    Loss: binary cross-entropy per attribute; Adam with a cosine learning-rate decay.
    ``threads``: torch CPU threads (1 by default: robust on a busy machine; None keeps torch's).
    """
    from ..data import ATTRIBUTES, SyntheticFaces
    from ..data.faces import FacesConfig

    t0 = time.time()
    if threads is not None:
        torch.set_num_threads(int(threads))
    torch.manual_seed(seed)
    cfg = FacesConfig(exclude=())
    train = SyntheticFaces(num_train, 32, seed=seed + 1000, config=cfg)
    test = SyntheticFaces(num_test, 32, seed=seed + 2000, config=cfg)
    test64 = SyntheticFaces(min(num_test, 1000), 64, seed=seed + 3000, config=cfg)
    x_train, y_train = train.render_all(progress=progress), train.labels.clone()
    x_test, y_test = test.render_all(progress=progress), test.labels.clone()
    x_test64, y_test64 = test64.render_all(progress=progress), test64.labels.clone()

    net = FacesClassifier(ATTRIBUTES)
    flip_col = ATTRIBUTES.index("looking_left") if "looking_left" in ATTRIBUTES else None

    def mirror(y: torch.Tensor) -> torch.Tensor:
        """A flipped face looks the other way."""
        if flip_col is not None:
            y[:, flip_col] = 1.0 - y[:, flip_col]
        return y

    losses = fit(net, x_train, y_train, F.binary_cross_entropy_with_logits, epochs, batch_size, lr, seed,
                 mirror=mirror, desc="training the faces classifier", progress=progress)
    net.eval()
    acc = evaluate_classifier(net, x_test, y_test)
    acc64 = evaluate_classifier(net, x_test64, y_test64)
    prov = {
        "what": "faces classifier: the book's offline feature network (FD/KD features, LPIPS-style "
                "distance for PPL, auxiliary classifier for linear separability)",
        "command": command or "python -c 'from stylegan_lib.metrics.classifier import train_classifier; "
                              "train_classifier()'",
        "commit": git_commit() or "unknown",
        "seed": seed,
        "config": net.config(),
        "data": {"train": f"SyntheticFaces({num_train}, 32, seed={seed + 1000}, FacesConfig(exclude=()))",
                 "test": f"SyntheticFaces({num_test}, 32, seed={seed + 2000}, FacesConfig(exclude=()))",
                 "test64": f"SyntheticFaces({len(test64)}, 64, seed={seed + 3000}, FacesConfig(exclude=()))"},
        "training": {"epochs": epochs, "batch_size": batch_size, "lr": lr, "optimizer": "Adam + cosine",
                     "final_loss": round(float(np.mean(losses[-50:])), 5), "device": "cpu",
                     "torch": torch.__version__, "threads": torch.get_num_threads(),
                     "wall_seconds": round(time.time() - t0, 1)},
        "heldout_accuracy": acc,
        "heldout_accuracy_64px": acc64,
        "num_parameters": sum(p.numel() for p in net.parameters()),
    }
    if out is not None:
        save_classifier(net, out, prov)
    return prov


def save_classifier(net: FacesClassifier, path: str | os.PathLike, provenance: dict | None = None,
                    fmt: str = FORMAT) -> Path:
    """Write fp16 weights (atomically) and, if given, the provenance JSON beside them."""
    from ..checkpoint import atomic_save

    path = Path(path)
    state = {k: v.detach().half() if v.is_floating_point() else v.detach() for k, v in net.state_dict().items()}
    atomic_save({"format": fmt, "config": net.config(), "state": state}, path)
    if provenance is not None:
        path.with_suffix(".json").write_text(json.dumps(provenance, indent=2) + "\n")
    return path


def main(argv: list[str] | None = None) -> int:
    """``python -m stylegan_lib.metrics.classifier [--out PATH] [--seed S] [--epochs E]``."""
    import argparse

    p = argparse.ArgumentParser(description="train the book's faces classifier (CPU)")
    p.add_argument("--out", default=str(SHIPPED_WEIGHTS))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--num-train", type=int, default=12000)
    a = p.parse_args(argv)
    cmd = "python -m stylegan_lib.metrics.classifier " + " ".join(argv if argv is not None else sys.argv[1:])
    prov = train_classifier(a.out, num_train=a.num_train, epochs=a.epochs, seed=a.seed, command=cmd.strip())
    print(json.dumps(prov["heldout_accuracy"], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
