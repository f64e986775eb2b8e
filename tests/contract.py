"""The contract of the collection, as one table: every notebook's public functions.

Each entry says what a reader (and every test) may rely on:

* ``function``: the name, defined in the notebook;
* ``first``: the first parameter, the only one that may be passed by position, and its unit
  (the docstring's first line must contain ``"<first> [<unit>]"``);
* ``result``: the named tuple's type name and the fields it must have, and the shape of each
  array field in terms of others (``"V": ("t", "x")`` means ``V.shape == (len(t), len(x))``);
* ``example``: a fast, valid call (keyword arguments), used by the contract and hostile-input
  suites;
* ``domain``: the accepted range of each numeric parameter, as documented in the docstring:
  ``(low, high)`` closed, a ``low`` given as ``("open", x)`` for ``x < value``. A value outside
  it, of the wrong type (None, a string, a bool) or not finite must raise ``ValueError`` whose
  first word is the parameter's name;
* ``valid``: ranges for generated valid calls (a subset of the domain in which every
  combination is valid and runs in well under a second), for tests/test_hostile_input.py.

tests/test_contract.py and tests/test_hostile_input.py read this table; a notebook's own test
file tests the science. A new notebook adds its entry here (CONTRIBUTING.md).
"""

import re
from dataclasses import dataclass, field

import pytest

OPEN = "open"
INF = float("inf")


@dataclass
class Contract:
    notebook: str
    function: str
    first: tuple                      # (name, unit)
    result: str
    fields: tuple
    example: dict
    shapes: dict = field(default_factory=dict)
    domain: dict = field(default_factory=dict)
    valid: dict = field(default_factory=dict)
    # First argument values that must be refused (besides the generic bad types), as
    # expressions evaluated in the kernel, e.g. "lambda t: np.ones(3)".
    bad_first: tuple = ()

    @property
    def id(self):
        return f"{self.notebook.split('/')[-1].removesuffix('.ipynb')}.{self.function}"


class Expr(str):
    """An expression to paste into the call as it is (repr gives the text itself)."""

    def __repr__(self):
        return str(self)


# Current callables that every contract function with a current must refuse, naming the current.
BAD_CURRENTS = (
    "lambda t: float('nan')",                 # not finite
    "lambda t: np.ones(3)",                   # an array where one value per time is needed
    "lambda t: 'abc'",                        # not a number
)

CONTRACTS = [
    # ------------------------------------------------------------------ point neurons
    Contract(
        "point-neurons/01_integrate_and_fire.ipynb", "simulate", ("I", "nA"),
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
    Contract(
        "point-neurons/02_leaky_integrate_and_fire.ipynb", "simulate", ("I", "nA"),
        "LIFResult", ("t", "V", "spikes"),
        example=dict(I=2.0, T=50.0, dt=0.1),
        shapes={"V": ("t",)},
        # dt is also at most T (and below 2 tau_m for method="euler"), V_reset and V0 (default
        # E_L) below V_th, and T / dt at most 1e7 steps.
        domain=dict(I=(-1e4, 1e4), T=((OPEN, 0.0), 1e6), dt=((OPEN, 0.0), 1e6),
                    tau_m=((OPEN, 0.0), 1e4), R=((OPEN, 0.0), 1e5), E_L=(-200.0, 200.0),
                    V_th=(-200.0, 200.0), V_reset=(-200.0, 200.0), t_ref=(0.0, 1e3),
                    V0=(-200.0, 200.0)),
        valid=dict(I=(-5.0, 50.0), T=(1.0, 200.0), dt=(0.01, 1.0), tau_m=(2.0, 50.0),
                   R=(1.0, 100.0), t_ref=(0.0, 5.0)),
        bad_first=BAD_CURRENTS,
    ),
    Contract(
        "point-neurons/03_exponential_integrate_and_fire.ipynb", "simulate", ("I", "pA"),
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
    Contract(
        "point-neurons/04_adaptive_exponential_integrate_and_fire.ipynb", "simulate", ("I", "pA"),
        "AdExResult", ("t", "V", "w", "spikes"),
        example=dict(I=1000.0, T=50.0, dt=0.05),
        shapes={"V": ("t",), "w": ("t",)},
        # Voltages: [-150, 100] mV, with V_T < V_peak <= V_T + 600 Delta_T and V_reset < V_peak
        # (the edges below are those at the other parameters' defaults: V_T = -50.4, V_peak = 0;
        # V_reset = V_peak itself is refused). dt is also limited to a tenth of the fastest
        # subthreshold time scale (0.937 ms at the defaults) and to T; T/dt to 1e7 steps.
        domain=dict(T=((OPEN, 0.0), 1e6), dt=(1e-6, 1.0), C=((OPEN, 0.0), 1e5),
                    g_L=((OPEN, 0.0), 1e4), E_L=(-150.0, 100.0), V_T=(-150.0, 100.0),
                    Delta_T=((OPEN, 0.0), 20.0), V_peak=((OPEN, -50.4), 100.0),
                    V_reset=(-150.0, 0.0), a=(-1e4, 1e4), b=(0.0, 1e4),
                    tau_w=((OPEN, 0.0), 1e5), t_ref=(0.0, 1e3), w0=(-1e5, 1e5)),
        # at most 2500 steps: the suite times valid calls under tracemalloc, which slows this
        # pure-Python loop about a hundredfold
        valid=dict(I=(-500.0, 3000.0), T=(1.0, 50.0), dt=(0.02, 0.1), a=(-10.0, 20.0),
                   b=(0.0, 200.0), tau_w=(20.0, 300.0), t_ref=(0.0, 5.0)),
        # |I| <= 1e5 pA: currents of 1e7 pA once took 21 s and 1e9 pA never finished
        bad_first=BAD_CURRENTS + ("1e7", "-1e9", "lambda t: np.full(np.shape(t), 1e9)"),
    ),
    Contract(
        "point-neurons/05_izhikevich.ipynb", "simulate", ("I", "mV/ms"),
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
    Contract(
        "point-neurons/06_hodgkin_huxley.ipynb", "simulate", ("I", "µA/cm²"),
        "HHResult", ("t", "V", "m", "h", "n", "spikes"),
        example=dict(I=10.0, T=30.0, dt=0.025),
        shapes={"V": ("t",), "m": ("t",), "h": ("t",), "n": ("t",)},
        domain=dict(I=(-1000.0, 1000.0), T=((OPEN, 0.0), 1e6), dt=(1e-6, 0.5),
                    g_Na=(0.0, 1e4), g_K=(0.0, 1e4), g_L=(0.0, 1e3), E_Na=(-200.0, 200.0),
                    E_K=(-200.0, 200.0), E_L=(-200.0, 200.0), C_m=((OPEN, 0.0), 100.0),
                    celsius=(0.0, 40.0)),
        valid=dict(I=(-5.0, 100.0), T=(1.0, 60.0), dt=(0.005, 0.05), g_Na=(50.0, 200.0),
                   g_K=(10.0, 60.0), g_L=(0.1, 1.0), C_m=(0.5, 2.0), celsius=(0.0, 20.0)),
        bad_first=BAD_CURRENTS + ("lambda t: 5e3", "lambda t: True", "[1.0, 2.0]"),
    ),
    # ------------------------------------------------------------------ multi-compartment
    Contract(
        "multi-compartment-neurons/01_cable_theory.ipynb", "simulate_cable", ("I", "nA"),
        "CableResult", ("t", "x", "V"),
        example=dict(I=0.1, T=5.0, dt=0.05, nseg=50),
        shapes={"V": ("t", "x")},
        # dt: (0, min(T, tau_m/10)], i.e. (0, 4] ms at the example's T = 5 ms and tau_m = 40 ms
        domain=dict(T=((OPEN, 0.0), 1e6), dt=((OPEN, 0.0), 4.0), L=((OPEN, 0.0), 1e5),
                    diam=((OPEN, 0.0), 1e4), R_m=((OPEN, 0.0), 1e8), R_a=((OPEN, 0.0), 1e5),
                    C_m=((OPEN, 0.0), 100.0), E_L=(-200.0, 200.0), nseg=(1, 1e6)),
        # dt <= 0.25 ms keeps dt <= tau_m/10 for the smallest tau_m = 5e3 Ω cm² x 0.5 µF/cm²
        valid=dict(I=(-1.0, 1.0), T=(1.0, 20.0), dt=(0.01, 0.25), L=(100.0, 3000.0),
                   diam=(0.2, 5.0), R_m=(5e3, 1e5), R_a=(50.0, 300.0), C_m=(0.5, 2.0),
                   E_L=(-90.0, -50.0)),
        bad_first=BAD_CURRENTS,
    ),
    Contract(
        "multi-compartment-neurons/02_simplified_dendritic_models.ipynb", "simulate_pinsky_rinzel",
        ("I_s", "µA/cm²"), "PinskyRinzelResult", ("t", "V_s", "V_d", "Ca", "spikes"),
        example=dict(I_s=0.75, T=50.0, dt=0.05),
        shapes={"V_s": ("t",), "V_d": ("t",), "Ca": ("t",)},
        # dt's limit (RK4) and the currents' ranges (densities I_s/p, I_d/(1-p) in [-5, 50]
        # µA/cm²) depend on g_c and p; the values here are those at the example's g_c and p.
        domain=dict(I_s=(-2.5, 25.0), T=((OPEN, 0.0), 1e6), dt=((OPEN, 0.0), 0.1),
                    g_c=(0.0, 100.0), p=((OPEN, 0.0), 1.0), I_d=(-2.5, 25.0)),
        # At most 2400 RK4 steps: the memory tracer of the hostile-input suite slows the
        # pure-Python loop (a float allocated per operation) about 30-fold.
        valid=dict(I_s=(-1.0, 3.0), T=(10.0, 60.0), dt=(0.025, 0.05), g_c=(0.5, 10.0),
                   p=(0.2, 0.8), I_d=(-1.0, 1.0)),
        bad_first=BAD_CURRENTS,
    ),
    Contract(
        "multi-compartment-neurons/03_full_morphological_models.ipynb", "simulate_morphology",
        ("I", "nA"), "MorphologyResult", ("t", "V_soma", "V", "spikes"),
        example=dict(I=0.05, T=5.0, dt=0.025),
        shapes={"V_soma": ("t",), "V": ("t", "x")},
        # dt: [1e-4, 1] ms passive (the default), [1e-4, 0.1] ms with active=True.
        domain=dict(I=(-10.0, 10.0), T=((OPEN, 0.0), 1e6), dt=(1e-4, 1.0), R_m=(100.0, 1e7),
                    R_a=(10.0, 1000.0), C_m=(0.01, 20.0), E_L=(-120.0, 60.0)),
        valid=dict(I=(-0.5, 0.5), T=(1.0, 10.0), dt=(0.01, 0.1), R_m=(5e3, 1e5),
                   R_a=(50.0, 300.0), C_m=(0.5, 2.0), E_L=(-80.0, -50.0)),
        bad_first=BAD_CURRENTS + ("1e300", "-10.5", "lambda t: 1e300"),
    ),
    Contract(
        "multi-compartment-neurons/03_full_morphological_models.ipynb", "load_swc",
        ("path", "str or os.PathLike"), "SWC", ("path", "id", "type", "x", "y", "z", "r", "parent"),
        example=dict(),
        shapes={f: ("id",) for f in ("type", "x", "y", "z", "r", "parent")},
        bad_first=("3", "None", "b'x.swc'", "3.5", "True", "'/nonexistent/cell.swc'", "'/'"),
    ),
    # The NEURON notebook's run functions take the cell explicitly: `cell=cell`, the notebook's
    # RorbCell, pasted into each call as it is (a str whose repr is its text, like Expr below).
    Contract(
        "multi-compartment-neurons/04_detailed_biophysical_models_neuron.ipynb", "run_step",
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
        "multi-compartment-neurons/04_detailed_biophysical_models_neuron.ipynb", "run_synapse",
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
    Contract(
        "multi-compartment-neurons/05_axons_and_propagation.ipynb", "simulate_axon", ("I", "nA"),
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
    Contract(
        "multi-compartment-neurons/06_dendritic_integration.ipynb", "simulate_synaptic_input",
        ("synapses", "list of Synapse"), "SynapticInputResult",
        ("t", "V_soma", "V", "g", "sites", "spikes", "names", "x", "distance"),
        example=dict(synapses=[{"location": ("dend[3]", 0.5), "kind": "AMPA", "weight": 1.0,
                                "times": [1.0]},
                               {"location": ("apic[10]", 0.3), "kind": "NMDA", "weight": 2.0,
                                "times": [0.5, 2.0]}],
                     T=5.0, dt=0.025),
        shapes={"V_soma": ("t",), "V": ("t", "x"), "g": ("t", "sites")},
        # dt: [1e-3, 1] ms passive (the default), [1e-3, 0.05] ms with active=True.
        domain=dict(T=((OPEN, 0.0), 1e5), dt=(1e-3, 1.0), R_m=(100.0, 1e7), R_a=(10.0, 1000.0),
                    C_m=(0.01, 20.0), E_L=(-120.0, 60.0), mg=(0.0, 10.0), I_soma=(-10.0, 10.0)),
        valid=dict(T=(1.0, 10.0), dt=(0.01, 0.1), R_m=(5e3, 1e5), R_a=(50.0, 300.0),
                   C_m=(0.5, 2.0), E_L=(-80.0, -50.0), mg=(0.0, 2.0), I_soma=(-0.5, 0.5)),
        bad_first=(
            "None", "{'location': ('dend[3]', 0.5), 'kind': 'AMPA', 'weight': 1.0, 'times': [1.0]}",
            "[{'location': ('nowhere[0]', 0.5), 'kind': 'AMPA', 'weight': 1.0, 'times': [1.0]}]",
            "[{'location': ('dend[3]', 1.0), 'kind': 'AMPA', 'weight': 1.0, 'times': [1.0]}]",
            "[{'location': (1e300, 0.0, 0.0), 'kind': 'AMPA', 'weight': 1.0, 'times': [1.0]}]",
            "[{'location': ('dend[3]', 0.5), 'kind': 'AMPA', 'weight': -1.0, 'times': [1.0]}]",
            "[{'location': ('dend[3]', 0.5), 'kind': 'AMPA', 'weight': 1.0, 'times': [2.0, 1.0]}]",
            "[{'location': ('dend[3]', 0.5), 'kind': 'GABA_B', 'weight': 1.0, 'times': [1.0]}]",
            "[{'location': ('dend[3]', 0.5), 'kind': 'AMPA', 'weight': float('nan'), 'times': [1.0]}]",
            "[{'location': ('dend[3]', 0.5), 'kind': 'AMPA', 'weight': 1.0, 'times': [float('inf')]}]",
            "[{'location': ('dend[3]', 0.5), 'kind': 'AMPA', 'weight': 1.0}]",
            "[('dend[3]', 0.5)]",
        ),
    ),
    # ------------------------------------------------------------------ model comparison
    # The capstone's one public run: a fitted candidate (or other parameters) on the test segment,
    # scored against the detailed cell. `name` is a model, not a number.
    Contract(
        "model-comparison/01_choosing_a_neuron_model.ipynb", "run_candidate",
        ("name", "LIF, EIF, AdEx or Izhikevich"), "CandidateResult", ("t", "V", "spikes", "gamma", "rmse"),
        example=dict(name="LIF", T=200.0),
        shapes={"V": ("t",)},
        domain=dict(T=(20.0, 2000.0), dt=(0.001, 0.1), Delta=((OPEN, 0.0), 10.0)),
        valid=dict(T=(20.0, 500.0), dt=(0.05, 0.1), Delta=(1.0, 8.0)),
        bad_first=("'HH'", "'lif'", "3", "None", "['LIF']"),
    ),
]

# The contributors' template holds itself to the same contract.
CONTRACTS.append(Contract(
    "templates/notebook.ipynb", "simulate", ("I", "nA"), "PassiveResult", ("t", "V"),
    example=dict(I=1.0, T=50.0, dt=0.1),
    shapes={"V": ("t",)},
    domain=dict(T=((OPEN, 0.0), 1e7), C=((OPEN, 0.0), 1e3), g_L=((OPEN, 0.0), 1e3),
                E_L=(-200.0, 200.0)),
    valid=dict(I=(-5.0, 5.0), T=(1.0, 200.0), dt=(0.01, 1.0), C=(0.2, 5.0), g_L=(0.05, 1.0)),
    bad_first=BAD_CURRENTS,
))

BY_NOTEBOOK = {}
for _c in CONTRACTS:
    BY_NOTEBOOK.setdefault(_c.notebook, []).append(_c)


# ------------------------------------------------------------ helpers of the two suites
def contract_params(contracts=None):
    contracts = CONTRACTS if contracts is None else contracts
    return [pytest.param(c, marks=pytest.mark.notebook(c.notebook), id=c.id) for c in contracts]


def first_word(message):
    match = re.match(r"\s*([A-Za-z_][A-Za-z_0-9]*)", message)
    return match.group(1) if match else ""


def call_expr(c: Contract, overrides=None, first=None):
    """The call of the table's example, with some keyword arguments (or the first) replaced;
    `first` and Expr values are expressions pasted as they are."""
    kwargs = dict(c.example, **(overrides or {}))
    example_first = kwargs.pop(c.first[0], None)
    if first is None:
        first = "DEFAULT_SWC" if c.function == "load_swc" else repr(example_first)
    return f"{c.function}({', '.join([first] + [f'{k}={v!r}' for k, v in kwargs.items()])})"
