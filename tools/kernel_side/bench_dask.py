# What the capstone's Dask path costs over serial evaluation (benchmarks/run.py, the
# model-comparison notebook only). Executed in the notebook's namespace after the notebook ran.
#
# The work is the notebook's default fits: every candidate, DE_BUDGET, seed SEED, on the training
# segment. It runs serially in this process (client=None) and through DaskMap on a LocalCluster of
# one worker process with one thread: the same evaluations one at a time, so what the one-worker
# run spends beyond the serial one is the cost of the Dask path (shipping the loss function and the
# population, scheduling, gathering, and a worker that evaluates in another process). Then once on
# a LocalCluster of two such workers. The clusters are the notebook's own kind (local_cluster, as
# make_client builds them), each started fresh before its clock starts; every fit must be identical
# on every path, or the measurement is refused.
#
# This machine's speed drifts: the same serial fits have taken 14 s and 24 s within an hour, and
# runs a minute apart differ by up to 20 %, so two wall times taken a minute apart cannot resolve a
# 10 % budget. The two paths are therefore interleaved fit by fit, in the order serial, Dask, Dask,
# serial (ABBA) for each candidate in turn, on one fresh one-worker cluster per round: each pair of
# runs is a few seconds apart, and a speed that drifts steadily over those seconds slows both paths
# alike. A round's overhead is the sum of its Dask runs' wall times over the sum of its serial
# runs', minus 1; the median of the rounds is judged against the budget.
#
# Each run also measures its own evaluations: serially, the time spent in the loss
# (Objective.__call__, timed here); on Dask, the worker's compute time of every task (Dask's task
# stream). Per round, the overhead is the product of two factors, both given: the Dask path's wall
# time per second of evaluation over the serial path's (what it spends outside its tasks), and
# the worker's evaluation time over the serial one's (how fast the worker evaluated):
# 1 + overhead = (1 + outside) (1 + worker). Each round's first Dask fit runs on a worker that has
# just started, so its warm-up counts in every round (the notebook's own cluster warms up once).
#
# The notebook's own cluster (idle, but five processes: scheduler, two nannies, two workers, whose
# periodic wake-ups land on the cores the timed runs use) is closed for the measurement and started
# again afterwards, so the kernel is left as the notebook left it.

import statistics as _nb_dask_statistics
import time as _nb_dask_time

from distributed import get_task_stream as _nb_dask_task_stream


def _nb_bench_dask(models=None, budget=None, workers=(1, 2), rounds=3):
    """Wall and evaluation times [s] of the default fits, serial and on local clusters of
    `workers` workers (the one-worker runs interleaved with the serial ones, ABBA, fit by fit),
    and the one-worker overhead per round."""
    global client                                              # the notebook's own, restored
    models = list(models or POINT_MODELS)                      # noqa: F821  (the notebook's)
    budget = dict(budget or DE_BUDGET)                         # noqa: F821
    inside = [0.0]                                             # s in the loss, serial runs
    loss = Objective.__call__                                                    # noqa: F821

    def timed(self, x):
        t0 = _nb_dask_time.perf_counter()
        try:
            return loss(self, x)
        finally:
            inside[0] += _nb_dask_time.perf_counter() - t0

    def one_fit(name, on, timing=False):
        """(wall [s], the fit) of one candidate's fit; on None: serially in this process, with
        the time in the loss added to inside[0] if timing (the loss is timed only here: the one
        shipped to the workers is the notebook's own)."""
        if timing:
            Objective.__call__ = timed                                           # noqa: F821
        try:
            t0 = _nb_dask_time.perf_counter()
            result = fit(name, train_current, REF["train"], T_TRAIN, client=on,   # noqa: F821
                         progress=False, **budget)
            return _nb_dask_time.perf_counter() - t0, result
        finally:
            Objective.__call__ = loss                                            # noqa: F821

    def computing(stream):
        return sum(s["stop"] - s["start"] for task in stream.data
                   for s in task["startstops"] if s["action"] == "compute")

    def started(n):
        cluster = local_cluster(n)                                               # noqa: F821
        on = Client(cluster)                                                     # noqa: F821
        on.wait_for_workers(n, timeout=120)
        return cluster, on

    def check(fits, where, each=1):
        """fits must be the reference fits, each of them `each` times in a row."""
        if fits != [f for f in serial for _ in range(each)]:
            raise AssertionError(f"the fits {where} differ from the serial ones")

    own = globals().get("client")
    own_cluster = getattr(own, "cluster", None)  # None when the notebook uses an external scheduler
    if own_cluster is not None:
        own.close()
        own_cluster.close()
    serial_runs, serial_eval, dask_runs, dask_eval = [], [], {n: [] for n in workers}, \
        {n: [] for n in workers}
    try:
        serial = [one_fit(name, None)[1] for name in models]   # the reference fits (not timed)
        for _ in range(max(1, rounds) if 1 in workers else 0):
            cluster, on = started(1)
            try:
                walls = {"serial": 0.0, "dask": 0.0}
                fits = {"serial": [], "dask": []}
                inside[0] = 0.0
                with _nb_dask_task_stream(client=on) as stream:
                    for name in models:
                        for path in ("serial", "dask", "dask", "serial"):
                            serially = path == "serial"
                            seconds, result = one_fit(name, None if serially else on, serially)
                            walls[path] += seconds
                            fits[path].append(result)
                check(fits["serial"], "serially, run again", each=2)
                check(fits["dask"], "on 1 Dask worker", each=2)
                # one pass over the candidates per path: half of its two runs
                serial_runs.append(walls["serial"] / 2)
                serial_eval.append(inside[0] / 2)
                dask_runs[1].append(walls["dask"] / 2)
                dask_eval[1].append(computing(stream) / 2)
            finally:
                on.close()
                cluster.close()
        for n in workers:
            if n != 1:
                cluster, on = started(n)
                try:
                    with _nb_dask_task_stream(client=on) as stream:
                        runs = [one_fit(name, on) for name in models]
                    check([r for _, r in runs], f"on {n} Dask workers")
                    dask_runs[n].append(sum(s for s, _ in runs))
                    dask_eval[n].append(computing(stream))
                finally:
                    on.close()
                    cluster.close()
    finally:
        if own_cluster is not None:
            client = make_client()                                               # noqa: F821
    overhead = [d / s - 1.0 for s, d in zip(serial_runs, dask_runs.get(1, []))]
    outside = [(d / e) / (s / i) - 1.0 for s, i, d, e in
               zip(serial_runs, serial_eval, dask_runs.get(1, []), dask_eval.get(1, []))]
    worker_speed = [e / i - 1.0 for i, e in zip(serial_eval, dask_eval.get(1, []))]
    return dict(models=models, budget=budget, rounds=len(serial_runs), design="ABBA",
                evaluations=sum(f.evaluations for f in serial),
                serial_s=_nb_dask_statistics.median(serial_runs) if serial_runs else None,
                serial_runs=serial_runs, serial_eval_s=serial_eval,
                dask_s={n: _nb_dask_statistics.median(s) for n, s in dask_runs.items() if s},
                dask_runs=dask_runs, dask_eval_s=dask_eval,
                overhead_per_round=overhead, outside_tasks_per_round=outside,
                worker_evaluations_per_round=worker_speed,
                overhead=_nb_dask_statistics.median(overhead) if overhead else None)
