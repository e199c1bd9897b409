"""The stage graph on a Dask LocalCluster gives the serial run's scores and records."""

from __future__ import annotations

import json
import uuid

import pytest

from insbench.workflows.distributed import (
    ClusterSpec,
    GraphReport,
    _depends_on,
    load_cluster_spec,
    plan_tasks,
    run_on_dask,
    run_serial,
    task_priority,
)
from insbench.workflows.session import InsbenchOptions


def _options(tmp_path, name: str) -> InsbenchOptions:
    return InsbenchOptions(mlip_names=("mace-tiny",), results_dir=str(tmp_path / name / "results"),
                           cache_dir=str(tmp_path / name / "cache"), supercell_min_length_a=4.0,
                           level="smoke", threads=1, device="cpu")


def test_plan_covers_every_case_and_orders_pressure_after_its_cases(tmp_path):
    tasks = plan_tasks(_options(tmp_path, "plan"))
    spectra = [t for t in tasks if t.family == "spectra"]
    assert {t.case.label for t in spectra if t.system == "hexane"} == {
        "hexane-0GPa-relaxed-cell", "hexane-0GPa-measured-cell"}
    assert all(t.reference_kinds for t in spectra if t.system == "hexane")
    # every shipped system gets MD, whether or not it has a reference to score spectra against
    assert {t.system for t in tasks if t.family == "md"} == {"hexane", "diiodothiophene"}
    assert {t.system for t in tasks if t.family == "pressure"} == {"diiodothiophene"}
    # diiodothiophene 2.0.0 ships no reference spectrum: its relaxed-cell cases are still tasks of
    # their own (unscored), so the two pressures are computed in parallel, not inside the pressure task
    pressure_cases = [t for t in spectra if t.system == "diiodothiophene"]
    assert {t.case.label for t in pressure_cases} == {"diiodothiophene-0GPa-relaxed-cell",
                                                       "diiodothiophene-1.5GPa-relaxed-cell"}
    assert all(t.reference_kinds == () for t in pressure_cases)
    for task in tasks:
        waits = _depends_on(task, tasks)
        if task.family == "pressure":
            pressures = {tasks[i].case.pressure_gpa for i in waits}
            assert len(pressures) >= 2 and all(tasks[i].system == task.system for i in waits)
        else:
            assert waits == []
    only_pressure = plan_tasks(_options(tmp_path, "plan"), families=("pressure",))
    assert [t.family for t in only_pressure] == ["spectra", "spectra", "pressure"]
    assert all(t.reference_kinds == () for t in only_pressure)  # computed, not scored
    with pytest.raises(ValueError, match="unknown families"):
        plan_tasks(_options(tmp_path, "plan"), families=("spectra", "phonons"))


def test_longest_tasks_get_the_highest_priority(tmp_path):
    from insbench.physics.md_settings import load_md_run_config

    tasks = plan_tasks(_options(tmp_path, "plan"))
    level = load_md_run_config().level("smoke")
    priority = {(t.family, t.system, t.case.cell_mode if t.case else None): task_priority(t, level) for t in tasks}
    from insbench.reference import load_fixture
    from insbench.workflows.parallel import ATOM_STEPS_PER_CASE, md_atom_steps

    for system in ("diiodothiophene", "hexane"):  # MD: its atom-steps in measured-cell cases (the default fixture's)
        md_cost = md_atom_steps(load_fixture(system), level) / ATOM_STEPS_PER_CASE
        assert priority[("md", system, None)] == round(100 * md_cost) > 0
    assert priority[("spectra", "hexane", "relaxed-cell")] > priority[("spectra", "hexane", "measured-cell")] \
        > priority[("pressure", "diiodothiophene", None)] == 0
    standard = load_md_run_config().level("standard")
    md = next(t for t in tasks if t.family == "md" and t.system == "hexane")
    assert task_priority(md, standard) > task_priority(md, level)  # longer runs start earlier


def test_local_cluster_matches_serial_run(tmp_path):
    from distributed import Client, LocalCluster

    serial_options, dask_options = _options(tmp_path, "serial"), _options(tmp_path, "dask")
    tasks = [t for t in plan_tasks(serial_options, families=("spectra",)) if t.system == "hexane"]
    assert len(tasks) == 2
    serial = run_serial(serial_options, uuid.uuid4().hex, tasks)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        on_dask = run_on_dask(client, dask_options, uuid.uuid4().hex, tasks)
    assert len(serial) >= 2 and all("scores" in row for row in serial)
    strip = [{k: v for k, v in row.items() if k != "scores"} for row in serial]
    assert strip == [{k: v for k, v in row.items() if k != "scores"} for row in on_dask]  # cases, verdicts
    for mine, theirs in zip(serial, on_dask):  # every score; float rounding from BLAS/OpenMP threads only
        assert mine["scores"].keys() == theirs["scores"].keys()
        for key, value in mine["scores"].items():
            assert theirs["scores"][key] == pytest.approx(value, rel=1e-9, abs=1e-12), (mine["case"], key)
    cases = []
    for name in ("serial", "dask"):
        record = tmp_path / name / "results" / "mace-tiny" / "hexane" / "spectra.json"
        cases.append(sorted(json.loads(record.read_text())["cases"]))
    assert cases[0] == cases[1] and len(cases[0]) == 2  # both stores hold both cases
    assert GraphReport(serial).lines()  # a printable summary


def test_cluster_spec_is_checked(tmp_path):
    spec_file = tmp_path / "cluster.yaml"
    spec_file.write_text("kind: slurm\njobs: 3\noptions:\n  cores: 4\n  memory: 8GB\n  processes: 4\n"
                         "  walltime: '01:00:00'\n  job_script_prologue: ['export INSBENCH_CACHE_DIR=/shared/c']\n")
    spec = load_cluster_spec(spec_file)
    assert spec.kind == "slurm" and spec.jobs == 3
    cluster = spec.cluster_class()(**spec.options)  # no jobs submitted: only the script is made
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    assert "#SBATCH" in script and "INSBENCH_CACHE_DIR=/shared/c" in script
    spec_file.write_text("kind: slurm\njbos: 3\n")
    with pytest.raises(ValueError, match="jbos"):
        load_cluster_spec(spec_file)
    spec_file.write_text("kind: kubernetes\n")
    with pytest.raises(ValueError, match="kind"):
        load_cluster_spec(spec_file)
    assert ClusterSpec(kind="local").workers == 2
