"""Tests of the AdEx notebook's `simulate` on inputs of their own.

References are computed here, independently of the notebook's code: a high-accuracy
`scipy.integrate.solve_ivp` (RK45, rtol = atol = 1e-10; the notebook uses DOP853) with a terminal event at V_peak,
restarted after each reset, and the closed-form saddle-node rheobase.
"""

import math

import numpy as np
import pytest

from references import spike_times

NB = "point-neurons/04_adaptive_exponential_integrate_and_fire.ipynb"
pytestmark = pytest.mark.notebook(NB)

# Brette & Gerstner (2005) and rows of Naud et al. (2008), Table 1 (units pF, nS, mV, ms, pA)
BG = dict(C=281.0, g_L=30.0, E_L=-70.6, V_T=-50.4, Delta_T=2.0, a=4.0, b=80.5,
          tau_w=144.0, V_reset=-70.6)
ADAPTATION = dict(C=200.0, g_L=12.0, E_L=-70.0, V_T=-50.0, Delta_T=2.0, a=2.0, tau_w=300.0,
                  b=60.0, V_reset=-58.0)
INITIAL_BURST = dict(C=130.0, g_L=18.0, E_L=-58.0, V_T=-50.0, Delta_T=2.0, a=4.0,
                     tau_w=150.0, b=120.0, V_reset=-50.0)
REGULAR_BURSTING = dict(C=200.0, g_L=10.0, E_L=-58.0, V_T=-50.0, Delta_T=2.0, a=2.0,
                        tau_w=120.0, b=100.0, V_reset=-46.0)
TONIC = dict(C=200.0, g_L=10.0, E_L=-70.0, V_T=-50.0, Delta_T=2.0, a=2.0, tau_w=30.0,
             b=0.0, V_reset=-58.0)
TRANSIENT = dict(C=100.0, g_L=10.0, E_L=-65.0, V_T=-50.0, Delta_T=2.0, a=10.0, tau_w=90.0,
                 b=100.0, V_reset=-47.0)

# RK4 with sub-stepped upswing: its spike-time error is far below the grid (measured
# ~1e-5 ms at dt = 0.01 ms).  A threshold test on the grid would be off by up to dt; we
# require a tenth of that.
DT = 0.01
TOL = 0.1 * DT
METHOD = "RK45"   # SciPy Dormand-Prince 5(4); the notebook itself uses DOP853


def reference_spikes(pieces, C, g_L, E_L, V_T, Delta_T, a, b, tau_w, V_reset,
                     V_peak=0.0, t_ref=0.0, V0=None, w0=0.0):
    """Spike times from RK45 with an event at V_peak; pieces = [(t0, t1, I), ...]."""
    def I_of_t(t):
        return next((I for t0, t1, I in pieces if t0 <= t < t1), pieces[-1][2])

    def rhs(t, y):
        expo = math.exp(min((y[0] - V_T) / Delta_T, 500.0))
        return [(g_L * (E_L - y[0]) + g_L * Delta_T * expo - y[1] + I_of_t(t)) / C,
                (a * (y[0] - E_L) - y[1]) / tau_w]

    def hold(y, duration):                              # refractory: V fixed, w exact
        w_inf = a * (V_reset - E_L)
        return [V_reset, w_inf + (y[1] - w_inf) * math.exp(-duration / tau_w)]

    return spike_times(rhs, [E_L if V0 is None else V0, w0], pieces[-1][1], V_peak,
                       lambda y: [V_reset, y[1] + b], t_ref=t_ref, hold=hold,
                       breaks=[t1 for _, t1, _ in pieces], method=METHOD)


def assert_same_spikes(ours, ref):
    assert len(ours) == len(ref), (len(ours), len(ref))
    if len(ref):
        assert np.max(np.abs(np.asarray(ours) - ref)) < TOL


def test_result_fields_and_time_grid(nb):
    """The returned grid covers [0, T] in steps of dt and starts at (E_L, 0) by default."""
    out = nb.call("simulate", I=500.0, T=20.005, dt=0.01)
    assert out.t[0] == 0.0 and out.t[-1] >= 20.005 - 1e-12
    assert np.allclose(np.diff(out.t), 0.01)
    assert out.V.shape == out.t.shape == out.w.shape
    assert out.V[0] == pytest.approx(-70.6) and out.w[0] == 0.0
    assert np.ndim(out.spikes) == 1
    out = nb.call("simulate", I=0.0, T=10.0, dt=0.1, V0=-65.0, w0=20.0)
    assert out.V[0] == -65.0 and out.w[0] == 20.0 and len(out.t) == 101


@pytest.mark.parametrize("params, I, T", [
    (BG, 1000.0, 300.0),                 # Brette & Gerstner's 1 nA step
    (BG, 750.0, 400.0),                  # a current of our own
    (ADAPTATION, 500.0, 400.0),
    (INITIAL_BURST, 400.0, 400.0),
    (REGULAR_BURSTING, 210.0, 500.0),
    (TRANSIENT, 180.0, 300.0),
], ids=["BG-1nA", "BG-750pA", "adaptation", "initial-burst", "regular-bursting", "transient"])
def test_spike_times_match_solve_ivp(nb, params, I, T):
    """Constant current: spike times equal the RK45+event reference within 0.1 dt."""
    ours = nb.call("simulate", I=I, T=T, dt=DT, V_peak=0.0, **params).spikes
    assert_same_spikes(ours, reference_spikes([(0.0, T, I)], **params))


def test_other_cutoff_and_initial_state_match_solve_ivp(nb):
    """V_peak = V_T + 5 Delta_T (Brian2's cut-off) and a non-rest start, against the reference."""
    kw = dict(BG, V_peak=-40.4, V0=-60.0, w0=50.0)
    ours = nb.call("simulate", I=900.0, T=300.0, dt=DT, **kw).spikes
    assert_same_spikes(ours, reference_spikes([(0.0, 300.0, 900.0)], **kw))


def test_scalar_callable_pulse_matches_solve_ivp(nb):
    """A pulse given as a scalar-only Python function: reference integrated piece by piece."""
    nb.run("def I_test_pulse(t):\n"
           "    return 900.0 if 20.0 <= t < 120.0 else 0.0\n")
    ours = nb.eval("simulate(I=I_test_pulse, T=200.0, dt=0.01).spikes")
    ref = reference_spikes([(0.0, 20.0, 0.0), (20.0, 120.0, 900.0), (120.0, 200.0, 0.0)], **BG)
    assert len(ref) >= 2
    assert_same_spikes(ours, ref)


def test_vectorised_callable_equals_constant(nb):
    """A vectorised callable returning a constant gives exactly the constant-current result."""
    nb.run("def I_test_const(t):\n    return np.full(np.shape(t), 800.0)\n")
    a = nb.eval("simulate(I=I_test_const, T=100.0, dt=0.01).spikes")
    b = nb.call("simulate", I=800.0, T=100.0, dt=0.01).spikes
    assert len(a) == len(b) > 0 and np.allclose(a, b, atol=1e-12)


def test_refractory_period_matches_solve_ivp(nb):
    """t_ref = 2 ms: V held at V_reset while w relaxes; reference does the same."""
    kw = dict(TONIC, t_ref=2.0)
    ours = nb.call("simulate", I=500.0, T=200.0, dt=DT, **kw).spikes
    ref = reference_spikes([(0.0, 200.0, 500.0)], **kw)
    assert_same_spikes(ours, ref)
    # and the refractory period really lengthens the intervals
    no_ref = nb.call("simulate", I=500.0, T=200.0, dt=DT, **TONIC).spikes
    assert len(no_ref) > len(ours)


@pytest.mark.parametrize("params", [
    dict(C=200.0, g_L=10.0, E_L=-65.0, V_T=-52.0, Delta_T=1.5, a=1.0, tau_w=100.0, b=20.0,
         V_reset=-60.0),
    dict(BG, a=0.5),
    dict(BG, a=-5.0),
], ids=["own-set", "BG-a0.5", "BG-a-5"])
def test_saddle_node_rheobase(nb, params):
    """Closed-form (g_L + a)[V_T - E_L - D + D ln(1 + a/g_L)], valid where a/g_L < tau_m/tau_w:
    no sustained firing (spikes in the second half of 2 s) 1 % below it, firing 1 % above."""
    p = params
    assert p["a"] / p["g_L"] < (p["C"] / p["g_L"]) / p["tau_w"]
    I_rh = (p["g_L"] + p["a"]) * (p["V_T"] - p["E_L"] - p["Delta_T"]
                                  + p["Delta_T"] * math.log(1.0 + p["a"] / p["g_L"]))
    T = 2000.0
    below = nb.call("simulate", I=0.99 * I_rh, T=T, dt=0.05, **p).spikes
    above = nb.call("simulate", I=1.01 * I_rh, T=T, dt=0.05, **p).spikes
    assert not np.any(below > T / 2)
    assert np.any(above > T / 2)


def test_regular_bursting_has_bimodal_intervals(nb):
    """Naud et al. (2008) regular bursting: bursts of >= 2 spikes separated by long pauses."""
    s = nb.call("simulate", I=210.0, T=500.0, dt=DT, **REGULAR_BURSTING).spikes
    isi = np.diff(s)
    short, long_ = isi[isi < 20.0], isi[isi >= 20.0]
    assert len(long_) >= 2 and len(short) >= len(long_)
    assert long_.min() > 10 * short.max()


def test_transient_spiking_stops(nb):
    """Naud et al. (2008) transient spiking (values as used in the notebook): one spike, silence."""
    s = nb.call("simulate", I=180.0, T=500.0, dt=DT, **TRANSIENT).spikes
    assert 1 <= len(s) <= 3 and s[-1] < 100.0


def test_extreme_currents_stay_finite_without_warnings(nb):
    """Huge depolarising and hyperpolarising currents: finite state, no numpy warnings."""
    out = nb.run(
        "import warnings\n"
        "with warnings.catch_warnings():\n"
        "    warnings.simplefilter('error')\n"
        "    _r1 = simulate(I=1e6, T=20.0, dt=0.01)\n"
        "    _r2 = simulate(I=-1e5, T=20.0, dt=0.01)\n"
        "print(len(_r1.spikes), bool(np.all(np.isfinite(_r1.V))), bool(np.all(np.isfinite(_r2.V))))\n")
    n, finite1, finite2 = out.split()
    assert int(n) > 10 and finite1 == "True" and finite2 == "True"


@pytest.mark.parametrize("kwargs, name", [
    (dict(dt=0.0), "dt"), (dict(dt=-0.01), "dt"), (dict(T=0.0), "T"), (dict(T=-5.0), "T"),
    (dict(dt=5.0), "dt"),                      # above the stability/accuracy limit
    (dict(T=1.0, dt=2.0), "dt"),               # dt > T
    (dict(C=-1.0), "C"), (dict(C=0.0), "C"), (dict(g_L=-30.0), "g_L"),
    (dict(tau_w=0.0), "tau_w"), (dict(Delta_T=0.0), "Delta_T"), (dict(t_ref=-1.0), "t_ref"),
    (dict(V_peak=-60.0), "V_peak"), (dict(V_reset=10.0), "V_reset"),
    (dict(a=float("nan")), "a"), (dict(b=float("inf")), "b"), (dict(E_L=float("nan")), "E_L"),
    (dict(V0=float("nan")), "V0"), (dict(w0=float("nan")), "w0"), (dict(I=float("nan")), "I"),
])
def test_invalid_input_raises_value_error_naming_parameter(nb, kwargs, name):
    """Bad values raise ValueError whose message names the parameter."""
    kind, msg = nb.raises("simulate", **dict(dict(I=500.0, T=50.0, dt=0.01), **kwargs))
    assert kind == "ValueError" and name in msg


def test_callable_returning_nan_raises(nb):
    """A current function returning NaN is refused with a message naming I."""
    nb.run("def I_test_nan(t):\n    return float('nan') if t > 5 else 100.0\n")
    kind, msg = nb.eval_raises("simulate(I=I_test_nan, T=10.0, dt=0.01)")
    assert kind == "ValueError" and "I" in msg
