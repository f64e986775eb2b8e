"""simulate_axon (multi-compartment-neurons/05_axons_and_propagation.ipynb) on cases of its own.

References, all computed here, independently of the notebook's code:
* NEURON's built-in ``hh`` on the same axons, run in this process: one section for a bare axon, or
  node and internode sections (``pas`` internodes, per-internode values) connected end to end,
  with ``usetable_hh = 0``, ``secondorder = 0``, the same nseg, dt and celsius, an IClamp at x = 0
  and ``finitialize`` at the resting potential, which is computed here from the hh rates;
* the scaling law of the cable equation: an axon scaled by d in diameter and sqrt(d) in length
  (same nseg, current scaled by d^1.5) is the same discrete system, so the velocity exponent is
  0.5 to rounding; on a fixed grid it is 0.5 +- 0.02 (the notebook's guarantee);
* Rushton's law for geometrically similar myelinated fibres (exponent 1 +- 0.02);
* the myelin geometry rules of the docstring (named ValueErrors).
Generic bad input is covered by tests/test_contract.py and tests/test_hostile_input.py; here are
the myelin dict, a few regressions, the soma-AIS initiation and the exercise checkers' wrong answers.

Tolerances: simulate_axon and NEURON solve the same discrete equations with the same scheme, so they
differ by rounding only (measured: |dV| <= 2e-8 mV, spike times <= 2e-10 ms). We require 1e-6 mV,
1e-6 ms and 1e-6 relative in velocity: far above rounding, far below what any change of scheme
causes (a current sampled at t instead of t + dt/2, unstaggered gates, NEURON's 1-mV rate tables:
1e-4 ms and more).
"""

import math
import os

import numpy as np
import pytest
from scipy.optimize import brentq

from contract import BAD_CURRENTS, OPEN, Contract

NB = "multi-compartment-neurons/05_axons_and_propagation.ipynb"
pytestmark = pytest.mark.notebook(NB)

COLAB_NEEDS = {"neuron"}  # what its Colab setup cell installs (tests/test_colab_setup.py)
CONTRACTS = [  # its rows of the contract table (the fields: tests/contract.py)
    Contract(
        NB, "simulate_axon", ("I", "nA"),
        "AxonResult", ("t", "x", "V", "spike_times", "velocity"),
        example=dict(I=0.5, T=8.0, dt=0.025, nseg=100),
        shapes={"V": ("t", "x"), "spike_times": ("x",)},
        # dt: (0, min(T, 0.1 / max(1, phi))] ms with phi = 3 ** ((celsius - 6.3) / 10): (0, 0.1] ms at
        # the default 6.3 degC. myelin (a dict) is checked in the notebook's own test file.
        domain=dict(I=(-1e5, 1e5), T=((OPEN, 0.0), 1e6), dt=((OPEN, 0.0), 0.1), L=((OPEN, 0.0), 1e6),
                    diam=((OPEN, 0.0), 1e4), R_a=((OPEN, 0.0), 1e5), C_m=((OPEN, 0.0), 100.0),
                    celsius=(0.0, 45.0), nseg=(4, 1e6)),
        # Every combination conducts to both ends within T (so every spike time is finite): the
        # slowest corner (d = 0.8 um, R_a = 60, C_m = 1.2, 5 degC, L = 1.5 mm) arrives before 10 ms.
        valid=dict(I=(0.4, 1.0), T=(10.0, 14.0), dt=(0.01, 0.025), L=(1000.0, 1500.0), diam=(0.8, 1.5),
                   R_a=(30.0, 60.0), C_m=(0.8, 1.2), celsius=(5.0, 15.0)),
        bad_first=BAD_CURRENTS + ("1e6", "-2e5", "lambda t: 1e6"),
    ),
]

os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")
from neuron import h  # noqa: E402

h.load_file("stdrun.hoc")

V_TOL, SPIKE_TOL, VELOCITY_RTOL = 1e-6, 1e-6, 1e-6      # mV, ms, relative (see the docstring)


# ----------------------------------------------------------------------------- references
def _vtrap(x, y):
    return y * (1 - x / y / 2) if abs(x / y) < 1e-6 else x / (math.exp(x / y) - 1)


def _steady_current(V):
    """hh's membrane current [uA/cm2] with the gates at steady state (hh.mod's rates, by hand)."""
    a_m, b_m = 0.1 * _vtrap(-(V + 40), 10), 4 * math.exp(-(V + 65) / 18)
    a_h, b_h = 0.07 * math.exp(-(V + 65) / 20), 1 / (math.exp(-(V + 35) / 10) + 1)
    a_n, b_n = 0.01 * _vtrap(-(V + 55), 10), 0.125 * math.exp(-(V + 65) / 80)
    m, hh, n = a_m / (a_m + b_m), a_h / (a_h + b_h), a_n / (a_n + b_n)
    return 120 * m**3 * hh * (V - 50) + 36 * n**4 * (V + 77) + 0.3 * (V + 54.3)


V_REST = brentq(_steady_current, -70.0, -60.0, xtol=1e-12)
SPIKE_THRESHOLD = V_REST + 40.0        # mV: the notebook's documented spike criterion (rest + 40 mV)


def neuron_axon(I, T, dt, L, diam, R_a, C_m, celsius, nseg, myelin=None, duration=1e9):
    """NEURON: t [ms], segment centres x [um] and V there [mV] (shape (len(t), nseg))."""
    dx = L / nseg
    pieces, start = [], 0.0
    kinds = ("node", "internode") if myelin else ("node",)
    while start < L - 1e-9:
        for kind in kinds:
            length = myelin[f"{kind}_length"] if myelin else L
            if start < L - 1e-9:
                pieces.append((kind, min(length, L - start)))
                start += length
    sections, x, start, k = [], [], 0.0, 0
    for j, (kind, length) in enumerate(pieces):
        sec = h.Section(name=f"test_{kind}{j}")
        sec.L, sec.diam, sec.nseg, sec.Ra = length, diam, int(round(length / dx)), R_a
        if kind == "node":
            sec.insert("hh")
            sec.cm = C_m
        else:
            cm_k, rm_k = (np.atleast_1d(myelin[key])[k if np.size(myelin[key]) > 1 else 0]
                          for key in ("myelin_C_m", "myelin_R_m"))
            sec.insert("pas")
            sec.cm = cm_k
            for seg in sec:
                seg.pas.g, seg.pas.e = 1.0 / rm_k, V_REST
            k += 1
        if sections:
            sec.connect(sections[-1](1.0), 0.0)
        x += [start + seg.x * length for seg in sec]
        start += length
        sections.append(sec)
    stim = h.IClamp(sections[0](0.0))
    stim.delay, stim.dur, stim.amp = 0.0, duration, I
    t_rec = h.Vector().record(h._ref_t)
    v_rec = [h.Vector().record(seg._ref_v) for sec in sections for seg in sec]
    saved = h.dt, h.steps_per_ms, h.secondorder, h.celsius, h.usetable_hh
    try:
        h.usetable_hh = 0
        h.celsius, h.dt, h.steps_per_ms, h.secondorder = celsius, dt, 1.0 / dt, 0
        h.finitialize(V_REST)
        h.continuerun(T)
    finally:
        h.dt, h.steps_per_ms, h.secondorder, h.celsius, h.usetable_hh = saved
    return np.array(t_rec), np.array(x), np.column_stack([np.array(v) for v in v_rec])


def first_crossings(t, V, threshold=SPIKE_THRESHOLD):
    """First upward crossing of threshold in each column, linear interpolation; NaN if none."""
    out = np.full(V.shape[1], np.nan)
    for j in range(V.shape[1]):
        k = np.flatnonzero((V[:-1, j] < threshold) & (V[1:, j] >= threshold))
        if k.size:
            k = k[0]
            out[j] = t[k] + (threshold - V[k, j]) / (V[k + 1, j] - V[k, j]) * (t[k + 1] - t[k])
    return out


def fitted_velocity(x, times, fit):
    """1 / slope [m/s] of the least-squares line of spike time [ms] against x [um] over `fit`."""
    return 1e-3 / np.polyfit(x[fit], times[fit], 1)[0]


def ours(nb, I_expr, **kwargs):
    """simulate_axon in the kernel, with I given as an expression (a number or a callable)."""
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    return nb.eval(f"(lambda r: dict(t=r.t, x=r.x, V=r.V[:, 1:-1], spike_times=r.spike_times, "
                   f"velocity=r.velocity))(simulate_axon({I_expr}, {args}))")


# ----------------------------------------------------------------------------- against NEURON
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bare_axon_matches_neuron_for_random_diameters_lengths_and_temperatures(nb, seed):
    rng = np.random.default_rng(seed)
    diam, L, celsius = rng.uniform(0.5, 3.0), rng.uniform(1000.0, 3000.0), rng.uniform(0.0, 25.0)
    nseg = int(rng.integers(80, 200))
    phi = 3.0 ** ((celsius - 6.3) / 10)
    dt = min(0.025, 0.1 / max(1.0, phi))
    v_guess = 0.5 * math.sqrt(diam) * min(1.0, phi ** 0.25)          # m/s, on the slow side
    p = dict(T=round(2.0 + 1.5 * L / (1000 * v_guess), 1), dt=dt, L=L, diam=diam, R_a=35.4, C_m=1.0,
             celsius=celsius, nseg=nseg)
    I = 0.8 * diam**1.5
    got = ours(nb, repr(I), **p)
    t_n, x_n, V_n = neuron_axon(I, **dict(p, T=got["t"][-1]))      # the same grid: t up to >= T
    spikes_n = first_crossings(t_n, V_n)
    assert np.allclose(got["t"], t_n) and np.allclose(got["x"][1:-1], x_n)
    assert np.all(np.isfinite(spikes_n)), (p, "the spike must reach the far end for this test")
    assert np.abs(got["V"] - V_n).max() < V_TOL, p
    assert np.abs(got["spike_times"][1:-1] - spikes_n).max() < SPIKE_TOL, p
    fit = (x_n >= L / 4) & (x_n <= 3 * L / 4)
    assert abs(got["velocity"] / fitted_velocity(x_n, spikes_n, fit) - 1) < VELOCITY_RTOL, p


def test_myelinated_axon_with_thinned_internodes_and_an_off_grid_pulse_matches_neuron(nb):
    """Nodes of two segments, a cut last internode, per-internode myelin (one thinned), a pulse
    whose end falls between step midpoints (so a current sampled at t instead of t + dt/2 fails)."""
    myelin = dict(internode_length=200.0, node_length=2.0, myelin_C_m=[0.02, 0.02, 0.2, 0.02, 0.02],
                  myelin_R_m=[60000.0, 60000.0, 6000.0, 60000.0, 60000.0])
    p = dict(T=3.0, dt=0.01, L=858.0, diam=2.0, R_a=70.0, C_m=1.0, celsius=6.3, nseg=858)
    got = ours(nb, "lambda t: np.where(t < 0.105, 2.0, 0.0)", myelin=myelin, **p)
    t_n, x_n, V_n = neuron_axon(2.0, **p, myelin=myelin, duration=0.105)
    spikes_n = first_crossings(t_n, V_n)
    assert np.allclose(got["x"][1:-1], x_n) and np.all(np.isfinite(spikes_n))
    assert np.abs(got["V"] - V_n).max() < V_TOL
    assert np.abs(got["spike_times"][1:-1] - spikes_n).max() < SPIKE_TOL
    period = 202.0
    node = (x_n % period) < 2.0
    fit = (x_n >= p["L"] / 4) & (x_n <= 3 * p["L"] / 4) & node
    assert abs(got["velocity"] / fitted_velocity(x_n, spikes_n, fit) - 1) < VELOCITY_RTOL


def test_resting_potential_is_hh_s(nb):
    """V_REST against the root computed here from hh.mod's rates (NEURON's hh rests there too)."""
    assert abs(nb.eval("V_REST") - V_REST) < 1e-9
    t_n, _, V_n = neuron_axon(0.0, T=50.0, dt=0.025, L=100.0, diam=1.0, R_a=35.4, C_m=1.0,
                              celsius=6.3, nseg=5)
    assert np.abs(V_n - V_REST).max() < 1e-9


# ----------------------------------------------------------------------------- spike criterion
def test_a_warm_spike_that_peaks_below_0_mV_still_counts_and_a_decaying_one_does_not(nb):
    """At 30 degC the hh spike travels undiminished with its peak below 0 mV: it must have spike
    times and a velocity (a 0-mV criterion reports failure). At 34 degC the depolarisation decays
    along the axon (its peak at 3L/4 is under a fifth of that at L/4): no velocity."""
    warm = nb.eval("(lambda r: (r.velocity, float(r.V[:, 1:-1].max(axis=0)[[100, 300]].max()), "
                   "r.V[:, 1:-1].max(axis=0)[[100, 300]].tolist(), bool(np.isfinite(r.spike_times[1:-1]).all())))"
                   "(simulate_axon(0.5, T=6.0, dt=0.007, L=4000.0, nseg=400, celsius=30.0))")
    velocity, highest, (p1, p3), all_spike = warm
    assert highest < 0.0 and abs(p3 / p1 - 1) < 0.01, warm            # travels, peak below 0 mV
    assert math.isfinite(velocity) and all_spike, warm
    hot = nb.eval("(lambda r: (r.velocity, r.V[:, 1:-1].max(axis=0)[[100, 300]].tolist()))"
                  "(simulate_axon(0.5, T=6.0, dt=0.0035, L=4000.0, nseg=400, celsius=34.0))")
    velocity, (p1, p3) = hot
    assert p3 - V_REST < 0.2 * (p1 - V_REST) and math.isnan(velocity), hot


def test_a_lesion_that_only_shrinks_the_spike_does_not_block_it(nb):
    """One internode at 6 % of its myelin: the spike reaches the far end with a peak below 0 mV
    (it recovers from the lesion), so it conducts; at 4 % it decays and is blocked."""
    mild = nb.eval("(lambda r: (conducts(r), float(r.V[:, node_index].max(axis=0)[-1])))(lesion_run(0.06, 1))")
    assert mild[0] and mild[1] < 0.0, mild
    assert not nb.eval("conducts(lesion_run(0.04, 1))")


# ----------------------------------------------------------------------------- scaling laws
def test_square_root_law_is_exact_for_geometrically_scaled_axons(nb):
    """Diameter x d, length x sqrt(d), current x d^1.5, same nseg: the same discrete system, so the
    velocity grows as sqrt(d) to rounding (1e-9 in the exponent)."""
    diams = [0.5, 2.0, 8.0]
    v = [nb.eval(f"simulate_axon({0.5 * d**1.5!r}, T=7.0, L={1500.0 * math.sqrt(d)!r}, diam={d!r}, "
                 "nseg=75).velocity") for d in diams]
    exponent = np.polyfit(np.log(diams), np.log(v), 1)[0]
    assert abs(exponent - 0.5) < 1e-9, exponent


def test_square_root_law_on_a_fixed_grid(nb):
    """Over a decade of diameters on one grid (3 mm, 10-um segments): exponent 0.5 +- 0.02."""
    diams = [1.0, 3.0, 10.0]
    v = [nb.eval(f"simulate_axon({0.5 * d**1.5!r}, T=8.0, L=3000.0, diam={d!r}, nseg=300).velocity")
         for d in diams]
    exponent = np.polyfit(np.log(diams), np.log(v), 1)[0]
    assert abs(exponent - 0.5) < 0.02, exponent


def test_myelinated_velocity_is_proportional_to_diameter_for_similar_fibres(nb):
    """Internode 100 d, myelin C_m 0.04/d and R_m 30000 d, node 1 um, 20 periods: exponent 1 +- 0.02."""
    v = [nb.eval(f"myelinated_run({d!r}, periods=20, T=2.0).velocity") for d in (1.0, 4.0)]
    exponent = math.log(v[1] / v[0]) / math.log(4.0)
    assert abs(exponent - 1.0) < 0.02, exponent


# ----------------------------------------------------------------------------- myelin geometry
GOOD = "dict(internode_length=100.0, node_length=1.0, myelin_C_m=0.04, myelin_R_m=30000.0)"


@pytest.mark.parametrize("call, name", [
    # myelin geometry longer than the axon
    (f"simulate_axon(1.0, T=1.0, L=1010.0, nseg=1010, myelin=dict({GOOD}, internode_length=2000.0))", "myelin"),
    # a period that does not fit four times (the middle half needs two nodes)
    (f"simulate_axon(1.0, T=1.0, L=303.0, nseg=303, myelin={GOOD})", "myelin"),
    # nseg too small to resolve a node: 2-um segments, 1-um nodes
    (f"simulate_axon(1.0, T=1.0, L=1010.0, nseg=505, myelin={GOOD})", "nseg longer than a node"),
    # segments that do not tile the internodes
    (f"simulate_axon(1.0, T=1.0, L=1010.0, nseg=1010, myelin=dict({GOOD}, internode_length=100.5))", "nseg"),
    (f"simulate_axon(1.0, T=1.0, L=1010.0, nseg=1010, myelin=dict({GOOD}, node_length=0.0))", "myelin"),
    (f"simulate_axon(1.0, T=1.0, L=1010.0, nseg=1010, myelin=dict({GOOD}, myelin_C_m=-0.04))", "myelin"),
    (f"simulate_axon(1.0, T=1.0, L=1010.0, nseg=1010, myelin=dict({GOOD}, myelin_R_m=[1.0, 2.0]))", "myelin"),
    (f"simulate_axon(1.0, T=1.0, L=1010.0, nseg=1010, myelin=dict({GOOD}, myelin_R_m=None))", "myelin"),
    ("simulate_axon(1.0, T=1.0, L=1010.0, nseg=1010, myelin=dict(internode_length=100.0))", "myelin"),
    (f"simulate_axon(1.0, T=1.0, L=1010.0, nseg=1010, myelin=dict({GOOD}, extra=1.0))", "myelin"),
    ("simulate_axon(1.0, T=1.0, L=1010.0, nseg=1010, myelin=[100.0, 1.0])", "myelin"),
    # regressions of the hostile-input rules
    ("simulate_axon(0.5, T=10.0, dt=5e-324)", "dt"),
    ("simulate_axon(0.5, T=1e300, dt=1e-10)", "T"),
    ("simulate_axon(0.5, T=2e4, dt=0.025, nseg=100_000)", "T"),          # 5e15 bytes > MEMORY_BUDGET
    ("simulate_axon(0.5, T=5.0, dt=0.05, celsius=30.0)", "dt"),         # above 0.1/phi = 0.0074 ms
    ("simulate_axon(lambda t: np.ones(3), T=1.0)", "I"),
    ("simulate_axon(lambda t: 'abc', T=1.0)", "I"),
    ("simulate_axon(1e4, T=5.0)", "I"),                                # V beyond +-1000 mV
    ("simulate_axon(0.5, T=5.0, nseg=3)", "nseg"),
])
def test_bad_input_is_refused_naming_the_parameter(nb, call, name):
    """A named ValueError (first word = the parameter; where given, the message says why), in
    well under 2 s, without allocating more than 50 MB on the way."""
    name, *why = name.split(" ", 1)
    nb.run_file("contract.py")
    outcome, detail, seconds, peak = nb.eval(f"_nb_bounded({call!r})", timeout=30)
    assert outcome == "ValueError", (call, outcome, detail)
    assert detail.split()[0].split("[")[0].split("(")[0] == name, (call, detail)
    assert not why or why[0] in detail, (call, detail)
    assert seconds < 2.0 and peak < 5e7, (call, seconds, peak)


# ----------------------------------------------------------------------------- initiation
def test_spike_starts_in_the_dense_axon_initial_segment_and_back_propagates(nb):
    for amplitude in (0.4, 0.8):
        region, earliest, soma = nb.eval(
            f"(lambda r: (str(r.region[np.nanargmin(r.spike_times)]), float(np.nanmin(r.spike_times)), "
            f"float(r.spike_times[0])))(simulate_soma_axon(pulse({amplitude}, duration=2.0)))")
        assert region == "AIS" and soma > earliest, (amplitude, region, earliest, soma)
    region = nb.eval("str((lambda r: r.region[np.nanargmin(r.spike_times)])(simulate_soma_axon("
                     "pulse(0.6, duration=2.0), soma_g_Na=G_NA, ais_g_Na=G_NA)))")
    assert region == "soma"


# ----------------------------------------------------------------------------- exercise checkers
@pytest.mark.parametrize("checker, wrong", [
    ("check_sqrt_d_prediction", ["...", "None", "'1.1'", "float('nan')", "True", "2 * _reference_4um()",
                                 "0.5 * _reference_4um()", "8 * _reference_4um()", "1.01 * _reference_4um()"]),
    ("check_hh_velocity", ["...", "18.76 * math.sqrt(1000)", "1876.0", "18.76 * math.sqrt(2)",
                           "18.76 / math.sqrt(2)", "18.76 * 1.01", "21.2", "18.76 * math.sqrt(10)"]),
    ("check_wave_constant", ["...", "K_6 * 1000", "K_6 * 2", "K_6 / 2", "K_6 * 0.97", "K_6 * 1.02", "'4.5'"]),
    ("check_block_fraction", ["...", "100 * _block_threshold(2)", "1.2 * _block_threshold(2)",
                              "0.8 * _block_threshold(2)", "_block_threshold(1)", "0.04"]),
])
def test_checkers_reject_wrong_answers(nb, checker, wrong):
    """Every exercise checker says 'Not yet' to wrong answers (the stub's ..., the usual unit and
    law mistakes its hints name, near misses just outside its tolerance, values of the wrong type)."""
    for answer in wrong:
        out = nb.run(f"{checker}({answer})")
        assert out.startswith("Not yet"), (checker, answer, out)
