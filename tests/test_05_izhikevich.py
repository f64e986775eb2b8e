"""Tests of point-neurons/05_izhikevich.ipynb against references computed here, not in the notebook.

References:
* scipy's solve_ivp (DOP853, rtol = atol = 1e-10) with a terminal event at v = v_peak,
  restarted after each reset (tests/references.py);
* closed forms: the equilibria of the model, the Jacobian's trace and determinant there;
* an independent transcription of the published MATLAB figure code (izhi2003.m of ModelDB
  39948, whose second section is figure1.m of Izhikevich 2004): tests/izhikevich_2004_reference.py.

Tolerances come from the errors measured for the notebook's integrator against solve_ivp: RK4
with the spike time found at the cut-off converges with order 3.5-3.7 (max spike-time error
1.1e-4, 9.5e-6 and 7.2e-7 ms at dt = 0.04, 0.02 and 0.01 ms on CASES below); each tolerance is
about three times the error measured for its case, so a first- or second-order defect (a spike
read off the grid, a wrong RK4 weight) fails it.  Bad input (types, domains, current
callables) is checked for every notebook by tests/test_contract.py; here only what the table
cannot express (relations between parameters) and the hostile cases reported for this notebook.
"""
import math

import nbformat
import numpy as np
import pytest

from conftest import ROOT
from contract import BAD_CURRENTS, OPEN, Contract
from izhikevich_2004_reference import PANELS, run_panel
from references import current, spike_times

NB = "point-neurons/05_izhikevich.ipynb"
pytestmark = pytest.mark.notebook(NB)

COLAB_NEEDS = set()  # what its Colab setup cell installs (tests/test_colab_setup.py)
CONTRACTS = [  # its rows of the contract table (the fields: tests/contract.py)
    Contract(
        NB, "simulate", ("I", "mV/ms"),
        "IzhikevichResult", ("t", "V", "u", "spikes"),
        example=dict(I=10.0, T=50.0, dt=0.1),
        shapes={"V": ("t",), "u": ("t",)},
        # c and V0 must also lie below v_peak, and dt <= T (tests/test_05_izhikevich.py)
        domain=dict(I=(-100.0, 100.0), T=((OPEN, 0.0), 1e6), dt=((OPEN, 0.0), 1.0),
                    a=(-1.0, 1.0), b=(-1.5, 1.5), c=(-100.0, 30.0), d=(-50.0, 50.0),
                    v_peak=(0.0, 100.0), V0=(-100.0, 30.0)),
        valid=dict(I=(-10.0, 40.0), T=(1.0, 200.0), dt=(0.01, 1.0), a=(0.01, 0.2),
                   b=(-0.2, 0.3), c=(-70.0, -45.0), d=(0.0, 10.0), v_peak=(25.0, 40.0),
                   V0=(-75.0, -60.0)),
        bad_first=BAD_CURRENTS,
    ),
]


def ref_spikes(I, T, a=0.02, b=0.2, c=-65.0, d=8.0, v_peak=30.0, V0=-70.0, breaks=(), u0=None):
    """Spike times of the Izhikevich (2003) model from solve_ivp with a v_peak event."""
    f = current(I)

    def rhs(t, y):
        return [0.04 * y[0] ** 2 + 5 * y[0] + 140 - y[1] + f(t), a * (b * y[0] - y[1])]

    y0 = [V0, b * V0 if u0 is None else u0]
    return spike_times(rhs, y0, T, v_peak, lambda y: [c, y[1] + d], breaks=breaks)


CASES = [  # (I, a, b, c, d) : RS at three currents, the 2003 classes with constant input
    (5.0, 0.02, 0.2, -65.0, 8.0), (10.0, 0.02, 0.2, -65.0, 8.0), (25.0, 0.02, 0.2, -65.0, 8.0),
    (10.0, 0.02, 0.2, -55.0, 4.0), (10.0, 0.02, 0.2, -50.0, 2.0), (10.0, 0.1, 0.2, -65.0, 2.0),
    (10.0, 0.02, 0.25, -65.0, 2.0), (3.0, 0.02, 0.25, -65.0, 0.05), (0.5, 0.1, 0.26, -65.0, 2.0),
]


# ----------------------------------------------------------------------------- simulate

@pytest.mark.parametrize("I, a, b, c, d", CASES)
def test_spike_times_match_solve_ivp(nb, I, a, b, c, d):
    """Constant current, 300 ms, dt = 0.02 ms: same count, times within 3e-5 ms of solve_ivp
    (measured worst case over CASES 9.5e-6 ms)."""
    out = nb.call("simulate", I, T=300.0, dt=0.02, a=a, b=b, c=c, d=d)
    ref = ref_spikes(I, 300.0, a, b, c, d)
    assert len(out.spikes) == len(ref)
    if len(ref):
        assert np.max(np.abs(out.spikes - ref)) < 3e-5


def test_coarse_step_inside_limit_still_accurate(nb):
    """dt = 0.1 ms (inside the 0.135 ms limit), chattering for 400 ms: counts equal, times
    within 5e-3 ms of solve_ivp (measured 1.7e-3 ms over 50 spikes)."""
    out = nb.call("simulate", 14.0, T=400.0, dt=0.1, c=-50.0, d=2.0)
    ref = ref_spikes(14.0, 400.0, c=-50.0, d=2.0)
    assert len(out.spikes) == len(ref) > 10
    assert np.max(np.abs(out.spikes - ref)) < 5e-3


def test_callable_pulse_scalar_function(nb):
    """Non-vectorised pulse switching on grid points: counts equal, times within 1e-6 ms of
    solve_ivp (measured 8e-9 ms at dt = 0.01)."""
    nb.run("def I_pulse_t(t):\n    return 12.0 if 20.0 <= t < 120.0 else 0.0")
    out = nb.eval("simulate(I_pulse_t, T=200.0, dt=0.01, V0=-65.0)")
    ref = ref_spikes(lambda t: 12.0 if 20.0 <= t < 120.0 else 0.0, 200.0, V0=-65.0,
                     breaks=[20.0, 120.0])
    assert len(out.spikes) == len(ref) > 2 and np.max(np.abs(out.spikes - ref)) < 1e-6
    assert np.all((out.spikes > 20.0) & (out.spikes < 125.0))


def test_callable_vectorised_ramp_and_other_v_peak(nb):
    """Vectorised ramp I(t) = 0.05 t, v_peak = 35 mV: within 1e-6 ms of solve_ivp (measured
    2e-8 ms)."""
    nb.run("import numpy as _np\ndef I_ramp_t(t):\n    return 0.05 * _np.asarray(t)")
    out = nb.eval("simulate(I_ramp_t, T=300.0, dt=0.01, v_peak=35.0)")
    ref = ref_spikes(lambda t: 0.05 * t, 300.0, v_peak=35.0)
    assert len(out.spikes) == len(ref) > 3 and np.max(np.abs(out.spikes - ref)) < 1e-6


def test_no_input_stays_at_rest(nb):
    """V0 = -70 mV, u = b V0 is the exact RS equilibrium (closed form: roots of
    0.04 v^2 + 4.8 v + 140): with I = 0 nothing moves."""
    assert sorted(np.roots([0.04, 4.8, 140.0]).real)[0] == pytest.approx(-70.0)
    out = nb.call("simulate", 0.0, T=100.0, dt=0.05)
    assert len(out.spikes) == 0 and np.allclose(out.V, -70.0, atol=1e-9)
    assert np.allclose(out.u, -14.0, atol=1e-9)


def test_return_fields_and_grid(nb):
    """Fields t, V, u, spikes; grid 0..T in steps dt; u starts at b*V0."""
    out = nb.call("simulate", 10.0, T=50.0, dt=0.025, b=0.25, V0=-64.0)
    assert len(out.t) == len(out.V) == len(out.u) == 2001
    assert out.t[0] == 0.0 and out.t[-1] == pytest.approx(50.0)
    assert out.V[0] == -64.0 and out.u[0] == pytest.approx(-16.0)


@pytest.mark.parametrize("dt", [0.25, 0.5, 1.0])
def test_published_step_sizes_give_the_continuous_model(nb, dt):
    """Output steps of the published code (0.25, 0.5, 1 ms) are split into RK4 sub-steps of
    0.125 ms, inside the limit, so spike times match solve_ivp within 2e-3 ms (measured 5.0e-4
    ms) and V is on the requested grid."""
    out = nb.call("simulate", 10.0, T=300.0, dt=dt)
    ref = ref_spikes(10.0, 300.0)
    assert len(out.t) == len(out.V) == len(out.u) == round(300.0 / dt) + 1
    assert len(out.spikes) == len(ref) > 3
    assert np.max(np.abs(out.spikes - ref)) < 2e-3


def test_runaway_raises_instead_of_nan(nb):
    """Panel-T-like parameters (a < 0, d < 0) run away: ValueError, never a NaN trace."""
    kind, msg = nb.raises("simulate", 75.0, T=400.0, dt=0.01, a=-0.026, b=-1.0, c=-45.0,
                          d=-2.0, V0=-63.8)
    assert kind == "ValueError" and msg.startswith("runaway")


# ----------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("kwargs, name", [
    (dict(dt=5.0, T=2.0), "dt"),          # dt > T
    (dict(c=30.0), "c"), (dict(c=36.0, v_peak=35.0), "c"),        # c must be below v_peak
    (dict(V0=30.0), "V0"), (dict(V0=50.0, v_peak=50.0), "V0"),    # V0 must be below v_peak
])
def test_relations_between_parameters_are_refused_naming_the_parameter(nb, kwargs, name):
    """Ranges that depend on another parameter (not expressible in tests/contract.py)."""
    kind, msg = nb.raises("simulate", 10.0, **kwargs)
    assert kind == "ValueError" and msg.split()[0] == name, msg


@pytest.mark.parametrize("call, name", [
    ("simulate(10.0, a=1e6)", "a"),                     # grew 4.7 GB before a MemoryError
    ("simulate(-1e6)", "I"),                            # returned 19,996 spikes
    ("simulate(10.0, T=True)", "T"),
    ("simulate(10.0, dt=5e-324)", "dt"),                # T/dt overflowed
    ("simulate(10.0, T=1e300, dt=1e-10)", "T"),
    ("simulate(10.0, T=1e6, dt=1e-3)", "dt"),           # 1e9 steps: refused, not started
    ("simulate(lambda t: np.ones(3))", "I"),            # a callable returning arrays
    ("simulate(lambda t: np.full(np.shape(t), 1e9))", "I"),   # outside +-100 mV/ms
])
def test_hostile_cases_of_this_notebook_are_refused_quickly(nb, call, name):
    """Each case gives a ValueError naming the parameter within 2 s, allocating less than
    200 MB on the way (traced in the kernel by tools/kernel_side/contract.py)."""
    nb.run_file("contract.py")
    nb.run("import numpy as np")
    outcome, detail, seconds, peak = nb.eval(f"_nb_bounded({call!r})")
    assert outcome == "ValueError" and detail.split()[0] == name, (outcome, detail)
    assert seconds < 2.0 and peak < 2e8


# ----------------------------------------------------------------------------- bifurcations

def test_saddle_node_and_hopf_currents_of_the_notebook_agree_with_closed_forms(nb):
    """The notebook's I_SN and I_H for RS equal the closed forms (equilibria merge where the
    discriminant of 0.04 v^2 + (5 - b) v + 140 + I vanishes; the Jacobian's trace
    0.08 v + 5 - a vanishes at v_H) to 1e-9, and I_H < I_SN because b > a."""
    a, b = 0.02, 0.2
    I_SN = (5 - b) ** 2 / 0.16 - 140
    v_H = (a - 5) / 0.08
    I_H = -(0.04 * v_H ** 2 + (5 - b) * v_H + 140)
    assert nb.eval("I_SN_RS") == pytest.approx(I_SN, abs=1e-9)
    assert nb.eval("I_H_RS") == pytest.approx(I_H, abs=1e-9)
    assert I_H == pytest.approx(3.7975, abs=1e-9) and I_H < I_SN == pytest.approx(4.0)


@pytest.mark.parametrize("offset, fires", [(-0.005, False), (+0.005, True)])
def test_simulate_loses_rest_at_the_hopf_current_not_at_the_saddle_node(nb, offset, fires):
    """Started 0.1 mV above the equilibrium of its own current, RS stays at rest for 3 s just
    below I_H and fires just above it (both below I_SN = 4); solve_ivp agrees on the count."""
    I = 3.7975 + offset
    v_rest = min(np.roots([0.04, 4.8, 140.0 + I]).real)
    out = nb.call("simulate", I, T=3000.0, dt=0.1, V0=v_rest + 0.1)
    ref = ref_spikes(I, 3000.0, V0=v_rest + 0.1)
    assert (len(out.spikes) > 0) is fires and len(out.spikes) == len(ref)


def test_repetitive_firing_coexists_with_rest_below_the_hopf_current(nb):
    """Subcritical: at I = 3.78 < I_H a step from the I = 0 rest fires repetitively (as
    solve_ivp does), while a start at the I = 3.78 rest stays there."""
    from_zero = nb.call("simulate", 3.78, T=2000.0, dt=0.1)
    v_rest = min(np.roots([0.04, 4.8, 143.78]).real)
    from_own = nb.call("simulate", 3.78, T=2000.0, dt=0.1, V0=v_rest + 0.1)
    assert len(from_zero.spikes) == len(ref_spikes(3.78, 2000.0)) > 5
    assert len(from_own.spikes) == 0


# ----------------------------------------------------------------------------- panel P

def test_panel_p_is_bistable_in_the_continuous_model():
    """Reference only (solve_ivp): at I = 0.24 a stable focus (both eigenvalues' real parts
    negative) and a periodic firing orbit coexist; a 5 ms pulse of 1.24 at 206.5 ms silences
    the firing for good (no spike up to 1000 ms), the published 216 ms does not."""
    a, b, c, d, V0 = 0.1, 0.26, -60.0, 0.0, -61.0
    v_rest = min(np.roots([0.04, 5 - b, 140.24]).real)
    assert v_rest == pytest.approx(-61.386, abs=1e-3)
    assert max(np.linalg.eigvals([[0.08 * v_rest + 5, -1.0], [a * b, -a]]).real) < 0

    def protocol(*onsets):
        return lambda t: 1.24 if any(s < t < s + 5 for s in onsets) else 0.24

    assert len(ref_spikes(0.24, 1000.0, a, b, c, d, V0=V0)) == 0
    firing = ref_spikes(protocol(37.5), 1000.0, a, b, c, d, V0=V0, breaks=[37.5, 42.5])
    assert len(firing) > 20 and np.ptp(np.diff(firing)[5:]) < 1e-6
    stopped = ref_spikes(protocol(37.5, 206.5), 1000.0, a, b, c, d, V0=V0,
                         breaks=[37.5, 42.5, 206.5, 211.5])
    assert 3 <= len(stopped) and stopped[-1] < 206.5
    published = ref_spikes(protocol(37.5, 216.0), 1000.0, a, b, c, d, V0=V0,
                           breaks=[37.5, 42.5, 216.0, 221.0])
    assert published[-1] > 900.0


def test_notebook_stop_window_matches_the_reference(nb):
    """The window of stop-pulse onsets the notebook prints (continuous model) contains 206.5 ms
    and not 216 ms, as the reference test above shows; the published scheme's contains 216."""
    stop_cont, stop_paper = nb.eval("(stop_cont, stop_paper)")
    assert 206.5 in stop_cont and 216.0 not in stop_cont and 216.0 in stop_paper


# ----------------------------------------------------------------------------- published code

@pytest.mark.parametrize("key", list(PANELS))
def test_published_scheme_reproduces_the_published_matlab_code(nb, key):
    """simulate_izhikevich_2004 on the notebook's protocol (CELL_CLASSES / GALLERY) against the
    transcription of izhi2003.m / figure1.m: the same number of spikes, every spike time equal
    (the notebook stores a step's result at the end of the step, the figure at its start: an
    offset of exactly tau), and the voltage trace VV equal to 1e-9 mV."""
    protocols = "CELL_CLASSES" if key in nb.eval("list(CELL_CLASSES)") else "GALLERY"
    out = nb.eval(f"run_protocol({protocols}[{key!r}], 'paper')[0]")
    tau = PANELS[key][5]
    tspan, VV, spikes = run_panel(key)
    assert len(out.spikes) == len(spikes), (len(out.spikes), len(spikes))
    assert np.allclose(out.spikes, spikes + tau, rtol=0, atol=1e-9)
    assert np.allclose(out.t[1:], tspan + tau, rtol=0, atol=1e-9)
    assert np.max(np.abs(out.V[1:] - VV)) <= 1e-9


def test_transcription_shows_the_published_features():
    """The transcription itself, against the paper's figure: (B) one spike, (K) one spike after
    the second pulse of the 40-ms pair, (Q) one spike, (T) at least two bursts; these are the
    panels that distinguish a faithful copy of the scheme from the continuous model."""
    assert len(run_panel("B")[2]) == 1
    k = run_panel("K")[2]
    assert len(k) == 1 and k[0] > 320
    assert len(run_panel("Q")[2]) == 1
    t = run_panel("T")[2]
    assert len(t) >= 4 and np.all((t > 50) & (t < 260))


# ----------------------------------------------------------------------------- forward Euler

def test_forward_euler_is_first_order_and_loses_spikes_at_half_a_millisecond(nb):
    """euler_izhikevich on RS at I = 10 for 300 ms against solve_ivp: 7 instead of 8 spikes at
    dt = 0.5 ms; max spike-time error with slope 1 (0.9-1.1) over dt = 0.1, 0.01, 0.001 ms."""
    ref = ref_spikes(10.0, 300.0)
    assert len(nb.call("euler_izhikevich", 10.0, 300.0, 0.5)[0]) == len(ref) - 1
    errs = []
    for dt in (0.1, 0.01, 0.001):
        s = nb.call("euler_izhikevich", 10.0, 300.0, dt)[0]
        assert len(s) == len(ref)
        errs.append(np.max(np.abs(s - ref)))
    order = np.polyfit(np.log10([0.1, 0.01, 0.001]), np.log10(errs), 1)[0]
    assert 0.9 < order < 1.1


# ----------------------------------------------------------------------------- exercises

WRONG_ANSWERS = {  # expressions evaluated in the kernel
    "check_rest_lost_current": ["...", "'2.25'", "True", "22.5625", "2.16", "2.0", "2.26",
                                  "float('nan')"],
    "check_hopf_current": ["...", "1.015625", "3.7975", "0.6", "0.7", "None"],
    "check_euler_step": ["...", "0.01", "0.0025", "0.001", "0.3", "1.0"],
    "check_stop_pulse": ["...", "90.0", "150.0", "120.0", "140.0"],
}


@pytest.mark.parametrize("checker, answer", [(k, v) for k, vs in WRONG_ANSWERS.items()
                                             for v in vs])
def test_every_checker_rejects_a_wrong_answer(nb, checker, answer):
    """Each exercise checker prints 'Not yet' for a wrong answer (the stub's ..., a wrong type,
    a neighbouring value, the answer of the other bifurcation)."""
    text = nb.run(f"{checker}({answer})")
    assert text.startswith("Not yet"), text


@pytest.mark.parametrize("checker, answer", [
    ("check_rest_lost_current", 2.25),          # (4.1 + 0.1)^2 / 0.16 - 108
    ("check_hopf_current", -(0.04 * 62.25 ** 2 - 4.75 * 62.25 + 140)),   # v_H = -62.25 mV
])
def test_checkers_accept_the_closed_form_answers(nb, checker, answer):
    """The bifurcation checkers (which find the answer numerically) accept the closed forms."""
    assert nb.run(f"{checker}({answer!r})").startswith("Correct")


# ----------------------------------------------------------------------------- model cells

def test_model_cells_run_on_their_own_and_display_nothing(capsys):
    """The cells tagged "model" run in a fresh namespace, in order, print nothing, and define a
    working simulate and DEFAULTS (what the capstone notebook loads)."""
    nb = nbformat.read(ROOT / NB, as_version=4)
    cells = [c.source for c in nb.cells if "model" in c.metadata.get("tags", [])]
    assert len(cells) >= 5
    namespace = {}
    for source in cells:
        exec(compile(source, "<model cell>", "exec"), namespace)
    assert capsys.readouterr().out == ""
    out = namespace["simulate"](10.0, T=100.0, dt=0.05)
    assert type(out).__name__ == "IzhikevichResult" and len(out.spikes) == len(ref_spikes(10.0, 100.0))
    assert namespace["DEFAULTS"] == dict(T=200.0, dt=0.01, a=0.02, b=0.2, c=-65.0, d=8.0,
                                         v_peak=30.0, V0=-70.0)
    assert math.isclose(namespace["dt_limit"](), 1 / 7.4)
