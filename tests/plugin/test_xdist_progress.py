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


def test_worker_progress_lines_reach_the_controller(pytester, run_mace_tiny):
    pytester.makepyfile(test_progress=TEST_FILE)
    result = run_mace_tiny("test_progress.py", "-n", "2")
    result.assert_outcomes(passed=2)
    out = result.stdout.str()
    relayed = [line for line in out.splitlines() if "[insbench]" in line and "demo" in line]
    assert len(relayed) == 2, out
    assert all(line.startswith("[gw") for line in relayed), out  # each on its own line, not after the dots
    for line in relayed:
        worker = line.split("]", 1)[0].lstrip("[")
        assert worker in ("gw0", "gw1") and line.endswith(f"from {worker}"), line
    assert {line.split("[insbench] ", 1)[1].split(":")[0] for line in relayed} == {"relax demo", "phonons demo"}


def test_a_serial_run_prints_progress_directly(pytester, run_mace_tiny):
    pytester.makepyfile(test_progress=TEST_FILE.replace("worker_id", "request"))
    result = run_mace_tiny("test_progress.py")
    result.assert_outcomes(passed=2)
    lines = [line for line in result.stdout.str().splitlines() if "demo" in line]
    assert len(lines) == 2 and all(line.startswith("[insbench] ") for line in lines)


ALONE_FILE = """
import json, os, time

def test_quick(mlip, insbench):
    pass

def test_slow(mlip, insbench):
    import torch
    from insbench.workflows.session import available_cores
    progress = insbench.progress_for("mace-tiny", "demo")
    started, threads = time.monotonic(), []
    while time.monotonic() - started < 60:
        threads.append(torch.get_num_threads())
        if threads[-1] == available_cores():
            break
        progress("md", len(threads), 0)
        time.sleep(0.2)
    with open(os.environ["THREADS_LOG"], "w") as handle:
        json.dump({"first": threads[0], "last": threads[-1], "cores": available_cores()}, handle)
"""


def test_the_last_worker_takes_every_core(pytester, tmp_path, monkeypatch, run_mace_tiny):
    import json

    log = tmp_path / "threads.json"
    monkeypatch.setenv("THREADS_LOG", str(log))
    pytester.makepyfile(test_alone=ALONE_FILE)
    result = run_mace_tiny("test_alone.py", "-n", "2")
    result.assert_outcomes(passed=2)
    seen = json.loads(log.read_text())
    assert seen["first"] == max(1, seen["cores"] // 2)  # its share while the other worker was running
    assert seen["last"] == seen["cores"]  # every core once the other had finished
    if seen["cores"] > seen["first"]:
        assert "the other workers have finished: this one now uses" in result.stdout.str()
