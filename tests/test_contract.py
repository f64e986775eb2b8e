"""The collection's contract, enforced from one table (tests/contract.py, gathered from the
CONTRACTS rows of each notebook's own test file) for every notebook.

For each contract function: the parameters after the first are keyword-only; the docstring's
first line gives the first parameter with its unit; a fast valid call returns the named tuple
``<Model>Result`` with the listed fields, finite, of the documented shapes; and bad input
(None, a string, a bool, NaN, an infinity, a value outside the documented domain, a current
function that returns NaN, an array or a string) raises ``ValueError`` whose first word is the
parameter's name. Reference: the notebook guide, section 3 (the `simulate` contract).
This file replaces the per-notebook copies of the bad-input tests.
"""

import math

import pytest

from contract import CONTRACTS, OPEN, PROBLEMS, Expr, call_expr, contract_params, first_word

# A bad value must be refused quickly, before any work: a call that takes longer is reported as
# a hang (and interrupted), not waited for.
CALL_TIMEOUT = 20  # s
BAD_TYPES = ("None", "'1.0'", "True", "float('nan')", "float('inf')", "-float('inf')")


def test_every_notebook_declares_its_rows_in_its_own_test_file():
    """A notebook of _toc.yml (or the template) without rows would escape every test below."""
    assert not PROBLEMS, "\n".join(PROBLEMS)


def load(nb):
    nb.run_file("contract.py")


def numeric_parameters(nb, c):
    return [name for name, kind, default, numeric in nb.eval(f"_nb_signature({c.function!r})")
            if numeric and name != c.first[0]]


@pytest.mark.parametrize("c", contract_params())
def test_parameters_after_the_first_are_keyword_only(nb, c):
    load(nb)
    rows = nb.eval(f"_nb_signature({c.function!r})")
    assert rows[0][0] == c.first[0], f"{c.function}: first parameter {rows[0][0]}, not {c.first[0]}"
    positional = [name for name, kind, *_ in rows[1:] if kind != "KEYWORD_ONLY"]
    assert not positional, f"{c.function}: {positional} can be passed by position"


@pytest.mark.parametrize("c", contract_params())
def test_docstring_first_line_gives_the_units(nb, c):
    load(nb)
    line = nb.eval(f"_nb_doc_first_line({c.function!r})")
    assert f"{c.first[0]} [{c.first[1]}]" in line, \
        f"{c.function}: the docstring's first line {line!r} does not give '{c.first[0]} [{c.first[1]}]'"


@pytest.mark.parametrize("c", contract_params())
def test_result_is_the_named_tuple_with_finite_fields_of_the_documented_shapes(nb, c):
    load(nb)
    expr = call_expr(c)
    outcome, info, seconds, peak = nb.eval(f"_nb_bounded({expr!r})")
    assert outcome == "ok", f"{expr} raised {outcome}: {info}"
    assert info["type"] == c.result, f"{c.function} returns {info['type']}, not {c.result}"
    missing = set(c.fields) - set(info["fields"])
    assert not missing, f"{c.result} lacks the fields {sorted(missing)}"
    for key, (shape, finite) in info["arrays"].items():
        assert finite, f"{c.result}.{key} is not finite for {expr}"
    for key, dims in c.shapes.items():
        expected = [info["arrays"][d][0][0] for d in dims]
        assert info["arrays"][key][0] == expected, \
            f"{c.result}.{key} has shape {info['arrays'][key][0]}, expected {expected} ({dims})"


def bad_values(c, name):
    """Expressions that the parameter `name` must refuse: bad types, and its domain's edges."""
    values = list(BAD_TYPES)
    if name in c.domain:
        low, high = c.domain[name]
        if isinstance(low, tuple) and low[0] == OPEN:
            values.append(repr(low[1]))                    # the open end itself
            values.append(repr(low[1] - max(1.0, abs(low[1]))))
        elif math.isfinite(low):
            values.append(repr(low - max(1.0, abs(low))))
        if math.isfinite(high):
            values.append(repr(high * 10 if high > 0 else high + 1.0))
    return values


@pytest.mark.parametrize("c", contract_params([c for c in CONTRACTS if c.function != "load_swc"]))
def test_bad_numbers_raise_value_error_naming_the_parameter(nb, c):
    load(nb)
    failures = []
    for name in numeric_parameters(nb, c):
        for value in bad_values(c, name):
            expr = call_expr(c, overrides={name: Expr(value)})
            try:
                outcome, detail, seconds, peak = nb.eval(f"_nb_bounded({expr!r})",
                                                         timeout=CALL_TIMEOUT)
            except Exception as exc:  # a hang, interrupted
                outcome, detail = "no answer", str(exc).splitlines()[-1][:200]
            if outcome != "ValueError" or first_word(detail) != name:
                failures.append(f"{name}={value}: {outcome}: {detail if outcome != 'ok' else 'returned'}")
    assert not failures, f"{c.function}:\n" + "\n".join(failures)


@pytest.mark.parametrize("c", contract_params([c for c in CONTRACTS if c.bad_first]))
def test_bad_first_argument_raises_value_error_naming_it(nb, c):
    load(nb)
    nb.run("import numpy as np")
    failures = []
    values = list(c.bad_first) + ([v for v in BAD_TYPES if v != "None"]
                                  if c.function != "load_swc" else [])
    for value in values:
        expr = call_expr(c, first=value)
        try:
            outcome, detail, seconds, peak = nb.eval(f"_nb_bounded({expr!r})", timeout=CALL_TIMEOUT)
        except Exception as exc:  # a hang, interrupted
            outcome, detail = "no answer", str(exc).splitlines()[-1][:200]
        if outcome != "ValueError" or first_word(detail) != c.first[0]:
            failures.append(f"{c.first[0]}={value}: {outcome}: {detail if outcome != 'ok' else 'returned'}")
    assert not failures, f"{c.function}:\n" + "\n".join(failures)
