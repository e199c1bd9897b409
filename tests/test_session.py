"""The session object directly (no pytester): folder check, thread limits, memo, progress, summary."""

from __future__ import annotations

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from insbench.results.records import ResultsDirError
from insbench.workflows.session import InsbenchOptions, InsbenchSession, ProgressPrinter, ThreadLimits


def _blas_threads() -> set[int]:
    return {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}


def _session(tmp_path, lines=None, **options):
    options.setdefault("results_dir", str(tmp_path / "results"))
    options.setdefault("cache_dir", str(tmp_path / "cache"))
    return InsbenchSession(None, InsbenchOptions(**options), "session-1",
                           write=(lines if lines is not None else []).append)


def test_a_session_without_a_model_touches_nothing(tmp_path):
    with threadpool_limits(limits=2, user_api="blas"):
        session = _session(tmp_path)
        assert _blas_threads() == {2}
    assert session.thread_limits == {} and session.provenance() == {"thread_limits": {}}
    assert not (tmp_path / "results").exists()


def test_a_benchmarking_session_limits_threads_records_them_and_restores_them(tmp_path):
    import torch

    torch_before = torch.get_num_threads()
    with threadpool_limits(limits=2, user_api="blas"):
        session = _session(tmp_path, mlip_names=("mace-tiny",), threads=1)
        assert _blas_threads() == {1} and torch.get_num_threads() == 1
        assert session.provenance()["thread_limits"] == {
            "blas_threads": 1, "torch_threads": 1, "OMP_NUM_THREADS": session.thread_limits["OMP_NUM_THREADS"]}
        assert (tmp_path / "results").is_dir()
        session.close()
        assert _blas_threads() == {2} and torch.get_num_threads() == torch_before


def test_an_unwritable_results_folder_fails_before_limits_or_models(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with threadpool_limits(limits=2, user_api="blas"):
        with pytest.raises(ResultsDirError, match="cannot be written"):
            _session(tmp_path, mlip_names=("mace-tiny",), results_dir=str(blocker / "results"))
        assert _blas_threads() == {2}


def test_thread_limits_without_torch_threads_leave_torch_alone():
    limits = ThreadLimits()
    applied = limits.apply()
    try:
        assert applied["blas_threads"] == 1 and applied["torch_threads"] is None
    finally:
        limits.restore()
    limits.restore()  # a second restore is harmless


def test_thread_limits_reach_scipys_blas_even_when_scipy_linalg_loads_later():
    """threadpoolctl limits only loaded libraries: apply() must load scipy's OpenBLAS first
    (a fresh process, as a Dask worker or the CLI starts; the pytest process has it loaded)."""
    import os
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from insbench.workflows.session import ThreadLimits\n"
        "assert 'scipy.linalg' not in sys.modules, 'scipy.linalg already loaded: the test proves nothing'\n"
        "ThreadLimits().apply()\n"
        "import scipy.linalg\n"
        "from threadpoolctl import threadpool_info\n"
        "blas = [i for i in threadpool_info() if i['user_api'] == 'blas']\n"
        "assert any('scipy' in i['filepath'] for i in blas), blas\n"
        "assert all(i['num_threads'] == 1 for i in blas), blas\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "OPENBLAS_NUM_THREADS": "", "OMP_NUM_THREADS": ""})
    assert result.returncode == 0, result.stderr


class _Config:
    def __init__(self, threads=None, workerinput=None):
        self._threads = threads
        if workerinput is not None:
            self.workerinput = workerinput

    def getoption(self, name):
        assert name == "--insbench-threads"
        return self._threads


@pytest.mark.parametrize(("cores", "workers", "expected"), [(2, 2, 1), (8, 2, 4), (8, 3, 2), (1, 2, 1), (16, 1, 16)])
def test_xdist_workers_share_the_cores(monkeypatch, cores, workers, expected):
    from insbench.workflows import session as session_module

    monkeypatch.setattr(session_module, "available_cores", lambda: cores)
    config = _Config(workerinput={"workerid": "gw0", "workercount": workers})
    assert session_module._threads_option(config) == expected


def test_threads_option_is_left_alone_outside_xdist_and_when_given(monkeypatch):
    from insbench.workflows import session as session_module

    monkeypatch.setattr(session_module, "available_cores", lambda: 8)
    assert session_module._threads_option(_Config()) is None  # serial: torch's own default
    assert session_module._threads_option(_Config(3, {"workercount": 2})) == 3  # the user's word wins


def test_progress_lines_name_the_system_and_are_rate_limited_per_system(tmp_path):
    session = _session(tmp_path, mlip_names=("mace-tiny",))
    lines: list[str] = []
    session.progress = ProgressPrinter(lines.append, interval_s=10.0)
    hexane, diiodo = session.progress_for("mace-tiny", "hexane"), session.progress_for("mace-tiny", "diiodothiophene")
    hexane("md", 1, 600, "T=300 K")
    diiodo("md", 1, 600)  # another system's md is not held back by hexane's
    hexane("md", 2, 600)  # rate-limited
    assert lines == ["[insbench] hexane: md: 1/600 T=300 K", "[insbench] diiodothiophene: md: 1/600"]
    two = _session(tmp_path, mlip_names=("mace-tiny", "sevennet-0"))
    two.progress = ProgressPrinter(lines.append)
    two.progress_for("sevennet-0", "hexane")("relax", 5, 0)
    assert lines[-1] == "[insbench] hexane (sevennet-0): relax: 5"
    session.close()
    two.close()


def test_the_last_worker_raises_its_threads_once_and_its_records_say_so(tmp_path, monkeypatch):
    import torch

    from insbench.workflows import session as session_module

    monkeypatch.setattr(session_module, "available_cores", lambda: 2)
    before = torch.get_num_threads()
    session = _session(tmp_path, mlip_names=("mace-tiny",), threads=1)
    checks = []

    class OthersDone:
        def others_done(self):
            checks.append(1)
            return True

    session._presence = OthersDone()
    try:
        progress = session.progress_for("mace-tiny", "hexane")
        progress("md", 1, 600)
        progress("md", 2, 600)
        assert torch.get_num_threads() == 2 and checks == [1]  # raised once, then no more checks
        assert session.thread_limits["torch_threads"] == 2
        assert "to every core at" in session.thread_limits["torch_threads_raised"]
        assert session.provenance()["thread_limits"]["torch_threads_raised"]
    finally:
        session.close()
    assert torch.get_num_threads() == before  # close() gives torch its own default back


def test_memo_computes_once_and_remembers_failures(tmp_path):
    session = _session(tmp_path)
    calls = []
    assert session.memo(("k",), lambda: calls.append(1) or "value") == "value"
    assert session.memo(("k",), lambda: calls.append(1) or "other") == "value"
    assert calls == [1]
    error = RuntimeError("relaxation blew up")

    def fail():
        calls.append(2)
        raise error

    for _ in range(2):
        with pytest.raises(RuntimeError) as raised:
            session.memo(("bad",), fail)
        assert raised.value is error
    assert calls == [1, 2]


def test_progress_lines_are_rate_limited_per_stage(monkeypatch):
    now = [100.0]
    monkeypatch.setattr("insbench.workflows.session.time.monotonic", lambda: now[0])
    lines: list[str] = []
    progress = ProgressPrinter(lines.append, interval_s=10.0)
    progress("phonons", 1, 10, "displacement 1")
    progress("phonons", 2, 10)  # within 10 s of the last phonons line: dropped
    progress("relax", 5, 0, "fmax 0.1")  # another stage has its own clock; unknown total
    now[0] += 10.5
    progress("phonons", 3, 10)
    progress("phonons", 10, 10, "done")  # finished: always shown
    assert lines == ["[insbench] phonons: 1/10 displacement 1", "[insbench] relax: 5 fmax 0.1",
                     "[insbench] phonons: 3/10", "[insbench] phonons: 10/10 done"]


def test_summary_lines_show_each_window_and_md_row(tmp_path):
    session = _session(tmp_path)
    assert session.summary_lines() == []
    session.summary.append({"model": "m", "case": "hexane-0GPa-relaxed-cell", "reference": "measured",
                            "window": "fingerprint", "passed": False, "seconds": {},
                            "scores": {"w1_cm1": 41.234, "cosine": 0.8512, "peak_mae_cm1": 20.0}})
    session.md_summary.append({"model": "m", "system": "hexane", "level": "smoke", "passed": 5, "total": 7,
                               "failed": ["drift", "rdf"]})
    lines = session.summary_lines()
    assert lines[2].split() == ["m", "hexane-0GPa-relaxed-cell", "measured", "fingerprint", "41.2", "0.851",
                                "20.0", "FAIL"]
    assert lines[-1].split() == ["m", "hexane", "(smoke)", "5/7", "drift,", "rdf"]
    session.md_summary.append({"model": "m", "system": "diiodothiophene", "level": "standard", "passed": 22,
                               "total": 22, "failed": [], "not_judged": ["rdf_w1_a[I-I]"]})
    assert session.summary_lines()[-1].endswith("-  (not judged, too few pair distances: rdf_w1_a[I-I])")


def test_a_workers_summary_reaches_the_controller_unchanged(tmp_path):
    """Under pytest-xdist each worker's rows are sent (as plain data) to the controller's summary."""
    import json

    import numpy as np

    worker, controller = _session(tmp_path / "w"), _session(tmp_path / "c")
    worker.summary.append({"model": "m", "case": "hexane-0GPa-relaxed-cell", "reference": "measured",
                           "window": "fingerprint", "passed": np.bool_(True), "seconds": {"relax": 1.5},
                           "scores": {"w1_cm1": np.float64(41.234), "cosine": 0.8512, "peak_mae_cm1": 20.0}})
    worker.md_summary.append({"model": "m", "system": "hexane", "level": "smoke", "passed": 5, "total": 7,
                              "failed": ["drift"]})
    hexane = worker.fixture("hexane", "1.0.0")
    worker.pressure_records[tmp_path / "w" / "pressure.json"] = hexane
    sent = worker.worker_output()
    assert json.loads(json.dumps(sent)) == sent  # plain data, as execnet carries it
    controller.merge_worker_output(sent)
    assert controller.summary_lines() == worker.summary_lines()
    assert list(controller.pressure_records) == [tmp_path / "w" / "pressure.json"]
    assert controller.pressure_records[tmp_path / "w" / "pressure.json"].version == hexane.version
    controller.merge_worker_output({})  # a worker that ran nothing
    assert controller.summary_lines() == worker.summary_lines()
