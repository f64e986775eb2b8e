"""simulate_cable (multi-compartment-neurons/01_cable_theory.ipynb) on cases of its own.

References, all computed here: the closed-form steady state and input resistance of a sealed
cable, Rall's series solution for a current step (Rallpack 1), NEURON's own cable solver
(same nseg and dt, run in this process) and a high-accuracy solve_ivp run of the
compartmental ODE system written independently in this file.
"""

import math
import os

import numpy as np
import pytest
from scipy.integrate import solve_ivp

NB = "multi-compartment-neurons/01_cable_theory.ipynb"
pytestmark = pytest.mark.notebook(NB)

os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")
from neuron import h  # noqa: E402

h.load_file("stdrun.hoc")


# ----------------------------------------------------------------------------- references
def constants(diam, R_m, R_a):
    """lambda [um], R_inf [MOhm] from lambda = sqrt(d Rm / 4 Ra), R_inf = 4 Ra lambda / (pi d^2)."""
    lam = math.sqrt(diam * 1e-4 * R_m / (4 * R_a)) * 1e4
    R_inf = 4 * R_a / (math.pi * (diam * 1e-4) ** 2) * lam * 1e-4 * 1e-6
    return lam, R_inf


def series_solution(t, x, I, L, diam, R_m, R_a, C_m, E_L, n_terms=4000):
    """Rall (1969) series for a current step into x = 0 of a sealed cable (nsuite's form)."""
    lam, R_inf = constants(diam, R_m, R_a)
    tau = R_m * C_m * 1e-3
    b, X, T = L / lam, (L - x) / lam, np.asarray(t) / tau
    k = np.arange(1, n_terms + 1)
    a = k * np.pi / b
    terms = ((-1.0) ** k * np.cos(a * X) / (1 + a * a))[None, :] * np.exp(-np.outer(T, 1 + a * a))
    u = np.cosh(X) / np.sinh(b) - 2 / b * (np.exp(-T) / 2 + terms.sum(axis=1))
    return np.where(T > 0, E_L + I * R_inf * u, E_L)


def neuron_run(I, T, dt, L, diam, R_m, R_a, C_m, E_L, nseg, secondorder, delay=0.0, dur=1e9,
               positions=(0.0, 1.0)):
    """NEURON: one section, pas, IClamp at cable(0); returns t and v at `positions`."""
    sec = h.Section(name="test_cable")
    sec.L, sec.diam, sec.nseg, sec.Ra, sec.cm = L, diam, nseg, R_a, C_m
    sec.insert("pas")
    for seg in sec:
        seg.pas.g, seg.pas.e = 1.0 / R_m, E_L
    stim = h.IClamp(sec(0.0))
    stim.delay, stim.dur, stim.amp = delay, dur, I
    t_vec = h.Vector().record(h._ref_t)
    v_vecs = [h.Vector().record(sec(p)._ref_v) for p in positions]
    saved = h.dt, h.steps_per_ms, h.secondorder     # NEURON globals: restore for other tests
    try:
        h.dt, h.steps_per_ms, h.secondorder = dt, 1.0 / dt, secondorder
        h.finitialize(E_L)
        h.continuerun(T)
    finally:
        h.dt, h.steps_per_ms, h.secondorder = saved
    return np.array(t_vec), [np.array(v) for v in v_vecs]


def compartment_odes(L, diam, R_m, R_a, C_m, E_L, nseg, I_of_t):
    """Right-hand side dV/dt of nseg compartments (centre nodes), current I(t) into the first one.

    Written from first principles: c = C_m * area, g_m = area / R_m, g_a = (pi d^2/4)/(R_a dx).
    Units nF, uS, mV, nA, ms.
    """
    dx = L / nseg
    area = math.pi * diam * dx * 1e-8
    c, g_m = C_m * area * 1e3, area / R_m * 1e6
    g_a = math.pi * (diam * 1e-4) ** 2 / 4 / (R_a * dx * 1e-4) * 1e6

    def rhs(t, V):
        axial = np.zeros_like(V)
        axial[:-1] += g_a * (V[1:] - V[:-1])
        axial[1:] += g_a * (V[:-1] - V[1:])
        axial[0] += I_of_t(t)
        return (-g_m * (V - E_L) + axial) / c

    return rhs, g_a


def ends(nb, expr):
    """Evaluate simulate_cable(...) in the kernel and bring back t, x and the end columns only."""
    return nb.eval(f"(lambda r: (r.t, r.x, r.V[:, 0], r.V[:, 1], r.V[:, -1]))({expr})")


# ----------------------------------------------------------------------------- tests
def test_fields_shapes_and_grid(nb):
    """Contract: t = 0, dt, ... covering [0, T]; x = 0, centres, L; V rows start at E_L."""
    out = nb.call("simulate_cable", I=0.05, T=1.0, dt=0.3, L=200.0, nseg=4, E_L=-70.0)
    assert np.allclose(out.t, [0.0, 0.3, 0.6, 0.9, 1.2])
    assert np.allclose(out.x, [0.0, 25.0, 75.0, 125.0, 175.0, 200.0])
    assert out.V.shape == (5, 6)
    assert np.all(out.V[0] == -70.0)
    assert np.all(np.isfinite(out.V)) and np.all(out.V[1:, 0] > -70.0)


@pytest.mark.parametrize("L, diam, R_m, R_a, I", [
    (300.0, 1.0, 40000.0, 100.0, 0.1),     # L/lambda = 0.3, compact cable
    (1500.0, 2.0, 20000.0, 150.0, -0.2),   # L/lambda ~ 1.3, hyperpolarising current
    (2000.0, 0.5, 30000.0, 70.0, 0.03),    # L/lambda ~ 2.1
])
def test_steady_state_and_input_resistance_match_closed_form(nb, L, diam, R_m, R_a, I):
    """Against V(x) = E_L + I R_inf cosh((L-x)/lam)/sinh(L/lam) and R_in = R_inf coth(L/lam).

    C_m = 0.1 uF/cm2 makes tau_m short so that T = 20 tau_m reaches steady state (slowest mode
    e^-20); backward Euler's fixed point is the discrete steady state. Tolerance 1e-3 of the
    deflection: the spatial error is O((dx/lam)^2) ~ (L/lam/300)^2 < 1e-4.
    """
    C_m, E_L, nseg = 0.1, -60.0, 300
    tau = R_m * C_m * 1e-3
    out = nb.call("simulate_cable", I=I, T=20 * tau, dt=tau / 20, L=L, diam=diam, R_m=R_m,
                  R_a=R_a, C_m=C_m, E_L=E_L, nseg=nseg, method="be")
    lam, R_inf = constants(diam, R_m, R_a)
    exact = E_L + I * R_inf * np.cosh((L - out.x) / lam) / np.sinh(L / lam)
    deflection = abs(exact[0] - E_L)
    assert np.abs(out.V[-1] - exact).max() < 1e-3 * deflection
    R_in = (out.V[-1, 0] - E_L) / I
    assert R_in == pytest.approx(R_inf / np.tanh(L / lam), rel=1e-3)


def test_rallpack1_defaults_match_series_solution(nb):
    """Rallpack 1 (defaults) against Rall's series: RMS over time / max deflection < 0.1 %."""
    t, x, v0, _, vL = ends(nb, "simulate_cable()")
    assert x[0] == 0.0 and x[-1] == 1000.0 and len(x) == 1002
    for v, pos in ((v0, 0.0), (vL, 1000.0)):
        ref = series_solution(t, pos, 0.1, 1000.0, 1.0, 40000.0, 100.0, 1.0, -65.0)
        rms = np.sqrt(np.mean((v - ref) ** 2)) / np.abs(ref + 65.0).max()
        assert rms < 1e-3


def test_other_cable_time_course_matches_series_solution(nb):
    """A different cable (L/lambda = 1.5, E_L = -70) against the series, backward Euler.

    Tolerance: 0.1 % RMS of the deflection (BE's O(dt) error with dt = 0.025 ms is ~0.02 %).
    """
    p = dict(I=0.2, L=1500.0, diam=1.0, R_m=40000.0, R_a=100.0, C_m=0.5, E_L=-70.0)
    t, x, v0, _, vL = ends(nb, f"simulate_cable(T=60.0, dt=0.025, nseg=600, method='be', **{p!r})")
    for v, pos in ((v0, 0.0), (vL, 1500.0)):
        ref = series_solution(t, pos, p["I"], p["L"], p["diam"], p["R_m"], p["R_a"], p["C_m"], p["E_L"])
        assert np.sqrt(np.mean((v - ref) ** 2)) / np.abs(ref - p["E_L"]).max() < 1e-3


@pytest.mark.parametrize("method, secondorder", [("be", 0), ("cn", 2)])
def test_matches_neuron_on_a_different_cable(nb, method, secondorder):
    """Same discretisation and scheme as NEURON: agreement to rounding error (1e-6 mV).

    For CN, NEURON's zero-area node v(0) alternates by +-I/(2 g_a) (it extrapolates that node
    too), so x = 0 is compared through the first segment centre and the algebraic relation.
    """
    p = dict(I=0.05, L=600.0, diam=2.0, R_m=20000.0, R_a=150.0, C_m=0.8, E_L=-70.0)
    nseg, dt, T = 51, 0.025, 40.0
    t, x, v0, v1, vL = ends(nb, f"simulate_cable(T={T}, dt={dt}, nseg={nseg}, method={method!r}, **{p!r})")
    t_n, (n0, n1, nL) = neuron_run(p["I"], T, dt, p["L"], p["diam"], p["R_m"], p["R_a"], p["C_m"],
                                   p["E_L"], nseg, secondorder, positions=(0.0, 0.5 / nseg, 1.0))
    assert len(t_n) == len(t) and np.allclose(t_n, t)
    assert np.abs(v1 - n1).max() < 1e-6
    assert np.abs(vL - nL).max() < 1e-6
    if method == "be":
        assert np.abs(v0 - n0).max() < 1e-6


@pytest.mark.parametrize("method, secondorder", [("be", 0), ("cn", 2)])
def test_single_segment_matches_neuron(nb, method, secondorder):
    """nseg = 1 (one compartment, two zero-area ends), as NEURON allows: same voltages at the
    segment centre and the far end to rounding error."""
    p = dict(I=-0.2, L=200.0, diam=2.0, R_m=15000.0, R_a=120.0, C_m=1.0, E_L=-68.0)
    t, x, v0, v1, vL = ends(nb, f"simulate_cable(T=20.0, dt=0.025, nseg=1, method={method!r}, **{p!r})")
    t_n, (n1, nL) = neuron_run(p["I"], 20.0, 0.025, p["L"], p["diam"], p["R_m"], p["R_a"], p["C_m"],
                               p["E_L"], 1, secondorder, positions=(0.5, 1.0))
    assert len(t_n) == len(t)
    assert np.abs(v1 - n1).max() < 1e-6 and np.abs(vL - nL).max() < 1e-6


@pytest.mark.parametrize("method, secondorder", [("be", 0), ("cn", 2)])
def test_pulse_current_callable_matches_neuron_iclamp(nb, method, secondorder):
    """A scalar-only callable I(t) (a pulse) against NEURON's IClamp with delay/dur.

    Both sample the current at step midpoints, so the pulse edges fall on the same steps and
    the runs agree to rounding error (1e-6 mV).
    """
    nb.run("def _test_pulse(t):\n    return 0.15 if 5.0 <= t < 25.0 else 0.0")
    t, x, v0, v1, vL = ends(nb, f"simulate_cable(I=_test_pulse, T=50.0, dt=0.05, nseg=100, method={method!r})")
    _, (n1, nL) = neuron_run(0.15, 50.0, 0.05, 1000.0, 1.0, 40000.0, 100.0, 1.0, -65.0, 100, secondorder,
                             delay=5.0, dur=20.0, positions=(0.005, 1.0))
    assert np.abs(v1 - n1).max() < 1e-6 and np.abs(vL - nL).max() < 1e-6
    assert vL[-1] < vL[int(25.0 / 0.05)]          # decays after the pulse


def test_sinusoidal_current_matches_solve_ivp(nb):
    """Vectorised callable I(t) = 0.1 sin(2 pi t / 10): CN against Radau (rtol 1e-10) on the same
    20-compartment ODE system. CN with dt = 0.01 ms has error O(dt^2): tolerance 1e-3 mV."""
    p = dict(L=800.0, diam=1.5, R_m=25000.0, R_a=120.0, C_m=1.0, E_L=-65.0)
    nseg, T, dt = 20, 30.0, 0.01
    nb.run("_test_sine = lambda t: 0.1 * np.sin(2 * np.pi * np.asarray(t) / 10.0)")
    t, x, v0, v1, vL = ends(nb, f"simulate_cable(I=_test_sine, T={T}, dt={dt}, nseg={nseg}, **{p!r})")
    rhs, g_a = compartment_odes(nseg=nseg, I_of_t=lambda s: 0.1 * np.sin(2 * np.pi * s / 10.0), **p)
    sol = solve_ivp(rhs, (0, T), np.full(nseg, -65.0), method="Radau", t_eval=t, rtol=1e-10, atol=1e-10)
    assert sol.success
    assert np.abs(v1 - sol.y[0]).max() < 1e-3
    assert np.abs(vL - sol.y[-1]).max() < 1e-3
    # x = 0 node: first centre + I/(2 g_a) with I of the last step (midpoint) -> O(dt) in I
    I_mid = 0.1 * np.sin(2 * np.pi * (t[1:] - dt / 2) / 10.0)
    assert np.abs(v0[1:] - (sol.y[0, 1:] + I_mid / (2 * g_a))).max() < 1e-3


def test_constant_callable_equals_constant_number(nb):
    """I=lambda t: 0.1 (returns a scalar for any input) gives exactly the run with I=0.1."""
    nb.run("_test_const = lambda t: 0.1")
    a = ends(nb, "simulate_cable(I=_test_const, T=10.0, nseg=50)")
    b = ends(nb, "simulate_cable(I=0.1, T=10.0, nseg=50)")
    for u, v in zip(a, b):
        assert np.array_equal(u, v)


@pytest.mark.parametrize("kwargs, name", [
    (dict(dt=0.0), "dt"), (dict(dt=-0.05), "dt"), (dict(T=0.0), "T"), (dict(T=-1.0), "T"),
    (dict(dt=float("nan")), "dt"), (dict(T=float("inf")), "T"), (dict(I=float("nan")), "I"),
    (dict(L=float("nan")), "L"), (dict(diam=-1.0), "diam"), (dict(R_m=0.0), "R_m"),
    (dict(R_a=-100.0), "R_a"), (dict(C_m=-1.0), "C_m"), (dict(E_L=float("inf")), "E_L"),
    (dict(nseg=0), "nseg"), (dict(nseg=2.5), "nseg"), (dict(T=1.0, dt=2.0), "dt"),
    (dict(dt=10.0), "dt"),                      # above the tau_m/10 = 4 ms accuracy limit
    (dict(method="rk4"), "method"),
])
def test_bad_input_raises_value_error_naming_the_parameter(nb, kwargs, name):
    """ValueError whose message names the offending parameter."""
    kind, msg = nb.raises("simulate_cable", **{"T": 10.0, **kwargs})
    assert kind == "ValueError" and name in msg


def test_callable_returning_nan_raises(nb):
    """A callable I(t) that returns NaN after 1 ms -> ValueError naming I."""
    nb.run("_test_bad = lambda t: float('nan') if t > 1.0 else 0.1")
    kind, msg = nb.eval_raises("simulate_cable(I=_test_bad, T=2.0, nseg=10)")
    assert kind == "ValueError" and "I" in msg


def test_overflow_raises_instead_of_nan(nb):
    """A current so large that V overflows float64 -> ValueError naming I, never NaN/inf."""
    kind, msg = nb.raises("simulate_cable", I=1e307, T=1.0, nseg=10)
    assert kind == "ValueError" and "I" in msg
