"""Shared test machinery: notebooks executed once per session in a live kernel.

A test asks for a notebook with the ``notebook`` fixture::

    def test_isi(notebook):
        nb = notebook("point-neurons/02_leaky_integrate_and_fire.ipynb")
        out = nb.call("simulate", I=2.0, T=200.0, dt=0.01)
        assert out.spikes[0] == pytest.approx(...)

The notebook runs top to bottom in a fresh kernel (nbclient) the first time it is
asked for; the kernel then stays alive, so tests can call the notebook's own
functions with inputs of their own.  Results come back by pickle; namedtuples and
dataclasses defined in the notebook arrive as ``types.SimpleNamespace`` with the
same attributes, so ``out.t``, ``out.V`` and ``out.spikes`` work unchanged.

Expected failures: ``nb.raises("simulate", dt=-1)`` for picklable arguments, and
``nb.eval_raises("simulate(I=f)")`` when an argument (a current function) must be built in
the kernel first with ``nb.run``; both return (exception type name, message).

The kernel driver itself is tools/kernel.py (shared with the benchmark); the list of
notebooks comes from _toc.yml through tools/collection.py.
"""

import importlib
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tools.collection import TEMPLATE, folders, notebooks, own_test_file  # noqa: E402  (the one list, from _toc.yml)
from tools.kernel import KernelError, NotebookKernel  # noqa: E402,F401  (one kernel driver)

NOTEBOOK_DIRS = tuple(folders())
NOTEBOOKS = notebooks()
# The checks every notebook meets also run on the contributors' template, so it cannot rot.
WITH_TEMPLATE = NOTEBOOKS + [TEMPLATE]


def own_tests(path):
    """The module of a notebook's own test file (what it declares for the shared suites:
    CONTRACTS, COLAB_NEEDS), or None if there is no such file. Imported by the name pytest
    collects it under (tests/ is on sys.path), so both are one module, executed once."""
    name = Path(own_test_file(path)).stem
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        return None


@pytest.fixture(scope="session")
def notebook():
    """Factory: notebook(relpath) -> NotebookKernel, executed once per test session."""
    kernels = {}

    def get(relpath):
        if relpath not in kernels:
            try:
                kernels[relpath] = NotebookKernel(relpath)
            except Exception as exc:  # fail the notebook's other tests at once, not again
                kernels[relpath] = exc
        if isinstance(kernels[relpath], Exception):
            raise kernels[relpath]
        return kernels[relpath]

    yield get
    for kernel in kernels.values():
        if isinstance(kernel, NotebookKernel):
            kernel.shutdown()


@pytest.fixture
def nb(request, notebook):
    """The notebook named by the test's ``@pytest.mark.notebook(relpath)`` mark."""
    mark = request.node.get_closest_marker("notebook")
    if mark is None:
        raise RuntimeError("the nb fixture needs @pytest.mark.notebook(relpath)")
    return notebook(mark.args[0])


def notebook_params(paths):
    """Parametrize over notebooks, each marked so its tests share a worker and kernel."""
    return [pytest.param(p, marks=pytest.mark.notebook(p), id=Path(p).stem) for p in paths]


def pytest_configure(config):
    config.addinivalue_line("markers", "notebook(relpath): the notebook a test executes")


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the xdist_group marks
def pytest_collection_modifyitems(config, items):
    """Keep all tests of one notebook on one xdist worker, so its kernel starts once.

    Tests name their notebook with ``@pytest.mark.notebook(relpath)``; the notebook is then
    executed once, and tests/test_executed_outputs.py checks its output-checked cells on that
    same execution.
    """
    for item in items:
        mark = item.get_closest_marker("notebook")
        if mark is not None:
            item.add_marker(pytest.mark.xdist_group(Path(mark.args[0]).stem))
