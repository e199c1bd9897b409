"""The results store never loses a result: merging, concurrency, costs, orphans, permissions, failures.

All records here are SYNTHETIC (tests.results.results_synthetic.synthetic_case).
"""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import filelock
import pytest

from insbench.results import ResultsStore, record_path
from insbench.results import records
from insbench.results.records import (
    ResultsDirError,
    ResultsLockTimeout,
    ResultsWarning,
    ensure_writable,
    write_case,
)
from insbench.workflows.pipeline import StageRecord, stage_timings

from .results_synthetic import synthetic_case, synthetic_identity

MODEL = synthetic_identity("synthetic-store")


def _write(root, case_id, passed=True, **kwargs):
    return write_case(ResultsStore(root), synthetic_case(MODEL, case_id, passed, **kwargs))


def _cases(path):
    return json.loads(Path(path).read_text())["cases"]


def test_a_rerun_of_a_subset_replaces_only_the_cases_it_ran(tmp_path):
    _write(tmp_path, "a", payload={"value": 1.0}, session_id="run-1")
    _write(tmp_path, "b", payload={"value": 2.0}, session_id="run-1")
    path = _write(tmp_path, "b", payload={"value": 3.0}, session_id="run-2")
    cases = _cases(path)
    assert {k: (v["value"], v["session_id"]) for k, v in cases.items()} == {
        "a": (1.0, "run-1"), "b": (3.0, "run-2")}


def test_passed_is_derived_from_every_merged_case(tmp_path):
    _write(tmp_path, "a", False)
    path = _write(tmp_path, "b", True)
    assert json.loads(path.read_text())["passed"] is False
    path = _write(tmp_path, "a", True)
    assert json.loads(path.read_text())["passed"] is True


def _writer(root: str, prefix: str, n: int) -> None:
    for i in range(n):
        write_case(ResultsStore(root), synthetic_case(MODEL, f"{prefix}-{i}", session_id=prefix))


def test_two_processes_writing_one_folder_keep_every_case(tmp_path):
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(str(tmp_path), name, 15)) for name in ("p", "q")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0, 0]
    cases = _cases(record_path(tmp_path, MODEL["name"], "hexane", "spectra"))
    assert sorted(cases) == sorted(f"{p}-{i}" for p in "pq" for i in range(15))


def test_a_cached_stage_keeps_the_cost_it_had_when_computed():
    cold = StageRecord("phonons", seconds=41.5, reused=False, cache_key="k", build_seconds=41.2, summary={})
    warm = StageRecord("phonons", seconds=0.02, reused=True, cache_key="k", build_seconds=41.2, summary={})
    assert stage_timings([cold]) == {"phonons": {"seconds": 41.2, "reused": False, "wall_seconds": 41.5}}
    assert stage_timings([warm], "1.5GPa/") == {
        "1.5GPa/phonons": {"seconds": 41.2, "reused": True, "wall_seconds": 0.02}}


def test_a_replaced_case_leaves_no_orphaned_plot(tmp_path):
    folder = record_path(tmp_path, MODEL["name"], "hexane", "spectra").parent
    folder.mkdir(parents=True)
    for name in ("old.png", "new.png", "shared.png"):
        (folder / name).write_bytes(b"png")
    _write(tmp_path, "a", plots=("old.png", "shared.png"))
    _write(tmp_path, "b", plots=("shared.png",))
    _write(tmp_path, "a", plots=("new.png",))
    assert sorted(p.name for p in folder.glob("*.png")) == ["new.png", "shared.png"]


def test_a_superseded_record_leaves_no_orphaned_plot_and_is_kept_aside(tmp_path):
    folder = record_path(tmp_path, MODEL["name"], "hexane", "spectra").parent
    folder.mkdir(parents=True)
    (folder / "old.png").write_bytes(b"png")
    _write(tmp_path, "a", plots=("old.png",))
    write_case(ResultsStore(tmp_path), synthetic_case(synthetic_identity("synthetic-store", "9" * 64), "a"))
    assert not (folder / "old.png").exists()
    kept = list(folder.glob("spectra.json.superseded-*"))
    assert len(kept) == 1 and list(json.loads(kept[0].read_text())["cases"]) == ["a"]


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o002, 0o664), (0o077, 0o600)])
def test_records_get_ordinary_permissions(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        path = _write(tmp_path, "a")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == mode


def test_an_unwritable_results_folder_is_refused_before_any_compute(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(ResultsDirError) as error:
        ensure_writable(blocker / "results")
    message = str(error.value)
    assert message.startswith(f"results directory {blocker / 'results'} cannot be written (")
    assert message.endswith("nothing was computed. Choose a writable folder with "
                            "--insbench-results=DIR, or fix its permissions")
    assert ensure_writable(tmp_path / "new" / "results").is_dir()
    assert list((tmp_path / "new" / "results").iterdir()) == []  # the probe file is gone


def test_a_held_lock_gives_a_clear_timeout(tmp_path, monkeypatch):
    path = record_path(tmp_path, MODEL["name"], "hexane", "spectra")
    path.parent.mkdir(parents=True)
    monkeypatch.setattr(records, "LOCK_TIMEOUT_S", 0.2)
    with filelock.FileLock(str(path) + ".lock"):
        context = multiprocessing.get_context("spawn")
        # the lock is per process: a second process must time out
        worker = context.Process(target=_expect_timeout, args=(str(tmp_path),))
        worker.start()
        worker.join(120)
    assert worker.exitcode == 0


def _expect_timeout(root: str) -> None:
    records.LOCK_TIMEOUT_S = 0.2
    try:
        write_case(ResultsStore(root), synthetic_case(MODEL, "a"))
    except ResultsLockTimeout as error:
        assert "another process has held" in str(error) and "delete the .lock file" in str(error)
        return
    raise AssertionError("no timeout")


def test_an_unreadable_record_is_moved_aside_with_a_warning(tmp_path):
    path = record_path(tmp_path, MODEL["name"], "hexane", "spectra")
    path.parent.mkdir(parents=True)
    path.write_text('{"schema": "insbench.result", "cases": {')
    with pytest.warns(ResultsWarning, match="could not be read .* moved to spectra.json.unreadable-"):
        _write(tmp_path, "a")
    assert list(_cases(path)) == ["a"]
    aside = list(path.parent.glob("spectra.json.unreadable-*"))
    assert [p.read_text() for p in aside] == ['{"schema": "insbench.result", "cases": {']


def test_a_file_name_from_disk_never_deletes_outside_the_record_folder(tmp_path):
    path = _write(tmp_path, "a")
    data = json.loads(path.read_text())
    victim = tmp_path / "victim.png"
    victim.write_bytes(b"keep me")
    data["cases"]["a"]["plots"] = ["../../../victim.png"]
    path.write_text(json.dumps(data))
    _write(tmp_path, "a")
    assert victim.read_bytes() == b"keep me"


def test_a_cached_rerun_with_another_runtime_merges_and_keeps_each_cases_runtime(tmp_path):
    cold = {**MODEL, "runtime": {"device": "cpu", "model_loaded": True}}
    warm = {**MODEL, "runtime": {"device": None, "model_loaded": False}}
    write_case(ResultsStore(tmp_path), synthetic_case(cold, "a"))
    path = write_case(ResultsStore(tmp_path), synthetic_case(warm, "b"))
    record = json.loads(path.read_text())
    assert sorted(record["cases"]) == ["a", "b"] and list(path.parent.glob("*.superseded-*")) == []
    assert record["cases"]["a"]["provenance"]["runtime"] == cold["runtime"]
    assert record["cases"]["b"]["provenance"]["runtime"] == warm["runtime"]
    assert record["model"] == warm
