"""pytest plugin (registered through the ``pytest11`` entry point): options, fixtures,
parametrisation over ``--mlip`` and the terminal summary. No science here: the
session object hands work to :mod:`insbench.workflows.pipeline` and :mod:`insbench.workflows.evaluate`.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from insbench.workflows.session import NO_MODEL, InsbenchOptions, InsbenchSession

SESSION_KEY = pytest.StashKey[InsbenchSession]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("insbench", "insbench: benchmark MLIPs against INS spectra")
    group.addoption(
        "--mlip",
        action="append",
        default=[],
        metavar="NAME",
        help="model(s) to benchmark; repeat or comma-separate (e.g. --mlip=sevennet-0+d3,mace-tiny). "
        "With --mlip and no test paths, the insbench benchmark suite is collected.",
    )
    group.addoption("--insbench-results", default="insbench-results", metavar="DIR",
                    help="where result records (JSON) and plots (PNG) go (default: ./insbench-results)")
    group.addoption("--insbench-cache-dir", default=None, metavar="DIR",
                    help="stage cache (default: $INSBENCH_CACHE_DIR or ~/.cache/insbench)")
    group.addoption("--insbench-no-cache", action="store_true",
                    help="recompute every stage (nothing is read from or written to the cache)")
    group.addoption("--insbench-cell-mode", choices=("both", "relaxed-cell", "measured-cell"),
                    default="both",
                    help="relax the cell at the target pressure, keep the measured cell, or both "
                    "(measured-cell only where a fixture says its cell is measured)")
    group.addoption("--insbench-supercell-min-length", type=float, default=None, metavar="ANGSTROM",
                    help="phonon supercell minimum face-to-face length (default 8 Angstrom)")
    group.addoption("--insbench-threads", type=int, default=None, metavar="N",
                    help="torch threads for model inference (default: torch's own choice). On a "
                    "machine shared with other jobs, 1 is often fastest.")
    group.addoption("--insbench-device", choices=("auto", "cpu", "cuda"), default="auto",
                    help="where MACE, SevenNet and CHGNet run: auto (cuda when torch sees one, else "
                    "cpu), cpu or cuda (an error if torch sees no GPU). D3 and GFN2-xTB always run on "
                    "the CPU. Part of cache keys for float32 models (SevenNet, CHGNet), not for float64 ones.")
    group.addoption("--insbench-thresholds", default=None, metavar="FILE",
                    help="a thresholds TOML merged over the packaged thresholds.toml (and over thresholds "
                    "a fixture declares); give only the tables you change. See docs/reference-schema.md")
    group.addoption("--insbench-level", choices=("smoke", "standard", "paper"), default="standard",
                    help="length of the molecular-dynamics stability runs")


def _benchmark_files() -> list[str]:
    from insbench.workflows.session import benchmark_files

    return benchmark_files()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "insbench_slow: an expensive insbench benchmark stage")
    options = InsbenchOptions.from_config(config)
    session_id = getattr(config, "workerinput", {}).get("insbench_session_id") or uuid.uuid4().hex
    try:
        session = InsbenchSession(config, options, session_id)
    except Exception as error:  # a bad --mlip, thresholds file or results folder: say so before collecting
        from insbench.workflows.session import usage_errors

        if isinstance(error, usage_errors()):
            raise pytest.UsageError(f"insbench: {error}") from None
        raise
    config.stash[SESSION_KEY] = session
    if options.mlip_names:
        _xdist_loadgroup(config)
    explicit_args = config.args_source == pytest.Config.ArgsSource.ARGS
    if options.mlip_names and not explicit_args:
        files = _benchmark_files()
        if files:
            config.args[:] = files


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(SESSION_KEY, None)
    if session is not None:
        session.close()


class FixtureErrorItem(pytest.Item):
    """Stands for a system whose reference fixture cannot be used: ERRORs with the reason and the fix."""

    def __init__(self, *, problem, **kwargs) -> None:
        super().__init__(**kwargs)
        self.problem = problem

    def setup(self) -> None:
        pytest.fail(self.problem.message, pytrace=False)

    def runtest(self) -> None:  # never reached: setup fails
        raise AssertionError(self.problem.message)

    def reportinfo(self):
        return self.problem.path, None, f"insbench fixture {self.problem.system} {self.problem.version}"


# before -k/-m deselection, so `-k other_system` leaves these out
@pytest.hookimpl(tryfirst=True, specname="pytest_collection_modifyitems")
def pytest_collection_modifyitems_fixture_errors(session: pytest.Session, config: pytest.Config,
                                                 items: list) -> None:
    """A broken fixture ERRORs (the run exits non-zero) instead of dropping its system's tests."""
    if not any("insbench" in getattr(item, "fixturenames", ()) for item in items):
        return
    from insbench.workflows.cases import fixture_problems

    for problem in fixture_problems():
        items.append(FixtureErrorItem.from_parent(
            session, name=f"insbench-fixture[{problem.system}-{problem.version}]", problem=problem))


def _xdist_loadgroup(config: pytest.Config) -> None:
    """Under pytest-xdist's default distribution, keep each case's tests on one worker."""
    import os
    import shlex

    from insbench.workflows.parallel import wants_loadgroup

    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:  # a worker: xdist suffixes nodeids with the group if told to
        if workerinput.get("insbench_loadgroup"):
            config.option.loadgroup = True
        return
    explicit = [*config.invocation_params.args, *shlex.split(os.environ.get("PYTEST_ADDOPTS", ""))]
    if wants_loadgroup(getattr(config.option, "dist", None), explicit):
        config.option.dist = "loadgroup"
    if config.option.dist == "loadgroup" and "--loadscope-reorder" not in explicit:
        config.option.loadscopereorder = False  # keep the workers' longest-first order of the groups


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.pluginmanager.hasplugin("xdist"):
        return
    from insbench.workflows.parallel import xdist_group

    for item in items:
        callspec = getattr(item, "callspec", None)
        name = xdist_group(callspec.params) if callspec is not None else None
        if name is not None:
            item.add_marker(pytest.mark.xdist_group(name))


@pytest.hookimpl(trylast=True, specname="pytest_collection_modifyitems")
def pytest_collection_modifyitems_xdist_ids(config: pytest.Config, items: list[pytest.Item]) -> None:
    if getattr(config.option, "loadgroup", False):
        from insbench.workflows.parallel import ensure_group_suffix

        for item in items:
            ensure_group_suffix(item)
        items[:] = _longest_groups_first(config, items)


def _longest_groups_first(config: pytest.Config, items: list[pytest.Item]) -> list[pytest.Item]:
    from insbench.workflows.parallel import loadgroup_order

    session = config.stash[SESSION_KEY]
    return loadgroup_order(items, session.fixture, session.options.level)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:  # pytest-xdist: share one session id with workers
    session = node.config.stash.get(SESSION_KEY, None)
    if session is not None:
        node.workerinput["insbench_session_id"] = session.session_id
        node.workerinput["insbench_loadgroup"] = node.config.getoption("dist", None) == "loadgroup"
        if session.options.mlip_names:  # workers' progress lines reach the terminal through the controller
            node.workerinput["insbench_progress_file"] = session.progress_relay_file()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "mlip" not in metafunc.fixturenames:
        return
    names = metafunc.config.stash[SESSION_KEY].options.mlip_names or [NO_MODEL]
    metafunc.parametrize("mlip", names, indirect=True, ids=[n if n != NO_MODEL else "no-mlip" for n in names],
                         scope="session")


@pytest.fixture(scope="session")
def insbench(request: pytest.FixtureRequest) -> InsbenchSession:
    """The insbench session: cache, results store, thresholds, memoised runs."""
    return request.config.stash[SESSION_KEY]


@pytest.fixture(scope="session")
def mlip(request: pytest.FixtureRequest, insbench: InsbenchSession):
    """The model under test (a :class:`insbench.workflows.pipeline.ModelHandle`)."""
    if request.param == NO_MODEL:
        pytest.skip("no model chosen: use --mlip=NAME to enable (e.g. --mlip=mace-tiny)")
    return insbench.model(request.param)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A pytest-xdist worker hands its part of the summary to the controller."""
    config = session.config
    insbench = config.stash.get(SESSION_KEY, None)
    if insbench is not None and getattr(config, "workeroutput", None) is not None:
        config.workeroutput["insbench"] = insbench.worker_output()
        insbench.worker_finished()
    elif insbench is not None:  # the controller (or a serial run): workers' last progress lines first
        insbench.stop_progress_relay()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:  # pytest-xdist controller: a worker finished
    insbench = node.config.stash.get(SESSION_KEY, None)
    data = getattr(node, "workeroutput", {}).get("insbench")
    if insbench is not None and data:
        insbench.merge_worker_output(data)


def pytest_terminal_summary(terminalreporter, exitstatus, config: pytest.Config) -> None:
    session = config.stash.get(SESSION_KEY, None)
    if session is None or getattr(config, "workerinput", None) is not None:
        return
    lines = session.summary_lines()
    if lines:
        terminalreporter.section("insbench scores")
        for line in lines:
            terminalreporter.write_line(line)
        terminalreporter.write_line(f"results: {Path(session.options.results_dir).resolve()}")
