"""The capstone: its coincidence factor, its fits, its loader, its Dask paths and its checkers.

References, all independent of the notebook's code:
  * Γ of identical trains is 1 exactly; of a hand-counted case, the formula evaluated here;
  * the number of coincidences, against a maximum bipartite matching computed here with
    scipy.sparse.csgraph (each spike in at most one pair); two reference spikes sharing one model
    spike make one coincidence, so Γ <= 1;
  * a model train at or above 1/(2Δ) (Γ undefined) is refused by Γ and costs the fit's penalty;
  * independent Poisson trains: E[Γ] between (p - 2νΔ) / (1 - 2νΔ) for p = 1 - exp(-2νΔ) (a model
    spike in the window: an upper bound of one-to-one matching) and p = (1 - exp(-2νΔ)) exp(-4νΔ)
    (and no competing reference spike: a lower bound), within four standard errors;
  * parameter recovery: the LIF's own synthetic data, each parameter within 5 % of its search
    interval (the notebook asserts it; here its recovered values are compared with the truth);
  * the same fit serially, on the notebook's local cluster and on a Dask scheduler with two
    worker processes that this test starts as separate programs over loopback TCP: identical
    parameters and losses (same seed; differential evolution draws its random numbers in the
    main process, so where a loss is computed must not matter);
  * the loader: the loaded `simulate` is compiled from the notebook's own `model` cell, and a
    change written into a copy of a model notebook reaches the loaded function;
  * the step features: the adaptation index (IPFX's: the mean of (ISI_k+1 - ISI_k) / (ISI_k+1 +
    ISI_k)) against (r - 1) / (r + 1) for intervals growing by r, and against the definition
    evaluated here for random trains; the latency against the first spike after the onset;
  * the stored FULL-budget fits: their scores, simulated again with the notebook's functions, equal
    the stored ones (deterministic simulations: 1e-9 relative), on the same test input, and a
    changed parameter changes them (so the check can fail), and they were run with the budget,
    seeds and segments the notebook's settings cell gives with FULL = True;
  * the Dask-overhead measurement of `make bench` (tools/kernel_side/bench_dask.py): it times the
    same fits serially and on a one-worker cluster, and refuses fits that differ.
"""

import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from contract import OPEN, Contract

NB = "model-comparison/01_choosing_a_neuron_model.ipynb"
pytestmark = pytest.mark.notebook(NB)

COLAB_NEEDS = {"neuron", "bmtk"}  # what its Colab setup cell installs (tests/test_colab_setup.py)
CONTRACTS = [  # its rows of the contract table (the fields: tests/contract.py)
    # The capstone's one public run: a fitted candidate (or other parameters) on the test segment,
    # scored against the detailed cell. `name` is a model, not a number.
    Contract(
        NB, "run_candidate",
        ("name", "LIF, EIF, AdEx or Izhikevich"), "CandidateResult", ("t", "V", "spikes", "gamma", "rmse"),
        example=dict(name="LIF", T=200.0),
        shapes={"V": ("t",)},
        domain=dict(T=(20.0, 2000.0), dt=(0.001, 0.1), Delta=((OPEN, 0.0), 10.0)),
        valid=dict(T=(20.0, 500.0), dt=(0.05, 0.1), Delta=(1.0, 8.0)),
        bad_first=("'HH'", "'lif'", "3", "None", "['LIF']"),
    ),
]
ROOT = Path(__file__).resolve().parents[1]


def first_word(message):
    return message.strip().split()[0] if message.strip() else ""


# ----------------------------------------------------------------- the coincidence factor

def test_identical_trains_give_gamma_one(nb):
    for train in ([5.0], [10.0, 20.0, 35.5], list(np.linspace(3.0, 990.0, 40))):
        assert nb.eval(f"coincidence_factor({train!r}, {train!r}, T=1000.0)") == 1.0


def test_hand_counted_case(nb):
    # reference 10, 50, 90; model 12, 70, 91; T = 100, Delta = 4: two coincidences, nu = 0.03/ms
    nu, delta = 3 / 100.0, 4.0
    expected = (2 - 2 * nu * delta * 3) / (0.5 * (3 + 3)) / (1 - 2 * nu * delta)
    got = nb.eval("coincidence_factor([10.0, 50.0, 90.0], [12.0, 70.0, 91.0], T=100.0, Delta=4.0)")
    assert got == pytest.approx(expected, abs=1e-12)


def _max_matching(ref, mod, delta):
    """Largest one-to-one set of pairs |r - m| <= delta, by scipy's bipartite matching."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import maximum_bipartite_matching
    graph = csr_matrix((np.abs(np.subtract.outer(ref, mod)) <= delta).astype(int))
    return int(np.sum(maximum_bipartite_matching(graph, perm_type="column") >= 0))


def test_coincidence_count_against_maximum_matching(nb):
    rng = np.random.default_rng(7)
    for k in range(40):
        # dense trains (up to 80 spikes in 300 ms) so that windows overlap and sharing is common
        span = 1000.0 if k % 2 else 300.0
        ref = np.sort(rng.uniform(0, span, rng.integers(1, 80)))
        mod = np.sort(rng.uniform(0, span, rng.integers(1, 80)))
        expected = _max_matching(ref, mod, 4.0)
        assert expected <= min(len(ref), len(mod))
        assert nb.eval(f"coincidences(np.array({ref.tolist()!r}), np.array({mod.tolist()!r}), 4.0)") == expected


def test_two_reference_spikes_sharing_one_model_spike(nb):
    """Reference 10, 16, 100 ms, model 13, 100 ms, T = 1 s: 13 is within 4 ms of both 10 and 16,
    but counts once: N_coinc = 2 and Γ = (2 - 2 nu Delta 3) / 2.5 / (1 - 2 nu Delta) < 1."""
    assert nb.eval("coincidences(np.array([10.0, 16.0, 100.0]), np.array([13.0, 100.0]), 4.0)") == 2
    nu, delta = 2 / 1000.0, 4.0
    expected = (2 - 2 * nu * delta * 3) / 2.5 / (1 - 2 * nu * delta)
    got = nb.eval("coincidence_factor([10.0, 16.0, 100.0], [13.0, 100.0], T=1000.0, Delta=4.0)")
    assert got == pytest.approx(expected, abs=1e-12) and got < 1.0
    # every reference spike of a burst shares the single model spike: one coincidence only
    assert nb.eval("coincidences(np.array([1.0, 2.0, 3.0, 4.0, 5.0]), np.array([3.0]), 4.0)") == 1


def test_gamma_never_exceeds_one(nb):
    """Reference doublets (b, b + 6 ms) and a model spike at b + 3 ms within 4 ms of both, plus
    isolated spikes matched exactly: a count per reference spike would exceed the model's spikes
    and Γ would exceed 1; the one-to-one count keeps Γ <= 1."""
    rng = np.random.default_rng(3)
    for _ in range(30):
        base = np.sort(rng.choice(np.arange(20, 980, 20), rng.integers(2, 20), replace=False)).astype(float)
        single = base[::2]
        pairs = base[1::2]
        ref = np.sort(np.concatenate([single, pairs, pairs + 6.0]))
        mod = np.sort(np.concatenate([single, pairs + 3.0]))
        g = nb.eval(f"coincidence_factor({ref.tolist()!r}, {mod.tolist()!r}, T=1000.0, Delta=4.0)")
        assert g <= 1.0 + 1e-12, g


def test_a_train_above_one_over_two_delta_is_refused_and_penalised(nb):
    """16 reference spikes in 1 s; the model at 124 Hz still has a Γ (the formula, with the matching
    computed here); at 125 Hz
    = 1/(2 Delta) and above, Γ is undefined: a ValueError naming the model, and the fit's loss
    is the penalty, the largest loss there is (not a better score than at 124 Hz)."""
    ref = "np.arange(16) * 60.0"
    g124 = nb.eval(f"coincidence_factor({ref}, np.arange(124) * 8.0, T=1000.0, Delta=4.0)")
    n_coinc = _max_matching(np.arange(16) * 60.0, np.arange(124) * 8.0, 4.0)
    nu, delta = 124 / 1000.0, 4.0
    assert g124 == pytest.approx((n_coinc - 2 * nu * delta * 16) / (0.5 * (16 + 124)) / (1 - 2 * nu * delta), abs=1e-9)
    for n in (125, 126, 200):
        kind, message = nb.eval_raises(f"coincidence_factor({ref}, np.arange({n}) * 8.0 * 125 / {n}, T=1000.0, Delta=4.0)")
        assert kind == "ValueError" and first_word(message) == "model", (n, kind, message)
    # the loss of a train that fires above 125 Hz: a LIF driven hard (R large, threshold near rest)
    loss, penalty = nb.eval(
        "(Objective('LIF', MODELS['LIF']['simulate'], train_current, REF['train'], T_TRAIN)"
        "([2.0, 400.0, V_REST + 1.0, -90.0]), PENALTY)")
    rate = nb.eval("len(simulate_candidate(MODELS['LIF']['simulate'], 'LIF', dict(tau_m=2.0, R=400.0, "
                   "V_th=V_REST + 1.0, V_reset=-90.0), train_current, T_TRAIN).spikes) / T_TRAIN * 1e3")
    assert rate >= 125.0, rate
    assert loss == penalty
    # and no accepted set scores above the penalty
    worst = nb.eval("max(Objective('LIF', MODELS['LIF']['simulate'], train_current, REF['train'], T_TRAIN)(x) for x in "
                    "[[60.0, 20.0, -40.0, -66.0], [2.0, 60.0, V_REST + 3.0, -90.0], [30.0, 100.0, -50.0, -70.0]])")
    assert worst <= penalty


def test_independent_poisson_trains_have_gamma_near_zero(nb):
    """Between the closed-form bounds of one-to-one matching: p1 = 1 - exp(-2 nu Delta) (at least
    one model spike in the window) and p0 = p1 exp(-4 nu Delta) (and no competing reference spike)."""
    nu, T, delta, pairs = 0.02, 5000.0, 4.0, 300          # 20 Hz: 2 nu Delta = 0.16
    gammas = np.array(nb.eval(
        f"[coincidence_factor(np.sort(_r.uniform(0, {T}, _r.poisson({nu * T}))), "
        f"np.sort(_r.uniform(0, {T}, _r.poisson({nu * T}))), T={T}, Delta={delta}) "
        f"for _r in [np.random.default_rng(11)] for _ in range({pairs})]"))
    p1 = 1 - math.exp(-2 * nu * delta)
    p0 = p1 * math.exp(-4 * nu * delta)
    upper, lower = [(p - 2 * nu * delta) / (1 - 2 * nu * delta) for p in (p1, p0)]
    se = gammas.std(ddof=1) / math.sqrt(pairs)
    assert lower - 4 * se < gammas.mean() < upper + 4 * se, (gammas.mean(), lower, upper, se)
    assert -0.07 < lower < upper < 0.0


# ----------------------------------------------------------------- the fits

def test_parameter_recovery_on_synthetic_lif_data(nb):
    true, recovered, bounds = nb.eval("(TRUE_LIF, recovered.params, CANDIDATES['LIF'])")
    for key, value in true.items():
        low, high, _ = bounds[key]
        assert abs(recovered[key] - value) < 0.05 * (high - low), (key, recovered[key], value)
    assert nb.eval("recovered.loss") < 0.05


def test_fitted_candidates_beat_chance_on_the_test_segment(nb):
    """Γ of every fitted model on held-out input is well above the chance level 0 (the sd of Γ
    for independent trains of ~20 spikes is about 0.25, so 0.3 is more than a standard deviation)."""
    scores = nb.eval("{k: s.gamma for k, s in SCORES.items()}")
    assert all(g > 0.3 for g in scores.values()), scores


def test_the_shipped_loss_carries_its_model_not_every_notebook(nb):
    """What Dask sends to a worker for a fit: the loss with one model's code and the training data.
    Not MODELS (all four notebooks' namespaces): a worker would then import matplotlib, ipywidgets
    and IPython to unpickle it (1.5 s on a fresh worker, measured), for every fit a larger
    payload, and the loss of one candidate would depend on the other three notebooks."""
    payload = nb.eval("__import__('cloudpickle').dumps(Objective('AdEx', MODELS['AdEx']['simulate'], "
                      "train_current, REF['train'], T_TRAIN))")
    for name in (b"ipywidgets", b"matplotlib", b"IPython", b"neurons_model_LIF", b"neurons_model_EIF"):
        assert name not in payload, name
    assert b"neurons_model_AdEx" in payload          # the model itself goes, by value


def test_the_local_cluster_does_not_monitor_for_a_dashboard_that_is_not_there(nb):
    """The notebook's local cluster has no dashboard (no bokeh), so the monitors that feed one are
    turned down (LOCAL_CLUSTER_CONFIG): its workers run without the statistical profiler (a 10 ms
    sampler of the running task) and check their event loop every second, not every 20 ms, and its
    scheduler has no work stealing; the bench's clusters are built the same way (local_cluster)."""
    worker = "list(client.run(lambda: dask.config.get({!r})).values())"
    assert nb.eval(worker.format("distributed.worker.profile.enabled")) == [False, False]
    assert nb.eval(worker.format("distributed.admin.tick.interval")) == ["1s", "1s"]
    assert nb.eval("'stealing' in client.cluster.scheduler.extensions") is False
    assert nb.eval("LOCAL_CLUSTER_CONFIG") == {
        "distributed.worker.profile.enabled": False, "distributed.scheduler.work-stealing": False,
        "distributed.admin.tick.interval": "1s", "distributed.worker.memory.monitor-interval": "1s",
        "distributed.admin.system-monitor.interval": "2s",
        "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}


def test_the_local_workers_allocate_memory_as_the_kernel_does(nb):
    """Dask's nannies set MALLOC_TRIM_THRESHOLD_=65536 for their workers by default, which turns
    off glibc's adaptive thresholds, and each evaluation's arrays then come from fresh pages; the
    notebook's local cluster does not set it, in its workers or in this kernel (where the nannies
    run, and where they would leave it for every worker started later)."""
    assert nb.eval("list(client.run(lambda: __import__('os').environ.get('MALLOC_TRIM_THRESHOLD_')).values())") \
        == [None, None]
    assert nb.eval("os.environ.get('MALLOC_TRIM_THRESHOLD_')") is None


def test_each_generation_is_submitted_before_the_last_one_is_released(nb):
    """The client sends its messages to the scheduler at most every 10 ms, and dropping a future
    sends its release (from the client's event-loop thread, soon after): DaskMap therefore drops a
    generation's futures only after it has submitted the next generation, which would otherwise
    wait behind that release. It counts the worker
    threads once per fit (with the scatter), not with a call to the scheduler every generation."""
    nb.run("_ops, _info_calls = [], [0]\n"
           "_send, _info = client._send_to_scheduler, client.scheduler_info\n"
           "client._send_to_scheduler = lambda msg: (_ops.append((msg['op'], {str(k) for k in msg.get('keys', ())})), _send(msg))[1]\n"
           "client.scheduler_info = lambda *a, **k: (_info_calls.__setitem__(0, _info_calls[0] + 1), _info(*a, **k))[1]\n"
           "try:\n"
           "    _map, _loss = DaskMap(client), lambda x: float(sum(x))\n"
           "    _losses = [_map(_loss, [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])]\n"
           "    time.sleep(0.1)   # time for the event-loop thread to send a release that is due\n"
           "    _losses.append(_map(_loss, [[0.5, 1.0], [2.0, 3.0]]))\n"
           "    del _map\n"
           "finally:\n"
           "    client._send_to_scheduler, client.scheduler_info = _send, _info")
    assert nb.eval("_losses") == [[3.0, 7.0, 11.0], [1.5, 5.0]]
    ops = nb.eval("_ops")
    (first, keys), (second, _) = [(i, keys) for i, (op, keys) in enumerate(ops) if op == "update-graph"]
    released = [i for i, (op, k) in enumerate(ops) if op == "client-releases-keys" and k & keys]
    assert len(keys) == 2 and len(released) == 2               # one chunk per worker thread
    assert min(released) > second, ops
    assert nb.eval("_info_calls[0]") == 1


def _dask_cli():
    exe = Path(sys.executable).parent / "dask"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "dask"]


def test_serial_local_cluster_and_separate_scheduler_give_identical_fits(nb, tmp_path):
    scheduler_file = tmp_path / "scheduler.json"
    env = dict(os.environ, DASK_DISTRIBUTED__LOGGING__DISTRIBUTED="error")
    procs = [subprocess.Popen(_dask_cli() + ["scheduler", "--host", "127.0.0.1", "--port", "0",
                                             "--no-dashboard", "--scheduler-file", str(scheduler_file)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=tmp_path)]
    try:
        deadline = time.time() + 60
        while not scheduler_file.exists() and time.time() < deadline:
            time.sleep(0.2)
        assert scheduler_file.exists(), "the scheduler did not start"
        time.sleep(0.5)
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        procs.append(subprocess.Popen(_dask_cli() + ["worker", address, "--nworkers", "2", "--nthreads", "1",
                                                     "--no-dashboard"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=tmp_path))
        nb.run(f"_remote = make_client({address!r}); _remote.wait_for_workers(2, timeout=90)")
        assert nb.eval("len(_remote.scheduler_info()['workers'])") == 2
        # LIF, the cheapest candidate: the three engines see the same calls whatever the model,
        # and this test runs four fits (serially 0.46 s of CPU each, against 2.77 s with AdEx).
        nb.run("_small = dict(popsize=3, maxiter=4, progress=False, seed=123)\n"
               "_fits = [fit('LIF', train_current, REF['train'], T_TRAIN, client=_c, **_small)\n"
               "         for _c in (None, client, _remote)]")
        serial, local, remote = nb.eval("[(f.params, f.loss, f.evaluations) for f in _fits]")
        assert serial == local == remote
        # a different seed gives a different fit (the comparison above can fail)
        other = nb.eval("fit('LIF', train_current, REF['train'], T_TRAIN, client=None, popsize=3, maxiter=4,"
                        " progress=False, seed=124).params")
        assert other != serial[0]
        nb.run("_remote.close()")
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_the_environment_variable_selects_the_scheduler(nb):
    """make_client connects to $NEURONS_DASK_SCHEDULER when it is set (Client replaced by a stub
    that records its argument), and starts a local cluster only when it is not."""
    out = nb.run(
        "import os as _os\n"
        "from unittest import mock as _mock\n"
        "with _mock.patch.dict(_os.environ, {'NEURONS_DASK_SCHEDULER': 'tcp://10.0.0.7:8786'}), \\\n"
        "        _mock.patch.dict(globals(), Client=lambda *a, **k: ('connect', a)):\n"
        "    print(make_client())\n"
        "with _mock.patch.dict(globals(), Client=lambda *a, **k: ('connect', a), LocalCluster=lambda **k: 'local'):\n"
        "    _saved = _os.environ.pop('NEURONS_DASK_SCHEDULER', None)\n"
        "    print(make_client())\n"
        "    if _saved is not None:\n"
        "        _os.environ['NEURONS_DASK_SCHEDULER'] = _saved\n")
    assert out.split() == ["('connect',", "('tcp://10.0.0.7:8786',))", "('connect',", "('local',))"], out


# ----------------------------------------------------------------- the loader

def test_loaded_simulate_is_compiled_from_the_notebooks_model_cell(nb):
    for name in ("LIF", "EIF", "AdEx", "Izhikevich"):
        same = nb.eval(
            f"(lambda s, i: MODELS[{name!r}]['simulate'].__code__ == next(c for c in compile("
            f"get_ipython().transform_cell(s[i]), 'x', 'exec').co_consts if getattr(c, 'co_name', '') == 'simulate'))"
            f"(model_cells({name!r}), next(k for k, t in enumerate(model_cells({name!r})) if 'def simulate(' in t))")
        assert same, name
    # and the comparison can fail: the LIF's simulate is not the EIF's
    assert not nb.eval("MODELS['LIF']['simulate'].__code__ == MODELS['EIF']['simulate'].__code__")


def test_a_change_in_a_model_notebook_reaches_the_loaded_model(nb, tmp_path):
    """A copy of the collection's LIF notebook whose simulate cell gains a marker attribute: the
    loader, pointed at the copy, must load the changed function (and only the tagged cells)."""
    import nbformat
    (tmp_path / "point-neurons").mkdir()
    src = nbformat.read(ROOT / "point-neurons/02_leaky_integrate_and_fire.ipynb", as_version=4)
    for cell in src.cells:
        tags = cell.metadata.get("tags", [])
        if cell.cell_type == "code" and "model" in tags and "def simulate(" in cell.source:
            cell.source += "\nsimulate.marker = 'changed'\n"
        elif cell.cell_type == "code" and "model" not in tags:
            cell.source = "raise RuntimeError('an untagged cell was executed')"
    nbformat.write(src, tmp_path / "point-neurons/02_leaky_integrate_and_fire.ipynb")
    out = nb.eval(f"(lambda old: (globals().__setitem__('COLLECTION', Path({str(tmp_path)!r})), "
                  f"getattr(load_model('LIF')['simulate'], 'marker', None), "
                  f"globals().__setitem__('COLLECTION', old))[1])(COLLECTION)")
    assert out == "changed"
    assert nb.eval("getattr(MODELS['LIF']['simulate'], 'marker', None)") is None


# ----------------------------------------------------------------- bad input

@pytest.mark.parametrize("call, word", [
    ("make_segments((0.0, 1000.0), (500.0, 2500.0), 3000.0)", "test"),       # overlaps training
    ("make_segments((1000.0, 2000.0), (0.0, 1500.0), 3000.0)", "test"),
    ("make_segments((0.0, 1000.0), (1000.0, 5000.0), 3000.0)", "test"),      # beyond the input
    ("make_segments((0.0, 10.0), (1000.0, 2000.0), 3000.0)", "train"),       # too short
    ("coincidence_factor([1.0], [1.0], T=100.0, Delta=0.0)", "Delta"),
    ("coincidence_factor([1.0], [1.0], T=100.0, Delta=-4.0)", "Delta"),
    ("coincidence_factor([1.0], [1.0], T=100.0, Delta=float('nan'))", "Delta"),
    ("coincidence_factor([1.0], [1.0], T=0.0)", "T"),
    ("coincidence_factor([float('nan')], [1.0], T=100.0)", "reference"),
    ("coincidence_factor([1.0], 'abc', T=100.0)", "model"),
    ("load_model('HodgkinHuxley')", "name"),
    ("load_model(None)", "name"),
    ("fit('GLIF', train_current, REF['train'], T_TRAIN)", "name"),
    ("fit('detailed', train_current, REF['train'], T_TRAIN)", "name"),
    ("run_candidate('lif')", "name"),
    ("run_candidate('LIF', params={'tau': 5.0})", "params"),
    ("run_candidate('LIF', Delta=0.0)", "Delta"),
    ("run_candidate('LIF', dt=0.5)", "dt"),
    ("run_candidate('LIF', dt=5e-324)", "dt"),
])
def test_bad_input_raises_value_error_naming_the_parameter(nb, call, word):
    t0 = time.perf_counter()
    kind, message = nb.eval_raises(call)
    assert kind == "ValueError" and first_word(message) == word, (call, kind, message)
    assert time.perf_counter() - t0 < 5.0


def test_the_valid_segments_are_accepted(nb):
    assert nb.eval("tuple(map(tuple, make_segments((0.0, 1000.0), (1000.0, 3000.0), 3000.0)))") == \
        ((0.0, 1000.0), (1000.0, 3000.0))


# ----------------------------------------------------------------- the exercises' checkers

@pytest.mark.parametrize("call", [
    "check_gamma(...)",
    "check_gamma('0.49')",
    "check_gamma(0.434)",                 # no normalisation
    "check_gamma(0.818)",                 # three coincidences
    "check_gamma(1.0)",
    "check_chance_coincidences(...)",
    "check_chance_coincidences(8.0)",     # the reference's rate
    "check_chance_coincidences(20.0)",    # a window of Delta, not 2 Delta
    "check_chance_coincidences(True)",
    "check_network_hours(...)",
    "check_network_hours(REF_CPU_PER_S * 600.0 * 1000 / 60.0)",    # minutes
    "check_network_hours(REF_CPU_PER_S * 600.0 / 3600.0)",         # one cell
    "check_network_hours(float('nan'))",
])
def test_checkers_reject_wrong_answers(nb, call):
    out = nb.run(call).strip()
    assert out.startswith("Not yet"), (call, out)


@pytest.mark.parametrize("call", [
    "check_gamma((2 - 0.48) / 3.5 / 0.88)",
    "check_chance_coincidences(40.0)",
    "check_network_hours(REF_CPU_PER_S * 600.0 * 1000 / 3600.0)",
])
def test_checkers_accept_right_answers(nb, call):
    assert nb.run(call).strip().startswith("Correct"), call


# ----------------------------------------------------------------- the step features

def _adaptation_index_here(spikes, onset):
    """IPFX's adaptation index written out: mean over k of (isi[k+1] - isi[k]) / (isi[k+1] + isi[k])."""
    s = sorted(x for x in spikes if x >= onset)
    isi = [b - a for a, b in zip(s, s[1:])]
    if len(isi) < 2:
        return math.nan
    terms = [(isi[k + 1] - isi[k]) / (isi[k + 1] + isi[k]) for k in range(len(isi) - 1)]
    return sum(terms) / len(terms)


def test_adaptation_index_closed_form_and_definition(nb):
    onset = nb.eval("FI_DELAY")
    for r in (1.1, 1.5, 3.0, 1 / 1.7):
        spikes = onset + 2.0 + np.concatenate([[0.0], np.cumsum(8.0 * r ** np.arange(7.0))])
        got = nb.eval(f"adaptation_index({spikes.tolist()!r})")
        assert got == pytest.approx((r - 1) / (r + 1), abs=1e-12), r
    rng = np.random.default_rng(5)
    for _ in range(20):
        spikes = np.sort(rng.uniform(onset - 50.0, onset + 1000.0, rng.integers(0, 15)))
        expected = _adaptation_index_here(spikes.tolist(), onset)
        got = nb.eval(f"adaptation_index({spikes.tolist()!r})")
        assert (math.isnan(got) and math.isnan(expected)) or got == pytest.approx(expected, abs=1e-12)


def test_first_spike_latency(nb):
    onset = nb.eval("FI_DELAY")
    assert nb.eval(f"first_spike_latency([{onset - 20.0}, {onset + 3.25}, {onset + 50.0}])") == 3.25
    assert nb.eval(f"first_spike_latency([{onset}, {onset + 5.0}])") == 0.0
    assert math.isnan(nb.eval(f"first_spike_latency([{onset - 1.0}])"))
    assert math.isnan(nb.eval("first_spike_latency([])"))


def test_rms_error_leaves_out_and_counts_missing_features(nb):
    value, missed = nb.eval("rms_error(np.array([np.nan, 3.0, 5.0]), np.array([1.0, 1.0, 1.0]))")
    assert value == pytest.approx(math.sqrt((2.0 ** 2 + 4.0 ** 2) / 2), abs=1e-12) and missed == 1
    value, missed = nb.eval("rms_error(np.array([np.nan, np.nan]), np.array([1.0, 2.0]))")
    assert math.isnan(value) and missed == 2
    # a feature the reference lacks is not counted as missed by the model
    assert nb.eval("rms_error(np.array([2.0, np.nan]), np.array([1.0, np.nan]))") == (1.0, 0)


def test_reference_step_features_are_those_of_its_spikes(nb):
    """The reference's latencies and adaptation indices, from its step spike trains, computed here."""
    onset, trains, lat, ai = nb.eval("(FI_DELAY, [s.tolist() for s in FI_REF_SPIKES], LAT_REF, AI_REF)")
    for train, l, a in zip(trains, lat, ai):
        after = [t for t in train if t >= onset]
        assert l == pytest.approx(after[0] - onset, abs=1e-12)
        assert a == pytest.approx(_adaptation_index_here(train, onset), abs=1e-12)


# ----------------------------------------------------------------- the FULL budget

FULL_FILE = ROOT / "model-comparison" / "full_budget_fits.json"


def test_full_budget_fits_are_rescored_to_the_stored_scores(nb):
    stored = json.loads(FULL_FILE.read_text())
    rescored = nb.eval("{name: held_out_scores(name, FULL_RUN['models'][name]['params']) for name in POINT_MODELS}")
    assert set(rescored) == set(stored["models"]) == {"LIF", "EIF", "AdEx", "Izhikevich"}
    for name, scores in rescored.items():
        for key, value in scores.items():
            expected = stored["models"][name]["scores"][key]
            assert (math.isnan(value) and math.isnan(expected)) or value == pytest.approx(expected, rel=1e-9, abs=1e-12), \
                (name, key, value, expected)
    # the comparison can fail: a threshold 1 mV higher gives other scores
    moved = nb.eval("held_out_scores('LIF', dict(FULL_RUN['models']['LIF']['params'], "
                    "V_th=FULL_RUN['models']['LIF']['params']['V_th'] + 1.0))")
    assert (moved["gamma"], moved["rmse"]) != pytest.approx((rescored["LIF"]["gamma"], rescored["LIF"]["rmse"]), rel=1e-9)


def test_full_budget_run_is_the_notebooks_full_budget_on_the_same_test_segment(nb):
    """The stored fits must be those the notebook's settings cell gives with FULL = True now: a change
    of the FULL budget, the seeds, the step, the window or the segments in the notebook without a new
    full_budget.py run fails here."""
    sys.path.insert(0, str(ROOT / "model-comparison"))
    try:
        import full_budget
    finally:
        sys.path.pop(0)
    cells = ["".join(c["source"]) for c in json.loads((ROOT / NB).read_text())["cells"] if c["cell_type"] == "code"]
    (settings_cell,) = [c for c in cells if c.startswith(full_budget.SWITCH_OFF)]
    full = {}
    exec(settings_cell.replace(full_budget.SWITCH_OFF, full_budget.SWITCH_ON, 1), {}, full)
    stored = json.loads(FULL_FILE.read_text())
    settings = stored["settings"]
    assert full["FULL"] is True
    assert settings["DE_BUDGET"] == full["DE_BUDGET"]
    for key in ("SEED", "NOISE_SEED", "DT", "DELTA"):
        assert settings[key] == full[key], key
    assert tuple(settings["train"]) == (full["TRAIN_START"], full["TRAIN_START"] + full["T_TRAIN"])
    assert tuple(settings["test"]) == (full["TEST_START"], full["TEST_START"] + full["T_TEST"]) == tuple(nb.eval("tuple(TEST)"))
    for name, model in stored["models"].items():   # popsize x N, maxiter + 1 generations
        assert model["evaluations"] == full["DE_BUDGET"]["popsize"] * len(model["params"]) * (full["DE_BUDGET"]["maxiter"] + 1), name


def test_a_longer_input_begins_with_the_same_samples(nb):
    """FULL's input (5 s) must hold the default's (3 s) as its beginning, so both score on the same
    test segment: the generator draws in order and the AR(1) filter is causal."""
    same = nb.eval("np.array_equal(ou_current(5000.0, dt=DT_REF, seed=NOISE_SEED, **OU)[:len(I_FROZEN)], I_FROZEN)")
    assert same
    assert not nb.eval("np.array_equal(ou_current(5000.0, dt=DT_REF, seed=NOISE_SEED + 1, **OU)[:len(I_FROZEN)], I_FROZEN)")


def test_full_budget_script_finds_its_cells():
    """full_budget.py flips `FULL = False` at the start of one code cell and stops after the cell
    that builds the scores; each marker must be in exactly one code cell of the notebook."""
    import nbformat
    sys.path.insert(0, str(ROOT / "model-comparison"))
    try:
        import full_budget
    finally:
        sys.path.pop(0)
    cells = [c.source for c in nbformat.read(ROOT / NB, as_version=4).cells if c.cell_type == "code"]
    assert sum(c.startswith(full_budget.SWITCH_OFF) for c in cells) == 1
    assert sum(full_budget.LAST_CELL in c for c in cells) == 1
    assert sum(full_budget.FIT_CELL in c for c in cells) == 1
    last = next(i for i, c in enumerate(cells) if full_budget.LAST_CELL in c)
    assert "def held_out_scores(" in cells[last] and "FULL_RUN" not in "".join(cells[:last + 1])


# ----------------------------------------------------------------- the Dask-overhead benchmark

def test_bench_dask_times_identical_fits_and_refuses_different_ones(nb):
    nb.run_file("bench_dask.py")
    nb.run("_nb_fit_calls, _nb_saved_fit = [], fit\n"
           "fit = lambda name, *a, client=None, **k: (_nb_fit_calls.append((name, client is None)),\n"
           "                                          _nb_saved_fit(name, *a, client=client, **k))[1]")
    try:
        d = nb.eval("_nb_bench_dask(models=['LIF', 'EIF'], budget=dict(popsize=2, maxiter=1), workers=(1, 2))",
                    timeout=300)
    finally:
        nb.run("fit = _nb_saved_fit")
    # the order of the fits: the untimed reference fits; three rounds of serial, Dask, Dask, serial
    # (True: serial) for each candidate in turn; one pass on two workers
    abba = [(name, serially) for name in ("LIF", "EIF") for serially in (True, False, False, True)]
    assert nb.eval("_nb_fit_calls") == [("LIF", True), ("EIF", True)] + 3 * abba + [("LIF", False), ("EIF", False)]
    assert d["evaluations"] == 2 * 4 * (1 + 1) + 2 * 5 * (1 + 1)  # popsize x parameters, 2 generations
    assert d["models"] == ["LIF", "EIF"] and d["design"] == "ABBA"
    assert len(d["serial_runs"]) == len(d["dask_runs"][1]) == d["rounds"] == 3
    assert len(d["dask_runs"][2]) == 1 and d["dask_s"][2] == d["dask_runs"][2][0] > 0
    # each path's time is the median of its rounds
    assert d["serial_s"] == sorted(d["serial_runs"])[1] and d["dask_s"][1] == sorted(d["dask_runs"][1])[1]
    # every run measured its own evaluations (serially inside the loss, on Dask the workers'
    # compute time of its tasks): a part of its wall time (of twice it on two workers, which
    # evaluate at the same time), and serially most of it (the loss is nearly all of a fit's work)
    for wall, evaluating in zip(d["serial_runs"] + d["dask_runs"][1],
                                d["serial_eval_s"] + d["dask_eval_s"][1]):
        assert 0 < evaluating < wall
    assert 0 < d["dask_eval_s"][2][0] < 2 * d["dask_runs"][2][0]
    assert all(e > 0.5 * w for w, e in zip(d["serial_runs"], d["serial_eval_s"]))
    # the overhead of each round: the one-worker path's wall time over the serial path's (both
    # interleaved in the round); the median of the rounds is the one judged; and its two parts
    assert d["overhead_per_round"] == pytest.approx(
        [dw / sw - 1 for sw, dw in zip(d["serial_runs"], d["dask_runs"][1])], rel=1e-12)
    assert d["overhead"] == sorted(d["overhead_per_round"])[1]
    assert d["outside_tasks_per_round"] == pytest.approx([(dw / de) / (sw / se) - 1 for sw, se, dw, de in zip(
        d["serial_runs"], d["serial_eval_s"], d["dask_runs"][1], d["dask_eval_s"][1])], rel=1e-12)
    assert d["worker_evaluations_per_round"] == pytest.approx(
        [e / s - 1 for s, e in zip(d["serial_eval_s"], d["dask_eval_s"][1])], rel=1e-12)
    # the loss is the notebook's own again after the serial runs timed it
    assert nb.eval("Objective.__call__.__name__") == "__call__"
    # the notebook's own cluster, closed for the timing, is running again with its two workers
    assert nb.eval("len(client.scheduler_info(n_workers=-1)['workers'])") == 2
    # a fit that depended on where it ran must be refused: fit patched to change its seed on Dask
    nb.run("_nb_saved_fit = fit\n"
           "fit = lambda *a, client=None, **k: _nb_saved_fit(*a, client=client, **dict(k, seed=1 if client else 2))")
    try:
        kind, message = nb.eval_raises("_nb_bench_dask(models=['LIF'], budget=dict(popsize=2, maxiter=1), workers=(1,))")
    finally:
        nb.run("fit = _nb_saved_fit")
    assert kind == "AssertionError" and "differ" in message
