"""A newly imported system is benchmarkable with no edit to insbench (issue 10, item 2).

The system "synthetic-alkane" is SYNTHETIC: the shipped hexane structure under another
name plus a made-up spectrum (a few Gaussians, title line says so), imported as
``computed`` with method "SYNTHETIC test spectrum". It has no entry in thresholds.toml
or md_tolerances.toml, so its windows are judged with the documented defaults.
"""

from __future__ import annotations

import numpy as np
import pytest

from insbench.cli import main
from insbench.plugin import _benchmark_files
from tests.reference.synthetic_data import HEXANE_DIR, isis_text

SYSTEM = "synthetic-alkane"


def _suite(family: str) -> str:
    return next(f for f in _benchmark_files() if family in f)


def _synthetic_spectrum(path):
    x = np.linspace(20.0, 1600.0, 400)
    y = 1.0 + sum(np.exp(-((x - c) / 15.0) ** 2) for c in (120.0, 400.0, 900.0, 1300.0))
    path.write_text(isis_text(x, y, np.sqrt(y) * 0.01, title="SYNTHETIC test spectrum (not a measurement)"))


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory):
    """One stage cache for the module: the second spectral run reuses the first one's stages."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def imported(pytester):
    spectrum = pytester.path / "synthetic.dat"
    _synthetic_spectrum(spectrum)
    code = main(["reference", "import", SYSTEM, "--version", "0.1.0", "--spectrum", f"{spectrum}@0",
                 "--structure", str(HEXANE_DIR / "geometry.in"), "--cell-predicted", "--kind", "computed",
                 "--method", "SYNTHETIC test spectrum", "--settings", '{"synthetic": true}',
                 "--instrument", "TOSCA", "--temperature-k", "20", "--formula", "C6H14",
                 "--citation", "SYNTHETIC test data made by insbench's tests", "--licence", "CC0-1.0",
                 "--resolution", "TOSCA:TOSCA:AbINS", "--dest", str(pytester.path / "reference_data")])
    assert code == 0
    return pytester


def test_imported_system_runs_the_spectral_family_with_default_thresholds(imported, tmp_path, shared_cache):
    result = imported.runpytest_subprocess(
        _suite("spectral"), "--mlip=mace-tiny", "-k", SYSTEM, "--insbench-supercell-min-length=4",
        f"--insbench-results={tmp_path / 'results'}", f"--insbench-cache-dir={shared_cache}",
        "-p", "no:cacheprovider", "-rA",
    )
    outcomes = result.parseoutcomes()
    judged = outcomes.get("passed", 0) + outcomes.get("failed", 0)
    assert judged == 3 and not outcomes.get("errors"), outcomes  # w1, cosine, peak MAE in window "full"
    result.stdout.fnmatch_lines([f"*{SYSTEM}-0GPa-relaxed-cell-vs-computed-full-w1_cm1*"])


def test_user_thresholds_file_is_used_for_the_new_system(imported, tmp_path, shared_cache):
    user = tmp_path / "mine.toml"
    user.write_text('schema_version = 1\n[synthetic-alkane.full.w1_cm1]\nthreshold = 1e6\nunit = "cm-1"\n'
                    'direction = "max"\nrationale = "test: anything passes"\n')
    result = imported.runpytest_subprocess(
        _suite("spectral"), "--mlip=mace-tiny", "-k", f"{SYSTEM} and w1_cm1", "--insbench-supercell-min-length=4",
        f"--insbench-thresholds={user}", f"--insbench-results={tmp_path / 'results'}",
        f"--insbench-cache-dir={shared_cache}", "-p", "no:cacheprovider",
    )
    assert result.parseoutcomes().get("passed") == 1, result.parseoutcomes()
    result.stdout.fnmatch_lines(["*1 passed*"])


def test_bad_user_thresholds_file_is_a_usage_error(pytester, tmp_path):
    user = tmp_path / "typo.toml"
    user.write_text('schema_version = 1\n[hexane.fingerprint.w1_cm1]\nthreshold = 5.0\nunit = "cm-1"\n'
                    'direction = "max"\nrationle = "typo"\n')
    result = pytester.runpytest_subprocess(f"--insbench-thresholds={user}", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*typo.toml*unknown key(s) rationle; did you mean 'rationale'*"])


def test_imported_system_runs_the_md_family(imported, tmp_path, shared_cache):
    result = imported.runpytest_subprocess(
        _suite("md_stability"), "--mlip=mace-tiny", "-k", SYSTEM, "--insbench-level=smoke",
        f"--insbench-results={tmp_path / 'results'}", f"--insbench-cache-dir={shared_cache}",
        "-p", "no:cacheprovider",
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) + outcomes.get("failed", 0) >= 3 and not outcomes.get("errors"), outcomes
