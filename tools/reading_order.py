"""The site's reading order, written from README.md's table (one source for what each notebook
teaches) when the site is built.

intro.md, the site's landing page, holds under "## Reading order" one marker line per folder,

    <!-- notebooks of point-neurons -->

and this Sphinx extension (_config.yml: sphinx.local_extensions) replaces each marker with a
numbered list of that folder's notebooks in _toc.yml order: the notebook's title (its first
heading, up to a colon) linked to the notebook, then the "what you learn" cell of its README row.
A new notebook appears there from its _toc.yml entry and its README row alone.

    python tools/reading_order.py     # print intro.md as the site shows it
"""

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tools.collection import folders, notebooks  # noqa: E402  (the one list, from _toc.yml)

MARKER = re.compile(r"^<!-- notebooks of ([\w-]+) -->$", re.M)
# | 7 | [multi-compartment-neurons/01_cable_theory](multi-compartment-neurons/01_cable_theory.ipynb) | what you learn | ...
ROW = re.compile(r"^\|\s*(\d+)\s*\|\s*\[[^\]]*\]\(([^)\s]+\.ipynb)\)\s*\|([^|\n]*)\|", re.M)


def readme_rows(root=ROOT):
    """{notebook path: (its number, what you learn)}, from README.md's table."""
    text = (Path(root) / "README.md").read_text()
    return {m.group(2): (int(m.group(1)), m.group(3).strip()) for m in ROW.finditer(text)}


def title(path, root=ROOT):
    """The notebook's title: its first cell's level-1 heading, up to a colon."""
    cell = json.loads((Path(root) / path).read_text())["cells"][0]
    heading = "".join(cell["source"]).lstrip().splitlines()[0]
    return heading.removeprefix("# ").split(": ")[0].strip()


def reading_order(text, root=ROOT):
    """intro.md's text with each folder's marker replaced by the numbered list of its notebooks."""
    rows, order = readme_rows(root), notebooks(root)
    markers = MARKER.findall(text)
    if sorted(markers) != sorted(folders(root)):
        raise ValueError(f"intro.md has markers for {markers}, but _toc.yml's folders are "
                         f"{folders(root)}: one line '<!-- notebooks of <folder> -->' for each")

    def items(marker):
        lines = []
        for number, path in enumerate(order, 1):
            if path.split("/")[0] != marker.group(1):
                continue
            if path not in rows:
                raise ValueError(f"README.md has no table row for {path}")
            if rows[path][0] != number:
                raise ValueError(f"README.md numbers {path} {rows[path][0]}, but it is notebook "
                                 f"{number} in _toc.yml")
            lines.append(f"{number}. [{title(path, root)}]({path}): {rows[path][1]}.")
        return "\n".join(lines)

    return MARKER.sub(items, text)


def setup(app):
    """The Sphinx extension: the reading order written into the landing page as it is read."""
    def on_source_read(app, docname, source):
        if docname == app.config.root_doc:
            source[0] = reading_order(source[0], Path(app.srcdir))

    app.connect("source-read", on_source_read)
    # README.md and the notebooks' titles are not what Sphinx watches: reread the page each build.
    app.connect("env-get-outdated", lambda app, env, added, changed, removed: [app.config.root_doc])
    return {"parallel_read_safe": True, "parallel_write_safe": True}


if __name__ == "__main__":
    print(reading_order((ROOT / "intro.md").read_text()), end="")
