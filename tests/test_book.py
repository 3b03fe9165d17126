"""The book's machinery: chapter pairing, book.toml, the runner's parameters, figure output."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from stylegan_lib import book
from stylegan_lib.viz.book import FIGURES_ENV, book_generator, chapter_header, check_preset, save_figure

ROOT = Path(__file__).resolve().parent.parent


def test_every_chapter_is_paired_in_sync_and_listed():
    assert book.check_sync(ROOT) == []


def test_book_toml_lists_existing_chapters_in_order():
    data = tomllib.loads((ROOT / "book.toml").read_text())
    names = [c["name"] for c in data["chapters"]]
    assert names == sorted(names) and len(names) == len(set(names))
    assert "quick" in data["presets"] and "full" in data["presets"]
    for name in names:
        assert (ROOT / "chapters" / f"{name}.py").is_file()


def test_check_sync_detects_a_drifted_pair(tmp_path):
    (tmp_path / "chapters").mkdir()
    (tmp_path / "book.toml").write_text('[[chapters]]\nname = "01_x"\n[[chapters]]\nname = "02_gone"\n')
    src = "# %%\nprint(1)\n"
    (tmp_path / "chapters" / "01_x.py").write_text(src)
    import jupytext

    nb = jupytext.reads("# %%\nprint(2)\n", fmt="py:percent")
    jupytext.write(nb, tmp_path / "chapters" / "01_x.ipynb")
    problems = book.check_sync(tmp_path)
    assert any("differ" in p for p in problems)
    assert any("02_gone" in p for p in problems)


def test_parse_param():
    assert book.parse_param("seed=3") == ("seed", 3)
    assert book.parse_param("device=cuda") == ("device", "cuda")
    assert book.parse_param("psi=0.5") == ("psi", 0.5)
    with pytest.raises(Exception, match="key=value"):
        book.parse_param("seed")


def test_runner_rejects_unknown_parameters(tmp_path):
    with pytest.raises(ValueError, match="no parameter"):
        book.run_chapter("00_tour", {"not_a_parameter": 1}, tmp_path / "out.ipynb")


def test_figures_go_to_the_override_folder(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setenv(FIGURES_ENV, str(tmp_path / "figs"))
    fig, ax = plt.subplots()
    ax.plot([0, 1])
    path = save_figure(fig, "probe", "should/not/be/used")
    assert path == tmp_path / "figs" / "probe.png" and path.stat().st_size > 0
    with pytest.raises(ValueError, match="bare name"):
        save_figure(fig, "a/b.png")
    plt.close(fig)


def test_bad_chapter_parameters_give_clear_errors():
    with pytest.raises(ValueError, match="preset must be one of"):
        check_preset("fast")
    with pytest.raises((RuntimeError, ValueError)):
        chapter_header("x", "tpu", 1)
    with pytest.raises(ValueError, match="checkpoint"):
        book_generator("", preset="full")


def test_a_rewritten_notebook_is_repaired_the_way_jupyterlab_reads_it(tmp_path):
    """What `make book` does to a chapter (papermill output written over the .ipynb, stderr
    dropped), then sync_pair: the .py is at least as new as the .ipynb and is exactly what
    jupytext (with jupytext.toml's settings) makes of the notebook — so JupyterLab opens the
    pair without a "File Load Error"."""
    import shutil

    import jupytext
    import nbformat
    from jupytext.config import load_jupytext_config

    shutil.copy(ROOT / "jupytext.toml", tmp_path / "jupytext.toml")
    py, ipynb = tmp_path / "07.py", tmp_path / "07.ipynb"
    shutil.copy(ROOT / "chapters" / "07_truncation.py", py)
    nb = jupytext.read(py)
    for cell in nb.cells:                              # as papermill leaves an executed notebook
        cell.metadata["papermill"] = {"duration": 1.0}
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text="progress 50%\r"),
                            nbformat.v4.new_output("stream", name="stdout", text="ok\n")]
    nb.metadata["papermill"] = {"parameters": {}}
    book.clean_metadata(nb)
    nbformat.write(nb, ipynb)
    book.sync_pair(ipynb)
    assert py.stat().st_mtime >= ipynb.stat().st_mtime
    config = load_jupytext_config(str(tmp_path))
    text = jupytext.writes(jupytext.read(ipynb), fmt="py:percent", config=config)
    assert py.read_text() == text
    # and what jupytext's command line makes of the notebook on its own is the .py, header included
    import subprocess
    import sys

    alone = subprocess.run([sys.executable, "-m", "jupytext", "--to", "py:percent", "-o", "-", str(ipynb)],
                           capture_output=True, text=True, cwd=tmp_path, check=True).stdout
    assert alone == py.read_text()
    saved = nbformat.read(ipynb, as_version=4)
    outputs = [o for c in saved.cells if c.cell_type == "code" for o in c.outputs]
    assert outputs and all(o.get("name") != "stderr" for o in outputs)
    assert "papermill" not in saved.metadata


def test_html_edition_finds_what_a_page_would_fetch():
    from stylegan_lib.book_html import remote_assets

    page = """<link rel="stylesheet" href="https://cdn.example.org/theme.css">
    <img src="//img.example.org/a.png"><a href="https://arxiv.org/abs/1812.04948">the paper</a>
    <style>@import url("https://fonts.example.org/f.css"); .x { background: url(data:image/png;base64,AA) }</style>
    <script>var src = 'https://unpkg.com/@jupyter-widgets/html-manager@*/dist/embed-amd.js';</script>
    <script src="mathjax/MathJax.js"></script><img src="data:image/png;base64,AAAA">"""
    assert remote_assets(page) == ["//img.example.org/a.png", "https://cdn.example.org/theme.css",
                                   "https://fonts.example.org/f.css",
                                   "https://unpkg.com/@jupyter-widgets/html-manager@*/dist/embed-amd.js"]


def test_html_edition_refuses_a_folder_it_did_not_write(tmp_path):
    import pytest

    from stylegan_lib.book_html import build

    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="--force"):
        build(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_html_edition_draws_animations_and_replaces_widgets():
    import nbformat

    from stylegan_lib.book_html import WIDGET_MIME, WIDGET_NOTE, static_outputs

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("show()")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"image/gif": "R0lGOD\nlhAQ==", "text/plain": "<Image>"}),
                    nbformat.v4.new_output("display_data", data={WIDGET_MIME: {"model_id": "x"}, "text/plain": "VBox()"}),
                    nbformat.v4.new_output("stream", name="stdout", text="kept")]
    nb.cells = [cell]
    assert static_outputs(nb) == 2
    assert cell.outputs[0]["data"] == {"text/html": '<img src="data:image/gif;base64,R0lGODlhAQ==" alt="animation">'}
    assert cell.outputs[1]["data"] == {"text/html": WIDGET_NOTE}
    assert cell.outputs[2]["text"] == "kept"


def test_cell_ids_stay_the_same_from_run_to_run(tmp_path):
    """make book reads each chapter's .py afresh (random cell ids); the saved notebook's ids must
    not churn from one run to the next, so a rerun's diff is only its outputs."""
    import shutil

    import jupytext
    import nbformat

    shutil.copy(ROOT / "jupytext.toml", tmp_path / "jupytext.toml")
    py, ipynb = tmp_path / "07.py", tmp_path / "07.ipynb"
    shutil.copy(ROOT / "chapters" / "07_truncation.py", py)
    runs = []
    for _ in range(2):
        nb = jupytext.read(py)
        book.clean_metadata(nb)
        nbformat.write(nb, ipynb)
        book.sync_pair(ipynb)
        runs.append([c.id for c in nbformat.read(ipynb, as_version=4).cells])
    assert runs[0] == runs[1] and len(set(runs[0])) == len(runs[0])
