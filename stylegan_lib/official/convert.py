"""From NVIDIA's StyleGAN v1 release networks to the book's ``Generator`` / ``Discriminator``.

What the conversion has to know (the release's storage conventions):

* **Layouts.** TensorFlow keeps a dense weight as [in, out] and a convolution as
  [k, k, in, out]; PyTorch wants [out, in] and [out, in, k, k]. A fused up-sampling layer
  (``Conv0_up`` from 128² on) stores the same [3, 3, in, out] kernel as a plain convolution —
  the padding into a 4×4 transposed-convolution kernel happens at run time, in both codes.
* **Equalised learning rate.** Weights are stored raw, :math:`\\hat w \\sim N(0, 1/\\lambda)`,
  and used as :math:`w = \\hat w \\cdot g/\\sqrt{n_{in}} \\cdot \\lambda`; biases as
  :math:`b = \\hat b \\cdot \\lambda`. The book's layers store the same raw values and apply
  the same factor (``EqualizedLinear.weight_gain``), so raw values copy over unchanged —
  provided gain g and multiplier λ agree, which :func:`check_gains` verifies.
* **Fixed noise and w̄.** ``noise{i}`` (one [1, 1, H, W] map per layer) becomes the layer's
  ``noise_const`` (``noise_mode="const"`` = the release's ``randomize_noise=False``);
  ``dlatent_avg`` becomes ``mapping.w_avg``.
* **Truncation.** The release's ``Gs.run`` truncates by default (ψ = 0.7, cutoff 8); the
  book's generator does not unless asked. :attr:`OfficialInfo.release_defaults` records the
  file's defaults so a caller can reproduce ``Gs.run(z, None)`` exactly.
* **Cars.** LSUN cars is 512×384, but the network renders 512×512 with black bars in the top
  and bottom 64 rows (the training images were letterboxed onto a square canvas).
  :func:`crop_letterbox` cuts them off.
"""
from __future__ import annotations

import datetime
import hashlib
import math
import os
import re
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..config import ModelConfig
from ..discriminator import Discriminator
from ..generator import Generator
from ..layers import SQRT2
from ..utils import get_device
from .unpickle import OfficialFormatError, ReleaseNetwork, read_release_pickle

#: The release's defaults that are not stored as variables (G_style / G_synthesis / D_basic).
RELEASE_DEFAULTS = dict(
    fmap_base=8192, fmap_decay=1.0, fmap_max=512, latent_size=512, dlatent_size=512,
    mapping_layers=8, mapping_fmaps=512, mapping_lrmul=0.01, mapping_nonlinearity="lrelu",
    normalize_latents=True, use_wscale=True, nonlinearity="lrelu", use_styles=True,
    use_noise=True, const_input_layer=True, use_pixel_norm=False, use_instance_norm=True,
    blur_filter=[1, 2, 1], fused_scale="auto", truncation_psi=0.7, truncation_cutoff=8,
    dlatent_avg_beta=0.995, style_mixing_prob=0.9, label_size=0, mbstd_group_size=4,
    mbstd_num_features=1, dtype="float32",
)
#: Settings the importer cannot represent, with the only value it accepts.
_REQUIRED = dict(fmap_decay=1.0, mapping_nonlinearity="lrelu", normalize_latents=True,
                 use_wscale=True, nonlinearity="lrelu", use_styles=True, const_input_layer=True,
                 use_pixel_norm=False, use_instance_norm=True, label_size=0)
#: Names of the later generations' variables: their presence means "not a v1 file".
_STYLEGAN2_MARKERS = ("mod_weight", "mod_bias", "noise_strength", "/ToRGB/", "/Skip/", "Dense0/mod")


@dataclass
class OfficialInfo:
    """Where an imported network came from and how the release used it."""

    path: str
    network: str                      # "Gs", "G" or "D"
    build_func_name: str
    version: int
    static_kwargs: dict
    resolution: int
    #: Keyword arguments that make ``G(z, truncation_psi=…, truncation_cutoff=…)`` equal to the
    #: release's ``Gs.run(z, None)`` with its defaults.
    release_defaults: dict = field(default_factory=dict)
    #: (width, height) of the real images when the square render is letterboxed (cars).
    letterbox: tuple[int, int] | None = None
    lod: float = 0.0
    sha256: str = ""

    def to_dict(self) -> dict:
        d = asdict(self)
        d["static_kwargs"] = _plain(d["static_kwargs"])
        d["letterbox"] = list(self.letterbox) if self.letterbox else None
        return d


# ------------------------------------------------------------------------------------------
# Configuration.
# ------------------------------------------------------------------------------------------
def _kwargs(*nets: ReleaseNetwork | None) -> dict:
    """The effective static kwargs: the release's defaults, updated by each network's kwargs."""
    out = dict(RELEASE_DEFAULTS)
    for net in nets:
        if net is not None:
            out.update(net.static_kwargs)
    return out


def _check_v1_names(net: ReleaseNetwork, where: str) -> None:
    names = net.all_variables()
    hits = sorted(n for n in names if any(m in n for m in _STYLEGAN2_MARKERS))
    if hits:
        raise OfficialFormatError(
            f"{where} is not a v1 file: network {net.name!r} has variables such as {hits[:3]}, "
            "which belong to StyleGAN2 (weight modulation); this importer reads StyleGAN v1 "
            "(karras2019stylegan-*.pkl) files only")


def _component(G: ReleaseNetwork, name: str, where: str) -> ReleaseNetwork:
    comp = G.components.get(name)
    if not isinstance(comp, ReleaseNetwork):
        raise OfficialFormatError(
            f"{where}: generator {G.name!r} (build function {G.build_func_name!r}) has no "
            f"{name!r} component (it has {sorted(G.components)}); StyleGAN v1 generators are "
            "G_style networks with 'mapping' and 'synthesis' components")
    return comp


def config_from_release(G: ReleaseNetwork, D: ReleaseNetwork | None = None,
                        where: str = "the file") -> ModelConfig:
    """The :class:`ModelConfig` of a release generator (and its discriminator).

    Sizes come from the variables' shapes; everything else from the networks' static kwargs
    with the release's defaults. Settings the book's model cannot represent, and settings of the
    wrong type or beyond :class:`ModelConfig`'s limits, raise :class:`OfficialFormatError`.
    """
    try:
        return _config_from_release(G, D, where)
    except OfficialFormatError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, OverflowError) as e:
        raise OfficialFormatError(f"{where}: the networks' settings or variable shapes cannot describe a "
                                  f"StyleGAN v1 network: {str(e)[:300]}") from None


def _config_from_release(G: ReleaseNetwork, D: ReleaseNetwork | None, where: str) -> ModelConfig:
    _check_v1_names(G, where)
    mapping, synthesis = _component(G, "mapping", where), _component(G, "synthesis", where)
    kw = _kwargs(G, synthesis, mapping)
    for key, want in _REQUIRED.items():
        got = kw.get(key)
        if got != want and not (isinstance(want, float) and isinstance(got, (int, float)) and float(got) == want):
            raise OfficialFormatError(
                f"{where}: the generator was built with {key}={got!r}; the book's model implements "
                f"the released StyleGAN ({key}={want!r}) and cannot import this variant")
    mv, sv = mapping.variables, synthesis.variables
    # Mapping network: count Dense{i} layers, read sizes from their shapes.
    n_map = 0
    while f"Dense{n_map}/weight" in mv:
        n_map += 1
    if n_map == 0:
        raise OfficialFormatError(f"{where}: the mapping network has no Dense0/weight variable")
    z_dim = int(mv["Dense0/weight"].shape[0])
    w_dim = int(mv[f"Dense{n_map - 1}/weight"].shape[1])
    mapping_fmaps = int(mv["Dense0/weight"].shape[1]) if n_map > 1 else int(kw["mapping_fmaps"])
    # Synthesis: resolution and channels.
    if "ToRGB_lod0/weight" not in sv:
        raise OfficialFormatError(f"{where}: the synthesis network has no ToRGB_lod0/weight variable")
    rgb = sv["ToRGB_lod0/weight"]
    img_channels = int(rgb.shape[-1])
    resolution = int(kw.get("resolution") or 0)
    sizes = [int(k.split("x")[0]) for k in sv if re.fullmatch(r"\d+x\d+/Conv1/weight", k)]
    largest = max(sizes, default=4)
    if resolution != largest:
        if resolution:
            raise OfficialFormatError(
                f"{where}: static kwargs say resolution {resolution}, but the largest synthesis "
                f"block is {largest}x{largest}")
        resolution = largest
    if resolution < 8 or resolution & (resolution - 1):
        raise OfficialFormatError(f"{where}: unsupported resolution {resolution}")
    fused = kw.get("fused_scale", "auto")
    fused_min = {"auto": 128, True: 8, False: 2 * resolution}.get(fused)
    if fused_min is None:
        raise OfficialFormatError(f"{where}: unknown fused_scale={fused!r}")
    blur = kw.get("blur_filter")
    blur = tuple(int(v) for v in blur) if blur else None
    use_noise = bool(kw.get("use_noise", True))
    Dk = _kwargs(D) if D is not None else RELEASE_DEFAULTS
    base = dict(
        img_resolution=resolution, img_channels=img_channels, z_dim=z_dim, w_dim=w_dim,
        mapping_layers=n_map, mapping_fmaps=mapping_fmaps,
        mapping_lr_mul=float(kw["mapping_lrmul"]), w_avg_beta=float(kw["dlatent_avg_beta"]),
        fmap_min=1, architecture="style", const_input=True, use_noise=use_noise,
        blur_filter=blur, fused_scale_min_res=fused_min,
        style_mixing_prob=float(kw["style_mixing_prob"]),
        mbstd_group_size=int(Dk["mbstd_group_size"]), mbstd_num_features=int(Dk["mbstd_num_features"]),
    )
    # Channels: nf(stage) = min(fmap_base / 2^stage, fmap_max). Take the kwargs, check them
    # against the shapes, and fall back to fitting fmap_base / fmap_max to the shapes.
    found = _synthesis_channels(sv, resolution)
    candidates = [(int(kw["fmap_base"]), int(kw["fmap_max"]))]
    fmax = max(found.values())
    for stage, ch in sorted(found.items()):
        if ch < fmax:
            candidates.append((ch * 2 ** stage, fmax))
            break
    else:
        candidates.append((fmax * 2, fmax))
    for fmap_base, fmap_max in candidates:
        cfg = ModelConfig(**base, fmap_base=fmap_base, fmap_max=fmap_max)
        if all(cfg.nf(s) == c for s, c in found.items()):
            return cfg
    raise OfficialFormatError(
        f"{where}: the synthesis channels per stage {dict(sorted(found.items()))} do not follow "
        "min(fmap_base / 2^stage, fmap_max) for any fmap_base / fmap_max; not a release architecture")


def _synthesis_channels(sv: dict, resolution: int) -> dict[int, int]:
    """{stage: channels} read from the ToRGB weights ([1, 1, C, 3]) of every resolution."""
    log2 = int(math.log2(resolution))
    out = {}
    for res in range(2, log2 + 1):
        key = f"ToRGB_lod{log2 - res}/weight"
        if key not in sv:
            raise OfficialFormatError(f"missing variable {key!r} in the synthesis network")
        out[res - 1] = int(sv[key].shape[2])
    return out


# ------------------------------------------------------------------------------------------
# Variable plans: (our name, release name, kind).
# kind: "dense" [in,out]→[out,in]; "conv" [k,k,in,out]→[out,in,k,k]; "copy" as is.
# ------------------------------------------------------------------------------------------
def generator_plan(config: ModelConfig) -> list[tuple[str, str, str]]:
    """Which release variable fills which parameter/buffer of ``Generator(config)``.

    Release names are ``mapping/…``, ``synthesis/…`` or top-level (``dlatent_avg``).
    """
    plan = []
    for i in range(config.mapping_layers):
        plan += [(f"mapping.layers.{i}.weight", f"mapping/Dense{i}/weight", "dense"),
                 (f"mapping.layers.{i}.bias", f"mapping/Dense{i}/bias", "copy")]
    plan.append(("mapping.w_avg", "dlatent_avg", "copy"))
    log2 = config.resolution_log2
    layer = 0

    def epilogue(ours: str, scope: str):
        nonlocal layer
        items = []
        if config.use_noise:
            items += [(f"{ours}.noise.weight", f"synthesis/{scope}/Noise/weight", "copy"),
                      (f"{ours}.noise_const", f"synthesis/noise{layer}", "copy")]
        items += [(f"{ours}.bias", f"synthesis/{scope}/bias", "copy"),
                  (f"{ours}.style.affine.weight", f"synthesis/{scope}/StyleMod/weight", "dense"),
                  (f"{ours}.style.affine.bias", f"synthesis/{scope}/StyleMod/bias", "copy")]
        layer += 1
        return items

    b = "synthesis.blocks"
    plan.append((f"{b}.b4.const", "synthesis/4x4/Const/const", "copy"))
    plan += epilogue(f"{b}.b4.epi0", "4x4/Const")
    plan.append((f"{b}.b4.conv1.weight", "synthesis/4x4/Conv/weight", "conv"))
    plan += epilogue(f"{b}.b4.epi1", "4x4/Conv")
    for res in range(3, log2 + 1):
        r = 2 ** res
        s = f"{r}x{r}"
        plan.append((f"{b}.b{r}.conv0.weight", f"synthesis/{s}/Conv0_up/weight", "conv"))
        plan += epilogue(f"{b}.b{r}.epi0", f"{s}/Conv0_up")
        plan.append((f"{b}.b{r}.conv1.weight", f"synthesis/{s}/Conv1/weight", "conv"))
        plan += epilogue(f"{b}.b{r}.epi1", f"{s}/Conv1")
    for res in range(2, log2 + 1):
        r, lod = 2 ** res, log2 - res
        plan += [(f"synthesis.torgb.b{r}.weight", f"synthesis/ToRGB_lod{lod}/weight", "conv"),
                 (f"synthesis.torgb.b{r}.bias", f"synthesis/ToRGB_lod{lod}/bias", "copy")]
    return plan


def discriminator_plan(config: ModelConfig) -> list[tuple[str, str, str]]:
    """Which ``D_basic`` variable fills which parameter of ``Discriminator(config)``."""
    log2 = config.resolution_log2
    plan = []
    for res in range(2, log2 + 1):
        r, lod = 2 ** res, log2 - res
        plan += [(f"fromrgb.b{r}.weight", f"FromRGB_lod{lod}/weight", "conv"),
                 (f"fromrgb.b{r}.bias", f"FromRGB_lod{lod}/bias", "copy")]
    for res in range(log2, 2, -1):
        r = 2 ** res
        plan += [(f"blocks.b{r}.conv0.weight", f"{r}x{r}/Conv0/weight", "conv"),
                 (f"blocks.b{r}.conv0.bias", f"{r}x{r}/Conv0/bias", "copy"),
                 (f"blocks.b{r}.conv1.weight", f"{r}x{r}/Conv1_down/weight", "conv"),
                 (f"blocks.b{r}.conv1.bias", f"{r}x{r}/Conv1_down/bias", "copy")]
    plan += [("blocks.b4.conv.weight", "4x4/Conv/weight", "conv"), ("blocks.b4.conv.bias", "4x4/Conv/bias", "copy"),
             ("blocks.b4.fc.weight", "4x4/Dense0/weight", "dense"), ("blocks.b4.fc.bias", "4x4/Dense0/bias", "copy"),
             ("blocks.b4.out.weight", "4x4/Dense1/weight", "dense"), ("blocks.b4.out.bias", "4x4/Dense1/bias", "copy")]
    return plan


def to_torch_layout(value: np.ndarray, kind: str) -> np.ndarray:
    """TF layout → PyTorch layout: dense [in, out] → [out, in]; conv [k, k, in, out] → [out, in, k, k]."""
    value = np.asarray(value)
    if kind == "dense":
        if value.ndim != 2:
            raise OfficialFormatError(f"expected a dense weight [in, out], got shape {list(value.shape)}")
        return value.T
    if kind == "conv":
        if value.ndim != 4:
            raise OfficialFormatError(f"expected a conv weight [k, k, in, out], got shape {list(value.shape)}")
        return value.transpose(3, 2, 0, 1)
    return value


def _check_plan(shapes: dict[str, tuple[int, ...]], plan, variables: dict[str, np.ndarray], what: str,
                where: str, ignore: tuple[str, ...] = ("lod",), optional: tuple[str, ...] = ()) -> list[str]:
    """Check the file's variables against the planned parameters (``shapes``: name → shape of
    the module's state): names, shapes, finite values. Returns the release names in
    ``optional`` that are missing (their tensors keep the module's values)."""
    missing_optional = []
    planned_ours = {p[0] for p in plan}
    for ours, theirs, kind in plan:
        if ours not in shapes:
            raise OfficialFormatError(f"internal: {ours!r} is not a parameter of the {what}")
        if theirs not in variables:
            if theirs in optional:
                missing_optional.append(theirs)
                continue
            raise OfficialFormatError(
                f"{where}: the {what} needs the variable {theirs!r}, which the file lacks; "
                "the file is not a complete StyleGAN v1 network")
        value = to_torch_layout(variables[theirs], kind)
        if tuple(value.shape) != tuple(shapes[ours]):
            raise OfficialFormatError(
                f"{where}: variable {theirs!r} has shape {list(np.shape(variables[theirs]))}, which "
                f"does not fit {ours} {list(shapes[ours])} of the {what} built from the file's "
                "settings; the file's architecture differs from the released StyleGAN")
        if not np.isfinite(value).all():
            raise OfficialFormatError(
                f"{where}: variable {theirs!r} of the {what} holds non-finite values (NaN or inf): the "
                "file is corrupt or the network diverged before it was saved; use another copy")
    extra = sorted(set(variables) - {p[1] for p in plan} - {n for n in variables
                                                            if n.rsplit("/", 1)[-1] in ignore})
    if extra:
        raise OfficialFormatError(
            f"{where}: the {what} has variables the importer does not know: {extra[:5]}"
            f"{' …' if len(extra) > 5 else ''}; the file is not the released StyleGAN v1 architecture")
    unplanned = sorted(k for k in shapes if k not in planned_ours and not k.endswith("w_avg_updates"))
    if unplanned:
        raise OfficialFormatError(f"internal: no release variable for {unplanned[:5]} of the {what}")
    return missing_optional


def _meta_shapes(cls, config: ModelConfig) -> dict[str, tuple[int, ...]]:
    """Parameter shapes of ``cls(config)``, built on the meta device (nothing allocated)."""
    with torch.device("meta"):
        return {k: tuple(v.shape) for k, v in cls(config).state_dict().items()}


def _fill(module: torch.nn.Module, plan, variables: dict[str, np.ndarray]) -> None:
    """Copy the planned variables (checked by :func:`_check_plan`) into ``module``."""
    new = {ours: torch.from_numpy(np.ascontiguousarray(to_torch_layout(variables[theirs], kind),
                                                       dtype=np.float32))
           for ours, theirs, kind in plan if theirs in variables}
    module.load_state_dict(new, strict=False)


def check_gains(G: Generator) -> None:
    """Check that the generator's layers apply the release's run-time factors g/√fan_in·λ
    (weights) and λ (biases), so raw values can be copied. Raises ``AssertionError`` naming any
    mismatch."""
    cfg = G.config
    lrmul = cfg.mapping_lr_mul
    for i, layer in enumerate(G.mapping.layers):
        _expect(layer.weight_gain, SQRT2 / math.sqrt(layer.in_features) * lrmul, f"mapping Dense{i} weight")
        _expect(layer.bias_gain, lrmul, f"mapping Dense{i} bias")
    for block in G.synthesis.blocks.values():
        for conv in (getattr(block, "conv0", None), block.conv1):
            if conv is not None:
                _expect(conv.weight_gain, SQRT2 / math.sqrt(conv.in_channels * 9), f"conv {conv}")
        for epi in (block.epi0, block.epi1):
            a = epi.style.affine
            _expect(a.weight_gain, 1.0 / math.sqrt(a.in_features), "StyleMod weight")
            _expect(a.bias_gain, 1.0, "StyleMod bias")
    for rgb in G.synthesis.torgb.values():
        _expect(rgb.weight_gain, 1.0 / math.sqrt(rgb.in_channels), "ToRGB weight")
        _expect(rgb.bias_gain, 1.0, "ToRGB bias")


def check_discriminator_gains(D: Discriminator) -> None:
    """The same check for D: gain √2 everywhere except the last dense layer (gain 1), λ = 1."""
    out = D.blocks["b4"].out
    for m in D.modules():
        if hasattr(m, "weight_gain"):
            fan_in = m.in_features if hasattr(m, "in_features") else m.in_channels * m.kernel_size ** 2
            gain = 1.0 if m is out else SQRT2
            _expect(m.weight_gain, gain / math.sqrt(fan_in), f"D layer {m}")
            _expect(m.bias_gain, 1.0, f"D layer bias {m}")


def _expect(got: float, want: float, what: str) -> None:
    if not math.isclose(got, want, rel_tol=1e-6):
        raise AssertionError(f"{what}: run-time weight factor {got!r}, the release uses {want!r}")


# ------------------------------------------------------------------------------------------
# Whole networks.
# ------------------------------------------------------------------------------------------
def convert_generator(G: ReleaseNetwork, config: ModelConfig | None = None,
                      where: str = "the file") -> Generator:
    """A book ``Generator`` (on the CPU) holding the weights of a release ``G_style`` network."""
    config = config or config_from_release(G, where=where)
    variables = G.all_variables()
    plan = generator_plan(config)
    missing = _check_plan(_meta_shapes(Generator, config), plan, variables, "generator", where,
                          optional=("dlatent_avg",))
    model = Generator(config)
    check_gains(model)
    _fill(model, plan, variables)
    with torch.no_grad():
        if missing:
            warnings.warn(f"{where}: {G.name} has no dlatent_avg (running average of w); truncation "
                          "needs G.mapping.compute_w_avg() first", stacklevel=3)
        else:
            model.mapping.w_avg_updates.fill_(1)  # w̄ is known: truncation may be used
    return model


def convert_discriminator(D: ReleaseNetwork, config: ModelConfig, where: str = "the file") -> Discriminator:
    """A book ``Discriminator`` holding the weights of a release ``D_basic`` network."""
    if not D.build_func_name.endswith("D_basic"):
        raise OfficialFormatError(f"{where}: network {D.name!r} is not a discriminator")
    _check_v1_names(D, where)
    if int(_kwargs(D).get("label_size", 0)):
        raise OfficialFormatError(f"{where}: the discriminator is conditional (label_size > 0); not supported")
    plan, variables = discriminator_plan(config), D.all_variables()
    _check_plan(_meta_shapes(Discriminator, config), plan, variables, "discriminator", where)
    model = Discriminator(config)
    check_discriminator_gains(model)
    _fill(model, plan, variables)
    return model


def _letterbox_from_name(path: Path, resolution: int) -> tuple[int, int] | None:
    """(width, height) from a release file name such as ``…-cars-512x384.pkl`` when not square."""
    m = re.search(r"(\d+)x(\d+)", path.name)
    if not m:
        return None
    w, h = int(m.group(1)), int(m.group(2))
    if w == h or max(w, h) != resolution:
        return None
    return (w, h)


def crop_letterbox(images: torch.Tensor, width: int = 512, height: int = 384) -> torch.Tensor:
    """Cut a square render down to the real ``width``×``height`` image in its centre.

    The LSUN-cars release renders 512×512; its training images were 512×384 placed in the
    middle of a black square canvas, so rows 64…447 hold the picture and the top and bottom 64
    rows are black bars. ``crop_letterbox(G(z))`` → [N, 3, 384, 512].
    """
    size_h, size_w = images.shape[-2:]
    if height > size_h or width > size_w:
        raise ValueError(f"cannot crop {width}x{height} out of {size_w}x{size_h} images")
    top, left = (size_h - height) // 2, (size_w - width) // 2
    return images[..., top:top + height, left:left + width]


def sha256_of(path: str | os.PathLike, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _info(net: ReleaseNetwork, path: Path, resolution: int, digest: str, network: str) -> OfficialInfo:
    kw = _kwargs(net, *net.components.values())
    lods = [float(np.asarray(v).reshape(-1)[0]) for k, v in net.all_variables().items()
            if k.rsplit("/", 1)[-1] == "lod" and np.size(v) == 1]
    lod = max(lods, default=0.0)
    return OfficialInfo(
        path=str(path), network=network, build_func_name=net.build_func_name, version=int(net.version),
        static_kwargs=_plain(net.static_kwargs), resolution=resolution,
        release_defaults=_release_defaults(kw, resolution) if network != "D" else {},
        letterbox=_letterbox_from_name(path, resolution), lod=lod, sha256=digest)


def _release_defaults(kw: dict, resolution: int) -> dict:
    """The release's default truncation as arguments of the book's ``G``/``G.mapping``.

    The release truncates style input i when i < cutoff, so a cutoff above the number of style
    inputs (8 on a 16² stand-in with 6 inputs) means "all"; the book's mapping network wants a
    cutoff within [0, num_ws], so it is clipped (same images)."""
    psi, cutoff = kw["truncation_psi"], kw["truncation_cutoff"]
    num_ws = 2 * int(math.log2(resolution)) - 2
    if psi is None:
        return {"truncation_psi": 1.0, "truncation_cutoff": None}
    return {"truncation_psi": float(psi),
            "truncation_cutoff": None if cutoff is None else min(int(cutoff), num_ws)}


def read_official(path: str | os.PathLike, which: str = "Gs", discriminator: bool = False,
                  with_hash: bool = True, networks: tuple[ReleaseNetwork, ...] | None = None):
    """Read a release file into book models on the CPU.

    Returns ``(G, D_or_None, info)`` where ``G`` is the network named ``which`` ("Gs", the
    smoothed generator the paper's images come from, or "G", the training generator).
    ``networks``: the file's ``(G, D, Gs)`` if already read with :func:`read_release_pickle`.
    """
    path = Path(path)
    where = repr(str(path))
    nets = networks if networks is not None else read_release_pickle(path)
    if len(nets) != 3:
        raise OfficialFormatError(
            f"{where} holds {len(nets)} network(s); a StyleGAN v1 release file holds the tuple (G, D, Gs)")
    G_rel, D_rel, Gs_rel = nets
    if which not in ("Gs", "G"):
        raise ValueError(f"which must be 'Gs' (the smoothed generator) or 'G', got {which!r}")
    gen = Gs_rel if which == "Gs" else G_rel
    if not gen.build_func_name.endswith("G_style"):
        raise OfficialFormatError(
            f"{where}: network {gen.name!r} was built by {gen.build_func_name!r}; StyleGAN v1 "
            "generators are built by G_style")
    try:
        config = config_from_release(gen, D_rel, where)
        G = convert_generator(gen, config, where)
        D = convert_discriminator(D_rel, config, where) if discriminator else None
        info = _info(gen, path, config.img_resolution, "", which)
    except OfficialFormatError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, OverflowError, AttributeError) as e:
        raise OfficialFormatError(f"{where} is not a well-formed StyleGAN v1 release file: "
                                  f"{type(e).__name__}: {str(e)[:300]}") from None
    info.sha256 = sha256_of(path) if with_hash else ""
    if info.lod != 0:
        warnings.warn(f"{where}: the file was saved at level of detail {info.lod} (mid progressive "
                      f"growing); pass lod={info.lod} to G.synthesis to render as the release would",
                      stacklevel=2)
    return G, D, info


def load_official(path: str | os.PathLike, device="auto", return_discriminator: bool = False,
                  which: str = "Gs"):
    """Load one of NVIDIA's StyleGAN v1 release pickles (``karras2019stylegan-*.pkl``) into the
    book's model, without TensorFlow and without executing anything from the file.

    Returns the generator (``Gs`` by default, in eval mode on ``device``), or ``(G, D)`` with
    ``return_discriminator=True``. The release's fixed noise maps are the ``"const"`` noise and
    its running average of w is ``G.mapping.w_avg``. ``G.official`` (an :class:`OfficialInfo`)
    tells the release's default truncation (``G(z, **G.official.release_defaults,
    noise_mode="const")`` is ``Gs.run(z, None, randomize_noise=False)``) and, for the 512×384
    cars model, the letterbox to crop with :func:`crop_letterbox`.
    """
    G, D, info = read_official(path, which=which, discriminator=return_discriminator)
    dev = get_device(device)
    G.official = info
    G.checkpoint_meta = provenance(info)
    G = G.eval().requires_grad_(False).to(dev)
    if return_discriminator:
        D.official = OfficialInfo(**{**asdict(info), "network": "D", "release_defaults": {}})
        return G, D.eval().to(dev)
    return G


def provenance(info: OfficialInfo) -> dict:
    """Plain-data provenance for a converted checkpoint."""
    from .. import __version__

    return {"source": "NVIDIA StyleGAN v1 release pickle (imported by stylegan_lib.official)",
            "importer": f"stylegan_lib {__version__}",
            "imported_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "official": info.to_dict()}


def _plain(obj: Any) -> Any:
    """Make static kwargs plain data (lists, dicts, str, numbers) for checkpoints and JSON."""
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    return repr(obj)
