"""Re-execute notebooks in place, top to bottom in a fresh kernel, deterministically (`make notebooks`).

    .venv/bin/python tools/execute_notebooks.py                 # every notebook of _toc.yml
    .venv/bin/python tools/execute_notebooks.py NB.ipynb ...    # only these
    .venv/bin/python tools/execute_notebooks.py --check         # exit 1 if a notebook's cell
                                                                # metadata holds anything else

This is how the collection's notebooks are committed: executed in order from their own folder
(tools/kernel.py, the same driver as the tests), with no timing metadata, widget model ids
from a seeded generator (tools/kernel_side/deterministic.py), stream outputs merged as a single
print would have written them, and cell metadata reduced to
what the collection uses (ALLOWED_CELL_METADATA). Re-running it on an unchanged notebook
leaves the file byte for byte the same, so `git diff` shows only real changes.
"""

import argparse
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tools.collection import notebooks  # noqa: E402
from tools.kernel import NotebookKernel  # noqa: E402

# tags: remove-cell (Colab setup), hide-input (solutions), exercise/check/solution, model;
# collapsed: a collapsed output; jupyter.source_hidden: a solution's source collapsed in JupyterLab.
ALLOWED_CELL_METADATA = {"tags", "collapsed", "jupyter"}
ALLOWED_JUPYTER_KEYS = {"source_hidden"}
NOTEBOOK_METADATA = {"kernelspec", "language_info", "widgets"}
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def clean_metadata(nb):
    """Keep only the cell and notebook metadata the collection uses; return what was dropped."""
    dropped = []
    for index, cell in enumerate(nb.cells):
        for key in list(cell.metadata):
            if key not in ALLOWED_CELL_METADATA:
                dropped.append(f"cell {index}: {key}")
                del cell.metadata[key]
        jupyter = cell.metadata.get("jupyter")
        if jupyter is not None:
            for key in list(jupyter):
                if key not in ALLOWED_JUPYTER_KEYS:
                    dropped.append(f"cell {index}: jupyter.{key}")
                    del jupyter[key]
            if not jupyter:
                del cell.metadata["jupyter"]
    for key in list(nb.metadata):
        if key not in NOTEBOOK_METADATA:
            dropped.append(f"notebook: {key}")
            del nb.metadata[key]
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    return dropped


def coalesce_streams(nb):
    """Merge consecutive stdout (or stderr) outputs of a cell into one: a loaded kernel sends one
    print in several messages, which would make two runs of the same notebook differ."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        merged = []
        for output in cell.outputs:
            if (merged and output.output_type == "stream" and merged[-1].output_type == "stream"
                    and merged[-1].name == output.name):
                merged[-1].text += output.text
            else:
                merged.append(output)
        cell.outputs = merged


def execute(relpath):
    """Execute one notebook in place; return its wall time [s]."""
    path = ROOT / relpath
    kernel = NotebookKernel(relpath, execute=False)
    try:
        kernel.run_file("deterministic.py")
        # Fresh execution counts from 1 (the two helper runs above must not count).
        kernel.run("get_ipython().execution_count = 1")  # noqa
        for cell in kernel.nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        kernel.client.widget_state.clear()
        seconds = kernel.execute_notebook()
        kernel.client.set_widgets_metadata()
        nb = kernel.nb
    finally:
        kernel.shutdown()
    coalesce_streams(nb)
    clean_metadata(nb)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="notebook paths (default: all, from _toc.yml)")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a notebook has metadata the collection does not use")
    args = parser.parse_args(argv)
    paths = [str(Path(p).resolve().relative_to(ROOT)) for p in args.notebooks] or notebooks()
    bad = 0
    for relpath in paths:
        if args.check:
            dropped = clean_metadata(nbformat.read(ROOT / relpath, as_version=4))
            for item in dropped:
                print(f"{relpath}: metadata not used by the collection: {item}", file=sys.stderr)
            bad += bool(dropped)
            continue
        t0 = time.perf_counter()
        execute(relpath)
        print(f"{relpath}: executed ({time.perf_counter() - t0:.1f} s)", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
