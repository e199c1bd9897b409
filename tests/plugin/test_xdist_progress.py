"""Under ``pytest -n 2`` the workers' progress lines are printed by the controller (xdist hides
worker output), each with its worker id, before the score summary."""

from __future__ import annotations

import pytest

pytest.importorskip("xdist")

TEST_FILE = """
def test_progress(mlip, insbench, worker_id):
    insbench.progress("relax demo", 5, 10, f"from {worker_id}")

def test_progress_again(mlip, insbench, worker_id):
    insbench.progress("phonons demo", 60, 60, f"from {worker_id}")
"""


def test_worker_progress_lines_reach_the_controller(pytester, tmp_path):
    pytester.makepyfile(test_progress=TEST_FILE)
    result = pytester.runpytest_subprocess(
        "-n", "2", "--mlip=mace-tiny", f"--insbench-results={tmp_path / 'results'}",
        f"--insbench-cache-dir={tmp_path / 'cache'}", "-p", "no:cacheprovider", "test_progress.py")
    result.assert_outcomes(passed=2)
    out = result.stdout.str()
    relayed = [line for line in out.splitlines() if "[insbench]" in line and "demo" in line]
    assert len(relayed) == 2, out
    assert all(line.startswith("[gw") for line in relayed), out  # each on its own line, not after the dots
    for line in relayed:
        worker = line.split("]", 1)[0].lstrip("[")
        assert worker in ("gw0", "gw1") and line.endswith(f"from {worker}"), line
    assert {line.split("[insbench] ", 1)[1].split(":")[0] for line in relayed} == {"relax demo", "phonons demo"}


def test_a_serial_run_prints_progress_directly(pytester, tmp_path):
    pytester.makepyfile(test_progress=TEST_FILE.replace("worker_id", "request"))
    result = pytester.runpytest_subprocess(
        "--mlip=mace-tiny", f"--insbench-results={tmp_path / 'results'}",
        f"--insbench-cache-dir={tmp_path / 'cache'}", "-p", "no:cacheprovider", "test_progress.py")
    result.assert_outcomes(passed=2)
    lines = [line for line in result.stdout.str().splitlines() if "demo" in line]
    assert len(lines) == 2 and all(line.startswith("[insbench] ") for line in lines)
