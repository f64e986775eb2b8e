"""The one list of the collection's notebooks: read from _toc.yml, the site's reading order.

Tests, benchmarks, the browser suite, the Makefile and the tools all import (or run) this
module, so a new notebook is added in one place: a `- file:` line in _toc.yml.

    python tools/collection.py notebooks   # one notebook path per line, in reading order
    python tools/collection.py folders     # the folders that hold them
"""

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TOC = ROOT / "_toc.yml"

# What each folder's notebooks are held to (budgets in benchmarks/run.py, units in the guide).
KINDS = {"point-neurons": "point", "multi-compartment-neurons": "multi",
         "model-comparison": "capstone", "templates": "template"}
# The contributors' template: not a chapter of the site, but held to every check of one.
TEMPLATE = "templates/notebook.ipynb"


def notebooks(root=ROOT):
    """Notebook paths relative to the repository root ("point-neurons/01_....ipynb"), in order."""
    toc = yaml.safe_load((Path(root) / "_toc.yml").read_text())
    files = [chapter["file"] for part in toc["parts"] for chapter in part["chapters"]]
    return [f"{f}.ipynb" for f in files]


def folders(root=ROOT):
    """The notebook folders, in reading order, each once."""
    return list(dict.fromkeys(path.split("/")[0] for path in notebooks(root)))


def kind(path):
    """'point', 'multi' or 'capstone': which budgets and conventions a notebook follows."""
    return KINDS[Path(path).parts[0]]


def own_test_file(path):
    """The notebook's own test file, e.g. tests/test_mc01_cable_theory.py."""
    stem = Path(path).stem
    if kind(path) == "capstone":
        return "tests/test_model_comparison.py"
    if kind(path) == "template":
        return "tests/test_template.py"
    prefix = {"point": "", "multi": "mc"}[kind(path)]
    return f"tests/test_{prefix}{stem}.py"


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else "notebooks"
    items = {"notebooks": notebooks, "folders": folders}[what]()
    print("\n".join(items))
