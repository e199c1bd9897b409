"""The benchmark's stage graph on a Dask cluster (or in this process, for the serial reference).

One task per (model x system x pressure x cell mode) spectral case, one MD task per
(model x system), and one pressure task per (model x system) that waits for its
system's relaxed-cell cases. Every task runs the same session methods the pytest
suite runs (relax -> phonons -> spectrum -> scores -> record), so a Dask run and a
serial run give the same scores and the same records. Workers share the
content-hash stage cache (``--insbench-cache-dir`` on a filesystem every worker sees:
entries are locked while built and verified on read) and write into the one results
store (records are merged under a lock, never replaced wholesale).

A cluster is either an existing scheduler (``--dask-scheduler tcp://host:8786``) or a
declared spec (``--dask-cluster cluster.yaml``, see :class:`ClusterSpec` and
``docs/distributed.md``) that dask-jobqueue turns into SLURM/PBS/... jobs.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from insbench.workflows.pipeline import SpectralCase
from insbench.workflows.session import InsbenchOptions, InsbenchSession

FAMILIES: tuple[str, ...] = ("spectra", "pressure", "md")


@dataclass(frozen=True)
class Task:
    """One node of the stage graph."""

    family: Literal["spectra", "pressure", "md"]
    model: str
    system: str
    version: str
    case: SpectralCase | None = None
    reference_kinds: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        what = self.case.label if self.case is not None else f"{self.system}-{self.family}"
        return f"{self.model} | {what}"


def plan_tasks(options: InsbenchOptions, families: Sequence[str] = FAMILIES) -> list[Task]:
    """The stage graph of ``options`` (models x installed systems x cases), in suite order."""
    from insbench.metrics import load_thresholds
    from insbench.workflows.cases import installed_fixtures, spectral_items
    from insbench.workflows.evaluate_pressure import pressure_items, relaxed_cases

    unknown = sorted(set(families) - set(FAMILIES))
    if unknown:
        raise ValueError(f"unknown families {unknown}; choose from {', '.join(FAMILIES)}")
    thresholds = load_thresholds()
    tasks: list[Task] = []
    for model in options.mlip_names:
        for fixture in installed_fixtures():
            kinds: dict[SpectralCase, list[str]] = {}
            for item in spectral_items(fixture, thresholds, options.cell_mode):
                if not item.missing and not getattr(item, "problem", "") \
                        and item.reference_kind not in kinds.setdefault(item.case, []):
                    kinds[item.case].append(item.reference_kind)
            pressure = "pressure" in families and any(i.check != "missing" for i in pressure_items(fixture))
            # the pressure task's cases are tasks of their own (computed in parallel), scored or not
            needed = relaxed_cases(fixture) if pressure else []
            for case in needed:
                kinds.setdefault(case, [])
            for case, k in kinds.items():
                scored = tuple(k) if "spectra" in families else ()
                if scored or case in needed:
                    tasks.append(Task("spectra", model, fixture.system, fixture.version, case, scored))
            if pressure:
                tasks.append(Task("pressure", model, fixture.system, fixture.version))
            if "md" in families and fixture.artefacts(role="structure"):
                tasks.append(Task("md", model, fixture.system, fixture.version))
    return tasks


@functools.lru_cache(maxsize=4)
def _session(options: InsbenchOptions, session_id: str) -> InsbenchSession:
    """One session per worker process (models, fixtures and memoised stages are reused)."""
    return InsbenchSession(None, options, session_id, write=lambda line: print(line, flush=True))


def run_task(options: InsbenchOptions, session_id: str, task: Task, *_after: Any) -> list[dict[str, Any]]:
    """Run one task (extra arguments are the futures it waits for); rows of scores/verdicts."""
    from insbench.models import ModelError, UnsupportedElementError
    from insbench.physics.relax import RelaxationError

    session = _session(options, session_id)
    model = session.model(task.model)
    fixture = session.fixture(task.system, task.version)
    base = {"family": task.family, "model": task.model, "system": task.system}
    try:
        session.conformance(model, fixture)
        if task.family == "spectra":
            return _spectral_rows(session, model, fixture, task, base)
        if task.family == "pressure":
            return _pressure_rows(session, model, fixture, base)
        return _md_rows(session, model, fixture, base)
    except UnsupportedElementError as error:
        return [{**base, "case": task.label, "skipped": str(error)}]
    except (RelaxationError, ModelError) as error:
        return [{**base, "case": task.label, "passed": False, "error": str(error)}]


def _spectral_rows(session, model, fixture, task: Task, base: dict) -> list[dict[str, Any]]:
    if not task.reference_kinds:  # a case only the pressure task scores: compute it, report nothing
        session.spectral_run(model, fixture, task.case)
        return []
    rows = []
    for kind in task.reference_kinds:
        evaluation = session.spectral_evaluation(model, fixture, task.case, kind)
        for name, window in evaluation.windows.items():
            rows.append({**base, "case": task.case.label, "reference": kind, "window": name,
                         "scores": dict(window.scores.metrics), "passed": bool(window.passed)})
    return rows


def _pressure_rows(session, model, fixture, base: dict) -> list[dict[str, Any]]:
    from insbench.workflows.evaluate_pressure import judge_pressure_item, pressure_items

    window = tuple(fixture.conditions.energy_window_cm1)
    analysis, runs = session.pressure_analysis(model, fixture)
    rows = []
    for item in pressure_items(fixture):
        if item.check == "missing":
            continue
        verdict = judge_pressure_item(analysis, item, session.thresholds, fixture.system, window)
        session.write_pressure(model, fixture, analysis, runs, verdict, window)
        rows.append({**base, "case": item.id, "scores": {verdict.judgement.metric: verdict.judgement.value},
                     "passed": bool(verdict.judgement.passed)})
    return rows


def _md_rows(session, model, fixture, base: dict) -> list[dict[str, Any]]:
    _run, evaluation = session.md_evaluation(model, fixture)
    return [{**base, "case": f"md-{session.options.level}-{check}", "scores": {check: j.value},
             "passed": bool(j.passed)} for check, j in evaluation.judgements.items()]


def _depends_on(task: Task, tasks: Sequence[Task]) -> list[int]:
    """Indices of the tasks ``task`` must wait for (pressure: its system's relaxed-cell cases)."""
    if task.family != "pressure":
        return []
    return [i for i, other in enumerate(tasks)
            if other.family == "spectra" and (other.model, other.system) == (task.model, task.system)
            and other.case is not None and other.case.cell_mode == "relaxed-cell"]


def task_priority(task: Task, md_level) -> int:
    """Dask priority (higher starts first): the task's estimated cost in hundredths of a
    measured-cell case (:mod:`insbench.workflows.parallel`); a pressure task costs little
    once its cases are done."""
    from insbench.reference import load_fixture
    from insbench.workflows.parallel import ATOM_STEPS_PER_CASE, RELAXED_CELL_CASE, md_atom_steps

    if task.family == "md":
        cost = md_atom_steps(load_fixture(task.system, task.version), md_level) / ATOM_STEPS_PER_CASE
    elif task.family == "spectra":
        cost = RELAXED_CELL_CASE if task.case.cell_mode == "relaxed-cell" else 1.0
    else:
        cost = 0.0
    return round(100 * cost)


def run_serial(options: InsbenchOptions, session_id: str, tasks: Sequence[Task]) -> list[dict[str, Any]]:
    """Every task in this process, in order: the reference a Dask run must reproduce."""
    return [row for task in tasks for row in run_task(options, session_id, task)]


def run_on_dask(client, options: InsbenchOptions, session_id: str,
                tasks: Sequence[Task]) -> list[dict[str, Any]]:
    """Every task on ``client``'s cluster (pressure tasks after their cases, the longest ready
    task first: :func:`task_priority`); rows in plan order."""
    from insbench.physics.md_settings import load_md_run_config

    level = load_md_run_config().level(options.level)
    futures: list[Any] = []
    for task in tasks:
        after = [futures[i] for i in _depends_on(task, tasks)]
        futures.append(client.submit(run_task, options, session_id, task, *after,
                                     key=f"insbench-{session_id[:8]}-{len(futures)}-{task.label}",
                                     pure=False, priority=task_priority(task, level)))
    return [row for rows in client.gather(futures) for row in rows]


# ---------------------------------------------------------------- clusters
class ClusterSpec(BaseModel):
    """A cluster declared in YAML (unknown keys are errors).

    ``kind`` picks the dask-jobqueue class (``slurm`` -> ``SLURMCluster``, ``pbs`` ->
    ``PBSCluster``, ...) or ``local`` (``distributed.LocalCluster``); ``options`` are
    that class's keyword arguments; ``jobs`` (jobqueue) or ``workers`` (local) is how
    many to start.
    """

    model_config = ConfigDict(extra="forbid")

    kind: Literal["slurm", "pbs", "sge", "lsf", "htcondor", "oar", "moab", "local"]
    jobs: int = Field(1, ge=1, description="batch jobs to submit (dask-jobqueue)")
    workers: int = Field(2, ge=1, description="worker processes (local)")
    options: dict[str, Any] = Field(default_factory=dict)

    def make_cluster(self):
        if self.kind == "local":
            from distributed import LocalCluster

            cluster = LocalCluster(**{"n_workers": self.workers, "threads_per_worker": 1,
                                      "processes": True, **self.options})
            return cluster
        cluster = self.cluster_class()(**self.options)
        cluster.scale(jobs=self.jobs)  # submits the batch jobs
        return cluster

    def cluster_class(self):
        """The dask-jobqueue class for ``kind`` (not for ``local``)."""
        import dask_jobqueue

        name = {"slurm": "SLURMCluster", "pbs": "PBSCluster", "sge": "SGECluster", "lsf": "LSFCluster",
                "htcondor": "HTCondorCluster", "oar": "OARCluster", "moab": "MoabCluster"}[self.kind]
        return getattr(dask_jobqueue, name)


def load_cluster_spec(path: str | Path) -> ClusterSpec:
    """Read and check a cluster spec file; errors name the file and the bad key."""
    import yaml
    from pydantic import ValidationError

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as error:
        raise ValueError(f"{path}: cannot read the cluster spec ({error})") from None
    try:
        return ClusterSpec.model_validate(data or {})
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '<top>'}: {e['msg']}" for e in error.errors())
        raise ValueError(f"{path}: invalid cluster spec: {problems} (see docs/distributed.md)") from None


@contextlib.contextmanager
def dask_client(scheduler: str | None = None, cluster_file: str | None = None) -> Iterator[Any]:
    """A ``distributed.Client`` on an existing scheduler or on the cluster ``cluster_file`` declares."""
    from distributed import Client

    if (scheduler is None) == (cluster_file is None):
        raise ValueError("give exactly one of --dask-scheduler ADDRESS or --dask-cluster FILE.yaml")
    if scheduler is not None:
        with Client(scheduler) as client:
            yield client
        return
    spec = load_cluster_spec(cluster_file)
    with spec.make_cluster() as cluster, Client(cluster) as client:
        yield client


@dataclass
class GraphReport:
    """What a graph run returns: its rows, in plan order, and whether everything passed."""

    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(row.get("passed", True) for row in self.rows)

    def lines(self) -> list[str]:
        out = []
        for row in self.rows:
            if "skipped" in row:
                out.append(f"{row['model']:<20} {row['case']:<40} SKIP  {row['skipped'].splitlines()[0]}")
                continue
            scores = " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                              for k, v in (row.get("scores") or {}).items())
            where = f"{row['case']} {row.get('reference', '')} {row.get('window', '')}".strip()
            verdict = "PASS" if row.get("passed") else "FAIL"
            out.append(f"{row['model']:<20} {where:<40} {verdict}  {scores or row.get('error', '')}")
        return out
