"""The state of one insbench run: options, cache, results store, memoised work.

Held in ``config.stash`` by the pytest plugin; the CLI builds one directly. Memoising
here means each (model, case) is relaxed, phonon-ed and simulated once per session
however many tests judge it, and the disk cache makes the next session cheap too.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from insbench.workflows.cache import Cache
from insbench.models import parse_mlip_option, resolve_mlip
from insbench.physics.phonons import PhononSettings

NO_MODEL = "<no --mlip given>"


@dataclass(frozen=True)
class InsbenchOptions:
    """Everything the command line can set (plugin options or CLI flags)."""

    mlip_names: tuple[str, ...] = ()
    results_dir: str = "insbench-results"
    cache_dir: str | None = None
    use_cache: bool = True
    cell_mode: str = "both"
    supercell_min_length_a: float | None = None
    level: str = "standard"
    threads: int | None = None
    threads_from_worker_share: bool = False  # threads = cores // xdist workers, not the user's choice
    device: str = "auto"
    thresholds_path: str | None = None  # --insbench-thresholds: merged over the packaged file

    @classmethod
    def from_config(cls, config) -> "InsbenchOptions":
        return cls(
            mlip_names=tuple(parse_mlip_option(config.getoption("--mlip") or [])),
            results_dir=config.getoption("--insbench-results"),
            cache_dir=config.getoption("--insbench-cache-dir"),
            use_cache=not config.getoption("--insbench-no-cache"),
            cell_mode=config.getoption("--insbench-cell-mode"),
            supercell_min_length_a=config.getoption("--insbench-supercell-min-length"),
            level=config.getoption("--insbench-level"),
            threads=_threads_option(config),
            threads_from_worker_share=(config.getoption("--insbench-threads") is None
                                       and getattr(config, "workerinput", None) is not None),
            device=config.getoption("--insbench-device"),
            thresholds_path=config.getoption("--insbench-thresholds", None),
        )


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    import os

    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def _threads_option(config) -> int | None:
    """``--insbench-threads``; under pytest-xdist each worker gets an equal share of the cores
    (cores // workers, at least 1: one thread each for ``-n 2`` on 2 cores, 4 each on 8 cores),
    so the workers never oversubscribe the machine and never leave cores idle."""
    threads = config.getoption("--insbench-threads")
    workerinput = getattr(config, "workerinput", None)
    if threads is None and workerinput is not None:
        workers = int(workerinput.get("workercount") or 1)
        return max(1, available_cores() // max(1, workers))
    return threads


def benchmark_files() -> list[str]:
    """The shipped benchmark suite's test files (what ``pytest --mlip=NAME`` collects by default)."""
    from insbench._paths import shipped_dir

    suite = shipped_dir("benchmarks")
    return [] if suite is None else sorted(str(p) for p in suite.glob("test_*.py"))


def usage_errors() -> tuple[type[BaseException], ...]:
    """Errors of a session's inputs (unknown model, bad thresholds file, unwritable results
    folder): the plugin reports them as usage errors before collecting anything."""
    from insbench.metrics import ThresholdsError
    from insbench.models import ModelError
    from insbench.results.records import ResultsDirError

    return (ModelError, ThresholdsError, ResultsDirError)


class ThreadLimits:
    """Thread limits for a run that benchmarks a model, undone by :meth:`restore`.

    BLAS (OpenBLAS/MKL) runs single-threaded: the stages call it on tiny matrices (3x3
    cell algebra, 6x6 Frechet derivatives) where threads only add overhead; on a loaded
    2-core machine a spinning OpenBLAS pool made a cell relaxation 12x slower (measured:
    12.3 s vs 1.0 s). torch's intra-op threads are set only when ``torch_threads`` is given.
    Nothing is changed until :meth:`apply`; :attr:`applied` is what goes into each record.
    """

    def __init__(self, blas_threads: int = 1, torch_threads: int | None = None) -> None:
        self.blas_threads = blas_threads
        self.torch_threads = None if torch_threads is None else max(1, int(torch_threads))
        self._blas = None
        self._torch_before: int | None = None
        self.applied: dict[str, Any] = {}

    def apply(self) -> dict[str, Any]:
        import os

        # threadpoolctl limits only the BLAS libraries already loaded: load numpy's and scipy's
        # OpenBLAS first, or a stage importing scipy.linalg later gets an unlimited pool (measured:
        # a mace-tiny cell relaxation on a busy 2-core machine took 44 s instead of 11 s)
        import numpy  # noqa: F401
        import scipy.linalg  # noqa: F401
        from threadpoolctl import threadpool_limits

        self._blas = threadpool_limits(limits=self.blas_threads, user_api="blas")
        if self.torch_threads is not None:
            import torch

            self._torch_before = torch.get_num_threads()
            torch.set_num_threads(self.torch_threads)
        self.applied = {
            "blas_threads": self.blas_threads,
            "torch_threads": self.torch_threads,  # None: torch's own default was left alone
            "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        }
        return self.applied

    def restore(self) -> None:
        if self._blas is not None:
            self._blas.restore_original_limits()
            self._blas = None
        if self._torch_before is not None:
            import torch

            torch.set_num_threads(self._torch_before)
            self._torch_before = None


class ProgressPrinter:
    """Progress lines for long stages, at most one per stage every ``interval_s``.

    ``write`` is where a line goes (the pytest plugin writes through its terminal
    reporter with output capture suspended; the CLI prints).
    """

    def __init__(self, write, interval_s: float = 10.0) -> None:
        self._write = write
        self._interval_s = interval_s
        self._last: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int, detail: str = "") -> None:
        now = time.monotonic()
        finished = total and done >= total
        if not finished and now - self._last.get(stage, -1e9) < self._interval_s:
            return
        self._last[stage] = now
        count = f"{done}/{total}" if total else str(done)
        self._write(f"[insbench] {stage}: {count} {detail}".rstrip())


def _pytest_writer(config):
    def on_own_line(reporter, line: str) -> None:
        writer = getattr(reporter, "_tw", None)  # xdist's progress dots leave a line open
        if writer is not None and getattr(writer, "width_of_current_line", 0):
            writer.line()
        reporter.write_line(line)

    def write(line: str) -> None:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        capture = config.pluginmanager.get_plugin("capturemanager")
        if reporter is None:
            return
        if capture is not None:
            with capture.global_and_fixture_disabled():
                on_own_line(reporter, line)
        else:
            on_own_line(reporter, line)

    return write


class InsbenchSession:
    """Options plus the shared machinery; models are resolved eagerly, built lazily."""

    def __init__(self, config, options: InsbenchOptions, session_id: str, write=None) -> None:
        from insbench.metrics import load_thresholds
        from insbench.results import ResultsStore
        from insbench.results.records import ensure_writable

        self._threads = ThreadLimits(torch_threads=options.threads)
        self.thread_limits: dict[str, Any] = {}
        if options.mlip_names:  # only a run that benchmarks a model checks its folder and limits threads
            ensure_writable(options.results_dir)
        self.config = config
        self.options = options
        self.session_id = session_id
        self.cache = Cache(options.cache_dir, enabled=options.use_cache)
        self.store = ResultsStore(Path(options.results_dir))
        from insbench.workflows.cases import installed_fixtures

        self.thresholds = load_thresholds(user=options.thresholds_path, fixtures=installed_fixtures())
        self._write = write or _pytest_writer(config)
        workerinput = getattr(config, "workerinput", None) or {}
        self._presence = None
        if write is None and workerinput.get("insbench_progress_file"):  # an xdist worker: via the controller
            from insbench.workflows.progress_relay import WorkerPresence, worker_line_writer

            progress_file = Path(workerinput["insbench_progress_file"])
            worker_id = workerinput.get("workerid", "worker")
            self._write = worker_line_writer(progress_file, worker_id)
            if options.threads_from_worker_share:  # not when the user chose --insbench-threads
                self._presence = WorkerPresence(progress_file.parent, worker_id,
                                                int(workerinput.get("workercount") or 1))
        self.progress = ProgressPrinter(self._write)
        self._relay = None
        # resolve now so that an unknown name or a missing file fails before collection
        self.specs = {name: resolve_mlip(name) for name in options.mlip_names}
        if options.mlip_names and options.device == "cuda":  # fail before collection, not mid-run
            from insbench.models import resolve_device

            resolve_device("cuda")
        self._models: dict[str, Any] = {}
        self._memo: dict[tuple, Any] = {}
        self._failures: dict[tuple, BaseException] = {}
        self.summary: list[dict[str, Any]] = []
        self.md_summary: list[dict[str, Any]] = []
        self.pressure_records: dict[Path, Any] = {}  # pressure record written -> its fixture
        if options.mlip_names:
            self.thread_limits = self._threads.apply()

    def progress_for(self, model_name: str, system: str):
        """Progress of one (model, system): lines name them, so two systems' stages (or two
        workers') are told apart, and each is rate-limited on its own."""
        prefix = f"{system} ({model_name})" if len(self.options.mlip_names) > 1 else system

        def progress(stage: str, done: int, total: int, detail: str = "") -> None:
            self.progress(f"{prefix}: {stage}", done, total, detail)
            self._take_all_cores_when_alone()

        return progress

    def _take_all_cores_when_alone(self) -> None:
        """An xdist worker whose fellow workers have all finished takes every core for the rest."""
        if self._presence is None or not self._presence.others_done():
            return
        self._presence = None  # once
        cores = available_cores()
        import torch

        if torch.get_num_threads() >= cores:
            return
        torch.set_num_threads(cores)
        self.thread_limits["torch_threads"] = cores
        from datetime import datetime, timezone

        # records written from now on say so and when: stages built before this ran on the worker's share
        self.thread_limits["torch_threads_raised"] = (
            f"from the worker's share to every core at {datetime.now(timezone.utc).isoformat(timespec='seconds')}, "
            "when the other xdist workers had finished")
        self._write(f"[insbench] the other workers have finished: this one now uses {cores} torch threads")

    def worker_finished(self) -> None:
        """Tell the other xdist workers this one is done (the plugin calls it at a worker's session end)."""
        if self._presence is not None:
            self._presence.mark_done()

    def progress_relay_file(self) -> str:
        """The file xdist workers append progress lines to; the controller prints them as they come."""
        if self._relay is None:
            from insbench.workflows.progress_relay import ProgressRelay

            self._relay = ProgressRelay(self._write)
        return str(self._relay.path)

    def stop_progress_relay(self) -> None:
        """Print the workers' last progress lines and stop relaying (safe to call twice)."""
        if self._relay is not None:
            self._relay.stop()

    def close(self) -> None:
        """Undo this session's thread limits (the plugin calls this at pytest_unconfigure)."""
        self.stop_progress_relay()
        self._threads.restore()

    # -- models ---------------------------------------------------------------
    def model(self, name: str):
        from insbench.workflows.pipeline import ModelHandle

        if name not in self._models:
            self._models[name] = ModelHandle(self.specs[name], device=self.options.device,
                                             threads=self.options.threads)
        return self._models[name]

    def fixture(self, system: str, version: str):
        """A fixture loaded (schema and checksums verified) once per session, not once per test."""
        from insbench.reference import load_fixture

        return self.memo(("fixture", system, version), lambda: load_fixture(system, version))

    def conformance(self, model, fixture) -> None:
        """Conformance of ``model`` on ``fixture``'s structure, once per pair.

        Raises the model's error (UnsupportedElementError, ConformanceError, ...) each
        time it is asked, so every dependent test reports the same reason.
        """
        self.memo(("conformance", model.name, fixture.system, fixture.version),
                  lambda: model.check(fixture.structure().atoms, self.cache))

    # -- memoised work -----------------------------------------------------------
    def memo(self, key: tuple, compute):
        """``compute()`` once per key per session; a failure is remembered and re-raised."""
        if key in self._failures:
            raise self._failures[key]
        if key not in self._memo:
            try:
                self._memo[key] = compute()
            except Exception as error:
                self._failures[key] = error
                raise
        return self._memo[key]

    def pipeline_settings(self):
        from insbench.workflows.pipeline import PipelineSettings

        settings = PipelineSettings()
        if self.options.supercell_min_length_a is not None:
            settings = replace(
                settings,
                phonons=PhononSettings(supercell_min_length_a=self.options.supercell_min_length_a),
            )
        return settings

    def spectral_run(self, model, fixture, case):
        from insbench.workflows.pipeline import run_spectral_case

        self.conformance(model, fixture)
        return self.memo(
            ("spectral", model.name, fixture.system, fixture.version, case),
            lambda: run_spectral_case(
                model, fixture, case, self.cache, self.pipeline_settings(),
                self.progress_for(model.name, fixture.system)
            ),
        )

    def spectral_evaluation(self, model, fixture, case, reference_kind: str):
        from insbench.workflows.evaluate import evaluate_spectral_run, write_spectral_result

        run = self.spectral_run(model, fixture, case)

        def evaluate():
            evaluation = evaluate_spectral_run(run, fixture, self.thresholds, reference_kind)
            path, _png = write_spectral_result(
                self.store, run, evaluation, fixture, session_id=self.session_id,
                thresholds=self.thresholds, provenance=self.provenance(),
            )
            for name, window in evaluation.windows.items():
                self.summary.append({
                    "model": model.name,
                    "case": case.label,
                    "reference": reference_kind,
                    "window": name,
                    "scores": window.scores.metrics,
                    "passed": window.passed,
                    "seconds": {s.stage: s.seconds for s in run.stages},
                })
            return evaluation

        return self.memo(("evaluation", model.name, fixture.system, fixture.version, case,
                          reference_kind), evaluate)

    def pressure_analysis(self, model, fixture):
        """Both pressures relaxed (cell free), phonons, spectra; modes assigned and tracked."""
        from insbench.workflows.evaluate_pressure import relaxed_cases
        from insbench.workflows.modes_cache import cached_gamma_modes
        from insbench.workflows.pressure import analyse_pressure_pair

        def analyse():
            runs = {case.pressure_gpa: self.spectral_run(model, fixture, case) for case in relaxed_cases(fixture)}
            low, high = sorted(runs)
            keys = {run.phonopy_yaml: run.stage("phonons").cache_key for run in runs.values()}
            analysis = analyse_pressure_pair(runs[low].phonopy_yaml, runs[high].phonopy_yaml, (low, high),
                                             modes=lambda path: cached_gamma_modes(self.cache, path, keys[path]))
            return analysis, runs

        return self.memo(("pressure", model.name, fixture.system, fixture.version), analyse)

    def md_evaluation(self, model, fixture):
        """One MD run per (model, system, level), judged against md_tolerances.toml."""
        from insbench.workflows.md_pipeline import evaluate_md_run, run_md_case, write_md_result
        from insbench.metrics.md_tolerances import load_md_config

        level = self.options.level

        def compute():
            config = load_md_config()
            run = run_md_case(model, fixture, level, self.cache, self.progress_for(model.name, fixture.system),
                              config)
            evaluation = evaluate_md_run(run, config.tolerances_for(fixture.system, level), config)
            write_md_result(self.store, run, evaluation, fixture, session_id=self.session_id,
                            provenance=self.provenance())
            judgements = list(evaluation.judgements.values())
            self.md_summary.append({
                "model": model.name, "system": fixture.system, "level": level,
                "passed": sum(j.passed for j in judgements), "total": len(judgements),
                "failed": [j.metric for j in judgements if not j.passed],
                "not_judged": sorted(evaluation.not_judged),
            })
            return run, evaluation

        return self.memo(("md", model.name, fixture.system, fixture.version, level), compute)

    # -- writing (every family goes through results.records.write_case) ----------
    def provenance(self) -> dict[str, Any]:
        """What this session's records carry about how they were computed (thread limits)."""
        return {"thread_limits": dict(self.thread_limits)}

    def write_pressure(self, model, fixture, analysis, runs, verdict, window_cm1) -> None:
        from insbench.workflows.evaluate_pressure import write_pressure_result

        write_pressure_result(self.store, model=model, fixture=fixture, analysis=analysis, runs=runs,
                              verdict=verdict, session_id=self.session_id, window_cm1=window_cm1,
                              thresholds=self.thresholds, provenance=self.provenance())
        from insbench.results.records import record_path

        self.pressure_records[record_path(self.store.results_dir, model.name, fixture.system, "pressure")] = fixture

    def write_cost(self, model, fixture, case_id: str, payload: dict[str, Any]):
        from insbench.workflows.cost import write_cost_case

        return write_cost_case(self.store, model=model.identity, fixture=fixture, case_id=case_id,
                               payload=payload, session_id=self.session_id, provenance=self.provenance())

    # -- reporting ---------------------------------------------------------------
    def worker_output(self) -> dict[str, Any]:
        """What a pytest-xdist worker sends its controller for the end-of-run summary (plain data)."""
        from insbench._io import to_jsonable

        return to_jsonable({
            "summary": self.summary,
            "md_summary": self.md_summary,
            "pressure_records": [[str(path), fixture.system, fixture.version]
                                 for path, fixture in self.pressure_records.items()],
        })

    def merge_worker_output(self, data: dict[str, Any]) -> None:
        """Add a worker's :meth:`worker_output` to this (controller's) summary."""
        self.summary += data.get("summary", [])
        self.md_summary += data.get("md_summary", [])
        for path, system, version in data.get("pressure_records", []):
            self.pressure_records[Path(path)] = self.fixture(system, version)

    def summary_lines(self) -> list[str]:
        lines = self._spectral_lines()
        if self.md_summary:
            if lines:
                lines.append("")
            lines.append(f"{'model':<22} {'MD stability':<28} {'checks passed':>14}  failed")
            for row in self.md_summary:
                lines.append(f"{row['model']:<22} {row['system'] + ' (' + row['level'] + ')':<28} "
                             f"{row['passed']:>6}/{row['total']:<7}  {', '.join(row['failed']) or '-'}"
                             + (f"  (not judged, too few pair distances: {', '.join(row['not_judged'])})"
                                if row.get("not_judged") else ""))
        if self.pressure_records:
            from insbench.workflows.pressure_report import pressure_lines

            lines += ([""] if lines else []) + pressure_lines(list(self.pressure_records.items()))
        return lines

    def _spectral_lines(self) -> list[str]:
        if not self.summary:
            return []
        header = f"{'model':<22} {'case':<34} {'vs':<9} {'window':<12} {'W1/cm-1':>8} {'cos':>6} {'pkMAE':>7}  ok"
        lines = [header, "-" * len(header)]
        for row in self.summary:
            s = row["scores"]
            lines.append(
                f"{row['model']:<22} {row['case']:<34} {row['reference']:<9} {row['window']:<12} "
                f"{s['w1_cm1']:>8.1f} {s['cosine']:>6.3f} {s['peak_mae_cm1']:>7.1f}  "
                f"{'PASS' if row['passed'] else 'FAIL'}"
            )
        return lines
