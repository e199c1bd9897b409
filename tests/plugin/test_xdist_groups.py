"""Under pytest-xdist the tests of one (model, system, case) run on one worker, with an equal share of the cores."""

from __future__ import annotations

import json

import pytest

from insbench.workflows.cases import SpectralItem
from insbench.workflows.parallel import wants_loadgroup, xdist_group
from insbench.workflows.pipeline import SpectralCase
from insbench.workflows.session import available_cores


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
    if md_check[2] == 0:  # one summary row per group, made on the worker
        insbench.md_summary.append({"model": "toy", "system": md_check[0], "level": "smoke",
                                    "passed": 1, "total": 1, "failed": []})
"""


def test_xdist_run_keeps_groups_on_one_worker(pytester, tmp_path, monkeypatch, run_mace_tiny):
    log = tmp_path / "where.jsonl"
    monkeypatch.setenv("WHERE_LOG", str(log))
    pytester.makepyfile(test_groups=TEST_FILE)
    result = run_mace_tiny("test_groups.py", "-n", "2")
    result.assert_outcomes(passed=12)
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    workers_of = {}
    for row in rows:
        workers_of.setdefault(row["group"], set()).add(row["worker"])
        assert row["nodeid"].endswith(f"@mace-tiny|{row['group']}|md")  # loadgroup suffix
        share = max(1, available_cores() // 2)  # the cores shared by the 2 workers (1 each on 2 cores)
        assert row["threads"] == share and row["torch_threads"] == share
        assert row["loaded"] is False  # the fixture alone never loads a model
    assert all(len(workers) == 1 for workers in workers_of.values())
    assert len({w for workers in workers_of.values() for w in workers}) == 2  # both workers used
    # the workers' summary rows reach the controller's "insbench scores" section
    summary = result.stdout.str().split("insbench scores", 1)[-1]
    for group in ("a", "b", "c"):
        assert f"{group} (smoke)" in summary


# ---------------------------------------------------------------- order of the groups
from types import SimpleNamespace  # noqa: E402

from insbench.physics.md_settings import load_md_run_config  # noqa: E402
from insbench.reference import FixtureNotFoundError  # noqa: E402
from insbench.workflows.parallel import (  # noqa: E402
    ATOM_STEPS_PER_CASE,
    RELAXED_CELL_CASE,
    estimated_cost,
    loadgroup_order,
    longest_groups_first,
)


def test_longest_groups_first_keeps_groups_together_and_loose_items_last():
    items = ["a1", "x", "b1", "a2", "c1", "b2", "y"]
    group = {"a1": "a", "a2": "a", "b1": "b", "b2": "b", "c1": "c"}
    cost = {"a": 1.0, "b": 3.0, "c": 1.0}
    assert longest_groups_first(items, group.get, cost.__getitem__) == ["b1", "b2", "a1", "a2", "c1", "x", "y"]


def _toy_fixture(pressures, n_atoms=20, cell_a=5.0):
    from ase import Atoms

    atoms = Atoms("H" * n_atoms, positions=[[0.1 * i, 0, 0] for i in range(n_atoms)], cell=[cell_a] * 3, pbc=True)
    return SimpleNamespace(conditions=SimpleNamespace(pressures_gpa=pressures),
                           structure=lambda: SimpleNamespace(atoms=atoms))


def test_estimated_cost_counts_cases_and_md_atom_steps():
    fixtures = {("s", "1"): _toy_fixture([0.0, 0.7, 1.5])}

    def fixture(system, version):
        if (system, version) not in fixtures:
            raise FixtureNotFoundError(f"no {system} {version}")
        return fixtures[(system, version)]

    level = load_md_run_config().level("smoke")
    measured = [{"mlip": "m", "spectral_item": _spectral("s", 0.0, "measured-cell")}]
    pair = [{"mlip": "m", "pressure_item": ("s", "1", object())},
            {"mlip": "m", "spectral_item": _spectral("s", 0.0, "relaxed-cell")}]
    assert estimated_cost(measured, fixture, level) == 1.0
    assert estimated_cost(pair, fixture, level) == 2 * RELAXED_CELL_CASE  # lowest and highest pressure
    md = [{"mlip": "m", "md_check": ("s", "1", check)} for check in ("a", "b")]  # one run, however many checks
    steps = sum(level.steps(t) for t in (level.equilibration_ps, level.nvt_ps, level.nve_ps, level.npt_ps))
    repeats = 2 ** 3  # a 5 Angstrom cube repeated to >= 7.5 Angstrom
    assert level.supercell_min_length_a == 7.5
    assert estimated_cost(md, fixture, level) == pytest.approx(steps * 20 * repeats / ATOM_STEPS_PER_CASE)
    # a fixture that cannot be loaded: its tests say why; the estimate just goes on
    assert estimated_cost([{"mlip": "m", "md_check": ("gone", "9", "a")}], fixture, level) == 1.0
    assert estimated_cost([{"mlip": "m", "pressure_item": ("gone", "9", object())}], fixture, level) == 2 * RELAXED_CELL_CASE


def test_shipped_suite_hands_out_the_pressure_pair_before_single_cases():
    """The smoke suite's longest group (diiodothiophene at two pressures, 3 tests) went last
    when xdist sorted groups by test count; by estimated cost it goes before every single case."""
    from insbench.workflows.cases import installed_fixtures

    fixtures = {f.system: f for f in installed_fixtures()}
    if "diiodothiophene" not in fixtures or "hexane" not in fixtures:
        pytest.skip("needs the shipped hexane and diiodothiophene fixtures")
    dit, hexane = fixtures["diiodothiophene"], fixtures["hexane"]
    items = [SimpleNamespace(callspec=SimpleNamespace(params=p)) for p in (
        {"mlip": "m", "spectral_item": (hexane.system, hexane.version, _spectral("hexane", 0.0, "measured-cell")[2])},
        {"mlip": "m", "md_check": (hexane.system, hexane.version, "x")},
        {"mlip": "m", "pressure_item": (dit.system, dit.version, object())},
    )]
    order = loadgroup_order(items, lambda s, v: fixtures[s], "smoke")
    assert order[0] is items[2]
    assert order[-1] is items[0]
