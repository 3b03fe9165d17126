"""A STAND-IN for NVIDIA's release files: writes pickles in the StyleGAN v1 release format, filled
with random weights, so the importer can be tested (and the book's chapter run) without the real
``karras2019stylegan-*.pkl`` files.

Nothing here comes from NVIDIA's code. The layout — network objects of class
``dnnlib.tflib.network.Network`` whose state holds ``version``, ``name``, ``static_kwargs``,
``components``, ``build_module_src``, ``build_func_name`` and ``variables`` in TensorFlow layout —
and the variable names and shapes follow the published architecture (paper, appendix C, and the
facts in the book's REFERENCE notes):

* ``G_mapping``: ``Dense{i}/weight`` [in, out], ``Dense{i}/bias`` [out].
* ``G_synthesis``: ``lod``; ``noise{i}`` [1, 1, H, W] for each of the 2·(log2 R − 1) layers;
  ``4x4/Const/const`` [1, C, 4, 4]; per layer ``…/Noise/weight`` [C], ``…/bias`` [C],
  ``…/StyleMod/weight`` [w_dim, 2C], ``…/StyleMod/bias`` [2C]; convolutions
  ``4x4/Conv/weight``, ``{R}x{R}/Conv0_up/weight``, ``{R}x{R}/Conv1/weight`` [3, 3, in, out];
  ``ToRGB_lod{k}/weight`` [1, 1, C, 3], ``ToRGB_lod{k}/bias`` [3].
* ``G_style`` (the whole G): ``lod``, ``dlatent_avg`` [w_dim]; components mapping, synthesis.
* ``D_basic``: ``lod``; ``FromRGB_lod{k}/weight`` [1, 1, 3, C], ``/bias``;
  ``{R}x{R}/Conv0/weight|bias``, ``{R}x{R}/Conv1_down/weight|bias``; ``4x4/Conv/weight``
  [3, 3, C+1, C]; ``4x4/Dense0/weight`` [16C, nf(0)]; ``4x4/Dense1/weight`` [nf(0), 1].

Weights are stored raw, as the release stores them (before the equalised-learning-rate factor):
N(0, 1/lrmul), i.e. N(0, 100) in the mapping network. Biases, noise strengths and styles get
random values too (the release initialises them to zero, but a test must see them used).

The pickle is written like the release wrote it: the network objects are pickled under the class
path ``dnnlib.tflib.network.Network`` and numpy arrays under numpy 1's
``numpy.core.multiarray._reconstruct`` (or, with ``numpy_paths="native"``, whatever the installed
numpy writes), with pickle protocol 2, 3 or 4. No ``dnnlib`` module is needed or created.
"""
from __future__ import annotations

import io
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np

#: Shown in the stand-in files where the release keeps the source of its build module.
STAND_IN_SOURCE = ("# stand-in written by stylegan_lib.official.fake: random weights in the "
                   "StyleGAN v1 release format; this text is data and is never executed\n")


def nf(stage: int, fmap_base: int = 8192, fmap_max: int = 512) -> int:
    """Feature maps at ``stage`` (resolution 2^(stage+1)): min(fmap_base / 2^stage, fmap_max)."""
    return min(int(fmap_base / (2.0 ** stage)), fmap_max)


# ------------------------------------------------------------------------------------------
# Names and shapes of every variable, network by network (TensorFlow creation order).
# ------------------------------------------------------------------------------------------
def mapping_shapes(latent_size=512, dlatent_size=512, mapping_layers=8, mapping_fmaps=512):
    """[(name, shape)] of ``G_mapping``."""
    out = []
    for i in range(mapping_layers):
        fin = latent_size if i == 0 else mapping_fmaps
        fout = dlatent_size if i == mapping_layers - 1 else mapping_fmaps
        out += [(f"Dense{i}/weight", [fin, fout]), (f"Dense{i}/bias", [fout])]
    return out


def _epilogue_shapes(scope: str, c: int, dlatent_size: int, use_noise: bool = True):
    out = [(f"{scope}/Noise/weight", [c])] if use_noise else []
    return out + [(f"{scope}/bias", [c]), (f"{scope}/StyleMod/weight", [dlatent_size, 2 * c]),
                  (f"{scope}/StyleMod/bias", [2 * c])]


def synthesis_shapes(resolution=1024, num_channels=3, dlatent_size=512, fmap_base=8192,
                     fmap_max=512, use_noise=True):
    """[(name, shape)] of ``G_synthesis`` (the 'linear' structure: every ToRGB_lod{k} exists)."""
    log2 = int(np.log2(resolution))
    num_layers = 2 * log2 - 2
    out: list[tuple[str, list[int]]] = [("lod", [])]
    if use_noise:
        out += [(f"noise{i}", [1, 1, 2 ** (i // 2 + 2), 2 ** (i // 2 + 2)]) for i in range(num_layers)]
    c = nf(1, fmap_base, fmap_max)
    out += [("4x4/Const/const", [1, c, 4, 4])] + _epilogue_shapes("4x4/Const", c, dlatent_size, use_noise)
    out += [("4x4/Conv/weight", [3, 3, c, c])] + _epilogue_shapes("4x4/Conv", c, dlatent_size, use_noise)
    out += [(f"ToRGB_lod{log2 - 2}/weight", [1, 1, c, num_channels]),
            (f"ToRGB_lod{log2 - 2}/bias", [num_channels])]
    for res in range(3, log2 + 1):
        r = 2 ** res
        cin, cout = nf(res - 2, fmap_base, fmap_max), nf(res - 1, fmap_base, fmap_max)
        s = f"{r}x{r}"
        out += [(f"{s}/Conv0_up/weight", [3, 3, cin, cout])]
        out += _epilogue_shapes(f"{s}/Conv0_up", cout, dlatent_size, use_noise)
        out += [(f"{s}/Conv1/weight", [3, 3, cout, cout])]
        out += _epilogue_shapes(f"{s}/Conv1", cout, dlatent_size, use_noise)
        out += [(f"ToRGB_lod{log2 - res}/weight", [1, 1, cout, num_channels]),
                (f"ToRGB_lod{log2 - res}/bias", [num_channels])]
    return out


def discriminator_shapes(resolution=1024, num_channels=3, fmap_base=8192, fmap_max=512,
                         mbstd_num_features=1):
    """[(name, shape)] of ``D_basic``."""
    log2 = int(np.log2(resolution))
    n = lambda s: nf(s, fmap_base, fmap_max)  # noqa: E731
    out: list[tuple[str, list[int]]] = [("lod", [])]
    out += [("FromRGB_lod0/weight", [1, 1, num_channels, n(log2 - 1)]), ("FromRGB_lod0/bias", [n(log2 - 1)])]
    for res in range(log2, 2, -1):
        r = 2 ** res
        out += [(f"{r}x{r}/Conv0/weight", [3, 3, n(res - 1), n(res - 1)]), (f"{r}x{r}/Conv0/bias", [n(res - 1)]),
                (f"{r}x{r}/Conv1_down/weight", [3, 3, n(res - 1), n(res - 2)]),
                (f"{r}x{r}/Conv1_down/bias", [n(res - 2)])]
        k = log2 - res + 1
        out += [(f"FromRGB_lod{k}/weight", [1, 1, num_channels, n(res - 2)]),
                (f"FromRGB_lod{k}/bias", [n(res - 2)])]
    out += [("4x4/Conv/weight", [3, 3, n(1) + mbstd_num_features, n(1)]), ("4x4/Conv/bias", [n(1)]),
            ("4x4/Dense0/weight", [n(1) * 16, n(0)]), ("4x4/Dense0/bias", [n(0)]),
            ("4x4/Dense1/weight", [n(0), 1]), ("4x4/Dense1/bias", [1])]
    return out


# ------------------------------------------------------------------------------------------
# Random values with the release's storage convention.
# ------------------------------------------------------------------------------------------
def _random_value(name: str, shape: list[int], rng: np.random.Generator, lrmul: float = 1.0):
    """A plausible trained-looking raw value for a variable (float32, TF layout)."""
    leaf = name.rsplit("/", 1)[-1]
    if name == "lod":
        return np.float32(0.0)  # a TF session returns a numpy scalar for a 0-d variable
    if name.startswith("noise"):
        return rng.standard_normal(shape).astype(np.float32)
    if leaf == "const":
        return (1.0 + 0.5 * rng.standard_normal(shape)).astype(np.float32)
    if leaf == "weight" and name.endswith("Noise/weight"):
        return (0.3 * rng.standard_normal(shape)).astype(np.float32)
    if leaf == "weight":
        # Equalised learning rate: stored as N(0, 1/lrmul), scaled at run time. (Styles and
        # ToRGB a little tamer, so that images stay in about [-2, 2] as a trained G's do.)
        tame = 0.5 if ("StyleMod" in name or name.startswith("ToRGB")) else 1.0
        return (tame * rng.standard_normal(shape) / lrmul).astype(np.float32)
    if leaf == "bias":
        # Stored bias is multiplied by lrmul at run time: give it an effect of about 0.2.
        scale = 0.2 / lrmul
        if "StyleMod" in name:
            scale = 0.3
        return (scale * rng.standard_normal(shape)).astype(np.float32)
    raise ValueError(f"no rule for variable {name!r}")


def _values(shapes, rng, lrmul=1.0) -> dict[str, Any]:
    return {name: _random_value(name, shape, rng, lrmul) for name, shape in shapes}


def make_release_networks(resolution: int = 32, *, num_channels: int = 3, fmap_base: int = 8192,
                          fmap_max: int = 512, latent_size: int = 512, dlatent_size: int = 512,
                          mapping_layers: int = 8, mapping_fmaps: int = 512,
                          mapping_lrmul: float = 0.01, seed: int = 0, version: int = 3,
                          extra_static_kwargs: dict | None = None) -> dict[str, Any]:
    """The states of (G, D, Gs) of a release-format file, as nested plain dicts.

    Returns ``{"G": state, "D": state, "Gs": state}``; a state is the dict the release's
    ``Network.__getstate__`` produced, with ``components`` holding states too (turned into
    network objects by :func:`write_release_pickle`). Gs gets its own random weights (in a
    real file it is the moving average of G).
    """
    rng = np.random.default_rng(seed)
    kw: dict[str, Any] = dict(num_channels=num_channels, resolution=resolution, label_size=0)
    if fmap_base != 8192:
        kw["fmap_base"] = fmap_base
    if fmap_max != 512:
        kw["fmap_max"] = fmap_max
    for key, value, default in (("latent_size", latent_size, 512), ("dlatent_size", dlatent_size, 512),
                                ("mapping_layers", mapping_layers, 8), ("mapping_fmaps", mapping_fmaps, 512),
                                ("mapping_lrmul", mapping_lrmul, 0.01)):
        if value != default:
            kw[key] = value
    kw.update(extra_static_kwargs or {})
    num_layers = 2 * int(np.log2(resolution)) - 2

    def state(name, func, static, variables, components=None):
        return {"version": version, "name": name, "static_kwargs": dict(static),
                "components": components or {}, "build_module_src": STAND_IN_SOURCE,
                "build_func_name": func, "variables": list(variables.items())}

    def generator(name):
        mapping = _values(mapping_shapes(latent_size, dlatent_size, mapping_layers, mapping_fmaps),
                          rng, lrmul=mapping_lrmul)
        synthesis = _values(synthesis_shapes(resolution, num_channels, dlatent_size, fmap_base, fmap_max), rng)
        own = {"lod": np.float32(0.0),
               "dlatent_avg": (0.5 * rng.standard_normal(dlatent_size)).astype(np.float32)}
        comps = {"synthesis": state("G_synthesis", "G_synthesis", kw, synthesis),
                 "mapping": state("G_mapping", "G_mapping", dict(kw, dlatent_broadcast=num_layers), mapping)}
        return state(name, "G_style", kw, own, comps)

    G = generator("G")
    D = state("D", "D_basic", kw, _values(discriminator_shapes(resolution, num_channels, fmap_base, fmap_max), rng))
    Gs = generator("Gs")
    return {"G": G, "D": D, "Gs": Gs}


def variables_of(state: dict, prefix: str = "") -> dict[str, np.ndarray]:
    """All variables of a state from :func:`make_release_networks`, as ``component/name``."""
    out = {prefix + k: v for k, v in state["variables"]}
    for cname, comp in state["components"].items():
        out.update(variables_of(comp, f"{prefix}{cname}/"))
    return out


# ------------------------------------------------------------------------------------------
# Pickling the way the release did, without a dnnlib module.
# ------------------------------------------------------------------------------------------
class _ReleaseGlobal:
    """Marker base: a class standing for the global ``_release_path`` inside the pickle."""

    _release_path: tuple[str, str] = ("", "")


class _NetworkStandIn(_ReleaseGlobal):
    """Pickled as ``dnnlib.tflib.network.Network``: it carries a state dict only."""

    _release_path = ("dnnlib.tflib.network", "Network")

    def __init__(self, state: dict):
        self._state = state

    def __reduce_ex__(self, protocol):
        import copyreg

        return (copyreg.__newobj__, (type(self),), self._state)


class _NumpyReconstruct(_ReleaseGlobal):
    _release_path = ("numpy.core.multiarray", "_reconstruct")


class _NumpyScalar(_ReleaseGlobal):
    _release_path = ("numpy.core.multiarray", "scalar")


class _ReleasePickler(pickle._Pickler):
    """The pure-Python pickler, writing our marker classes under the release's global names."""

    def __init__(self, file, protocol, numpy_paths="v1"):
        super().__init__(file, protocol)
        self.numpy_paths = numpy_paths

    def reducer_override(self, obj):
        if self.numpy_paths == "v1":
            if type(obj) is np.ndarray:
                _, args, state = obj.__reduce__()
                return (_NumpyReconstruct, args, state)
            if isinstance(obj, np.generic):
                _, args = obj.__reduce__()[:2]
                return (_NumpyScalar, args)
        return NotImplemented

    def save_global(self, obj, name=None):
        if isinstance(obj, type) and issubclass(obj, _ReleaseGlobal) and obj is not _ReleaseGlobal:
            module, qualname = obj._release_path
            if self.proto >= 4:
                self.save(module)
                self.save(qualname)
                self.write(pickle.STACK_GLOBAL)
            else:
                self.write(pickle.GLOBAL + f"{module}\n{qualname}\n".encode("utf-8"))
            self.memoize(obj)
            return
        super().save_global(obj, name)


def _to_objects(state: dict) -> _NetworkStandIn:
    state = dict(state)
    state["components"] = {k: _to_objects(v) for k, v in state["components"].items()}
    return _NetworkStandIn(state)


def release_pickle_bytes(networks: dict[str, Any], protocol: int = 4, numpy_paths: str = "v1") -> bytes:
    """Pickle ``(G, D, Gs)`` from :func:`make_release_networks` the way the release did."""
    if protocol not in (2, 3, 4):
        raise ValueError(f"the release used pickle protocols 2-4, got {protocol}")
    if numpy_paths not in ("v1", "native"):
        raise ValueError(f"numpy_paths must be 'v1' or 'native', got {numpy_paths!r}")
    objs = tuple(_to_objects(networks[k]) for k in ("G", "D", "Gs") if k in networks)
    buf = io.BytesIO()
    _ReleasePickler(buf, protocol, numpy_paths).dump(objs)
    return buf.getvalue()


def write_release_pickle(path: str | os.PathLike, resolution: int = 32, *, protocol: int = 4,
                         numpy_paths: str = "v1", **kwargs) -> dict[str, Any]:
    """Write a STAND-IN release-format file with random weights; returns the networks written
    (see :func:`make_release_networks` for the keyword arguments)."""
    networks = make_release_networks(resolution, **kwargs)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(release_pickle_bytes(networks, protocol, numpy_paths))
    return networks
