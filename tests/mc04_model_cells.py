"""Execute the cells tagged `model` of the NEURON notebook, and nothing else, in a fresh kernel that
runs in a folder of our choice, as the model-comparison notebook will; then run the cell once.

    python tests/mc04_model_cells.py NOTEBOOK WORKDIR

Prints one JSON line: the outputs of each model cell (they must be empty), the build folder the
cells used, and the spike count of a 300 ms, 0.3 nA step. Used by
tests/test_mc04_detailed_biophysical_models_neuron.py, also inside a mount namespace in which
WORKDIR is read-only (``unshare -m`` + ``mount --bind -o ro``), with HOME and XDG_CACHE_HOME pointed
at temporary folders.
"""

import json
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools.kernel import Client  # noqa: E402  (nbclient, with its waits polled in slices)

CHECK = """
import json as _json
_r = run_step(0.3, cell=cell, T=300.0, delay=50.0, dur=200.0, use_cvode=True)
print("<<RESULT>>" + _json.dumps({"build_dir": BUILD_DIR, "spikes": len(_r.spikes)}))
"""


def main(notebook, workdir):
    source = nbformat.read(notebook, as_version=4)
    cells = [c for c in source.cells if c.cell_type == "code" and "model" in c.metadata.get("tags", [])]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c.source) for c in cells]
                                  + [nbformat.v4.new_code_cell(CHECK)])
    nb.metadata = source.metadata
    Client(nb, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": workdir}}).execute()
    outputs = [[{k: v for k, v in o.items() if k in ("output_type", "name", "text", "data")}
                for o in c.outputs] for c in nb.cells[:-1]]
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.output_type == "stream")
    result = json.loads(text.split("<<RESULT>>")[1].splitlines()[0])
    print(json.dumps({"model_cells": len(cells), "outputs": outputs, **result}))


if __name__ == "__main__":
    main(*sys.argv[1:3])
