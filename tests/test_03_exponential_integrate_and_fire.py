"""Tests of the exponential integrate-and-fire notebook's `simulate`, on inputs of our own.

References are computed here, independently of the notebook's code:
- closed forms: rheobase g_L (V_T - E_L - Delta_T); fixed points via scipy's Lambert W;
- the exact interspike interval, integral of C dV / (F(V) + I) by scipy.integrate.quad;
- scipy.integrate.solve_ivp (DOP853, rtol 1e-11) on the voltage equation with a terminal
  event at V_peak and a restart from V_reset (after t_ref) at every event
  (tests/references.py).

Tolerances come from the errors measured for the notebook's scheme (Validation 3 of the
notebook, and the numbers in each test's docstring): fourth order in dt for constant currents,
with a per-interval error of at most a few 1e-6 ms at dt = 0.05-0.1 ms; second order for smooth
time-varying currents (held at the step midpoint). Each tolerance is 3-10 times the error
measured for its case, far below the one-step error of a spike time rounded to the grid, so a
grid-quantised, first-order or wrongly sampled implementation fails. Errors add up along a
train, so spike k is allowed k times the per-interval tolerance.

Bad input is tested once for the whole collection in tests/test_contract.py and
tests/test_hostile_input.py; the cases once found to hang, overflow or blame the wrong
parameter in this notebook are kept here as regression examples.
"""

import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import lambertw

from contract import BAD_CURRENTS, OPEN, Contract
from references import current, spike_times

NB = "point-neurons/03_exponential_integrate_and_fire.ipynb"
pytestmark = pytest.mark.notebook(NB)

COLAB_NEEDS = set()  # what its Colab setup cell installs (tests/test_colab_setup.py)
CONTRACTS = [  # its rows of the contract table (the fields: tests/contract.py)
    Contract(
        NB, "simulate", ("I", "pA"),
        "EIFResult", ("t", "V", "spikes"),
        example=dict(I=700.0, T=50.0, dt=0.05),
        shapes={"V": ("t",)},
        # dt is further bounded by T and by the accuracy limit (which depends on I and the
        # membrane); V_peak must lie in (V_T, V_T + 500 Delta_T], V_reset and V0 below V_peak.
        domain=dict(I=(-1e5, 1e5), T=((OPEN, 0.0), 1e6), dt=((OPEN, 0.0), 1e6),
                    C=((OPEN, 0.0), 1e5), g_L=((OPEN, 0.0), 1e4), E_L=(-200.0, 200.0),
                    V_T=(-200.0, 200.0), Delta_T=((OPEN, 0.0), 20.0), V_peak=(-200.0, 200.0),
                    V_reset=(-200.0, 200.0), t_ref=(0.0, 1e3), V0=(-200.0, 200.0)),
        # Every combination runs: the accuracy limit is at least 0.15 ms here.
        valid=dict(I=(-500.0, 1500.0), T=(1.0, 200.0), dt=(0.01, 0.05), C=(200.0, 500.0),
                   g_L=(10.0, 50.0), Delta_T=(1.0, 4.0), t_ref=(0.0, 5.0)),
        bad_first=BAD_CURRENTS,
    ),
]

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


def reference_spikes(I, T, p, V0=None, breaks=(), rtol=1e-11):
    """solve_ivp (DOP853) with a terminal event at V_peak, restarted at the jumps of I."""
    I_of_t = current(I)

    def rhs(t, y):
        z = min((y[0] - p["V_T"]) / p["Delta_T"], 700.0)
        return [(-p["g_L"] * (y[0] - p["E_L"]) + p["g_L"] * p["Delta_T"] * math.exp(z)
                 + I_of_t(t)) / p["C"]]

    return spike_times(rhs, [p["E_L"] if V0 is None else V0], T, p["V_peak"],
                       lambda y: [p["V_reset"]], t_ref=p["t_ref"], breaks=breaks,
                       rtol=rtol, atol=1e-9)


def exact_isi(I, p):
    """t_ref + integral of C dV / (F(V) + I) from V_reset to V_peak (I above rheobase)."""
    def integrand(V):
        F = -p["g_L"] * (V - p["E_L"]) + p["g_L"] * p["Delta_T"] * math.exp(
            (V - p["V_T"]) / p["Delta_T"]) + I
        return p["C"] / F
    value, _ = quad(integrand, p["V_reset"], p["V_peak"], epsabs=1e-12, epsrel=1e-12, limit=200)
    return p["t_ref"] + value


def assert_same_spikes(sim, ref, per_interval):
    """Same count, and |error of spike k| <= k * per_interval [ms]."""
    sim = np.asarray(sim)
    assert len(sim) == len(ref), f"{len(sim)} spikes vs {len(ref)} in the reference"
    if len(ref):
        k = np.arange(1, len(ref) + 1)
        worst = np.max(np.abs(sim - ref) / k)
        assert worst <= per_interval, \
            f"error per interval {worst:.3g} ms > {per_interval:.3g} ms"


@pytest.mark.parametrize("p", [BG2005, NEURODYNEX, SOFT], ids=["BG2005", "neurodynex", "soft"])
def test_rheobase_closed_form_separates_silence_from_firing(nb, p):
    """Closed-form rheobase: 1 % below gives no spike in 2 s; 2 % above gives the exact count
    and the exact first spike. Reference count: first spike after the exact passage time from
    E_L (= V0), then one spike per exact interval from V_reset (quad); T is far from a
    spike-count boundary. First-spike error measured <= 1.4e-6 ms at dt = 0.1 ms; tolerance 1e-5."""
    I_rh = rheobase(p)
    below = nb.call("simulate", I=0.99 * I_rh, T=2000.0, dt=0.1, **p)
    assert len(below.spikes) == 0
    I = 1.02 * I_rh
    first = exact_isi(I, dict(p, V_reset=p["E_L"], t_ref=0.0))
    isi = exact_isi(I, p)
    expected = 1 + int((2000.0 - first) // isi)
    above = nb.call("simulate", I=I, T=2000.0, dt=0.1, **p)
    assert len(above.spikes) == expected
    assert above.spikes[0] == pytest.approx(first, abs=1e-5)


@pytest.mark.parametrize("p", [BG2005, NEURODYNEX, SOFT], ids=["BG2005", "neurodynex", "soft"])
@pytest.mark.parametrize("factor", [1.05, 1.6, 3.0])
def test_spike_times_match_solve_ivp_for_constant_currents(nb, p, factor):
    """Every spike time of a 300 ms train against solve_ivp, at dt = 0.05 ms. Largest error
    per interval measured over these nine cases: 1.7e-6 ms; tolerance 1e-5 ms per interval."""
    I = factor * rheobase(p)
    sim = nb.call("simulate", I=I, T=300.0, dt=0.05, **p)
    assert_same_spikes(sim.spikes, reference_spikes(I, 300.0, p), per_interval=1e-5)


def test_pulse_current_given_as_python_function(nb):
    """A 900 pA pulse written with `if` (not vectorisable) against piecewise solve_ivp,
    with t_ref = 3 ms and V_peak = -20 mV, at dt = 0.02 ms: measured error 2.6e-7 ms,
    tolerance 2e-6 ms. The same pulse written with np.where (vectorised) must give the same
    spikes and voltages."""
    p = dict(BG2005, t_ref=3.0, V_peak=-20.0)
    nb.run("def _pulse(t):\n    return 900.0 if 15.0 <= t < 95.0 else 0.0\n"
           "def _pulse_vec(t):\n    return np.where((t >= 15.0) & (t < 95.0), 900.0, 0.0)")
    kwargs = ", ".join(f"{k}={v!r}" for k, v in p.items())
    sim = nb.eval(f"simulate(_pulse, T=150.0, dt=0.02, {kwargs})")
    sim_vec = nb.eval(f"simulate(_pulse_vec, T=150.0, dt=0.02, {kwargs})")
    ref = reference_spikes(lambda t: 900.0 if 15.0 <= t < 95.0 else 0.0, 150.0, p,
                           breaks=(15.0, 95.0))
    assert len(ref) >= 3
    assert np.max(np.abs(sim.spikes - ref)) < 2e-6
    np.testing.assert_allclose(sim_vec.spikes, sim.spikes, atol=1e-12)
    np.testing.assert_allclose(sim_vec.V, sim.V, atol=1e-12)


def test_sinusoidal_current_matches_solve_ivp(nb):
    """A smooth, vectorised callable (sine around rheobase) against solve_ivp. The notebook
    holds I at the step midpoint (second order): measured 1.0e-6 ms at dt = 0.02 ms and
    2.5e-7 ms at 0.01 ms; tolerances 5e-6 and 1.25e-6 ms (a current held at the step's start
    is first order and fails)."""
    nb.run("def _sine(t):\n    return 600.0 + 400.0 * np.sin(2 * np.pi * t / 40.0)")
    ref = reference_spikes(lambda t: 600.0 + 400.0 * math.sin(2 * math.pi * t / 40.0),
                           200.0, BG2005)
    assert len(ref) >= 5
    for dt, tol in ((0.02, 5e-6), (0.01, 1.25e-6)):
        sim = nb.eval(f"simulate(_sine, T=200.0, dt={dt})")
        assert len(sim.spikes) == len(ref)
        assert np.max(np.abs(sim.spikes - ref)) < tol, dt


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
    """Steady interspike interval for several currents against the exact integral (quad) at
    dt = 0.1 ms: measured error <= 5.9e-6 ms (soft cell, 4 x rheobase); tolerance 3e-5 ms."""
    for factor in (1.1, 2.0, 4.0):
        I = factor * rheobase(p)
        s = nb.call("simulate", I=I, T=400.0, dt=0.1, **p).spikes
        assert len(s) >= 3
        assert s[-1] - s[-2] == pytest.approx(exact_isi(I, p), abs=3e-5)


def test_cutoff_moves_spikes_by_the_passage_time(nb):
    """Raising V_peak from V_T + 5 Delta_T to 0 mV delays spike k by k times the exact passage
    time between the two cut-offs (quad), 0.064 ms; also exercises a cut-off far above V_T.
    Measured error 4.6e-6 ms over the train at dt = 0.05 ms; tolerance 3e-5 ms."""
    p, I = BG2005, 800.0
    low = nb.call("simulate", I=I, T=100.0, dt=0.05, **p).spikes
    high = nb.call("simulate", I=I, T=100.0, dt=0.05, **dict(p, V_peak=0.0)).spikes
    gap, _ = quad(lambda V: p["C"] / (-p["g_L"] * (V - p["E_L"]) + p["g_L"] * p["Delta_T"]
                                       * math.exp((V - p["V_T"]) / p["Delta_T"]) + I),
                  p["V_peak"], 0.0, epsabs=1e-13, epsrel=1e-12)
    assert len(low) == len(high) >= 3
    np.testing.assert_allclose(high - low, gap * np.arange(1, len(low) + 1), atol=3e-5)


def test_very_high_cutoff_runs_without_overflow(nb):
    """V_peak = +20 mV (exp argument 35 at the cut-off) with dt = 0.1 ms: finite trace and
    spike times equal to the V_peak = 0 mV reference from solve_ivp (the two cut-offs differ
    by ~1e-10 ms); measured 8.8e-6 ms over 10 spikes, tolerance 1e-5 ms per interval."""
    out = nb.call("simulate", I=1200.0, T=200.0, dt=0.1, **dict(BG2005, V_peak=20.0))
    assert np.all(np.isfinite(out.V))
    assert_same_spikes(out.spikes, reference_spikes(1200.0, 200.0, dict(BG2005, V_peak=0.0)),
                       per_interval=1e-5)


def test_return_fields_grid_and_defaults(nb):
    """Contract: .t from 0 in steps of dt covering [0, T], .V on that grid starting at E_L
    (or V0), .spikes sorted within [0, T]; defaults are the Brette & Gerstner (2005) values."""
    out = nb.call("simulate", 800.0, T=50.0, dt=0.01)
    assert len(out.t) == len(out.V) == 5001
    assert out.t[0] == 0.0 and out.t[-1] == pytest.approx(50.0)
    np.testing.assert_allclose(np.diff(out.t), 0.01)
    assert out.V[0] == -70.6
    assert np.all(np.diff(out.spikes) > 0) and 0 < out.spikes[0] and out.spikes[-1] <= 50.0
    assert np.max(out.V) < BG2005["V_peak"]
    defaults = nb.eval("DEFAULTS")
    for key, value in BG2005.items():
        assert defaults[key] == value, key
    assert nb.call("simulate", 0.0, T=5.0, dt=0.1, V0=-60.0).V[0] == -60.0


def test_refractory_period_holds_the_reset(nb):
    """With t_ref = 5 ms, V stays at V_reset on every grid point within 5 ms after a spike,
    and the interval is t_ref longer than without it (exact integral); measured 2.6e-10 ms at
    dt = 0.01 ms, tolerance 1e-8 ms."""
    p = dict(BG2005, t_ref=5.0)
    out = nb.call("simulate", I=1500.0, T=100.0, dt=0.01, **p)
    s = out.spikes
    held = (out.t > s[0] + 1e-9) & (out.t < s[0] + 5.0 - 1e-9)
    assert np.all(out.V[held] == p["V_reset"])
    assert s[2] - s[1] == pytest.approx(exact_isi(1500.0, p), abs=1e-8)


# ------------------------------------------------------------------ convergence

@pytest.mark.parametrize("I", [700.0, 1500.0])
def test_spike_times_converge_at_fourth_order(nb, I):
    """All spikes of 200 ms against solve_ivp (rtol 1e-13, so that its own error, ~1e-9 ms, is
    far below the errors compared) at dt = 0.05 and 0.025 ms: the error falls 16-fold per
    halving (measured order 3.97 at 700 pA, 4.06 at 1500 pA); we require order 3.5-4.5.
    A second-order step in V, or a spike time rounded to the grid, fails."""
    ref = reference_spikes(I, 200.0, BG2005, rtol=1e-13)
    errors = []
    for dt in (0.05, 0.025):
        s = nb.call("simulate", I, T=200.0, dt=dt).spikes
        assert len(s) == len(ref)
        errors.append(np.max(np.abs(s - ref)))
    order = math.log2(errors[0] / errors[1])
    assert 3.5 < order < 4.5, f"measured order {order:.2f} (errors {errors})"


def test_upswing_substep_sets_the_error_plateau(nb):
    """At 1500 pA the error is flat for dt = 0.1-0.4 ms because the upswing's sub-step stays at
    0.10-0.13 ms (bound h_s L <= 0.3); with the bound ten times smaller (integrate's hL_max)
    the error falls at fourth order from 0.4 to 0.1 ms (measured 3.87, 4.15). Reference:
    solve_ivp."""
    ref = reference_spikes(1500.0, 200.0, BG2005, rtol=1e-13)
    nb.run("def _spikes_cap(dt, cap):\n"
           "    t = time_grid(200.0, dt, n_state=3)\n"
           "    p = [DEFAULTS[k] for k in ('C', 'g_L', 'E_L', 'V_T', 'Delta_T', 'V_peak', "
           "'V_reset', 't_ref')]\n"
           "    return np.array(integrate(t, current_at(1500.0, t[:-1] + dt / 2), "
           "DEFAULTS['E_L'], *p, hL_max=cap)[1])")
    err = {cap: np.array([np.max(np.abs(nb.eval(f"_spikes_cap({dt}, {cap})") - ref))
                          for dt in (0.4, 0.2, 0.1)]) for cap in (0.3, 0.03)}
    assert err[0.3].max() / err[0.3].min() < 2                      # the plateau
    orders = np.log2(err[0.03][:-1] / err[0.03][1:])
    assert np.all((orders > 3.5) & (orders < 4.5)), orders         # gone with the smaller bound


def test_forward_euler_loop_is_first_order_and_late(nb):
    """The notebook's forward-Euler loop against solve_ivp at 700 pA (8 spikes in 200 ms):
    every spike late, and the error falls like dt (least-squares order 0.9-1.1 over
    dt = 0.1-0.001 ms), as its text says."""
    ref = reference_spikes(700.0, 200.0, BG2005)
    dts = np.array([0.1, 0.05, 0.02, 0.01, 0.005, 0.002, 0.001])
    errors = []
    for dt in dts:
        s = nb.call("simulate_euler", 700.0, T=200.0, dt=float(dt))
        assert len(s) == len(ref) and np.all(s > ref)
        errors.append(np.max(s - ref))
    order = np.polyfit(np.log(dts), np.log(errors), 1)[0]
    assert 0.9 < order < 1.1, order


# ------------------------------------------------------------------ hostile input

HOSTILE = [  # (call, parameter the message must start with)
    ("simulate(700.0, T=50.0, dt=5e-324)", "dt"),          # T / dt overflows to inf
    ("simulate(700.0, T=1e300, dt=1e-10)", "T"),
    ("simulate(700.0, T=1e6, dt=0.01)", "dt"),              # 1e8 steps: more than the loop takes
    ("simulate(1e15, T=50.0, dt=0.05)", "I"),
    ("simulate(lambda t: 1e15, T=50.0, dt=0.05)", "I"),
    ("simulate(float('inf'), T=50.0, dt=0.05)", "I"),
    ("simulate('700', T=50.0, dt=0.05)", "I"),
    ("simulate(None, T=50.0, dt=0.05)", "I"),
    ("simulate(lambda t: np.ones(3), T=50.0, dt=0.05)", "I"),
    ("simulate(lambda t: np.ones((len(np.atleast_1d(t)), 2)), T=50.0, dt=0.05)", "I"),
    ("simulate(lambda t: 'abc', T=50.0, dt=0.05)", "I"),
    ("simulate(700.0, T=True, dt=0.05)", "T"),
    ("simulate(700.0, T=50.0, dt=0.05, C=None)", "C"),
    ("simulate(700.0, T=50.0, dt=0.05, V_T='-50')", "V_T"),
    ("simulate(700.0, T=1e4, dt=0.05, V_reset=-40.4000001)", "V_reset"),   # spikes explode
    ("simulate(700.0, T=50.0, dt=0.05, Delta_T=1e-3)", "V_peak"),  # exp(5000) at the cut-off
    ("simulate(700.0, T=50.0, dt=0.05, V0=-40.4)", "V0"),
    ("simulate(700.0, T=50.0, dt=0.05, V_peak=-60.0)", "V_peak"),
]


@pytest.mark.parametrize("expr, name", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_input_is_refused_quickly_naming_the_parameter(nb, expr, name):
    """Each case once found to hang, overflow or blame the wrong parameter raises a ValueError whose first word is the
    parameter, within 2 s and allocating less than 100 MB (MEMORY_BUDGET is 2e9 bytes)."""
    nb.run_file("contract.py")
    nb.run("import numpy as np")
    outcome, detail, seconds, peak = nb.eval(f"_nb_bounded({expr!r})", timeout=20)
    assert outcome == "ValueError", (outcome, detail)
    assert detail.split()[0].split("(")[0] == name, detail
    assert seconds < 2.0 and peak < 1e8, (seconds, peak)


def test_bound_on_spikes_does_not_refuse_ordinary_runs(nb):
    """The spike bound is a lower bound of the interval, not a guess: a reset just below V_T
    with a high cut-off, and a long run at the contract's largest current, still run."""
    out = nb.call("simulate", 1000.0, T=1000.0, dt=0.05, V_reset=-50.4 - 1e-9, V_peak=0.0)
    assert len(out.spikes) > 100
    out = nb.call("simulate", 1e5, T=20.0, dt=0.005)
    assert len(out.spikes) > 100 and np.all(np.isfinite(out.V))


# ------------------------------------------------------------------ model cells and exercises

def test_model_cells_run_alone_and_display_nothing(notebook):
    """The cells tagged `model` define the model by themselves, in order, in a fresh kernel,
    with no output at all; the model they define agrees with the full notebook's."""
    import nbformat
    from conftest import ROOT
    from tools.kernel import NotebookKernel

    cells = [c for c in nbformat.read(ROOT / NB, as_version=4).cells
             if "model" in c.metadata.get("tags", [])]
    assert len(cells) >= 5
    kernel = NotebookKernel(NB, execute=False)
    try:
        for cell in cells:
            probe = nbformat.v4.new_code_cell(cell.source)
            kernel.client.execute_cell(probe, 0)
            assert probe.outputs == [], (cell.source.splitlines()[0], probe.outputs)
        alone = kernel.eval("simulate(700.0, T=100.0, dt=0.05).spikes")
        assert kernel.eval("sorted(DEFAULTS)") == sorted(
            ["T", "dt", "C", "g_L", "E_L", "V_T", "Delta_T", "V_peak", "V_reset", "t_ref", "V0"])
    finally:
        kernel.shutdown()
    full = notebook(NB).call("simulate", 700.0, T=100.0, dt=0.05).spikes
    np.testing.assert_array_equal(alone, full)


WRONG_ANSWERS = [
    "check_rheobase(...)", "check_rheobase(546.0)", "check_rheobase(404.0)",
    "check_rheobase(0.364)", "check_rheobase(910.0)", "check_rheobase(float('nan'))",
    "check_rheobase('364')",
    "check_threshold(...)", "check_threshold(-60.588)", "check_threshold(-50.4)",
    "check_threshold(-40.4)", "check_threshold(-47.0)", "check_threshold(-46.0)",
    "check_euler_step(...)", "check_euler_step(0.1)", "check_euler_step(0.02)",
    "check_euler_step(0.005)", "check_euler_step(0.03)",
    "check_current_for_10Hz(...)", "check_current_for_10Hz(546.0)",
    "check_current_for_10Hz(546.0 + 10.39e6)", "check_current_for_10Hz(546.0 + math.sqrt(10.39))",
    "check_current_for_10Hz(500.0)",
    "check_sharpness(...)", "check_sharpness('fewer')", "check_sharpness('same')",
]


@pytest.mark.parametrize("call", WRONG_ANSWERS)
def test_checkers_reject_wrong_answers(nb, call):
    out = nb.run(call)
    assert out.startswith("Not yet"), out


@pytest.mark.parametrize("call", [
    "check_rheobase(20.0 * 18.2)",                                   # closed form, R = 50 MOhm
    f"check_threshold({-70.6 + 10.0 - 2.0 * lambertw(-math.exp((-60.6 + 50.4) / 2.0), -1).real!r})",
    "check_euler_step(0.01)",                                        # measured here, see below
    f"check_current_for_10Hz({546.0 + 4.0 / 30.0 * (math.pi * 281.0 * 0.01) ** 2!r})",
    "check_sharpness('more')",
])
def test_checkers_accept_the_independent_answer(nb, call):
    """Answers computed here from the closed forms (the threshold: Lambert W at 300 pA; 10 Hz:
    the square-root law inverted), or from measurements below."""
    out = nb.run(call)
    assert out.startswith("Correct"), out


def test_euler_exercise_answer_is_the_measured_one():
    """Forward Euler written here (independently of the notebook) gives the interval at 700 pA
    within 0.1 % for dt <= 0.01 ms and not at 0.02 ms: the answer the checker accepts."""
    p = BG2005
    exact = exact_isi(700.0, p)

    def euler_isi(dt):
        V, spikes, i = p["E_L"], [], 0
        while len(spikes) < 2:
            i += 1
            V += dt * (-p["g_L"] * (V - p["E_L"]) + p["g_L"] * p["Delta_T"]
                       * math.exp((V - p["V_T"]) / p["Delta_T"]) + 700.0) / p["C"]
            if V >= p["V_peak"]:
                spikes.append(i * dt)
                V = p["V_reset"]
        return spikes[1] - spikes[0]

    errors = {dt: abs(euler_isi(dt) / exact - 1) for dt in (0.02, 0.01, 0.005, 0.002, 0.001)}
    assert errors[0.02] > 1e-3 and all(errors[dt] <= 1e-3 for dt in (0.01, 0.005, 0.002, 0.001))
