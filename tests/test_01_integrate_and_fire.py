"""The perfect integrate-and-fire notebook's `simulate`, on cases of our own.

References, all computed here: the closed-form ISI t_ref + C (V_th - V_reset) / I, the first
spike time C (V_th - V0) / I, and the charge balance for a time-varying current.  The
integrator is exact for piecewise-constant current, so constant-current cases are held to
round-off (1e-9 ms); a linearly varying current is held to the chord error of linear
interpolation inside one step, dt^2 / (8 t) (see the notebook's Validation section).
"""

import math

import numpy as np
import pytest

NB = "point-neurons/01_integrate_and_fire.ipynb"
pytestmark = pytest.mark.notebook(NB)


def isi(I, C, V_th, V_reset, t_ref):
    return t_ref + C * (V_th - V_reset) / I


@pytest.mark.parametrize("I, C, V_th, V_reset, t_ref, dt", [
    (0.2, 1.0, -50.0, -65.0, 0.0, 0.1),
    (3.3, 0.25, -45.0, -70.0, 1.5, 0.07),     # dt does not divide the ISI
    (40.0, 2.0, -40.0, -60.0, 0.3, 1.0),      # several spikes inside one step
])
def test_spike_times_match_closed_form(nb, I, C, V_th, V_reset, t_ref, dt):
    """Every spike time against t_1 = C (V_th - V0)/I, t_k = t_1 + (k - 1) ISI."""
    V0 = V_reset - 3.0
    out = nb.call("simulate", I=I, T=300.0, dt=dt, C=C, V_th=V_th, V_reset=V_reset,
                  t_ref=t_ref, V0=V0)
    t1 = C * (V_th - V0) / I
    period = isi(I, C, V_th, V_reset, t_ref)
    expected = t1 + period * np.arange(math.floor((300.0 - t1) / period + 1e-12) + 1)
    assert len(out.spikes) == len(expected)
    np.testing.assert_allclose(out.spikes, expected, rtol=0, atol=1e-9)


def test_returns_the_documented_grid_and_fields(nb):
    """t covers [0, T] in steps of dt; V has one value per time point; V starts at V0."""
    out = nb.call("simulate", I=0.5, T=10.0, dt=0.25, V0=-70.0)
    np.testing.assert_allclose(out.t, 0.25 * np.arange(41))
    assert out.V.shape == out.t.shape and out.V[0] == -70.0
    assert out.spikes.ndim == 1


def test_subthreshold_voltage_is_the_integral_of_the_current(nb):
    """Below threshold V(t) = V0 + I t / C exactly, also for a negative current."""
    out = nb.call("simulate", I=-0.4, T=50.0, dt=0.5, C=2.0, V0=-60.0)
    np.testing.assert_allclose(out.V, -60.0 - 0.4 * out.t / 2.0, atol=1e-9)
    assert len(out.spikes) == 0


def test_pulse_current_gives_the_charge_balance_spike(nb):
    """A 5 nA pulse from 10 to 14 ms on 1 nF: V rises 20 mV, crossing -50 at 10 + 15/5 ms."""
    nb.run("def I_pulse(t):\n    return 5.0 if 10.0 <= t < 14.0 else 0.0")
    out = nb.eval("simulate(I=I_pulse, T=40.0, dt=0.5, V0=-65.0)")
    np.testing.assert_allclose(out.spikes, [13.0], atol=1e-9)
    # After the spike: reset to -65, then 1 ms more of 5 nA -> -60 mV, held to the end.
    assert out.V[-1] == pytest.approx(-60.0, abs=1e-9)


def test_ramp_current_matches_charge_balance_within_chord_error(nb):
    """I = beta t: spikes at sqrt(2 k C dV / beta); error bounded by dt^2 / (8 t_k)."""
    nb.run("ramp = lambda t: 0.02 * t")
    out = nb.eval("simulate(I=ramp, T=400.0, dt=0.2)")
    k = np.arange(1, len(out.spikes) + 1)
    t_k = np.sqrt(2 * k * 15.0 / 0.02)
    assert len(out.spikes) == math.floor(0.02 * 400.0**2 / 2 / 15.0)
    assert np.all(np.abs(out.spikes - t_k) <= 0.2**2 / (8 * t_k) + 1e-12)


def test_rate_saturates_at_one_over_t_ref(nb):
    """With a huge current the ISI tends to t_ref (closed form: t_ref + C dV / I)."""
    out = nb.call("simulate", I=1e4, T=100.0, dt=0.1, t_ref=2.0)
    np.testing.assert_allclose(np.diff(out.spikes), 2.0 + 15.0 / 1e4, atol=1e-9)


@pytest.mark.parametrize("kwargs, name", [
    (dict(dt=0.0), "dt"), (dict(dt=-0.1), "dt"), (dict(T=0.0), "T"), (dict(T=-5.0), "T"),
    (dict(dt=20.0, T=10.0), "dt"), (dict(I=float("nan")), "I"), (dict(C=float("inf")), "C"),
    (dict(C=0.0), "C"), (dict(C=-1.0), "C"), (dict(t_ref=-1.0), "t_ref"),
    (dict(V_reset=-50.0), "V_reset"), (dict(V0=-40.0), "V0"), (dict(V_th=float("nan")), "V_th"),
])
def test_bad_input_raises_value_error_naming_the_parameter(nb, kwargs, name):
    kind, message = nb.raises("simulate", **kwargs)
    assert kind == "ValueError" and message.split()[0] == name, message


def test_current_function_returning_nan_is_rejected(nb):
    nb.run("bad_current = lambda t: float('nan') if t > 5 else 1.0")
    kind, message = nb.eval_raises("simulate(I=bad_current, T=10.0)")
    assert kind == "ValueError" and "I" in message.split()[0]
