# What the capstone's Dask path costs over serial evaluation (benchmarks/run.py, the
# model-comparison notebook only). Executed in the notebook's namespace after the notebook ran.
#
# The work is the notebook's default fits: every candidate, DE_BUDGET, seed SEED, on the training
# segment. It runs serially in this process (client=None), then through DaskMap on a fresh
# LocalCluster of one worker process with one thread (the same evaluations one at a time, so what
# the one-worker run spends beyond them is the cost of the Dask path: shipping the loss function
# and the population, scheduling, gathering), then on a fresh LocalCluster of two such workers. The
# clusters are the notebook's own kind (local_cluster, as make_client builds them) and started
# before the clock starts; the runs must give identical fits, or the measurement is refused.
#
# This machine's speed drifts: the same serial fits have taken 14 s and 24 s within an hour, and
# consecutive runs differ by up to 20 %, so two wall times taken a minute apart cannot resolve a
# 10 % budget. Each run therefore also measures its own evaluations: serially, the time spent in
# the loss (Objective.__call__, timed here); on Dask, the worker's compute time of every task
# (Dask's task stream). A run's wall time per second of evaluation is its cost of evaluating, and
# the overhead is the one-worker run's cost over the serial run's, per round: a slower machine
# makes both the wall time and the evaluations of a run slower, and cancels. So does anything that
# slows the evaluations inside a worker's task (the worker's own threads, a fresh process's cold
# caches, the kernel's scheduler and nannies on the other core): this overhead is the time the Dask
# path spends outside its tasks. How fast the worker evaluated is returned beside it, per round
# (its evaluation time over the serial run's, the same evaluations a minute apart), and so are both
# wall times (each path's fastest run, as timeit scores), so the plain ratio can be read.
#
# The serial and one-worker runs alternate `rounds` times. The notebook's own cluster (idle, but
# five processes: scheduler, two nannies, two workers, whose periodic wake-ups land on the cores
# the timed runs use) is closed for the measurement and started again afterwards, so the kernel
# is left as the notebook left it.

import statistics as _nb_dask_statistics
import time as _nb_dask_time

from distributed import get_task_stream as _nb_dask_task_stream


def _nb_bench_dask(models=None, budget=None, workers=(1, 2), rounds=3):
    """Wall and evaluation times [s] of the default fits, serial and on local clusters of
    `workers` workers, and the one-worker overhead per round."""
    global client                                              # the notebook's own, restored
    models = list(models or POINT_MODELS)                      # noqa: F821  (the notebook's)
    budget = dict(budget or DE_BUDGET)                         # noqa: F821

    def run(on):
        t0 = _nb_dask_time.perf_counter()
        fits = [fit(name, train_current, REF["train"], T_TRAIN, client=on,  # noqa: F821
                    progress=False, **budget) for name in models]
        return _nb_dask_time.perf_counter() - t0, fits

    def serial_run():
        """(wall, seconds inside the loss, fits) of the fits in this process."""
        inside = [0.0]
        loss = Objective.__call__                                                # noqa: F821

        def timed(self, x):
            t0 = _nb_dask_time.perf_counter()
            try:
                return loss(self, x)
            finally:
                inside[0] += _nb_dask_time.perf_counter() - t0

        Objective.__call__ = timed                                               # noqa: F821
        try:
            seconds, fits = run(None)
        finally:
            Objective.__call__ = loss                                            # noqa: F821
        return seconds, inside[0], fits

    def timed_on(n):
        """(wall, the workers' compute time of its tasks) of the fits on n fresh workers."""
        cluster = local_cluster(n)                                               # noqa: F821
        on = Client(cluster)                                                     # noqa: F821
        try:
            on.wait_for_workers(n, timeout=120)
            with _nb_dask_task_stream(client=on) as stream:
                seconds, fits = run(on)
            computing = sum(s["stop"] - s["start"] for task in stream.data
                            for s in task["startstops"] if s["action"] == "compute")
        finally:
            on.close()
            cluster.close()
        if fits != serial:
            raise AssertionError(f"the fits on {n} Dask worker(s) differ from the serial ones")
        return seconds, computing

    own = globals().get("client")
    own_cluster = getattr(own, "cluster", None)  # None when the notebook uses an external scheduler
    if own_cluster is not None:
        own.close()
        own_cluster.close()
    try:
        serial_runs, serial_eval = [], []
        dask_runs, dask_eval = {n: [] for n in workers}, {n: [] for n in workers}
        serial = None
        for _ in range(max(1, rounds)):
            seconds, inside, serial = serial_run()
            serial_runs.append(seconds)
            serial_eval.append(inside)
            if 1 in workers:
                seconds, computing = timed_on(1)
                dask_runs[1].append(seconds)
                dask_eval[1].append(computing)
        for n in workers:
            if n != 1:
                seconds, computing = timed_on(n)
                dask_runs[n].append(seconds)
                dask_eval[n].append(computing)
    finally:
        if own_cluster is not None:
            client = make_client()                                               # noqa: F821
    # per round: (one-worker wall / its evaluations) / (serial wall / its evaluations) - 1
    per_round = [(d / e) / (s / i) - 1.0 for s, i, d, e in
                 zip(serial_runs, serial_eval, dask_runs.get(1, []), dask_eval.get(1, []))]
    worker_speed = [e / i - 1.0 for i, e in zip(serial_eval, dask_eval.get(1, []))]
    return dict(models=models, budget=budget, rounds=max(1, rounds),
                evaluations=sum(f.evaluations for f in serial),
                serial_s=min(serial_runs), serial_runs=serial_runs, serial_eval_s=serial_eval,
                dask_s={n: min(s) for n, s in dask_runs.items()}, dask_runs=dask_runs,
                dask_eval_s=dask_eval, overhead_per_round=per_round,
                worker_evaluations_per_round=worker_speed,
                overhead=_nb_dask_statistics.median(per_round) if per_round else None)
