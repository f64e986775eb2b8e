# Two commands on a fresh machine:  `make lab`  and  `make test`.
# Both create a virtual environment in .venv (if missing) and install what they need.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
# The notebook folders that exist (a fresh clone has only the ones with notebooks in them).
NOTEBOOKS := $(wildcard point-neurons multi-compartment-neurons)
# Both cores: each notebook's tests share one kernel on one worker (see tests/conftest.py).
PYTEST_WORKERS ?= 2

.PHONY: lab test test-notebook check-system install install-test clean help

help:
	@echo "make lab    - install (first time) and open the collection in JupyterLab"
	@echo "make test   - install (first time) and run the whole test suite"
	@echo "make test-notebook NB=point-neurons/02_leaky_integrate_and_fire.ipynb - one notebook's tests"
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

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# JupyterLab refuses to start as root unless told; containers and CI machines often run as root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

lab: install
	$(BIN)/jupyter lab --notebook-dir=. $(ALLOW_ROOT)

# Two runs, each on both cores: nbval re-executes every notebook and compares the
# NBVAL_CHECK_OUTPUT cells (--dist loadfile keeps a notebook's cells on one worker, in order);
# then tests/ calls each notebook's functions (--dist loadgroup: one kernel per notebook).
test: install-test
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile \
	  --nbval-lax --nbval-current-env $(NOTEBOOKS)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup tests

# One notebook's tests: its nbval cells, its own test file, and the generic checks on it.
test-notebook: install-test
	@test -n "$(NB)" || { echo "usage: make test-notebook NB=point-neurons/02_leaky_integrate_and_fire.ipynb"; exit 2; }
	$(BIN)/python -m pytest --nbval-lax --nbval-current-env $(NB) \
	  $(wildcard tests/test_*$(basename $(notdir $(NB))).py) \
	  tests/test_structure.py tests/test_widgets.py -k "$(basename $(notdir $(NB))) or $(notdir $(NB))"

clean:
	rm -rf $(VENV) multi-compartment-neurons/mechanisms_*/x86_64 multi-compartment-neurons/mechanisms_*/arm64
