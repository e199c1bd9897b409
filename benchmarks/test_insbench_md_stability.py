"""MD stability: does the model keep the molecular crystal a crystal at (near) room temperature?

After the 300 K validation MD of arXiv:2603.05442 (per-element MSD, stress and potential
energy with running averages, early vs late RDFs), plus an NVE energy-conservation
segment. Parametrised over (model x system x check) from the installed fixtures and
``md_tolerances.toml``; ``--insbench-level=smoke|standard|paper`` picks the run length.
One MD run per (model, system, level) is shared by all its checks; each test judges one
number against its declared tolerance and prints it (a drift against the run's own noise
and a floor, both printed). An RDF pair with too few pair distances is skipped as "not
judged" with its count. A run that blew up fails every check with the step and the reason.
"""

from __future__ import annotations

import pytest

from insbench.workflows.cases import installed_fixtures
from insbench.metrics.md_stability import check_names
from insbench.metrics.md_tolerances import load_md_config
from insbench.models import UnsupportedElementError
from insbench.physics.md_settings import load_md_run_config


def _check_id(check: str) -> str:
    return check.replace("[", "-").replace("]", "")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "md_check" not in metafunc.fixturenames:
        return
    config = load_md_config()
    level = load_md_run_config().level(metafunc.config.getoption("--insbench-level"))
    params = []
    for fixture in installed_fixtures():
        if not fixture.artefacts(role="structure"):
            continue
        symbols = fixture.structure().atoms.get_chemical_symbols()
        for check in check_names(symbols, config.analysis.rdf_pairs, nve=level.nve_ps > 0, npt=level.npt_ps > 0):
            params.append(pytest.param((fixture.system, fixture.version, check),
                                       id=f"md-{fixture.system}-{level.name}-{_check_id(check)}"))
    metafunc.parametrize("md_check", params)


def test_md_stability(mlip, insbench, md_check):
    system, version, check = md_check
    fixture = insbench.fixture(system, version)
    try:
        insbench.conformance(mlip, fixture)
    except UnsupportedElementError as error:
        pytest.skip(f"{mlip.name} cannot be benchmarked on {system}: {error}")
    _run, evaluation = insbench.md_evaluation(mlip, fixture)
    if check in evaluation.not_judged:  # too few samples to judge: said, never passed silently
        pytest.skip(f"{mlip.name} | {system} | {insbench.options.level} | {evaluation.not_judged[check]}")
    judgement = evaluation.judgements[check]
    print(f"{mlip.name} | {system} | {insbench.options.level} | {judgement.message}")
    assert judgement.passed, f"{mlip.name} | {system} | {insbench.options.level} | {judgement.message}"
