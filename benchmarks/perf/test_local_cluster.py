"""The stage graph on a 2-worker Dask LocalCluster against the same graph run serially.

    pytest benchmarks/perf/test_local_cluster.py -s -p no:cacheprovider

mace-tiny at the smoke level, every shipped system and family (spectra, pressure, MD),
the suite's own settings, one torch thread per worker. Each run starts from an empty
cache and results folder; the runs alternate (serial, cluster, serial, cluster, ...
``INSBENCH_BENCH_ROUNDS`` pairs, default 1) so machine load hits both alike. Prints
each wall time with the load average before and after, and the serial/cluster ratio
(> 1: the cluster is faster). The rows (every score and verdict) must be identical.
"""

from __future__ import annotations

import json
import os
import statistics
import time
import uuid

from insbench.workflows.distributed import plan_tasks, run_on_dask, run_serial
from insbench.workflows.session import InsbenchOptions


def _options(root, name: str) -> InsbenchOptions:
    return InsbenchOptions(mlip_names=("mace-tiny",), results_dir=str(root / name / "results"),
                           cache_dir=str(root / name / "cache"), level="smoke", threads=1, device="cpu")


def _on_cluster(options, tasks):
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        return run_on_dask(client, options, uuid.uuid4().hex, tasks)


def test_local_cluster_against_serial(tmp_path):
    rounds = int(os.environ.get("INSBENCH_BENCH_ROUNDS", "1"))
    walls: dict[str, list[float]] = {"serial": [], "cluster": []}
    rows: dict[str, list] = {}
    for index in range(rounds):
        for name in ("serial", "cluster"):
            options = _options(tmp_path, f"{name}-{index}")
            tasks = plan_tasks(options)
            load_before = os.getloadavg()
            started = time.perf_counter()
            rows[name] = (run_serial(options, uuid.uuid4().hex, tasks) if name == "serial"
                          else _on_cluster(options, tasks))
            walls[name].append(time.perf_counter() - started)
            print(f"{name} round {index + 1}: {walls[name][-1]:.1f} s, {len(tasks)} tasks, load "
                  f"{load_before[0]:.2f} -> {os.getloadavg()[0]:.2f}")
        # compared as JSON text: every float by its exact repr, and a NaN (a verdict with no number) equals a NaN
        assert json.dumps(rows["serial"], sort_keys=True) == json.dumps(rows["cluster"], sort_keys=True), \
            "the cluster's scores or verdicts differ from the serial run's"
    ratio = statistics.median(walls["serial"]) / statistics.median(walls["cluster"])
    print(f"serial / cluster = {ratio:.2f} (median over {rounds} round(s); "
          f"{len(rows['serial'])} identical rows of scores and verdicts)")
    assert rows["serial"] and all("passed" in row or "skipped" in row for row in rows["serial"])
