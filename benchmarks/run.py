"""Benchmark: every notebook's execution time, peak memory, slider latency in a real browser,
and speed against NEURON.

Run with ``make bench`` (or ``.venv/bin/python benchmarks/run.py``).  For each notebook of
_toc.yml (tools/collection.py):

1. execute it top to bottom in a fresh kernel started in the notebook's folder (tools/kernel.py's
   NotebookKernel; the executed copy is kept in memory, never written back): wall time, the
   kernel's CPU time, and its peak resident memory (VmHWM) afterwards;
2. for the notebooks with a NEURON counterpart, time the notebook's own function against NEURON
   in that kernel (median of several runs after a warm-up) and check that both agree within
   the notebook's validated tolerances (tools/kernel_side/bench_neuron.py); a disagreement
   marks the row FAIL;
3. for the model-comparison notebook, time its default fits serially and through its Dask path on
   a local cluster of one worker with one thread (the same work, interleaved with the serial fits
   fit by fit: the Dask overhead is its wall time over the serial one's) and of two workers
   (tools/kernel_side/bench_dask.py); the fits must be identical;
4. open it in JupyterLab in headless Chromium, Run All Cells, and change every control of every
   interactive panel several times as a reader does, timing keypress to painted plot in the
   page and the same update inside the kernel (benchmarks/browser.py says exactly how).

Prints the tables and writes them, with the machine and its load, to ``benchmarks/results.md``
and to the "Performance" section of ``README.md`` (between the ``performance:start/end``
markers).  Options: ``--only SUBSTR`` (repeatable) runs the notebooks whose path contains it and
writes nothing unless ``--write`` (then only results.md); ``--no-browser`` skips step 4;
``--repeats N`` runs per NEURON comparison (default 5); ``--json PATH`` saves the raw numbers
(after each notebook); ``--from-json PATH`` writes the tables from such a file, measuring nothing.
"""

import argparse
import datetime as _dt
import importlib.metadata as _md
import json
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

import browser  # benchmarks/browser.py (puts the repository and browser-tests/ on sys.path)
from lab import ROOT as SOURCE  # the notebooks measured: this checkout, or NEURONS_NOTEBOOK_SOURCE
from tools.collection import kind, notebooks
from tools.kernel import NotebookKernel

ROOT = Path(__file__).resolve().parents[1]

# Budgets on this 2-core machine (the README states them): execution wall time [s]; slider
# latency, keypress to painted plot in the browser, median per panel [ms] (aim in brackets);
# no change of a panel may take more than SLOWEST_FACTOR times the budget.
BUDGET = {
    "point": dict(exec_s=30.0, slider_ms=150.0, slider_aim=100.0),
    "multi": dict(exec_s=90.0, slider_ms=300.0, slider_aim=200.0),
    "capstone": dict(exec_s=120.0, slider_ms=300.0, slider_aim=200.0),
}
SLOWEST_FACTOR = 2.0
MAKE_TEST_BUDGET_S = 360.0

# Which notebook's kernel runs which NEURON comparison (bench_neuron.py), with its budget on
# the ratio hand-written / NEURON and the aim.
NEURON_CASES = {
    "point-neurons/06_hodgkin_huxley.ipynb": ("_nb_bench_hh", 3.0, 1.0),
    "multi-compartment-neurons/01_cable_theory.ipynb": ("_nb_bench_rallpack", 5.0, 2.0),
    "multi-compartment-neurons/03_full_morphological_models.ipynb":
        ("_nb_bench_morphology", 10.0, 3.0),
    "multi-compartment-neurons/05_axons_and_propagation.ipynb": ("_nb_bench_axon", 10.0, 3.0),
}


# The notebook whose kernel measures the Dask overhead (bench_dask.py), and the budget: the Dask
# path on one worker may take at most this fraction longer than the same fits serially.
DASK_CASES = {"model-comparison/01_choosing_a_neuron_model.ipynb": "_nb_bench_dask"}
DASK_OVERHEAD_BUDGET = 0.10
DASK_TIMEOUT_S = 1800


def loadavg():
    return os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3


def bench_kernel(relpath, repeats):
    """Execution, memory and the NEURON comparison, in a kernel of our own."""
    kernel = NotebookKernel(relpath, root=SOURCE, execute=False)
    try:
        cpu = "__import__('time').process_time()"
        cpu0 = kernel.eval(cpu)
        result = dict(notebook=relpath, kind=kind(relpath), startup_s=kernel.startup_s,
                      exec_s=kernel.execute_notebook())
        result["exec_cpu_s"] = kernel.eval(cpu) - cpu0
        kernel.run_file("widgets.py")
        kernel.run_file("bench.py")
        result["peak_mb"] = kernel.eval("_nb_peak_mb()")
        print(f"    executed in {result['exec_s']:.1f} s (kernel CPU {result['exec_cpu_s']:.1f} s; "
              f"kernel start {kernel.startup_s:.1f} s), peak memory {result['peak_mb']:.0f} MB",
              flush=True)
        if relpath in DASK_CASES:
            bench_dask(kernel, relpath, result)
        if relpath in NEURON_CASES:
            function, budget, aim = NEURON_CASES[relpath]
            kernel.run_file("bench_neuron.py")
            try:
                cmp = kernel.eval(f"{function}({repeats})")
            except Exception as exc:  # noqa: BLE001  (reported; the notebook is still measured)
                result.setdefault("problems", []).append(
                    f"the NEURON comparison {function} failed: {type(exc).__name__}: {exc}")
                print(f"    PROBLEM: {result['problems'][-1]}", flush=True)
                return result
            cmp.update(ratio=cmp["ours_s"] / cmp["neuron_s"], budget=budget, aim=aim)
            result["neuron"] = cmp
            print(f"    vs NEURON: {cmp['call']}: {1e3 * cmp['ours_s']:.0f} ms, NEURON continuerun "
                  f"{1e3 * cmp['neuron_s']:.0f} ms, psolve {1e3 * cmp['psolve_s']:.0f} ms, ratio "
                  f"{cmp['ratio']:.2f} ({'agree' if cmp['agree'] else 'DISAGREE'}: {cmp['check']})",
                  flush=True)
        return result
    finally:
        kernel.shutdown()


def bench_dask(kernel, relpath, result):
    """The Dask overhead of the notebook's default fits (bench_dask.py), into result["dask"]."""
    kernel.run_file("bench_dask.py")
    try:
        d = kernel.eval(f"{DASK_CASES[relpath]}()", timeout=DASK_TIMEOUT_S)
    except Exception as exc:  # noqa: BLE001  (reported; the notebook is still measured)
        result.setdefault("problems", []).append(
            f"the Dask overhead measurement failed: {type(exc).__name__}: {exc}")
        print(f"    PROBLEM: {result['problems'][-1]}", flush=True)
        return
    d["dask_s"] = {int(n): s for n, s in d["dask_s"].items()}
    d["overhead_budget"] = DASK_OVERHEAD_BUDGET
    d["load"] = " / ".join(f"{x:.2f}" for x in loadavg())
    result["dask"] = d
    print(f"    Dask: the default fits ({d['evaluations']} evaluations) serially {d['serial_s']:.2f} s, "
          + ", ".join(f"on {n} worker(s) {s:.2f} s" for n, s in d["dask_s"].items())
          + f" (medians); overhead on one worker {100 * d['overhead']:+.1f} % (median over "
          + f"{d['rounds']} rounds of {percents(d['overhead_per_round'])} %; its factors: outside the "
          + f"tasks {percents(d['outside_tasks_per_round'])} %, the worker's evaluations against the "
          + f"serial ones {percents(d['worker_evaluations_per_round'])} %; serial runs "
          + f"{', '.join(f'{x:.2f}' for x in d['serial_runs'])} s, one-worker runs "
          + f"{', '.join(f'{x:.2f}' for x in d['dask_runs'][1])} s)", flush=True)


def bench_browser(bench, relpath, result):
    measured = bench.measure(relpath)
    result.update(browser_run_all_s=measured["run_all_s"], panels=measured["panels"],
                  load_during=measured["load"])
    result.setdefault("problems", []).extend(measured["problems"])
    for panel in measured["panels"]:
        panel["summary"] = s = browser.summary(panel["changes"])
        if s is None:
            print(f"    panel {panel['panel']} {panel['function']}: nothing measured")
            continue
        print(f"    panel {panel['panel']} {panel['function']}: {s['n']} changes, keypress -> "
              f"painted median {s['median_ms']:.0f} ms, max {s['max_ms']:.0f} ms; in the kernel "
              f"median {fmt(s['kernel_median_ms'])} ms, max {fmt(s['kernel_max_ms'])} ms "
              f"(CPU {fmt(s['kernel_cpu_median_ms'])} ms)", flush=True)
        for name in dict.fromkeys(c["name"] for c in panel["changes"]):
            row = [c for c in panel["changes"] if c["name"] == name and "painted_ms" in c]
            print(f"      {name:14s} " + "  ".join(
                f"{fmt(c.get('to_kernel_ms'))}+{fmt(c.get('kernel_ms'))}->{c['painted_ms']:.0f}"
                + ("w" if c["warmup"] else "") for c in row)
                + "  ms (keypress to kernel + in kernel -> painted; w: warm-up)")
    for problem in measured["problems"]:
        print(f"    PROBLEM: {problem}")


def cell(text):
    """Text for one cell of a Markdown table."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def fmt(x, digits=0):
    return "n/a" if x is None else f"{x:.{digits}f}"


def percents(fractions):
    """0.061, -0.021 -> "+6.1, -2.1" (per cent, signed); "-" for none."""
    return ", ".join(f"{100 * x:+.1f}" for x in fractions) or "-"


def version(dist):
    try:
        return _md.version(dist)
    except _md.PackageNotFoundError:
        return "not installed"


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        found = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = found.group(1).strip() if found else cpu
    except OSError:
        pass
    try:
        kb = int(re.search(r"^MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text(), re.M).group(1))
        ram = f"{kb / 1024 ** 2:.1f} GiB"
    except (OSError, AttributeError):
        ram = "unknown"
    return dict(cpu=cpu, cores=os.cpu_count(), ram=ram, os=platform.platform(),
                python=platform.python_version(), numpy=version("numpy"),
                matplotlib=version("matplotlib"), neuron=version("neuron"),
                jupyterlab=version("jupyterlab"), ipywidgets=version("ipywidgets"),
                chromium=os.environ.get("CHROMIUM", "/usr/bin/chromium"),
                date=_dt.datetime.now().strftime("%Y-%m-%d %H:%M"), commit=git_commit(),
                load_before=" / ".join(f"{x:.2f}" for x in loadavg()))


def git_commit():
    """The commit of the notebooks measured, '+ changes' if the work tree differs from it."""
    import subprocess
    try:
        head = subprocess.run(["git", "-C", str(SOURCE), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(SOURCE), "status", "--porcelain", "--", "*.ipynb"],
                               capture_output=True, text=True, check=True).stdout.strip()
        return head + (" + changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def verdict(checks):
    """checks: (value, budget, aim or None) triples, None values skipped."""
    checks = [c for c in checks if c[0] is not None]
    if any(value > budget for value, budget, _ in checks):
        return "**no**"
    if checks and all(aim is not None and value <= aim for value, _, aim in checks):
        return "yes, aim too"
    return "yes"


def notebook_table(results, make_test_s=None):
    rows = []
    for r in results:
        b = BUDGET[r["kind"]]
        budget, name = f"exec {b['exec_s']:.0f} s", Path(r["notebook"]).stem
        if "error" in r:
            rows.append((name, f"**FAILED**: {cell(r['error'][:300])}", "-", "-", budget, "**no**"))
            continue
        checks, ratio, met = [(r["exec_s"], b["exec_s"], None)], "-", None
        if "neuron" in r:
            c = r["neuron"]
            ratio = f"{c['ratio']:.2f}x" + ("" if c["agree"] else " **FAIL: disagree**")
            checks.append((c["ratio"], c["budget"], c["aim"]))
            budget += f"; ratio {c['budget']:g}x (aim {c['aim']:g}x)"
            met = None if c["agree"] else "**no**"
        rows.append((name, f"{r['exec_s']:.1f} ({r['exec_cpu_s']:.1f})", f"{r['peak_mb']:.0f}",
                     ratio, budget, met or verdict(checks)))
    if make_test_s is not None:
        rows.append(("whole `make test`", f"{make_test_s:.0f}", "-", "-", f"{MAKE_TEST_BUDGET_S:.0f} s",
                     verdict([(make_test_s, MAKE_TEST_BUDGET_S, None)])))
    return markdown_table(("notebook", "execution [s] (kernel CPU)", "peak memory [MB]",
                           "hand-written / NEURON", "budget", "met"), rows)


def panel_verdict(r, s):
    b = BUDGET[r["kind"]]
    if s["median_ms"] > b["slider_ms"] or s["max_ms"] > SLOWEST_FACTOR * b["slider_ms"]:
        return "**no**"
    return "yes, aim too" if s["median_ms"] <= b["slider_aim"] else "yes"


def markdown_table(header, rows):
    return "\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
                     + ["| " + " | ".join(str(x) for x in row) + " |" for row in rows])


def latency(s):
    """Browser and kernel cells of a summary (browser.summary)."""
    return (f"{s['median_ms']:.0f} / {s['max_ms']:.0f}",
            f"{fmt(s['kernel_median_ms'])} / {fmt(s['kernel_max_ms'])} ({fmt(s['kernel_cpu_median_ms'])})",
            fmt(s["to_kernel_median_ms"]))


LATENCY_HEADER = ("changes", "keypress → painted, median / max [ms]",
                  "in the kernel, median / max (CPU median) [ms]", "keypress → kernel, median [ms]")


def panel_table(results):
    rows = []
    for r in results:
        b = BUDGET[r["kind"]]
        budget = f"{b['slider_ms']:.0f} ({b['slider_aim']:.0f}); max {SLOWEST_FACTOR * b['slider_ms']:.0f}"
        for panel in r.get("panels", []):
            s = panel["summary"]
            measured = (s["n"], *latency(s), budget, panel_verdict(r, s)) if s else \
                (0, "not measured", "-", "-", budget, "**no**")
            rows.append((Path(r["notebook"]).stem, f"`{panel['function']}`", *measured))
    return markdown_table(("notebook", "panel", *LATENCY_HEADER, "budget (aim) [ms]", "met"), rows)


def control_table(results):
    """Per control (results.md only), and its slowest change."""
    rows = []
    for r in results:
        for panel in r.get("panels", []):
            for name, kind_name, how in panel["controls"]:
                s = browser.summary([c for c in panel["changes"] if c["name"] == name])
                if s:
                    slow = s["slowest"]
                    rows.append((Path(r["notebook"]).stem, f"`{panel['function']}`",
                                 f"{name} ({kind_name}, {how})", s["n"], *latency(s),
                                 f"{cell(slow['value'])}: {slow['painted_ms']:.0f} ms"))
    return markdown_table(("notebook", "panel", "control", *LATENCY_HEADER, "slowest change"), rows)


def neuron_table(results):
    rows = [(c["name"], f"`{c['call']}`", f"{1e3 * c['ours_s']:.0f}", f"{1e3 * c['neuron_s']:.0f}",
             f"{1e3 * c['psolve_s']:.0f}", f"{c['ratio']:.2f}",
             f"{'agree' if c['agree'] else '**FAIL**'}: {cell(c['check'])}")
            for c in (r["neuron"] for r in results if "neuron" in r)]
    return markdown_table(("model", "hand-written call", "hand-written [ms]",
                           "NEURON finitialize + continuerun [ms]", "NEURON psolve [ms]", "ratio",
                           "agreement"), rows)


def dask_table(results):
    rows = []
    for r in results:
        d = r.get("dask")
        if not d:
            continue
        if d.get("design") != "ABBA":
            raise SystemExit(f"{r['notebook']}: a Dask measurement saved before the serial and Dask "
                             "fits were interleaved (ABBA); measure it again")
        runs = {int(n): v for n, v in d["dask_runs"].items()}         # JSON keys are strings
        both = lambda xs: f"{statistics.median(xs):.2f} ({', '.join(f'{x:.2f}' for x in xs)})"
        work = (f"{', '.join(d['models'])}: popsize {d['budget']['popsize']}, maxiter "
                f"{d['budget']['maxiter']}, {d['evaluations']} evaluations")
        two = runs[2][0] if runs.get(2) else None
        rows.append((Path(r["notebook"]).stem, work, both(d["serial_runs"]), both(runs[1]),
                     f"{100 * d['overhead']:+.1f} % ({percents(d['overhead_per_round'])})",
                     percents(d["outside_tasks_per_round"]), percents(d["worker_evaluations_per_round"]),
                     "-" if two is None else f"{two:.2f} ({d['serial_s'] / two:.2f}x)", d.get("load", "-"),
                     f"≤ {100 * d['overhead_budget']:.0f} %",
                     verdict([(d["overhead"], d["overhead_budget"], None)])))
    return markdown_table(("notebook", "work (the default fits)", "serial [s]: median (per round)",
                           "Dask, 1 worker × 1 thread [s]: median (per round)",
                           "overhead on 1 worker: median (per round)",
                           "factor: outside the tasks, per round",
                           "factor: the worker's evaluations against the serial ones, per round",
                           "Dask, 2 workers × 1 thread [s] (speed-up)",
                           "load average after", "budget", "met"), rows) if rows else None


def load_line(m, results):
    during = [x for r in results for x in r.get("load_during", [])]
    text = f"load average (1 / 5 / 15 min) before the run {m['load_before']}"
    if during:
        text += (f"; 1-min load average during the browser measurement: median "
                 f"{statistics.median(during):.2f}, range {min(during):.2f}-{max(during):.2f} "
                 "(the measurement itself, kernel and browser, adds about 1)")
    return text


def machine_line(m):
    return (f"{m['cpu']}, {m['cores']} cores, {m['ram']} RAM; {m['os']}; Python {m['python']}, "
            f"numpy {m['numpy']}, matplotlib {m['matplotlib']}, NEURON {m['neuron']}, "
            f"JupyterLab {m['jupyterlab']}, ipywidgets {m['ipywidgets']}, {m['chromium']} "
            f"(headless); {m['date']}; notebooks at commit {m.get('commit', 'unknown')}")


NOTES = """\
**Execution** is the wall time of all code cells in a fresh kernel started in the notebook's folder
(kernel start-up, about 1 s, not included), with the kernel's CPU time in brackets; peak memory is
the kernel's VmHWM after the run.

**Slider latency** is measured as a reader feels it: the notebook open in JupyterLab in headless
Chromium after Run All Cells, and every control of every interactive panel changed as a reader
does: a slider's new value typed into its readout and Enter pressed, a drop-down option chosen, a
check box clicked. Each slider gets three values across its range and then its own value back;
the first change of each panel is a warm-up and is not counted. The clock starts at the keydown
of that Enter (or the drop-down's `change`, the click) and stops when the new plot is painted: a
MutationObserver on the panel's output waits until every image in it is new and marks each for
the browser's Element Timing API (`elementtiming`) before it can be painted; the clock stops at
the `renderTime` Chromium reports for the frame in which the (last) new image was first painted.
Where no Element Timing entry arrives, the fallback is each image's `decode()`, the next
animation frame and a task posted from it (which runs after that frame is rendered). In this
run: {timed_by}. "Keypress → kernel" is from the keydown to the
kernel's receiving the new value (both clocks are this machine's wall clock). "In the kernel" is the same update timed inside
the kernel, from receiving the new value to the end of the panel's redraw (simulation, drawing,
PNG encoding and sending); the difference is the browser, the server and the transfer. Budget:
the median per panel; no change may take more than twice the budget. The machine is shared,
so its load is given above; expect run-to-run variation of 10-30 % on a quiet machine. The
kernel's CPU time (in brackets) is what an update costs; when the load average exceeds the number
of cores, every wall time also includes waiting for a core, so check the budgets on a quiet machine.

**Against NEURON**, the notebook's own function and NEURON run in the same kernel, median of
{repeats} runs after a warm-up; the ratio is hand-written / NEURON `finitialize` + `continuerun`.
One more run of each, recording every node, must agree within the notebook's validated
tolerances (1e-6 mV everywhere, spike times within 1e-6 ms), else the row is marked FAIL so that
a fast wrong answer cannot win.

**Dask overhead**: in the model-comparison notebook's kernel, after it ran, its default fits (every
candidate, its default budget and seed) are run serially in the kernel (`client=None`) and through
its Dask path (`DaskMap`: the loss function scattered to the workers, one task per worker thread
and generation) on a local cluster of one worker process with one thread, which does the same
evaluations one at a time; then once on a cluster of two such workers. Each cluster is started
fresh, before the clock starts. Every fit must be the same on every path, or the measurement is
refused. This machine's speed drifts (the same serial fits have taken 14 s and 24 s within an
hour, and runs a minute apart differ by up to 20 %), so the two paths are interleaved fit by fit:
for each candidate in turn, serial, Dask, Dask, serial (ABBA), so that each pair is a few seconds
apart and a steady drift slows both paths alike. A round is one such pass over the candidates, on
one fresh one-worker cluster; its overhead is the sum of its Dask runs' wall times over the sum of
its serial runs', minus 1, and the median of the three rounds is judged against the budget. Each
round's first Dask fit runs on a worker that has just started, so a worker's warm-up counts in
every round. The times given are those of one pass of each path over the candidates (half of a
round's two runs), median (per round). Each run also measures its own evaluations (serially, the
time inside the loss; on Dask, the worker's compute time of its tasks, from Dask's task stream),
so each round's overhead is given as the product of two factors: the Dask path's wall time per
second of evaluation over the serial path's (what it spends outside its tasks) and the worker's
evaluation time over the serial one's (how fast the worker evaluated), 1 + overhead =
(1 + outside) (1 + worker). The two-worker run is a single pass, not interleaved, so its speed-up
over the serial median carries the machine's drift. The notebook's own cluster (idle, five
processes) is closed while they run and started again afterwards. The load average after the
measurement is given."""


def body(results, m, repeats, make_test_s, details=False):
    text = (f"Measured on: {machine_line(m)}; {load_line(m, results)}.\n\n"
            f"{notebook_table(results, make_test_s)}\n\n"
            f"Slider latency per interactive panel (keypress to painted plot in JupyterLab, and "
            f"the same updates timed in the kernel):\n\n{panel_table(results)}\n\n")
    if details:
        text += f"Per control:\n\n{control_table(results)}\n\n"
    problems = [f"* {Path(r['notebook']).stem}: {cell(p)}" for r in results for p in r.get("problems", [])]
    if problems:
        text += "Problems seen while measuring:\n\n" + "\n".join(problems) + "\n\n"
    dask = dask_table(results)
    if dask:
        text += (f"Dask overhead (the model-comparison notebook's default fits, serially in its kernel and "
                 f"through its Dask path on one worker, interleaved fit by fit (serial, Dask, Dask, serial), "
                 f"so that this machine's drifting speed slows both alike, see the notes; the notebook's own "
                 f"idle cluster is closed while they run):\n\n{dask}\n\n")
    return (text + f"Speed against NEURON (same process, same discretisation and time step):\n\n"
            f"{neuron_table(results)}\n\n{NOTES.format(repeats=repeats, timed_by=timed_by(results))}\n")


def timed_by(results):
    """How many changes were timed by Element Timing and how many by the frame fallback."""
    ways = [c.get("painted_by") for r in results for p in r.get("panels", []) for c in p["changes"]
            if "painted_ms" in c]
    counts = {w: ways.count(w) for w in dict.fromkeys(ways)}
    return ", ".join(f"{n} change(s) timed by {w}" for w, n in counts.items()) or "no changes timed"


def write_outputs(results, m, repeats, make_test_s, write_readme=True):
    (ROOT / "benchmarks" / "results.md").write_text(
        "# Benchmark results\n\nWritten by `make bench` (`benchmarks/run.py`); do not edit by hand.\n\n"
        + body(results, m, repeats, make_test_s, details=True))
    if not write_readme:
        return
    readme_path = ROOT / "README.md"
    readme = readme_path.read_text()
    section = ("<!-- performance:start -->\n## Performance\n\n"
               "Every notebook is held to a speed budget so that its sliders stay live; "
               "`make bench` measures it (per control in [benchmarks/results.md]"
               "(benchmarks/results.md)).\n\n" + body(results, m, repeats, make_test_s)
               + "<!-- performance:end -->")
    if "<!-- performance:start -->" in readme and "<!-- performance:end -->" in readme:
        readme = re.sub(r"<!-- performance:start -->.*?<!-- performance:end -->",
                        lambda _: section, readme, flags=re.S)
    else:
        readme = readme.rstrip("\n") + "\n\n" + section + "\n"
    readme_path.write_text(readme)


def save_json(path, m, results):
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(dict(machine=m, results=results), indent=1))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", default=[],
                        help="run only notebooks whose path contains this (repeatable)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per NEURON comparison")
    parser.add_argument("--no-browser", action="store_true", help="skip the slider latency")
    parser.add_argument("--write", action="store_true",
                        help="with --only: write results.md anyway (not the README)")
    parser.add_argument("--make-test-seconds", type=float, default=None,
                        help="a measured `make test` wall time [s] to add to the table")
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "latest.json"),
                        help="where to save the raw numbers (default benchmarks/results/latest.json)")
    parser.add_argument("--from-json", metavar="PATH",
                        help="measure nothing: write the tables from the raw numbers a run saved")
    args = parser.parse_args(argv)
    if args.from_json:
        saved = json.loads(Path(args.from_json).read_text())
        print(body(saved["results"], saved["machine"], args.repeats, args.make_test_seconds, details=True))
        write_outputs(saved["results"], saved["machine"], args.repeats, args.make_test_seconds,
                      write_readme=not args.only)
        return 0
    os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")
    m = machine()
    print("machine:", machine_line(m), "; load average before", m["load_before"], flush=True)
    paths = notebooks(SOURCE)
    if args.only:
        paths = [p for p in paths if any(s in p for s in args.only)]
        if not paths:
            parser.error(f"no notebook of _toc.yml matches {args.only}")
    t0 = time.perf_counter()
    bench = None if args.no_browser else browser.BrowserBench()
    results = []
    try:
        for relpath in paths:
            print(f"--- {relpath}", flush=True)
            try:
                result = bench_kernel(relpath, max(1, args.repeats))
            except Exception as exc:  # noqa: BLE001  (a notebook that fails is reported, the rest measured)
                result = dict(notebook=relpath, kind=kind(relpath), error=f"{type(exc).__name__}: {exc}")
                print(f"    FAILED: {result['error']}", flush=True)
            results.append(result)
            if bench is not None and "error" not in result:
                try:
                    bench_browser(bench, relpath, result)
                except Exception as exc:  # noqa: BLE001
                    result.setdefault("problems", []).append(
                        f"the browser measurement failed: {type(exc).__name__}: {exc}")
                    print(f"    PROBLEM: {result['problems'][-1]}", flush=True)
            save_json(args.json, m, results)          # so far: kept if the run is stopped
    finally:
        if bench is not None:
            bench.close()
    m["took_s"] = time.perf_counter() - t0
    m["load_end"] = " / ".join(f"{x:.2f}" for x in loadavg())
    print(f"\nbenchmark took {m['took_s']:.0f} s; load average at the end {m['load_end']}\n")
    print(body(results, m, args.repeats, args.make_test_seconds, details=True))
    save_json(args.json, m, results)
    if not args.only or args.write:
        write_outputs(results, m, args.repeats, args.make_test_seconds, write_readme=not args.only)
        print("wrote benchmarks/results.md" + ("" if args.only else " and README.md's Performance section"))
    failed = [r["notebook"] for r in results if "error" in r or r.get("problems")]
    if failed:
        print("failures or problems (see above) in: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
