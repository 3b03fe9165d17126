"""Small helpers every chapter uses: where figures go, and the header each chapter prints.

Figures land in ``figures/`` when ``make book`` runs. Under ``make test`` the environment
variable ``STYLEGAN_BOOK_FIGURES`` points at a temporary folder instead, so running the tests
never rewrites tracked files.
"""
from __future__ import annotations

import math
import numbers
import os
import sys
from pathlib import Path

FIGURES_ENV = "STYLEGAN_BOOK_FIGURES"


#: The book's chapters folder in a checkout (the package's parent directory holds chapters/).
CHAPTERS_DIR = Path(__file__).resolve().parents[2] / "chapters"


def figures_dir(default: str | os.PathLike = "../figures") -> Path:
    """The folder figures are written to, created if missing:

    * $STYLEGAN_BOOK_FIGURES, as given, when it is set;
    * else ``default``; a relative ``default`` is taken from the book's chapters/ folder when
      there is one (a checkout), so that "../figures" is the checkout's figures/ whether the
      chapter runs in chapters/ (``make book``) or from the repository root (papermill), and
      from the current folder otherwise (an installed package).
    """
    env = os.environ.get(FIGURES_ENV)
    path = Path(env) if env else Path(default)
    if not env and not path.is_absolute() and CHAPTERS_DIR.is_dir():
        path = Path(os.path.normpath(CHAPTERS_DIR / path))
    path.mkdir(parents=True, exist_ok=True)
    return path


def _check_name(name: str, suffix: str) -> None:
    """A figure's name is bare: no folder, no suffix (``save_figure`` and ``save_animation`` add it)."""
    if not name or "/" in name or name.endswith(suffix):
        raise ValueError(f"figure name must be a bare name without '/' or '{suffix}', got {name!r}")


def save_figure(fig, name: str, folder: str | os.PathLike = "../figures", dpi: int = 100) -> Path:
    """Save a matplotlib figure as ``<folder>/<name>.png`` (PNG: stable for nbval) and return the path."""
    _check_name(name, ".png")
    path = figures_dir(folder) / f"{name}.png"
    fig.savefig(path, dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    return path


def save_animation(frames, name: str, folder: str | os.PathLike = "../figures", fps: float = 8.0,
                   scale: int = 3) -> Path:
    """Save frames (uint8 ``[H, W, 3]`` each, e.g. from :mod:`stylegan_lib.video`) as the looping
    GIF ``<folder>/<name>.gif``, each pixel a ``scale`` × ``scale`` block, ``fps`` frames a
    second; an existing file is replaced. Returns the path (show it in a notebook with
    ``IPython.display.Image(filename=path)``)."""
    from ..video import write_gif

    _check_name(name, ".gif")
    return write_gif(frames, figures_dir(folder) / f"{name}.gif", fps=fps, scale=scale, force=True)


def chapter_header(title: str, device, expected_seconds: float) -> str:
    """The line printed at the top of every chapter: what runs where, and for how long.
    Also checks the ``device`` parameter ("cpu", "cuda", "auto"), with a clear error if unusable."""
    from ..utils import get_device

    resolved = get_device(device)
    line = f"{title}: running on {resolved}; expected run time about {expected_seconds:.0f} s"
    print(line)
    return line


PRESETS = ("quick", "full")
#: What each chapter parameter must hold, by name (papermill injects whatever it is given:
#: ``-p seed abc`` sets ``seed = "abc"``).
TEXT_PARAMETERS = ("device", "checkpoint", "figures_dir", "classifier", "layer", "real_data", "detail",
                   "official_pkl", "detectors", "run_dir", "scale", "shipped", "farm_out")
FLAGS = ("retrain",)
COUNT_FROM_ZERO = ("seed", "noise_seed", "fig6_samples", "fig6_grid", "metric_samples")
COUNT_FROM_ONE = ("interpolation_steps", "batch_size", "live_images", "resolution", "max_resolution")
NUMBERS = {"truncation_psi": None, "live_kimg": 0.0}   # name -> exclusive lower bound (None: any)
NUMBER_LISTS = ("tradeoff_psis",)


def _parameter_problem(name: str, value) -> str | None:
    """What is wrong with chapter parameter ``name`` = ``value`` (None: nothing, or unknown name)."""
    def is_int(v):
        return isinstance(v, numbers.Integral) and not isinstance(v, bool)

    def is_number(v):
        return isinstance(v, numbers.Real) and not isinstance(v, bool) and math.isfinite(v)

    if name in TEXT_PARAMETERS:
        return None if isinstance(value, str) else "a string"
    if name in FLAGS:
        return None if isinstance(value, bool) else "True or False"
    if name in COUNT_FROM_ZERO:
        return None if is_int(value) and value >= 0 else "an integer >= 0"
    if name in COUNT_FROM_ONE or name.startswith("num_"):
        return None if is_int(value) and value >= 1 else "an integer >= 1"
    if name in NUMBERS:
        low = NUMBERS[name]
        ok = is_number(value) and (low is None or value > low)
        return None if ok else "a finite number" + (f" > {low:g}" if low is not None else "")
    if name in NUMBER_LISTS:
        ok = isinstance(value, (list, tuple)) and value and all(is_number(v) for v in value)
        return None if ok else "a non-empty list of finite numbers"
    return None


def check_parameters(params: dict) -> None:
    """Raise ``ValueError`` naming the first chapter parameter of the wrong type or range."""
    for name, value in params.items():
        want = _parameter_problem(name, value)
        if want:
            raise ValueError(f"parameter {name} must be {want}, got {value!r} "
                             f"(papermill: -p {name} VALUE)")


def check_preset(preset: str) -> str:
    """Chapters know two presets: "quick" (CPU, the shipped book model) and "full" (a larger
    model given by ``checkpoint``, usually on a GPU).

    Called from a notebook or script (the ``__main__`` namespace), it also checks the chapter's
    other parameters there with :func:`check_parameters`, so that ``-p seed abc`` is named here
    rather than failing deep inside torch. Only plain values, the kinds papermill injects, are
    checked: a name a later cell bound to a model, in a kernel that ran before, is left alone."""
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {PRESETS}, got {preset!r} "
                         "(papermill: -p preset quick | -p preset full)")
    caller = sys._getframe(1).f_globals
    if caller.get("__name__") == "__main__":
        check_parameters({k: v for k, v in caller.items()
                          if isinstance(v, (str, int, float, list, tuple, dict, type(None)))})
    return preset


def book_generator(checkpoint: str = "", preset: str = "quick", device: str = "cpu"):
    """The generator a chapter works on.

    * ``checkpoint`` given: that file (a stylegan_lib .pt checkpoint or an official .pkl);
    * else the book's shipped model "book-32" (it ships with the package; a checkout without
      it raises ``FileNotFoundError`` saying to run ``make book-model`` or pass a checkpoint).
    """
    from ..pretrained import load_pretrained
    from ..utils import get_device

    check_preset(preset)
    dev = get_device(device)
    if checkpoint:
        return load_pretrained(str(checkpoint), device=dev)
    if preset == "full":
        raise ValueError("preset 'full' needs a larger trained model: pass -p checkpoint PATH "
                         "(a stylegan_lib checkpoint or NVIDIA's official .pkl)")
    return load_pretrained("book-32", device=dev)


BATCH_ENV = "STYLEGAN_BOOK_BATCH"


def interactive() -> bool:
    """False when a chapter runs in batch (``make book``, ``make test``: $STYLEGAN_BOOK_BATCH=1).

    Widgets then skip drawing into their output area at creation: a batch run has no one to
    move the sliders, the static figure beside each widget shows the same picture, and output
    captured by widgets during headless execution can stall the notebook client.
    """
    return os.environ.get(BATCH_ENV, "") not in ("1", "true", "yes")
