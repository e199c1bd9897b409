"""The MD stability case end to end with toy calculators: cache, judgement, record, plot.

The broken calculators (tests/md_broken_calculators.py, synthetic) must each be caught
by the check that names what went wrong.
"""

from __future__ import annotations

import json
import tomllib
from importlib import resources

import pytest

from insbench.metrics.md_tolerances import MDConfigError, load_md_config, parse_md_config
from insbench.models import GuardedCalculator, MLIPSpec
from insbench.physics.md_settings import load_md_run_config
from insbench.workflows.cache import Cache
from insbench.workflows.md_pipeline import MD_FAMILY, evaluate_md_run, run_md_case, write_md_result
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


def _packaged(name: str) -> dict:
    return tomllib.loads(resources.files("insbench").joinpath(name).read_text())


@pytest.fixture(scope="module")
def run_config():
    """The packaged smoke level: 2x2x1 hexane (80 atoms, 4 molecules), 0.05 + 0.15 + 0.05 ps."""
    return load_md_run_config()


@pytest.fixture(scope="module")
def config():
    return load_md_config()


@pytest.fixture(scope="module")
def fixture():
    return load_fixture("hexane")


def _model(name: str, factory) -> ModelHandle:
    return ModelHandle(MLIPSpec(name=name, kind="plugin", factory=factory, elements=("H", "C")))


def _evaluate(model, fixture, config, run_config, cache=None):
    run = run_md_case(model, fixture, "smoke", cache or Cache(enabled=False), config=config, run_config=run_config)
    return run, evaluate_md_run(run, config=config)


def _failed(evaluation) -> dict:
    return {k: j.message for k, j in evaluation.judgements.items() if not j.passed}


def test_a_stable_toy_crystal_passes_and_is_cached_and_recorded(fixture, config, run_config, tmp_path):
    model = _model("toy-tethered", TetheredBondsCalculator)
    cache = Cache(tmp_path / "cache")
    run, evaluation = _evaluate(model, fixture, config, run_config, cache)
    assert run.result.n_atoms == 80 and run.result.supercell == (2, 2, 1)
    assert run.result.settings.temperature_k == 150.0  # hexane's declared MD temperature
    assert evaluation.passed, _failed(evaluation)
    assert (run.directory / "trajectory.extxyz").is_file() and (run.directory / "md.npz").is_file()

    again = run_md_case(model, fixture, "smoke", cache, config=config, run_config=run_config)
    assert again.stage("md").reused and again.stage("relax").reused
    assert again.result.step_data["potential_ev"].tolist() == run.result.step_data["potential_ev"].tolist()

    path, pngs = write_md_result(ResultsStore(tmp_path / "results"), run, evaluation, fixture, session_id="s1")
    record = json.loads(path.read_text())
    assert record["family"] == MD_FAMILY and record["passed"]
    case = record["cases"]["hexane-smoke-150K"]
    assert case["seed"] == run_config.run.seed and case["n_atoms"] == 80
    # the equilibrated start is recorded: 2T velocities and 50 equilibration steps no statistic sees
    assert case["settings"]["initial_temperature_factor"] == 2.0 and case["settings"]["equilibration_steps"] == 50
    assert case["level"]["equilibration_ps"] == 0.05
    assert case["tolerances"]["rdf_w1_a"]["unit"] == "Angstrom"
    assert case["tolerances"]["pe_drift_ev_per_atom_ps"]["kind"] == "drift"
    assert "x stderr" in case["judgements"]["pe_drift_ev_per_atom_ps"]["message"]
    assert case["judgements"]["molecules_changed"]["passed"]
    # the numbers behind the drift verdicts travel with the record, not just pass/fail
    drift = case["statistics"]["drift"]["pe_drift_ev_per_atom_ps"]
    assert drift == evaluation.statistics()["drift"]["pe_drift_ev_per_atom_ps"]
    assert drift["stderr"] > 0 and drift["n_effective"] > 1
    assert set(case["statistics"]["rdf_pair_counts"]) == set(evaluation.analysis.rdf_pair_counts)
    assert case["summary"] == evaluation.summary_line()
    assert all(p.is_file() and p.stat().st_size > 10_000 for p in pngs)


def test_an_exploding_model_fails_with_the_step_and_the_reason(fixture, config, run_config, tmp_path):
    run, evaluation = _evaluate(_model("toy-exploding", ExplodingCalculator), fixture, config, run_config)
    assert run.result.blew_up_at_step is not None
    message = evaluation.judgements["completed_fraction"].message
    assert f"step {run.result.blew_up_at_step}" in message and "exceeds 5 x" in message
    assert not any(j.passed for j in evaluation.judgements.values())
    path, pngs = write_md_result(ResultsStore(tmp_path), run, evaluation, fixture, session_id="s")
    assert json.loads(path.read_text())["cases"]["hexane-smoke-150K"]["blew_up_at_step"] == run.result.blew_up_at_step
    assert pngs[0].is_file()


def test_a_model_going_non_finite_is_stopped_not_crashed(fixture, config, run_config):
    def factory():
        return GuardedCalculator(NaNAfterCalculator(TetheredBondsCalculator(), 40), model_name="toy-nan")

    run, evaluation = _evaluate(_model("toy-nan", factory), fixture, config, run_config)
    assert run.result.blew_up_at_step is not None
    assert "non-finite" in run.result.reason.lower() or "nan" in run.result.reason.lower()
    assert not evaluation.judgements["completed_fraction"].passed


def test_a_too_soft_model_breaks_molecules(fixture, config, run_config):
    run, evaluation = _evaluate(_model("toy-soft", SoftCalculator), fixture, config, run_config)
    assert run.result.blew_up_at_step is None
    failed = _failed(evaluation)
    assert "molecules_changed" in failed and "broken:" in failed["molecules_changed"]
    assert evaluation.judgements["completed_fraction"].passed


def test_a_model_without_cohesion_melts_the_crystal(fixture, config, run_config):
    _run, evaluation = _evaluate(_model("toy-untethered", UntetheredCalculator), fixture, config, run_config)
    failed = _failed(evaluation)
    assert evaluation.judgements["molecules_changed"].passed  # the molecules survive ...
    assert any(k.startswith(("msd_slope_a2_per_ps", "msd_a2")) for k in failed), failed  # ... the crystal does not


def test_windows_that_do_not_fit_the_run_fail_before_anything_runs(fixture, config, run_config):
    data = _packaged("md_tolerances.toml")
    data["levels"]["smoke"].update(late_window_ps=[0.1, 0.5])
    too_long = parse_md_config(data, "test: late window past the run")

    def must_not_be_called():
        raise AssertionError("the model was built although the windows cannot fit")

    with pytest.raises(MDConfigError, match="late_window_ps ends at 0.5 ps, after the 0.15 ps"):
        run_md_case(_model("toy-unused", must_not_be_called), fixture, "smoke", Cache(enabled=False),
                    config=too_long, run_config=run_config)


@pytest.mark.slow  # ~1 min: mace-tiny, the packaged smoke level (80 atoms, 250 steps)
def test_mace_tiny_keeps_hexane_a_crystal_at_the_smoke_level(fixture):
    from insbench.models import resolve_mlip

    model = ModelHandle(resolve_mlip("mace-tiny"), threads=1)
    run = run_md_case(model, fixture, "smoke", Cache(enabled=False))
    evaluation = evaluate_md_run(run)
    assert run.result.n_atoms == 80 and run.result.blew_up_at_step is None
    assert evaluation.passed, _failed(evaluation)
    assert not evaluation.not_judged  # hexane's C-C, C-H and H-H have thousands of pair distances
