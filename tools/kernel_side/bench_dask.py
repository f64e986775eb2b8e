# What the capstone's Dask path costs over serial evaluation (benchmarks/run.py, the
# model-comparison notebook only). Executed in the notebook's namespace after the notebook ran.
#
# The work is the notebook's default fits: every candidate, DE_BUDGET, seed SEED, on the training
# segment. It runs three times: serially in this process (client=None), then through DaskMap on a
# fresh LocalCluster of one worker process with one thread (the same evaluations one at a time, so
# the ratio of the two wall times is the overhead of the Dask path: shipping the loss function and
# the population, scheduling, gathering), then on a fresh LocalCluster of two such workers. The
# clusters are built like the notebook's own (make_client) and started before the clock starts;
# the three runs must give identical fits, or the measurement is refused.

import logging as _nb_dask_logging
import time as _nb_dask_time


def _nb_bench_dask(models=None, budget=None, workers=(1, 2)):
    """Wall times [s] of the default fits, serial and on local clusters of `workers` workers."""
    models = list(models or POINT_MODELS)                      # noqa: F821  (the notebook's)
    budget = dict(budget or DE_BUDGET)                         # noqa: F821

    def run(client):
        t0 = _nb_dask_time.perf_counter()
        fits = [fit(name, train_current, REF["train"], T_TRAIN, client=client,  # noqa: F821
                    progress=False, **budget) for name in models]
        return _nb_dask_time.perf_counter() - t0, fits

    serial_s, serial = run(None)
    result = dict(models=models, budget=budget, evaluations=sum(f.evaluations for f in serial),
                  serial_s=serial_s, dask_s={})
    for n in workers:
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,  # noqa: F821
                               dashboard_address=":0", silence_logs=_nb_dask_logging.ERROR)
        client = Client(cluster)                                                 # noqa: F821
        try:
            client.wait_for_workers(n, timeout=120)
            seconds, fits = run(client)
        finally:
            client.close()
            cluster.close()
        if fits != serial:
            raise AssertionError(f"the fits on {n} Dask worker(s) differ from the serial ones")
        result["dask_s"][n] = seconds
    return result
