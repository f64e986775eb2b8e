"""Tests of point-neurons/05_izhikevich.ipynb: `simulate` against references computed here.

The reference is scipy's solve_ivp (DOP853, rtol = atol = 1e-10) with a terminal event at
v = v_peak, restarted after each reset; it is written in this file independently of the
notebook's integrator.  Spike times of the notebook's RK4 integrator with the exact cut-off
are O(dt^4) accurate; the tolerances below say which error they allow.
"""
import numpy as np
import pytest

from references import current, spike_times

NB = "point-neurons/05_izhikevich.ipynb"
pytestmark = pytest.mark.notebook(NB)


def ref_spikes(I, T, a=0.02, b=0.2, c=-65.0, d=8.0, v_peak=30.0, V0=-70.0, breaks=()):
    """Spike times of the Izhikevich (2003) model from solve_ivp with a v_peak event."""
    f = current(I)

    def rhs(t, y):
        return [0.04 * y[0] ** 2 + 5 * y[0] + 140 - y[1] + f(t), a * (b * y[0] - y[1])]

    return spike_times(rhs, [V0, b * V0], T, v_peak, lambda y: [c, y[1] + d], breaks=breaks)


CASES = [  # (I, a, b, c, d) : RS at three currents, the 2003 classes with constant input
    (5.0, 0.02, 0.2, -65.0, 8.0), (10.0, 0.02, 0.2, -65.0, 8.0), (25.0, 0.02, 0.2, -65.0, 8.0),
    (10.0, 0.02, 0.2, -55.0, 4.0), (10.0, 0.02, 0.2, -50.0, 2.0), (10.0, 0.1, 0.2, -65.0, 2.0),
    (10.0, 0.02, 0.25, -65.0, 2.0), (3.0, 0.02, 0.25, -65.0, 0.05), (0.5, 0.1, 0.26, -65.0, 2.0),
]


@pytest.mark.parametrize("I, a, b, c, d", CASES)
def test_spike_times_match_solve_ivp(nb, I, a, b, c, d):
    """Constant current, 300 ms, dt = 0.02: same spike count, times within 1e-4 ms of solve_ivp
    (RK4 + exact cut-off: error ~ dt^4, measured ~1e-6 ms)."""
    out = nb.call("simulate", I=I, T=300.0, dt=0.02, a=a, b=b, c=c, d=d)
    ref = ref_spikes(I, 300.0, a, b, c, d)
    assert len(out.spikes) == len(ref)
    if len(ref):
        assert np.max(np.abs(out.spikes - ref)) < 1e-4


def test_coarse_step_inside_limit_still_accurate(nb):
    """dt = 0.1 ms (inside the 0.135 ms limit): counts equal, times within 0.01 ms of solve_ivp."""
    out = nb.call("simulate", I=14.0, T=400.0, dt=0.1, c=-50.0, d=2.0)
    ref = ref_spikes(14.0, 400.0, c=-50.0, d=2.0)
    assert len(out.spikes) == len(ref) > 10
    assert np.max(np.abs(out.spikes - ref)) < 1e-2


def test_callable_pulse_scalar_function(nb):
    """Non-vectorised pulse on grid points: counts equal, times within 1e-4 ms of solve_ivp."""
    nb.run("def I_pulse_t(t):\n    return 12.0 if 20.0 <= t < 120.0 else 0.0")
    out = nb.eval("simulate(I=I_pulse_t, T=200.0, dt=0.01, V0=-65.0)")
    ref = ref_spikes(lambda t: 12.0 if 20.0 <= t < 120.0 else 0.0, 200.0, V0=-65.0,
                     breaks=[20.0, 120.0])
    assert len(out.spikes) == len(ref) > 2 and np.max(np.abs(out.spikes - ref)) < 1e-4
    assert np.all((out.spikes > 20.0) & (out.spikes < 125.0))


def test_callable_vectorised_ramp_and_other_v_peak(nb):
    """Vectorised ramp I(t) = 0.05 t, v_peak = 35 mV: matches solve_ivp within 1e-4 ms."""
    nb.run("import numpy as _np\ndef I_ramp_t(t):\n    return 0.05 * _np.asarray(t)")
    out = nb.eval("simulate(I=I_ramp_t, T=300.0, dt=0.01, v_peak=35.0)")
    ref = ref_spikes(lambda t: 0.05 * t, 300.0, v_peak=35.0)
    assert len(out.spikes) == len(ref) > 3 and np.max(np.abs(out.spikes - ref)) < 1e-4


def test_no_input_stays_at_rest(nb):
    """V0 = -70 mV, u = b V0 is the exact RS fixed point: with I = 0 nothing moves (closed form)."""
    out = nb.call("simulate", I=0.0, T=100.0, dt=0.05)
    assert len(out.spikes) == 0 and np.allclose(out.V, -70.0, atol=1e-9)
    assert np.allclose(out.u, -14.0, atol=1e-9)


def test_return_fields_and_grid(nb):
    """Fields t, V, u, spikes; grid 0..T in steps dt; u starts at b*V0."""
    out = nb.call("simulate", I=10.0, T=50.0, dt=0.025, b=0.25, V0=-64.0)
    assert len(out.t) == len(out.V) == len(out.u) == 2001
    assert out.t[0] == 0.0 and out.t[-1] == pytest.approx(50.0)
    assert out.V[0] == -64.0 and out.u[0] == pytest.approx(-16.0)
    assert np.all(np.isfinite(out.V)) and np.all(np.isfinite(out.u))


@pytest.mark.parametrize("kwargs, name", [
    (dict(dt=0.0), "dt"), (dict(dt=-0.1), "dt"), (dict(T=0.0), "T"), (dict(T=-5.0), "T"),
    (dict(dt=float("nan")), "dt"), (dict(a=float("inf")), "a"), (dict(b=float("nan")), "b"),
    (dict(c=float("nan")), "c"), (dict(d=float("inf")), "d"), (dict(V0=float("nan")), "V0"),
    (dict(v_peak=float("nan")), "v_peak"), (dict(I=float("nan")), "I"),
    (dict(dt=1.5), "dt"), (dict(dt=5.0, T=2.0), "dt"), (dict(c=35.0), "c"),
    (dict(V0=40.0), "V0"),
])
def test_bad_input_raises_value_error_naming_parameter(nb, kwargs, name):
    """Invalid values raise ValueError whose message names the parameter."""
    kind, msg = nb.raises("simulate", **kwargs)
    assert kind == "ValueError" and name in msg


def test_callable_returning_nonfinite_raises(nb):
    """A callable I giving inf -> ValueError naming I."""
    nb.run("def I_bad_t(t):\n    return float('inf') if t > 5 else 0.0")
    kind, msg = nb.eval_raises("simulate(I=I_bad_t, T=20.0)")
    assert kind == "ValueError" and "I" in msg


def test_runaway_raises_instead_of_nan(nb):
    """Panel-T-like parameters (a < 0, d < 0) run away: ValueError, never a NaN trace."""
    kind, msg = nb.raises("simulate", I=75.0, T=400.0, dt=0.01, a=-0.026, b=-1.0, c=-45.0,
                          d=-2.0, V0=-63.8)
    assert kind == "ValueError" and "runaway" in msg


def test_output_step_limit(nb):
    """dt up to 1 ms (the published code's coarsest step) is accepted, above it refused."""
    assert len(nb.call("simulate", I=10.0, T=20.0, dt=1.0).t) == 21
    kind, msg = nb.raises("simulate", I=10.0, T=20.0, dt=1.01)
    assert kind == "ValueError" and msg.startswith("dt")


@pytest.mark.parametrize("dt", [0.25, 0.5, 1.0])
def test_published_step_sizes_give_the_continuous_model(nb, dt):
    """Output steps of the published code (0.25, 0.5, 1 ms) are split into RK4 sub-steps inside
    the 1/(0.08 v_peak + 5) limit, so spike times still match solve_ivp (sub-step <= 0.135 ms:
    error well below 0.01 ms, as at dt = 0.1 above) and V is on the requested grid."""
    out = nb.call("simulate", I=10.0, T=300.0, dt=dt)
    ref = ref_spikes(10.0, 300.0)
    assert len(out.t) == len(out.V) == len(out.u) == round(300.0 / dt) + 1
    assert len(out.spikes) == len(ref) > 3
    assert np.max(np.abs(out.spikes - ref)) < 1e-2


def test_published_scheme_reproduces_phasic_spiking(nb):
    """2004 figure scheme, panel B (published protocol): exactly one spike after onset at 20 ms."""
    out = nb.eval("simulate_izhikevich_2004(GALLERY['B'].I, 200.0, 0.25, 0.02, 0.25, -65, 6, -64)")
    assert len(out.spikes) == 1 and out.spikes[0] > 20.0
