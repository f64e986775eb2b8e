"""Benchmark: every notebook's execution time, slider latency, peak memory, and speed against NEURON.

Run with ``make bench`` (or ``.venv/bin/python benchmarks/run.py``).  For each notebook:

1. execute it top to bottom in a fresh kernel started in the notebook's folder (as a reader
   does; the executed copy is kept in memory, never written back) and record the wall time;
2. read the kernel's peak resident memory (VmHWM) after the run;
3. in the same kernel, set every slider of every ``ipywidgets.interactive`` to three new values
   inside its range and time each update from setting the value to the end of the redraw
   (simulation + matplotlib's inline PNG rendering, which happens in ``plt.show()``);
4. for the notebooks with a NEURON counterpart, time the notebook's own function against NEURON
   in the same process (median of several runs after a warm-up) and check that both agree
   within the notebook's stated tolerances; a disagreement marks the row FAIL.

Prints one table and writes it, with the machine it ran on, to ``benchmarks/results.md`` and
to the "Performance" section of ``README.md`` (between the ``performance:start/end`` markers).
Options: ``--only SUBSTR`` (repeatable) runs a subset and writes nothing unless ``--write``;
``--repeats N`` sets the runs per NEURON comparison (default 5); ``--json PATH`` saves raw numbers.
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
import tempfile
import textwrap
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kernel_code  # noqa: E402  (the code sent into each kernel)

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = ("point-neurons", "multi-compartment-neurons")

# Budgets and goals (this 2-core machine; the README states them).
BUDGET = {
    "point": dict(exec_s=30.0, exec_goal=10.0, slider_ms=150.0, slider_goal=100.0),
    "multi": dict(exec_s=90.0, exec_goal=30.0, slider_ms=500.0, slider_goal=300.0),
}
MAKE_TEST_BUDGET_S, MAKE_TEST_GOAL_S = 360.0, 180.0

# Which notebook's kernel runs which NEURON comparison, with its ratio budget and goal.
NEURON_CASES = {
    "point-neurons/06_hodgkin_huxley.ipynb": ("HH", "_bench_hh", 3.0, 1.0),
    "multi-compartment-neurons/01_cable_theory.ipynb": ("RALLPACK", "_bench_rallpack", 5.0, 2.0),
    "multi-compartment-neurons/03_full_morphological_models.ipynb":
        ("MORPHOLOGY", "_bench_morphology", 10.0, 3.0),
}


class Kernel:
    """A notebook executed in a fresh kernel started in its own folder; code can be sent to it."""

    def __init__(self, path, timeout=600):
        self.nb = nbformat.read(path, as_version=4)
        self.client = NotebookClient(self.nb, timeout=timeout, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
        t0 = time.perf_counter()
        self.client.create_kernel_manager()
        if os.name == "posix":
            # Unix sockets instead of TCP ports, which a kernel started at the same moment by
            # another process (a test run, a Jupyter server) can take between allocation and
            # binding; an absolute socket path, since the kernel runs in the notebook's folder.
            self._socket_dir = tempfile.TemporaryDirectory(prefix="neurons-bench-")
            self.client.km.transport = "ipc"
            self.client.km.ip = os.path.join(self._socket_dir.name, "kernel")
        self.client.start_new_kernel()
        self.client.start_new_kernel_client()
        self.startup_s = time.perf_counter() - t0

    def execute_notebook(self):
        """Run every code cell in order; return the wall time [s]. Raises on a cell error."""
        t0 = time.perf_counter()
        for index, cell in enumerate(self.nb.cells):
            if cell.cell_type == "code":
                self.client.execute_cell(cell, index)
        return time.perf_counter() - t0

    def run(self, code):
        cell = nbformat.v4.new_code_cell(textwrap.dedent(code))
        self.nb.cells.append(cell)
        try:
            self.client.execute_cell(cell, len(self.nb.cells) - 1)
        finally:
            self.nb.cells.pop()
        return "".join(o.get("text", "") for o in cell.outputs
                       if o.output_type == "stream" and o.name == "stdout")

    def eval(self, expr):
        out = self.run(f"_bench_send({expr})")
        start = out.index("<<BENCH>>") + len("<<BENCH>>")
        return json.loads(out[start:out.index("<<END>>", start)])

    def shutdown(self):
        self.client._cleanup_kernel()


def kind_of(relpath):
    return "point" if relpath.startswith("point-neurons/") else "multi"


def bench_notebook(relpath, repeats):
    print(f"--- {relpath}", flush=True)
    kernel = Kernel(ROOT / relpath)
    try:
        result = dict(notebook=relpath, kind=kind_of(relpath), startup_s=kernel.startup_s)
        kernel.run("import time as _bench_time; _bench_cpu0 = _bench_time.process_time()")
        result["exec_s"] = kernel.execute_notebook()
        kernel.run(kernel_code.COMMON)
        result["exec_cpu_s"] = kernel.eval("_bench_time.process_time() - _bench_cpu0")
        result["peak_mb"] = kernel.eval("_bench_peak_mb()")
        print(f"    executed in {result['exec_s']:.1f} s (kernel CPU {result['exec_cpu_s']:.1f} s; "
              f"kernel start {kernel.startup_s:.1f} s), "
              f"peak memory {result['peak_mb']:.0f} MB", flush=True)
        kernel.run(kernel_code.SLIDERS)
        sliders = kernel.eval("_bench_sliders()")
        result["sliders"] = sliders
        times = [r["ms"] for r in sliders["rows"]]
        if times:
            result["slider_median_ms"] = statistics.median(times)
            result["slider_max_ms"] = max(times)
            result["slider_cpu_median_ms"] = statistics.median(r["cpu_ms"] for r in sliders["rows"])
            slowest = max(sliders["rows"], key=lambda r: r["ms"])
            result["slider_slowest"] = f"{slowest['function']}({slowest['control']}={slowest['value']})"
            print(f"    {len(times)} slider updates in {sliders['panels']} panel(s): median "
                  f"{result['slider_median_ms']:.0f} ms (CPU {result['slider_cpu_median_ms']:.0f} ms), max {result['slider_max_ms']:.0f} ms "
                  f"({result['slider_slowest']})", flush=True)
            per_control = {}
            for r in sliders["rows"]:
                per_control.setdefault(f"{r['function']}.{r['control']}", []).append(r["ms"])
            for name, values in per_control.items():
                print(f"      {name:36s} " + " ".join(f"{v:6.0f}" for v in values) + " ms")
        for problem in sliders["problems"]:
            print(f"    PROBLEM: {problem}")
        if relpath in NEURON_CASES:
            code_name, function, budget, goal = NEURON_CASES[relpath]
            kernel.run(kernel_code.NEURON_TIMING)
            kernel.run(getattr(kernel_code, code_name))
            cmp = kernel.eval(f"{function}({repeats})")
            cmp.update(ratio=cmp["ours_s"] / cmp["neuron_s"], budget=budget, goal=goal)
            result["neuron"] = cmp
            print(f"    vs NEURON: {cmp['call']}: {1e3 * cmp['ours_s']:.0f} ms, NEURON continuerun "
                  f"{1e3 * cmp['neuron_s']:.0f} ms, psolve {1e3 * cmp['psolve_s']:.0f} ms, "
                  f"ratio {cmp['ratio']:.2f} ({'agree' if cmp['agree'] else 'DISAGREE'}: {cmp['check']})",
                  flush=True)
        return result
    finally:
        kernel.shutdown()


def version(dist):
    try:
        return _md.version(dist)
    except _md.PackageNotFoundError:
        return "not installed"


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        text = Path("/proc/cpuinfo").read_text()
        found = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
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
                date=_dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
                load=" / ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a")


def mark(value, budget, goal):
    if value is None:
        return "n/a"
    if value <= goal:
        return "met (goal too)"
    return "met" if value <= budget else "**MISSED**"


def table(results, make_test_s=None):
    """The Markdown table: one row per notebook, then the NEURON comparisons and make test."""
    lines = ["| notebook | execution [s] (kernel CPU) | slider wall median / max (CPU median) [ms] | peak memory [MB] | "
             "hand-written / NEURON | budget (goal) | met |",
             "|---|---|---|---|---|---|---|"]
    all_met = True
    for r in results:
        b = BUDGET[r["kind"]]
        name = Path(r["notebook"]).stem
        checks = [mark(r["exec_s"], b["exec_s"], b["exec_goal"])]      # wall time, as a reader waits
        med, mx = r.get("slider_median_ms"), r.get("slider_max_ms")
        checks.append(mark(r.get("slider_cpu_median_ms"), b["slider_ms"], b["slider_goal"]))
        budget = (f"exec {b['exec_s']:.0f} s ({b['exec_goal']:.0f}); "
                  f"slider {b['slider_ms']:.0f} ms ({b['slider_goal']:.0f})")
        ratio = ""
        if "neuron" in r:
            c = r["neuron"]
            ratio = f"{c['ratio']:.2f}x" + ("" if c["agree"] else " **FAIL: disagree**")
            checks.append("**FAIL**" if not c["agree"] else mark(c["ratio"], c["budget"], c["goal"]))
            budget += f"; ratio {c['budget']:g}x ({c['goal']:g}x)"
        met = "yes" if not any("MISSED" in c or "FAIL" in c for c in checks) else "**no**"
        if all(c == "met (goal too)" for c in checks):
            met = "yes, goals too"
        all_met &= not met.startswith("**no")
        slider = (f"{med:.0f} / {mx:.0f} (CPU {r['slider_cpu_median_ms']:.0f})"
                  if med is not None else "n/a")
        lines.append(f"| {name} | {r['exec_s']:.1f} ({r['exec_cpu_s']:.1f}) | {slider} | {r['peak_mb']:.0f} | {ratio or '-'} | "
                     f"{budget} | {met} |")
    if make_test_s is not None:
        m = mark(make_test_s, MAKE_TEST_BUDGET_S, MAKE_TEST_GOAL_S)
        lines.append(f"| whole `make test` | {make_test_s:.0f} | - | - | - | "
                     f"{MAKE_TEST_BUDGET_S:.0f} s ({MAKE_TEST_GOAL_S:.0f}) | "
                     f"{'**no**' if 'MISSED' in m else ('yes, goals too' if 'goal' in m else 'yes')} |")
    return "\n".join(lines), all_met


def neuron_table(results):
    lines = ["| model | hand-written call | hand-written [ms] | NEURON finitialize + continuerun [ms] | "
             "NEURON psolve [ms] | ratio | agreement |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        c = r.get("neuron")
        if c:
            lines.append(f"| {c['name']} | `{c['call']}` | {1e3 * c['ours_s']:.0f} | {1e3 * c['neuron_s']:.0f} | "
                         f"{1e3 * c['psolve_s']:.0f} | {c['ratio']:.2f} | "
                         f"{'agree' if c['agree'] else '**FAIL**'}: {c['check'].replace('|', chr(92) + '|')} |")
    return "\n".join(lines)


def machine_line(m):
    return (f"{m['cpu']}, {m['cores']} cores, {m['ram']} RAM; {m['os']}; Python {m['python']}, "
            f"numpy {m['numpy']}, matplotlib {m['matplotlib']}, NEURON {m['neuron']}; "
            f"{m['date']}, load average at start {m['load']}")


NOTES = """\
Execution is the wall time of all code cells in a fresh kernel started in the notebook's folder
(kernel start-up, ~1 s, not included). Slider latency: every slider of every interactive panel set
to three new values inside its range, timed in the kernel from setting the value to the end of the
redraw (simulation and the inline backend's PNG rendering): wall-clock median and slowest update,
and the median CPU time of the kernel process per update. The slider budget is judged on that CPU
time, which is what an update costs on an otherwise idle machine: on this shared 2-core machine the
wall time also includes waiting for a core (wall = CPU when the load average is below the number
of cores). Notebook execution is judged on wall time.
Peak memory is the kernel's VmHWM after the notebook has run. The NEURON rows time the notebook's
own function and NEURON in the same kernel, median of {repeats} runs after a warm-up; the ratio is
hand-written / NEURON `finitialize` + `continuerun`, and a row whose results disagree (beyond the
notebook's stated tolerances) is marked FAIL so a fast wrong answer cannot win. The machine is
shared, so expect run-to-run variation of 10-30 %."""


def write_outputs(results, m, repeats, make_test_s, write_readme=True):
    main, _ = table(results, make_test_s)
    body = (f"Measured on: {machine_line(m)}.\n\n{main}\n\n"
            f"Speed against NEURON (same process, same discretisation and time step):\n\n"
            f"{neuron_table(results)}\n\n{NOTES.format(repeats=repeats)}\n")
    (ROOT / "benchmarks" / "results.md").write_text(
        "# Benchmark results\n\nWritten by `make bench` (`benchmarks/run.py`); do not edit by hand.\n\n"
        + body)
    if not write_readme:
        return
    readme_path = ROOT / "README.md"
    readme = readme_path.read_text()
    section = ("<!-- performance:start -->\n## Performance\n\n"
               "Every notebook is held to a speed budget so that its sliders stay live; "
               "`make bench` measures it (details in [benchmarks/results.md](benchmarks/results.md)).\n\n"
               + body + "<!-- performance:end -->")
    if "<!-- performance:start -->" in readme and "<!-- performance:end -->" in readme:
        readme = re.sub(r"<!-- performance:start -->.*?<!-- performance:end -->",
                        lambda _: section, readme, flags=re.S)
    elif "\n## Contributing" in readme:
        readme = readme.replace("\n## Contributing", "\n" + section + "\n\n## Contributing", 1)
    else:
        readme = readme.rstrip("\n") + "\n\n" + section + "\n"
    readme_path.write_text(readme)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", default=[],
                        help="run only notebooks whose path contains this (repeatable)")
    parser.add_argument("--repeats", type=int, default=5, help="timed runs per NEURON comparison (>= 5)")
    parser.add_argument("--write", action="store_true", help="write results.md and README even with --only")
    parser.add_argument("--make-test-seconds", type=float, default=None,
                        help="a measured `make test` wall time [s] to add to the table")
    parser.add_argument("--json", default=str(ROOT / "benchmarks" / "results" / "latest.json"),
                        help="where to save the raw numbers (default benchmarks/results/latest.json)")
    args = parser.parse_args(argv)
    os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")
    m = machine()
    print("machine:", machine_line(m), flush=True)
    notebooks = sorted(p.relative_to(ROOT).as_posix() for d in FOLDERS for p in (ROOT / d).glob("*.ipynb"))
    if args.only:
        notebooks = [p for p in notebooks if any(s in p for s in args.only)]
    t0 = time.perf_counter()
    results = [bench_notebook(p, max(1, args.repeats)) for p in notebooks]
    m["load_end"] = " / ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    print(f"\nbenchmark took {time.perf_counter() - t0:.0f} s; load average at end {m['load_end']}\n")
    main_table, all_met = table(results, args.make_test_seconds)
    print(main_table + "\n\n" + neuron_table(results))
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(dict(machine=m, results=results), indent=1))
    if not args.only or args.write:
        write_outputs(results, m, args.repeats, args.make_test_seconds, write_readme=not args.only)
        print("\nwrote benchmarks/results.md" + ("" if args.only else " and README.md's Performance section"))
    print("\nall budgets met" if all_met else "\nsome budgets MISSED (see the table)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
