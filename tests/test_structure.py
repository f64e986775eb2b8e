"""Structure of every notebook, read from the committed file (no kernel needed).

Reference: the collection's notebook guide (sections, order, executed top to bottom,
outputs stored, no errors, small files).
"""

import itertools
import re

import nbformat
import pytest

from conftest import NOTEBOOKS, ROOT, WITH_TEMPLATE
from tools.collection import KINDS
from tools.execute_notebooks import clean_metadata

SECTIONS = ["Description", "Mathematics", "Biophysical relevance", "Applications",
            "Implementation", "Validation", "Visualization", "Exercises", "References"]
MAX_BYTES = 3_000_000


def load(path):
    return nbformat.read(ROOT / path, as_version=4)


def level2_headings(nb):
    return [m.group(1).strip() for cell in nb.cells if cell.cell_type == "markdown"
            for m in re.finditer(r"^##\s+(.+)$", cell.source, re.M)]


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]


# The layout of the notebook guide (section 1, "Layout and names"): the notebooks live in these
# folders, in this order, and are named NN_snake_case, numbered 01, 02, ... within each folder in
# reading order (_toc.yml). A new notebook that follows the rule needs no change here.
GUIDE_FOLDERS = [folder for folder, kind in KINDS.items() if kind != "template"]
NAME = re.compile(r"(\d\d)_[a-z0-9]+(?:_[a-z0-9]+)*")


def layout_problems(paths):
    """What in a reading order (notebook paths, as tools/collection.py reads _toc.yml) breaks
    the guide's layout; an empty list if nothing does."""
    problems, count = [], {}
    for path in paths:
        folder, _, name = path.removesuffix(".ipynb").partition("/")
        if folder not in GUIDE_FOLDERS or "/" in name:
            problems.append(f"{path}: not directly in one of the guide's folders {GUIDE_FOLDERS}")
            continue
        count[folder] = count.get(folder, 0) + 1
        match = NAME.fullmatch(name)
        if not match:
            problems.append(f"{path}: not named NN_snake_case (two digits, then lower-case words "
                            "joined by _)")
        elif int(match.group(1)) != count[folder]:
            problems.append(f"{path}: numbered {match.group(1)}, but it is notebook "
                            f"{count[folder]:02d} of {folder}/ in _toc.yml's order")
    runs = [folder for folder, _ in itertools.groupby(p.split("/")[0] for p in paths)]
    if runs != [f for f in GUIDE_FOLDERS if f in runs]:
        problems.append(f"folders in _toc.yml in the order {runs}, not the guide's {GUIDE_FOLDERS} "
                        "(each folder's notebooks together)")
    return problems


def test_notebooks_have_the_names_of_the_guide_layout():
    assert NOTEBOOKS, "no notebooks found"
    problems = layout_problems(NOTEBOOKS)
    assert not problems, "\n".join(problems)


def test_readme_links_every_notebook_of_the_collection():
    readme = (ROOT / "README.md").read_text()
    for path in NOTEBOOKS:
        assert f"({path})" in readme, path


def test_every_notebook_on_disk_is_in_the_table_of_contents():
    """_toc.yml is the one list: a notebook missing from it would be skipped by every suite."""
    on_disk = {p.relative_to(ROOT).as_posix() for d in GUIDE_FOLDERS for p in (ROOT / d).glob("*.ipynb")}
    assert on_disk == set(NOTEBOOKS), f"not in _toc.yml: {sorted(on_disk - set(NOTEBOOKS))}"


@pytest.mark.parametrize("path", WITH_TEMPLATE)
def test_has_the_nine_sections_in_order(path):
    headings = level2_headings(load(path))
    positions = []
    for section in SECTIONS:
        matches = [i for i, h in enumerate(headings) if h.lower().startswith(section.lower())]
        assert matches, f"{path}: no '## {section}' section"
        positions.append(matches[0])
    assert positions == sorted(positions), f"{path}: sections out of order: {headings}"


@pytest.mark.parametrize("path", WITH_TEMPLATE)
def test_opens_with_title_and_prerequisites(path):
    first = load(path).cells[0]
    assert first.cell_type == "markdown" and first.source.lstrip().startswith("# ")
    assert "prerequisite" in first.source.lower(), f"{path}: first cell names no prerequisites"


@pytest.mark.parametrize("path", WITH_TEMPLATE)
def test_was_executed_top_to_bottom_in_a_fresh_kernel(path):
    counts = [c.execution_count for c in code_cells(load(path))]
    assert None not in counts, f"{path}: some code cells were not executed"
    assert counts == list(range(1, len(counts) + 1)), f"{path}: execution counts {counts}"


@pytest.mark.parametrize("path", WITH_TEMPLATE)
def test_stores_no_error_output(path):
    for cell in code_cells(load(path)):
        for output in cell.outputs:
            assert output.output_type != "error", f"{path}: error output in\n{cell.source}"
            if output.output_type == "stream" and output.name == "stderr":
                assert "Warning" not in output.text and "Traceback" not in output.text, \
                    f"{path}: warning stored in output of\n{cell.source}\n{output.text}"


@pytest.mark.parametrize("path", WITH_TEMPLATE)
def test_is_small_enough_to_read_on_github(path):
    assert (ROOT / path).stat().st_size < MAX_BYTES


@pytest.mark.parametrize("path", WITH_TEMPLATE)
def test_has_output_checked_cells_with_stored_output(path):
    checked = [c for c in code_cells(load(path)) if "# NBVAL_CHECK_OUTPUT" in c.source]
    assert checked, f"{path}: no '# NBVAL_CHECK_OUTPUT' cell for nbval to compare"
    for cell in checked:
        assert any(o.output_type == "stream" for o in cell.outputs), \
            f"{path}: checked cell prints nothing:\n{cell.source}"


@pytest.mark.parametrize("path", WITH_TEMPLATE)
def test_cell_metadata_holds_only_what_the_collection_uses(path):
    """tags, collapsed and jupyter.source_hidden; no execution timestamps (make notebooks)."""
    dropped = clean_metadata(load(path))
    assert not dropped, f"{path}: metadata the collection does not use: {dropped[:5]}"


# Units in square brackets, in one notation (CONTRIBUTING.md): these spellings are the
# other notation, or ambiguous.
OTHER_UNIT_SPELLINGS = re.compile(
    r"\[[^\]\n]*(\bum\b|\buF\b|\buA\b|\buS\b|[Oo]hm|\bcm2\b|\bdegC\b|\bmu[mAFS]\b|\u03bc)[^\]\n]*\]")
PARENTHESISED_UNIT = re.compile(
    r"\s\((mV|ms|nA|pA|nS|pF|nF|Hz|µm|MΩ|mS/cm²|µA/cm²|µF/cm²|Ω cm|Ω cm²|°C)\)")


# NMODL source held in a Python string keeps NMODL's own unit syntax, e.g. `v (mV)`.
NMODL_TEXT = re.compile(r'"""\s*\n(?:COMMENT|TITLE|NEURON\s*\{).*?"""', re.S)


@pytest.mark.parametrize("path", WITH_TEMPLATE)
def test_units_are_written_one_way(path):
    """`name [unit]` with Unicode µ, Ω, ², ° in code (labels, sliders, docstrings, comments)."""
    problems = []
    for cell in code_cells(load(path)):
        for line in NMODL_TEXT.sub("", cell.source).splitlines():
            if OTHER_UNIT_SPELLINGS.search(line) or PARENTHESISED_UNIT.search(line):
                problems.append(line.strip())
    assert not problems, f"{path}: units in another notation:\n" + "\n".join(problems[:15])


INTERNAL_REFERENCE = re.compile(r"\b[Ii]ssues?\s*#?\d+")


def test_code_cites_no_internal_work_item_numbers():
    """Comments and docstrings say what and why, not which work item asked for it."""
    problems = []
    for path in WITH_TEMPLATE:
        for cell in code_cells(load(path)):
            problems += [f"{path}: {m.group(0)}" for m in INTERNAL_REFERENCE.finditer(cell.source)]
    for pattern in ("tests/*.py", "tools/**/*.py", "benchmarks/*.py", "browser-tests/*.py",
                    "Makefile", ".ci/run"):
        for file in ROOT.glob(pattern):
            problems += [f"{file.relative_to(ROOT)}: {m.group(0)}"
                         for m in INTERNAL_REFERENCE.finditer(file.read_text())
                         if file.name != "test_structure.py"]
    assert not problems, "\n".join(problems)
