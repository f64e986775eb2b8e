# What the capstone's Dask path costs over serial evaluation (benchmarks/run.py, the
# model-comparison notebook only). Executed in the notebook's namespace after the notebook ran.
#
# The work is the notebook's default fits: every candidate, DE_BUDGET, seed SEED, on the training
# segment. It runs serially in this process (client=None), then through DaskMap on a fresh
# LocalCluster of one worker process with one thread (the same evaluations one at a time, so the
# ratio of the two wall times is the overhead of the Dask path: shipping the loss function and the
# population, scheduling, gathering), then on a fresh LocalCluster of two such workers. The
# clusters are the notebook's own kind (local_cluster, as make_client builds them) and started
# before the clock starts; the runs must give identical fits, or the measurement is refused.
#
# On two cores the timings are noisy (a few per cent from run to run), so the serial and one-worker
# runs alternate `rounds` times and each path is scored by its fastest run (as timeit does); every
# run is returned. The notebook's own cluster (idle, but five processes: scheduler, two nannies,
# two workers, whose periodic wake-ups land on the cores the timed runs use) is closed for the
# measurement and started again afterwards, so the kernel is left as the notebook left it.

import time as _nb_dask_time


def _nb_bench_dask(models=None, budget=None, workers=(1, 2), rounds=2):
    """Wall times [s] of the default fits, serial and on local clusters of `workers` workers."""
    global client                                              # the notebook's own, restored
    models = list(models or POINT_MODELS)                      # noqa: F821  (the notebook's)
    budget = dict(budget or DE_BUDGET)                         # noqa: F821

    def run(on):
        t0 = _nb_dask_time.perf_counter()
        fits = [fit(name, train_current, REF["train"], T_TRAIN, client=on,  # noqa: F821
                    progress=False, **budget) for name in models]
        return _nb_dask_time.perf_counter() - t0, fits

    def timed_on(n):
        cluster = local_cluster(n)                                               # noqa: F821
        on = Client(cluster)                                                     # noqa: F821
        try:
            on.wait_for_workers(n, timeout=120)
            seconds, fits = run(on)
        finally:
            on.close()
            cluster.close()
        if fits != serial:
            raise AssertionError(f"the fits on {n} Dask worker(s) differ from the serial ones")
        return seconds

    own = globals().get("client")
    own_cluster = getattr(own, "cluster", None)  # None when the notebook uses an external scheduler
    if own_cluster is not None:
        own.close()
        own_cluster.close()
    try:
        serial_runs, dask_runs = [], {n: [] for n in workers}
        serial = None
        for _ in range(max(1, rounds)):
            seconds, serial = run(None)
            serial_runs.append(seconds)
            if 1 in workers:
                dask_runs[1].append(timed_on(1))
        for n in workers:
            if n != 1:
                dask_runs[n].append(timed_on(n))
    finally:
        if own_cluster is not None:
            client = make_client()                                               # noqa: F821
    return dict(models=models, budget=budget, rounds=max(1, rounds),
                evaluations=sum(f.evaluations for f in serial),
                serial_s=min(serial_runs), serial_runs=serial_runs,
                dask_s={n: min(s) for n, s in dask_runs.items()}, dask_runs=dask_runs)
