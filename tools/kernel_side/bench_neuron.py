# Runs inside a notebook's kernel for the benchmark (benchmarks/run.py), after the notebook
# and bench.py: the notebook's own integrator against NEURON in the same process. Each
# comparison times both (median of several runs after a warm-up), then checks on one more
# run, recording every node, that both agree as tightly as the notebook's Validation
# requires: 1e-6 mV everywhere and spike times within 1e-6 ms (they do the same arithmetic,
# so they differ by rounding only, about 1e-9 or less). A disagreement marks the row FAIL,
# so that a fast wrong answer cannot win.
import math as _nb_math

import numpy as _nb_np
from neuron import h as _nb_h

_nb_h.load_file("stdrun.hoc")
_NB_TOL_MV = 1e-6            # largest |V difference| accepted [mV]
_NB_TOL_MS = 1e-6            # largest spike-time difference accepted [ms]
_nb_pc = _nb_h.ParallelContext()
_nb_pc.set_maxstep(10.0)     # no NetCons here: psolve integrates in 10 ms chunks


def _nb_crossings(t, V, threshold=0.0):
    """Upward crossings of threshold [mV], linearly interpolated [ms]: one detector for both."""
    t, V = _nb_np.asarray(t), _nb_np.asarray(V)
    k = _nb_np.nonzero((V[:-1] < threshold) & (V[1:] >= threshold))[0]
    return t[k] + (threshold - V[k]) * (t[k + 1] - t[k]) / (V[k + 1] - V[k])


def _nb_neuron_times(v_init, T, dt, secondorder, repeats):
    """Median times [s] of NEURON's finitialize + continuerun and of psolve (its compiled
    time loop, no hoc per step), fixed step dt."""
    _nb_h.dt, _nb_h.steps_per_ms, _nb_h.secondorder = dt, 1.0 / dt, secondorder
    _nb_h.CVode().active(False)

    def continuerun():
        _nb_h.finitialize(v_init)
        _nb_h.continuerun(T)

    def psolve():
        _nb_h.finitialize(v_init)
        _nb_pc.psolve(T)

    return _nb_median_time(continuerun, repeats)[0], _nb_median_time(psolve, repeats)[0]  # noqa: F821


def _nb_neuron_run(v_init, T, refs):
    """One more run at the same settings, recording refs; [array per ref]."""
    vectors = [_nb_h.Vector().record(ref) for ref in refs]
    _nb_h.finitialize(v_init)
    _nb_h.continuerun(T)
    return [_nb_np.array(v) for v in vectors]


def _nb_agreement(ours_t, ours_V, nrn_V, ours_spikes=None, nrn_spikes=None):
    """(agree, text): largest |dV| [mV] over every recorded node and time, and spike times."""
    if nrn_V.shape != ours_V.shape:
        return False, f"different shapes: {ours_V.shape} here, {nrn_V.shape} in NEURON"
    d_V = float(_nb_np.max(_nb_np.abs(ours_V - nrn_V)))
    text = f"max |dV| {d_V:.1e} mV over {ours_V.shape[1]} node(s)"
    agree = d_V < _NB_TOL_MV
    if ours_spikes is not None:
        same = len(ours_spikes) == len(nrn_spikes)
        d_sp = float(_nb_np.max(_nb_np.abs(ours_spikes - nrn_spikes))) if same and len(nrn_spikes) else 0.0
        text = (f"{len(ours_spikes)} vs {len(nrn_spikes)} spikes, max |dt_spike| "
                f"{d_sp:.1e} ms, " + text)
        agree = agree and same and len(nrn_spikes) > 0 and d_sp < _NB_TOL_MS
    tolerance = f"tolerance {_NB_TOL_MV:g} mV" + ("" if ours_spikes is None else f", {_NB_TOL_MS:g} ms")
    return bool(agree), f"{text} ({tolerance})"


def _nb_comparison(name, call, t_ours, times, agreement):
    return dict(name=name, call=call, ours_s=t_ours, neuron_s=times[0], psolve_s=times[1],
                agree=agreement[0], check=agreement[1])


def _nb_bench_hh(repeats, I=10.0, T=1000.0, dt=0.01):
    """Hodgkin-Huxley patch (point-neurons/06): simulate against NEURON's built-in hh on one
    segment of 100 µm² (so 1 µA/cm² is 1e-3 nA), exact rates (usetable_hh = 0)."""
    t_ours, ours = _nb_median_time(lambda: simulate(I, T=T, dt=dt), repeats)  # noqa: F821
    p = dict(g_Na=120.0, g_K=36.0, g_L=0.3, E_Na=50.0, E_K=-77.0, E_L=-54.3, C_m=1.0,
             celsius=6.3)
    p.update({k: v for k, v in DEFAULTS.items() if k in p})                  # noqa: F821
    _nb_h.usetable_hh, _nb_h.celsius = 0, p["celsius"]
    sec = _nb_h.Section(name="nb_bench_patch")
    sec.L = sec.diam = _nb_math.sqrt(100.0 / _nb_math.pi)                     # area 100 µm²
    sec.cm = p["C_m"]
    sec.insert("hh")
    sec.ena, sec.ek = p["E_Na"], p["E_K"]
    for seg in sec:
        seg.hh.gnabar, seg.hh.gkbar = p["g_Na"] * 1e-3, p["g_K"] * 1e-3     # mS -> S/cm²
        seg.hh.gl, seg.hh.el = p["g_L"] * 1e-3, p["E_L"]
    stim = _nb_h.IClamp(sec(0.5))
    stim.delay, stim.dur, stim.amp = 0.0, 1e9, I * 1e-3                      # µA/cm² -> nA
    V0 = float(ours.V[0])                                                     # simulate's start
    v_rec = _nb_h.Vector().record(sec(0.5)._ref_v)
    times = _nb_neuron_times(V0, T, dt, 0, repeats)
    del v_rec
    (V_nrn,) = _nb_neuron_run(V0, T, [sec(0.5)._ref_v])
    agreement = _nb_agreement(ours.t, ours.V[:, None], V_nrn[:, None],
                              _nb_crossings(ours.t, ours.V), _nb_crossings(ours.t, V_nrn))
    del stim, sec
    return _nb_comparison("Hodgkin-Huxley patch", f"simulate({I}, T={T}, dt={dt})", t_ours,
                          times, agreement)


def _nb_bench_rallpack(repeats, I=0.1, T=250.0, dt=0.05, nseg=1000):
    """Rallpack 1 cable (multi-compartment-neurons/01): simulate_cable (Crank-Nicolson) against
    NEURON with secondorder = 2, compared at every segment centre and at x = L (NEURON's v(0)
    under Crank-Nicolson alternates by I/(2 g_a) around the node's value; the notebook shows why)."""
    t_ours, ours = _nb_median_time(                                            # noqa: F821
        lambda: simulate_cable(I, T=T, dt=dt, nseg=nseg), repeats)             # noqa: F821
    cable = _nb_h.Section(name="nb_bench_cable")
    cable.L, cable.diam, cable.nseg, cable.Ra, cable.cm = 1000.0, 1.0, nseg, 100.0, 1.0
    cable.insert("pas")
    for seg in cable:
        seg.pas.g, seg.pas.e = 1.0 / 40000.0, -65.0
    stim = _nb_h.IClamp(cable(0.0))
    stim.delay, stim.dur, stim.amp = 0.0, 1e9, I
    v_rec = [_nb_h.Vector().record(cable(x)._ref_v) for x in (0.5 / nseg, 1.0)]
    times = _nb_neuron_times(-65.0, T, dt, 2, repeats)
    del v_rec
    nodes = [seg.x for seg in cable] + [1.0]
    V_nrn = _nb_np.column_stack(_nb_neuron_run(-65.0, T, [cable(x)._ref_v for x in nodes]))
    _nb_h.secondorder = 0
    agreement = _nb_agreement(ours.t, ours.V[:, 1:], V_nrn)
    del stim, cable
    return _nb_comparison("Rallpack 1 cable", f"simulate_cable({I}, T={T}, dt={dt}, nseg={nseg})",
                          t_ours, times, agreement)


def _nb_bench_morphology(repeats, I=0.2, T=200.0, dt=0.025):
    """Full morphology with hh in the soma (multi-compartment-neurons/03): simulate_morphology
    against NEURON's copy of the same cell (the notebook's nrn_cell), an IClamp at soma(0.5);
    0.2 nA gives one spike, so spike times are compared too. Every compartment is compared."""
    t_ours, ours = _nb_median_time(                                            # noqa: F821
        lambda: simulate_morphology(I, T=T, dt=dt, active=True), repeats)      # noqa: F821
    soma = nrn_cell(active=True)                                               # noqa: F821
    stim = _nb_h.IClamp(soma(0.5))
    stim.delay, stim.dur, stim.amp = 0.0, 1e9, I
    v_rec = _nb_h.Vector().record(soma(0.5)._ref_v)
    times = _nb_neuron_times(-65.0, T, dt, 0, repeats)
    del v_rec
    sections = {sec.name(): sec for sec in _nb_h.allsec()}
    refs = [sections[name](x)._ref_v for name, x in zip(ours.names, ours.x)]
    V_nrn = _nb_np.column_stack(_nb_neuron_run(-65.0, T, refs))
    soma_column = next(k for k, (name, x) in enumerate(zip(ours.names, ours.x))
                       if name == soma.name() and abs(x - 0.5) < 1e-9)
    agreement = _nb_agreement(ours.t, ours.V, V_nrn, _nb_crossings(ours.t, ours.V_soma),
                              _nb_crossings(ours.t, V_nrn[:, soma_column]))
    del stim
    nrn_cell(active=False)                      # leave the cell as the notebook had it  # noqa: F821
    return _nb_comparison("full morphology, hh soma",
                          f"simulate_morphology({I}, T={T}, dt={dt}, active=True)", t_ours,
                          times, agreement)


def _nb_bench_axon(repeats, I=0.5, T=10.0, dt=0.025, L=2000.0, diam=1.0, nseg=200):
    """Bare HH axon (multi-compartment-neurons/05): simulate_axon against NEURON's hh on one
    section of nseg segments (the notebook's BARE settings), an IClamp of I [nA] at x = 0, exact
    rates (usetable_hh = 0: the notebook's last NEURON run switched the tables on). Every segment
    centre is compared, and the first spike time at each (a NaN, no spike, fails the check)."""
    p = dict(R_a=35.4, C_m=1.0, celsius=6.3)
    t_ours, ours = _nb_median_time(                                            # noqa: F821
        lambda: simulate_axon(I, T=T, dt=dt, L=L, diam=diam, nseg=nseg, **p), repeats)  # noqa: F821
    others = sum(1 for _ in _nb_h.allsec())
    axon = _nb_h.Section(name="nb_bench_axon")
    axon.L, axon.diam, axon.nseg, axon.Ra, axon.cm = L, diam, nseg, p["R_a"], p["C_m"]
    axon.insert("hh")
    stim = _nb_h.IClamp(axon(0.0))
    stim.delay, stim.dur, stim.amp = 0.0, 1e9, I
    _nb_h.usetable_hh, _nb_h.celsius = 0, p["celsius"]
    v_rec = _nb_h.Vector().record(axon(0.5)._ref_v)
    times = _nb_neuron_times(V_REST, T, dt, 0, repeats)                       # noqa: F821
    del v_rec
    V_nrn = _nb_np.column_stack(_nb_neuron_run(V_REST, T, [seg._ref_v for seg in axon]))  # noqa: F821
    V_ours = ours.V[:, 1:-1]
    agreement = _nb_agreement(ours.t, V_ours, V_nrn, spike_times(ours.t, V_ours),   # noqa: F821
                              spike_times(ours.t, V_nrn))          # the notebook's detector, NaN: none  # noqa: F821
    if others:
        agreement = (False, f"{others} other section(s) in NEURON would be simulated too; "
                     + agreement[1])
    del stim, axon
    return _nb_comparison("bare HH axon", f"simulate_axon({I}, T={T}, dt={dt}, L={L}, diam={diam}, "
                          f"nseg={nseg})", t_ours, times, agreement)
