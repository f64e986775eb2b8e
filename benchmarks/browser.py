"""Slider latency as a reader feels it: keypress to painted plot, in JupyterLab in headless Chromium.

``BrowserBench`` starts one JupyterLab server (browser-tests/lab.py's ``LabServer``, serving a
temporary copy of the notebooks) and one headless Chromium, and measures one notebook at a
time (``measure(relpath)``):

1. open the notebook, Run > Run All Cells, wait for the kernel to be idle;
2. attach a second client to the notebook's kernel (``LabKernel``) and run
   tools/kernel_side/widgets.py and bench.py there: they find the notebook's panels through its
   names, tag each panel and control with a CSS class, say which values to give each control,
   and time every update that the page sends, in the kernel (``_nb_bench_instrument``);
3. for every panel (``.widget-interact``), every control, every planned value: change the
   control as a reader does (type the value into a slider's readout and press Enter; choose a
   drop-down option; click a check box or toggle) and time it in the page:

   * start: the keydown of that Enter (or the ``change`` / ``click`` / arrow-key event);
   * painted: a MutationObserver on the panel watches its output for the new plot, i.e. until
     every ``img`` in the panel's output is new (a new element, or a new ``src``) and there are
     at least as many as before. In its callback (a microtask, so before the page is rendered
     again) each new image is marked for the browser's Element Timing API (``elementtiming``),
     and the clock stops at its ``renderTime``: Chromium's own time stamp of the frame in which
     the image was first painted (the latest of them, if the panel shows several). As a
     cross-check, and the fallback where no Element Timing entry arrives, the page also notes
     when ``img.decode()`` has resolved for each (loaded and decoded), the next
     ``requestAnimationFrame`` has run and a task posted from it has run, after that frame's
     rendering (``frame_ms``). On a loaded machine the two differ by tens of ms either way:
     decode() can resolve after the image is already on screen, and the presentation of a
     frame can lag the main thread's rendering of it.

   The first change of each panel is a warm-up and is not counted. Between changes the
   kernel is left to go idle. A traceback in the panel's output, or no new plot within
   the deadline, is reported as a problem of that change.
4. collect the in-kernel time of each change (the same update: from the kernel receiving the
   new value to the end of the panel's redraw) and the 1-minute load average at each change.
"""

import os
import statistics
import sys
import time
from pathlib import Path

from jupyter_client import BlockingKernelClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "browser-tests"))
sys.path.insert(0, str(ROOT))
from lab import LabServer, NotebookPage, launch_chromium  # noqa: E402
from tools.kernel import KernelError, NotebookKernel  # noqa: E402

RUN_ALL_TIMEOUT = 600       # s: Run All Cells of one notebook (about 30 s at most when quiet)
CHANGE_TIMEOUT = 60         # s: one control change to its painted plot
SETTLE = 0.2                # s: pause after the kernel is idle again, before the next change

# Set up before a change, in the page: the clock starts at the trigger event (capturing, so
# before the widget's own handler) and stops when the panel's new plot is painted.
ARM_JS = r"""([panelSelector, trigger, timeout]) => {
    const panel = document.querySelector(panelSelector);
    const images = () => Array.from(panel.querySelectorAll('.widget-output img'));
    const before = new Set(images()), newSrc = new Set(), rendered = new Map();
    const m = {t0: null, dom: null, decoded: null, frame: null, painted: null, by: null,
               images: 0, error: null, origin: performance.timeOrigin};
    const start = (event) => {
        if (m.t0 === null && (!trigger.key || event.key === trigger.key)) m.t0 = performance.now();
    };
    document.addEventListener(trigger.type, start, true);
    m.done = new Promise((resolve) => {
        let observer = null, paints = null, fresh = [];
        const finish = () => {
            if (observer) observer.disconnect();
            if (paints) paints.disconnect();
            document.removeEventListener(trigger.type, start, true);
            const {done, ...plain} = m;
            resolve(plain);
        };
        const settle = (byFrame) => {
            if (m.painted !== null || m.frame === null) return;
            if (fresh.every((i) => rendered.get(i) > 0)) {
                m.painted = Math.max(...fresh.map((i) => rendered.get(i)));
                m.by = 'element timing';
            } else if (byFrame) {
                m.painted = m.frame;
                m.by = 'frame';
            } else return;
            finish();
        };
        if (PerformanceObserver.supportedEntryTypes.includes('element')) {
            paints = new PerformanceObserver((list) => {
                for (const e of list.getEntries())
                    if (e.identifier === 'nb-bench' && e.element) rendered.set(e.element, e.renderTime);
                settle(false);
            });
            paints.observe({type: 'element'});
        }
        const check = () => {
            const error = panel.querySelector(
                '.widget-output [data-mime-type="application/vnd.jupyter.stderr"]');
            if (error) { m.error = error.innerText.slice(0, 2000); finish(); return; }
            const now = images();
            fresh = now.filter((i) => !before.has(i) || newSrc.has(i));
            // A microtask right after the DOM change: marked before the image can be painted.
            fresh.forEach((i) => i.setAttribute('elementtiming', 'nb-bench'));
            if (m.t0 === null || fresh.length === 0 || fresh.length < before.size
                || fresh.length !== now.length || m.dom !== null) return;
            m.dom = performance.now();
            m.images = fresh.length;
            observer.disconnect();
            Promise.all(fresh.map((i) => i.decode())).then(() => {
                m.decoded = performance.now();
                requestAnimationFrame(() => setTimeout(() => {
                    m.frame = performance.now();
                    settle(false);
                    setTimeout(() => settle(true), 1000);   // no element timing entry: the frame
                }, 0));
            }, (e) => { m.error = `the new image did not decode: ${e}`; finish(); });
        };
        observer = new MutationObserver((records) => {
            for (const r of records)
                if (r.type === 'attributes' && r.target.tagName === 'IMG') newSrc.add(r.target);
            check();
        });
        observer.observe(panel, {childList: true, subtree: true, attributes: true,
                                 attributeFilter: ['src']});
        setTimeout(() => {
            if (m.painted === null && m.error === null) {
                m.error = m.t0 === null ? 'the change was not made (no trigger event)'
                                        : 'no new plot in the panel within the deadline';
                finish();
            }
        }, timeout);
    });
    window.__nbBench = m;
}"""
PANEL_TAGS_JS = """() => Array.from(document.querySelectorAll('.widget-interact')).map(
    (e) => Array.from(e.classList).find((c) => c.startsWith('nb-bench-panel-')) || null)"""
TRIGGERS = {"readout": {"type": "keydown", "key": "Enter"}, "select": {"type": "change"},
            "option": {"type": "click"}, "click": {"type": "click"}}


class LabKernel(NotebookKernel):
    """A second client of the kernel that JupyterLab runs for an open notebook: the same
    run / run_file / eval as NotebookKernel, for a kernel started by someone else."""

    def __init__(self, connection_file, timeout=60):  # not super().__init__: that starts a kernel
        self.path, self.timeout = Path(connection_file), timeout
        self.client = BlockingKernelClient(connection_file=str(connection_file))
        self.client.load_connection_file()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=timeout)
        self.run_file("exchange.py")

    def run(self, code, timeout=None):
        out = []

        def keep(msg):
            if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                out.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")

        reply = self.client.execute_interactive(code, store_history=False, output_hook=keep,
                                                timeout=timeout or self.timeout)
        if reply["content"]["status"] != "ok":
            raise KernelError(f"{reply['content'].get('ename')}: {reply['content'].get('evalue')}")
        return "".join(out)

    def shutdown(self):
        self.client.stop_channels()


def load1():
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


class BrowserBench:
    """One JupyterLab server and one headless Chromium for the whole benchmark."""

    def __init__(self):
        from playwright.sync_api import sync_playwright
        self.server = LabServer()
        try:
            self.server.check_kernel_python()
            self._playwright = sync_playwright().start()
            self.browser = launch_chromium(self._playwright)
        except Exception:
            self.server.stop()
            raise

    def close(self):
        try:
            self.browser.close()
            self._playwright.stop()
        finally:
            self.server.stop()

    def measure(self, relpath):
        """{"panels": [...], "problems": [...], "load": [...]} for one notebook."""
        context = self.browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        nb = NotebookPage(page, self.server, relpath)
        kernel = None
        try:
            nb.open()
            t0 = time.perf_counter()
            nb.run_all(RUN_ALL_TIMEOUT)
            run_all_s = time.perf_counter() - t0
            nb.raise_on_errors("after Run All Cells")
            kernel = LabKernel(self.server.kernel_connection_file(relpath))
            kernel.run_file("widgets.py")
            kernel.run_file("bench.py")
            plan = kernel.eval("_nb_bench_plan()")
            kernel.run("_nb_bench_instrument()")
            result = dict(run_all_s=run_all_s, panels=[], problems=[], load=[])
            hidden = []
            for i in self._page_order(nb, len(plan), result["problems"], hidden):
                result["panels"].append(self._measure_panel(nb, kernel, plan[i], result))
            for i in hidden:      # panels a chooser swaps into view: shown the same way, one by one
                if kernel.eval(f"_nb_bench_swap_in({i})"):
                    result["panels"].append(self._measure_panel(nb, kernel, plan[i], result))
                else:
                    result["problems"].append(f"panel {i} of the notebook's names is not on the "
                                              "page, and no box holds another panel to swap it into")
            kernel.run("_nb_bench_finish()")
            nb.raise_on_errors("after the slider changes")
            return result
        finally:
            if kernel is not None:
                kernel.shutdown()
            context.close()
            for session in self.server.api("/api/sessions"):
                self.server.delete(f"/api/sessions/{session['id']}")

    def _measure_panel(self, nb, kernel, panel, result):
        i = panel["panel"]
        selector = f".nb-bench-panel-{i}"
        nb.page.wait_for_selector(selector, state="attached", timeout=30_000)
        changes = []
        for control in panel["controls"]:
            if control["how"] is None:
                result["problems"].append(f"{panel['function']}: {control['type']} "
                                          f"{control['name']!r} is not driven")
            for what, value in control["steps"]:
                change = dict(control=control["control"], name=control["name"], value=value,
                              warmup=not changes)
                changes.append(change)
                change.update(self._change(nb, selector, i, control, what))
                change["load1"] = load1()
                result["load"].append(change["load1"])
                if change.get("error"):
                    result["problems"].append(f"{panel['function']}({control['name']}={value}): "
                                              f"{change['error']}")
                    break
                self._wait_idle(kernel)
        records = kernel.eval("_nb_bench_take_records()")
        match_records(changes, records, result["problems"], panel["function"])
        return dict(panel=i, function=panel["function"], changes=changes,
                    controls=[(c["name"], c["type"], c["how"]) for c in panel["controls"]])

    def _change(self, nb, selector, i, control, what):
        """Make one change as a reader does; the page's timings [ms] from its trigger event."""
        page = nb.page
        element = page.locator(f".nb-bench-control-{i}-{control['control']}").first
        how = control["how"]
        trigger = {"type": "keydown", "key": what} if how == "arrow" else TRIGGERS[how]
        element.scroll_into_view_if_needed()
        page.evaluate(ARM_JS, [selector, trigger, CHANGE_TIMEOUT * 1000])
        if how == "readout":
            readout = element.locator(".widget-readout").first
            readout.scroll_into_view_if_needed()
            readout.click()
            page.keyboard.press("Control+A")
            page.keyboard.type(str(what))
            page.keyboard.press("Enter")
        elif how == "arrow":
            element.locator(".noUi-handle").first.focus()
            page.keyboard.press(what)
        elif how == "select":
            element.locator("select").select_option(label=what)
        elif how == "option":
            element.get_by_text(what, exact=True).first.click()
        else:
            element.locator("input").first.click()
        m = page.evaluate("() => window.__nbBench.done")
        if m["error"] or m["painted"] is None:
            return dict(error=m["error"] or "not painted")
        t0 = m["t0"]
        return dict(painted_ms=m["painted"] - t0, painted_by=m["by"], dom_ms=m["dom"] - t0,
                    decoded_ms=m["decoded"] - t0, frame_ms=m["frame"] - t0, images=m["images"],
                    keypress_epoch=(m["origin"] + t0) / 1e3)

    @staticmethod
    def _page_order(nb, n, problems, hidden, timeout=30):
        """The tagged panels in the order the page shows them; reports a panel on the page
        that the notebook's names do not reach, and adds those not on the page to hidden."""
        deadline = time.monotonic() + timeout
        while True:
            tags = nb.page.evaluate(PANEL_TAGS_JS)
            shown = [int(t.rsplit("-", 1)[1]) for t in tags if t]
            if len(set(shown)) == n or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        if None in tags:
            problems.append(f"{tags.count(None)} panel(s) on the page that the notebook's names "
                            "do not reach: not measured")
        hidden += [i for i in range(n) if i not in shown]
        return list(dict.fromkeys(shown))

    @staticmethod
    def _wait_idle(kernel):
        """Until the kernel has finished the update: it runs our (empty) request after it."""
        kernel.run("", timeout=CHANGE_TIMEOUT)
        time.sleep(SETTLE)


def match_records(changes, records, problems, function):
    """Pair each change made in the page with the kernel's record of the same update."""
    pending = list(records)
    for change in changes:
        if "painted_ms" not in change:
            continue
        k = next((n for n, r in enumerate(pending) if r["control"] == change["control"]), None)
        if k is None:
            problems.append(f"{function}({change['name']}={change['value']}): "
                            "the kernel recorded no update")
            continue
        for skipped in pending[:k]:
            problems.append(f"{function}: an update of control {skipped['control']} that no "
                            f"change made: {skipped['state']}")
        record = pending[k]
        pending = pending[k + 1:]
        change.update(kernel_ms=record["ms"], kernel_cpu_ms=record["cpu_ms"],
                      kernel_state=record["state"],
                      to_kernel_ms=1e3 * (record["start_epoch"] - change["keypress_epoch"]))
    for extra in pending:
        problems.append(f"{function}: an update that no change made: {extra['state']}")


def summary(changes):
    """Median and max over the counted changes (not the warm-up, not those that failed)."""
    counted = [c for c in changes if not c["warmup"] and "painted_ms" in c]
    if not counted:
        return None
    browser = [c["painted_ms"] for c in counted]
    kernel = [c["kernel_ms"] for c in counted if "kernel_ms" in c]
    extra = [c["painted_ms"] - c["kernel_ms"] for c in counted if "kernel_ms" in c]
    cpu = [c["kernel_cpu_ms"] for c in counted if "kernel_ms" in c]
    inbound = [c["to_kernel_ms"] for c in counted if "kernel_ms" in c]
    return dict(n=len(counted), median_ms=statistics.median(browser), max_ms=max(browser),
                kernel_median_ms=statistics.median(kernel) if kernel else None,
                kernel_max_ms=max(kernel) if kernel else None,
                kernel_cpu_median_ms=statistics.median(cpu) if cpu else None,
                to_kernel_median_ms=statistics.median(inbound) if inbound else None,
                extra_median_ms=statistics.median(extra) if extra else None,
                slowest=max(counted, key=lambda c: c["painted_ms"]))
