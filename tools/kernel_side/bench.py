# Runs inside a notebook's kernel for the benchmark (benchmarks/run.py), after the notebook has
# run and after widgets.py: the kernel's peak memory, a median timer, and the slider latency
# plan. For the latency, the benchmark drives the panels from a real browser; this side says
# which values to give each control, tags each panel and control with a CSS class so that the
# browser finds them, and times, in the kernel, every update the browser sends.
import statistics as _nb_statistics
import sys as _nb_sys
import time as _nb_time

import ipywidgets as _nb_ipw

# Where in each slider's range the new values go (then back to where it was).
_NB_BENCH_FRACTIONS = (0.2, 0.55, 0.85)
_NB_BENCH_RANGE_FRACTIONS = ((0.1, 0.9), (0.3, 0.7), (0.2, 0.5))
_NB_BENCH_MAX_OPTIONS = 3        # options tried per dropdown / toggle (then back)
_NB_BENCH_SLIDERS = (_nb_ipw.IntSlider, _nb_ipw.FloatSlider, _nb_ipw.FloatLogSlider,
                     _nb_ipw.IntRangeSlider, _nb_ipw.FloatRangeSlider)
_NB_BENCH_RANGES = (_nb_ipw.IntRangeSlider, _nb_ipw.FloatRangeSlider)
_NB_BENCH_CHOICES = (_nb_ipw.Dropdown, _nb_ipw.Select)
_NB_BENCH_OPTIONS = (_nb_ipw.ToggleButtons, _nb_ipw.RadioButtons)
_NB_BENCH_STEPPED = (_nb_ipw.SelectionSlider, _nb_ipw.SelectionRangeSlider)
_nb_bench_records = []


def _nb_peak_mb():
    """Peak resident memory (VmHWM) of this kernel process [MB]."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0          # kB -> MB
    except OSError:
        pass
    import resource                                               # macOS: ru_maxrss in bytes
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024.0 ** 2 if _nb_sys.platform == "darwin" else 1024.0)


def _nb_median_time(run, repeats, warmup=1):
    """Median wall time [s] of `repeats` calls after `warmup` untimed calls, and the last result."""
    for _ in range(warmup):
        result = run()
    times = []
    for _ in range(repeats):
        t0 = _nb_time.perf_counter()
        result = run()
        times.append(_nb_time.perf_counter() - t0)
    return _nb_statistics.median(times), result


def _nb_typed(x):
    """A number as typed into a readout: short, and read back by the browser as exactly this."""
    return str(x) if isinstance(x, int) else f"{x:.12g}"


def _nb_bench_slider_steps(c):
    """[(text typed into the readout, value)] for a slider: a few values across its range on
    its step grid, each different from the one before, then the value it had."""
    lo, hi = c.min, c.max                                # a log slider's are exponents
    step = c.step or (hi - lo) / 100.0
    if not hi > lo:
        return []
    as_int = isinstance(c, (_nb_ipw.IntSlider, _nb_ipw.IntRangeSlider))

    def snap(f):
        v = min(max(lo + round(f * (hi - lo) / step) * step, lo), hi)
        if as_int:
            return int(round(v))
        v = round(v, 12)
        return c.base ** v if isinstance(c, _nb_ipw.FloatLogSlider) else v

    if isinstance(c, _NB_BENCH_RANGES):
        wanted = [(snap(a), snap(b)) for a, b in _NB_BENCH_RANGE_FRACTIONS]
        text = lambda v: f"{_nb_typed(v[0])}:{_nb_typed(v[1])}"
    else:
        wanted = [snap(f) for f in _NB_BENCH_FRACTIONS]
        text = _nb_typed
    typed = lambda x: float(_nb_typed(x)) if isinstance(x, float) else x   # what the browser sends
    steps, now = [], c.value
    for value in wanted + [c.value]:
        value = tuple(map(typed, value)) if isinstance(value, tuple) else typed(value)
        if value != now:
            steps.append((text(value), value))
            now = value
    return steps


def _nb_bench_index_steps(n, i):
    """Positions for a control moved one position at a time, and back to position i of n."""
    if i + 2 < n:
        return [i + 1, i + 2, i + 1, i]
    if i - 2 >= 0:
        return [i - 1, i - 2, i - 1, i]
    if 0 < i < n - 1:
        return [i + 1, i, i - 1, i]
    return [i + 1, i] if i + 1 < n else ([i - 1, i] if i > 0 else [])


def _nb_bench_plan_control(c):
    """How the browser changes this control, and to what: (how, [(what, value)]).
    how: "readout" (type into the slider's readout, press Enter), "arrow" (focus the
    slider's handle, press an arrow key), "select" (choose an option of a drop-down),
    "option" (click a toggle button or radio button by its label), "click" (a check box)."""
    if getattr(c, "disabled", False):
        return None, []
    if isinstance(c, _NB_BENCH_SLIDERS) and c.readout:
        return "readout", _nb_bench_slider_steps(c)
    if isinstance(c, _NB_BENCH_STEPPED + _NB_BENCH_SLIDERS):
        # No readout to type into: arrow keys on the (first) handle, one step at a time.
        if isinstance(c, _NB_BENCH_STEPPED):
            n, now = len(c.options), c.index if isinstance(c.index, int) else c.index[0]
            index_value = lambda i: c.options[i] if isinstance(c, _nb_ipw.SelectionSlider) \
                else (c.options[i], c.value[1])
        else:
            n = int(round((c.max - c.min) / c.step)) + 1
            first = c.value[0] if isinstance(c, _NB_BENCH_RANGES) else c.value
            now = int(round((first - c.min) / c.step))
            index_value = lambda i: (c.base ** (c.min + i * c.step)
                                     if isinstance(c, _nb_ipw.FloatLogSlider) else c.min + i * c.step)
        path, steps = _nb_bench_index_steps(n, now), []
        for i in path:
            steps.append(("ArrowRight" if i > now else "ArrowLeft", repr(index_value(i))))
            now = i
        return "arrow", steps
    if isinstance(c, _NB_BENCH_CHOICES + _NB_BENCH_OPTIONS):
        labels = list(c.options) if not hasattr(c, "_options_labels") else list(c._options_labels)
        if len(labels) < 2:
            return "select", []
        others = [i for i in range(len(labels)) if i != c.index]
        chosen = [others[round(k * (len(others) - 1) / max(1, _NB_BENCH_MAX_OPTIONS - 1))]
                  for k in range(min(_NB_BENCH_MAX_OPTIONS, len(others)))]
        chosen = list(dict.fromkeys(chosen)) + [c.index]
        how = "select" if isinstance(c, _NB_BENCH_CHOICES) else "option"
        return how, [(labels[i], labels[i]) for i in chosen]
    if isinstance(c, (_nb_ipw.Checkbox, _nb_ipw.ToggleButton)):
        return "click", [("click", not c.value), ("click", c.value)]
    return None, []


def _nb_bench_plan():
    """The notebook's panels (widgets.py's _nb_panels), each tagged with the CSS class
    nb-bench-panel-<i>, each control with nb-bench-control-<i>-<j>, and the changes to make:
    [{"panel", "function", "controls": [{"control", "name", "type", "how", "steps"}]}]."""
    plan = []
    for i, panel in enumerate(_nb_panels()):              # noqa: F821  (widgets.py)
        panel.add_class(f"nb-bench-panel-{i}")
        controls = []
        for j, c in enumerate(panel.kwargs_widgets):
            c.add_class(f"nb-bench-control-{i}-{j}")
            how, steps = _nb_bench_plan_control(c)
            controls.append(dict(control=j, name=c._kwarg, description=c.description,
                                 type=type(c).__name__, how=how,
                                 steps=[(str(what), value if isinstance(value, str) else repr(value))
                                        for what, value in steps]))
        plan.append(dict(panel=i, function=getattr(panel.f, "__name__", "?"), controls=controls))
    return plan


def _nb_bench_instrument():
    """Time, in this kernel, every update of a control that arrives from the front end:
    from receiving the new value to the end of the panel's redraw (the callback, the
    figure and its PNG, sent), wall and CPU time, and when it arrived (the wall clock, which
    the browser shares on this machine). Kept in _nb_bench_records."""
    for i, panel in enumerate(_nb_panels()):              # noqa: F821
        for j, c in enumerate(panel.kwargs_widgets):
            def timed(state, _set=c.set_state, _i=i, _j=j):
                epoch, cpu0, t0 = _nb_time.time(), _nb_time.process_time(), _nb_time.perf_counter()
                try:
                    return _set(state)
                finally:
                    if "value" in state or "index" in state:
                        _nb_bench_records.append(dict(
                            panel=_i, control=_j, state=repr(state), start_epoch=epoch,
                            ms=1e3 * (_nb_time.perf_counter() - t0),
                            cpu_ms=1e3 * (_nb_time.process_time() - cpu0)))
            c.set_state = timed                           # _handle_msg calls self.set_state


_nb_bench_swapped = []   # (box, its children before) for every panel swapped in


def _nb_bench_swap_in(i):
    """Show panel i, which is not on the page, as the notebook's own chooser would: in the box
    that holds another of its panels (e.g. a model drop-down that swaps one panel per model into
    one box). False when no box holds a panel."""
    panels = _nb_panels()                                  # noqa: F821  (widgets.py)
    for box in _nb_user_widgets():                         # noqa: F821
        children = list(getattr(box, "children", ()))
        held = [k for k, w in enumerate(children) if any(w is p for p in panels)]
        if held and not any(w is panels[i] for w in children):
            _nb_bench_swapped.append((box, tuple(children)))
            children[held[0]] = panels[i]
            box.children = children
            return True
    return False


def _nb_bench_take_records():
    taken = list(_nb_bench_records)
    _nb_bench_records.clear()
    return taken


def _nb_bench_finish():
    """Remove the timers and the CSS classes again, and put swapped-in panels back."""
    while _nb_bench_swapped:
        box, children = _nb_bench_swapped.pop()
        box.children = children
    for i, panel in enumerate(_nb_panels()):              # noqa: F821
        panel.remove_class(f"nb-bench-panel-{i}")
        for j, c in enumerate(panel.kwargs_widgets):
            c.__dict__.pop("set_state", None)
            c.remove_class(f"nb-bench-control-{i}-{j}")
