"""Tests of the exponential integrate-and-fire notebook's `simulate`, on inputs of our own.

References are computed here, independently of the notebook's code:
- closed forms: rheobase g_L (V_T - E_L - Delta_T); fixed points via scipy's Lambert W;
- the exact interspike interval, integral of C dV / (F(V) + I) by scipy.integrate.quad;
- scipy.integrate.solve_ivp (DOP853, rtol 1e-11) on the voltage equation with a terminal
  event at V_peak and a restart from V_reset (after t_ref) at every event.

Tolerances: the notebook's method is fourth order with spike times refined inside the step
(measured errors ~1e-6 ms at dt = 0.01 ms). We require dt/10 for spike times: far looser than
the method's error, but ten times tighter than the one-step error of a spike time rounded to
the grid, so a grid-quantised or first-order implementation fails.
"""

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import lambertw

from references import current, spike_times

NB = "point-neurons/03_exponential_integrate_and_fire.ipynb"
pytestmark = pytest.mark.notebook(NB)

BG2005 = dict(C=281.0, g_L=30.0, E_L=-70.6, V_T=-50.4, Delta_T=2.0, V_peak=-40.4,
              V_reset=-70.6, t_ref=0.0)
# Neuronal Dynamics exercise set (tau = 12 ms, R = 20 MOhm -> C = 600 pF, g_L = 50 nS).
NEURODYNEX = dict(C=600.0, g_L=50.0, E_L=-65.0, V_T=-55.0, Delta_T=2.0, V_peak=-30.0,
                  V_reset=-60.0, t_ref=0.0)
# A soft, low-capacitance cell with a refractory period and a high cut-off.
SOFT = dict(C=150.0, g_L=10.0, E_L=-65.0, V_T=-52.0, Delta_T=3.5, V_peak=0.0,
            V_reset=-58.0, t_ref=2.0)


def rheobase(p):
    return p["g_L"] * (p["V_T"] - p["E_L"] - p["Delta_T"])


def reference_spikes(I, T, p, V0=None, breaks=()):
    """solve_ivp (DOP853, rtol 1e-11) with a terminal event at V_peak, restarted at the jumps of I."""
    I_of_t = current(I)

    def rhs(t, y):
        z = min((y[0] - p["V_T"]) / p["Delta_T"], 700.0)
        return [(-p["g_L"] * (y[0] - p["E_L"]) + p["g_L"] * p["Delta_T"] * math.exp(z)
                 + I_of_t(t)) / p["C"]]

    return spike_times(rhs, [p["E_L"] if V0 is None else V0], T, p["V_peak"],
                       lambda y: [p["V_reset"]], t_ref=p["t_ref"], breaks=breaks,
                       rtol=1e-11, atol=1e-9)


def exact_isi(I, p):
    """t_ref + integral of C dV / (F(V) + I) from V_reset to V_peak (I above rheobase)."""
    def integrand(V):
        F = -p["g_L"] * (V - p["E_L"]) + p["g_L"] * p["Delta_T"] * math.exp(
            (V - p["V_T"]) / p["Delta_T"]) + I
        return p["C"] / F
    value, _ = quad(integrand, p["V_reset"], p["V_peak"], epsabs=1e-12, epsrel=1e-12, limit=200)
    return p["t_ref"] + value


def assert_same_spikes(sim, ref, tol):
    assert len(sim) == len(ref), f"{len(sim)} spikes vs {len(ref)} in the reference"
    if len(ref):
        err = np.max(np.abs(np.asarray(sim) - ref))
        assert err < tol, f"max spike-time error {err:.3g} ms >= {tol} ms"


@pytest.mark.parametrize("p", [BG2005, NEURODYNEX, SOFT], ids=["BG2005", "neurodynex", "soft"])
def test_rheobase_closed_form_separates_silence_from_firing(nb, p):
    """Closed-form rheobase: 1 % below gives no spike in 2 s; 2 % above gives the exact count.

    Reference count: first spike after the exact passage time from E_L (= V0), then one spike
    per exact interval from V_reset (quad). T is chosen far from a spike-count boundary."""
    I_rh = rheobase(p)
    below = nb.call("simulate", I=0.99 * I_rh, T=2000.0, dt=0.1, **p)
    assert len(below.spikes) == 0
    I = 1.02 * I_rh
    first = exact_isi(I, dict(p, V_reset=p["E_L"], t_ref=0.0))
    isi = exact_isi(I, p)
    expected = 1 + int((2000.0 - first) // isi)
    above = nb.call("simulate", I=I, T=2000.0, dt=0.1, **p)
    assert len(above.spikes) == expected
    assert above.spikes[0] == pytest.approx(first, abs=0.01)   # dt/10


@pytest.mark.parametrize("p", [BG2005, NEURODYNEX, SOFT], ids=["BG2005", "neurodynex", "soft"])
@pytest.mark.parametrize("factor", [1.05, 1.6, 3.0])
def test_spike_times_match_solve_ivp_for_constant_currents(nb, p, factor):
    """Every spike time of a 300 ms train against solve_ivp with events, at dt = 0.05 ms
    (tolerance dt/10)."""
    I = factor * rheobase(p)
    sim = nb.call("simulate", I=I, T=300.0, dt=0.05, **p)
    assert_same_spikes(sim.spikes, reference_spikes(I, 300.0, p), tol=0.005)


def test_pulse_current_given_as_python_function(nb):
    """A 900 pA pulse written with `if` (not vectorisable) against piecewise solve_ivp,
    with t_ref = 3 ms and V_peak = -20 mV; tolerance dt/10 with dt = 0.02 ms.
    The same pulse written with np.where (vectorised) must give the same spikes."""
    p = dict(BG2005, t_ref=3.0, V_peak=-20.0)
    nb.run("def _pulse(t):\n    return 900.0 if 15.0 <= t < 95.0 else 0.0\n"
           "def _pulse_vec(t):\n    return np.where((t >= 15.0) & (t < 95.0), 900.0, 0.0)")
    kwargs = ", ".join(f"{k}={v!r}" for k, v in p.items())
    sim = nb.eval(f"simulate(I=_pulse, T=150.0, dt=0.02, {kwargs})")
    sim_vec = nb.eval(f"simulate(I=_pulse_vec, T=150.0, dt=0.02, {kwargs})")
    ref = reference_spikes(lambda t: 900.0 if 15.0 <= t < 95.0 else 0.0, 150.0, p,
                           breaks=(15.0, 95.0))
    assert len(ref) >= 3
    assert_same_spikes(sim.spikes, ref, tol=0.002)
    np.testing.assert_allclose(sim_vec.spikes, sim.spikes, atol=1e-9)
    np.testing.assert_allclose(sim_vec.V, sim.V, atol=1e-9)


def test_sinusoidal_current_matches_solve_ivp(nb):
    """A smooth, vectorised callable (sine around rheobase) against solve_ivp; the notebook
    holds I at the step midpoint (second order), tolerance dt/10 with dt = 0.02 ms."""
    nb.run("def _sine(t):\n    return 600.0 + 400.0 * np.sin(2 * np.pi * t / 40.0)")
    sim = nb.eval("simulate(I=_sine, T=200.0, dt=0.02)")
    ref = reference_spikes(lambda t: 600.0 + 400.0 * math.sin(2 * math.pi * t / 40.0),
                           200.0, BG2005)
    assert len(ref) >= 5
    assert_same_spikes(sim.spikes, ref, tol=0.002)


@pytest.mark.parametrize("I", [0.0, 200.0, 500.0, -300.0])
def test_resting_potential_matches_lambert_w(nb, I):
    """Below rheobase V settles at V_inf - Delta_T W_0(-exp((V_inf - V_T)/Delta_T)),
    V_inf = E_L + I/g_L (closed form); 400 ms is > 40 membrane time constants."""
    p = BG2005
    V_inf = p["E_L"] + I / p["g_L"]
    V_rest = V_inf - p["Delta_T"] * lambertw(-math.exp((V_inf - p["V_T"]) / p["Delta_T"]), 0).real
    out = nb.call("simulate", I=I, T=400.0, dt=0.1, **p)
    assert len(out.spikes) == 0
    assert out.V[-1] == pytest.approx(V_rest, abs=1e-4)


def test_unstable_fixed_point_is_the_voltage_threshold(nb):
    """Started 0.02 mV above the unstable fixed point (Lambert W branch -1) the cell fires,
    0.02 mV below it returns to rest."""
    p, I = NEURODYNEX, 250.0
    V_inf = p["E_L"] + I / p["g_L"]
    V_thr = V_inf - p["Delta_T"] * lambertw(-math.exp((V_inf - p["V_T"]) / p["Delta_T"]), -1).real
    above = nb.call("simulate", I=I, T=200.0, dt=0.01, V0=V_thr + 0.02, **p)
    below = nb.call("simulate", I=I, T=200.0, dt=0.01, V0=V_thr - 0.02, **p)
    assert len(above.spikes) == 1 and len(below.spikes) == 0


@pytest.mark.parametrize("p", [BG2005, SOFT], ids=["BG2005", "soft"])
def test_interspike_interval_matches_exact_integral(nb, p):
    """Steady interspike interval for several currents against the exact integral (quad);
    tolerance dt/10 with dt = 0.1 ms."""
    for factor in (1.1, 2.0, 4.0):
        I = factor * rheobase(p)
        s = nb.call("simulate", I=I, T=400.0, dt=0.1, **p).spikes
        assert len(s) >= 3
        assert s[-1] - s[-2] == pytest.approx(exact_isi(I, p), abs=0.01)


def test_cutoff_moves_spikes_by_the_passage_time(nb):
    """Raising V_peak from V_T + 5 Delta_T to 0 mV delays each spike by the exact passage time
    between the two cut-offs (quad), here 0.064 ms; also exercises a cut-off far above V_T."""
    p, I = BG2005, 800.0
    low = nb.call("simulate", I=I, T=100.0, dt=0.05, **p).spikes
    high = nb.call("simulate", I=I, T=100.0, dt=0.05, **dict(p, V_peak=0.0)).spikes
    gap, _ = quad(lambda V: p["C"] / (-p["g_L"] * (V - p["E_L"]) + p["g_L"] * p["Delta_T"]
                                       * math.exp((V - p["V_T"]) / p["Delta_T"]) + I),
                  p["V_peak"], 0.0, epsabs=1e-13, epsrel=1e-12)
    assert len(low) == len(high) >= 3
    np.testing.assert_allclose(high - low, gap * np.arange(1, len(low) + 1), atol=0.005)


def test_very_high_cutoff_runs_without_overflow(nb):
    """V_peak = +20 mV (exp argument 35 at the cut-off) with dt = 0.1 ms: finite trace and
    spike times equal to the V_peak = 0 mV reference from solve_ivp (the two cut-offs differ
    by ~1e-10 ms); tolerance dt/10."""
    out = nb.call("simulate", I=1200.0, T=200.0, dt=0.1, **dict(BG2005, V_peak=20.0))
    assert np.all(np.isfinite(out.V))
    assert_same_spikes(out.spikes, reference_spikes(1200.0, 200.0, dict(BG2005, V_peak=0.0)),
                       tol=0.01)


def test_return_fields_grid_and_defaults(nb):
    """Contract: .t from 0 in steps of dt covering [0, T], .V on that grid starting at E_L
    (or V0), .spikes sorted within [0, T]; defaults are the Brette & Gerstner (2005) values."""
    out = nb.call("simulate", I=800.0, T=50.0, dt=0.01)
    assert len(out.t) == len(out.V) == 5001
    assert out.t[0] == 0.0 and out.t[-1] == pytest.approx(50.0)
    np.testing.assert_allclose(np.diff(out.t), 0.01)
    assert out.V[0] == -70.6
    assert np.all(np.diff(out.spikes) > 0) and 0 < out.spikes[0] and out.spikes[-1] <= 50.0
    assert np.max(out.V) < BG2005["V_peak"]
    defaults = nb.eval("{k: v.default for k, v in __import__('inspect').signature(simulate)"
                       ".parameters.items()}")
    for key, value in BG2005.items():
        assert defaults[key] == value, key
    assert nb.call("simulate", I=0.0, T=5.0, dt=0.1, V0=-60.0).V[0] == -60.0


def test_refractory_period_holds_the_reset(nb):
    """With t_ref = 5 ms, V stays at V_reset on every grid point within 5 ms after a spike,
    and the interval is t_ref longer than without it (exact integral)."""
    p = dict(BG2005, t_ref=5.0)
    out = nb.call("simulate", I=1500.0, T=100.0, dt=0.01, **p)
    s = out.spikes
    held = (out.t > s[0] + 1e-9) & (out.t < s[0] + 5.0 - 1e-9)
    assert np.all(out.V[held] == p["V_reset"])
    assert s[2] - s[1] == pytest.approx(exact_isi(1500.0, p), abs=0.001)


@pytest.mark.parametrize("kwargs, name", [
    (dict(dt=0.0), "dt"), (dict(dt=-0.1), "dt"), (dict(T=0.0), "T"), (dict(T=-5.0), "T"),
    (dict(dt=float("nan")), "dt"), (dict(T=float("inf")), "T"), (dict(C=float("nan")), "C"),
    (dict(E_L=float("nan")), "E_L"), (dict(V0=float("inf")), "V0"),
    (dict(g_L=-30.0), "g_L"), (dict(g_L=0.0), "g_L"), (dict(C=-281.0), "C"),
    (dict(Delta_T=0.0), "Delta_T"), (dict(Delta_T=-2.0), "Delta_T"), (dict(t_ref=-1.0), "t_ref"),
    (dict(T=10.0, dt=20.0), "dt"), (dict(T=100.0, dt=5.0), "dt"), (dict(I=5000.0, dt=0.5), "dt"),
    (dict(V_peak=-55.0), "V_peak"), (dict(V_reset=-30.0), "V_reset"), (dict(V0=-30.0), "V0"),
    (dict(I=float("nan")), "I"), (dict(I=[1.0, 2.0]), "I"),
])
def test_bad_input_raises_value_error_naming_the_parameter(nb, kwargs, name):
    """ValueError whose message names the offending parameter."""
    args = dict(I=700.0, T=100.0, dt=0.01)
    args.update(kwargs)
    kind, msg = nb.raises("simulate", **args)
    assert kind == "ValueError" and name in msg, (kind, msg)


def test_callable_returning_nan_is_rejected(nb):
    """A current function that returns NaN part-way raises ValueError naming I."""
    nb.run("def _bad(t):\n    return float('nan') if t > 5 else 100.0")
    out = nb.run("try:\n    simulate(I=_bad, T=10.0, dt=0.1)\n    print('no error')\n"
                 "except ValueError as e:\n    print('ValueError:', e)")
    assert out.startswith("ValueError") and "I" in out.split(":", 1)[1]
