"""The pytest plugin end to end, through pytester: options, errors, results, summary."""

from __future__ import annotations

import json
import re
import time

import pytest

from insbench.plugin import _benchmark_files


def test_unknown_model_is_a_usage_error_listing_valid_names(pytester):
    result = pytester.runpytest("--mlip=no-such-model")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*no-such-model*", "*fix: use one of: sevennet-0*mace-tiny*"])


def test_missing_model_file_is_a_usage_error(pytester):
    result = pytester.runpytest("--mlip=./missing/model.model")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*missing/model.model*"])


def test_without_mlip_benchmarks_skip_and_say_how_to_enable(pytester):
    files = _benchmark_files()
    assert files, "the benchmark suite was not found"
    collected = pytester.runpytest(*files, "-k", "spectral", "--collect-only", "-q")
    n_tests = sum("::test_spectral" in line for line in collected.outlines)
    assert n_tests >= 1, collected.outlines
    result = pytester.runpytest(*files, "-rs", "-k", "spectral")
    assert {k: v for k, v in result.parseoutcomes().items() if k != "deselected"} == {"skipped": n_tests}
    result.stdout.fnmatch_lines(["*use --mlip=NAME to enable*"])


def test_an_unwritable_results_folder_stops_the_run_before_any_compute(pytester, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = pytester.runpytest_subprocess("--mlip=mace-tiny", f"--insbench-results={blocker / 'results'}",
                                           "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*insbench: results directory {blocker / 'results'} cannot be written (*"
                                 "nothing was computed. Choose a writable folder with --insbench-results=DIR*"])
    assert not any(line.startswith("collected") for line in result.outlines)


THREADPOOL_PROBE = """
import numpy
from threadpoolctl import threadpool_info

def test_blas_threads_are_left_alone():
    blas = [p for p in threadpool_info() if p["user_api"] == "blas"]
    assert blas, "no BLAS library loaded"
    print("BLAS_THREADS", sorted({p["num_threads"] for p in blas}), "END")
"""


def test_merely_installed_insbench_leaves_thread_limits_untouched(pytester, monkeypatch):
    """A plain pytest run (no --mlip) in a project that has insbench installed changes no thread pool:
    BLAS keeps the thread count it has in a run with the insbench plugins switched off."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(test_probe=THREADPOOL_PROBE)
    plain = pytester.runpytest_subprocess("-s", "-p", "no:cacheprovider")
    without = pytester.runpytest_subprocess("-s", "-p", "no:insbench", "-p", "no:insbench_gate",
                                            "-p", "no:cacheprovider")
    plain.assert_outcomes(passed=1)
    without.assert_outcomes(passed=1)
    def counts(run):
        return re.findall(r"BLAS_THREADS (\[[\d, ]+\]) END", run.stdout.str())

    assert len(counts(plain)) == 1 and counts(plain) == counts(without)


def test_fast_model_runs_the_suite_writes_results_and_reuses_the_cache(pytester, tmp_path):
    args = [
        "--mlip=mace-tiny",
        f"--insbench-cache-dir={tmp_path / 'cache'}",
        f"--insbench-results={tmp_path / 'results'}",
        "--insbench-cell-mode=measured-cell",
        "--insbench-supercell-min-length=4",
        "-k", "spectral",
        "-p", "no:cacheprovider",
    ]
    collected = pytester.runpytest_subprocess(*args, "--collect-only", "-q").outlines
    ids = [line for line in collected if "::" in line]
    n_hexane = sum("hexane-0GPa-measured-cell" in i for i in ids)
    assert n_hexane == 6, ids  # 2 windows x 3 metrics
    started = time.perf_counter()
    # a subprocess each time: two in-process runs that both load torch models can crash
    first = pytester.runpytest_subprocess(*args)
    first_s = time.perf_counter() - started
    outcomes = {k: v for k, v in first.parseoutcomes().items() if k != "warnings"}
    assert outcomes.get("passed", 0) + outcomes.get("failed", 0) == n_hexane, outcomes
    assert outcomes.get("skipped", 0) == len(ids) - n_hexane and "errors" not in outcomes, outcomes
    first.stdout.fnmatch_lines(["*insbench scores*", "*mace-tiny*hexane-0GPa-measured-cell*"])
    record_file = tmp_path / "results" / "mace-tiny" / "hexane" / "spectra.json"
    record = json.loads(record_file.read_text())
    case = record["cases"]["hexane-0GPa-measured-cell-vs-measured"]
    cold = case["timings_s"]
    assert set(cold) == {"relax", "phonons", "spectrum"} and not any(t["reused"] for t in cold.values())
    from insbench.reference import load_fixture

    assert record["model"]["name"] == "mace-tiny"
    assert record["reference"]["version"] == load_fixture("hexane").version
    assert record["passed"] == (outcomes.get("failed", 0) == 0)
    assert (record_file.parent / case["plot"]).stat().st_size > 10_000
    for window in case["windows"].values():
        for judgement in window["judgements"].values():
            assert judgement["message"]
    started = time.perf_counter()
    second = pytester.runpytest_subprocess(*args)
    second_s = time.perf_counter() - started
    assert {k: v for k, v in second.parseoutcomes().items() if k != "warnings"} == outcomes
    record = json.loads(record_file.read_text())
    warm = record["cases"]["hexane-0GPa-measured-cell-vs-measured"]["timings_s"]
    # the cached rerun keeps the cost measured when each stage was computed, marked reused
    assert {k: (v["reused"], v["seconds"]) for k, v in warm.items()} == {k: (True, v["seconds"]) for k, v in cold.items()}
    print(f"first run {first_s:.1f} s, cached rerun {second_s:.1f} s, ratio {first_s / second_s:.1f}")
