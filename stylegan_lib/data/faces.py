"""Synthetic cartoon faces whose factors of variation are known exactly.

Why a synthetic data set
------------------------
The StyleGAN paper (Karras et al., 2019, §4) argues that the intermediate latent space W is
*more disentangled* than the input space Z: moving along one direction in W should change one
factor of variation (pose, hair length, glasses, …) and leave the others alone.  With photos
you can only guess at the factors (the paper trains attribute classifiers on CelebA-HQ to
measure it).  Here every image is drawn from a short list of named numbers, so the truth is
known: we can label every image, leave a combination out on purpose (the empty quadrant of
the paper's Figure 6a), and later check how well a trained generator separates the factors.

How a face is drawn
-------------------
Every part of a face is a 2-D shape described by a *signed distance*: a function that is
negative inside the shape, positive outside and measures (roughly) how far a point is from
the edge.  Evaluating it at every pixel centre and turning the distance into a coverage
``clip(0.5 - d / pixel_size, 0, 1)`` gives an edge that is one pixel wide and anti-aliased,
at any resolution, without supersampling.  Shapes are painted back to front (background,
shoulders, neck, long hair, ears, head, beard, nose, eyes and eyebrows, glasses, mouth,
fringe: one small painter each), and everything is computed for a whole batch at once: a
per-image parameter has shape ``[N, 1, 1]`` and broadcasts against the pixel grid ``[1, R, R]``.

The factors come at three scales, like the three groups of styles in the paper's Figure 3:

* coarse: ``yaw`` (the head turns: features slide sideways, the far eye is foreshortened, one
  ear hides), ``face_width``, ``masculinity`` (square jaw, thick brows), ``glasses``;
* middle: ``hair_length``, ``hair_style`` (high forehead … heavy fringe), ``eyes_open``,
  ``smile``, ``eyebrow_raise``, ``beard``;
* fine: ``skin_tone``, ``hair_darkness``, ``hair_hue``, ``background_warmth``,
  ``background_lightness``, ``light_direction``, ``brightness``, ``shirt_hue``.

Ten binary attributes (:data:`ATTRIBUTES`) are thresholds of these numbers, e.g.
``long_hair = hair_length > 0.5``.  When the data set is *sampled*, each labelled factor keeps
a margin from its threshold (by default a fifth of its half range: a factor in [0, 1] is drawn
from [0, 0.4] or [0.6, 1]), so that no sampled image is ambiguous; :func:`render` accepts any
value in range (the widget uses that).

Stochastic detail — freckles, hair strands, skin and background texture, soft spots of light
in the background — comes from a second random stream that is independent of every factor:
it is what StyleGAN's noise inputs are meant to model.  ``FacesConfig.detail`` sets its
strength: "subtle" (the default, what the book's first model was trained on: coarse texture
visible at 32²), "medium" (the shipped model's: strands and grain visible at 32², the face
still dominant) or "strong" (plainly visible at 32²: where each hair strand runs, the grain of
the background, the freckles).  Finer octaves and thinner strands appear when the pixels can
show them (64² and up).

Determinism
-----------
Image ``i`` of seed ``s`` uses its own ``numpy.random.Generator(PCG64(SeedSequence([s, i,
stream])))``, so it is the same whatever the batch size and however many images are drawn.
Only uniform doubles are taken from the generators (their bit streams are stable across
numpy versions and platforms) and all drawing is done in float64, so the uint8 pixels are
the same on any machine.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping, Sequence

import numpy as np
import torch

# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------

#: Continuous factors, in a fixed order, with the range each may take.
FACTOR_RANGES: dict[str, tuple[float, float]] = {
    # coarse
    "yaw": (-1.0, 1.0),
    "face_width": (0.0, 1.0),
    "masculinity": (0.0, 1.0),
    "glasses": (0.0, 1.0),
    # middle
    "hair_length": (0.0, 1.0),
    "hair_style": (0.0, 1.0),
    "eyes_open": (0.0, 1.0),
    "smile": (0.0, 1.0),
    "eyebrow_raise": (0.0, 1.0),
    "beard": (0.0, 1.0),
    # fine
    "skin_tone": (0.0, 1.0),
    "hair_darkness": (0.0, 1.0),
    "hair_hue": (0.0, 1.0),
    "background_warmth": (0.0, 1.0),
    "background_lightness": (0.0, 1.0),
    "light_direction": (-1.0, 1.0),
    "brightness": (0.0, 1.0),
    "shirt_hue": (0.0, 1.0),
}
FACTORS: tuple[str, ...] = tuple(FACTOR_RANGES)

#: Which scale of the image each factor acts on (the three groups of the paper's Figure 3).
FACTOR_SCALES: dict[str, str] = {
    **{n: "coarse" for n in ("yaw", "face_width", "masculinity", "glasses")},
    **{n: "middle" for n in ("hair_length", "hair_style", "eyes_open", "smile", "eyebrow_raise",
                             "beard")},
    **{n: "fine" for n in ("skin_tone", "hair_darkness", "hair_hue", "background_warmth",
                           "background_lightness", "light_direction", "brightness",
                           "shirt_hue")},
}

#: Binary attribute -> (factor it thresholds, threshold, True if "1" means above).
ATTRIBUTE_RULES: dict[str, tuple[str, float, bool]] = {
    "male": ("masculinity", 0.5, True),
    "long_hair": ("hair_length", 0.5, True),
    "glasses": ("glasses", 0.5, True),
    "smiling": ("smile", 0.5, True),
    "eyes_open": ("eyes_open", 0.5, True),
    "dark_hair": ("hair_darkness", 0.5, True),
    "beard": ("beard", 0.5, True),
    "looking_left": ("yaw", 0.0, False),      # face turned to the viewer's left: yaw < 0
    "warm_background": ("background_warmth", 0.5, True),
    "pale_skin": ("skin_tone", 0.5, True),
}
ATTRIBUTES: tuple[str, ...] = tuple(ATTRIBUTE_RULES)

#: A neutral face: every factor in the middle of its range, except a few set to typical values.
NEUTRAL_FACTORS: dict[str, float] = {
    **{n: (lo + hi) / 2 for n, (lo, hi) in FACTOR_RANGES.items()},
    "yaw": 0.0, "masculinity": 0.3, "glasses": 0.0, "hair_length": 0.45, "hair_style": 0.3,
    "eyes_open": 1.0, "smile": 0.6, "eyebrow_raise": 0.4, "beard": 0.0, "skin_tone": 0.65,
    "hair_darkness": 0.3, "hair_hue": 0.45, "background_warmth": 0.2,
    "background_lightness": 0.7, "light_direction": 0.0, "brightness": 0.7, "shirt_hue": 0.6,
}

_FACTOR_STREAM = 0       # SeedSequence([seed, index, stream]) for the factors …
_DETAIL_STREAM = 1       # … and for the stochastic detail (freckles, strands, texture)
_FACTOR_UNIFORMS = 48    # uniforms drawn per image for the factors (some spare for later)
_DETAIL_UNIFORMS = 128   # uniforms per image for freckles, strands, spots, before the noise
_NOISE_GRIDS = (4, 8, 16, 32, 64, 128)   # value-noise lattice sizes, coarse to fine
_NUM_FRECKLES = 20
_NUM_SPOTS = 3
_STRAND_FREQUENCIES = (4.0, 9.0, 20.0)   # hair stripes per radian of the fan, coarse to fine
#: Which of an image's first ``_DETAIL_UNIFORMS`` detail uniforms each named detail parameter
#: takes (the others are spare): per freckle its place, radius and strength, one freckle amount
#: per face, a phase per strand frequency, per background spot its place, radius and brightness.
_DETAIL_SLICES: dict[str, slice] = {
    "freckle_x": slice(0, 20),
    "freckle_y": slice(20, 40),
    "freckle_radius": slice(40, 60),
    "freckle_strength": slice(60, 80),
    "freckle_amount": slice(80, 81),
    "strand_phase": slice(90, 93),
    "spot_x": slice(100, 103),
    "spot_y": slice(103, 106),
    "spot_radius": slice(106, 109),
    "spot_brightness": slice(109, 112),
}
_HEAD_CY, _EYE_Y, _MOUTH_Y = -0.02, -0.04, 0.31   # heights fixed for every face (y points down)
#: Strength of the stochastic detail, per level: background grain (relative brightness per unit
#: of the detail field), hair-strand contrast, how far the detail field bends the strands
#: (radians), freckle darkness, and the stripe period in pixels from which a strand frequency
#: starts to show (it ramps in over as many pixels again).  "subtle" is the detail the book's
#: first model was trained on; "strong" makes it plainly visible at 32² (what the noise inputs
#: would have to learn), so busy that a small model at a few hundred kimg spreads its texture
#: over whole faces; "medium" sits between, and is the shipped model's: strands and grain
#: visible at 32², the face still dominant (benchmarks/data.md measures all three).
DETAIL_LEVELS: dict[str, tuple[float, float, float, float, float]] = {
    "subtle": (0.07, 0.14, 0.05, 0.35, 2.5),
    "medium": (0.11, 0.22, 0.15, 0.45, 2.5),
    "strong": (0.16, 0.35, 0.30, 0.55, 2.0),
}
#: Changes whenever the pixels of a given seed and config change, so that cached real-image
#: statistics of an older renderer are never reused.
RENDERER_VERSION = 2


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------

def _normalise_exclude(exclude) -> tuple[tuple[str, str], ...]:
    """Accept ``("male", "long_hair")`` or ``(("male", "long_hair"), …)`` or ``()``."""
    if exclude is None:
        return ()
    exclude = tuple(exclude)
    if len(exclude) == 2 and all(isinstance(e, str) for e in exclude):
        exclude = (exclude,)
    pairs = []
    for pair in exclude:
        if isinstance(pair, str) or len(tuple(pair)) != 2:
            raise ValueError(f"exclude must be a pair of attribute names like ('male', 'long_hair') "
                             f"or a tuple of such pairs; got {exclude!r}")
        a, b = tuple(pair)
        for name in (a, b):
            if name not in ATTRIBUTE_RULES:
                raise ValueError(f"exclude names unknown attribute {name!r}; "
                                 f"attributes are {', '.join(ATTRIBUTES)}")
        if a == b:
            raise ValueError(f"exclude pair ({a!r}, {b!r}) names the same attribute twice")
        pairs.append((str(a), str(b)))
    return tuple(pairs)


@dataclass(frozen=True)
class FacesConfig:
    """Everything that decides what the synthetic data set looks like, apart from the seed.

    ``exclude`` lists pairs of attributes that never occur together.  The book's default,
    ``(("male", "long_hair"),)``, leaves the quadrant "male with long hair" empty, so the
    mapping-network chapter can show how W has to warp to avoid the hole (paper, Figure 6).
    Use ``FacesConfig(exclude=())`` for the full distribution.  A pair ``(a, b)`` is enforced
    after sampling: whenever an image would have ``a == 1`` and ``b == 1``, the factor behind
    ``b`` is mirrored across its threshold (a long-haired man becomes a short-haired man).

    The ``p_*`` fields are the probabilities of the attributes; several are conditional, which
    builds in correlations like those of real portraits: long hair is more common on women,
    beards appear only on men (a hard rule, not a probability), dark hair is more common on
    darker skin.  ``label_margin`` keeps sampled labelled factors at least that far from their
    threshold (in units of the factor's half range).  ``texture=False`` turns the stochastic
    detail off (flat colours), useful to see what the noise inputs would have to model.
    """

    resolution: int = 32
    exclude: tuple = (("male", "long_hair"),)
    p_male: float = 0.5
    p_long_hair_given_male: float = 0.25
    p_long_hair_given_female: float = 0.75
    p_beard_given_male: float = 0.45
    p_glasses: float = 0.3
    p_smiling: float = 0.5
    p_eyes_open: float = 0.8
    p_pale_skin: float = 0.5
    p_dark_hair_given_pale: float = 0.3
    p_dark_hair_given_not_pale: float = 0.7
    p_warm_background: float = 0.5
    p_looking_left: float = 0.5
    label_margin: float = 0.2
    texture: bool = True
    detail: str = "subtle"

    def __post_init__(self):
        object.__setattr__(self, "exclude", _normalise_exclude(self.exclude))
        check_resolution(self.resolution)
        for f in dataclasses.fields(self):
            if f.name.startswith("p_"):
                value = getattr(self, f.name)
                if not 0.0 <= float(value) <= 1.0:
                    raise ValueError(f"FacesConfig.{f.name} is a probability and must lie in "
                                     f"[0, 1]; got {value!r}")
        if self.detail not in DETAIL_LEVELS:
            raise ValueError(f"FacesConfig.detail must be one of {', '.join(DETAIL_LEVELS)}; "
                             f"got {self.detail!r}")
        if not 0.0 <= self.label_margin < 0.5:
            raise ValueError(f"FacesConfig.label_margin must lie in [0, 0.5); "
                             f"got {self.label_margin!r}")

    def to_dict(self) -> dict:
        """Plain JSON-able dict (for the provenance stored in a data set archive)."""
        d = dataclasses.asdict(self)
        d["exclude"] = [list(p) for p in self.exclude]
        return d

    @classmethod
    def from_dict(cls, d: Mapping) -> "FacesConfig":
        """Inverse of :meth:`to_dict`; unknown keys are an error (a typo would be silent)."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - known)
        if unknown:
            raise ValueError(f"unknown FacesConfig fields {unknown}; known fields: {sorted(known)}")
        d = dict(d)
        if "exclude" in d:
            d["exclude"] = tuple(tuple(p) for p in d["exclude"])
        return cls(**d)


def check_resolution(resolution: int) -> int:
    """A power of two from 16 to 256, or a ValueError saying so."""
    r = int(resolution)
    if r != resolution or r < 16 or r > 256 or r & (r - 1):
        raise ValueError(f"resolution must be a power of two from 16 to 256; got {resolution!r}")
    return r


# --------------------------------------------------------------------------------------------
# Sampling the factors
# --------------------------------------------------------------------------------------------

def _uniforms(seed: int, indices: np.ndarray, stream: int, count: int) -> np.ndarray:
    """``count`` uniforms in [0, 1) for each image index, from that image's own generator."""
    seed = int(seed)
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer; got {seed}")
    out = np.empty((len(indices), count), dtype=np.float64)
    for row, index in enumerate(indices):
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence([seed, int(index), stream])))
        out[row] = rng.random(count)
    return out


def _two_sided(u_choice, u_value, p, margin, lo=0.0, hi=1.0):
    """A value on the "1" side of the midpoint with probability p, else on the "0" side;
    uniform between ``margin`` half-ranges from the midpoint and the end of its side."""
    mid, half = (lo + hi) / 2, (hi - lo) / 2
    offset = half * (margin + u_value * (1.0 - margin))
    return np.where(u_choice < p, mid + offset, mid - offset)


def sample_factors(n: int, seed: int = 0, config: FacesConfig | None = None,
                   start: int = 0) -> dict[str, np.ndarray]:
    """Draw the factors of images ``start … start + n - 1`` of data set ``seed``.

    Returns a dict ``{factor name: float64 array [n]}`` in the order of :data:`FACTORS`.
    Labelled factors are two-sided (never within ``config.label_margin`` of their threshold);
    the correlations and exclusions of ``config`` are applied (see :class:`FacesConfig`).
    """
    config = config or FacesConfig()
    if int(n) < 0 or int(start) < 0:
        raise ValueError(f"n and start must be non-negative; got n={n}, start={start}")
    idx = np.arange(int(start), int(start) + int(n))
    u = _uniforms(seed, idx, _FACTOR_STREAM, _FACTOR_UNIFORMS)
    m, c = config.label_margin, config
    f: dict[str, np.ndarray] = {}
    f["masculinity"] = _two_sided(u[:, 0], u[:, 1], c.p_male, m)
    male = f["masculinity"] > 0.5
    f["hair_length"] = _two_sided(u[:, 2], u[:, 3], np.where(male, c.p_long_hair_given_male,
                                                             c.p_long_hair_given_female), m)
    f["skin_tone"] = _two_sided(u[:, 4], u[:, 5], c.p_pale_skin, m)
    pale = f["skin_tone"] > 0.5
    f["hair_darkness"] = _two_sided(u[:, 6], u[:, 7], np.where(pale, c.p_dark_hair_given_pale,
                                                               c.p_dark_hair_given_not_pale), m)
    f["beard"] = _two_sided(u[:, 8], u[:, 9], np.where(male, c.p_beard_given_male, 0.0), m)
    f["glasses"] = _two_sided(u[:, 10], u[:, 11], c.p_glasses, m)
    f["smile"] = _two_sided(u[:, 12], u[:, 13], c.p_smiling, m)
    f["eyes_open"] = _two_sided(u[:, 14], u[:, 15], c.p_eyes_open, m)
    f["background_warmth"] = _two_sided(u[:, 16], u[:, 17], c.p_warm_background, m)
    # pose: mostly near frontal (u ** 1.5), turned left (yaw < 0) with probability p_looking_left
    magnitude = m + (1.0 - m) * u[:, 19] ** 1.5
    f["yaw"] = np.where(u[:, 18] < c.p_looking_left, -magnitude, magnitude)
    f["face_width"] = u[:, 20]
    f["hair_style"] = u[:, 21]
    f["eyebrow_raise"] = u[:, 22]
    f["hair_hue"] = u[:, 23]
    f["background_lightness"] = u[:, 24]
    f["light_direction"] = 2.0 * u[:, 25] - 1.0
    f["brightness"] = u[:, 26]
    f["shirt_hue"] = u[:, 27]
    f = {name: f[name] for name in FACTORS}
    _apply_rules(f, config)
    return f


def _attribute_on(factors: Mapping[str, np.ndarray], name: str) -> np.ndarray:
    factor, threshold, above = ATTRIBUTE_RULES[name]
    v = np.asarray(factors[factor], dtype=np.float64)
    return v > threshold if above else v < threshold


def _mirror_off(factors: dict, name: str, where: np.ndarray) -> None:
    """Mirror the factor behind attribute ``name`` across its threshold where ``where``."""
    factor, threshold, _ = ATTRIBUTE_RULES[name]
    v = factors[factor]
    factors[factor] = np.where(where, 2.0 * threshold - v, v)


def _apply_rules(factors: dict, config: FacesConfig) -> None:
    """Exclusions, then "beards only on men".  Both only ever switch an attribute off, so
    neither can create a new violation of the other: one pass is enough."""
    for a, b in config.exclude:
        _mirror_off(factors, b, _attribute_on(factors, a) & _attribute_on(factors, b))
    _mirror_off(factors, "beard", ~_attribute_on(factors, "male") & _attribute_on(factors, "beard"))


def labels_from_factors(factors: Mapping[str, np.ndarray]) -> np.ndarray:
    """The binary attributes, float32 ``[N, len(ATTRIBUTES)]`` of 0/1, in :data:`ATTRIBUTES` order."""
    missing = sorted({r[0] for r in ATTRIBUTE_RULES.values()} - set(factors))
    if missing:
        raise KeyError(f"labels_from_factors needs the factors {missing}; got {sorted(factors)}")
    cols = [np.atleast_1d(_attribute_on(factors, name)) for name in ATTRIBUTES]
    return np.stack(cols, axis=1).astype(np.float32)


def check_factors(factors: Mapping[str, object]) -> dict[str, np.ndarray]:
    """Validate a factor dict and broadcast it to float64 arrays of one length ``N``.

    Every name of :data:`FACTORS` must be present (see :data:`NEUTRAL_FACTORS` for a complete
    starting point), values must be finite and inside :data:`FACTOR_RANGES`.
    """
    missing = [n for n in FACTORS if n not in factors]
    unknown = sorted(set(factors) - set(FACTORS))
    if missing or unknown:
        raise KeyError(f"factors must have exactly the names of FACTORS; missing {missing}, "
                       f"unknown {unknown}. Start from dict(NEUTRAL_FACTORS) and change what you need.")
    arrays = {n: np.atleast_1d(np.asarray(factors[n], dtype=np.float64)) for n in FACTORS}
    try:
        shape = np.broadcast_shapes(*(a.shape for a in arrays.values()))
    except ValueError:
        raise ValueError("factor arrays must all have the same length (or be scalars); got "
                         + ", ".join(f"{n}: {a.shape}" for n, a in arrays.items())) from None
    if len(shape) != 1:
        raise ValueError(f"factors must be scalars or 1-D arrays; got shape {shape}")
    out = {}
    for n, a in arrays.items():
        lo, hi = FACTOR_RANGES[n]
        bad = ~np.isfinite(a) | (a < lo - 1e-9) | (a > hi + 1e-9)
        if bad.any():
            raise ValueError(f"factor {n!r} must lie in [{lo}, {hi}]; got {a[bad][:5].tolist()}")
        out[n] = np.broadcast_to(np.clip(a, lo, hi), shape)
    return out


# --------------------------------------------------------------------------------------------
# Geometry
# --------------------------------------------------------------------------------------------

def layout(factors: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Where everything goes, in image units (x, y in [-1, 1], y pointing down).

    Pure geometry from the coarse and middle factors: head centre and radii, eye centres and
    half-sizes, glasses rims, mouth, hair outline.  The renderer paints from this, and tests
    use it to know which pixels to look at.  Arrays have shape ``[N]``.
    """
    f = check_factors(factors)
    yaw, masc, width = f["yaw"], f["masculinity"], f["face_width"]
    g: dict[str, np.ndarray] = {}
    g["head_cx"] = 0.05 * yaw
    g["head_cy"] = np.full_like(yaw, _HEAD_CY)
    g["head_a"] = 0.40 + 0.10 * width + 0.08 * masc          # half width
    g["head_b"] = 0.60 + 0.03 * masc                          # half height
    g["jaw_power"] = 2.0 + 2.5 * masc                         # 2 = round chin, 4.5 = square jaw
    # features slide sideways with the yaw; the far side is foreshortened
    g["feature_cx"] = g["head_cx"] + 0.22 * yaw
    g["eye_y"] = np.full_like(yaw, _EYE_Y)
    spacing = 0.19 * g["head_a"] / 0.47
    for side, name in ((-1.0, "left"), (1.0, "right")):
        squeeze = 1.0 - 0.28 * np.maximum(0.0, side * yaw)
        g[f"eye_{name}_x"] = g["feature_cx"] + side * spacing * squeeze
        g[f"eye_{name}_squeeze"] = squeeze
        g[f"ear_{name}_x"] = g["head_cx"] + side * (g["head_a"] - 0.01) - 0.1 * yaw
    g["eye_a"] = np.full_like(yaw, 0.085)
    g["eye_b"] = 0.066 * np.clip((f["eyes_open"] - 0.45) / 0.3, 0.0, 1.0)   # 0 = shut
    g["brow_y"] = g["eye_y"] - 0.12 - 0.07 * f["eyebrow_raise"]
    g["rim_a"] = np.full_like(yaw, 0.13)
    g["rim_b"] = np.full_like(yaw, 0.105)
    g["nose_x"] = g["head_cx"] + 0.30 * yaw
    g["mouth_x"] = g["head_cx"] + 0.22 * yaw
    g["mouth_y"] = np.full_like(yaw, _MOUTH_Y)
    g["mouth_w"] = 0.14 + 0.06 * f["smile"]
    g["hair_bottom_y"] = -0.15 + 1.2 * f["hair_length"]       # > 0.45 for long hair
    g["hairline_y"] = -0.40 + 0.22 * f["hair_style"]          # centre of the hairline
    return g


# --------------------------------------------------------------------------------------------
# Drawing primitives (all broadcast: parameters [N, 1, 1], grid [1, R, 1] / [1, 1, R])
# --------------------------------------------------------------------------------------------

def _col(a):
    """[N] -> [N, 1, 1] for broadcasting against the pixel grid."""
    return np.asarray(a, dtype=np.float64)[:, None, None]


def _coverage(d, px):
    """Signed distance -> anti-aliased coverage: 1 inside, 0 outside, a one-pixel ramp between."""
    return np.clip(0.5 - d / px, 0.0, 1.0)


def _smoothstep(e0, e1, x):
    t = np.clip((x - e0) / (e1 - e0), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _ellipse_sd(x, y, cx, cy, a, b):
    """Approximate signed distance to an axis-aligned ellipse: (k - 1) / |grad k|, where
    k = |((x-cx)/a, (y-cy)/b)| is 1 on the boundary.  Exact enough near the edge, which is
    all the anti-aliasing needs."""
    u, v = (x - cx) / a, (y - cy) / b
    k = np.sqrt(u * u + v * v)
    grad = np.sqrt((u / a) ** 2 + (v / b) ** 2) / np.maximum(k, 1e-6)
    return (k - 1.0) / np.maximum(grad, 1.0 / np.maximum(a, b))


def _head_sd(x, y, cx, cy, a, b, power):
    """Ellipse on top, "super-ellipse" |u|^p + |v|^p = 1 below the centre: p > 2 squares the jaw."""
    u, v = np.abs(x - cx) / a, (y - cy) / b
    p = np.where(v > 0.0, power, 2.0)
    k = (u ** p + np.abs(v) ** p) ** (1.0 / p)
    ks = np.maximum(k, 1e-6) ** (p - 1.0)
    grad = np.sqrt((u ** (p - 1.0) / a) ** 2 + (np.abs(v) ** (p - 1.0) / b) ** 2) / ks
    return (k - 1.0) / np.maximum(grad, 1.0 / np.maximum(a, b))


def _segment_sd(x, y, x0, y0, x1, y1, r):
    """Distance to a capsule: the segment (x0, y0)-(x1, y1) thickened by radius r."""
    dx, dy = x1 - x0, y1 - y0
    qx, qy = x - x0, y - y0
    h = np.clip((qx * dx + qy * dy) / (dx * dx + dy * dy), 0.0, 1.0)
    return np.sqrt((qx - h * dx) ** 2 + (qy - h * dy) ** 2) - r


def _box_sd(x, y, cx, cy, hw, hh, r):
    """Signed distance to a box of half-sizes (hw, hh) whose corners are rounded with radius r."""
    r = np.minimum(r, np.minimum(hw, hh))
    qx, qy = np.abs(x - cx) - (hw - r), np.abs(y - cy) - (hh - r)
    outside = np.sqrt(np.maximum(qx, 0.0) ** 2 + np.maximum(qy, 0.0) ** 2)
    return outside + np.minimum(np.maximum(qx, qy), 0.0) - r


def _paint(img, alpha, colour):
    """Alpha-composite ``colour`` ([N, 3] or [N, 3, R, R]) over ``img`` [N, 3, R, R], in place:
    ``img += alpha * (colour - img)``."""
    if colour.ndim == 2:
        colour = colour[:, :, None, None]
    step = colour - img
    step *= alpha[:, None]
    img += step


def _hsv_to_rgb(h, s, v):
    """Vectorised HSV -> RGB, h in turns (0..1), all arrays [N]; returns [N, 3]."""
    h6 = (h % 1.0) * 6.0
    out = []
    for shift in (5.0, 3.0, 1.0):
        k = (shift + h6) % 6.0
        out.append(v - v * s * np.clip(np.minimum(k, 4.0 - k), 0.0, 1.0))
    return np.stack(out, axis=1)


def _palette(t, stops):
    """Piecewise-linear colour ramp: t [N] in [0, 1], ``stops`` a list of (position, rgb)."""
    pos = np.array([p for p, _ in stops])
    rgb = np.array([c for _, c in stops])
    return np.stack([np.interp(t, pos, rgb[:, k]) for k in range(3)], axis=1)


_SKIN = [(0.0, (0.30, 0.18, 0.12)), (0.25, (0.55, 0.36, 0.24)), (0.45, (0.76, 0.56, 0.42)),
         (0.55, (0.86, 0.68, 0.55)), (0.75, (0.96, 0.80, 0.69)), (1.0, (1.00, 0.90, 0.83))]
_HAIR = [(0.0, (0.93, 0.80, 0.50)), (0.25, (0.84, 0.45, 0.20)), (0.5, (0.66, 0.50, 0.34)),
         (0.75, (0.76, 0.74, 0.72)), (1.0, (0.93, 0.80, 0.50))]   # blond, ginger, brown, ash


@lru_cache(maxsize=64)
def _spline_taps(grid: int, resolution: int):
    """Cubic B-spline taps to sample a periodic ``grid``-sized lattice at ``resolution`` pixel
    centres: (indices [4, R], weights [4, R])."""
    pos = (np.arange(resolution) + 0.5) / resolution * grid - 0.5
    base = np.floor(pos)
    t = pos - base
    w = np.stack([(1 - t) ** 3, 3 * t ** 3 - 6 * t ** 2 + 4, -3 * t ** 3 + 3 * t ** 2 + 3 * t + 1,
                  t ** 3]) / 6.0
    idx = (base[None, :].astype(np.int64) + np.arange(-1, 3)[:, None]) % grid
    return idx, w


def _upsample(lattice, resolution):
    """Smoothly interpolate lattices [N, g, g] to [N, R, R] (separable cubic B-spline: a fixed
    sum of four taps per axis, so the result does not depend on the batch size)."""
    idx, w = _spline_taps(lattice.shape[-1], resolution)
    rows = sum(w[k][None, None, :] * lattice[:, :, idx[k]] for k in range(4))      # [N, g, R]
    return sum(w[k][None, :, None] * rows[:, idx[k], :] for k in range(4))         # [N, R, R]


def _noise_grids(resolution: int) -> tuple[int, ...]:
    """Lattices with cells of at least two pixels: more octaves at higher resolution."""
    return tuple(g for g in _NOISE_GRIDS if g <= resolution // 2)


def _detail_draws(seed, indices, resolution):
    """Per-image random detail: the uniforms of the named parameters (``[N, _DETAIL_UNIFORMS]``,
    see :data:`_DETAIL_SLICES`) and two multi-octave value-noise fields ``[2, N, R, R]``
    (standard deviation about 0.6).

    The uniforms are drawn coarse to fine from one generator per image, so the coarse
    octaves are the same at every resolution.  The octaves are summed on their own lattices,
    coarse to fine (each sum upsampled to the next lattice, which is cheap), and only the
    finest sum is upsampled to the pixel grid.
    """
    n = len(indices)
    grids = _noise_grids(resolution)
    sizes = [2 * g * g for g in grids]
    u = _uniforms(seed, indices, _DETAIL_STREAM, _DETAIL_UNIFORMS + sum(sizes))
    params = u[:, :_DETAIL_UNIFORMS]
    total = None
    offset = _DETAIL_UNIFORMS
    for g, size in zip(grids, sizes):
        lat = (u[:, offset:offset + size] * 2.0 - 1.0).reshape(2 * n, g, g)
        offset += size
        lat *= (4.0 / g) ** 0.25                       # finer octaves a little weaker
        total = lat if total is None else _upsample(total, g) + lat
    fields = _upsample(total, resolution).reshape(n, 2, resolution, resolution) * 1.6
    return params, fields.transpose(1, 0, 2, 3)


@dataclass(frozen=True)
class _Detail:
    """The stochastic detail of a chunk of N faces, at one of the :data:`DETAIL_LEVELS`.

    ``params`` maps each name of :data:`_DETAIL_SLICES` to its uniforms ``[N, width]``;
    ``field_a`` and ``field_b`` are the two value-noise fields ``[N, R, R]``; the other fields
    are the strengths of the level.  Without texture every parameter is 0.5, both fields are 0.
    """

    params: dict[str, np.ndarray]
    field_a: np.ndarray
    field_b: np.ndarray
    texture: bool
    grain: float
    strand_contrast: float
    strand_bend: float
    freckle_darkness: float
    strand_period: float

    @property
    def tex(self) -> float:
        """1 with texture, 0 without: the factor that switches spots and freckles off."""
        return 1.0 if self.texture else 0.0


def _detail(seed, indices, resolution, texture, strength) -> _Detail:
    """The detail of the faces ``indices`` of ``seed``; ``strength`` is a value of
    :data:`DETAIL_LEVELS`.  The parameters are named slices of the uniforms, so drawing
    them stays one call per image in a fixed order."""
    n = len(indices)
    if texture:
        u, (field_a, field_b) = _detail_draws(seed, indices, resolution)
    else:
        u = np.full((n, _DETAIL_UNIFORMS), 0.5)
        field_a = field_b = np.zeros((n, resolution, resolution))
    params = {name: u[:, where] for name, where in _DETAIL_SLICES.items()}
    return _Detail(params, field_a, field_b, texture, *strength)


# --------------------------------------------------------------------------------------------
# The renderer
# --------------------------------------------------------------------------------------------

def render(factors: Mapping[str, object], resolution: int = 32, seed: int = 0,
           indices: Sequence[int] | np.ndarray | None = None, texture: bool = True,
           batch_size: int | None = None, detail: str = "subtle") -> np.ndarray:
    """Draw faces from their factors: uint8 array ``[N, 3, R, R]``.

    ``factors`` is a dict with every name of :data:`FACTORS` (scalars or arrays of length N).
    The stochastic detail of row ``j`` comes from image index ``indices[j]`` (default ``j``)
    of ``seed``: keep ``seed``/``indices`` fixed and change a factor to see only that factor
    change.  ``texture=False`` leaves the detail out; ``detail`` is its strength (a key of
    :data:`DETAIL_LEVELS`).  Rendering goes in chunks of
    ``batch_size`` images (default: about 64k pixels a chunk) to bound memory.
    """
    resolution = check_resolution(resolution)
    if detail not in DETAIL_LEVELS:
        raise ValueError(f"detail must be one of {', '.join(DETAIL_LEVELS)}; got {detail!r}")
    f = check_factors(factors)
    n = len(f["yaw"])
    idx = np.arange(n) if indices is None else np.asarray(indices, dtype=np.int64).reshape(-1)
    if len(idx) != n:
        raise ValueError(f"indices has {len(idx)} entries but the factors describe {n} images")
    if (idx < 0).any():
        raise ValueError("indices must be non-negative image numbers")
    chunk = batch_size or max(1, 65536 // (resolution * resolution))
    out = np.empty((n, 3, resolution, resolution), dtype=np.uint8)
    for s in range(0, n, chunk):
        part = {k: v[s:s + chunk] for k, v in f.items()}
        out[s:s + chunk] = _render_chunk(part, resolution, seed, idx[s:s + chunk], texture,
                                          DETAIL_LEVELS[detail])
    return out


# Vertical extent (image units) of the layers that only touch a band of rows.  The renderer
# paints those layers only on the rows of their band (the rest would get zero coverage anyway);
# this makes drawing about twice as fast.  ``_USE_BANDS = False`` paints every row (tests
# check that both give the same pixels).
_BANDS = {
    "shoulders": (0.85, 1.0),
    "neck": (0.15, 1.0),
    "ears": (_EYE_Y + 0.08 - 0.13, _EYE_Y + 0.08 + 0.13),
    "beard": (_MOUTH_Y - 0.1, _HEAD_CY + 0.64),
    "nose": (_EYE_Y + 0.05, _EYE_Y + 0.23),
    "eyes": (_EYE_Y - 0.26, _EYE_Y + 0.13),
    "mouth": (_MOUTH_Y - 0.05, _MOUTH_Y + 0.15),
}
_USE_BANDS = True


def _rows(name: str, R: int) -> slice:
    """The pixel rows whose centres lie within (a pixel of) the band ``name``."""
    if not _USE_BANDS:
        return slice(0, R)
    y0, y1 = _BANDS[name]
    px = 2.0 / R
    r0 = int(np.floor((y0 + 1.0) / px - 0.5)) - 1
    r1 = int(np.ceil((y1 + 1.0) / px - 0.5)) + 2
    return slice(max(r0, 0), min(r1, R))


@dataclass(frozen=True)
class _Grid:
    """The pixel centres of an R×R image in image units: ``coords`` [R] in (-1, 1), the same
    as a row ``X`` [1, 1, R] and a column ``Y`` [1, R, 1] (y points down); ``px`` is the
    width of a pixel."""

    R: int
    px: float
    coords: np.ndarray
    X: np.ndarray
    Y: np.ndarray


def _grid(R: int) -> _Grid:
    """Pixel centres ``(i + 0.5) / R * 2 - 1``."""
    coords = (np.arange(R) + 0.5) / R * 2.0 - 1.0
    return _Grid(R, 2.0 / R, coords, coords[None, None, :], coords[None, :, None])


def _flat(rgb, n):
    """One colour for every image: [n, 3]."""
    return np.tile(np.asarray([rgb], dtype=np.float64), (n, 1))


def _render_chunk(f, R, seed, indices, texture, strength):
    """Draw one chunk of faces as float64 [N, 3, R, R] in [0, 1], back to front, then quantise
    to uint8."""
    g = {k: _col(v) for k, v in layout(f).items()}
    c = {k: np.asarray(v, dtype=np.float64) for k, v in f.items()}
    grid = _grid(R)
    d = _detail(seed, indices, R, texture, strength)
    colour = _colours(c)
    shade = _shade(grid, g, c)
    img = _paint_background(grid, colour["background"], d)
    _paint_shoulders(img, grid, g, colour["shirt"], d)
    _paint_neck(img, grid, g, c, colour["skin"])
    hair_field = _hair_field(grid, g, colour["hair"], shade, d)
    _paint_long_hair(img, grid, g, c, hair_field)
    skin_field = _skin_field(colour["skin"], shade, d)
    _paint_ears(img, grid, g, skin_field)
    skin_field = _freckled(skin_field, grid, g, d)
    head_sd = _paint_head(img, grid, g, skin_field)
    _paint_beard(img, grid, g, c, head_sd, hair_field, d)
    _paint_nose(img, grid, g, head_sd, skin_field)
    for side in ("left", "right"):
        _paint_eye(img, grid, g, c, side)
        _paint_eyebrow(img, grid, g, c, side, head_sd, colour["hair"])
    _paint_glasses(img, grid, g, c, head_sd)
    _paint_mouth(img, grid, g, c)
    _paint_front_hair(img, grid, g, c, hair_field)
    img *= _col(0.76 + 0.26 * c["brightness"])[:, None]
    return np.clip(np.floor(img * 255.0 + 0.5), 0, 255).astype(np.uint8)


# ---- colours and light ---------------------------------------------------------------------

def _colours(c) -> dict[str, np.ndarray]:
    """The flat colours [N, 3] of the skin, hair, background and shirt, from the fine factors."""
    n = len(c["shirt_hue"])
    skin = _palette(c["skin_tone"], _SKIN)
    # lightness falls gently over each half and steeply across the threshold 0.5
    dark = np.interp(c["hair_darkness"], [0.0, 0.4, 0.6, 1.0], [1.0, 0.85, 0.2, 0.1])
    hair = _palette(c["hair_hue"], _HAIR) * dark[:, None]
    background = _hsv_to_rgb(0.585 + 0.5 * c["background_warmth"],
                             0.30 + 0.12 * c["background_lightness"],
                             0.52 + 0.42 * c["background_lightness"])
    shirt = _hsv_to_rgb(c["shirt_hue"], np.full(n, 0.45), np.full(n, 0.62))
    return {"skin": skin, "hair": hair, "background": background, "shirt": shirt}


def _shade(grid, g, c):
    """Light falls from one side: a horizontal ramp across the head, darker towards the rim,
    ``1 + 0.2 · light_direction · x - 0.08 x²``, x the clipped offset in head half-widths;
    [N, 1, R]."""
    hx = np.clip((grid.X - g["head_cx"]) / g["head_a"], -1.3, 1.3)
    return 1.0 + 0.2 * _col(c["light_direction"]) * hx - 0.08 * hx * hx


# ---- background, shoulders, neck -----------------------------------------------------------

def _paint_background(grid, background, d):
    """A fresh canvas [N, 3, R, R]: the background colour under a vertical gradient, lit by
    ``1 + grain · field_a + 0.12 · spots``."""
    Y = grid.Y
    light = (1.06 - 0.06 * (Y + 1.0)) * (1.0 + d.grain * d.field_a + 0.12 * _spots(grid, d))
    return background[:, :, None, None] * light[:, None]


def _spots(grid, d):
    """Soft round spots of light, ``Σ_k b_k exp(-|p - s_k|² / r_k²)``, [N, R, R]."""
    X, Y, p = grid.X, grid.Y, d.params
    spots = np.zeros((len(d.field_a), grid.R, grid.R))
    for k in range(_NUM_SPOTS):
        sx, sy = _col(p["spot_x"][:, k] * 2 - 1), _col(p["spot_y"][:, k] * 2 - 1)
        sr = _col(0.15 + 0.25 * p["spot_radius"][:, k])
        brightness = _col(p["spot_brightness"][:, k] * d.tex)
        # a round Gaussian is separable: exp(-(dx² + dy²)/r²) = exp(-dx²/r²) · exp(-dy²/r²)
        spots += (brightness * np.exp(-(X - sx) ** 2 / (sr * sr))) * np.exp(
            -(Y - sy) ** 2 / (sr * sr))
    return spots


def _paint_shoulders(img, grid, g, shirt, d):
    """A wide ellipse that rises from below the bottom edge, in the shirt colour with a faint
    weave of field b."""
    r = _rows("shoulders", grid.R)
    shoulder = _coverage(_ellipse_sd(grid.X, grid.Y[:, r], g["head_cx"] * 0.5, 1.52, 0.98, 0.62),
                         grid.px)
    _paint(img[:, :, r], shoulder, shirt[:, :, None, None] * (1.0 + 0.03 * d.field_b[:, None, r]))


def _paint_neck(img, grid, g, c, skin):
    """A capsule from under the head down and towards the middle, thicker for masculine faces."""
    r = _rows("neck", grid.R)
    neck = _segment_sd(grid.X, grid.Y[:, r], g["head_cx"], g["head_cy"] + 0.4, g["head_cx"] * 0.6,
                       np.float64(0.95), 0.17 + 0.03 * _col(c["masculinity"]))
    _paint(img[:, :, r], _coverage(neck, grid.px), skin * 0.8)


# ---- hair ----------------------------------------------------------------------------------

def _hair_field(grid, g, hair, shade, d):
    """One strand texture for all of the hair: the hair colour [N, 3, R, R] times
    ``(1 + strand_contrast · strands) · (1 + 0.05 · field_b) · shade``."""
    strands = _strands(grid, g, d)
    return hair[:, :, None, None] * ((1.0 + d.strand_contrast * strands) * (1.0 + 0.05 * d.field_b)
                                     * shade)[:, None]


def _strands(grid, g, d):
    """Stripes that fan out from a point above the head, ``Σ_k v_k / (k + 1) · sin(2π · 1.3 f_k
    θ + φ_k)``, bent by field b so that where each strand runs is random.  A frequency f_k is
    shown (v_k > 0) only where a stripe spans at least ``strand_period`` pixels, so there is
    richer detail at higher resolution; [N, R, R]."""
    angle = np.arctan2(grid.X - g["head_cx"], grid.Y + 1.3) + d.strand_bend * d.field_b
    strands = np.zeros((len(d.field_b), grid.R, grid.R))
    for k, freq in enumerate(_STRAND_FREQUENCIES):
        visible = float(np.clip(((1.0 / freq) / grid.px - d.strand_period) / d.strand_period,
                                0.0, 1.0))
        if visible > 0.0 and d.texture:
            phase = _col(d.params["strand_phase"][:, k] * 2 * np.pi)
            strands += visible / (k + 1) * np.sin(2 * np.pi * freq * 1.3 * angle + phase)
    return strands


def _paint_long_hair(img, grid, g, c, hair_field):
    """Long hair hangs behind the head, wider than it, down to ``hair_bottom_y``."""
    X, Y = grid.X, grid.Y
    hair_w = g["head_a"] + 0.03 + 0.08 * _col(c["hair_length"]) + 0.04 * _col(c["hair_style"])
    back_cx = g["head_cx"] - 0.03 * _col(c["yaw"])
    bottom = g["hair_bottom_y"]
    back_top = _ellipse_sd(X, Y, back_cx, g["head_cy"] - 0.06, hair_w, g["head_b"] + 0.08)
    body = _box_sd(X, Y, back_cx, (g["head_cy"] + bottom) / 2, hair_w,
                   np.maximum((bottom - g["head_cy"]) / 2, 0.01), 0.1)
    _paint(img, _coverage(np.minimum(back_top, body), grid.px), hair_field)


def _paint_front_hair(img, grid, g, c, hair_field):
    """The cap above the hairline, swept to one side or cut in a fringe; short hair stops
    above the ears at the sides, long hair frames the face."""
    X, Y = grid.X, grid.Y
    cap_sd = _ellipse_sd(X, Y, g["head_cx"] - 0.01 * _col(c["yaw"]), g["head_cy"] - 0.04,
                         g["head_a"] + 0.05, g["head_b"] + 0.09)
    xr = (X - g["feature_cx"] * 0.7) / g["head_a"]
    part = 0.10 * (_col(c["hair_style"]) - 0.5)                   # the fringe sweeps to one side
    hairline = g["hairline_y"] + 0.32 * xr * xr + part * xr + 0.4 * xr ** 4
    sides = -0.1 + 0.6 * _col(c["hair_length"])
    front_sd = np.maximum(np.maximum(cap_sd, Y - hairline), Y - sides)
    _paint(img, _coverage(front_sd, grid.px), hair_field)


def _paint_beard(img, grid, g, c, head_sd, hair_field, d):
    """Chin and jaw up to the sideburns and the moustache: the head below a line that curves
    up to the cheeks, with a stubble texture from field a."""
    r = _rows("beard", grid.R)
    rel = (grid.X - g["mouth_x"]) / g["head_a"]
    beard_line = np.maximum(g["mouth_y"] - 0.065 - 0.06 * rel * rel, g["mouth_y"] - 0.1)
    beard = _coverage(np.maximum(head_sd[:, r], beard_line - grid.Y[:, r]), grid.px)
    beard = beard * _col(_smoothstep(0.4, 0.6, c["beard"]))
    if d.texture:
        beard = beard * (0.88 + 0.12 * np.clip(d.field_a[:, r], -1.0, 1.0))
    _paint(img[:, :, r], beard, hair_field[:, :, r] * 0.8)


# ---- skin: ears, head, freckles, nose ------------------------------------------------------

def _skin_field(skin, shade, d):
    """The skin colour [N, 3, R, R] under the side light, with a faint texture of field b."""
    return skin[:, :, None, None] * (shade * (1.0 + 0.035 * d.field_b))[:, None]


def _paint_ears(img, grid, g, skin_field):
    """Two ellipses at the sides of the head, a little darker than the face (one hides as the
    head turns: the layout moves it behind the head)."""
    r = _rows("ears", grid.R)
    for side in ("left", "right"):
        ear = _ellipse_sd(grid.X, grid.Y[:, r], g[f"ear_{side}_x"], g["eye_y"] + 0.08, 0.075, 0.12)
        _paint(img[:, :, r], _coverage(ear, grid.px), skin_field[:, :, r] * 0.9)


def _paint_head(img, grid, g, skin_field):
    """The head in its (freckled) skin; returns the head's signed distance [N, R, R], which
    also bounds the beard, the nose shadow, the brows and the arms of the glasses."""
    head_sd = _head_sd(grid.X, grid.Y, g["head_cx"], g["head_cy"], g["head_a"], g["head_b"],
                       g["jaw_power"])
    _paint(img, _coverage(head_sd, grid.px), skin_field)
    return head_sd


def _freckled(skin_field, grid, g, d):
    """The skin darkened by the freckles: ``skin · (1 - freckle_darkness · min(freckles, 1))``."""
    return skin_field * (1.0 - d.freckle_darkness * np.minimum(_freckles(grid, g, d), 1.0))[:, None]


def _freckles(grid, g, d):
    """Small dark dots on cheeks and nose, fixed to the face, [N, R, R].

    A dot smaller than a pixel is widened and dimmed so that its total darkness is kept
    (anti-aliasing): σ² = r² + (0.35 px)², weight s · r² / σ².  A sum of separable Gaussians
    is a batched matrix product: [N, K, R]^T @ [N, K, R].
    """
    p, px = d.params, grid.px
    fx = g["feature_cx"][:, :, 0] + 0.66 * p["freckle_x"] - 0.33                       # [N, K]
    fy = g["eye_y"][:, :, 0] + 0.05 + 0.22 * p["freckle_y"]
    fr = 0.010 + 0.012 * p["freckle_radius"]
    sigma2 = (fr ** 2 + (0.35 * px) ** 2)[:, :, None]
    strength = d.tex * p["freckle_strength"] * p["freckle_amount"] ** 2
    line = grid.coords[None, None, :]
    gy = np.exp(-(line - fy[:, :, None]) ** 2 / (2 * sigma2))                          # [N, K, R]
    gx = np.exp(-(line - fx[:, :, None]) ** 2 / (2 * sigma2)) * (strength[:, :, None]
                                                                * fr[:, :, None] ** 2 / sigma2)
    return np.einsum("nky,nkx->nyx", gy, gx)


def _paint_nose(img, grid, g, head_sd, skin_field):
    """A soft shadow down the middle of the face."""
    r = _rows("nose", grid.R)
    nose = _segment_sd(grid.X, grid.Y[:, r], g["nose_x"] - 0.01, g["eye_y"] + 0.08,
                       g["nose_x"] + 0.015, g["eye_y"] + 0.2, 0.028)
    head = _coverage(head_sd[:, r], grid.px)
    _paint(img[:, :, r], _coverage(nose, grid.px) * 0.35 * head, skin_field[:, :, r] * 0.62)


# ---- eyes, eyebrows, glasses, mouth --------------------------------------------------------

def _paint_eye(img, grid, g, c, side):
    """White, iris and lid line of the eye on ``side``; closing shrinks the eye to its lid line."""
    r = _rows("eyes", grid.R)
    X, Ye, px, img_e, n = grid.X, grid.Y[:, r], grid.px, img[:, :, r], len(img)
    ex, sq = g[f"eye_{side}_x"], g[f"eye_{side}_squeeze"]
    ea, eb = g["eye_a"] * sq, g["eye_b"]
    white = _coverage(_ellipse_sd(X, Ye, ex, g["eye_y"], ea, np.maximum(eb, 1e-3)), px)
    white = white * (eb > 0.005)
    _paint(img_e, white, _flat((0.86, 0.89, 0.94), n))     # bluish white
    iris = _ellipse_sd(X, Ye, ex + 0.02 * _col(c["yaw"]), g["eye_y"], 0.05 * sq, np.float64(0.05))
    _paint(img_e, _coverage(iris, px) * white, _flat((0.22, 0.14, 0.10), n))
    lid = np.abs(_ellipse_sd(X, Ye, ex, g["eye_y"], ea, np.maximum(eb, 0.012))) - 0.011
    lid = _coverage(lid, px) * (Ye <= g["eye_y"] + 0.35 * eb + 0.004)
    _paint(img_e, lid, _flat((0.12, 0.08, 0.07), n))


def _paint_eyebrow(img, grid, g, c, side, head_sd, hair):
    """A tilted bar above the eye on ``side``, thicker for masculine faces, higher when raised:
    from ``(ex - 0.08 sq, brow_y - t)`` to ``(ex + 0.08 sq, brow_y + t)``, where the tilt is
    ``t = ∓(0.02 - 0.03 · eyebrow_raise)`` for the left / right brow."""
    r = _rows("eyes", grid.R)
    X, Ye = grid.X, grid.Y[:, r]
    ex, sq = g[f"eye_{side}_x"], g[f"eye_{side}_squeeze"]
    tilt = (-1.0 if side == "left" else 1.0) * (0.02 - 0.03 * _col(c["eyebrow_raise"]))
    brow = _segment_sd(X, Ye, ex - 0.08 * sq, g["brow_y"] - tilt, ex + 0.08 * sq,
                       g["brow_y"] + tilt, 0.012 + 0.02 * _col(c["masculinity"]))
    head = _coverage(head_sd[:, r], grid.px)
    _paint(img[:, :, r], _coverage(brow, grid.px) * head, hair * 0.75)


def _paint_glasses(img, grid, g, c, head_sd):
    """Two lenses that tint a little, then the frame: two rims, a bridge and the arms."""
    r = _rows("eyes", grid.R)
    X, Ye, px, img_e, n = grid.X, grid.Y[:, r], grid.px, img[:, :, r], len(img)
    glasses = _col(_smoothstep(0.4, 0.6, c["glasses"]))
    frame_sd = None
    for side in ("left", "right"):
        ex, sq = g[f"eye_{side}_x"], g[f"eye_{side}_squeeze"]
        lens_sd = _ellipse_sd(X, Ye, ex, g["eye_y"], g["rim_a"] * sq, g["rim_b"])
        _paint(img_e, _coverage(lens_sd, px) * glasses * 0.12, _flat((0.85, 0.85, 0.85), n))
        rim = np.abs(lens_sd) - 0.016
        frame_sd = rim if frame_sd is None else np.minimum(frame_sd, rim)
    frame_sd = np.minimum(frame_sd, _bridge_sd(X, Ye, g))
    for side, sign in (("left", -1.0), ("right", 1.0)):
        x0 = g[f"eye_{side}_x"] + sign * g["rim_a"] * g[f"eye_{side}_squeeze"]
        arm = _segment_sd(X, Ye, x0, g["eye_y"] - 0.03, g["head_cx"] + sign * g["head_a"],
                          g["eye_y"] - 0.05, 0.013)
        frame_sd = np.minimum(frame_sd, np.maximum(arm, head_sd[:, r]))
    _paint(img_e, _coverage(frame_sd, px) * glasses, _flat((0.08, 0.07, 0.09), n))


def _bridge_sd(X, Ye, g):
    """The bar between the inner edges of the two rims."""
    inner_l = g["eye_left_x"] + g["rim_a"] * g["eye_left_squeeze"]
    inner_r = g["eye_right_x"] - g["rim_a"] * g["eye_right_squeeze"]
    return _segment_sd(X, Ye, inner_l, g["eye_y"] - 0.02, inner_r, g["eye_y"] - 0.02, 0.014)


def _paint_mouth(img, grid, g, c):
    """A curve that smiles (corners up) and opens into a grin with teeth, then the lips.

    The centre line is ``mouth_y + 0.09 (smile - 0.35)(1 - x²)`` (x the offset in half-widths,
    > 0: centre lower than corners), the opening ``0.065 · smoothstep(0.5, 0.9, smile)(1 - x²)``;
    distances across the curve are divided by its slope ``sqrt(1 + (dy/dx)²)``.
    """
    r = _rows("mouth", grid.R)
    X, Ym, px, img_m, n = grid.X, grid.Y[:, r], grid.px, img[:, :, r], len(img)
    smile, w = _col(c["smile"]), g["mouth_w"]
    xm = np.clip((X - g["mouth_x"]) / w, -1.0, 1.0)
    curve = 0.09 * (smile - 0.35) * (1.0 - xm * xm)
    opening = 0.065 * _smoothstep(0.5, 0.9, smile) * (1.0 - xm * xm)
    centre_y = g["mouth_y"] + curve
    slope = np.sqrt(1.0 + (0.18 * (smile - 0.35) * xm / w) ** 2)
    ends = np.abs(X - g["mouth_x"]) - w
    is_open = opening > 0.004
    open_sd = np.maximum((np.abs(Ym - centre_y - opening / 2) - opening / 2) / slope, ends)
    _paint(img_m, _coverage(open_sd, px) * is_open, _flat((0.40, 0.08, 0.10), n))
    teeth = _coverage(np.maximum(open_sd, Ym - centre_y - 0.45 * opening), px) * is_open
    _paint(img_m, teeth, _flat((0.93, 0.93, 0.93), n))
    masc = _col(c["masculinity"])
    line_sd = np.maximum((np.abs(Ym - centre_y) - (0.021 - 0.008 * masc)) / slope, ends)
    lips = _palette(c["masculinity"], [(0.0, (0.70, 0.15, 0.22)), (1.0, (0.45, 0.16, 0.15))])
    _paint(img_m, _coverage(line_sd, px), lips)


def detail_std(resolution: int = 32, num_faces: int = 16, num_draws: int = 16, seed: int = 0,
               config: FacesConfig | None = None) -> np.ndarray:
    r"""How much the stochastic detail alone moves the pixels: for each of ``num_faces`` sampled
    faces, the factors are held fixed and the detail is drawn ``num_draws`` times; per pixel,
    :math:`\sigma_p = \frac13\sum_c \operatorname{std}_k x_{k,c,p}` on the [-1, 1] scale (the
    statistic of the paper's Figure 4, and of ``metrics.quality.noise_visibility`` for a
    generator). Returns ``[num_faces, R, R]``."""
    if num_draws < 2:
        raise ValueError(f"a standard deviation needs at least 2 draws, got {num_draws}")
    config = config or FacesConfig()
    factors = sample_factors(num_faces, seed, config)
    out = []
    for i in range(num_faces):
        one = {k: np.full(num_draws, v[i]) for k, v in factors.items()}
        x = render(one, resolution, seed, indices=np.arange(num_draws) + i * num_draws,
                   texture=config.texture, detail=config.detail)
        x = x.astype(np.float64) / 127.5 - 1.0
        out.append(x.std(axis=0).mean(axis=0))
    return np.stack(out)


# --------------------------------------------------------------------------------------------
# The data set
# --------------------------------------------------------------------------------------------

#: Faces in a ``faces:N`` data spec without N.
DEFAULT_NUM_FACES = 60000


def is_faces_spec(spec: str | None) -> bool:
    """True for the synthetic-faces data specs ``faces``, ``faces:N`` and ``faces:N:DETAIL``."""
    return isinstance(spec, str) and (spec == "faces" or spec.startswith("faces:"))


def parse_faces_spec(spec: str) -> tuple[int, FacesConfig]:
    """``faces``, ``faces:N`` or ``faces:N:DETAIL`` → (N, ``FacesConfig(detail=DETAIL)``): how
    the command line names a set of synthetic faces (N defaults to ``DEFAULT_NUM_FACES``, DETAIL
    to "subtle"). Raises ValueError saying what is wrong."""
    parts = spec.split(":")
    if parts[0] != "faces" or len(parts) > 3:
        raise ValueError(f"data {spec!r}: expected faces, faces:N or faces:N:DETAIL with DETAIL one of "
                         f"{', '.join(DETAIL_LEVELS)}")
    n = parts[1] if len(parts) > 1 and parts[1] else str(DEFAULT_NUM_FACES)
    if not n.isdigit() or int(n) < 1:
        raise ValueError(f"data {spec!r}: faces:N needs a positive number of images N, a whole number as in "
                         "faces:100000")
    detail = parts[2] if len(parts) > 2 else "subtle"
    if detail not in DETAIL_LEVELS:
        raise ValueError(f"data {spec!r}: faces:N:DETAIL needs DETAIL one of {', '.join(DETAIL_LEVELS)}")
    return int(n), FacesConfig(detail=detail)


def faces_spec(num_images: int, config: FacesConfig | Mapping) -> str:
    """The data spec of a set of synthetic faces (the inverse of :func:`parse_faces_spec` for
    configs that differ from the default only in their detail level)."""
    detail = config.detail if isinstance(config, FacesConfig) else config.get("detail", "subtle")
    return f"faces:{int(num_images)}:{detail}"



def dataset_spec(record: Mapping | None) -> str | None:
    """The data spec (``faces:N:DETAIL`` or a folder / zip path) of a training run's dataset
    record (``{"kind": "SyntheticFaces", "num_images", "config"}`` or ``{"kind":
    "ImageFolderDataset", "path"}``, as written by ``train``); None for anything else."""
    if not isinstance(record, Mapping):
        return None
    if record.get("kind") == "SyntheticFaces":
        return faces_spec(record["num_images"], record.get("config", {}))
    if record.get("kind") == "ImageFolderDataset":
        return record.get("path")
    return None

class SyntheticFaces(torch.utils.data.Dataset):
    """``num_images`` synthetic faces; item ``i`` is ``(uint8 [3, R, R], float32 labels [L])``.

    The factors of all images are sampled up front (``.factors``, ``.labels``); pixels are
    drawn on demand.  ``dataset[i]`` draws one face; ``.images(indices)`` draws many at once
    (much faster per image), and ``.render_all()`` returns the whole set as one tensor.
    ``resolution=None`` takes ``config.resolution`` (32 by default).
    """

    def __init__(self, num_images: int, resolution: int | None = 32, seed: int = 0,
                 config: FacesConfig | None = None):
        config = config or FacesConfig()
        if resolution is not None and resolution != config.resolution:
            config = dataclasses.replace(config, resolution=resolution)
        if int(num_images) <= 0:
            raise ValueError(f"num_images must be positive; got {num_images}")
        self.num_images = int(num_images)
        self.resolution = config.resolution
        self.seed = int(seed)
        self.config = config
        self.factors = sample_factors(self.num_images, self.seed, config)
        self.labels = torch.from_numpy(labels_from_factors(self.factors))
        self.attributes = ATTRIBUTES

    def __len__(self) -> int:
        return self.num_images

    def _indices(self, indices) -> np.ndarray:
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        if len(idx) and (idx.min() < -self.num_images or idx.max() >= self.num_images):
            raise IndexError(f"image index out of range for a data set of {self.num_images} images")
        return idx % self.num_images

    def images(self, indices) -> torch.Tensor:
        """Draw the images ``indices`` as one uint8 tensor ``[len(indices), 3, R, R]``."""
        idx = self._indices(indices)
        part = {k: v[idx] for k, v in self.factors.items()}
        return torch.from_numpy(render(part, self.resolution, self.seed, idx, self.config.texture,
                                                detail=self.config.detail))

    def render_all(self, batch_size: int = 1024, progress: bool = False) -> torch.Tensor:
        """Every image, uint8 ``[N, 3, R, R]`` (what training at 32² keeps in memory)."""
        out = torch.empty((self.num_images, 3, self.resolution, self.resolution), dtype=torch.uint8)
        starts = range(0, self.num_images, batch_size)
        if progress:
            from tqdm import tqdm  # text bars: widget bars can stall papermill/nbval kernels
            starts = tqdm(starts, desc=f"drawing {self.num_images} faces", unit="batch")
        for s in starts:
            out[s:s + batch_size] = self.images(np.arange(s, min(s + batch_size, self.num_images)))
        return out

    def load_all(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(images uint8 [N, 3, R, R], labels float32 [N, L])``, like ImageFolderDataset."""
        return self.render_all(), self.labels.clone()

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        idx = self._indices([i])
        return self.images(idx)[0], self.labels[idx[0]].clone()


# --------------------------------------------------------------------------------------------
# Speed
# --------------------------------------------------------------------------------------------

def bench_faces(resolution: int = 32, n: int = 2000, batch_size: int | None = None,
                clock: str = "wall") -> float:
    """Images per second for sampling + drawing ``n`` faces on ONE CPU thread.

    Limits torch and the BLAS/OpenMP pools to one thread while it runs (numpy's own loops are
    single-threaded anyway) and restores them afterwards.  ``clock="wall"`` divides by
    elapsed time; ``clock="cpu"`` by this process's CPU time, which is what one core does
    when other programs share the machine (the wall-clock figure then drops, the CPU one not).
    """
    check_resolution(resolution)
    if clock not in ("wall", "cpu"):
        raise ValueError(f"clock must be 'wall' or 'cpu'; got {clock!r}")
    timer = time.perf_counter if clock == "wall" else time.process_time
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    limiter = None
    try:
        try:
            from threadpoolctl import threadpool_limits
            limiter = threadpool_limits(limits=1)
        except ImportError:          # pragma: no cover - optional
            pass
        render(sample_factors(8, 12345), resolution)                  # warm-up
        t0 = timer()
        render(sample_factors(n, seed=0), resolution, seed=0, batch_size=batch_size)
        elapsed = timer() - t0
    finally:
        if limiter is not None:
            limiter.restore_original_limits()
        torch.set_num_threads(previous)
    return n / elapsed


def bench() -> list[dict]:
    """Rows for ``python -m stylegan_lib bench`` (section "data"): drawing speed on one thread,
    by the wall clock and by CPU time (see :func:`bench_faces`)."""
    rows = []
    for resolution, n in ((32, 4000), (64, 1000)):
        for clock in ("wall", "cpu"):
            rate = bench_faces(resolution, n, clock=clock)
            rows.append({"what": f"synthetic faces {resolution}², sample + draw, 1 thread ({clock} clock)",
                         "device": "cpu", "value": rate, "unit": "images/s"})
    return rows
