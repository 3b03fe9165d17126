"""Chapter 12, beyond StyleGAN1 — the figures of its artifacts.

* :func:`spike_profile` / :func:`plot_spike_profiles`: per layer, how much of a feature map's
  energy sits in its strongest pixel (:func:`stylegan_lib.artifacts.spike_share`), for several
  generators side by side, against the floor of a flat map (1 / H·W).
* :func:`strongest_spike` / :func:`plot_spike`: the single most concentrated map of a layer,
  beside the image it belongs to, with the spike's position marked on both.
"""
from __future__ import annotations

import re

import numpy as np
import torch

from ..artifacts import layer_spike_shares, spike_share
from ..images import to_hwc


def _layer_key(name: str) -> tuple[int, str]:
    """Sort key of a recorded layer name ("b32/layer0/act", "b32/conv1"): resolution, then name."""
    m = re.match(r"b(\d+)/", name)
    return (int(m.group(1)) if m else 0, name)


def spike_profile(shares: dict[str, torch.Tensor], quantiles=(0.5, 0.99)) -> dict[str, dict[str, float]]:
    """Per layer (in the order the layers run): the given quantiles and the maximum of the
    spike shares over images and channels, and the flat map's share 1 / (H·W) ("floor"; needs
    the resolution in the layer's name)."""
    out = {}
    for name in sorted(shares, key=_layer_key):
        s = shares[name].flatten().float()
        res = _layer_key(name)[0]
        row = {f"q{round(q * 100)}": float(torch.quantile(s, q)) for q in quantiles}
        row.update(max=float(s.max()), floor=1.0 / (res * res) if res else float("nan"))
        out[name] = row
    return out


def plot_spike_profiles(profiles: dict[str, dict[str, dict[str, float]]], stat: str = "q99", ax=None):
    """One line per generator (``{label: spike_profile(...)}``): ``stat`` of the spike share per
    layer, log scale, with the flat-map floor dashed. Layers are placed by their order within
    each generator, labelled by resolution."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 3.4))
    longest = max(profiles.values(), key=len)
    for i, (label, prof) in enumerate(profiles.items()):
        ax.plot(range(len(prof)), [row[stat] for row in prof.values()], "o-", color=f"C{i}", label=label)
    ax.plot(range(len(longest)), [row["floor"] for row in longest.values()], "k--", lw=0.8,
            label="a flat map (1 / H·W)")
    ax.set_xticks(range(len(longest)), [f"{_layer_key(n)[0]}²" for n in longest], fontsize=8)
    ax.set_yscale("log")
    ax.set_xlabel("layer (resolution)")
    ax.set_ylabel(f"energy share of the strongest pixel ({stat})")
    ax.legend(fontsize=8)
    ax.figure.tight_layout()
    return ax.figure


@torch.no_grad()
def strongest_spike(G, ws: torch.Tensor, layer: str, noise_mode: str = "const") -> dict:
    """The image, channel and map of ``layer`` (a name of :func:`layer_spike_shares`) whose
    strongest pixel holds the largest share of the map's energy, and that pixel's position."""
    images, features = G.synthesis(ws, noise_mode=noise_mode, return_features=True)
    if layer not in features:
        known = ", ".join(layer_spike_shares(G, ws[:1], noise_mode))
        raise ValueError(f"no layer {layer!r}; the layers the next normalisation sees are: {known}")
    fmap = features[layer].float()
    shares = spike_share(fmap)
    n, c = divmod(int(shares.argmax()), shares.shape[1])
    y, x = divmod(int(fmap[n, c].square().argmax()), fmap.shape[3])
    return {"image": images[n], "map": fmap[n, c], "index": n, "channel": c, "share": float(shares[n, c]),
            "yx": (y, x), "layer": layer}


def plot_spike(spike: dict, axes=None):
    """The image and the feature map of :func:`strongest_spike`, the spike circled on both."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(6, 3))
    img, fmap = to_hwc(spike["image"][None])[0], spike["map"].cpu().numpy()
    y, x = spike["yx"]
    scale = img.shape[0] / fmap.shape[0]
    axes[0].imshow(img, interpolation="nearest")
    axes[0].add_patch(plt.Circle(((x + 0.5) * scale - 0.5, (y + 0.5) * scale - 0.5), 1.5 * scale,
                                 fill=False, color="yellow", lw=1.5))
    axes[0].set_title(f"image {spike['index']}", fontsize=9)
    lim = float(np.abs(fmap).max()) or 1.0
    axes[1].imshow(fmap, cmap="RdBu_r", vmin=-lim, vmax=lim, interpolation="nearest")
    axes[1].add_patch(plt.Circle((x, y), 1.5, fill=False, color="black", lw=1.5))
    axes[1].set_title(f"{spike['layer']}, channel {spike['channel']}:\n{spike['share']:.0%} of its energy "
                      "in one pixel", fontsize=9)
    for ax in axes:
        ax.set_axis_off()
    axes[0].figure.tight_layout()
    return axes[0].figure


__all__ = ["spike_profile", "plot_spike_profiles", "strongest_spike", "plot_spike"]
