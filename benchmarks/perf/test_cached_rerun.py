"""Wall time of a fully cached rerun of the benchmark suite (issue 13: <= 10 s for the main job).

    pytest benchmarks/perf/test_cached_rerun.py -s -p no:cacheprovider

Runs ``pytest --mlip=mace-tiny --insbench-level=smoke`` (both shipped systems, every family)
in a subprocess once cold, from an empty cache and results folder, then
``INSBENCH_BENCH_ROUNDS`` times (default 2) again on the same cache and results. Set
``INSBENCH_BENCH_MLIP`` / ``INSBENCH_BENCH_LEVEL`` for another model or level, and
``INSBENCH_BENCH_CACHE`` to start from a copy of an existing cache (the copy is used,
the original is not touched). Prints every wall time with the load average before and
after. A cached rerun must build no cache entry, load no model, and give every
judgement of the cold run unchanged.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path


def _entries(cache: Path) -> set[str]:
    return {p.parent.name for p in cache.glob("*/??/*/meta.json")}


def _judgements(results: Path) -> dict[str, object]:
    found = {}
    for path in sorted(results.glob("*/*/*.json")):
        record = json.loads(path.read_text())
        for case_id, case in (record.get("cases") or {}).items() if isinstance(record, dict) else ():
            for metric, judgement in (case.get("judgements") or {}).items():
                found[f"{path.relative_to(results)}:{case_id}:{metric}"] = (judgement.get("value"), judgement.get("passed"))
    return found


def _models_loaded(results: Path) -> set[bool]:
    loaded = set()
    for path in results.glob("*/*/*.json"):
        record = json.loads(path.read_text())
        for case in (record.get("cases") or {}).values() if isinstance(record, dict) else ():
            runtime = (case.get("model") or {}).get("runtime") or {}
            if "model_loaded" in runtime:
                loaded.add(bool(runtime["model_loaded"]))
    return loaded


def _run(cache: Path, results: Path, mlip: str, level: str) -> tuple[float, str]:
    env = {**os.environ, "INSBENCH_CACHE_DIR": str(cache), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    load = os.getloadavg()[0]
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", f"--mlip={mlip}", f"--insbench-level={level}",
                           f"--insbench-results={results}", "-q", "-p", "no:cacheprovider"],
                          env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    tail = (done.stdout.strip().splitlines() or [""])[-1]
    assert done.returncode in (0, 1), f"the suite did not run:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return wall, f"load {load:.2f} -> {os.getloadavg()[0]:.2f}; {tail}"


def test_cached_rerun(tmp_path):
    mlip = os.environ.get("INSBENCH_BENCH_MLIP", "mace-tiny")
    level = os.environ.get("INSBENCH_BENCH_LEVEL", "smoke")
    cache, results = tmp_path / "cache", tmp_path / "results"
    if os.environ.get("INSBENCH_BENCH_CACHE"):
        shutil.copytree(os.environ["INSBENCH_BENCH_CACHE"], cache)
    wall, info = _run(cache, results, mlip, level)
    print(f"{mlip} {level} first run ({'copied cache' if os.environ.get('INSBENCH_BENCH_CACHE') else 'cold'}): "
          f"{wall:.1f} s ({info})")
    first, entries = _judgements(results), _entries(cache)
    for index in range(int(os.environ.get("INSBENCH_BENCH_ROUNDS", "2"))):
        wall, info = _run(cache, results, mlip, level)
        print(f"{mlip} {level} cached rerun {index + 1}: {wall:.1f} s ({info})")
        assert _entries(cache) == entries, "a cached rerun built cache entries"
        assert _judgements(results) == first, "a cached rerun changed a judgement"
        assert _models_loaded(results) <= {False}, "a cached rerun loaded the model"
    assert first
