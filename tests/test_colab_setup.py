"""The Colab setup cell: present in every notebook, and a no-op anywhere but on Colab.

Reference: the collection's Colab requirement ("a first setup cell that installs missing packages only when running on
Colab (detected, not assumed)"), and what each notebook imports: NEURON for the notebooks that
compare with it, bmtk (data only, --no-deps) for those that use the Allen cell (the NMODL notebooks find
Colab's nrnivmodl on the PATH themselves; Colab has the compiler). Each notebook's own test file
states this as COLAB_NEEDS. The cell is written by tools/colab_setup_cell.py.

Two groups of tests:
* the tool, run on in-memory copies of the notebooks (these pass whatever the committed
  notebooks hold);
* the committed notebooks (``test_notebook_*``): they need the tool applied
  (``.venv/bin/python tools/colab_setup_cell.py``).

The cell's code is executed in a fresh interpreter (``python -I``), where subprocess and
os.system are replaced by functions that raise, and stdout, stderr, the imported modules and
the time are recorded; for the Colab case a stand-in ``google.colab`` module records the calls.
"""

import copy
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat
import pytest

from conftest import NOTEBOOKS, ROOT, own_test_file, own_tests
from test_environment import pip_requirements

sys.path.insert(0, str(ROOT / "tools"))
import colab_setup_cell as tool  # noqa: E402


def expected_needs(path):
    """What the notebook's Colab cell must install beyond numpy/scipy/matplotlib/ipywidgets:
    COLAB_NEEDS of its own test file, written from what the notebook imports (an expectation;
    the tests compare it with what tools/colab_setup_cell.py finds)."""
    needs = getattr(own_tests(path), "COLAB_NEEDS", None)
    assert needs is not None, (
        f"{path}: {own_test_file(path)} declares no COLAB_NEEDS, the packages its Colab setup cell "
        "must install (set(), {'neuron'} or {'neuron', 'bmtk'})")
    return needs


# Outside Colab the cell may only look at sys (importlib is allowed by the design note, too).
ALLOWED_NEW_MODULES = {"sys", "importlib", "importlib.util"}
MAX_SECONDS = 0.5  # a dictionary lookup takes microseconds; a pip install takes seconds

HARNESS = r'''
import contextlib, io, json, os, subprocess, sys, time, types

def forbidden(name):
    def call(*args, **kwargs):
        raise AssertionError(f"{name} called with {args!r}")
    return call

source, mode, prefix = json.loads(sys.stdin.read())
pip_calls, widget_manager = [], []
if mode == "outside":
    for name in ("run", "call", "check_call", "check_output", "Popen", "getoutput"):
        setattr(subprocess, name, forbidden("subprocess." + name))
    for name in dir(os):
        if name == "system" or name.startswith(("exec", "spawn", "posix_spawn", "fork")):
            setattr(os, name, forbidden("os." + name))
else:  # a stand-in Colab: google.colab imported, nothing installed, pip recorded
    colab = types.ModuleType("google.colab")
    colab.output = types.SimpleNamespace(
        enable_custom_widget_manager=lambda: widget_manager.append(True))
    sys.modules["google"] = types.ModuleType("google")
    sys.modules["google.colab"] = colab
    sys.modules["google.colab.output"] = colab.output
    def run(cmd, check=False, **kwargs):
        pip_calls.append(list(cmd))
        return subprocess.CompletedProcess(cmd, 0)
    subprocess.run = run
    import importlib.util, shutil
    real_find_spec = importlib.util.find_spec
    present = mode == "colab-installed"
    importlib.util.find_spec = lambda name, *a: (
        real_find_spec("json") if present else None) if name in ("neuron", "bmtk") \
        else real_find_spec(name, *a)
    sys.prefix = prefix
    shutil.which = lambda name, *a: "/usr/local/bin/" + name

before = set(sys.modules)
out, err = io.StringIO(), io.StringIO()
start = time.perf_counter()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
    exec(compile(source, "<setup cell>", "exec"), {"__name__": "__main__"})
elapsed = time.perf_counter() - start
print(json.dumps({"stdout": out.getvalue(), "stderr": err.getvalue(), "seconds": elapsed,
                  "new_modules": sorted(set(sys.modules) - before),
                  "pip_calls": [c[c.index("install") + 1:] for c in pip_calls
                                if "pip" in c and "install" in c],
                  "other_calls": [c for c in pip_calls if not ("pip" in c and "install" in c)],
                  "widget_manager": len(widget_manager)}))
'''


def run_cell(source, mode="outside", prefix=""):
    """Execute a setup cell's code in a fresh interpreter; return what it did."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    done = subprocess.run([sys.executable, "-I", "-c", HARNESS],
                          input=json.dumps([source, mode, str(prefix)]),
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, f"the setup cell raised:\n{done.stderr}"
    return json.loads(done.stdout)


def load(path):
    return nbformat.read(ROOT / path, as_version=4)


def generated(path):
    """The notebook as the tool would write it (without executing it)."""
    return tool.with_setup_cell(copy.deepcopy(load(path)))[0]


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]


def pip_args(needs):
    """The pip arguments the cell must use for these needs, from the requirements files."""
    runtime, data = pip_requirements("requirements.txt"), pip_requirements("requirements-data.txt")
    args = []
    if "neuron" in needs:
        args.append(["--quiet", "neuron" + runtime["neuron"]])
    if "bmtk" in needs:
        args.append(["--quiet", "--no-deps", "bmtk" + data["bmtk"]])
    return args


# --- the tool, on copies of the notebooks ---------------------------------------------------

@pytest.mark.parametrize("path", NOTEBOOKS)
def test_tool_puts_the_cell_first_after_the_title(path):
    nb = generated(path)
    original = [c for c in load(path).cells
                if not (tool.is_setup_code(c) or tool.is_setup_note(c))]
    assert nb.cells[0].source == original[0].source, "the title cell must stay first"
    assert tool.is_setup_note(nb.cells[1]) and tool.is_setup_code(nb.cells[2])
    assert code_cells(nb)[0] is nb.cells[2], "the setup cell must be the first code cell"
    assert "\n" not in nb.cells[1].source.strip(), "the note before the cell is one line"
    assert [c.source for c in nb.cells[3:]] == [c.source for c in original[1:]], \
        "the tool must not touch any other cell"


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_tool_is_idempotent(path):
    once = generated(path)
    twice, changed = tool.with_setup_cell(copy.deepcopy(once))
    assert not changed
    assert nbformat.writes(twice) == nbformat.writes(once)


def test_tool_updates_a_stale_cell_in_place():
    nb = generated(NOTEBOOKS[0])
    nb.cells[2].source = tool.MARKER + ": an older version\nimport sys"
    nb.cells[2].execution_count = 1
    updated, changed = tool.with_setup_cell(nb)
    assert changed
    assert sum(tool.is_setup_code(c) for c in updated.cells) == 1
    assert updated.cells[2].source == generated(NOTEBOOKS[0]).cells[2].source
    assert updated.cells[2].id == tool.CODE_ID


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_generated_cell_does_nothing_outside_colab(path):
    result = run_cell(generated(path).cells[2].source)
    assert result["stdout"] == "" and result["stderr"] == ""
    assert set(result["new_modules"]) <= ALLOWED_NEW_MODULES, result["new_modules"]
    assert result["seconds"] < MAX_SECONDS


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_generated_cell_installs_what_the_notebook_needs_on_colab(path, tmp_path):
    needs = expected_needs(path)
    (tmp_path / "bin").mkdir()
    result = run_cell(generated(path).cells[2].source, mode="colab", prefix=tmp_path)
    assert result["pip_calls"] == pip_args(needs)
    assert result["other_calls"] == []
    assert result["widget_manager"] == 1
    assert not (tmp_path / "bin" / "nrnivmodl").exists()     # nothing written outside pip


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_generated_cell_installs_nothing_already_there(path, tmp_path):
    (tmp_path / "bin").mkdir()
    result = run_cell(generated(path).cells[2].source, mode="colab-installed", prefix=tmp_path)
    assert result["pip_calls"] == [] and result["widget_manager"] == 1


def test_needs_table_matches_the_notebooks_imports():
    for path in NOTEBOOKS:
        found = {name for name, wanted in tool.needs(load(path)).items() if wanted}
        assert found == expected_needs(path), path


def test_tool_check_mode_on_a_copy(tmp_path):
    smallest = min(NOTEBOOKS, key=lambda p: (ROOT / p).stat().st_size)
    copy_ = tmp_path / Path(smallest).name
    copy_.write_bytes((ROOT / smallest).read_bytes())
    script = [sys.executable, str(ROOT / "tools" / "colab_setup_cell.py")]
    subprocess.run(script + ["--no-execute", str(copy_)], check=True, capture_output=True)
    assert subprocess.run(script + ["--check", str(copy_)], capture_output=True).returncode == 0
    nb = nbformat.read(copy_, as_version=4)
    nb.cells[2].source += "\n# edited"
    nbformat.write(nb, copy_)
    assert subprocess.run(script + ["--check", str(copy_)], capture_output=True).returncode == 1


# --- the committed notebooks (need `tools/colab_setup_cell.py` applied) -------------------------

@pytest.mark.parametrize("path", NOTEBOOKS)
def test_notebook_has_the_setup_cell_first_and_up_to_date(path):
    nb = load(path)
    assert any(tool.is_setup_code(c) for c in nb.cells), \
        f"{path}: no Colab setup cell; run .venv/bin/python tools/colab_setup_cell.py"
    assert tool.is_setup_code(code_cells(nb)[0]), f"{path}: the setup cell is not the first code cell"
    assert not tool.with_setup_cell(copy.deepcopy(nb))[1], \
        f"{path}: setup cell out of date; run .venv/bin/python tools/colab_setup_cell.py"


@pytest.mark.parametrize("path", NOTEBOOKS)
def test_notebook_setup_cell_did_nothing_when_executed_and_does_nothing_here(path):
    cells = [c for c in load(path).cells if tool.is_setup_code(c)]
    assert cells, f"{path}: no Colab setup cell"
    assert cells[0].outputs == [], f"{path}: the setup cell stored output"
    result = run_cell(cells[0].source)
    assert result["stdout"] == "" and result["stderr"] == ""
    assert set(result["new_modules"]) <= ALLOWED_NEW_MODULES, result["new_modules"]
    assert result["seconds"] < MAX_SECONDS
