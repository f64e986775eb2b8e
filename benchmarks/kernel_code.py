"""Code the benchmark sends into a notebook's kernel, after the notebook has run.

Everything here runs *inside* the notebook's own kernel, so the functions timed are the
notebook's own (``simulate``, ``simulate_cable``, ``simulate_morphology``, its widgets) and
NEURON runs in the same process.  Results come back as one JSON line on stdout.
"""

# Helpers: peak memory of this process and a way to send results back.
COMMON = r'''
import json as _bj, numpy as np, os as _bos, statistics as _bst, sys as _bsys, time as _bt, warnings as _bw

def _bench_send(value):
    print("<<BENCH>>" + _bj.dumps(value) + "<<END>>")

def _bench_peak_mb():
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
    return rss / (1024.0 ** 2 if _bsys.platform == "darwin" else 1024.0)

def _bench_median_time(run, repeats, warmup=1):
    """Median wall time [s] of `repeats` calls after `warmup` untimed calls; also the last result."""
    for _ in range(warmup):
        result = run()
    times = []
    for _ in range(repeats):
        t0 = _bt.perf_counter()
        result = run()
        times.append(_bt.perf_counter() - t0)
    return _bst.median(times), times, result
'''

# Slider latency: every slider of every ipywidgets.interactive, a few new values each,
# timed from setting the value to the end of the redraw (the inline backend renders the PNG
# inside plt.show(), which the callback calls).
SLIDERS = r'''
import contextlib as _bcl
import ipywidgets as _bipw
import matplotlib.pyplot as _bplt
from ipywidgets.widgets.widget import _instances as _blive

_B_FRACTIONS = (0.2, 0.55, 0.85)        # where in each slider's range the new values go

def _bench_slider_values(c):
    """A few new values inside the slider's range (on its step grid), none equal to the current."""
    if isinstance(c, (_bipw.SelectionSlider, _bipw.SelectionRangeSlider)):
        opts = [v for _, v in c._options_full]
        if len(opts) < 2:
            return []
        idx = sorted({min(len(opts) - 1, int(round(f * (len(opts) - 1)))) for f in _B_FRACTIONS})
        if isinstance(c, _bipw.SelectionRangeSlider):
            return [(opts[0], opts[i]) for i in idx if i > 0]
        return [opts[i] for i in idx if opts[i] != c.value]
    if not (hasattr(c, "min") and hasattr(c, "max")):
        return []
    lo, hi, step = c.min, c.max, getattr(c, "step", None) or (c.max - c.min) / 100.0
    if hi <= lo:
        return []
    is_int = isinstance(c, (_bipw.IntSlider, _bipw.IntRangeSlider))
    def snap(f):
        v = min(max(lo + round(f * (hi - lo) / step) * step, lo), hi)
        return int(round(v)) if is_int else float(v)
    if isinstance(c, (_bipw.IntRangeSlider, _bipw.FloatRangeSlider)):
        return [(snap(0.1), snap(0.9)), (snap(0.3), snap(0.7)), (snap(0.2), snap(0.5))]
    current = c.value
    if isinstance(c, _bipw.FloatLogSlider):                     # min, max, step are exponents
        import math as _bm
        current = _bm.log(c.value, c.base)
    values = []
    for v in (snap(f) for f in _B_FRACTIONS):
        if abs(v - current) < 0.5 * step:                       # not a change: one step further
            v = v + step if v + step <= hi else v - step
        if v not in values and abs(v - current) >= 0.5 * step and lo <= v <= hi:
            values.append(v)
    if isinstance(c, _bipw.FloatLogSlider):
        values = [c.base ** v for v in values]
    return values

def _bench_is_slider(c):
    return isinstance(c, (_bipw.IntSlider, _bipw.FloatSlider, _bipw.FloatLogSlider,
                          _bipw.IntRangeSlider, _bipw.FloatRangeSlider,
                          _bipw.SelectionSlider, _bipw.SelectionRangeSlider))

def _bench_sliders():
    panels = [w for w in list(_blive.values()) if isinstance(w, _bipw.interactive)]
    rows, problems = [], []
    for p_index, panel in enumerate(panels):
        original_f = panel.f
        calls = [0]
        def counted(*args, _f=original_f, **kwargs):
            calls[0] += 1
            try:
                return _f(*args, **kwargs)
            except Exception as exc:              # interactive would only show it; record it too
                problems.append(f"{getattr(_f, '__name__', '?')}: {type(exc).__name__}: {exc}")
                raise
        panel.f = counted
        # Draw into this cell's output instead of the panel's Output widget: with no front end,
        # the executing client (nbclient) would have to route every message of the widget.
        saved_out, panel.out = panel.out, _bcl.nullcontext()
        try:
            for control in panel.kwargs_widgets:
                if not _bench_is_slider(control):
                    continue
                before = control.value
                for value in _bench_slider_values(control):
                    _bplt.close("all")
                    n0 = calls[0]
                    with _bw.catch_warnings(record=True) as caught:
                        _bw.simplefilter("always")
                        c0, t0 = _bt.process_time(), _bt.perf_counter()
                        control.value = value            # observer -> panel.update() -> callback + redraw
                        if calls[0] == n0:               # manual panel, or the value did not change
                            panel.update()
                        elapsed, cpu = _bt.perf_counter() - t0, _bt.process_time() - c0
                    rows.append(dict(panel=p_index, function=getattr(original_f, "__name__", "?"),
                                     control=control._kwarg, value=repr(value), ms=1e3 * elapsed, cpu_ms=1e3 * cpu,
                                     warnings=len(caught)))
                control.value = before                   # back where it was (not timed)
                _bplt.close("all")
        finally:
            panel.f, panel.out = original_f, saved_out
    return dict(panels=len(panels), rows=rows, problems=problems)
'''

# (a) Hodgkin-Huxley patch, in the kernel of point-neurons/06_hodgkin_huxley.ipynb: the
# notebook's simulate() against NEURON's built-in hh on a one-segment patch set up the way the
# notebook's neuron_run does it (usetable_hh = 0, celsius 6.3, the same dt, an IClamp giving the
# same current density through the patch area).
# The NEURON side of every comparison: fixed step, the usual finitialize + continuerun, and
# ParallelContext.psolve (NEURON's compiled time loop, no hoc per step) for reference.
NEURON_TIMING = r'''
from neuron import h as _bh
_bpc = _bh.ParallelContext()
_bpc.set_maxstep(10.0)         # no NetCons here: integrate in 10 ms chunks

def _bench_neuron(v_init, T, dt, secondorder, repeats, vectors):
    """Median times [s] of continuerun and psolve, and the recorded vectors after each."""
    _bh.dt, _bh.steps_per_ms, _bh.secondorder = dt, 1.0 / dt, secondorder
    _bh.CVode().active(False)
    def nrn_continuerun():
        _bh.finitialize(v_init); _bh.continuerun(T)
    def nrn_psolve():
        _bh.finitialize(v_init); _bpc.psolve(T)
    t_nrn, _, _ = _bench_median_time(nrn_continuerun, repeats)
    after_continuerun = [np.array(v) for v in vectors]
    t_psolve, _, _ = _bench_median_time(nrn_psolve, repeats)
    after_psolve = [np.array(v) for v in vectors]
    _bh.secondorder = 0
    return t_nrn, t_psolve, after_continuerun, after_psolve
'''

HH = r'''
from neuron import h as _bh

def _bench_hh(repeats, I=10.0, T=1000.0, dt=0.01):
    V0 = resting_potential()                  # simulate's default start
    t_ours, _, ours = _bench_median_time(lambda: simulate(I=I, T=T, dt=dt), repeats)
    _bh.usetable_hh = 0
    _bh.celsius = 6.3
    sec = _bh.Section(name="bench_patch")
    sec.L = sec.diam = DIAM_UM
    sec.cm = 1.0
    sec.insert("hh")
    sec.ena, sec.ek = 50.0, -77.0
    for seg in sec:
        seg.hh.gnabar, seg.hh.gkbar, seg.hh.gl, seg.hh.el = 0.12, 0.036, 0.0003, -54.3
    stim = _bh.IClamp(sec(0.5))
    stim.delay, stim.dur, stim.amp = 0.0, 1e9, I * NA_PER_UA_CM2
    v_rec, t_rec = _bh.Vector().record(sec(0.5)._ref_v), _bh.Vector().record(_bh._ref_t)
    t_nrn, t_psolve, (V_nrn, t_n), (V_ps, _) = _bench_neuron(V0, T, dt, 0, repeats, (v_rec, t_rec))
    sp_nrn, sp_ps = spike_times(t_n, V_nrn), spike_times(t_n, V_ps)
    same_grid = len(t_n) == len(ours.t) and np.allclose(t_n, ours.t)
    n_ok = len(sp_nrn) == len(ours.spikes) == len(sp_ps)
    d_sp = float(np.max(np.abs(sp_nrn - ours.spikes))) if n_ok and len(sp_nrn) else float("nan")
    d_V = float(np.max(np.abs(V_nrn - ours.V))) if same_grid else float("nan")
    del stim, sec
    # Tolerance of the notebook's own NEURON check (Validation): same count, times within 0.1 ms.
    agree = bool(same_grid and n_ok and len(sp_nrn) > 0 and d_sp < 0.1)
    return dict(name="Hodgkin-Huxley patch", call=f"simulate(I={I}, T={T}, dt={dt})",
                ours_s=t_ours, neuron_s=t_nrn, psolve_s=t_psolve,
                agree=agree, check=f"{len(ours.spikes)} vs {len(sp_nrn)} spikes, "
                f"max |dt_spike| {d_sp:.1e} ms, max |dV| {d_V:.1e} mV (tolerance: same count, 0.1 ms)")
'''

# (b) Rallpack 1, in the kernel of multi-compartment-neurons/01_cable_theory.ipynb:
# simulate_cable's defaults (Crank-Nicolson) against NEURON with secondorder = 2 (the same
# scheme), nseg = 1000, pas, an IClamp of 0.1 nA at x = 0.
RALLPACK = r'''
from neuron import h as _bh

def _bench_rallpack(repeats, I=0.1, T=250.0, dt=0.05, nseg=1000):
    t_ours, _, ours = _bench_median_time(lambda: simulate_cable(I=I, T=T, dt=dt, nseg=nseg), repeats)
    cable = _bh.Section(name="bench_cable")
    cable.L, cable.diam, cable.nseg, cable.Ra, cable.cm = 1000.0, 1.0, nseg, 100.0, 1.0
    cable.insert("pas")
    for seg in cable:
        seg.pas.g, seg.pas.e = 1.0 / 40000.0, -65.0
    stim = _bh.IClamp(cable(0.0))
    stim.delay, stim.dur, stim.amp = 0.0, 1e9, I
    first = 0.5 / nseg                                          # first segment centre
    v_first, v_end = (_bh.Vector().record(cable(x)._ref_v) for x in (first, 1.0))
    t_nrn, t_psolve, (a, b), _ = _bench_neuron(-65.0, T, dt, 2, repeats, (v_first, v_end))
    same = len(a) == len(ours.t)
    d = max(np.abs(ours.V[:, 1] - a).max(), np.abs(ours.V[:, -1] - b).max()) if same else float("nan")
    del stim, cable
    # Tolerance of the notebook's NEURON check: 1e-6 mV (same discretisation and scheme).
    return dict(name="Rallpack 1 cable", call=f"simulate_cable(I={I}, T={T}, dt={dt}, nseg={nseg})",
                ours_s=t_ours, neuron_s=t_nrn, psolve_s=t_psolve, agree=bool(same and d < 1e-6),
                check=f"max |dV| {d:.1e} mV at the first segment and x = L "
                      "(tolerance 1e-6 mV; NEURON secondorder = 2)")
'''

# (c) Full morphology, in the kernel of multi-compartment-neurons/03_full_morphological_models.ipynb:
# simulate_morphology with hh in the soma against NEURON's copy of the same cell, which the
# notebook builds with Import3d (nrn_cell), an IClamp at soma(0.5).
MORPHOLOGY = r'''
from neuron import h as _bh

def _bench_morphology(repeats, I=0.2, T=200.0, dt=0.025):   # 0.2 nA: one spike, so spike times are compared too
    t_ours, _, ours = _bench_median_time(
        lambda: simulate_morphology(I=I, T=T, dt=dt, active=True), repeats)
    soma = nrn_cell(active=True)
    stim = _bh.IClamp(soma(0.5))
    stim.delay, stim.dur, stim.amp = 0.0, 1e9, I
    v_rec = _bh.Vector().record(soma(0.5)._ref_v)
    t_nrn, t_psolve, (v_nrn,), _ = _bench_neuron(-65.0, T, dt, 0, repeats, (v_rec,))
    del stim, v_rec
    nrn_cell(active=False)                                     # leave the cell as the notebook had it
    same = len(v_nrn) == len(ours.t)
    sp_nrn = spike_times(ours.t, v_nrn) if same else np.array([])
    n_ok = same and len(sp_nrn) == len(ours.spikes)
    d_sp = float(np.max(np.abs(sp_nrn - ours.spikes))) if n_ok and len(sp_nrn) else 0.0
    mad = float(np.mean(np.abs(ours.V_soma - v_nrn))) if same else float("nan")
    dmax = float(np.max(np.abs(ours.V_soma - v_nrn))) if same else float("nan")
    # Tolerances of the notebook's NEURON checks: spike times within 0.2 ms (same count) and
    # mean |dV| below 0.1 mV at the soma.
    return dict(name="full morphology, hh soma", call=f"simulate_morphology(I={I}, T={T}, dt={dt}, active=True)",
                ours_s=t_ours, neuron_s=t_nrn, psolve_s=t_psolve,
                agree=bool(n_ok and d_sp < 0.2 and mad < 0.1),
                check=f"{len(ours.spikes)} vs {len(sp_nrn)} spikes, max |dt_spike| {d_sp:.1e} ms, "
                      f"soma mean |dV| {mad:.1e} mV, max {dmax:.1e} mV "
                      "(tolerance: same count, 0.2 ms, mean 0.1 mV)")
'''
