"""The contract of the collection, as one table: every notebook's public functions.

Each notebook declares its own rows, ``CONTRACTS = [Contract(...), ...]``, in its own test file
(tools/collection.py's own_test_file: tests/test_<name>.py); this module defines ``Contract``
and gathers the rows into ``CONTRACTS``, in the reading order of _toc.yml. Each row says what a
reader (and every test) may rely on:

* ``function``: the name, defined in the notebook;
* ``first``: the first parameter, the only one that may be passed by position, and its unit
  (the docstring's first line must contain ``"<first> [<unit>]"``);
* ``result``: the named tuple's type name and the fields it must have, and the shape of each
  array field in terms of others (``"V": ("t", "x")`` means ``V.shape == (len(t), len(x))``);
* ``example``: a fast, valid call (keyword arguments), used by the contract and hostile-input
  suites;
* ``domain``: the accepted range of each numeric parameter, as documented in the docstring:
  ``(low, high)`` closed, a ``low`` given as ``("open", x)`` for ``x < value``. A value outside
  it, of the wrong type (None, a string, a bool) or not finite must raise ``ValueError`` whose
  first word is the parameter's name;
* ``valid``: ranges for generated valid calls (a subset of the domain in which every
  combination is valid and runs in well under a second), for tests/test_hostile_input.py.

tests/test_contract.py and tests/test_hostile_input.py read this table (test_contract.py also
fails for a notebook whose own test file declares no rows); the rest of a notebook's own test
file tests the science.
"""

import functools
import re
from dataclasses import dataclass, field

import pytest

OPEN = "open"
INF = float("inf")


@dataclass
class Contract:
    notebook: str
    function: str
    first: tuple                      # (name, unit)
    result: str
    fields: tuple
    example: dict
    shapes: dict = field(default_factory=dict)
    domain: dict = field(default_factory=dict)
    valid: dict = field(default_factory=dict)
    # First argument values that must be refused (besides the generic bad types), as
    # expressions evaluated in the kernel, e.g. "lambda t: np.ones(3)".
    bad_first: tuple = ()

    @property
    def id(self):
        return f"{self.notebook.split('/')[-1].removesuffix('.ipynb')}.{self.function}"


class Expr(str):
    """An expression to paste into the call as it is (repr gives the text itself)."""

    def __repr__(self):
        return str(self)


# Current callables that every contract function with a current must refuse, naming the current.
BAD_CURRENTS = (
    "lambda t: float('nan')",                 # not finite
    "lambda t: np.ones(3)",                   # an array where one value per time is needed
    "lambda t: 'abc'",                        # not a number
)


# ------------------------------------------------------------ the one table, gathered
def _gather():
    """Every notebook's rows, from the CONTRACTS list of its own test file (the notebook's path
    in each row), in _toc.yml order with the template last; and a line for each notebook whose
    own test file is missing or declares none (tests/test_contract.py fails on them)."""
    from conftest import WITH_TEMPLATE, own_test_file, own_tests
    table, problems = [], []
    for path in WITH_TEMPLATE:
        test_file, module = own_test_file(path), own_tests(path)
        if module is None:
            problems.append(f"{path}: its own test file {test_file} does not exist")
            continue
        rows = getattr(module, "CONTRACTS", None)
        if not rows:
            problems.append(f"{path}: {test_file} declares no CONTRACTS = [Contract({path!r}, ...)] "
                            "for its public functions (see tests/contract.py)")
            continue
        strays = [getattr(c, "notebook", repr(c)) for c in rows
                  if not isinstance(c, Contract) or c.notebook != path]
        if strays:
            problems.append(f"{test_file}: CONTRACTS rows that are not Contract({path!r}, ...): {strays}")
        table += [c for c in rows if isinstance(c, Contract) and c.notebook == path]
    return table, problems


@functools.cache
def _table():
    return _gather()


def __getattr__(name):
    """CONTRACTS (the table) and PROBLEMS, gathered when first asked for: the own test files
    import this module for Contract, so it cannot import them while it is being imported."""
    if name == "CONTRACTS":
        return _table()[0]
    if name == "PROBLEMS":
        return _table()[1]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ------------------------------------------------------------ helpers of the two suites
def contract_params(contracts=None):
    contracts = _table()[0] if contracts is None else contracts
    return [pytest.param(c, marks=pytest.mark.notebook(c.notebook), id=c.id) for c in contracts]


def first_word(message):
    match = re.match(r"\s*([A-Za-z_][A-Za-z_0-9]*)", message)
    return match.group(1) if match else ""


def call_expr(c: Contract, overrides=None, first=None):
    """The call of the table's example, with some keyword arguments (or the first) replaced;
    `first` and Expr values are expressions pasted as they are."""
    kwargs = dict(c.example, **(overrides or {}))
    example_first = kwargs.pop(c.first[0], None)
    if first is None:
        first = "DEFAULT_SWC" if c.function == "load_swc" else repr(example_first)
    return f"{c.function}({', '.join([first] + [f'{k}={v!r}' for k, v in kwargs.items()])})"
