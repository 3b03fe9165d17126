# The StyleGAN book. Two commands do everything on a fresh machine:
#   make book   regenerate every chapter (chapters/*.ipynb) and figure (figures/*.png) on the CPU
#   make test   unit tests + every chapter executed under nbval
# Both create the virtual environment .venv on first use.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# CPU build of PyTorch (GPU users: see environment.yml).
TORCH  ?= torch==2.13.0

.PHONY: book test unit chapters bench lab sync book-model clean-venv

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check "$(TORCH)"
	$(PY) -m pip install -q --disable-pip-version-check -e ".[book,test]"
	touch $(STAMP)

book: $(STAMP)
	$(PY) -m stylegan_lib book

test: $(STAMP)
	$(PY) -m stylegan_lib book --check-sync
	STYLEGAN_BOOK_FIGURES=$$(mktemp -d) $(PY) -m pytest tests chapters --nbval-lax -q

unit: $(STAMP)
	$(PY) -m pytest tests -q

chapters: $(STAMP)
	STYLEGAN_BOOK_FIGURES=$$(mktemp -d) $(PY) -m pytest chapters --nbval-lax -q

bench: $(STAMP)
	$(PY) -m stylegan_lib bench

lab: $(STAMP)
	$(VENV)/bin/jupyter lab chapters/

# Re-pair the .py and .ipynb of every chapter after editing either one.
sync: $(STAMP)
	$(VENV)/bin/jupytext --sync chapters/*.py

# Retrain the book's shipped model (about 1.5 h on 2 CPU cores); see stylegan_lib/pretrained/.
book-model: $(STAMP)
	$(PY) -m stylegan_lib train --book-model

clean-venv:
	rm -rf $(VENV)
