# Two commands on a fresh machine:  `make lab`  and  `make test`.
# Both create a virtual environment in .venv (if missing) and install what they need.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
# The notebook folders, from _toc.yml (tools/collection.py is the one list of notebooks).
# Both cores: each notebook's tests share one kernel on one worker (see tests/conftest.py).
PYTEST_WORKERS ?= 2
# The browser suite: two notebooks at a time, each worker with its own JupyterLab and Chromium.
BROWSER_WORKERS ?= 2
CHROMIUM ?= /usr/bin/chromium

.PHONY: lab test notebooks test-notebook test-browser check-chromium bench book check-system install install-test install-browser clean help

help:
	@echo "make lab    - install (first time) and open the collection in JupyterLab"
	@echo "make test   - install (first time) and run the whole test suite"
	@echo "make test-notebook NB=point-neurons/02_leaky_integrate_and_fire.ipynb - one notebook's tests"
	@echo "make notebooks - re-execute every notebook in place, deterministically (NB=path for one)"
	@echo "make test-browser - every notebook in JupyterLab in headless Chromium (installs chromium if missing)"
	@echo "make bench  - time every notebook, its sliders and the NEURON comparisons (benchmarks/)"
	@echo "make book   - build the static site of the collection into _build/html (Jupyter Book)"
	@echo "make clean  - remove the virtual environment and build products"

# Fail early, with a message a newcomer can act on, if the machine lacks a prerequisite.
check-system:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null || \
	  { echo "error: Python 3.10 or newer is needed as '$(PYTHON)' (found: $$($(PYTHON) --version 2>&1)). Set PYTHON=/path/to/python3.x"; exit 1; }
	@$(PYTHON) -c 'import venv, ensurepip' 2>/dev/null || \
	  { echo "error: $(PYTHON) has no venv/ensurepip module. On Debian/Ubuntu: sudo apt-get install python3-venv"; exit 1; }
	@command -v c++ >/dev/null 2>&1 || command -v g++ >/dev/null 2>&1 || command -v clang++ >/dev/null 2>&1 || \
	  { echo "error: no C++ compiler found; NEURON's nrnivmodl needs one to compile the NMODL channels."; \
	    echo "       On Debian/Ubuntu: sudo apt-get install g++ make   On macOS: xcode-select --install"; exit 1; }

$(BIN)/python: | check-system
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Stamp files: reinstall only when a requirements file changes.
$(VENV)/.installed: requirements.txt requirements-data.txt $(BIN)/python
	$(PIP) install -r requirements.txt
	$(PIP) install --no-deps -r requirements-data.txt
	touch $@

$(VENV)/.installed-test: requirements-test.txt $(VENV)/.installed
	$(PIP) install -r requirements-test.txt
	touch $@

$(VENV)/.installed-book: requirements-book.txt $(VENV)/.installed-test
	$(PIP) install -r requirements-book.txt
	touch $@

$(VENV)/.installed-browser: requirements-browser.txt $(VENV)/.installed-test
	$(PIP) install -r requirements-browser.txt
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test
install-browser: $(VENV)/.installed-browser

# Debian's chromium (Playwright's own browser download does not work here); installed only if missing.
check-chromium:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "$(CHROMIUM) missing: installing Debian's chromium package"; \
	    apt-get update -qq && apt-get install -y -qq chromium; \
	  else \
	    echo "error: $(CHROMIUM) not found and this is not root (or not Debian/Ubuntu), so it cannot be installed here."; \
	    echo "       On Debian/Ubuntu: sudo apt-get install chromium   Elsewhere: make test-browser CHROMIUM=/path/to/chromium"; \
	    exit 1; \
	  fi; }
	@test -x $(CHROMIUM) || { echo "error: $(CHROMIUM) still missing after installing chromium"; exit 1; }

# JupyterLab refuses to start as root unless told; containers and CI machines often run as root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: install
	$(BIN)/jupyter lab --notebook-dir=. $(ALLOW_ROOT)

# One run on both cores: each notebook is executed once, top to bottom, in a fresh kernel, and
# every test of that notebook uses that kernel (--dist loadgroup keeps a notebook's tests on one
# worker). tests/test_executed_outputs.py applies nbval's --nbval-lax check (the
# NBVAL_CHECK_OUTPUT cells reproduce their stored output) to that same execution, so no notebook
# runs twice.
test: install-test
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup tests

# Re-execute notebooks in place as they are committed: top to bottom in a fresh kernel, no
# timing metadata, seeded widget ids, only the cell metadata the collection uses.
notebooks: install-test
	$(BIN)/python tools/execute_notebooks.py $(NB)

# One notebook's tests: its own test file and the generic checks on it (its output-checked
# cells included), all on one execution of the notebook.
test-notebook: install-test
	@test -n "$(NB)" || { echo "usage: make test-notebook NB=point-neurons/02_leaky_integrate_and_fire.ipynb"; exit 2; }
	$(BIN)/python -m pytest \
	  $(wildcard tests/test_*$(basename $(notdir $(NB))).py) \
	  $(wildcard tests/test_executed_outputs.py tests/test_structure.py tests/test_widgets.py \
	    tests/test_colab_setup.py tests/test_contract.py tests/test_exercises.py \
	    tests/test_hostile_input.py) \
	  -k "$(basename $(notdir $(NB))) or $(notdir $(NB))"

# The static site: Jupyter Book 1.x renders the committed, executed notebooks (nothing
# is executed) into _build/html. First tools/site_assets.py fetches the site's own JavaScript
# (MathJax, the widget HTML manager, require.js) from the npm registry, hash-checked, so the
# site renders with no network. --all rebuilds every page, so every warning is seen on every
# run; -W -n --keep-going: any warning (a broken link or cross-reference, a heading that skips a
# level, ...) fails the build, after all of them are reported. Then tools/check_book.py checks
# the HTML (every page built, no CDN, setup cell hidden) and browser-tests/test_site.py opens
# every page in headless Chromium with no network (equations typeset, figures, widget panels,
# collapsed solutions, launch buttons).
book: install-test $(VENV)/.installed-book install-browser check-chromium
	$(BIN)/python tools/site_assets.py
	$(BIN)/jupyter-book build . --all --warningiserror --nitpick --keep-going
	$(BIN)/python tools/check_book.py
	CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest -n $(BROWSER_WORKERS) browser-tests/test_site.py

# Speed budgets: execution time, slider latency and peak memory of every notebook, and
# the hand-written solvers against NEURON; writes benchmarks/results.md and README's Performance.
bench: install-test
	$(BIN)/python benchmarks/run.py

# Every notebook opened in JupyterLab (served from a temporary copy) in headless Chromium:
# Run All Cells, no error output, one slider per panel typed into, its plot must change.
# Failure screenshots go to browser-tests/artifacts/.  About 2.5 minutes on two cores.
test-browser: install-test install-browser check-chromium
	CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest -n $(BROWSER_WORKERS) browser-tests \
	  --ignore=browser-tests/test_site.py

clean:
	rm -rf $(VENV) _build browser-tests/artifacts multi-compartment-neurons/mechanisms_04
