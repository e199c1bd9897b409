"""Spectral agreement: does the model's simulated INS spectrum match the reference?

Parametrised over (model x system x pressure x cell mode x reference kind x scoring
window x metric) from the installed fixtures and the thresholds file. Each test
judges one number against its declared threshold and prints it.
"""

from __future__ import annotations

import pytest

from insbench.workflows.cases import installed_fixtures, spectral_items
from insbench.plugin import SESSION_KEY
from insbench.models import ModelError, UnsupportedElementError
from insbench.physics.relax import RelaxationError


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "spectral_item" not in metafunc.fixturenames:
        return
    thresholds = metafunc.config.stash[SESSION_KEY].thresholds  # packaged + fixture + --insbench-thresholds
    cell_mode = metafunc.config.getoption("--insbench-cell-mode")
    params = []
    for fixture in installed_fixtures():
        for item in spectral_items(fixture, thresholds, cell_mode):
            params.append(pytest.param((fixture.system, fixture.version, item), id=item.id))
    metafunc.parametrize("spectral_item", params)


def test_spectral_agreement(mlip, insbench, spectral_item, record_property):
    system, version, item = spectral_item
    if item.problem:
        pytest.fail(item.problem, pytrace=False)
    if item.missing:
        pytest.skip(item.missing)
    fixture = insbench.fixture(system, version)
    try:
        evaluation = insbench.spectral_evaluation(mlip, fixture, item.case, item.reference_kind)
    except UnsupportedElementError as error:
        pytest.skip(f"{mlip.name} cannot be benchmarked on {system}: {error}")
    except (RelaxationError, ModelError) as error:  # blew up, swelled, NaN forces: the model's failure
        pytest.fail(f"{mlip.name} | {system}: {error}", pytrace=False)
    window = evaluation.windows[item.window]
    judgement = window.judgements[item.metric]
    print(f"{mlip.name} | {item.id}: {judgement.message}")
    for key, value in (("metric", item.metric), ("value", judgement.value), ("threshold", judgement.threshold),
                       ("unit", judgement.unit), ("direction", judgement.direction),
                       ("reference_kind", item.reference_kind), ("passed", judgement.passed)):
        record_property(key, value)
    for problem in window.scores.problems:
        print(f"  problem: {problem}")
    assert judgement.passed, f"{mlip.name} | {item.id}: {judgement.message}"
