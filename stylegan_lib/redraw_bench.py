"""How long each chapter's widget takes to redraw in the kernel (issue 18: ≤ 0.1 s at the book's
resolution).

For every widget the chapters build (:func:`chapter_widgets`, made with the chapters' own
arguments on the shipped book model), every control is moved one step at a time, as a reader
would, and the time from setting its value to the new picture's PNG bytes being ready is taken
(:func:`redraw_seconds`). Control callbacks run synchronously, so that is the time of the value
assignment. The widgets run in an IPython shell with the inline backend, as in a kernel; only
the frontend (and the browser's own drawing) is missing.

    python -m stylegan_lib.redraw_bench [--repeats 5] [--chapters 03 09] [--threads 1]

prints a markdown table, one row per control: chapter, widget, control, the median and the
largest redraw time, and the median CPU time of the process.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


# ------------------------------------------------------------------------------------------
# The widgets, as the chapters build them
# ------------------------------------------------------------------------------------------
def chapter_widgets(chapters=None) -> list[tuple[str, str, object]]:
    """(chapter, widget name, widget) for every widget of the book, built with the arguments the
    chapters pass (chapter 9's features, 10's stand-in release file and 14's projection made the
    chapters' way, with fewer samples and steps where only their shapes matter for the timing).
    ``chapters``: chapter numbers ("03", ...) to build; None: all."""
    import torch

    from .latent import layer_groups
    from .viz import adain, constant, faces, mapping, metrics, mixing, noise, official, projection, training
    from .viz import truncation
    from .viz.book import book_generator
    from .viz.widgets import seed_psi_widget

    want = (lambda ch: chapters is None or ch[:2] in chapters)
    G = book_generator()
    groups = layer_groups(G.num_ws)
    out = []

    def add(chapter, name, make):
        if want(chapter):
            out.append((chapter, name, make()))

    add("00_tour", "seed_psi_widget", lambda: seed_psi_widget(G, seed=0, truncation_psi=0.7))
    add("01_data", "face_widget", lambda: faces.face_widget(resolution=64, seed=0))
    add("02_mapping_network", "interpolation_widget", lambda: mapping.interpolation_widget(G, 0, 1, 0.5))

    def adain_widget():
        names = adain.layer_names(G)
        layer = names[groups["middle"].start]
        influence = adain.channel_influence(G, adain.ws_from_seeds(G, [0]), layer)
        return adain.style_channel_widget(G, seed=0, layer=layer, channel=int(influence.argmax()))
    add("03_adain", "style_channel_widget", adain_widget)
    add("04_constant_input", "constant_widget", lambda: constant.constant_widget(G, 0, "mirrored", 1.0))
    add("05_noise", "noise_widget", lambda: noise.noise_widget(G, 0, 0.7, groups["middle"].stop))
    add("06_style_mixing", "mixing_widget",
        lambda: mixing.mixing_widget(G, 0, 100, truncation_psi=0.7, truncation_cutoff=groups["middle"].stop))
    add("07_truncation", "truncation_widget",
        lambda: truncation.truncation_widget(G, 0, 0.5, groups["middle"].stop))

    def timeline():
        from .train import loop

        return training.timeline_widget(loop.recipe_options("book").make_schedule(), loop.RECIPES["book"]["kimg"],
                                        kimg=30)
    add("08_training", "timeline_widget", timeline)

    def sample_count():
        from .metrics import dataset_features, generated_features, get_feature_detector
        from .metrics.evaluate import real_dataset

        num_fd = 2000
        detector = get_feature_detector("auto", device=G.device)
        (real,) = dataset_features(real_dataset(None, G.img_resolution, num_fd)[0], [detector], num_fd,
                                   progress=False)
        (gen,) = generated_features(G, [detector], num_fd, 128, seed=0, device=G.device, progress=False)
        return metrics.sample_count_widget(real.features, gen.features, num_fd, seed=0, names=("FD", "KD"))
    add("09_metrics", "sample_count_widget", sample_count)

    def style_mixing():
        from .official import fake, load_official

        with tempfile.TemporaryDirectory(prefix="stylegan-bench-") as folder:
            pkl = Path(folder) / "stand-in-ffhq-64x64.pkl"
            fake.write_release_pickle(pkl, 64, fmap_base=512, fmap_max=32, seed=0)
            stand_in = load_official(pkl, device="cpu")
        return official.style_mixing_widget(stand_in)
    add("10_official_weights", "style_mixing_widget", style_mixing)

    def edit():
        from .metrics import load_classifier
        from .project import evaluate, project

        classifier = load_classifier(device=G.device)
        targets, _, _ = evaluate.held_out_faces(12)
        result = project(G, targets, "w", num_steps=2, distance="classifier", seed=0, progress=False)
        gen = torch.Generator().manual_seed(0)
        directions = {a: torch.nn.functional.normalize(torch.randn(G.w_dim, generator=gen), dim=0)
                      for a in classifier.attributes}
        return projection.edit_widget(G, result, directions, classifier, index=0, attribute="smiling", amount=3.0)
    add("14_projection_and_editing", "edit_widget", edit)
    return out


# ------------------------------------------------------------------------------------------
# One control, one step
# ------------------------------------------------------------------------------------------
def controls(widget) -> list:
    """The value controls of a widget box, depth first (sliders, dropdowns, boxes, numbers)."""
    import ipywidgets as W

    kinds = (W.IntSlider, W.FloatSlider, W.IntRangeSlider, W.Dropdown, W.Checkbox, W.IntText)
    found = []

    def walk(w):
        if isinstance(w, kinds):
            found.append(w)
        for child in getattr(w, "children", ()):
            walk(child)
    walk(widget)
    return found


def next_value(control, direction: int = 1):
    """The value one reader's step away from the current one: the next option of a dropdown,
    the other state of a box, one step up (``direction`` 1) or down (-1) for a number or slider
    (a range slider: one end, one step, always to a range not yet drawn)."""
    import ipywidgets as W

    v = control.value
    if isinstance(control, W.Checkbox):
        return not v
    if isinstance(control, W.Dropdown):
        labels = [o[1] if isinstance(o, tuple) else o for o in control.options]
        return labels[(labels.index(v) + 1) % len(labels)]
    if isinstance(control, W.IntText):
        return v + direction
    if isinstance(control, W.IntRangeSlider):      # the upper end up to the top, then the lower end up
        lo, hi = v
        return (lo, hi + 1) if hi < control.max else (lo + 1, hi) if lo < hi else (control.min, hi)
    return v + direction * control.step


def in_range(control, value) -> bool:
    """Whether a slider can take ``value`` (a control without bounds takes any)."""
    import ipywidgets as W

    if isinstance(control, W.IntRangeSlider) or not hasattr(control, "max"):
        return True
    return control.min <= value <= control.max


def picture(widget) -> bytes:
    """The PNG bytes the widget shows now: those of its first ``ipywidgets.Image``."""
    import ipywidgets as W

    def walk(w):
        if isinstance(w, W.Image):
            return w
        for child in getattr(w, "children", ()):
            found = walk(child)
            if found is not None:
                return found
        return None
    image = walk(widget)
    if image is None:
        raise ValueError("the widget shows no ipywidgets.Image")
    return bytes(image.value)


def redraw_seconds(widget, control, repeats: int = 5) -> tuple[list[float], list[float], int]:
    """Seconds from setting ``control`` one step further to the widget's new picture, ``repeats``
    times, towards the farther end of a slider and back from there (so each value is new unless
    the slider is shorter than ``repeats`` steps): wall-clock seconds, CPU seconds of this process
    (all its threads: on a busy machine, what the redraw costs rather than how long it waited for
    a core), and how many of the steps left the picture unchanged (a step too small to move a
    pixel). The control is set back to where it was afterwards."""
    start = control.value
    direction = -1 if hasattr(control, "max") and not isinstance(start, tuple) and \
        start - control.min > control.max - start else 1      # towards the farther end
    wall, cpu, unchanged = [], [], 0
    for _ in range(repeats):
        before = picture(widget)
        value = next_value(control, direction)
        if not in_range(control, value):        # at an end: turn round
            direction = -direction
            value = next_value(control, direction)
        t0, c0 = time.perf_counter(), time.process_time()
        control.value = value
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        unchanged += picture(widget) == before
    control.value = start       # as the chapter left it, for the next control
    return wall, cpu, unchanged


def kernel_like_shell():
    """An IPython shell with the inline backend, as a chapter's kernel has."""
    import matplotlib
    from IPython.core.interactiveshell import InteractiveShell
    from matplotlib_inline.backend_inline import configure_inline_support

    shell = InteractiveShell.instance()
    matplotlib.use("module://matplotlib_inline.backend_inline")
    configure_inline_support(shell, "inline")
    return shell


def main(argv=None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="steps per control (default 5)")
    parser.add_argument("--chapters", nargs="*", help="chapter numbers, e.g. 03 09 (default: all)")
    parser.add_argument("--threads", type=int, help="torch threads (default: torch's; on a busy machine 1 "
                        "keeps the model's time from swinging with the other jobs)")
    args = parser.parse_args(argv)

    import os

    import torch

    from .provenance import cpu_model, git_commit
    from .viz.book import BATCH_ENV

    os.environ.pop(BATCH_ENV, None)       # widgets draw as for a reader
    kernel_like_shell()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rows = []
    print(f"# commit {git_commit(short=True)}, {cpu_model()}, torch threads {torch.get_num_threads()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    print("| chapter | widget | control | median redraw (s) | max (s) | median CPU (s) |\n"
          "|---|---|---|---:|---:|---:|")
    for chapter, name, widget in chapter_widgets(args.chapters):
        seen = {}
        for control in controls(widget):
            label = control.description or "?"
            seen[label] = seen.get(label, 0) + 1
            label += f" ({seen[label]})" if seen[label] > 1 else ""
            wall, cpu, unchanged = redraw_seconds(widget, control, args.repeats)
            rows.append({"chapter": chapter, "widget": name, "control": label, "median_s": statistics.median(wall),
                         "max_s": max(wall), "median_cpu_s": statistics.median(cpu), "unchanged": unchanged})
            note = f" ({unchanged} of {len(wall)} steps: same picture)" if unchanged else ""
            print(f"| {chapter} | {name} | {label}{note} | {statistics.median(wall):.3f} | {max(wall):.3f} "
                  f"| {statistics.median(cpu):.3f} |", flush=True)
    print(f"# load average at the end {os.getloadavg()[0]:.2f}")
    return rows


if __name__ == "__main__":
    main()
