"""One driver for notebook kernels: the tests (tests/conftest.py) and the benchmark
(benchmarks/run.py) both use it.

``NotebookKernel(relpath)`` starts a fresh ``python3`` kernel in the notebook's folder (as a
reader's JupyterLab does), can run the notebook's code cells top to bottom, and then takes
code of our own: ``run(code)``, ``run_file(path)`` (a kernel-side helper module from
tools/kernel_side/, executed in the notebook's namespace), ``eval``, ``call``, ``raises``.
Values come back pickled; namedtuples and dataclasses defined in the notebook arrive as
``types.SimpleNamespace`` with the same attributes.

Two things make it safe to run many of these at once (two xdist workers, a benchmark beside a
test run, a JupyterLab server):

* the kernel talks over Unix sockets in a private temporary folder (``ipc`` transport), not TCP
  ports: with TCP, a port chosen as free can be taken by a kernel that another process starts
  at the same moment, and a client can then end up talking to someone else's kernel;
* every execution has a deadline (``timeout`` per cell, and an IOPub deadline after the reply),
  so a lost message fails loudly, naming the cell, instead of waiting for ever;
* every wait for a kernel message polls in slices of POLL_SLICE seconds (``Client``). pyzmq's
  asyncio poll can miss the wake-up for a message that has arrived: it then sleeps until its
  timeout and returns the message only then (zeromq/pyzmq#1558; jupyter/nbclient#312, a cell
  with widgets). nbclient waits for the execute reply with one poll of the whole cell timeout, so
  a missed wake-up made a cell that had finished in a second return 300.0 s later, with its
  normal outputs and no error (seen on the HH notebook's widget cell: 300 s of a `make test`
  worker lost, once or twice per run). Slices bound the loss to one slice and keep the deadline.
"""

import base64
import os
import pickle
import tempfile
import textwrap
import time
from pathlib import Path

from queue import Empty

import nbformat
from jupyter_core.utils import run_sync
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
KERNEL_SIDE = Path(__file__).resolve().parent / "kernel_side"
CELL_TIMEOUT = 300      # s: the slowest cell of the collection takes about 30 s on 2 cores
IOPUB_TIMEOUT = 30      # s: outputs still arriving after the execute reply (a large figure)


POLL_SLICE = 1.0        # s: the longest single poll for a kernel message (see Client)


def sliced(get_msg, slice_s=POLL_SLICE):
    """A channel's async get_msg(timeout) that polls in slices of at most slice_s seconds, with
    the same meaning: a message, or Empty once timeout [s] has passed (None: wait for ever)."""
    async def get_msg_sliced(timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = slice_s if deadline is None else min(slice_s, max(0.0, deadline - time.monotonic()))
            try:
                return await get_msg(timeout=left)
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise
    return get_msg_sliced


class Client(NotebookClient):
    """nbclient's NotebookClient whose shell and IOPub waits poll in slices (see the module
    docstring: a missed wake-up otherwise costs a whole cell timeout)."""

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        for channel in (kc.shell_channel, kc.iopub_channel):
            channel.get_msg = sliced(channel.get_msg)
        return kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)  # the base binds its own


class KernelError(RuntimeError):
    """Code sent to a notebook's kernel raised, showed a traceback, or timed out."""


def _label(cell_source):
    first = next((line for line in cell_source.splitlines() if line.strip()), "")
    return first[:80]


class NotebookKernel:
    """A notebook's kernel, started in the notebook's folder; code of ours can be sent to it."""

    def __init__(self, relpath, root=ROOT, timeout=CELL_TIMEOUT, execute=True):
        self.path = Path(root) / relpath
        self.nb = nbformat.read(self.path, as_version=4)
        self.client = Client(
            self.nb, timeout=timeout, iopub_timeout=IOPUB_TIMEOUT, raise_on_iopub_timeout=True,
            # On a timeout, interrupt the kernel and report an error, so the kernel stays usable.
            interrupt_on_timeout=True,
            error_on_timeout={"ename": "CellTimeoutError", "traceback": [],
                              "evalue": "no reply within the deadline; the kernel was interrupted"},
            kernel_name="python3", record_timing=False,
            resources={"metadata": {"path": str(self.path.parent)}})
        t0 = time.perf_counter()
        self.client.create_kernel_manager()
        self._socket_dir = None
        if os.name == "posix":
            # An absolute socket path: the kernel runs in the notebook's folder.
            self._socket_dir = tempfile.TemporaryDirectory(prefix="neurons-kernel-")
            self.client.km.transport = "ipc"
            self.client.km.ip = os.path.join(self._socket_dir.name, "kernel")
        self.client.start_new_kernel()
        self.client.start_new_kernel_client()
        self.startup_s = time.perf_counter() - t0
        self.exec_s = None
        try:
            if execute:
                self.execute_notebook()
            self.run_file("exchange.py")
        except Exception:
            self.shutdown()
            raise

    def execute_notebook(self):
        """Run every code cell in order (outputs land in self.nb); return the wall time [s]."""
        t0 = time.perf_counter()
        for index, cell in enumerate(self.nb.cells):
            if cell.cell_type == "code":
                try:
                    self.client.execute_cell(cell, index)
                except Exception as exc:
                    raise KernelError(f"{self.path.name}, cell {index} "
                                      f"({_label(cell.source)!r}): {exc}") from None
        self.exec_s = time.perf_counter() - t0
        return self.exec_s

    def run(self, code, timeout=None):
        """Execute code in the kernel; return its stdout; raise KernelError on any traceback,
        or when it takes longer than timeout [s] (default: the cell timeout)."""
        cell = nbformat.v4.new_code_cell(textwrap.dedent(code))
        self.nb.cells.append(cell)
        saved = self.client.timeout
        self.client.timeout = timeout or saved
        try:
            self.client.execute_cell(cell, len(self.nb.cells) - 1)
        except Exception as exc:  # nbclient's CellExecutionError carries the traceback text
            raise KernelError(str(exc)) from None
        finally:
            self.client.timeout = saved
            self.nb.cells.pop()
        # A widget callback's exception is caught by ipywidgets and shown as an error
        # output instead of being raised, so look for error outputs explicitly.
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if errors:
            raise KernelError("\n".join(f"{e.ename}: {e.evalue}" for e in errors))
        return "".join(o.get("text", "") for o in cell.outputs
                       if o.output_type == "stream" and o.name == "stdout")

    def run_file(self, name):
        """Execute a helper module of tools/kernel_side/ (or any path) in the notebook's namespace."""
        path = Path(name) if Path(name).is_absolute() else KERNEL_SIDE / name
        return self.run(path.read_text())

    def _receive(self, stdout):
        start = stdout.index("<<NBVALUE>>") + len("<<NBVALUE>>")
        return pickle.loads(base64.b64decode(stdout[start:stdout.index("<<END>>", start)]))

    def eval(self, expr, timeout=None):
        """Value of a Python expression evaluated in the notebook's namespace."""
        return self._receive(self.run(f"_nb_send({expr})", timeout=timeout))

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
            raise AssertionError(f"{name}(*{args}, **{kwargs}) returned instead of raising")
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
        try:
            self.client._cleanup_kernel()
        finally:
            if self._socket_dir is not None:
                self._socket_dir.cleanup()
