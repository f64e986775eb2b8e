"""Every notebook runs top to bottom in a fresh kernel, and its output-checked cells print what
the committed notebook shows: ``pytest --nbval-lax`` semantics, on the one execution the other
tests use.

The tests of a notebook share one kernel (tests/conftest.py): the notebook is executed once,
top to bottom, and then its functions are called. Running nbval as well would execute every
notebook a second time, doubling the suite's time for the same check. So this file applies
nbval's own rules to that single execution: a cell that raises fails the notebook (the kernel
fixture reports the cell); a cell marked ``# NBVAL_CHECK_OUTPUT`` (or tagged
``nbval-check-output``) must reproduce its stored output, compared by nbval's own
``compare_outputs`` (streams coalesced; images, widget ids and metadata not compared).
``pytest --nbval-lax --nbval-current-env NOTEBOOK`` still runs on any single notebook.
"""

from types import SimpleNamespace

import nbformat
import pytest
from nbval.plugin import IPyNbCell, coalesce_streams, find_comment_markers, find_metadata_tags, \
    nocolors

from conftest import ROOT, WITH_TEMPLATE, notebook_params


class _NbvalComparison:
    """nbval's comparison of a cell's outputs, without nbval's kernel."""

    colors = nocolors
    compare_outputs = IPyNbCell.compare_outputs
    sanitize = IPyNbCell.sanitize

    def format_output_compare(self, key, left, right):
        self.comparison_traceback.append(f"{key}: stored\n{left}\nnow\n{right}")

    def __init__(self):
        # The keys nbval skips in --nbval-lax mode without nbdime: metadata, tracebacks,
        # execution counts, widget model ids (random), and images (renderer-dependent).
        self.parent = SimpleNamespace(
            skip_compare=("metadata", "traceback", "prompt_number", "output_type", "name",
                          "execution_count", "application/vnd.jupyter.widget-view+json",
                          "image/png", "image/jpeg"),
            sanitize_patterns={})


def checked(cell):
    """True when nbval --nbval-lax compares this cell's output."""
    options = {}
    options.update(find_comment_markers(cell.source))
    options.update(find_metadata_tags(cell.metadata))
    return bool(options.get("check"))


@pytest.mark.parametrize("path", notebook_params(WITH_TEMPLATE))
def test_output_checked_cells_reproduce_their_stored_output(nb, path):
    reference = nbformat.read(ROOT / path, as_version=4)
    assert len(nb.nb.cells) >= len(reference.cells)
    compare = _NbvalComparison()
    failures = []
    count = 0
    for index, (stored, fresh) in enumerate(zip(reference.cells, nb.nb.cells)):
        if stored.cell_type != "code" or not checked(stored):
            continue
        count += 1
        assert fresh.source == stored.source, f"cell {index}: the kernel ran other code"
        if not compare.compare_outputs(coalesce_streams(list(fresh.outputs)),
                                       coalesce_streams(list(stored.outputs))):
            failures.append(f"cell {index}:\n" + "\n".join(map(str, compare.comparison_traceback)))
    assert count, f"{path}: no output-checked cell"
    assert not failures, f"{path}: outputs differ from the committed ones\n" + "\n\n".join(failures)
