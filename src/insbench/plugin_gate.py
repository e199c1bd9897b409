"""pytest hooks for model-release gating (``--insbench-gate=FILE``); registered through
the ``insbench_gate`` pytest11 entry point.

At the end of the session the gate file's required metrics are judged on the result
records of the models given with ``--mlip`` (every model in the results directory if
none), exactly as ``insbench gate RESULTS_DIR FILE`` does. A missed metric makes the
exit status non-zero (a gate never turns a failing session into a passing one); the
terminal summary says which metric missed and by how much; with ``--junit-xml`` the
scores go into the report as ``<property>`` elements of the test suite.
Thin: the judging lives in :mod:`insbench.results.gate`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from insbench.results.gate import GateOutcome

GATE_OUTCOME_KEY: pytest.StashKey[GateOutcome] = pytest.StashKey()
GATE_ERROR_KEY: pytest.StashKey[str] = pytest.StashKey()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("insbench", "insbench: benchmark MLIPs against INS spectra")
    group.addoption(
        "--insbench-gate", default=None, metavar="FILE",
        help="release gate (TOML): judge its required metrics on the results at the end of the "
        "session; exit non-zero if any misses (see examples/gate.toml)",
    )


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--insbench-gate", None)
    if not path:
        return
    from insbench.results.gate import GateFileError, load_gate

    try:
        load_gate(path)  # fail before collection on a bad file
    except GateFileError as error:
        raise pytest.UsageError(f"insbench: --insbench-gate: {error}") from None


def _models(config: pytest.Config) -> list[str] | None:
    try:
        from insbench.plugin import SESSION_KEY
    except ImportError:  # pragma: no cover - the main plugin ships with this one
        return None
    session = config.stash.get(SESSION_KEY, None)
    names = list(session.options.mlip_names) if session is not None else []
    return names or None


@pytest.hookimpl(tryfirst=True)  # before junitxml writes its file
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    path = config.getoption("--insbench-gate", None)
    if not path or getattr(config, "workerinput", None) is not None:
        return
    from insbench.results.gate import evaluate_gate, junit_properties, load_gate
    from insbench.results.store_index import load_index

    results_dir = Path(config.getoption("--insbench-results", None) or "insbench-results")
    try:
        outcome = evaluate_gate(load_gate(path), load_index(results_dir), _models(config))
    except FileNotFoundError as error:
        config.stash[GATE_ERROR_KEY] = str(error)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        return
    config.stash[GATE_OUTCOME_KEY] = outcome
    if not outcome.passed and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    from _pytest.junitxml import xml_key  # the key record_testsuite_property uses

    xml = config.stash.get(xml_key, None)
    if xml is not None:
        for name, value in junit_properties(outcome):
            xml.add_global_property(name, value)


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    if not config.getoption("--insbench-gate", None):
        return
    error = config.stash.get(GATE_ERROR_KEY, None)
    outcome = config.stash.get(GATE_OUTCOME_KEY, None)
    if error is not None:
        terminalreporter.section("insbench gate")
        terminalreporter.write_line(f"gate FAILED: {error}", red=True)
        return
    if outcome is None:
        return
    terminalreporter.section("insbench gate")
    for line in outcome.lines():
        failed = line.lstrip().startswith("FAIL") or line.startswith("gate FAILED") or "-> FAIL" in line
        terminalreporter.write_line(line, red=failed, green=not failed)
