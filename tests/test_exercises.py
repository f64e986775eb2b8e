"""Exercises: every notebook's exercises have the agreed shape, every solution passes its own
checker, every untouched stub is told "Not yet", and every checker is exercised with wrong
answers by the notebook's own test file.

Reference: CONTRIBUTING.md, "Exercises": 4-6 exercises under `### Exercise N`, at least three
in code; a code exercise is a stub (tag `exercise`), a check (tag `check`, one call
`check_<what>(...)` printing a line that starts with "Correct" or "Not yet") and a collapsed
solution (tags `solution` and `hide-input`, metadata jupyter.source_hidden) that ends with the
same check. The live outputs are those of the notebook's fresh execution in the test kernel,
not the committed ones.
"""

import re

import nbformat
import pytest

from conftest import ROOT, WITH_TEMPLATE, notebook_params
from tools.collection import own_test_file  # conftest put the repository root on sys.path

MIN_EXERCISES, MAX_EXERCISES, MIN_CODE_EXERCISES = 4, 6, 3
CHECK_CALL = re.compile(r"\b(check_\w+)\s*\(")


def tags(cell):
    return set(cell.metadata.get("tags", []))


def exercises_section(cells):
    """The cells between '## Exercises' and the next level-2 heading."""
    start = next((i for i, c in enumerate(cells) if c.cell_type == "markdown"
                  and re.search(r"^##\s+Exercises", c.source, re.M)), None)
    assert start is not None, "no '## Exercises' section"
    end = next((i for i in range(start + 1, len(cells)) if cells[i].cell_type == "markdown"
                and re.search(r"^##\s+(?!#)", cells[i].source, re.M)), len(cells))
    return cells[start:end]


def code_exercises(cells):
    """(stub, check, solution) triples, in order."""
    stubs = [i for i, c in enumerate(cells) if "exercise" in tags(c)]
    triples = []
    for i in stubs:
        check = next((j for j in range(i + 1, len(cells)) if "check" in tags(cells[j])), None)
        solution = next((j for j in range(i + 1, len(cells)) if "solution" in tags(cells[j])), None)
        triples.append((cells[i], cells[check] if check is not None else None,
                        cells[solution] if solution is not None else None))
    return triples


def stdout(cell):
    return "".join(o.get("text", "") for o in cell.get("outputs", [])
                   if o.output_type == "stream" and o.name == "stdout")


def verdicts(text):
    return [line.split(":")[0].strip() for line in text.splitlines()
            if line.startswith(("Correct", "Not yet"))]


@pytest.mark.parametrize("path", WITH_TEMPLATE)
def test_exercises_have_the_agreed_shape(path):
    cells = exercises_section(nbformat.read(ROOT / path, as_version=4).cells)
    titles = [m.group(0) for c in cells if c.cell_type == "markdown"
              for m in re.finditer(r"^###\s+Exercise\s+\d+.*$", c.source, re.M)]
    assert MIN_EXERCISES <= len(titles) <= MAX_EXERCISES, f"{path}: {len(titles)} exercises"
    triples = code_exercises(cells)
    assert len(triples) >= MIN_CODE_EXERCISES, f"{path}: {len(triples)} code exercises"
    for stub, check, solution in triples:
        where = f"{path}, exercise stub\n{stub.source[:200]}"
        assert stub.cell_type == "code" and "..." in stub.source, f"{where}: no '...' to complete"
        assert check is not None and solution is not None, f"{where}: no check or no solution"
        assert CHECK_CALL.search(check.source), f"{where}: the check cell calls no check_<what>()"
        assert "hide-input" in tags(solution), f"{where}: the solution is not hidden in the book"
        assert solution.metadata.get("jupyter", {}).get("source_hidden") is True, \
            f"{where}: the solution is not collapsed in JupyterLab"
        called = CHECK_CALL.search(check.source).group(1)
        assert called in solution.source, f"{where}: the solution does not end with {called}()"


@pytest.mark.parametrize("path", notebook_params(WITH_TEMPLATE))
def test_live_run_stubs_are_told_not_yet_and_solutions_are_correct(path, nb):
    """In the test kernel's fresh execution: each check after an untouched stub prints
    'Not yet', each solution's own check prints 'Correct' (and nothing 'Not yet')."""
    for stub, check, solution in code_exercises(exercises_section(nb.nb.cells)):
        assert verdicts(stdout(check)) == ["Not yet"], \
            f"{path}: check after the untouched stub printed {stdout(check)!r}\n{check.source}"
        found = verdicts(stdout(solution))
        assert found and set(found) == {"Correct"}, \
            f"{path}: the solution's check printed {stdout(solution)!r}\n{solution.source[:300]}"


@pytest.mark.parametrize("path", WITH_TEMPLATE)
def test_every_checker_meets_a_wrong_answer_in_the_notebooks_test_file(path):
    """Each check_<what> the notebook defines is called with wrong answers in its own tests
    (which require 'Not yet'), so a checker that accepts anything fails the suite."""
    nb = nbformat.read(ROOT / path, as_version=4)
    defined = sorted({m.group(1) for c in nb.cells if c.cell_type == "code"
                      for m in re.finditer(r"^def (check_\w+)\s*\(", c.source, re.M)})
    assert defined, f"{path}: defines no check_<what> function"
    own_tests = (ROOT / own_test_file(path)).read_text()
    missing = [name for name in defined if name not in own_tests]
    assert not missing, f"{own_test_file(path)} never calls {missing} with a wrong answer"
