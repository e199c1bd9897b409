"""Under pytest-xdist the tests of one (model, system, case) run on one worker, one torch thread each."""

from __future__ import annotations

import json

import pytest

from insbench.workflows.cases import SpectralItem
from insbench.workflows.parallel import wants_loadgroup, xdist_group
from insbench.workflows.pipeline import SpectralCase


def _spectral(system: str, pressure: float, mode: str) -> tuple:
    return (system, "1.0.0", SpectralItem(SpectralCase(system, pressure, mode), "measured", "all", "w1_cm1"))


def test_groups_keep_dependent_tests_together():
    relaxed_low = xdist_group({"mlip": "m", "spectral_item": _spectral("s", 0.0, "relaxed-cell")})
    relaxed_high = xdist_group({"mlip": "m", "spectral_item": _spectral("s", 1.5, "relaxed-cell")})
    pressure = xdist_group({"mlip": "m", "pressure_item": ("s", "1.0.0", object())})
    assert relaxed_low == relaxed_high == pressure  # the pressure analysis needs both relaxed cases
    measured = xdist_group({"mlip": "m", "spectral_item": _spectral("s", 0.0, "measured-cell")})
    md = xdist_group({"mlip": "m", "md_check": ("s", "1.0.0", object())})
    other_model = xdist_group({"mlip": "n", "md_check": ("s", "1.0.0", object())})
    other_system = xdist_group({"mlip": "m", "md_check": ("t", "1.0.0", object())})
    assert len({relaxed_low, measured, md, other_model, other_system}) == 5
    assert xdist_group({"spectral_item": _spectral("s", 0.0, "relaxed-cell")}) is None  # no model
    assert xdist_group({"mlip": "m", "other": 1}) is None


@pytest.mark.parametrize(("dist", "args", "expected"), [
    ("load", ["-n", "2"], True),
    ("load", ["-n", "2", "--dist", "load"], False),
    ("load", ["-n2", "--dist=worksteal"], False),
    ("loadscope", ["-n", "2", "--dist=loadscope"], False),
    ("no", [], False),
    (None, [], False),
])
def test_loadgroup_only_replaces_the_default(dist, args, expected):
    assert wants_loadgroup(dist, args) is expected


TEST_FILE = """
import json, os
import pytest

def pytest_generate_tests(metafunc):
    if "md_check" in metafunc.fixturenames:
        params = [(system, "1.0.0", check) for system in ("a", "b", "c") for check in range(4)]
        metafunc.parametrize("md_check", params, ids=[f"{s}-{c}" for s, _, c in params])

def test_where(mlip, insbench, md_check, request):
    import torch
    row = {"group": md_check[0], "worker": os.environ["PYTEST_XDIST_WORKER"],
           "nodeid": request.node.nodeid, "threads": insbench.options.threads,
           "torch_threads": torch.get_num_threads(), "loaded": mlip.loaded}
    with open(os.environ["WHERE_LOG"], "a") as handle:
        handle.write(json.dumps(row) + "\\n")
"""


def test_xdist_run_keeps_groups_on_one_worker(pytester, tmp_path, monkeypatch):
    log = tmp_path / "where.jsonl"
    monkeypatch.setenv("WHERE_LOG", str(log))
    pytester.makepyfile(test_groups=TEST_FILE)
    result = pytester.runpytest_subprocess(
        "-n", "2", "--mlip=mace-tiny", f"--insbench-results={tmp_path / 'results'}",
        f"--insbench-cache-dir={tmp_path / 'cache'}", "-p", "no:cacheprovider", "test_groups.py")
    result.assert_outcomes(passed=12)
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    workers_of = {}
    for row in rows:
        workers_of.setdefault(row["group"], set()).add(row["worker"])
        assert row["nodeid"].endswith(f"@mace-tiny|{row['group']}|md")  # loadgroup suffix
        assert row["threads"] == 1 and row["torch_threads"] == 1  # one torch thread per worker
        assert row["loaded"] is False  # the fixture alone never loads a model
    assert all(len(workers) == 1 for workers in workers_of.values())
    assert len({w for workers in workers_of.values() for w in workers}) == 2  # both workers used
