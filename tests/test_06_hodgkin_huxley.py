"""Tests of point-neurons/06_hodgkin_huxley.ipynb: `simulate` against NEURON's built-in `hh`
(run here, in the test process), against scipy's solve_ivp and against the analytic fixed point.

The notebook's scheme is NEURON's fixed-step scheme (cnexp gates on a staggered grid, backward
Euler for V, stimulus at t + dt/2), so against NEURON the tolerance is the required 0.1 ms while
the expected difference is rounding error.  Against solve_ivp the scheme is first order.
"""
import math
import os

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.optimize import brentq

os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")
from neuron import h  # noqa: E402

h.load_file("stdrun.hoc")

NB = "point-neurons/06_hodgkin_huxley.ipynb"
pytestmark = pytest.mark.notebook(NB)
THRESHOLD = 0.0   # the notebook's documented spike threshold [mV]


def crossings(t, V, th=THRESHOLD):
    """Upward crossings of th, linearly interpolated (the notebook's documented definition)."""
    t, V = np.asarray(t), np.asarray(V)
    k = np.nonzero((V[:-1] < th) & (V[1:] >= th))[0]
    return t[k] + (th - V[k]) * (t[k + 1] - t[k]) / (V[k + 1] - V[k])


def neuron_patch(I, T, dt, V0, celsius=6.3, delay=0.0, dur=1e9, g_Na=120.0, g_K=36.0, g_L=0.3,
                 E_Na=50.0, E_K=-77.0, E_L=-54.3, C_m=1.0, play=None):
    """One-segment hh patch of 100 um2 (1 uA/cm2 = 1e-3 nA); returns t, V as arrays."""
    sec = h.Section(name="test_patch")
    sec.L = sec.diam = math.sqrt(100.0 / math.pi)
    sec.cm = C_m
    sec.insert("hh")
    sec.ena, sec.ek = E_Na, E_K
    seg = sec(0.5)
    seg.hh.gnabar, seg.hh.gkbar, seg.hh.gl, seg.hh.el = g_Na * 1e-3, g_K * 1e-3, g_L * 1e-3, E_L
    stim = h.IClamp(seg)
    stim.delay, stim.dur, stim.amp = delay, dur, I * 1e-3
    if play is not None:               # continuous play: NEURON interpolates at t + dt/2
        tvec, ivec = h.Vector(play[0]), h.Vector(np.asarray(play[1]) * 1e-3)
        ivec.play(stim._ref_amp, tvec, 1)
    h.usetable_hh = 0
    h.celsius, h.dt, h.steps_per_ms, h.secondorder = celsius, dt, 1.0 / dt, 0
    h.CVode().active(False)
    v = h.Vector().record(seg._ref_v)
    tv = h.Vector().record(h._ref_t)
    h.finitialize(V0)
    h.continuerun(T)
    return np.array(tv), np.array(v)


def rates(V):
    """hh.mod rates at 6.3 degC, written independently of the notebook."""
    def vtrap(x, y):
        return y * (1 - x / y / 2) if abs(x / y) < 1e-6 else x / (math.exp(x / y) - 1)
    return (0.1 * vtrap(-(V + 40), 10), 4 * math.exp(-(V + 65) / 18),
            0.07 * math.exp(-(V + 65) / 20), 1 / (math.exp(-(V + 35) / 10) + 1),
            0.01 * vtrap(-(V + 55), 10), 0.125 * math.exp(-(V + 65) / 80))


def steady_current(V):
    am, bm, ah, bh, an, bn = rates(V)
    m, hh_, n = am / (am + bm), ah / (ah + bh), an / (an + bn)
    return 120 * m**3 * hh_ * (V - 50) + 36 * n**4 * (V + 77) + 0.3 * (V + 54.3)


REST = brentq(steady_current, -70.0, -60.0, xtol=1e-13)


@pytest.mark.parametrize("I", [6.5, 8.0, 15.0, 40.0])
def test_spike_train_matches_neuron(nb, I):
    """500 ms at dt = 0.01 ms: same spike count as NEURON's hh, times within 0.1 ms."""
    out = nb.call("simulate", I=I, T=500.0, dt=0.01)
    t, V = neuron_patch(I, 500.0, 0.01, REST)
    ref = crossings(t, V)
    assert len(ref) > 5 and len(out.spikes) == len(ref)
    assert np.max(np.abs(np.asarray(out.spikes) - ref)) < 0.1
    assert np.max(np.abs(np.asarray(out.V) - V)) < 1e-3   # same scheme: rounding only


def test_nondefault_parameters_and_temperature_match_neuron(nb):
    """Other conductances, reversal potentials, capacitance, 15 degC and dt = 0.02 vs NEURON."""
    p = dict(g_Na=100.0, g_K=30.0, g_L=0.5, E_Na=55.0, E_K=-80.0, E_L=-60.0, C_m=1.5)
    out = nb.call("simulate", I=20.0, T=300.0, dt=0.02, celsius=15.0, V0=-62.0, **p)
    t, V = neuron_patch(20.0, 300.0, 0.02, -62.0, celsius=15.0, **p)
    ref = crossings(t, V)
    assert len(ref) > 5 and len(out.spikes) == len(ref)
    assert np.max(np.abs(np.asarray(out.spikes) - ref)) < 0.1


def test_warm_patch_at_a_coarse_step_matches_neuron(nb):
    """20 degC at dt = 0.05 ms (coarser than the 2 % accuracy step there, 0.022 ms):
    the scheme is NEURON's, so the spike times still agree with NEURON's hh."""
    out = nb.call("simulate", I=20.0, T=200.0, dt=0.05, celsius=20.0)
    t, V = neuron_patch(20.0, 200.0, 0.05, REST, celsius=20.0)
    ref = crossings(t, V)
    assert len(ref) > 5 and len(out.spikes) == len(ref)
    assert np.max(np.abs(out.spikes - ref)) < 0.1


def test_pulse_callable_matches_neuron(nb):
    """A scalar-only callable (two 1 ms pulses) against IClamps with delay/dur in NEURON."""
    nb.run("def _two_pulses(t):\n"
           "    return 15.0 if (5.0 <= t < 6.0) or (30.0 <= t < 31.0) else 0.0")
    out = nb.eval("simulate(I=_two_pulses, T=60.0, dt=0.01)")
    sec = h.Section(name="pulse_patch")
    sec.L = sec.diam = math.sqrt(100.0 / math.pi)
    sec.insert("hh")
    stims = [h.IClamp(sec(0.5)) for _ in range(2)]
    for stim, delay in zip(stims, (5.0, 30.0)):
        stim.delay, stim.dur, stim.amp = delay, 1.0, 15e-3
    h.usetable_hh, h.celsius, h.dt, h.steps_per_ms = 0, 6.3, 0.01, 100
    v, tv = h.Vector().record(sec(0.5)._ref_v), h.Vector().record(h._ref_t)
    h.finitialize(REST)
    h.continuerun(60.0)
    ref = crossings(np.array(tv), np.array(v))
    assert len(ref) == 2 and len(out.spikes) == 2
    assert np.max(np.abs(np.asarray(out.spikes) - ref)) < 0.1


def test_vectorised_sine_current_matches_neuron(nb):
    """I(t) = 8 + 8 sin(2 pi t / 25) (numpy-callable) against NEURON Vector.play (continuous)."""
    nb.run("_sine = lambda t: 8.0 + 8.0 * np.sin(2 * np.pi * t / 25.0)")
    out = nb.eval("simulate(I=_sine, T=200.0, dt=0.01)")
    tp = np.arange(0.0, 201.0, 0.001)       # fine play grid: interpolation error ~1e-7 uA/cm2
    t, V = neuron_patch(0.0, 200.0, 0.01, REST, play=(tp, 8 + 8 * np.sin(2 * np.pi * tp / 25)))
    ref = crossings(t, V)
    assert len(ref) > 3 and len(out.spikes) == len(ref)
    assert np.max(np.abs(np.asarray(out.spikes) - ref)) < 0.1


def test_first_spikes_converge_to_solve_ivp_with_first_order(nb):
    """Spike times over 60 ms vs DOP853 (rtol 1e-10): the error of this first-order scheme
    (backward Euler, as NEURON's default) halves with each halving of dt."""
    def rhs(t, y):
        V, m, hh_, n = y
        am, bm, ah, bh, an, bn = rates(V)
        return [15.0 - 120 * m**3 * hh_ * (V - 50) - 36 * n**4 * (V + 77) - 0.3 * (V + 54.3),
                am * (1 - m) - bm * m, ah * (1 - hh_) - bh * hh_, an * (1 - n) - bn * n]
    am, bm, ah, bh, an, bn = rates(REST)
    ev = lambda t, y: y[0] - THRESHOLD
    ev.direction = 1
    sol = solve_ivp(rhs, (0, 60.0), [REST, am / (am + bm), ah / (ah + bh), an / (an + bn)],
                    method="DOP853", rtol=1e-10, atol=1e-10, events=ev)
    ref = sol.t_events[0]
    err = {}
    for dt in (0.02, 0.01, 0.005):
        s = np.asarray(nb.call("simulate", I=15.0, T=60.0, dt=dt).spikes)
        assert len(s) == len(ref)
        err[dt] = np.max(np.abs(s - ref))
    assert 1.7 < err[0.02] / err[0.01] < 2.3 and 1.7 < err[0.01] / err[0.005] < 2.3


def test_rest_and_input_resistance_match_the_fixed_point(nb):
    """Default start = root of the steady-state current (independent brentq); V stays there;
    a 0.05 uA/cm2 step moves V by R_in * dI with R_in = 1 / I_ss'(rest)."""
    out = nb.call("simulate", I=0.0, T=50.0, dt=0.025)
    assert abs(out.V[0] - REST) < 1e-8 and np.max(np.abs(np.asarray(out.V) - REST)) < 1e-8
    assert abs(REST - (-64.974)) < 1e-3
    slope = (steady_current(REST + 1e-4) - steady_current(REST - 1e-4)) / 2e-4
    up = nb.call("simulate", I=0.05, T=300.0, dt=0.025).V[-1]
    down = nb.call("simulate", I=-0.05, T=300.0, dt=0.025).V[-1]
    assert (up - down) / 0.1 == pytest.approx(1.0 / slope, rel=1e-3)   # curvature error ~dI^2


def test_bistability_two_initial_conditions(nb):
    """I = 8: from its fixed point the patch stays quiet; kicked by a 1 ms pulse it keeps
    firing (Rinzel & Miller 1980: bistable between ~6.26 and 9.78 uA/cm2); same in NEURON."""
    V_fix = brentq(lambda V: steady_current(V) - 8.0, -70.0, -50.0, xtol=1e-13)
    quiet = nb.call("simulate", I=8.0, T=300.0, dt=0.025, V0=V_fix)
    assert len(quiet.spikes) == 0
    nb.run("_kick = lambda t: 8.0 + (20.0 if 5.0 <= t < 6.0 else 0.0)")
    firing = nb.eval("simulate(I=_kick, T=300.0, dt=0.025, V0=%r)" % V_fix)
    assert np.sum(np.asarray(firing.spikes) > 200.0) >= 4
    t, V = neuron_patch(8.0, 300.0, 0.025, V_fix)
    assert len(crossings(t, V)) == 0


def test_depolarisation_block_and_type_ii_onset(nb):
    """No sustained 0 mV crossings at 200 uA/cm2 (above the Hopf point at 154.5); the rate
    just above onset is already ~50-70 Hz, not near zero (type II)."""
    block = nb.call("simulate", I=200.0, T=300.0, dt=0.025)
    assert np.sum(np.asarray(block.spikes) > 50.0) == 0
    onset = nb.call("simulate", I=7.0, T=600.0, dt=0.025)
    rate = np.sum(np.asarray(onset.spikes) >= 300.0) / 0.3
    assert 45.0 < rate < 75.0


def test_simulate_many_matches_simulate(nb):
    """The vectorised f-I helper gives the same spike times as simulate, current by current."""
    res = nb.eval("simulate_many(np.array([4.0, 9.0, 30.0]), T=200.0, dt=0.025)")
    for I, spikes in zip((4.0, 9.0, 30.0), res["spikes"]):
        single = nb.call("simulate", I=I, T=200.0, dt=0.025).spikes
        assert np.allclose(spikes, single, atol=1e-9)


def test_returns_fields_with_matching_shapes(nb):
    """t covers [0, T] with step dt; V, m, h, n have one value per time point."""
    out = nb.call("simulate", I=5.0, T=10.0, dt=0.1)
    assert np.allclose(out.t, np.arange(101) * 0.1)
    for field in ("V", "m", "h", "n"):
        assert np.shape(getattr(out, field)) == (101,)
    assert np.all((np.asarray(out.m) >= 0) & (np.asarray(out.m) <= 1))
    out = nb.call("simulate", I=5.0, T=10.05, dt=0.1)
    assert out.t[-1] >= 10.05 - 1e-9


@pytest.mark.parametrize("kwargs, name", [
    (dict(dt=0.0), "dt"), (dict(dt=-0.1), "dt"), (dict(T=0.0), "T"), (dict(T=-5.0), "T"),
    (dict(dt=0.6), "dt"), (dict(dt=0.1, celsius=25.0), "dt"), (dict(T=0.01, dt=0.02), "dt"),
    (dict(g_Na=-1.0), "g_Na"), (dict(g_K=-1.0), "g_K"), (dict(g_L=-0.1), "g_L"),
    (dict(C_m=0.0), "C_m"), (dict(E_Na=float("nan")), "E_Na"), (dict(V0=float("inf")), "V0"),
    (dict(celsius=float("nan")), "celsius"), (dict(I=float("nan")), "I"),
    (dict(I=-1e5), "I"),
])
def test_bad_input_raises_value_error_naming_the_parameter(nb, kwargs, name):
    """dt/T <= 0, dt above the resolution limit 0.5 ms/max(1, q10), dt > T, negative g, C_m <= 0,
    non-finite values and an overflowing current all raise ValueError naming the parameter."""
    args = dict(I=10.0, T=20.0, dt=0.025)
    args.update(kwargs)
    kind, msg = nb.raises("simulate", **args)
    assert kind == "ValueError" and name in msg


def test_callable_returning_nan_raises(nb):
    """A callable I that returns NaN is rejected with a message naming I."""
    kind, msg = nb.eval_raises("simulate(I=lambda t: float('nan') if t > 5 else 1.0, T=10.0, dt=0.025)")
    assert kind == "ValueError" and "I" in msg
