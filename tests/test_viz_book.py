"""The chapters' helpers in stylegan_lib.viz.book: where figures and animations go, and the
book's generator."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from stylegan_lib.viz import book


def test_a_relative_figures_folder_is_taken_from_the_chapters_folder(tmp_path, monkeypatch):
    """papermill from the repository root and `make book` in chapters/ both write to figures/."""
    monkeypatch.delenv(book.FIGURES_ENV, raising=False)
    checkout = tmp_path / "checkout"
    (checkout / "chapters").mkdir(parents=True)
    monkeypatch.setattr(book, "CHAPTERS_DIR", checkout / "chapters")
    for cwd in (checkout, checkout / "chapters", tmp_path):
        monkeypatch.chdir(cwd)
        assert book.figures_dir("../figures") == checkout / "figures"
    assert book.figures_dir(tmp_path / "abs") == tmp_path / "abs"


def test_without_a_chapters_folder_a_relative_folder_is_taken_from_here(tmp_path, monkeypatch):
    monkeypatch.delenv(book.FIGURES_ENV, raising=False)
    monkeypatch.setattr(book, "CHAPTERS_DIR", tmp_path / "no-chapters")
    monkeypatch.chdir(tmp_path)
    assert book.figures_dir("figs").resolve() == tmp_path / "figs"


def test_the_environment_variable_is_used_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(book.FIGURES_ENV, "relative/figs")
    assert book.figures_dir("../figures") == Path("relative/figs")
    assert (tmp_path / "relative" / "figs").is_dir()


def test_the_checkout_chapters_folder_is_found():
    assert book.CHAPTERS_DIR == Path(book.__file__).resolve().parents[2] / "chapters"


def test_save_animation_writes_a_looping_gif(tmp_path, monkeypatch):
    from PIL import Image

    monkeypatch.setenv(book.FIGURES_ENV, str(tmp_path))
    frames = [np.full((4, 6, 3), v, np.uint8) for v in (0, 128, 255)]
    path = book.save_animation(frames, "walk", fps=10, scale=3)
    assert path == tmp_path / "walk.gif"
    with Image.open(path) as gif:
        assert gif.n_frames == 3 and gif.size == (18, 12) and gif.info["duration"] == 100
    first = path.read_bytes()
    assert book.save_animation(frames, "walk", fps=10, scale=3).read_bytes() == first  # replaced, same bytes
    with pytest.raises(ValueError, match="bare name"):
        book.save_animation(frames, "walk.gif")
    with pytest.raises(ValueError, match="no frames"):
        book.save_animation([], "empty")


def test_the_book_generator_has_no_random_fallback(monkeypatch):
    """A checkout without the shipped model says how to get one instead of drawing noise."""
    import inspect

    from stylegan_lib import pretrained

    assert "allow_random" not in inspect.signature(book.book_generator).parameters
    monkeypatch.setitem(pretrained.REGISTRY, "book-32", "missing-book-32.pt")
    with pytest.raises(FileNotFoundError, match="make book-model"):
        book.book_generator()
