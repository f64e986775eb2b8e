"""Tests for multi-compartment-neurons/04_detailed_biophysical_models_neuron.ipynb.

The notebook builds the Allen perisomatic model 473863510 (reconstruction 325404214, shipped in
bmtk) in NEURON, with one channel written by hand in NMODL. These tests call its functions with
inputs of their own and compare with references computed here, independently of the notebook:

* the hand-written Na channel against scipy's solve_ivp on the same ODEs written out in this file;
* the passive cell against the same morphology built in this process from the SWC file with
  NEURON's built-in ``pas``, ``IClamp``, ``Exp2Syn`` and ``NetStim`` only (no compiled mechanisms);
* the active cell against the same cell built by bmtk's own recipe (``fix_axon_peri`` and
  ``set_params_peri`` of bmtk 1.2.0, transcribed in tests/mc04_bmtk_perisomatic.py), which catches a
  wrong e_na/e_k, celsius, cm, Ra or nseg mapping that behaviour tests cannot;
* a current given as a callable I(t) against the same current given as a step;
* modlunit on every .mod file of the repository and of the notebook's build;
* the NMODL build where readers run it: from a read-only copy of the notebook's folder, with and
  without a finished build in it, and from another folder (the model-comparison notebook), each time
  in a fresh kernel that executes only the cells tagged ``model``;
* the exercise checkers with wrong answers.

The contract (keyword-only parameters, docstrings, result types, named errors for bad input) is
enforced for run_step and run_synapse by tests/test_contract.py and tests/test_hostile_input.py.
"""

import json
import os
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from contract import BAD_CURRENTS, OPEN, Contract, Expr, first_word

NB = "multi-compartment-neurons/04_detailed_biophysical_models_neuron.ipynb"
pytestmark = pytest.mark.notebook(NB)

COLAB_NEEDS = {"neuron", "bmtk"}  # what its Colab setup cell installs (tests/test_colab_setup.py)
CONTRACTS = [  # its rows of the contract table (the fields: tests/contract.py)
    # The NEURON notebook's run functions take the cell explicitly: `cell=cell`, the notebook's
    # RorbCell, pasted into each call as it is (an Expr: a str whose repr is its text).
    Contract(
        NB, "run_step",
        ("I", "nA"), "StepResult", ("t", "V_soma", "spikes", "rate", "V_path", "path_distance"),
        example=dict(I=0.2, cell=Expr("cell"),
                     T=50.0, delay=10.0, dur=30.0),
        shapes={"V_soma": ("t",)},
        # dt: (0, min(T, 0.1)] ms with the fixed step (the example's), (0, T] with CVode
        domain=dict(T=((OPEN, 0.0), 1e5), dt=((OPEN, 0.0), 0.1), delay=(0.0, 1e5), dur=(0.0, 1e5),
                    g_Na_dend=(0.0, 100.0)),
        valid=dict(I=(-0.2, 0.5), T=(20.0, 60.0), delay=(0.0, 20.0), dur=(0.0, 40.0),
                   g_Na_dend=(0.0, 25.0)),
        bad_first=BAD_CURRENTS + ("50.0", "-50.0", "lambda t: 20.0 + 0.0 * t"),
    ),
    Contract(
        NB, "run_synapse",
        ("distance", "µm"), "SynapseResult", ("t", "V_soma", "V_syn", "spikes", "distance"),
        example=dict(distance=100.0, cell=Expr("cell"),
                     T=50.0),
        shapes={"V_soma": ("t",), "V_syn": ("t",)},
        # distance: [0, end of the main apical path] (428 µm for this cell); T, dt as in run_step,
        # dt up to T with CVode (the default here)
        domain=dict(weight=(0.0, 1000.0), n_events=(1, 1000), interval=((OPEN, 0.0), 1e5),
                    onset=(0.0, 1e5), T=((OPEN, 0.0), 1e5), tau2=((OPEN, 0.0), 1e3),
                    e_syn=(-200.0, 200.0), g_Na_dend=(0.0, 100.0)),
        valid=dict(distance=(0.0, 420.0), weight=(0.0, 20.0), interval=(2.0, 20.0), onset=(0.0, 20.0),
                   T=(20.0, 80.0), g_Na_dend=(0.0, 25.0)),
        bad_first=("-1.0", "500.0", "1e5"),
    ),
]

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
BIONET = resources.files("bmtk") / "utils" / "scripts" / "bionet"
SWC = str(BIONET / "morphologies" / "Rorb_325404214_m.swc")
FIT = json.loads((BIONET / "biophysical_neuron_models" / "473863510_fit.json").read_text())


def run(nb, func, first, **kwargs):
    """func(first, cell=cell, **kwargs) in the notebook's kernel, with its own cell."""
    args = ", ".join([repr(first), "cell=cell"] + [f"{k}={v!r}" for k, v in kwargs.items()])
    return nb.eval(f"{func}({args})")


def error_of(nb, expr):
    """(exception type, message) of an expression that must raise, evaluated in the kernel."""
    return nb.eval_raises(expr)


# ---------------------------------------------------------------------------------------------
# Hand-written NaTs_hw against an independent ODE solution
# ---------------------------------------------------------------------------------------------

def _nats_rates(V, celsius):
    """Colbert & Pan (2002) rates as in the Allen NaTs.mod (vtrap form), written out here."""
    def vtrap(x, y):
        return y * (1 - x / y / 2) if abs(x / y) < 1e-6 else x / (np.exp(x / y) - 1)
    qt = 2.3 ** ((celsius - 23.0) / 10.0)
    am, bm = 0.182 * vtrap(-(V + 40.0), 6.0), 0.124 * vtrap(V + 40.0, 6.0)
    ah, bh = 0.015 * vtrap(V + 66.0, 6.0), 0.015 * vtrap(-(V + 66.0), 6.0)
    return am / (am + bm), 1 / ((am + bm) * qt), ah / (ah + bh), 1 / ((ah + bh) * qt)


def _single_compartment_ode(res, gbar, amp, delay, dur, celsius=34.0):
    """V, m, h of one compartment with pas + NaTs and an IClamp, by solve_ivp (piecewise in time)."""
    i_amp = amp * 1e-6 / (res.area * 1e-8)  # nA on area µm² -> mA/cm²

    def rhs(t, y, i_inj):
        V, m, hh = y
        m_inf, tau_m, h_inf, tau_h = _nats_rates(V, celsius)
        i_ion = gbar * m ** 3 * hh * (V - res.ena) + res.g_pas * (V - res.e_pas)
        return [1e3 * (i_inj - i_ion) / res.cm, (m_inf - m) / tau_m, (h_inf - hh) / tau_h]

    m0, _, h0, _ = _nats_rates(res.e_pas, celsius)
    y, out_t, out_V = [res.e_pas, m0, h0], [], []
    t_end = res.t[-1]
    for t0, t1, i_inj in [(0.0, delay, 0.0), (delay, delay + dur, i_amp), (delay + dur, t_end, 0.0)]:
        mask = (res.t >= t0) & (res.t <= t1)
        sol = solve_ivp(rhs, (t0, t1), y, args=(i_inj,), method="LSODA", rtol=1e-10, atol=1e-10,
                        t_eval=res.t[mask], dense_output=True)
        out_t.append(res.t[mask]); out_V.append(sol.y[0])
        y = sol.sol(t1)
    t_all, V_all = np.concatenate(out_t), np.concatenate(out_V)
    _, first = np.unique(t_all, return_index=True)  # samples at the step edges appear twice
    return t_all[first], V_all[first]


@pytest.mark.parametrize("amp", [0.01, 0.05])  # subthreshold, and a full Na-driven depolarisation
def test_hand_written_channel_matches_solve_ivp(nb, amp):
    """NaTs_hw in NEURON (CVode, atol 1e-8) vs solve_ivp of the same ODEs: max |dV| < 0.01 mV away
    from the step edges (both integrators run far below 0.01 mV local error; the residual is CVode's
    interpolation across the current's discontinuities)."""
    gbar, delay, dur = 0.03, 2.0, 20.0
    res = nb.call("run_single_compartment", mech="NaTs_hw", gbar=gbar, g_kv31=0.0, amp=amp,
                  delay=delay, dur=dur, T=35.0, dt=0.01, use_cvode=True, atol=1e-8)
    res.t, res.V = np.asarray(res.t), np.asarray(res.V)
    t_ref, V_ref = _single_compartment_ode(res, gbar, amp, delay, dur)
    V_nb = np.interp(t_ref, res.t, res.V)
    far_from_edges = (np.abs(t_ref - delay) > 0.05) & (np.abs(t_ref - delay - dur) > 0.05)
    assert np.max(np.abs(V_nb - V_ref)[far_from_edges]) < 0.01
    if amp == 0.05:
        assert V_ref.max() > 0.0  # the case really exercises the channel's activation


def test_hand_written_channel_equals_allen_channel(nb):
    """NaTs_hw vs the Allen NaTs in identical compartments (fixed step): the same equations, written
    two ways, agree to rounding (measured 7e-12 mV over 3000 steps); tolerance 1e-9 mV."""
    kw = dict(gbar=0.05, g_kv31=0.02, amp=0.1, T=30.0, dt=0.01, use_cvode=False)
    a = nb.call("run_single_compartment", mech="NaTs", **kw)
    b = nb.call("run_single_compartment", mech="NaTs_hw", **kw)
    assert np.max(np.abs(np.asarray(a.V) - np.asarray(b.V))) < 1e-9
    assert np.max(a.V) > 0.0


# ---------------------------------------------------------------------------------------------
# Units: modlunit on every .mod file
# ---------------------------------------------------------------------------------------------

# The Allen .mod files shipped by bmtk 1.2.0 fail modlunit, each for the reason given: their gate
# time constants are declared without a unit (so m' [1/ms] = (mInf - m)/mTau [1] is not
# conformable), and SK.mod writes (S/cm2) without defining (S). Their rate equations sit in
# UNITSOFF blocks; NEURON ignores declared units when it simulates, so they work as published.
ALLEN_MODLUNIT_FAILURES = {
    "Ca_HVA.mod": "m' = (mInf-m)/mTau", "Ca_LVA.mod": "m' = (mInf-m)/mTau",
    "Ih.mod": "m' = (mInf-m)/mTau", "Im.mod": "m' = (mInf-m)/mTau", "K_P.mod": "m' = (mInf-m)/mTau",
    "K_T.mod": "m' = (mInf-m)/mTau", "Kv3_1.mod": "m' = (mInf-m)/mTau",
    "NaTs.mod": "m' = (mInf-m)/mTau", "Nap.mod": "h' = (hInf-h)/hTau",
    "SK.mod": "Cannot recognize the units: S",
}


def _modlunit(path):
    """(return code, output) of NEURON's modlunit on one file (the wheel's binary, with its units
    table), run in the file's folder."""
    import neuron
    data = Path(neuron.__file__).parent / ".data"
    exe, env = data / "bin" / "modlunit", dict(os.environ, NEURONHOME=str(data / "share" / "nrn"))
    if not exe.exists():
        exe, env = Path(PYTHON).parent / "modlunit", None
    run = subprocess.run([str(exe), path.name], cwd=path.parent, capture_output=True, text=True,
                         env=env, timeout=60)
    return run.returncode, run.stdout + run.stderr


def _repository_mod_files():
    tracked = subprocess.run(["git", "ls-files", "*.mod"], cwd=ROOT, capture_output=True, text=True)
    return [ROOT / p for p in tracked.stdout.split()] if tracked.returncode == 0 else []


def test_modlunit_passes_on_every_mod_file_but_the_listed_allen_ones(nb):
    """Every .mod tracked in the repository and every .mod the notebook writes (its build's mod/
    folder) passes modlunit, except the Allen files of ALLEN_MODLUNIT_FAILURES, which must fail at
    the equation named there (so a change in them is noticed too)."""
    build_mod = Path(nb.eval("BUILD_DIR")) / "mod"
    written = sorted(build_mod.glob("*.mod"))
    assert {p.name for p in written} >= {"NaTs_hw.mod", "NaTs.mod", "SK.mod"}
    problems = []
    for path in written + _repository_mod_files():
        code, output = _modlunit(path)
        expected = ALLEN_MODLUNIT_FAILURES.get(path.name) if path.parent == build_mod else None
        if expected is None and code != 0:
            problems.append(f"{path}: modlunit fails:\n{output}")
        if expected is not None and (code == 0 or expected not in output):
            problems.append(f"{path}: expected modlunit to fail at {expected!r}; it said:\n{output}")
    assert not problems, "\n".join(problems)


def test_nmodl_text_of_the_notebook_is_the_file_it_builds(nb):
    """The build compiles exactly the text shown in the notebook (NATS_HW_MOD)."""
    text = (Path(nb.eval("BUILD_DIR")) / "mod" / "NaTs_hw.mod").read_text()
    assert text == nb.eval("NATS_HW_MOD")
    assert "(/ms-mV)" in text and "UNITSOFF" not in text


# ---------------------------------------------------------------------------------------------
# Passive cell against an independent build of the same morphology in this process
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ref_cell():
    """The Allen recipe's passive part, built here with NEURON built-ins (pas) only."""
    os.environ.setdefault("NEURON_MODULE_OPTIONS", "-nogui")
    from neuron import h
    h.load_file("stdrun.hoc")
    h.load_file("import3d.hoc")

    class Cell:
        pass

    cell = Cell()
    reader = h.Import3d_SWC_read()
    reader.quiet = 1
    reader.input(SWC)
    h.Import3d_GUI(reader, False).instantiate(cell)
    for sec in cell.axon:
        h.delete_section(sec=sec)
    cell.axon = [h.Section(name=f"ref_axon{i}") for i in range(2)]
    for sec in cell.axon:
        sec.L, sec.diam = 30.0, 1.0
    cell.axon[0].connect(cell.soma[0](0.5))
    cell.axon[1].connect(cell.axon[0](1))
    passive = FIT["passive"][0]
    cm = {c["section"]: c["cm"] for c in passive["cm"]}
    gpas = {g["section"]: g["value"] for g in FIT["genome"] if g["name"] == "g_pas"}
    for kind in ("soma", "dend", "apic", "axon"):
        for sec in getattr(cell, kind):
            sec.nseg = 1 + 2 * int(sec.L / 40.0)
            sec.Ra, sec.cm = passive["ra"], cm[kind]
            sec.insert("pas")
            sec.g_pas, sec.e_pas = gpas[kind], passive["e_pas"]
    cell.h = h
    return cell


def _run_ref(cell, T, setup):
    h = cell.h
    objs = setup(h)
    v = h.Vector().record(cell.soma[0](0.5)._ref_v)
    t = h.Vector().record(h._ref_t)
    h.CVode().active(False)
    h.dt = 0.025
    h.finitialize(FIT["passive"][0]["e_pas"])
    h.continuerun(T)
    del objs
    return np.array(t), np.array(v)


def test_passive_step_matches_independent_neuron_build(nb, ref_cell):
    """Passive cell, somatic step: notebook vs the cell built here; same method and dt, so the
    traces agree to rounding (1e-6 mV)."""
    amp, T, delay, dur = 0.05, 150.0, 10.0, 100.0
    out = run(nb, "run_step", amp, T=T, delay=delay, dur=dur, dt=0.025, use_cvode=False, passive=True)

    def setup(h):
        clamp = h.IClamp(ref_cell.soma[0](0.5))
        clamp.amp, clamp.delay, clamp.dur = amp, delay, dur
        return clamp

    t, v = _run_ref(ref_cell, T, setup)
    assert len(out.t) == len(t)
    assert np.max(np.abs(np.asarray(out.V_soma) - v)) < 1e-6
    assert len(out.spikes) == 0 and out.rate == 0.0


def test_passive_input_resistance_matches_independent_build(nb, ref_cell):
    """Steady-state input resistance (CVode in the notebook) vs the reference cell's steady
    state: within 0.1 % (both are run to many times the slowest time constant)."""
    amp, T = -0.02, 600.0
    out = run(nb, "run_step", amp, T=T, delay=0.0, dur=T, use_cvode=True, passive=True)

    def setup(h):
        clamp = h.IClamp(ref_cell.soma[0](0.5))
        clamp.amp, clamp.delay, clamp.dur = amp, 0.0, T
        return clamp

    _, v = _run_ref(ref_cell, T, setup)
    e_pas = FIT["passive"][0]["e_pas"]
    R_nb, R_ref = (out.V_soma[-1] - e_pas) / amp, (v[-1] - e_pas) / amp
    assert R_nb == pytest.approx(R_ref, rel=1e-3)


def test_passive_synapse_matches_independent_build(nb, ref_cell):
    """Exp2Syn + NetStim at an apical site of the passive cell: notebook vs the reference cell
    with the synapse on the segment at the same path distance; identical method -> 1e-6 mV."""
    weight, n_events, interval, onset, T = 3.0, 3, 5.0, 10.0, 60.0
    out = run(nb, "run_synapse", 250.0, weight=weight, n_events=n_events, interval=interval,
              onset=onset, T=T, dt=0.025, use_cvode=False, passive=True)
    h = ref_cell.h
    candidates = [seg for sec in ref_cell.apic for seg in sec
                  if abs(h.distance(ref_cell.soma[0](0.5), seg) - out.distance) < 1e-6]
    assert candidates, f"no apical segment at {out.distance} µm"

    def make_setup(seg):
        def setup(h):
            syn = h.Exp2Syn(seg)
            syn.tau1, syn.tau2, syn.e = 1.0, 3.0, 0.0
            stim = h.NetStim()
            stim.number, stim.start, stim.interval, stim.noise = n_events, onset, interval, 0
            con = h.NetCon(stim, syn)
            con.weight[0], con.delay = weight * 1e-3, 0.0
            return syn, stim, con
        return setup

    assert abs(out.distance - 250.0) < 40.0  # the nearest segment on the path
    # Apical segments at the same path distance on different branches give different traces;
    # the notebook's site must match one of them.
    errors = [np.max(np.abs(np.asarray(out.V_soma) - _run_ref(ref_cell, T, make_setup(seg))[1]))
              for seg in candidates]
    assert min(errors) < 1e-6
    assert np.max(out.V_syn) > np.max(out.V_soma)  # local EPSP larger than at the soma


# ---------------------------------------------------------------------------------------------
# The active cell against bmtk's own recipe
# ---------------------------------------------------------------------------------------------

BMTK_AMPS = (0.2, 0.3)     # [nA] 1 s steps from 100 ms, fixed step 0.025 ms
BMTK_TOLERANCE = 1e-6      # [ms] see the test's docstring


@pytest.fixture(scope="module")
def bmtk_spikes(notebook, tmp_path_factory):
    """Spike times of the cell built by tests/mc04_bmtk_perisomatic.py, in a process of its own
    (bmtk's template deletes every section of its process), with the notebook's compiled channels."""
    build_dir = notebook(NB).eval("BUILD_DIR")
    run = subprocess.run([PYTHON, str(ROOT / "tests" / "mc04_bmtk_perisomatic.py"), build_dir,
                          *map(str, BMTK_AMPS)], cwd=tmp_path_factory.mktemp("bmtk"),
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_active_cell_matches_the_bmtk_recipe(nb, bmtk_spikes):
    """The notebook's RorbCell vs the same fit applied by bmtk's fix_axon_peri + set_params_peri:
    the same sections and segments, and the same spike times for two 1 s steps, to 1e-6 ms.

    Both builds solve the same equations with the same method and step (backward Euler, 0.025 ms,
    from the resting steady state), so their spike times differ only by rounding in a differently
    ordered tree (measured: identical, 0.0 ms, over 29 and 63 spikes). Planted in the notebook's
    cell, a wrong e_k (-100 mV), e_na (50 mV), celsius (35 °C), dendritic cm (2.0 µF/cm²), Ra
    (40 Ω cm) or segment count (L/20) moves the spikes by 0.5 to 300 ms."""
    assert (bmtk_spikes["sections"], bmtk_spikes["segments"]) == \
        (nb.eval("len(cell.all)"), nb.eval("sum(sec.nseg for sec in cell.all)"))
    for amp in BMTK_AMPS:
        ours = np.asarray(run(nb, "run_step", amp, T=1100.0, delay=100.0, dur=1000.0, dt=0.025,
                              use_cvode=False).spikes)
        theirs = np.asarray(bmtk_spikes["spikes"][repr(amp)])
        assert len(ours) == len(theirs) > 10, (amp, len(ours), len(theirs))
        assert np.max(np.abs(ours - theirs)) < BMTK_TOLERANCE, (amp, np.max(np.abs(ours - theirs)))


def test_rheobase_brackets_the_bmtk_build(nb, bmtk_spikes):
    """The notebook's rheobase (bisection of 1 s steps to 0.5 pA) lies below 0.2 nA, at which
    the bmtk-built cell fires, and its steady-state I-V fold above the rheobase (Validation 4)."""
    I_rh, I_fold = nb.eval("(I_rh, I_fold)")
    assert len(bmtk_spikes["spikes"]["0.2"]) > 0 and I_rh < 0.2
    assert I_rh < I_fold


# ---------------------------------------------------------------------------------------------
# Behaviour of the active model, and the current given as a function of time
# ---------------------------------------------------------------------------------------------

def test_rest_is_a_steady_state(nb):
    """With no input the model stays where it starts (init_to_rest): drift < 0.01 mV over
    500 ms, and no spikes (definition of a resting steady state)."""
    out = run(nb, "run_step", 0.0, T=500.0, delay=0.0, dur=0.0, use_cvode=True)
    V = np.asarray(out.V_soma)
    assert np.max(np.abs(V - V[0])) < 0.01
    assert len(out.spikes) == 0


def test_callable_current_equals_the_same_step(nb):
    """A step given as a function I(t), sampled every dt and played with linear interpolation,
    vs the same step given as a number (IClamp delay/dur): same spike count, spike times within
    one step dt (the played current ramps up over one sample interval at each edge)."""
    step = run(nb, "run_step", 0.25, T=400.0, delay=50.0, dur=300.0, dt=0.025)
    nb.run("_step_fn = lambda t: np.where((t >= 50.0) & (t < 350.0), 0.25, 0.0)")
    as_function = nb.eval("run_step(_step_fn, cell=cell, T=400.0, dt=0.025)")
    nb.run("_step_scalar = lambda t: 0.25 if 50.0 <= t < 350.0 else 0.0")  # not vectorised
    scalar = nb.eval("run_step(_step_scalar, cell=cell, T=400.0, dt=0.025)")
    assert len(step.spikes) == len(as_function.spikes) == len(scalar.spikes) > 3
    assert np.max(np.abs(np.asarray(step.spikes) - np.asarray(as_function.spikes))) < 0.025
    assert np.array_equal(as_function.spikes, scalar.spikes)
    assert as_function.V_soma[0] == pytest.approx(step.V_soma[0], abs=1e-9)  # from rest, no current
    constant = nb.eval("run_step(lambda t: 0.1 + 0.0 * t, cell=cell, T=20.0)")
    assert constant.V_soma[0] == pytest.approx(step.V_soma[0], abs=1e-9)  # the current starts at t = 0


def test_bap_attenuates_unless_the_dendritic_sodium_is_dense(nb):
    """A somatic spike spreading into the apical dendrite: its peak falls monotonically with
    distance in passive dendrites (passive cable theory) and with the weakly excitable dendrite of
    Rapp et al. 1996 (4 mS/cm², recorded bAPs attenuate), staying above the passive one; with Hay
    et al.'s 21.3 mS/cm² in this fit's leak-free dendrites it grows."""
    amps = {}
    for g in (0.0, 4.0, 21.3):
        out = run(nb, "run_step", 1.0, T=30.0, delay=5.0, dur=3.0, dt=0.025, use_cvode=False,
                  record_path=True, g_Na_dend=g)
        Vp = np.asarray(out.V_path)
        assert Vp.shape == (len(out.t), len(out.path_distance)) and len(out.spikes) == 1
        amps[g] = (Vp - Vp[0]).max(axis=0)
    assert np.all(np.diff(amps[0.0]) < 0) and np.all(np.diff(amps[4.0]) < 0)
    assert np.all(amps[4.0][1:] > amps[0.0][1:])
    assert amps[21.3][-1] > amps[21.3][0]


def test_spike_times_agree_between_fixed_step_and_cvode(nb):
    """Same step with fixed dt = 0.0125 ms and with CVode: same spikes, first five within
    0.3 ms (backward Euler's first-order phase drift at this dt is below 0.1 ms per interval)."""
    kw = dict(T=300.0, delay=50.0, dur=200.0)
    fixed = run(nb, "run_step", 0.3, use_cvode=False, dt=0.0125, **kw)
    cvode = run(nb, "run_step", 0.3, use_cvode=True, **kw)
    assert len(fixed.spikes) == len(cvode.spikes) >= 5
    assert np.max(np.abs(np.asarray(fixed.spikes[:5]) - np.asarray(cvode.spikes[:5]))) < 0.3
    assert fixed.rate == pytest.approx(len(fixed.spikes) / 0.2)


def test_removing_somatic_sodium_abolishes_spikes(nb):
    """Without NaTs (and Nap) the soma cannot fire: no crossing of -20 mV."""
    out = run(nb, "run_step", 0.4, T=300.0, delay=50.0, dur=200.0, use_cvode=True,
              g_scale={"NaTs": 0.0, "Nap": 0.0})
    assert len(out.spikes) == 0


# ---------------------------------------------------------------------------------------------
# Named errors the contract table does not reach
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("expr, name", [
    ("run_step(0.2, cell=None, T=50.0)", "cell"),
    ("run_step(0.2, cell=cell, T=50.0, g_scale={'NotAChannel': 1.0})", "g_scale"),
    ("run_step(0.2, cell=cell, T=50.0, g_scale={'NaTs': -1.0})", "g_scale"),
    ("run_step(0.2, cell=cell, T=50.0, g_scale=[1.0])", "g_scale"),
    ("run_step(0.2, cell=cell, T=50.0, use_cvode='yes')", "use_cvode"),
    ("run_step(0.2, cell=cell, T=50.0, record_path=1)", "record_path"),
    ("run_step(0.2, cell=cell, T=50.0, dt=0.5)", "dt"),  # the fixed step's accuracy limit
    ("run_step(lambda t: 0.1 * t, cell=cell, T=500.0)", "I"),  # leaves the +-10 nA range
    ("run_synapse(100.0, cell=cell, tau1=5.0, tau2=1.0)", "tau1"),
    ("run_synapse(100.0, cell=cell, tau1=2.0, tau2=2.0)", "tau1"),
    ("run_synapse(100.0, cell=cell, n_events=2.5)", "n_events"),
    ("run_synapse(100.0, cell=cell, n_events=True)", "n_events"),
    ("run_synapse(100.0, cell='cell')", "cell"),
    ("RorbCell('not-a-rule')", "nseg_rule"),
    ("run_single_compartment(mech='hh')", "mech"),
])
def test_other_bad_input_gets_a_named_value_error(nb, expr, name):
    kind, message = error_of(nb, expr)
    assert kind == "ValueError" and first_word(message) == name, (expr, kind, message)


def test_cvode_accepts_a_coarse_sampling_of_a_callable_current(nb):
    """With CVode, dt only samples a callable I (CVode stops at every sample): dt up to T."""
    out = nb.eval("run_step(lambda t: 0.1 + 0.0 * t, cell=cell, T=200.0, dt=50.0, use_cvode=True)")
    assert len(out.t) > 10 and np.all(np.isfinite(out.V_soma))


# ---------------------------------------------------------------------------------------------
# Build and load, where readers run
# ---------------------------------------------------------------------------------------------

def test_mechanisms_build_once_and_load_once(nb):
    """A second build finds the finished one (no output, same folder); a second load is skipped
    (loading twice would be fatal in NEURON); a second cell and its deletion leak no sections."""
    assert nb.run("_again = build_mechanisms(MOD_SOURCES)") == ""
    assert nb.eval("_again == BUILD_DIR")
    assert nb.eval("load_mechanisms_once(BUILD_DIR, SUFFIXES)") == "already loaded"
    assert Path(nb.eval("BUILD_DIR")).parent.name == "mechanisms_04"
    before = nb.eval("sum(1 for _ in h.allsec())")
    nb.run("_second = RorbCell(); del _second")
    assert nb.eval("sum(1 for _ in h.allsec())") == before


def test_missing_compiler_is_reported_in_one_line(nb, tmp_path):
    """Sources that need a compile, with CXX pointing at a compiler that does not exist: a
    MechanismBuildError whose first line names the compiler and how to install one, before any
    compile (nothing is left in the build folder)."""
    nb.run(f"""
_saved_cxx = os.environ.get("CXX")
os.environ["CXX"] = "no-such-compiler++"
try:
    _sources = dict(MOD_SOURCES, **{{"NaTs_hw.mod": NATS_HW_MOD + ": a new comment, a new hash"}})
    try:
        build_mechanisms(_sources, folders=[{str(tmp_path)!r}])
        _error = ("returned", "")
    except Exception as _exc:
        _error = (type(_exc).__name__, str(_exc))
finally:
    if _saved_cxx is None:
        del os.environ["CXX"]
    else:
        os.environ["CXX"] = _saved_cxx
""")
    kind, message = nb.eval("_error")
    first = message.splitlines()[0]
    assert kind == "MechanismBuildError"
    assert "no-such-compiler++" in first and "install" in first.lower() and "apt-get install g++" in first
    assert list(tmp_path.iterdir()) == []


def _read_only_available():
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount --bind -o ro /tmp /tmp && true"],
                           capture_output=True)
    return shutil.which("unshare") is not None and probe.returncode == 0


def _run_model_cells(workdir, home, read_only, notebook):
    """The runner in a fresh process; with read_only, workdir is mounted read-only for it alone
    (a private mount namespace), which holds for root too, unlike permission bits."""
    env = dict(os.environ, HOME=str(home), XDG_CACHE_HOME=str(home / "cache"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), MPLCONFIGDIR=str(home / "mpl"))
    command = [PYTHON, str(ROOT / "tests" / "mc04_model_cells.py"), str(notebook), str(workdir)]
    if read_only:
        command = ["unshare", "-m", "sh", "-c", 'mount --bind -o ro "$0" "$0" && exec "$@"',
                   str(workdir)] + command
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not _read_only_available(),
                    reason="needs `unshare -m` (a private read-only bind mount) to make a folder "
                           "read-only for root; permission bits do not bind root")
def test_model_cells_run_from_a_read_only_folder_and_from_another_folder(nb, tmp_path):
    """The cells tagged `model`, executed alone in a fresh kernel (as the model-comparison notebook
    will), with HOME and XDG_CACHE_HOME pointed at a temporary folder:

    1. from a read-only copy of the notebook's folder without a build: they compile into the
       per-user cache, display nothing, and the cell fires;
    2. from a read-only copy that holds a finished build (the notebook's own): they use it as it is,
       writing nothing (the cache stays empty);
    3. from another folder (model-comparison/), with the cache of case 1: they reuse that build.

    Read-only is a bind mount with -o ro in a private mount namespace (writes fail with EROFS even
    for root, as on a read-only shared install)."""
    notebook = ROOT / NB
    build_name = Path(nb.eval("BUILD_DIR")).name

    bare = tmp_path / "bare" / "multi-compartment-neurons"
    bare.mkdir(parents=True)
    shutil.copy(notebook, bare / notebook.name)
    home1 = tmp_path / "home1"
    home1.mkdir()
    first = _run_model_cells(bare, home1, True, bare / notebook.name)
    assert first["build_dir"] == str(home1 / "cache" / "neurons" / "mechanisms_04" / build_name)
    assert first["spikes"] > 0 and first["model_cells"] >= 10
    assert all(outputs == [] for outputs in first["outputs"]), first["outputs"]
    assert not (bare / "mechanisms_04").exists()

    built = tmp_path / "built" / "multi-compartment-neurons"
    built.mkdir(parents=True)
    shutil.copy(notebook, built / notebook.name)
    shutil.copytree(Path(nb.eval("BUILD_DIR")), built / "mechanisms_04" / build_name)
    home2 = tmp_path / "home2"
    home2.mkdir()
    second = _run_model_cells(built, home2, True, built / notebook.name)
    assert second["build_dir"] == str(built / "mechanisms_04" / build_name)
    assert second["spikes"] == first["spikes"]
    assert all(outputs == [] for outputs in second["outputs"])
    assert not (home2 / "cache" / "neurons").exists()

    elsewhere = tmp_path / "bare" / "model-comparison"
    elsewhere.mkdir()
    third = _run_model_cells(elsewhere, home1, False, bare / notebook.name)
    assert third["build_dir"] == first["build_dir"] and third["spikes"] == first["spikes"]
    assert all(outputs == [] for outputs in third["outputs"])


# ---------------------------------------------------------------------------------------------
# Exercise checkers
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("checker, wrong", [
    ("check_gate_time_constant", ["...", "None", "'0.2179'", "float('nan')", "True",
                                  "1 / ((0.182 + 0.124) * 6.0)",                       # no phi
                                  "2.3 ** 1.1 / ((0.182 + 0.124) * 6.0)",              # phi multiplies
                                  "1 / ((0.182 + 0.124) * 2.3 ** 1.1)",                # no k_m
                                  "1 / ((0.182 + 0.124) * 6.0 * 2.3 ** 1.1) * 1.01"]),  # just outside
    ("check_nseg", ["...", "None", "'11'", "float('nan')", "True", "7", "1", "10", "12", "9", "11.5"]),
    ("check_recorded_scale", ["...", "42", "lambda v: v + JUNCTION_POTENTIAL", "lambda v: v",
                              "lambda v: v - JUNCTION_POTENTIAL + 1e-6", "lambda v: None",
                              "lambda v: ...", "lambda v: 1 / 0"]),
    ("check_input_resistance", ["...", "None", "'101'", "float('nan')", "-R_in_answer",
                                "R_in_answer * 1e3", "R_hand", "R_in_answer * 1.02", "0.0"]),
])
def test_checkers_reject_wrong_answers(nb, checker, wrong):
    """Every exercise checker says 'Not yet' to wrong answers (the stub's ..., near misses just
    outside its tolerance, the usual mistakes its hints name, a value of the wrong type)."""
    for answer in wrong:
        out = nb.run(f"{checker}({answer})")
        assert out.startswith("Not yet"), (checker, answer, out)


def test_checkers_accept_the_worked_answers(nb):
    """The solutions' answers, and an equivalent answer written another way, are Correct."""
    assert nb.run("check_gate_time_constant(1 / ((1.092 + 0.744) * 2.3 ** 1.1))").startswith("Correct")
    assert nb.run("check_nseg(11)").startswith("Correct")
    assert nb.run("check_nseg(11.0)").startswith("Correct")
    assert nb.run("check_recorded_scale(lambda v: v + 14.0)").startswith("Correct")
