# The StyleGAN book. Two commands do everything on a fresh machine:
#   make book   regenerate every chapter (chapters/*.ipynb) and figure (figures/*.png) on the CPU
#   make test   unit tests + every chapter executed under nbval + the book in JupyterLab in
#               headless Chromium (Debian's chromium and chromium-driver, installed when missing)
#   make html   the static HTML edition of the executed chapters in build/html/
# Both create the virtual environment .venv on first use.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# CPU build of PyTorch (GPU users: see environment.yml).
TORCH  ?= torch==2.13.0
# Debian's browser and its driver for the browser tests (installed by make test when missing).
BROWSER := /usr/bin/chromium /usr/bin/chromedriver
SUDO    := $(shell test "$$(id -u)" -eq 0 || echo sudo)

.PHONY: book test unit chapters browser html bench gpu-check lab sync book-model clean-venv

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check "$(TORCH)"
	$(PY) -m pip install -q --disable-pip-version-check -e ".[book,test]"
	touch $(STAMP)

book: $(STAMP)
	$(PY) -m stylegan_lib book

test: $(STAMP) $(BROWSER)
	$(PY) -m stylegan_lib book --check-sync
	$(PY) -m pytest tests -q --ignore=tests/browser
	STYLEGAN_BOOK_BATCH=1 STYLEGAN_BOOK_FIGURES=$$(mktemp -d) $(PY) -m pytest chapters --nbval-lax --nbval-cell-timeout=900 -q
	STYLEGAN_REQUIRE_BROWSER=1 $(PY) -m pytest tests/browser -q

unit: $(STAMP)
	$(PY) -m pytest tests -q --ignore=tests/browser

# JupyterLab and the HTML edition in headless Chromium (tests/browser); the redraw timings of
# every widget go to benchmarks/lab-timings.json (benchmarks/lab.md).
browser: $(STAMP) $(BROWSER)
	STYLEGAN_REQUIRE_BROWSER=1 STYLEGAN_LAB_TIMINGS=benchmarks/lab-timings.json $(PY) -m pytest tests/browser -q

$(BROWSER):
	$(SUDO) apt-get install -y -q chromium chromium-driver || \
		($(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium chromium-driver)

html: $(STAMP)
	$(PY) -m stylegan_lib html

chapters: $(STAMP)
	STYLEGAN_BOOK_BATCH=1 STYLEGAN_BOOK_FIGURES=$$(mktemp -d) $(PY) -m pytest chapters --nbval-lax --nbval-cell-timeout=900 -q

bench: $(STAMP)
	$(PY) -m stylegan_lib bench

# The one prepared GPU run (benchmarks/gpu.md): on a machine without CUDA it says so and exits 0.
gpu-check: $(STAMP)
	$(PY) -m stylegan_lib.gpu_check --out benchmarks/gpu-run

lab: $(STAMP)
	$(VENV)/bin/jupyter lab chapters/

# Re-pair the .py and .ipynb of every chapter after editing either one.
sync: $(STAMP)
	$(VENV)/bin/jupytext --sync chapters/*.py

# Retrain the book's shipped model and ship it into stylegan_lib/pretrained/ with its provenance
# (book-32.json, with the quality record). Resumable: run it again after a stop (it continues
# from runs/book-32/checkpoint.pt); BOOK_STOP=HH:MM ends a session cleanly at that time, and a
# run stopped before its kimg is not shipped. The defaults are the shipped model's recipe
# (benchmarks/training.md §7).
BOOK_KIMG ?= 600
BOOK_STOP ?=
BOOK_DATA ?= faces:100000:medium
BOOK_PRESET ?= book-32
book-model: $(STAMP)
	$(PY) -m stylegan_lib train --preset $(BOOK_PRESET) --data $(BOOK_DATA) --kimg $(BOOK_KIMG) --out runs/book-32 --threads 2 \
		$$(test -f runs/book-32/checkpoint.pt && echo --resume) $(if $(BOOK_STOP),--stop-at $(BOOK_STOP))
	$(PY) -m stylegan_lib.train.ship runs/book-32 || test $$? -eq 3  # 3: stopped before its kimg, not shipped

clean-venv:
	rm -rf $(VENV)
