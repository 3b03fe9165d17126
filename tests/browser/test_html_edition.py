"""The static HTML edition (``make html``) read in a real browser from the file system: the index
lists every chapter, a chapter page shows its figures and typesets its equations with the local
MathJax, and nothing is fetched from the network."""
from __future__ import annotations

import pytest

from stylegan_lib.book import read_book
from stylegan_lib.book_html import build

from waiting import wait_for


@pytest.fixture(scope="module")
def edition(tmp_path_factory):
    return build(tmp_path_factory.mktemp("html") / "book")


def test_index_lists_every_chapter(chrome, edition, tmp_path):
    from selenium.webdriver.common.by import By

    index = edition[0]
    chrome.get(index.as_uri())
    links = chrome.find_elements(By.CSS_SELECTOR, "ol li a")
    chapters = read_book()["chapters"]
    assert [a.get_attribute("href").rsplit("/", 1)[-1] for a in links] == [f"{c['name']}.html" for c in chapters]
    assert [a.text for a in links] == [c["title"] for c in chapters]
    chrome.save_screenshot(str(tmp_path / "index.png"))
    assert (tmp_path / "index.png").stat().st_size > 10_000


def test_chapter_page_shows_figures_animation_and_equations(chrome, edition, tmp_path):
    from selenium.webdriver.common.by import By

    page = next(p for p in edition if p.name.startswith("02_"))
    chrome.get_log("browser")                                   # start with an empty log
    chrome.get(page.as_uri())
    # A 1.6 MB page of inlined figures: wait for its DOM rather than trusting get()'s return (a
    # fresh-clone run once found no images at all right after it).
    wait_for(lambda: len(chrome.find_elements(By.CSS_SELECTOR, "img")) >= 3, 60, "the chapter's figures")
    images = chrome.find_elements(By.CSS_SELECTOR, "img")
    assert any((im.get_attribute("src") or "").startswith("data:image/gif") for im in images)

    wait_for(lambda: all(chrome.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", im)
                         for im in images), 60, "every figure to be decoded")
    assert wait_for(lambda: chrome.find_elements(By.CSS_SELECTOR, ".MathJax_Display .MathJax, .MathJax_CHTML, mjx-container"),
                    60, "MathJax's rendered equations")
    nav = chrome.find_elements(By.CSS_SELECTOR, "nav.book.top a")
    assert [a.text.split(". ")[0].lstrip("← ") for a in nav][0] == "01"
    # a fetch from the network fails on this closed machine and is logged (net::ERR_…)
    failed = [e["message"] for e in chrome.get_log("browser")
              if e.get("source") == "network" and not e["message"].startswith("about:blank")]
    assert not failed, failed
    chrome.save_screenshot(str(tmp_path / "chapter.png"))
