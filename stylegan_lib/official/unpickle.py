"""Reading NVIDIA's StyleGAN v1 release pickles without executing them.

A release file (``karras2019stylegan-ffhq-1024x1024.pkl`` and its siblings) is a Python pickle
of the tuple ``(G, D, Gs)``. Each element is an object of the TensorFlow-side class
``dnnlib.tflib.network.Network``, whose state is a plain dict::

    version          2 or 3 (StyleGAN2 / ADA files say 4)
    name             "G", "D", "Gs", "G_mapping", "G_synthesis", …
    static_kwargs    the keyword arguments the network was built with
    components       {"mapping": Network, "synthesis": Network} (empty for D)
    build_module_src the Python source of the module that built the graph
    build_func_name  e.g. "G_style"
    variables        [(name, numpy array), …] in TensorFlow layout

An ordinary ``pickle.load`` would *import* ``dnnlib`` and run whatever the file names: a pickle
is a program, and a file from the internet could carry any code. :class:`RestrictedUnpickler`
resolves a global name only from a short allow-list — numpy's array, scalar and dtype
reconstructors (under both numpy 1 and numpy 2 module paths), the bytes decoder that protocol-2
pickles use, ``collections.OrderedDict``, and :class:`ReleaseNetwork`, a stand-in for
``Network`` that only stores its state — and refuses everything else with an error naming the
refused global. The build module's source text is kept as a string and never compiled.

What the file declares is bounded before anything is allocated: an array's shape (at most
:data:`MAX_ARRAY_ELEMENTS` elements) must match the raw bytes it carries, dtypes are plain
numeric ones, and the unpickled structure may nest at most :data:`MAX_DEPTH` levels and hold at
most :data:`MAX_OBJECTS` objects (which also refuses self-referencing structures).
"""
from __future__ import annotations

import collections
import io
import math
import os
import pickle
from pathlib import Path
from typing import Any

import numpy as np

#: The class path under which the release pickled its networks.
NETWORK_CLASS = ("dnnlib.tflib.network", "Network")
#: State versions written by the StyleGAN v1 code (dnnlib of 2018–2019).
V1_VERSIONS = (2, 3)
#: Keys every v1 network state carries.
STATE_KEYS = ("version", "name", "static_kwargs", "components", "build_module_src",
              "build_func_name", "variables")


class OfficialFormatError(ValueError):
    """A file that is not a readable StyleGAN v1 release pickle (corrupt, truncated, another
    kind of file, a StyleGAN2 file, or a pickle that asks for something we refuse to load)."""


class RefusedGlobalError(OfficialFormatError, pickle.UnpicklingError):
    """The pickle names a Python global that is not on the allow-list (it may carry code)."""


class ReleaseNetwork:
    """Harmless stand-in for ``dnnlib.tflib.network.Network``: it keeps the pickled state dict
    and nothing else (no TensorFlow, no graph building, no code from the file is run)."""

    def __setstate__(self, state: Any) -> None:
        if not isinstance(state, dict):
            raise OfficialFormatError(
                f"a network object's state is a {type(state).__name__}, expected a dict: "
                "this is not a StyleGAN release pickle")
        self.state = state

    # Convenient read-only views of the state -------------------------------------------------
    @property
    def version(self):
        return self.state.get("version")

    @property
    def name(self) -> str:
        return str(self.state.get("name"))

    @property
    def static_kwargs(self) -> dict:
        return dict(self.state.get("static_kwargs") or {})

    @property
    def components(self) -> dict:
        return dict(self.state.get("components") or {})

    @property
    def build_func_name(self) -> str:
        return str(self.state.get("build_func_name"))

    @property
    def variables(self) -> dict[str, np.ndarray]:
        """The network's own variables, name → numpy array (TF layout)."""
        return {str(k): np.asarray(v) for k, v in self.state.get("variables", [])}

    def all_variables(self, prefix: str = "") -> dict[str, np.ndarray]:
        """Own variables plus those of the components, as ``component/name`` (the release's
        ``Network.vars`` naming)."""
        out = {prefix + k: v for k, v in self.variables.items()}
        for cname, comp in self.components.items():
            if isinstance(comp, ReleaseNetwork):
                out.update(comp.all_variables(f"{prefix}{cname}/"))
        return out

    def __repr__(self) -> str:
        return (f"ReleaseNetwork(name={self.name!r}, func={self.build_func_name!r}, "
                f"version={self.version!r}, variables={len(self.state.get('variables', []))}, "
                f"components={sorted(self.components)})")


# ------------------------------------------------------------------------------------------
# The allow-list. Each entry wraps the real numpy function with a check of what it is asked,
# and nothing is allocated before the size it declares has been checked.
# ------------------------------------------------------------------------------------------
_NP_RECONSTRUCT = np.zeros(1).__reduce__()[0]      # numpy.(_)core.multiarray._reconstruct
_NP_SCALAR = np.float32(0).__reduce__()[0]          # numpy.(_)core.multiarray.scalar

#: The most elements one array may declare (the largest array of the 1024² release, D's
#: ``4x4/Dense0/weight``, has 8192 × 512 ≈ 4.2 million).
MAX_ARRAY_ELEMENTS = 1 << 26
#: How deeply containers may nest, and how many objects the unpickled structure may hold
#: counting shared ones each time they are reached (a release file: depth 8, a few thousand).
MAX_DEPTH = 32
MAX_OBJECTS = 1_000_000


def _shape_text(shape) -> str:
    text = repr(shape)
    return text if len(text) <= 80 else text[:77] + "..."


def _check_shape(shape) -> tuple[int, ...]:
    if not isinstance(shape, (tuple, list)) or len(shape) > 32 or not all(
            isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise OfficialFormatError(f"an array in the pickle has the malformed shape {_shape_text(shape)}: refused")
    count = math.prod(int(d) for d in shape)
    if count > MAX_ARRAY_ELEMENTS:
        raise OfficialFormatError(
            f"an array in the pickle declares the shape {_shape_text(shape)} ({count:,} elements), more "
            f"than the {MAX_ARRAY_ELEMENTS:,} any release file needs: refused before allocating it")
    return tuple(int(d) for d in shape)


def _check_dtype(dtype) -> np.dtype:
    if isinstance(dtype, ReleaseDtype):
        dtype = dtype.dtype
    try:
        dt = np.dtype(dtype)
    except Exception as e:  # numpy raises TypeError, ValueError, SyntaxError, … for odd specs
        raise OfficialFormatError(f"the pickle asks for the numpy dtype {_shape_text(dtype)}, which numpy "
                                  f"does not understand ({type(e).__name__}): refused") from None
    if dt.hasobject:
        raise OfficialFormatError(
            f"the pickle asks for a numpy array of Python objects (dtype {dt}); release files hold "
            "only numeric arrays, and object arrays could smuggle code: refused")
    if dt.kind not in "biufc" or dt.subdtype is not None or dt.fields is not None:
        raise OfficialFormatError(f"the pickle asks for the numpy dtype {dt}; release files hold only "
                                  "plain numeric arrays: refused")
    return dt


class ReleaseDtype:
    """What a pickled ``numpy.dtype`` becomes: the plain numeric dtype it names, with the byte
    order of its pickled state. numpy's own ``dtype.__setstate__``, which accepts structured and
    sub-array layouts no release file uses, is never run on the file's data."""

    def __init__(self, dtype: np.dtype):
        self.dtype = dtype

    def __setstate__(self, state: Any) -> None:
        # (version, byte order, sub-array, names, fields, item size, alignment, flags[, metadata])
        if not isinstance(state, tuple) or len(state) not in (8, 9):
            raise OfficialFormatError("a numpy dtype in the pickle has a malformed state: refused")
        order, subarray, names, fields = state[1:5]
        if subarray is not None or names is not None or fields is not None:
            raise OfficialFormatError("a numpy dtype in the pickle declares a structured or sub-array "
                                      "layout; release files hold only plain numeric arrays: refused")
        if order not in ("<", ">", "|", "="):
            raise OfficialFormatError(f"a numpy dtype in the pickle has the byte order {order!r}: refused")
        if order in "<>":
            self.dtype = self.dtype.newbyteorder(order)

    def __repr__(self) -> str:
        return f"dtype({str(self.dtype)!r})"


class ReleaseArray(np.ndarray):
    """What numpy's reconstructor builds while unpickling: an ndarray whose ``__setstate__``
    checks the declared shape and dtype and that the raw data holds exactly that many bytes
    before numpy sees them (so memory is bounded by the file's size)."""

    def __setstate__(self, state: Any) -> None:
        if isinstance(state, tuple) and len(state) == 5:
            version, shape, dtype, fortran, raw = state
        elif isinstance(state, tuple) and len(state) == 4:
            version, (shape, dtype, fortran, raw) = 1, state
        else:
            raise OfficialFormatError("a numpy array in the pickle has a malformed state: refused")
        shape, dt = _check_shape(shape), _check_dtype(dtype)
        if not isinstance(raw, (bytes, bytearray)):
            raise OfficialFormatError(f"a numpy array in the pickle carries its data as a "
                                      f"{type(raw).__name__}, not raw bytes: refused")
        need = math.prod(shape) * dt.itemsize
        if len(raw) != need:
            raise OfficialFormatError(
                f"a numpy array in the pickle declares the shape {_shape_text(shape)} of {dt} ({need:,} "
                f"bytes) but carries {len(raw):,} bytes of data: the file is corrupt or was tampered with")
        super().__setstate__((version, shape, dt, bool(fortran), bytes(raw)))


class _NdarrayName:
    """What the global ``numpy.ndarray`` resolves to: the class argument numpy's reconstructor
    expects. Calling it is refused (``numpy.ndarray(shape)`` would allocate whatever the file
    declares)."""

    def __new__(cls, *args, **kwargs):
        raise OfficialFormatError("the pickle calls numpy.ndarray directly; release files build arrays "
                                  "only through numpy's reconstructor: refused")


def _safe_reconstruct(cls, shape, typecode):
    """numpy's ``_reconstruct(ndarray, (0,), b'b')``: an empty array later filled by BUILD."""
    if cls is not _NdarrayName:
        raise OfficialFormatError(f"numpy _reconstruct was asked to build {cls!r}; only plain "
                                  "numpy.ndarray is allowed")
    shape = _check_shape(shape)
    if math.prod(shape) != 0:
        raise OfficialFormatError(f"numpy _reconstruct was asked for the shape {_shape_text(shape)}; "
                                  "pickled arrays start empty and get their data from their state: refused")
    return _NP_RECONSTRUCT(ReleaseArray, shape, _check_dtype(typecode))


def _safe_scalar(dtype, data=None):
    """numpy's ``scalar(dtype, bytes)``: a numpy scalar such as ``np.float32(0)``."""
    dt = _check_dtype(dtype)
    if not isinstance(data, (bytes, bytearray)) or len(data) != dt.itemsize:
        raise OfficialFormatError("a numpy scalar in the pickle does not carry exactly its raw bytes: refused")
    return _NP_SCALAR(dt, bytes(data))


def _safe_dtype(spec, align=False, copy=False):
    """``numpy.dtype('f4', False, True)`` as pickled (its state is set by BUILD afterwards)."""
    if not isinstance(spec, str) or len(spec) > 16:
        raise OfficialFormatError(f"numpy dtype spec {_shape_text(spec)} is not a short string: refused")
    return ReleaseDtype(_check_dtype(spec))


def _safe_codecs_encode(text, encoding="utf-8"):
    """Protocol-2 pickles write bytes as ``_codecs.encode(str, 'latin1')``."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1", "iso-8859-1"):
        raise OfficialFormatError(f"_codecs.encode called with ({type(text).__name__}, {encoding!r}): refused")
    return text.encode("latin1")


def _safe_frombuffer(buf, dtype, shape, order):
    """numpy's protocol-5 array reconstructor (files re-saved by newer Pythons)."""
    dt, shape = _check_dtype(dtype), _check_shape(shape)
    data = bytes(buf) if isinstance(buf, (bytes, bytearray, pickle.PickleBuffer)) else None
    if data is None or len(data) != math.prod(shape) * dt.itemsize or order not in ("C", "F"):
        raise OfficialFormatError(f"a numpy array in the pickle declares the shape {_shape_text(shape)} "
                                  "but its data does not fit it: refused")
    return np.frombuffer(data, dtype=dt).reshape(shape, order=order).copy()


_ALLOWED: dict[tuple[str, str], Any] = {
    NETWORK_CLASS: ReleaseNetwork,
    ("numpy", "ndarray"): _NdarrayName,
    ("numpy", "dtype"): _safe_dtype,
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("_codecs", "encode"): _safe_codecs_encode,
}
for _mod in ("numpy.core.multiarray", "numpy._core.multiarray"):   # numpy 1 / numpy 2 paths
    _ALLOWED[(_mod, "_reconstruct")] = _safe_reconstruct
    _ALLOWED[(_mod, "scalar")] = _safe_scalar
for _mod in ("numpy.core.numeric", "numpy._core.numeric"):
    _ALLOWED[(_mod, "_frombuffer")] = _safe_frombuffer


def check_nesting(obj: Any, where: str = "the file") -> None:
    """Refuse structures nested more than :data:`MAX_DEPTH` deep, self-referencing ones, and
    ones that expand to more than :data:`MAX_OBJECTS` objects (a few bytes of pickle can
    describe a list of lists that doubles at every level). Iterative: no recursion limit."""
    stack = [(obj, 0)]
    count = 0
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise OfficialFormatError(
                f"{where} holds containers nested more than {MAX_DEPTH} levels deep, or one that "
                "contains itself; release files nest a few levels: refused")
        if isinstance(item, ReleaseNetwork):
            children = [getattr(item, "state", None)]
        elif isinstance(item, dict):
            children = [*item.keys(), *item.values()]
        elif isinstance(item, (list, tuple, set, frozenset)):
            children = list(item)
        else:
            continue
        count += len(children)
        if count > MAX_OBJECTS:
            raise OfficialFormatError(
                f"{where} holds more than {MAX_OBJECTS:,} objects (counting shared ones each time they "
                "appear); release files hold a few thousand: refused")
        stack.extend((child, depth + 1) for child in children)


def allowed_globals() -> list[str]:
    """The only ``module.name`` globals a release pickle may mention."""
    return sorted(f"{m}.{n}" for m, n in _ALLOWED)


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that resolves only the globals in :func:`allowed_globals` and never imports
    a module named by the file."""

    def find_class(self, module: str, name: str):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            hint = ""
            if module.split(".")[0] in ("torch", "torch_utils", "legacy", "training"):
                hint = (" It looks like a PyTorch pickle of StyleGAN2-ADA / StyleGAN3: not a v1 "
                        "file, and not readable here.")
            elif module.startswith("dnnlib"):
                hint = (" dnnlib.tflib.network.Network is the only dnnlib class the released v1 "
                        "files use; if this is an unmodified NVIDIA release file, please report it.")
            raise RefusedGlobalError(
                f"refused to load the global {module}.{name} named in the pickle: a StyleGAN v1 "
                "release file holds only dnnlib.tflib.network.Network objects and numpy arrays, "
                "so this file is either not a release file or was tampered with. Nothing from it "
                f"was executed.{hint}") from None

    def persistent_load(self, pid):
        raise RefusedGlobalError(f"refused the persistent id {pid!r} in the pickle: release files have none")


def restricted_loads(data: bytes) -> Any:
    """Unpickle bytes with :class:`RestrictedUnpickler` (never executes code from the data), and
    check the result with :func:`check_nesting`."""
    obj, _ = _load(io.BytesIO(data), "the data")
    return obj


def _load(f, where: str) -> tuple[Any, bool]:
    """(the unpickled object, whether data follows its end), every failure an OfficialFormatError."""
    try:
        obj = RestrictedUnpickler(f).load()
        trailing = bool(f.read(1))
    except OfficialFormatError as e:
        raise type(e)(f"{where}: {e}") from None
    except Exception as e:  # the unpickler and numpy raise many kinds: RecursionError, SystemError, …
        text = str(e).splitlines()[0][:200] if str(e).strip() else ""
        truncated = isinstance(e, EOFError) or "truncated" in text.lower() or "ran out" in text.lower()
        what = ("is truncated (the pickle ends early; re-download or re-copy it)" if truncated
                else "is corrupt or not a StyleGAN v1 release pickle")
        raise OfficialFormatError(f"{where} {what}: {type(e).__name__}{': ' + text if text else ''}") from None
    check_nesting(obj, where)
    return obj, trailing


def read_release_pickle(path: str | os.PathLike) -> tuple[ReleaseNetwork, ...]:
    """Read a v1 release file into ``(G, D, Gs)`` stand-ins, checking its structure.

    Raises :class:`OfficialFormatError` with an explanation for a missing, empty, truncated or
    unrelated file, a refused global, or a StyleGAN2/ADA file ("not a v1 file").
    """
    path = Path(path)
    where = f"{str(path)!r}"
    if path.is_dir():
        raise OfficialFormatError(f"{where} is a directory, not a release file: give the path of the "
                                  ".pkl file itself (e.g. karras2019stylegan-ffhq-1024x1024.pkl)")
    if not path.is_file():
        raise OfficialFormatError(f"{where} does not exist (or is not a regular file)")
    try:
        f = open(path, "rb")
    except OSError as e:
        raise OfficialFormatError(f"cannot open {where}: {e.strerror or e}; check its permissions") from None
    with f:
        head = f.read(8)
        if not head:
            raise OfficialFormatError(f"{where} is empty")
        if head[:1] != pickle.PROTO and head[:1] not in (b"(", b"c", b"]", b"}"):
            hint = ""
            if head[:2] == b"PK":
                hint = (" It looks like a zip archive, e.g. a PyTorch .pt checkpoint: load those with "
                        "stylegan_lib.load_generator / load_pretrained.")
            raise OfficialFormatError(f"{where} is not a Python pickle (it starts with {head!r}).{hint}")
        f.seek(0)
        obj, trailing = _load(f, where)
    if trailing:
        raise OfficialFormatError(f"{where} has data after the end of its pickle: not a release file "
                                  "(or two files were concatenated)")
    return check_release_tuple(obj, where)


def check_release_tuple(obj: Any, where: str = "the file") -> tuple[ReleaseNetwork, ...]:
    """Check that an unpickled object is the release's ``(G, D, Gs)`` of v1 networks."""
    if isinstance(obj, ReleaseNetwork):
        obj = (obj,)
    if not isinstance(obj, tuple) or not obj or not all(isinstance(o, ReleaseNetwork) for o in obj):
        kind = type(obj).__name__
        if isinstance(obj, dict) and ("G_ema" in obj or "training_set_kwargs" in obj):
            raise OfficialFormatError(
                f"{where} is not a v1 file: it is a dict with {sorted(map(str, obj))[:6]}, the layout of "
                "StyleGAN2-ADA / StyleGAN3 PyTorch pickles. This importer reads StyleGAN v1 "
                "(karras2019stylegan-*.pkl) release files only.")
        raise OfficialFormatError(
            f"{where} holds a {kind}, not the tuple (G, D, Gs) of dnnlib networks of a StyleGAN v1 "
            "release file")
    for net in obj:
        _check_state(net, where)
    return obj


def _check_state(net: ReleaseNetwork, where: str) -> None:
    state = getattr(net, "state", None)
    if not isinstance(state, dict):
        raise OfficialFormatError(f"{where}: a network object carries no state")
    missing = [k for k in ("version", "name", "static_kwargs", "variables") if k not in state]
    if missing:
        raise OfficialFormatError(f"{where}: a network state lacks {missing}; not a release file")
    name = state["name"]
    if not isinstance(name, str) or len(name) > 200:
        raise OfficialFormatError(f"{where}: a network's name is not a short string; not a release file")
    version = state["version"]
    if isinstance(version, bool) or not isinstance(version, int) or version not in V1_VERSIONS:
        later = " (StyleGAN2 / StyleGAN2-ADA TensorFlow releases write version 4)" if version == 4 else ""
        raise OfficialFormatError(
            f"{where} is not a v1 file: network {name!r} has state version {_shape_text(version)}"
            f"{later}; StyleGAN v1 files have version 2 or 3. Use NVIDIA's StyleGAN2 tooling for "
            "later generations.")
    for key in ("static_kwargs", "components"):
        value = state.get(key)
        if value is not None and not (isinstance(value, dict) and all(isinstance(k, str) for k in value)):
            raise OfficialFormatError(f"{where}: {key} of network {name!r} is a {type(value).__name__}, "
                                      "not a dict of names; not a release file")
    if not isinstance(state.get("build_func_name", ""), str):
        raise OfficialFormatError(f"{where}: build_func_name of network {name!r} is not a string")
    variables = state["variables"]
    if not isinstance(variables, (list, tuple)):
        raise OfficialFormatError(f"{where}: variables of {name!r} are not a list")
    for item in variables:
        if not (isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], str)):
            raise OfficialFormatError(f"{where}: malformed variable entry in {name!r}")
        value = item[1]
        if not isinstance(value, (np.ndarray, np.generic)) or value.dtype.kind not in "fiub":
            raise OfficialFormatError(
                f"{where}: variable {item[0][:200]!r} of {name!r} is a "
                f"{type(value).__name__}, expected a numeric numpy array")
    for cname, comp in (state.get("components") or {}).items():
        if not isinstance(comp, ReleaseNetwork):
            raise OfficialFormatError(f"{where}: component {cname!r} is not a network object")
        _check_state(comp, where)
