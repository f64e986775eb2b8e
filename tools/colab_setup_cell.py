"""Insert (or update in place) the Colab setup cell in notebooks, then re-execute them.

    .venv/bin/python tools/colab_setup_cell.py                  # every notebook of the collection
    .venv/bin/python tools/colab_setup_cell.py NB.ipynb ...     # only these
    .venv/bin/python tools/colab_setup_cell.py --check          # exit 1 if a cell is missing or stale

The setup cell is the first code cell of each notebook, right after the title cell, with one
line of markdown before it. On Google Colab it pip-installs what Colab lacks for that notebook
(NEURON, the bmtk data package) and turns on Colab's widget manager; anywhere else it does
nothing (no import beyond ``sys``, no subprocess, no output; tests/test_colab_setup.py checks).

What a notebook needs is read from its own code (``import neuron``, ``bmtk``) and
the versions from requirements.txt / requirements-data.txt, so the cell follows the notebook.
The cell is found again by the marker in its first line, so running the tool twice changes
nothing; a notebook whose cell is already up to date is not re-executed (unless --execute-all).
A changed notebook is executed top to bottom in place, from its own folder, as `make notebooks`
does (tools/execute_notebooks.py), the way the collection's notebooks are committed.
"""

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tools.collection import notebooks  # noqa: E402  (the one list, from _toc.yml)
MARKER = "# Colab setup cell"  # first line of the code cell starts with this
MD_PREFIX = "**On Google Colab?**"  # the markdown line before it starts with this
CODE_ID, MD_ID = "colab-setup", "colab-setup-note"
# Jupyter Book drops cells with this tag: a static page has no kernel to set up.
TAGS = ["remove-cell"]


def requirement(name, files=("requirements.txt", "requirements-data.txt")):
    """'neuron>=9.0.2,<9.1' for name='neuron', read from the requirements files make installs."""
    for filename in files:
        for line in (ROOT / filename).read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if re.match(rf"{re.escape(name)}\s*[<>=!~]", line, re.I):
                return line.replace(" ", "")
    raise LookupError(f"{name} is in none of {files}")


def is_setup_code(cell):
    return cell.cell_type == "code" and cell.source.startswith(MARKER)


def is_setup_note(cell):
    return cell.cell_type == "markdown" and cell.source.startswith(MD_PREFIX)


def needs(nb):
    """What the notebook's own code (setup cell excluded) needs beyond a stock Colab runtime."""
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code" and not is_setup_code(c))
    return {
        "neuron": bool(re.search(r"^\s*(import neuron\b|from neuron\b)", code, re.M)),
        "bmtk": "bmtk" in code,
    }


def setup_source(need):
    """The setup cell's code for a notebook with these needs."""
    lines = [
        f"{MARKER}: on Google Colab, set up what this notebook needs there;",
        "# anywhere else (JupyterLab, Binder, a local install) it does nothing at all.",
        "import sys",
        "",
        'if "google.colab" in sys.modules:  # every Colab kernel imports it at start-up',
    ]
    if need["neuron"] or need["bmtk"]:
        lines += [
            "    import importlib.util, subprocess",
            "",
            "    def pip_install(*args):",
            '        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *args], check=True)',
            "",
        ]
    if need["neuron"]:
        lines += [
            "    # Colab has numpy, scipy, matplotlib and ipywidgets; NEURON comes from its PyPI wheels",
            '    if importlib.util.find_spec("neuron") is None:',
            f'        pip_install("{requirement("neuron")}")',
        ]
    if need["bmtk"]:
        lines += [
            "    # bmtk only for its data files (the Allen cell), so without its heavy dependencies",
            '    if importlib.util.find_spec("bmtk") is None:',
            f'        pip_install("--no-deps", "{requirement("bmtk")}")',
        ]
    lines += [
        "    from google.colab import output",
        "    output.enable_custom_widget_manager()  # Colab's front end for the ipywidgets sliders",
    ]
    return "\n".join(lines)


def note_source(need):
    extra = [name for name, wanted in (("NEURON", need["neuron"]),
                                       ("the bmtk data package", need["bmtk"])) if wanted]
    what = f"installs {' and '.join(extra)} and " if extra else ""
    return (f"{MD_PREFIX} The next cell {what}turns on Colab's widget support; "
            "anywhere else it does nothing.")


def with_setup_cell(nb):
    """Return (notebook with an up-to-date setup cell at index 1-2, whether anything changed)."""
    need = needs(nb)
    old = [c for c in nb.cells if is_setup_code(c) or is_setup_note(c)]
    rest = [c for c in nb.cells if not (is_setup_code(c) or is_setup_note(c))]
    old_code = next((c for c in old if c.cell_type == "code"), None)
    old_note = next((c for c in old if c.cell_type == "markdown"), None)

    code = nbformat.v4.new_code_cell(setup_source(need))
    note = nbformat.v4.new_markdown_cell(note_source(need))
    code.id, note.id = CODE_ID, MD_ID
    for cell in (code, note):
        cell.metadata["tags"] = list(TAGS)
    if old_code is not None:  # keep what a previous run stored (id, outputs, count)
        code.id = old_code.get("id", CODE_ID)
        code.outputs = old_code.outputs
        code.execution_count = old_code.execution_count
    if old_note is not None:
        note.id = old_note.get("id", MD_ID)

    unchanged = (len(nb.cells) >= 3 and nb.cells[1] is old_note and nb.cells[2] is old_code
                 and len(old) == 2 and old_code.source == code.source
                 and old_note.source == note.source
                 and old_code.metadata.get("tags") == TAGS and old_note.metadata.get("tags") == TAGS)
    if unchanged:
        return nb, False
    # The title cell stays first (tests/test_structure.py); the setup goes right after it.
    nb.cells = rest[:1] + [note, code] + rest[1:]
    return nb, True


def execute(path):
    """Execute the notebook top to bottom in place, as `make notebooks` does (deterministic)."""
    from tools.execute_notebooks import execute as execute_in_place
    execute_in_place(Path(path).resolve().relative_to(ROOT).as_posix())


def apply(path, run=True, execute_all=False):
    """Insert/update the cell in one notebook; execute it if it changed. Returns 'changed'."""
    nb = nbformat.read(path, as_version=4)
    nb, changed = with_setup_cell(nb)
    if changed:
        nbformat.write(nb, path)
    if run and (changed or execute_all):
        execute(path)
    return changed


def collection():
    return [ROOT / p for p in notebooks()]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path,
                        help="notebooks to process (default: every notebook of the collection)")
    parser.add_argument("--check", action="store_true",
                        help="change nothing; exit 1 if a notebook lacks an up-to-date setup cell")
    parser.add_argument("--no-execute", action="store_true",
                        help="insert/update the cell but do not re-execute the notebook")
    parser.add_argument("--execute-all", action="store_true",
                        help="re-execute every notebook, also those whose cell was up to date")
    args = parser.parse_args(argv)
    paths = args.notebooks or collection()
    stale = []
    for path in paths:
        if args.check:
            if with_setup_cell(nbformat.read(path, as_version=4))[1]:
                stale.append(path)
            continue
        changed = apply(path, run=not args.no_execute, execute_all=args.execute_all)
        print(f"{path}: {'updated' if changed else 'up to date'}", flush=True)
    if args.check:
        for path in stale:
            print(f"{path}: setup cell missing or out of date", file=sys.stderr)
        return 1 if stale else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
