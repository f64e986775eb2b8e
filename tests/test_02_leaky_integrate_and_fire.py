"""The leaky integrate-and-fire notebook's `simulate`, on cases of our own.

References, all computed here from closed forms:
  ISI = t_ref + tau_m ln((R I + E_L - V_reset) / (R I + E_L - V_th)),
  first spike from V0: tau_m ln((R I + E_L - V0) / (R I + E_L - V_th)),
  sub-threshold V(t) = V_inf + (V0 - V_inf) exp(-t / tau_m), V_inf = E_L + R I.
The default integrator (exact exponential update, exact crossing) is exact for
piecewise-constant current, so these hold to round-off (1e-9).  The alternatives are held
to their analytic error: a threshold tested on the grid delays each spike by at most one dt.
"""

import math

import numpy as np
import pytest

NB = "point-neurons/02_leaky_integrate_and_fire.ipynb"
pytestmark = pytest.mark.notebook(NB)


def log_time(v_from, v_to, V_inf, tau_m):
    """Time for tau_m dV/dt = V_inf - V to go from v_from to v_to."""
    return tau_m * math.log((V_inf - v_from) / (V_inf - v_to))


@pytest.mark.parametrize("I, tau_m, R, E_L, V_th, V_reset, t_ref, V0, dt", [
    (2.0, 10.0, 10.0, -65.0, -50.0, -65.0, 0.0, -65.0, 0.1),     # Dayan & Abbott
    (0.3, 20.0, 100.0, -70.0, -48.0, -60.0, 3.0, -72.0, 0.17),   # small cell, t_ref
    (25.0, 5.0, 2.0, -60.0, -55.0, -75.0, 0.5, -60.0, 2.0),      # several spikes per step
])
def test_spike_times_match_closed_form(nb, I, tau_m, R, E_L, V_th, V_reset, t_ref, V0, dt):
    """Every spike time against t_1 = first-passage time from V0, then t_1 + k ISI."""
    T = 400.0
    out = nb.call("simulate", I=I, T=T, dt=dt, tau_m=tau_m, R=R, E_L=E_L, V_th=V_th,
                  V_reset=V_reset, t_ref=t_ref, V0=V0)
    V_inf = E_L + R * I
    t1 = log_time(V0, V_th, V_inf, tau_m)
    period = t_ref + log_time(V_reset, V_th, V_inf, tau_m)
    expected = t1 + period * np.arange(math.floor((T - t1) / period + 1e-12) + 1)
    assert len(out.spikes) == len(expected)
    np.testing.assert_allclose(out.spikes, expected, rtol=0, atol=1e-9)


def test_subthreshold_voltage_relaxes_exponentially_to_the_steady_state(nb):
    """Below rheobase: V(t) = V_inf + (V0 - V_inf) exp(-t/tau_m) at every grid point."""
    out = nb.call("simulate", I=0.5, T=200.0, dt=0.3, tau_m=15.0, R=20.0, E_L=-70.0,
                  V_th=-55.0, V0=-80.0)
    V_inf = -70.0 + 20.0 * 0.5
    np.testing.assert_allclose(out.V, V_inf + (-80.0 - V_inf) * np.exp(-out.t / 15.0),
                               atol=1e-9)
    assert len(out.spikes) == 0


def test_no_spike_at_rheobase_and_spikes_just_above(nb):
    """Rheobase (V_th - E_L)/R: at it V only approaches threshold; 0.1% above it fires."""
    I_rh = (-50.0 + 65.0) / 10.0
    assert len(nb.call("simulate", I=I_rh, T=3000.0, dt=0.5).spikes) == 0
    above = nb.call("simulate", I=1.001 * I_rh, T=3000.0, dt=0.5)
    assert len(above.spikes) >= 2
    expected_isi = 10.0 * math.log((10.0 * 1.001 * I_rh) / (10.0 * 1.001 * I_rh - 15.0))
    np.testing.assert_allclose(np.diff(above.spikes), expected_isi, atol=1e-8)


def test_pulse_current_spike_matches_first_passage_time(nb):
    """A 3 nA pulse from 20 ms to 80 ms: first spike at 20 + 10 ln(30/15) ms, none after 80."""
    nb.run("def I_pulse(t):\n    return 3.0 if 20.0 <= t < 80.0 else 0.0")
    out = nb.eval("simulate(I=I_pulse, T=150.0, dt=0.25)")
    period = 10.0 * math.log(30.0 / 15.0)
    expected = 20.0 + period * np.arange(1, math.floor(60.0 / period) + 1)
    np.testing.assert_allclose(out.spikes, expected, atol=1e-9)
    # After the pulse V decays from its value at 80 ms towards E_L.
    v80 = -65.0 + 30.0 * (1 - math.exp(-(60.0 - expected[-1] + 20.0) / 10.0))
    assert out.V[-1] == pytest.approx(-65.0 + (v80 + 65.0) * math.exp(-7.0), abs=1e-9)


def test_grid_threshold_delays_each_spike_by_at_most_one_step(nb):
    """crossing='grid': each ISI is the exact ISI rounded up to the grid, so error in [0, dt]."""
    dt = 0.3
    out = nb.call("simulate", I=2.3, T=300.0, dt=dt, crossing="grid")
    exact_isi = 10.0 * math.log(23.0 / 8.0)
    assert np.all(np.diff(out.spikes) >= exact_isi - 1e-9)
    assert np.all(np.diff(out.spikes) <= exact_isi + dt + 1e-9)


def test_forward_euler_converges_to_the_closed_form_at_first_order(nb):
    """method='euler' with linear crossing: the ISI error halves when dt halves."""
    exact_isi = 10.0 * math.log(30.0 / 15.0)
    errors = [abs(np.mean(np.diff(nb.call("simulate", I=3.0, T=200.0, dt=dt, method="euler",
                                          crossing="linear").spikes)) - exact_isi)
              for dt in (0.04, 0.02, 0.01)]
    ratios = np.array(errors[:-1]) / np.array(errors[1:])
    assert np.all((ratios > 1.8) & (ratios < 2.2)), ratios


@pytest.mark.parametrize("kwargs, name", [
    (dict(dt=0.0), "dt"), (dict(dt=-0.1), "dt"), (dict(T=0.0), "T"), (dict(T=-1.0), "T"),
    (dict(dt=50.0, T=10.0), "dt"), (dict(I=float("nan")), "I"), (dict(tau_m=0.0), "tau_m"),
    (dict(tau_m=float("nan")), "tau_m"), (dict(R=-1.0), "R"), (dict(t_ref=-0.5), "t_ref"),
    (dict(V_reset=-40.0), "V_reset"), (dict(V0=-49.0), "V0"), (dict(E_L=float("inf")), "E_L"),
    (dict(method="euler", dt=25.0, T=100.0), "dt"),          # Euler's limit: dt < 2 tau_m
])
def test_bad_input_raises_value_error_naming_the_parameter(nb, kwargs, name):
    kind, message = nb.raises("simulate", **kwargs)
    assert kind == "ValueError" and message.split()[0] == name, message


def test_euler_just_below_its_stability_limit_is_accepted(nb):
    out = nb.call("simulate", I=1.0, T=100.0, dt=19.0, method="euler")
    assert np.all(np.isfinite(out.V))


def test_current_function_returning_nan_is_rejected(nb):
    nb.run("bad_current = lambda t: np.where(t > 5, np.nan, 1.0)")
    kind, message = nb.eval_raises("simulate(I=bad_current, T=10.0)")
    assert kind == "ValueError" and message.split()[0] == "I"
