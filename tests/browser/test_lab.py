"""The book as a reader meets it: JupyterLab in headless Chromium, every chapter opened (no dialog,
so the .py/.ipynb pair is consistent), Run All (no error in any output), then every widget moved
as a user would — sliders dragged, dropdowns changed, numbers typed, boxes ticked — and its
picture checked to change. The time from each input to the new picture is recorded — on the
page's own clock, from the reader's last input event to the new image in the page
(``redraw_s``), and as Selenium sees it, its pacing of a drag included (``with_selenium_s``);
with $STYLEGAN_LAB_TIMINGS set to a file, the timings are written there as JSON
(benchmarks/lab.md).

The chapters run on a copy of chapters/ in a temporary folder, so JupyterLab's autosave cannot
touch the checkout; figures go to a temporary folder too.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from stylegan_lib.book import ROOT, read_book

from waiting import wait_for

CHAPTERS = [ch["name"] for ch in read_book()["chapters"]]
RUN_ALL_TIMEOUT = 900     # seconds for one chapter's Run All on a 2-core CPU
REDRAW_TIMEOUT = 60       # seconds for one widget to show its new picture
TIMINGS: list[dict] = []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on a copy of the chapters; yields (base url, token)."""
    home = tmp_path_factory.mktemp("lab")
    book = home / "chapters"
    shutil.copytree(ROOT / "chapters", book, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copy(ROOT / "jupytext.toml", home / "jupytext.toml")
    port, token = free_port(), "stylegan-book-test"
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_DATA_DIR": str(home / "data"),
           "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"), "JUPYTERLAB_WORKSPACES_DIR": str(home / "ws"),
           "STYLEGAN_BOOK_FIGURES": str(home / "figures"), "MPLBACKEND": "module://matplotlib_inline.backend_inline"}
    env.pop("STYLEGAN_BOOK_BATCH", None)   # widgets draw as for a reader
    log = open(home / "server.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--ServerApp.root_dir={book}", f"--IdentityProvider.token={token}", "--LabApp.news_url=None",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--allow-root"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=book)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError(f"JupyterLab exited: {(home / 'server.log').read_text()[-2000:]}")
                time.sleep(0.5)
        # The server finds its kernel specs on the first request, which can take seconds on a busy
        # machine; a notebook opened before then gets JupyterLab's "Select Kernel" dialog.
        wait_for(lambda: "python3" in json.loads(urllib.request.urlopen(
            f"{base}/api/kernelspecs?token={token}", timeout=30).read()).get("kernelspecs", {}),
                 120, "JupyterLab's kernel specs")
        yield base, token
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        out = os.environ.get("STYLEGAN_LAB_TIMINGS")
        if out and TIMINGS:
            Path(out).write_text(json.dumps(TIMINGS, indent=1) + "\n")


def kernel_idle(driver) -> bool:
    return driver.execute_script(
        "const e = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-ExecutionIndicator');"
        "return e !== null && e.getAttribute('data-status') === 'idle';")


def kernel_name(driver) -> str:
    """The kernel the notebook's toolbar names ("No Kernel" before one is chosen)."""
    return driver.execute_script(
        "const e = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Toolbar-kernelName');"
        "return e === null ? '' : e.textContent.trim();")


def prompts(driver) -> list[str]:
    return driver.execute_script(
        "return [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')]"
        ".map(e => e.textContent.trim());")


def dialog_text(driver) -> str:
    return driver.execute_script("const d = document.querySelector('.jp-Dialog'); return d ? d.innerText : '';")


def click_menu(driver, menu: str, item: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.XPATH, f"//li[contains(@class,'lm-MenuBar-item')][.//div[text()='{menu}']]").click()
    driver.find_element(By.XPATH, f"//li[contains(@class,'lm-Menu-item')][.//div[text()='{item}']]").click()


def error_outputs(driver) -> list[str]:
    return driver.execute_script(
        "return [...document.querySelectorAll('.jp-OutputArea-output[data-mime-type=\"application/vnd.jupyter.stderr\"]')]"
        ".map(e => e.innerText).filter(t => /Traceback|Error|Exception/.test(t));")


def pictures(cell) -> tuple[str, ...]:
    """What a cell's outputs show: the source of every image in them (read in one step, as a
    redraw replaces the images while we look)."""
    return tuple(cell.parent.execute_script(
        "return [...arguments[0].querySelectorAll('.jp-OutputArea img')].map(i => i.src || '');", cell))


#: Page-side clock for one redraw: every input event's time (performance.now(), ms) and the time
#: an image of the cell first changed (a new src, or a new <img>), so the latency excludes
#: Selenium's own pacing.
WATCH_REDRAW = """
const cell = arguments[0];
const t = window.__redraw = {inputs: [], shown: null};
const note = () => t.inputs.push(performance.now());
t.events = ['pointerdown', 'pointermove', 'pointerup', 'change', 'keydown', 'click'];
t.events.forEach(e => document.addEventListener(e, note, true));
t.note = note;
const isImage = n => n.nodeType === 1 && (n.tagName === 'IMG' || n.querySelector('img') !== null);
t.observer = new MutationObserver(changes => {
  if (t.shown === null && changes.some(m => m.type === 'attributes' ? m.target.tagName === 'IMG'
                                                                   : [...m.addedNodes].some(isImage)))
    t.shown = performance.now();
});
t.observer.observe(cell, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
"""

#: Stop watching; the seconds from the reader's last input before the new picture to the picture.
REDRAW_LATENCY = """
const t = window.__redraw;
t.observer.disconnect();
t.events.forEach(e => document.removeEventListener(e, t.note, true));
const before = t.inputs.filter(x => x <= t.shown);
return (t.shown === null || before.length === 0) ? null : (t.shown - Math.max(...before)) / 1000;
"""


def controls(cell) -> list[tuple[str, object]]:
    from selenium.webdriver.common.by import By

    found = [("slider", e) for e in cell.find_elements(By.CSS_SELECTOR, ".widget-slider .noUi-handle")]
    found += [("dropdown", e) for e in cell.find_elements(By.CSS_SELECTOR, ".widget-dropdown select")]
    found += [("number", e) for e in cell.find_elements(By.CSS_SELECTOR, ".widget-text input[type=number]")]
    found += [("checkbox", e) for e in cell.find_elements(By.CSS_SELECTOR, ".widget-checkbox input")]
    return found


def label_of(control) -> str:
    from selenium.webdriver.common.by import By

    box = control.find_element(By.XPATH, "ancestor::div[contains(@class,'widget-inline-hbox')][1]")
    labels = box.find_elements(By.CSS_SELECTOR, ".widget-label")
    return labels[0].text if labels else "?"


def move(driver, kind: str, control) -> None:
    """Change one control the way a reader would."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", control)
    if kind == "slider":
        track = control.find_element(By.XPATH, "ancestor::div[contains(@class,'noUi-target')][1]")
        left = control.rect["x"] + control.rect["width"] / 2 - track.rect["x"]
        dx = track.rect["width"] * 0.35 * (1 if left < track.rect["width"] / 2 else -1)
        ActionChains(driver).click_and_hold(control).move_by_offset(dx, 0).release().perform()
    elif kind == "dropdown":
        select = Select(control)
        current = [o.get_attribute("value") for o in select.options].index(select.first_selected_option.get_attribute("value"))
        select.select_by_index((current + 1) % len(select.options))
    elif kind == "number":
        value = int(float(control.get_attribute("value") or 0)) + 1
        control.send_keys(Keys.CONTROL, "a")
        control.send_keys(str(value), Keys.ENTER)
    else:
        control.click()


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_runs_and_its_widgets_redraw(chrome, lab, name):
    from selenium.webdriver.common.by import By

    base, token = lab
    for attempt in range(2):
        chrome.get(f"{base}/lab/tree/{name}.ipynb?token={token}")
        wait_for(lambda: chrome.find_elements(By.CSS_SELECTOR, ".jp-NotebookPanel .jp-Cell"), 120, "the notebook")
        wait_for(lambda: (kernel_idle(chrome) and kernel_name(chrome) not in ("", "No Kernel"))
                 or dialog_text(chrome), 120, "the kernel to start")
        # A "Select Kernel" dialog says the page asked before the kernel specs reached it (a race
        # of a busy machine, not the chapter's fault): load the page once more.
        if not dialog_text(chrome).startswith("Select Kernel"):
            break
    assert not dialog_text(chrome), f"{name} opened with a dialog: {dialog_text(chrome)}"
    wait_for(lambda: kernel_idle(chrome), 120, "the kernel to start")

    start = time.monotonic()
    click_menu(chrome, "Run", "Run All Cells")
    wait_for(lambda: "[*]:" in prompts(chrome) or not kernel_idle(chrome), 30, "Run All to start")
    wait_for(lambda: kernel_idle(chrome) and "[*]:" not in prompts(chrome), RUN_ALL_TIMEOUT,
             f"{name} to finish Run All")
    run_all = time.monotonic() - start
    assert not error_outputs(chrome), f"{name}: {error_outputs(chrome)}"
    assert "[ ]:" not in prompts(chrome), f"{name}: Run All left cells unexecuted"
    assert not dialog_text(chrome), dialog_text(chrome)

    cells = chrome.find_elements(By.CSS_SELECTOR, ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell")
    moved = 0
    for cell in cells:
        for i in range(len(controls(cell))):
            kind, control = controls(cell)[i]      # found again: a redraw may rebuild the widgets
            label = label_of(control)
            before = pictures(cell)
            chrome.execute_script(WATCH_REDRAW, cell)
            t0 = time.monotonic()
            move(chrome, kind, control)
            wait_for(lambda: pictures(cell) != before and all(pictures(cell)), REDRAW_TIMEOUT,
                     f"{name}: a new picture after moving the {kind} '{label}'", step=0.02)
            action = time.monotonic() - t0
            latency = chrome.execute_script(REDRAW_LATENCY)
            wait_for(lambda: kernel_idle(chrome), REDRAW_TIMEOUT, "the kernel to finish the redraw")
            TIMINGS.append({"chapter": name, "control": kind, "label": label,
                            "redraw_s": None if latency is None else round(latency, 3),
                            "with_selenium_s": round(action, 3)})
            moved += 1
    assert not error_outputs(chrome), f"{name} after moving its widgets: {error_outputs(chrome)}"
    TIMINGS.append({"chapter": name, "run_all_s": round(run_all, 1), "controls_moved": moved})
