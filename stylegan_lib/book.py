"""``python -m stylegan_lib book``: run the chapters listed in book.toml through papermill.

* ``--preset quick`` (default, what ``make book`` runs): each chapter runs with the defaults of
  its parameters cell on the CPU and is written back in place (chapters/NN.ipynb, with outputs),
  so its figures in figures/ are regenerated.
* ``--preset full`` (or any other preset of book.toml) injects that preset's parameters and
  writes the executed notebooks to ``build/book-<preset>/`` instead, leaving the sources alone.
* ``--check-sync`` only checks that every chapter's .py and .ipynb hold the same cells and that
  book.toml lists every chapter.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def read_book(root: Path = ROOT) -> dict:
    path = root / "book.toml"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run from the repository of the book")
    book = tomllib.loads(path.read_text())
    for ch in book.get("chapters", []):
        if "name" not in ch:
            raise ValueError(f"book.toml: a [[chapters]] entry has no name: {ch}")
    return book


def parse_param(text: str):
    """``key=value`` → (key, value) with value parsed as JSON when possible (numbers, true, …)."""
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"parameters are key=value, got {text!r}")
    key, value = text.split("=", 1)
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def cells_of(path: Path) -> list[tuple[str, str]]:
    """(cell type, source) of every cell of a .py or .ipynb chapter, as jupytext reads it."""
    import jupytext

    nb = jupytext.read(path)
    return [(c.cell_type, c.source.strip()) for c in nb.cells]


def check_sync(root: Path = ROOT) -> list[str]:
    """Problems with the pairing of chapters: missing twins, differing cells, unlisted chapters."""
    problems = []
    chapters = root / "chapters"
    listed = {ch["name"] for ch in read_book(root).get("chapters", [])}
    stems = {p.stem for p in chapters.glob("*.py")} | {p.stem for p in chapters.glob("*.ipynb")}
    for stem in sorted(stems):
        py, nb = chapters / f"{stem}.py", chapters / f"{stem}.ipynb"
        if not py.is_file() or not nb.is_file():
            problems.append(f"{stem}: needs both {py.name} and {nb.name} (run `make sync`)")
        elif cells_of(py) != cells_of(nb):
            problems.append(f"{stem}: {py.name} and {nb.name} differ (run `make sync`)")
        if stem not in listed:
            problems.append(f"{stem}: not listed in book.toml")
    for name in sorted(listed - stems):
        problems.append(f"{name}: listed in book.toml but chapters/{name}.py does not exist")
    return problems


def clean_metadata(nb) -> None:
    """Drop the execution bookkeeping papermill adds, so a rerun only changes outputs, and the
    stderr streams (progress bars, blank strips), which are noise in a saved chapter. Cell ids
    are made from each cell's position and source (reading the .py draws random ones), so an
    unchanged cell keeps its id from run to run."""
    nb.metadata.pop("papermill", None)
    for i, cell in enumerate(nb.cells):
        cell.id = hashlib.sha1(f"{i}:{cell.source}".encode()).hexdigest()[:8]
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs
                            if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]


def sync_pair(notebook: Path) -> None:
    """Re-pair ``notebook`` with its .py the way JupyterLab's jupytext will read them (with
    jupytext.toml's settings), so that opening the chapter after a run raises no dialog."""
    from jupytext.cli import jupytext as jupytext_cli

    jupytext_cli(["--sync", "--quiet", str(notebook)])


def run_chapter(name: str, params: dict, out_path: Path, root: Path = ROOT) -> float:
    """Execute one chapter with papermill (kernel cwd = chapters/); returns seconds taken."""
    import jupytext
    import nbformat
    import papermill

    from .viz.book import check_parameters

    chapters = root / "chapters"
    src = chapters / f"{name}.py"
    if not src.is_file():
        raise FileNotFoundError(f"chapter {src} does not exist (book.toml lists it)")
    nb = jupytext.read(src)  # the .py is the reviewed source; the .ipynb is regenerated from it
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_in = Path(tmp) / f"{name}.ipynb"
        nbformat.write(nb, tmp_in)
        known = papermill.inspect_notebook(str(tmp_in))
        unknown = sorted(set(params or {}) - set(known))
        if unknown:
            raise ValueError(f"chapter {name} has no parameter(s) {unknown}; its parameters are "
                             f"{sorted(known)}")
        check_parameters(params or {})
        t0 = time.perf_counter()
        # Write to a temporary file first: a failed run leaves the chapter's notebook untouched.
        tmp_out = Path(tmp) / f"{name}.out.ipynb"
        papermill.execute_notebook(str(tmp_in), str(tmp_out), parameters=params or None,
                                   cwd=str(chapters), kernel_name="python3", progress_bar=False,
                                   execution_timeout=900)
        seconds = time.perf_counter() - t0
        executed = nbformat.read(tmp_out, as_version=4)
    clean_metadata(executed)
    nbformat.write(executed, out_path)
    return seconds


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m stylegan_lib book", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--preset", default="quick", help="a [presets.NAME] of book.toml (default quick)")
    ap.add_argument("--only", nargs="*", default=None, help="chapter names to run (default: all)")
    ap.add_argument("-p", "--param", action="append", type=parse_param, default=[],
                    help="extra papermill parameter key=value (repeatable)")
    ap.add_argument("--out", type=Path, default=None, help="output folder (default: in place for quick)")
    ap.add_argument("--check-sync", action="store_true", help="only check .py/.ipynb pairs and book.toml")
    args = ap.parse_args(argv)

    # Widgets skip drawing at creation in batch runs (see stylegan_lib.viz.book.interactive).
    os.environ.setdefault("STYLEGAN_BOOK_BATCH", "1")
    if args.check_sync:
        problems = check_sync()
        for p in problems:
            print("chapter pairing:", p, file=sys.stderr)
        if not problems:
            print("chapters: every .py/.ipynb pair is in sync and listed in book.toml")
        return 1 if problems else 0

    book = read_book()
    presets = book.get("presets", {})
    if args.preset not in presets:
        print(f"unknown preset {args.preset!r}; book.toml defines {sorted(presets)}", file=sys.stderr)
        return 2
    params = dict(presets[args.preset])
    params.update(dict(args.param))
    chapters = [ch["name"] for ch in book["chapters"]]
    if args.only:
        unknown = sorted(set(args.only) - set(chapters))
        if unknown:
            print(f"unknown chapters {unknown}; book.toml lists {chapters}", file=sys.stderr)
            return 2
        chapters = [c for c in chapters if c in args.only]
    in_place = args.out is None and not params
    out_dir = ROOT / "chapters" if in_place else (args.out or ROOT / "build" / f"book-{args.preset}")
    print(f"running {len(chapters)} chapter(s) with preset {args.preset!r} {params or ''} -> {out_dir}")
    total = 0.0
    for i, name in enumerate(chapters, 1):
        print(f"[{i}/{len(chapters)}] {name} …", flush=True)
        seconds = run_chapter(name, params, out_dir / f"{name}.ipynb")
        if in_place:
            sync_pair(out_dir / f"{name}.ipynb")
        total += seconds
        print(f"[{i}/{len(chapters)}] {name}: {seconds:.0f} s", flush=True)
    print(f"done: {len(chapters)} chapter(s) in {total:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
