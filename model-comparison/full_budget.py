"""Run the capstone's fits once with the larger budget (FULL = True) and store what they give.

    .venv/bin/python model-comparison/full_budget.py

executes the code cells of 01_choosing_a_neuron_model.ipynb in a fresh kernel in this folder, with
the settings cell's `FULL = False` changed to `FULL = True` and nothing else changed, up to and
including the cell that builds the table's scores. It then writes full_budget_fits.json next to the
notebook: for each model its fitted parameters, training loss and number of evaluations, its scores
on the held-out test segment (`held_out_scores`, the function the notebook uses to score the stored
parameters again), the test segment's input (number, sum and sum of squares of the samples, so the
notebook can check it scores on the same data), and the measured cost of the run: wall time of the
whole run and of the fits, CPU time of the kernel and of the Dask workers, cores, processor, date,
commit and load average. The notebook loads this file, re-simulates, and asserts the scores agree.

Dask: as in the notebook, a local cluster of two worker processes, or the scheduler named by
$NEURONS_DASK_SCHEDULER.
"""

import datetime as _dt
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from tools.kernel import NotebookKernel  # noqa: E402  (after the path is set)

NOTEBOOK = "model-comparison/01_choosing_a_neuron_model.ipynb"
OUTPUT = HERE / "full_budget_fits.json"
SWITCH_OFF, SWITCH_ON = "FULL = False", "FULL = True"
LAST_CELL = 'Score = namedtuple("Score"'      # the cell that builds SCORES and held_out_scores
FIT_CELL = "FITS = {name: fit("
CELL_TIMEOUT_S = 4 * 3600                      # the fits cell alone takes minutes to tens of minutes


def commit():
    """HEAD of this checkout, with ' + changes' if the notebook differs from it."""
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True, check=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", NOTEBOOK],
                           capture_output=True, text=True, check=True).stdout.strip()
    return head + (" + changes" if dirty else "")


def processor():
    try:
        found = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        return found.group(1).strip() if found else platform.processor()
    except OSError:
        return platform.processor() or platform.machine()


def main():
    load_before = " / ".join(f"{x:.2f}" for x in os.getloadavg())
    started = _dt.datetime.now(_dt.timezone.utc)
    t0 = time.perf_counter()
    kernel = NotebookKernel(NOTEBOOK, root=ROOT, execute=False, timeout=CELL_TIMEOUT_S)
    try:
        cells = [(i, c) for i, c in enumerate(kernel.nb.cells) if c.cell_type == "code"]
        settings = [c for _, c in cells if c.source.startswith(SWITCH_OFF)]
        assert len(settings) == 1, "the settings cell must start with 'FULL = False'"
        settings[0].source = settings[0].source.replace(SWITCH_OFF, SWITCH_ON, 1)
        last = next(i for i, c in cells if LAST_CELL in c.source)
        fit_wall = None
        for index, cell in cells:
            if index > last:
                break
            c0 = time.perf_counter()
            kernel.client.execute_cell(cell, index)
            errors = [o for o in cell.outputs if o.output_type == "error"]
            if errors:
                raise RuntimeError(f"cell {index}: {errors[0].ename}: {errors[0].evalue}")
            if FIT_CELL in cell.source:
                fit_wall = time.perf_counter() - c0
                print(f"fits done in {fit_wall / 60:.1f} min", flush=True)
        assert kernel.eval("FULL") is True
        result = kernel.eval(
            "dict(models={name: dict(params=FITS[name].params, loss=FITS[name].loss,"
            " evaluations=FITS[name].evaluations, scores=held_out_scores(name, FITS[name].params))"
            " for name in POINT_MODELS},"
            " settings=dict(DE_BUDGET=DE_BUDGET, SEED=SEED, NOISE_SEED=NOISE_SEED, DT=DT, DELTA=DELTA,"
            " train=tuple(TRAIN), test=tuple(TEST)),"
            " test_input=dict(n=len(segment_current(TEST).samples),"
            " sum=float(segment_current(TEST).samples.sum()),"
            " sum_sq=float((segment_current(TEST).samples ** 2).sum())),"
            " kernel_cpu_s=time.process_time(),"
            " worker_cpu=client.run(time.process_time))")
        wall = time.perf_counter() - t0
    finally:
        kernel.shutdown()
    worker_cpu = result.pop("worker_cpu")
    result["run"] = dict(
        wall_s=round(wall, 1), fit_wall_s=round(fit_wall, 1),
        kernel_cpu_s=round(result.pop("kernel_cpu_s"), 1),
        worker_cpu_s=round(sum(worker_cpu.values()), 1), workers=len(worker_cpu),
        cores=os.cpu_count(), cpu=processor(), date=started.strftime("%Y-%m-%d %H:%M UTC"),
        commit=commit(), load_before=load_before,
        load_after=" / ".join(f"{x:.2f}" for x in os.getloadavg()),
        python=platform.python_version())
    OUTPUT.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {OUTPUT.relative_to(ROOT)}: run {wall / 60:.1f} min, fits {fit_wall / 60:.1f} min")
    for name, m in result["models"].items():
        print(f"  {name:10s} loss {m['loss']:.3f} ({m['evaluations']} evaluations): "
              + ", ".join(f"{k} {v:.3g}" for k, v in m["scores"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
