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
"""

import base64
import pickle
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIRS = ("point-neurons", "multi-compartment-neurons")
NOTEBOOKS = sorted(p.relative_to(ROOT).as_posix()
                   for d in NOTEBOOK_DIRS for p in (ROOT / d).glob("*.ipynb"))

# Runs in the kernel once, after the notebook: converts results to plain picklable
# objects and wraps calls so that a test sees the exception type and message.
_KERNEL_HELPERS = r'''
import base64 as _b64, dataclasses as _dc, pickle as _pk, types as _ty, traceback as _tb
def _nb_export(obj):
    if hasattr(obj, "_asdict"):
        return _ty.SimpleNamespace(**{k: _nb_export(v) for k, v in obj._asdict().items()})
    if _dc.is_dataclass(obj) and not isinstance(obj, type):
        return _ty.SimpleNamespace(**{f.name: _nb_export(getattr(obj, f.name))
                                      for f in _dc.fields(obj)})
    if isinstance(obj, (list, tuple)) and not hasattr(obj, "_fields"):
        return type(obj)(_nb_export(v) for v in obj)
    if isinstance(obj, dict):
        return {k: _nb_export(v) for k, v in obj.items()}
    return obj
def _nb_send(value):
    print("<<NBVALUE>>" + _b64.b64encode(_pk.dumps(_nb_export(value))).decode() + "<<END>>")
def _nb_call(name, payload):
    args, kwargs = _pk.loads(_b64.b64decode(payload))
    try:
        _nb_send(("ok", eval(name)(*args, **kwargs)))
    except Exception as exc:
        _nb_send(("raised", type(exc).__name__, str(exc)))
def _nb_try(expr):
    try:
        _nb_send(("ok", eval(expr)))
    except Exception as exc:
        _nb_send(("raised", type(exc).__name__, str(exc)))
'''


class KernelError(RuntimeError):
    """Code sent to a notebook's kernel raised an exception or showed a traceback."""


class NotebookKernel:
    """A notebook executed top to bottom in its own kernel, kept alive for tests."""

    def __init__(self, relpath, timeout=600):
        self.path = ROOT / relpath
        self.nb = nbformat.read(self.path, as_version=4)
        # Run from the notebook's folder, as a reader in JupyterLab does.
        self.client = NotebookClient(self.nb, timeout=timeout, kernel_name="python3",
                                     resources={"metadata": {"path": str(self.path.parent)}})
        self.client.create_kernel_manager()
        self.client.start_new_kernel()
        self.client.start_new_kernel_client()
        try:
            for index, cell in enumerate(self.nb.cells):
                if cell.cell_type == "code":
                    self.client.execute_cell(cell, index)  # raises CellExecutionError on error
        except Exception:
            self.shutdown()
            raise
        self.run(_KERNEL_HELPERS)

    def run(self, code):
        """Execute code in the kernel; return its stdout; raise KernelError on any traceback."""
        cell = nbformat.v4.new_code_cell(textwrap.dedent(code))
        self.nb.cells.append(cell)
        try:
            self.client.execute_cell(cell, len(self.nb.cells) - 1)
        except Exception as exc:  # nbclient's CellExecutionError carries the traceback text
            raise KernelError(str(exc)) from None
        finally:
            self.nb.cells.pop()
        # A widget callback's exception is caught by ipywidgets and shown as an error
        # output instead of being raised, so look for error outputs explicitly.
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if errors:
            raise KernelError("\n".join(f"{e.ename}: {e.evalue}" for e in errors))
        return "".join(o.get("text", "") for o in cell.outputs
                       if o.output_type == "stream" and o.name == "stdout")

    def _receive(self, stdout):
        start = stdout.index("<<NBVALUE>>") + len("<<NBVALUE>>")
        return pickle.loads(base64.b64decode(stdout[start:stdout.index("<<END>>", start)]))

    def eval(self, expr):
        """Value of a Python expression evaluated in the notebook's namespace."""
        return self._receive(self.run(f"_nb_send({expr})"))

    def _call(self, name, args, kwargs):
        payload = base64.b64encode(pickle.dumps((args, kwargs))).decode()
        return self._receive(self.run(f"_nb_call({name!r}, {payload!r})"))

    def call(self, name, *args, **kwargs):
        """Call the notebook's function ``name`` (an expression, e.g. "simulate")."""
        result = self._call(name, args, kwargs)
        if result[0] == "raised":
            raise KernelError(f"{name} raised {result[1]}: {result[2]}")
        return result[1]

    def raises(self, name, *args, **kwargs):
        """Call ``name`` expecting an exception; return (exception type name, message)."""
        result = self._call(name, args, kwargs)
        if result[0] == "ok":
            raise AssertionError(f"{name}(**{kwargs}) returned instead of raising")
        return result[1], result[2]

    def eval_raises(self, expr):
        """Evaluate ``expr`` expecting an exception; return (exception type name, message).

        For arguments that must be built in the kernel, e.g. a current function:
        ``nb.run("bad = lambda t: float('nan')"); nb.eval_raises("simulate(I=bad)")``.
        """
        result = self._receive(self.run(f"_nb_try({expr!r})"))
        if result[0] == "ok":
            raise AssertionError(f"{expr} returned instead of raising")
        return result[1], result[2]

    def shutdown(self):
        self.client._cleanup_kernel()


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

    Tests name their notebook with ``@pytest.mark.notebook(relpath)``.  (nbval's cells are
    run in a separate pytest call with ``--dist loadfile``, which keeps a notebook together.)
    """
    for item in items:
        mark = item.get_closest_marker("notebook")
        if mark is not None:
            item.add_marker(pytest.mark.xdist_group(Path(mark.args[0]).stem))
