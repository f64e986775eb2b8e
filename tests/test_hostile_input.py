"""Nothing a reader types can hang, exhaust memory or mislead: a property-based suite (Hypothesis).

For every contract function of tests/contract.py, called in the notebook's own kernel under a
clock and a memory tracer (tools/kernel_side/contract.py):

* generated **valid** calls (every numeric parameter drawn from the table's `valid` ranges)
  return the named result with finite arrays of the documented shapes, in under VALID_SECONDS,
  within the memory budget (times are the kernel's CPU time, so a busy machine does not make
  a quick refusal look slow);
* generated **invalid** values of each parameter (outside its documented `domain`, not finite,
  or not a number at all: None, a string, a bool, a list) raise ValueError whose first word is
  that parameter's name, in under INVALID_SECONDS, having allocated under INVALID_BYTES (that
  is, before any large allocation);
* the cases that were once seen to hang, exhaust memory or return nonsense are kept as explicit
  regression examples: each must now give a named ValueError, or a correct finite result,
  within the same bounds;
* `load_swc` meets generated SWC files: valid trees load, and trees with one defect each are
  refused with a ValueError naming the file and the line.

Examples are derandomised (the same on every run), so CI is repeatable; the database is off.
"""

import math
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract import CONTRACTS, OPEN, Contract, Expr, call_expr, contract_params, first_word

MEMORY_BUDGET = 2e9          # bytes: the notebooks' MEMORY_BUDGET
VALID_SECONDS = 10.0         # a valid call from the `valid` ranges (chosen to be fast)
INVALID_SECONDS = 2.0        # a refusal must come before any work
INVALID_BYTES = 2e8          # ... and before any large allocation
CALL_TIMEOUT = 30            # s: beyond this a call is reported as a hang (and interrupted)

SETTINGS = dict(derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

SIMULATORS = [c for c in CONTRACTS if c.function != "load_swc"]


def bounded(nb, expr, trace=True):
    """The call's outcome in the kernel; trace=False for valid calls (full speed, the memory
    is the size of the result), True for refusals (tracemalloc sees any large allocation)."""
    nb.run_file("contract.py")
    try:
        return nb.eval(f"_nb_bounded({expr!r}, trace={trace})", timeout=CALL_TIMEOUT)
    except Exception as exc:  # noqa: BLE001  (a hang, interrupted: reported as such)
        return "no answer within %d s" % CALL_TIMEOUT, str(exc).splitlines()[-1][:300], math.inf, 0


def invalid_values(c: Contract, name):
    """A strategy of expressions the parameter must refuse."""
    generic = st.sampled_from(["None", "'1.0'", "'abc'", "True", "False", "[1.0]",
                               "float('nan')", "float('inf')", "-float('inf')"])
    if name not in c.domain:
        return generic
    low, high = c.domain[name]
    parts = [generic]
    if isinstance(low, tuple) and low[0] == OPEN:
        parts.append(st.floats(max_value=low[1], allow_nan=False, allow_infinity=False,
                               min_value=-1e300).map(repr))
    elif math.isfinite(low):
        parts.append(st.floats(max_value=low, exclude_max=True, allow_nan=False,
                               allow_infinity=False, min_value=-1e300).map(repr))
    if math.isfinite(high):
        parts.append(st.floats(min_value=high, exclude_min=True, allow_nan=False,
                               allow_infinity=False, max_value=1e300).map(repr))
    return st.one_of(*parts)


def check_refused(nb, c, name, value, overrides=None):
    expr = call_expr(c, overrides=dict(overrides or {}, **{name: Expr(value)})) \
        if name != c.first[0] else call_expr(c, overrides=overrides, first=value)
    outcome, detail, seconds, peak = bounded(nb, expr)
    assert outcome == "ValueError" and first_word(detail) == name, \
        f"{expr}: {outcome}: {detail if outcome != 'ok' else 'returned a result'}"
    assert seconds < INVALID_SECONDS, f"{expr}: refused after {seconds:.2f} s"
    assert peak < INVALID_BYTES, f"{expr}: allocated {peak / 1e6:.0f} MB before refusing"


def numeric_names(nb, c):
    nb.run_file("contract.py")
    return [row[0] for row in nb.eval(f"_nb_signature({c.function!r})") if row[3]]


@pytest.mark.parametrize("c", contract_params(SIMULATORS))
def test_generated_valid_calls_return_finite_results_quickly(nb, c):
    names = sorted(c.valid)

    @settings(max_examples=12, **SETTINGS)
    @given(st.tuples(*[st.floats(*c.valid[n]) for n in names]))
    def run(values):
        overrides = dict(zip(names, values))
        first = overrides.pop(c.first[0], None)
        expr = call_expr(c, overrides=overrides, first=None if first is None else repr(first))
        outcome, info, seconds, peak = bounded(nb, expr, trace=False)
        assert outcome == "ok", f"{expr}: {outcome}: {info}"
        assert info["type"] == c.result
        for key, (shape, finite) in info["arrays"].items():
            assert finite, f"{expr}: {key} not finite"
        for key, dims in c.shapes.items():
            assert info["arrays"][key][0] == [info["arrays"][d][0][0] for d in dims], (expr, key)
        assert seconds < VALID_SECONDS, f"{expr}: took {seconds:.1f} s"
        assert peak < MEMORY_BUDGET, f"{expr}: allocated {peak / 1e9:.1f} GB"

    run()


@pytest.mark.parametrize("c", contract_params(SIMULATORS))
def test_generated_invalid_values_raise_a_named_value_error_at_once(nb, c):
    names = numeric_names(nb, c)
    if c.first[0] not in names:
        names.append(c.first[0])

    @settings(max_examples=40, **SETTINGS)
    @given(st.sampled_from(names).flatmap(lambda n: st.tuples(st.just(n), invalid_values(c, n))))
    def run(case):
        name, value = case
        check_refused(nb, c, name, value)

    run()


# Cases once seen to hang, fill memory or return nonsense: (contract function's notebook stem,
# keyword arguments as expressions). Each must now be refused with a named ValueError, or
# give a correct finite result, quickly and within the memory budget.
REGRESSIONS = [
    ("01_integrate_and_fire", dict(I="1e16", t_ref="0.0", T="100.0")),
    ("01_integrate_and_fire", dict(I="1e15", t_ref="0.0", T="100.0")),
    ("02_leaky_integrate_and_fire", dict(I="1e16", t_ref="0.0", T="100.0")),
    ("04_adaptive_exponential_integrate_and_fire", dict(I="1e7")),
    ("04_adaptive_exponential_integrate_and_fire", dict(I="1e9")),
    ("04_adaptive_exponential_integrate_and_fire", dict(C="'281'")),
    ("04_adaptive_exponential_integrate_and_fire", dict(a="None")),
    ("05_izhikevich", dict(a="1e6")),
    ("05_izhikevich", dict(I="-1e6")),
    ("06_hodgkin_huxley", dict(T="1.5e7")),
    ("06_hodgkin_huxley", dict(I="1e4")),
    ("06_hodgkin_huxley", dict(I="1e300")),
    ("06_hodgkin_huxley", dict(g_Na="None")),
    ("03_exponential_integrate_and_fire", dict(I="'700'")),
    ("03_exponential_integrate_and_fire", dict(I="float('inf')")),
    ("03_full_morphological_models", dict(I="1e300", active="True")),
] + [(c.notebook.split("/")[-1][:-6], dict(dt="5e-324")) for c in SIMULATORS] \
  + [(c.notebook.split("/")[-1][:-6], dict(T="1e300", dt="1e-10")) for c in SIMULATORS] \
  + [(c.notebook.split("/")[-1][:-6], dict(T="True")) for c in SIMULATORS]


def regression_params():
    params = []
    for stem, kwargs in REGRESSIONS:
        c = next(c for c in SIMULATORS if c.notebook.endswith(stem + ".ipynb"))
        label = ",".join(f"{k}={v}" for k, v in kwargs.items())
        params.append(pytest.param(c, kwargs, marks=pytest.mark.notebook(c.notebook),
                                   id=f"{stem}.{c.function}({label})"))
    return params


@pytest.mark.parametrize("c, kwargs", regression_params())
def test_regression_cases_are_refused_or_correct_quickly(nb, c, kwargs):
    overrides = {k: Expr(v) for k, v in kwargs.items() if k != c.first[0]}
    first = kwargs.get(c.first[0])
    expr = call_expr(c, overrides=overrides, first=first)
    outcome, detail, seconds, peak = bounded(nb, expr)
    if outcome == "ok":
        for key, (shape, finite) in detail["arrays"].items():
            assert finite, f"{expr}: {key} not finite"
        assert seconds < INVALID_SECONDS, f"{expr}: took {seconds:.1f} s"
    else:
        assert outcome == "ValueError", f"{expr}: {outcome}: {detail}"
        assert first_word(detail) in kwargs, f"{expr}: the message blames {first_word(detail)!r}: {detail}"
        assert seconds < INVALID_SECONDS, f"{expr}: refused after {seconds:.2f} s"
    assert peak < MEMORY_BUDGET, f"{expr}: allocated {peak / 1e9:.1f} GB"


# ----------------------------------------------------------------------------- SWC files
SWC_CONTRACT = contract_params([c for c in CONTRACTS if c.function == "load_swc"])


def swc_text(rows):
    return "# generated by tests/test_hostile_input.py\n" + "\n".join(
        " ".join(str(v) for v in row) for row in rows) + "\n"


@st.composite
def valid_trees(draw):
    """A soma (one to three samples) and a random tree of dendrites, axon and apical samples."""
    n_soma = draw(st.integers(1, 3))
    rows = [(1, 1, 0.0, 0.0, 0.0, 8.0, -1)]
    for k in range(2, n_soma + 1):
        rows.append((k, 1, 0.0, 2.0 * (k - 1), 0.0, 8.0, k - 1))
    n = draw(st.integers(3, 40))
    for k in range(n_soma + 1, n_soma + n + 1):
        parent = draw(st.integers(1, k - 1))
        kind = draw(st.sampled_from([2, 3, 4]))
        x, y, z = (draw(st.floats(-500, 500)) for _ in range(3))
        r = draw(st.floats(0.1, 5.0))
        rows.append((k, kind, round(x, 3), round(y, 3), round(z, 3), round(r, 3), parent))
    return rows


DEFECTS = {
    "non-numeric field": lambda rows: rows[:2] + [(rows[2][0], rows[2][1], "abc") + rows[2][3:]] + rows[3:],
    "missing parent": lambda rows: rows[:-1] + [rows[-1][:6] + (len(rows) + 50,)],
    "no soma": lambda rows: [(r[0], 3) + r[2:] for r in rows],
    "two somas": lambda rows: rows + [(len(rows) + 1, 1, 100.0, 0.0, 0.0, 5.0, -1)],
    "unknown type code": lambda rows: rows[:-1] + [(rows[-1][0], 99) + rows[-1][2:]],
    "fractional id": lambda rows: rows[:-1] + [(rows[-1][0] + 0.5,) + rows[-1][1:]],
    "tiny radius": lambda rows: rows[:-1] + [rows[-1][:5] + (1e-30, rows[-1][6])],
    "huge coordinate": lambda rows: rows[:-1] + [rows[-1][:2] + (1e308,) + rows[-1][3:]],
    "too few fields": lambda rows: rows[:-1] + [rows[-1][:5]],
}


@pytest.mark.parametrize("c", SWC_CONTRACT)
def test_generated_valid_swc_trees_load(nb, tmp_path, c):
    @settings(max_examples=10, **SETTINGS)
    @given(valid_trees())
    def run(rows):
        path = tmp_path / "tree.swc"
        path.write_text(swc_text(rows))
        outcome, detail, seconds, peak = bounded(nb, f"load_swc({str(path)!r})")
        assert outcome == "ok", f"{rows}: {outcome}: {detail}"
        assert detail["type"] == "SWC" and seconds < INVALID_SECONDS

    run()


@pytest.mark.parametrize("c", SWC_CONTRACT)
@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_swc_trees_with_a_defect_are_refused_naming_file_and_line(nb, tmp_path, defect, c):
    @settings(max_examples=4, **SETTINGS)
    @given(valid_trees())
    def run(rows):
        path = tmp_path / f"{defect.replace(' ', '_')}.swc"
        path.write_text(swc_text(DEFECTS[defect](list(rows))))
        outcome, detail, seconds, peak = bounded(nb, f"load_swc({str(path)!r})")
        assert outcome == "ValueError", f"{defect}: {outcome}: {detail}"
        assert path.name in detail, f"{defect}: the message does not name the file: {detail}"
        if defect not in ("no soma", "two somas"):   # a whole-file property has no one line
            assert re.search(r"\bline \d+", detail), f"{defect}: no line number: {detail}"
        assert seconds < INVALID_SECONDS and peak < INVALID_BYTES, (defect, seconds, peak)

    run()


@pytest.mark.parametrize("c", SWC_CONTRACT)
@pytest.mark.parametrize("value", ["0", "3", "None", "b'x.swc'", "1.5", "['a.swc']"])
def test_load_swc_takes_a_path_only(nb, value, c):
    outcome, detail, seconds, peak = bounded(nb, f"load_swc({value})")
    assert outcome == "ValueError" and first_word(detail) == "path", f"{value}: {outcome}: {detail}"
    assert seconds < INVALID_SECONDS
