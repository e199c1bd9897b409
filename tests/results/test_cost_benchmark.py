"""benchmarks/perf/test_cost.py end to end with a SYNTHETIC toy model (ASE Lennard-Jones,
"toy-lj"), through pytester: pytest-benchmark timings become "cost" records."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from insbench.results.cost import cost_summary
from insbench.results.store_index import load_index

pytest_plugins = ["pytester"]

COST_TEST = Path(__file__).resolve().parents[2] / "benchmarks" / "perf" / "test_cost.py"

TOY_CONFTEST = '''
"""SYNTHETIC: resolve --mlip=toy-lj to ASE's Lennard-Jones calculator (cheap, any element)."""
import insbench.workflows.session
from insbench.models import MLIPSpec

_real = insbench.workflows.session.resolve_mlip


def _toy(name):
    if name == "toy-lj":
        from ase.calculators.lj import LennardJones
        return MLIPSpec(name="toy-lj", kind="plugin", description="SYNTHETIC Lennard-Jones",
                        factory=lambda: LennardJones(sigma=2.5, epsilon=0.005, rc=6.0), source="tests")
    return _real(name)


insbench.workflows.session.resolve_mlip = _toy
'''


def test_cost_benchmark_writes_cost_records(pytester):
    shutil.copy(COST_TEST, pytester.path / "test_cost.py")
    pytester.makeconftest(TOY_CONFTEST)
    results = pytester.path / "results"
    run = pytester.runpytest_subprocess("test_cost.py", "-k", "hexane", "--mlip=toy-lj", f"--insbench-results={results}",
                             f"--insbench-cache-dir={pytester.path / 'cache'}", "-p", "no:cacheprovider", "-s")
    run.assert_outcomes(passed=2)
    run.stdout.fnmatch_lines(["*toy-lj | hexane: * us/atom per force call (20 atoms*",
                              "*toy-lj | hexane: * MD steps/s (20 atoms)*"])
    record = json.loads((results / "toy-lj" / "hexane" / "cost.json").read_text())
    assert record["family"] == "cost" and set(record["cases"]) == {"force-call", "md"}
    force = record["cases"]["force-call"]
    assert force["n_atoms"] == 20 and force["stats_s"]["rounds"] == 5
    assert force["microseconds_per_atom"] == pytest.approx(1e6 * force["stats_s"]["median"] / 20)
    md = record["cases"]["md"]
    assert md["steps_per_second"] == pytest.approx(md["n_steps"] / md["stats_s"]["median"])
    assert force["passed"] is True and md["passed"] is True and record["passed"] is True  # reported, not judged
    assert force["comparability"]["md_level"] is None and force["comparability"]["scoring_settings_sha256"] is None
    summary = cost_summary(load_index(results).for_model("toy-lj"))
    assert summary["md_steps_per_second"] == md["steps_per_second"]
    assert summary["microseconds_per_atom"] == force["microseconds_per_atom"]
    assert summary["machine"] == record["machine"]


def test_cost_benchmark_disabled_records_nothing(pytester):
    shutil.copy(COST_TEST, pytester.path / "test_cost.py")
    pytester.makeconftest(TOY_CONFTEST)
    results = pytester.path / "results"
    run = pytester.runpytest_subprocess("test_cost.py", "-k", "hexane", "--mlip=toy-lj", f"--insbench-results={results}",
                             f"--insbench-cache-dir={pytester.path / 'cache'}", "-p", "no:cacheprovider",
                             "--benchmark-disable", "-rs")
    run.assert_outcomes(skipped=2)
    run.stdout.fnmatch_lines(["*benchmarking is disabled*"])
    assert not (results / "toy-lj").exists()
