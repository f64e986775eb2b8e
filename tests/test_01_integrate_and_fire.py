"""The perfect integrate-and-fire notebook's `simulate`, on cases of our own, and its checkers.

References, all computed here: the closed-form ISI t_ref + C (V_th - V_reset) / I, the first
spike time C (V_th - V0) / I, and the charge balance for a time-varying current.  The
integrator is exact for piecewise-constant current, so constant-current cases are held to
round-off (1e-9 ms; the measured error is about 1e-10 ms over 1 s runs); a linearly varying
current is held to the chord error of linear interpolation inside one step, dt^2 / (8 t) (see
the notebook's Validation section).

Bad input of the generic kinds (None, strings, bools, non-finite values, values outside the
documented ranges, current functions returning NaN, arrays or strings) is covered by
tests/test_contract.py from the table in tests/contract.py; here are the cases that table
cannot express: relations between parameters, the bounds on work, and huge currents.
"""

import math
import time

import numpy as np
import pytest

from contract import BAD_CURRENTS, OPEN, Contract

NB = "point-neurons/01_integrate_and_fire.ipynb"
pytestmark = pytest.mark.notebook(NB)

COLAB_NEEDS = set()  # what its Colab setup cell installs (tests/test_colab_setup.py)
CONTRACTS = [  # its rows of the contract table (the fields: tests/contract.py)
    Contract(
        NB, "simulate", ("I", "nA"),
        "IFResult", ("t", "V", "spikes"),
        example=dict(I=2.0, T=50.0, dt=0.1),
        shapes={"V": ("t",)},
        # dt is also at most T, V_reset and V0 below V_th, and T / dt at most 1e7 steps.
        domain=dict(I=(-1e4, 1e4), T=((OPEN, 0.0), 1e6), dt=((OPEN, 0.0), 1e6),
                    C=(1e-6, 1e3), V_th=(-200.0, 200.0), V_reset=(-200.0, 200.0),
                    t_ref=(0.0, 1e3), V0=(-200.0, 200.0)),
        valid=dict(I=(-5.0, 50.0), T=(1.0, 200.0), dt=(0.01, 1.0), C=(0.1, 10.0),
                   t_ref=(0.0, 5.0)),
        bad_first=BAD_CURRENTS,
    ),
]
FAST = 2.0   # s: a refused input must be answered at once, not after a long computation


def isi(I, C, V_th, V_reset, t_ref):
    return t_ref + C * (V_th - V_reset) / I


@pytest.mark.parametrize("I, C, V_th, V_reset, t_ref, dt", [
    (0.2, 1.0, -50.0, -65.0, 0.0, 0.1),
    (3.3, 0.25, -45.0, -70.0, 1.5, 0.07),     # dt does not divide the ISI
    (40.0, 2.0, -40.0, -60.0, 0.3, 1.0),      # ISI 1.3 ms: steps of 1 ms hold parts of two
])
def test_spike_times_match_closed_form(nb, I, C, V_th, V_reset, t_ref, dt):
    """Every spike time against t_1 = C (V_th - V0)/I, t_k = t_1 + (k - 1) ISI."""
    V0 = V_reset - 3.0
    out = nb.call("simulate", I, T=300.0, dt=dt, C=C, V_th=V_th, V_reset=V_reset,
                  t_ref=t_ref, V0=V0)
    t1 = C * (V_th - V0) / I
    period = isi(I, C, V_th, V_reset, t_ref)
    expected = t1 + period * np.arange(math.floor((300.0 - t1) / period + 1e-12) + 1)
    assert len(out.spikes) == len(expected)
    np.testing.assert_allclose(out.spikes, expected, rtol=0, atol=1e-9)


def test_many_spikes_inside_one_step_are_all_exact(nb):
    """I = 1e4 nA, no refractory period: an ISI of 1.5e-3 ms, about 67 spikes per 0.1 ms step.
    The loop must advance through all of them (closed form: t_k = k C (V_th - V_reset) / I)."""
    out = nb.call("simulate", 1e4, T=10.0, dt=0.1)
    expected = 1.5e-3 * np.arange(1, math.floor(10.0 / 1.5e-3 + 1e-9) + 1)
    assert len(out.spikes) == len(expected)
    np.testing.assert_allclose(out.spikes, expected, rtol=0, atol=1e-9)


def test_returns_the_documented_grid_and_fields(nb):
    """t covers [0, T] in steps of dt; V has one value per time point; V starts at V0."""
    out = nb.call("simulate", 0.5, T=10.0, dt=0.25, V0=-70.0)
    np.testing.assert_allclose(out.t, 0.25 * np.arange(41))
    assert out.V.shape == out.t.shape and out.V[0] == -70.0
    assert out.spikes.ndim == 1


def test_subthreshold_voltage_is_the_integral_of_the_current(nb):
    """Below threshold V(t) = V0 + I t / C exactly, also for a negative current."""
    out = nb.call("simulate", -0.4, T=50.0, dt=0.5, C=2.0, V0=-60.0)
    np.testing.assert_allclose(out.V, -60.0 - 0.4 * out.t / 2.0, atol=1e-9)
    assert len(out.spikes) == 0


def test_pulse_current_gives_the_charge_balance_spike(nb):
    """A 5 nA pulse from 10 to 14 ms on 1 nF (a scalar-only callable: `if` on t): V rises
    20 mV, crossing -50 at 10 + 15/5 ms."""
    nb.run("def I_pulse(t):\n    return 5.0 if 10.0 <= t < 14.0 else 0.0")
    out = nb.eval("simulate(I_pulse, T=40.0, dt=0.5, V0=-65.0)")
    np.testing.assert_allclose(out.spikes, [13.0], atol=1e-9)
    # After the spike: reset to -65, then 1 ms more of 5 nA -> -60 mV, held to the end.
    assert out.V[-1] == pytest.approx(-60.0, abs=1e-9)


def test_vectorised_and_scalar_current_functions_agree(nb):
    """The same step current written with numpy (one call) and with `if` (one call per time)."""
    nb.run("I_vec = lambda t: np.where(t < 30.0, 0.5, 3.0)\n"
           "I_scalar = lambda t: 0.5 if t < 30.0 else 3.0")
    vec = nb.eval("simulate(I_vec, T=80.0, dt=0.2)")
    scalar = nb.eval("simulate(I_scalar, T=80.0, dt=0.2)")
    np.testing.assert_array_equal(vec.V, scalar.V)
    np.testing.assert_array_equal(vec.spikes, scalar.spikes)
    # Charge balance: 15 pC at 0.5 nA takes 30 ms, then every 5 ms at 3 nA.
    np.testing.assert_allclose(vec.spikes, 30.0 + 5.0 * np.arange(0, 11), atol=1e-9)


def test_ramp_current_matches_charge_balance_within_chord_error(nb):
    """I = beta t: spikes at sqrt(2 k C dV / beta); error bounded by dt^2 / (8 t_k)."""
    nb.run("ramp = lambda t: 0.02 * t")
    out = nb.eval("simulate(ramp, T=400.0, dt=0.2)")
    k = np.arange(1, len(out.spikes) + 1)
    t_k = np.sqrt(2 * k * 15.0 / 0.02)
    assert len(out.spikes) == math.floor(0.02 * 400.0**2 / 2 / 15.0)
    assert np.all(np.abs(out.spikes - t_k) <= 0.2**2 / (8 * t_k) + 1e-12)


def test_rate_saturates_at_one_over_t_ref(nb):
    """With a huge current the ISI tends to t_ref (closed form: t_ref + C dV / I)."""
    out = nb.call("simulate", 1e4, T=100.0, dt=0.1, t_ref=2.0)
    np.testing.assert_allclose(np.diff(out.spikes), 2.0 + 15.0 / 1e4, atol=1e-9)


# ----------------------------------------------------------------- what the contract table cannot say

def refused(nb, expr):
    t0 = time.perf_counter()
    kind, message = nb.eval_raises(expr)
    return kind, message, time.perf_counter() - t0


@pytest.mark.parametrize("expr, name", [
    ("simulate(1e16, T=100.0)", "I"),                         # once looped for ever (6 GiB)
    ("simulate(1e15, T=100.0, t_ref=0.0)", "I"),
    ("simulate(1e4, T=1e5, dt=0.1)", "I"),                    # in range, but 6.7e7 spikes
    ("simulate(lambda t: 1e4 * (t > 0), T=1e5, dt=0.1)", "I"),
    ("simulate(2.0, T=100.0, dt=5e-324)", "dt"),              # T / dt overflowed
    ("simulate(2.0, T=1e300, dt=1e-10)", "T"),
    ("simulate(2.0, T=1e6, dt=1e-3)", "dt"),                  # 1e9 steps: over MAX_STEPS
    ("simulate(2.0, T=10.0, dt=20.0)", "dt"),                 # dt > T
    ("simulate(2.0, V_reset=-50.0)", "V_reset"),              # at threshold
    ("simulate(2.0, V_reset=-40.0)", "V_reset"),
    ("simulate(2.0, V0=-40.0)", "V0"),
    ("simulate(2.0, C=1e-9)", "C"),                           # below 1e-6 nF: V could overflow
    ("simulate(lambda t: np.ones((len(t), 2)), T=10.0)", "I"),
    ("simulate(lambda t: [1.0, 2.0], T=10.0)", "I"),
    ("simulate(lambda t: None, T=10.0)", "I"),
])
def test_refused_quickly_naming_the_parameter(nb, expr, name):
    nb.run("import numpy as np")
    kind, message, seconds = refused(nb, expr)
    assert kind == "ValueError" and message.split()[0].split("(")[0] == name, message
    assert seconds < FAST, f"{expr} took {seconds:.1f} s to be refused"


def test_work_bound_is_the_documented_one(nb):
    """1e7 steps is the limit: T / dt just below it is accepted (checked without running it)."""
    assert nb.eval("MAX_STEPS") == 10_000_000 and nb.eval("MEMORY_BUDGET") == 2e9
    assert nb.eval("len(time_grid(1e6, 0.1, 9))") == 10_000_001
    kind, message = nb.eval_raises("time_grid(1e6, 0.0999, 9)")
    assert kind == "ValueError" and message.startswith("dt ")


# ----------------------------------------------------------------- the exercises' checkers

def printed(nb, call):
    return nb.run(call).strip()


@pytest.mark.parametrize("call", [
    "check_third_spike(...)",
    "check_third_spike('129')",
    "check_third_spike(125.0)",          # refractory periods forgotten
    "check_third_spike(116.5)",          # first spike from V_reset
    "check_third_spike(129.5)",
    "check_saturation_current(...)",
    "check_saturation_current(6.75)",
    "check_saturation_current(-1.0)",
    "check_saturation_current(1e9)",
    "check_saturation_current(70.0)",
    "check_grid_isi(...)",
    "check_grid_isi(15 / 1.1)",          # the exact interval
    "check_grid_isi(13.5)",
    "check_grid_isi(14.1)",
    "check_spike_count(...)",
    "check_spike_count(68)",             # a constant 1 nA
    "check_spike_count(69.5)",
    "check_spike_count(70)",
    "check_spike_count(True)",
])
def test_checkers_reject_wrong_answers(nb, call):
    out = printed(nb, call)
    assert out.startswith("Not yet") and len(out.splitlines()) == 1, out


@pytest.mark.parametrize("call", [
    "check_third_spike(129.0)", "check_saturation_current(67.5)", "check_grid_isi(13.8)",
    "check_spike_count(69)",
])
def test_checkers_accept_the_independent_answer(nb, call):
    """The answers derived here by hand: 50 + 2 (2 + 37.5); 9 x 15 / 2; 46 x 0.3;
    floor((1025 + 2 x 0.8 x 50 / (2 pi)) / 15)."""
    out = printed(nb, call)
    assert out.startswith("Correct"), out
