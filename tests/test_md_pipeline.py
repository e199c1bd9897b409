"""The MD stability case end to end with toy calculators: cache, judgement, record, plot.

The broken calculators (tests/md_broken_calculators.py, synthetic) must each be caught
by the check that names what went wrong.
"""

from __future__ import annotations

import json
import tomllib
from importlib import resources

import pytest

from insbench.workflows.cache import Cache
from insbench.workflows.md_pipeline import MD_FAMILY, evaluate_md_run, run_md_case, write_md_result
from insbench.metrics.md_tolerances import parse_md_config
from insbench.models import GuardedCalculator, MLIPSpec
from insbench.workflows.pipeline import ModelHandle
from insbench.reference import load_fixture
from insbench.results import ResultsStore
from tests.md_broken_calculators import (
    ExplodingCalculator,
    NaNAfterCalculator,
    SoftCalculator,
    TetheredBondsCalculator,
    UntetheredCalculator,
)


@pytest.fixture(scope="module")
def config():
    """The packaged file with a shorter smoke level: 2x1x1 hexane (40 atoms, 2 molecules), 0.1 ps."""
    data = tomllib.loads(resources.files("insbench").joinpath("md_tolerances.toml").read_text())
    data["levels"]["smoke"].update(
        supercell_min_length_a=4.1, nvt_ps=0.08, nve_ps=0.02, running_average_ps=0.01,
        early_window_ps=[0.02, 0.04], late_window_ps=[0.06, 0.08],
    )
    return parse_md_config(data, "test: packaged file, short smoke level")


@pytest.fixture(scope="module")
def fixture():
    return load_fixture("hexane")


def _model(name: str, factory) -> ModelHandle:
    return ModelHandle(MLIPSpec(name=name, kind="plugin", factory=factory, elements=("H", "C")))


def _evaluate(model, fixture, config, cache=None):
    run = run_md_case(model, fixture, "smoke", cache or Cache(enabled=False), config=config)
    return run, evaluate_md_run(run, config.tolerances_for(fixture.system, "smoke"), config)


def _failed(evaluation) -> dict:
    return {k: j.message for k, j in evaluation.judgements.items() if not j.passed}


def test_a_stable_toy_crystal_passes_and_is_cached_and_recorded(fixture, config, tmp_path):
    model = _model("toy-tethered", TetheredBondsCalculator)
    cache = Cache(tmp_path / "cache")
    run, evaluation = _evaluate(model, fixture, config, cache)
    assert run.result.n_atoms == 40 and run.result.supercell == (2, 1, 1)
    assert run.result.settings.temperature_k == 150.0  # hexane's declared MD temperature
    assert evaluation.passed, _failed(evaluation)
    assert (run.directory / "trajectory.extxyz").is_file() and (run.directory / "md.npz").is_file()

    again = run_md_case(model, fixture, "smoke", cache, config=config)
    assert again.stage("md").reused and again.stage("relax").reused
    assert again.result.step_data["potential_ev"].tolist() == run.result.step_data["potential_ev"].tolist()

    path, pngs = write_md_result(ResultsStore(tmp_path / "results"), run, evaluation, fixture, session_id="s1")
    record = json.loads(path.read_text())
    assert record["family"] == MD_FAMILY and record["passed"]
    case = record["cases"]["hexane-smoke-150K"]
    assert case["seed"] == config.run["seed"] and case["n_atoms"] == 40
    assert case["tolerances"]["rdf_w1_a"]["unit"] == "Angstrom"
    assert case["judgements"]["molecules_changed"]["passed"]
    assert all(p.is_file() and p.stat().st_size > 10_000 for p in pngs)


def test_an_exploding_model_fails_with_the_step_and_the_reason(fixture, config, tmp_path):
    run, evaluation = _evaluate(_model("toy-exploding", ExplodingCalculator), fixture, config)
    assert run.result.blew_up_at_step is not None
    message = evaluation.judgements["completed_fraction"].message
    assert f"step {run.result.blew_up_at_step}" in message and "exceeds 5 x" in message
    assert not any(j.passed for j in evaluation.judgements.values())
    path, pngs = write_md_result(ResultsStore(tmp_path), run, evaluation, fixture, session_id="s")
    assert json.loads(path.read_text())["cases"]["hexane-smoke-150K"]["blew_up_at_step"] == run.result.blew_up_at_step
    assert pngs[0].is_file()


def test_a_model_going_non_finite_is_stopped_not_crashed(fixture, config):
    def factory():
        return GuardedCalculator(NaNAfterCalculator(TetheredBondsCalculator(), 40), model_name="toy-nan")

    run, evaluation = _evaluate(_model("toy-nan", factory), fixture, config)
    assert run.result.blew_up_at_step is not None
    assert "non-finite" in run.result.reason.lower() or "nan" in run.result.reason.lower()
    assert not evaluation.judgements["completed_fraction"].passed


def test_a_too_soft_model_breaks_molecules(fixture, config):
    run, evaluation = _evaluate(_model("toy-soft", SoftCalculator), fixture, config)
    assert run.result.blew_up_at_step is None
    failed = _failed(evaluation)
    assert "molecules_changed" in failed and "broken:" in failed["molecules_changed"]
    assert evaluation.judgements["completed_fraction"].passed


def test_a_model_without_cohesion_melts_the_crystal(fixture, config):
    _run, evaluation = _evaluate(_model("toy-untethered", UntetheredCalculator), fixture, config)
    failed = _failed(evaluation)
    assert evaluation.judgements["molecules_changed"].passed  # the molecules survive ...
    assert any(k.startswith(("msd_slope_a2_per_ps", "msd_a2")) for k in failed), failed  # ... the crystal does not
