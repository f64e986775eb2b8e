# Runs inside a notebook's kernel (tests/test_contract.py, tests/test_hostile_input.py):
# reads a contract function's signature and docstring, and calls it under a clock and a
# memory tracer, reporting what came back without sending large arrays out of the kernel.
import inspect as _nb_inspect
import math as _nb_math
import numbers as _nb_numbers
import time as _nb_time
import tracemalloc as _nb_tracemalloc

import numpy as _nb_np


def _nb_signature(name):
    """[(parameter, kind, default, default is a number)] of the function called name."""
    rows = []
    for p in _nb_inspect.signature(eval(name)).parameters.values():
        default = None if p.default is p.empty else p.default
        numeric = (isinstance(default, _nb_numbers.Real) and not isinstance(default, bool))
        rows.append((p.name, p.kind.name, repr(default), numeric))
    return rows


def _nb_doc_first_line(name):
    doc = _nb_inspect.getdoc(eval(name)) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


def _nb_describe(value):
    """Type name, fields, and for each field its shape and whether all of it is finite."""
    info = {"type": type(value).__name__, "fields": list(getattr(value, "_fields", ())),
            "arrays": {}}
    for key in info["fields"]:
        item = getattr(value, key)
        if isinstance(item, (list, tuple)) and item and all(
                isinstance(v, _nb_numbers.Real) for v in item):
            item = _nb_np.asarray(item, dtype=float)
        if isinstance(item, _nb_np.ndarray) and item.dtype.kind in "fiu":
            info["arrays"][key] = (list(item.shape), bool(_nb_np.all(_nb_np.isfinite(item))))
    return info


def _nb_bounded(expr, trace=True):
    """Evaluate expr: (outcome, detail, CPU seconds, peak bytes).

    outcome is "ok" (detail: _nb_describe of the value) or the exception's type name (detail:
    its message). The time is this process's CPU time, which measures the work done whatever
    else the machine is doing (on an idle machine it is the wall time). With trace=True the
    peak is tracemalloc's (numpy reports its allocations to it), which catches a large
    allocation before a refusal, but slows pure-Python loops many times over; with
    trace=False the call runs at full speed and the peak is the size of the arrays returned."""
    if trace:
        _nb_tracemalloc.start()
    t0 = _nb_time.process_time()
    try:
        value = eval(expr)
        outcome, detail = "ok", None
    except Exception as exc:  # noqa: BLE001  (reported to the test, which judges it)
        value, outcome, detail = None, type(exc).__name__, str(exc)
    seconds = _nb_time.process_time() - t0
    if trace:
        peak = _nb_tracemalloc.get_traced_memory()[1]
        _nb_tracemalloc.stop()
    else:
        peak = sum(getattr(getattr(value, k, None), "nbytes", 0)
                   for k in getattr(value, "_fields", ()))
    if outcome == "ok":
        detail = _nb_describe(value)
    return outcome, detail, seconds, peak
