"""A fixture that fails validation ERRORs its system loudly; nothing is dropped silently.

Each probe copies the shipped hexane fixture into ./reference_data of a pytester run
(where it shadows the shipped copy), breaks it, and runs a benchmark-like test file.
"""

from __future__ import annotations

import json
import shutil

import pytest

from insbench.workflows.cases import fixture_problems, installed_fixtures

from .synthetic_data import HEXANE_DIR, REPO

NEWEST_HEXANE = max((REPO / "reference_data" / "hexane").iterdir(), key=lambda p: tuple(map(int, p.name.split("."))))

BENCH = """
from insbench.workflows.cases import installed_fixtures
import pytest

@pytest.mark.parametrize("system", [f.system for f in installed_fixtures()])
def test_system(insbench, system):
    pass
"""


def _manifest(dest):
    return dest / "manifest.json"


def _syntax_error(dest):
    text = _manifest(dest).read_text()
    _manifest(dest).write_text(text.replace("{", "{,", 1))


def _deleted_data_file(dest):
    (dest / "Hexane.dat").unlink()


def _missing_sha256(dest):
    data = json.loads(_manifest(dest).read_text())
    del data["artefacts"][0]["sha256"]
    _manifest(dest).write_text(json.dumps(data, indent=2))


def _edited_data_file(dest):
    with open(dest / "Hexane.dat", "a") as handle:
        handle.write("  9999.0  1.0  0.1\n")


def _bad_version_dir(dest):
    dest.rename(dest.parent / "latest")


def _copy(pytester, source):
    dest = pytester.path / "reference_data" / "hexane" / source.name
    shutil.copytree(source, dest)
    return dest


PROBES = {
    "syntax error": (_syntax_error, "not valid UTF-8 JSON"),
    "deleted data file": (_deleted_data_file, "Hexane.dat' does not exist*restore it"),
    "missing sha256": (_missing_sha256, "sha256"),
    "edited data file": (_edited_data_file, "Fix: restore the original file"),
    "version dir not semver": (_bad_version_dir, "is not a version"),
}


@pytest.mark.parametrize("probe", sorted(PROBES))
def test_broken_fixture_errors_its_system_and_fails_the_run(pytester, probe):
    """Before: hexane vanished and the run stayed green. After: an ERROR with the reason and the fix."""
    break_it, reason = PROBES[probe]
    dest = _copy(pytester, NEWEST_HEXANE)  # the version the suite would benchmark
    break_it(dest)
    pytester.makepyfile(test_bench=BENCH)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rE")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    outcomes = result.parseoutcomes()
    assert outcomes.get("errors") == 1, outcomes
    result.stdout.fnmatch_lines([f"*reference fixture hexane*cannot be used*{reason}*"])
    if probe != "version dir not semver":  # a copy shadowing the shipped one says so
        result.stdout.fnmatch_lines(["*so no test of hexane was generated*shadows the copy at*remove or repair*"])
        assert "test_system[hexane]" not in result.stdout.str()


def test_broken_copy_of_an_older_version_errors_and_the_newest_still_runs(pytester):
    """The issue's probe: a broken copy of hexane 1.0.0 in ./reference_data (1.0.1 is shipped)."""
    _syntax_error(_copy(pytester, HEXANE_DIR))
    pytester.makepyfile(test_bench=BENCH)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rE")
    assert result.ret == pytest.ExitCode.TESTS_FAILED and result.parseoutcomes().get("errors") == 1
    result.stdout.fnmatch_lines(["*reference fixture hexane 1.0.0*an older version*not valid UTF-8 JSON*"])
    assert "test_system[hexane]" in result.stdout.str() or result.parseoutcomes().get("passed", 0) >= 1


def test_other_systems_still_run_and_k_selects_around_the_error(pytester):
    _deleted_data_file(_copy(pytester, NEWEST_HEXANE))
    pytester.makepyfile(test_bench=BENCH)
    others = [f.system for f in installed_fixtures() if f.system != "hexane"]
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.parseoutcomes().get("passed") == len(others)
    only_others = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-k", "not hexane")
    assert only_others.ret == (pytest.ExitCode.OK if others else pytest.ExitCode.NO_TESTS_COLLECTED)


def test_a_clean_search_path_has_no_problems_and_no_error_items(pytester):
    assert fixture_problems() == []
    pytester.makepyfile(test_bench=BENCH)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK
    assert "insbench-fixture" not in result.stdout.str()


def test_a_run_without_insbench_tests_is_not_touched(pytester):
    _syntax_error(_copy(pytester, NEWEST_HEXANE))
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    assert pytester.runpytest_subprocess("-p", "no:cacheprovider").ret == pytest.ExitCode.OK


def test_broken_newest_version_is_not_replaced_by_an_older_one(isolated, copy_hexane):
    copy_hexane(isolated / "env", "1.0.0")
    broken = copy_hexane(isolated / "env", "1.0.7")
    _deleted_data_file(broken)
    assert [f.system for f in installed_fixtures()] == []
    (problem,) = fixture_problems()
    assert (problem.system, problem.version) == ("hexane", "1.0.7") and "does not exist" in problem.reason
