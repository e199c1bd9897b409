"""Issue 3's promise: a user who owns the measured diiodothiophene spectra imports them with
one command, and the measured-data tests then run on them.

The "measured" spectra here are SYNTHETIC: the shipped computed GFN2-xTB spectra with
noise added, written as ISIS INS database .dat files that say so in their title line.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from insbench.workflows.cases import spectral_items
from insbench.cli import main
from insbench.metrics import load_thresholds
from insbench.plugin import _benchmark_files
from insbench.reference import load_fixture


def _write_synthetic_dat(path, spectrum, seed):
    rng = np.random.default_rng(seed)
    x = spectrum.energy_cm1[spectrum.energy_cm1 > 5]
    y = np.interp(x, spectrum.energy_cm1, spectrum.intensity)
    y = y / y.max() * 100 + 5  # counts-like, with a flat background
    error = np.sqrt(y) * 0.1
    noisy = y + rng.normal(0, error)
    lines = ["SYNTHETIC test data (computed GFN2-xTB spectrum + noise), not a measurement",
             "C    (CM-1)         COUNTS           ERROR"]
    lines += [f"  {a:.6E}   {b:.6E}   {c:.6E}" for a, b, c in zip(x, noisy, error)]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture
def imported(tmp_path, monkeypatch):
    base = load_fixture("diiodothiophene", "1.0.0")
    files = []
    for seed, pressure in enumerate(base.conditions.pressures_gpa):
        path = tmp_path / f"synthetic_{pressure:g}gpa.dat"
        _write_synthetic_dat(path, base.spectrum(pressure_gpa=pressure, kind="computed"), seed)
        files += ["--spectrum", f"{path}@{pressure:g}"]
    monkeypatch.chdir(tmp_path)
    # 3.1.0: newer than every shipped version (3.0.0 is shipped), so it is the one loaded;
    # base 1.0.0 has the computed spectra
    code = main(["reference", "import", "diiodothiophene", "--version", "3.1.0", "--base-version", "1.0.0",
                 *files, "--kind", "measured", "--instrument", "TOSCA", "--temperature-k", "10",
                 "--citation", "SYNTHETIC test data made by insbench's tests", "--licence", "CC0-1.0",
                 "--dest", str(tmp_path / "reference_data")])
    assert code == 0
    return tmp_path


def test_import_fills_the_measured_slots_and_keeps_the_rest(imported):
    fixture = load_fixture("diiodothiophene")
    assert fixture.version == "3.1.0" and fixture.root.is_relative_to(imported)
    assert fixture.spectrum(pressure_gpa=1.5, kind="measured") is not None
    assert fixture.spectrum(pressure_gpa=0.0, kind="computed") is not None  # carried over
    assert fixture.structure().artefact.kind == "predicted"
    open_slots = {(s.role, s.kind) for s in fixture.slots}
    assert ("spectrum", "measured") not in open_slots
    assert {("peaks", "measured"), ("structure", "measured")} <= open_slots


def test_measured_items_replace_the_missing_ones(imported):
    items = spectral_items(load_fixture("diiodothiophene"), load_thresholds())
    measured = [i for i in items if i.reference_kind == "measured"]
    assert measured and not any(i.missing for i in measured)
    assert {i.case.pressure_gpa for i in measured} == {0.0, 1.5}


def test_measured_data_tests_run_on_the_imported_spectra(imported, pytester, tmp_path):
    pytester.chdir()
    (pytester.path / "reference_data").symlink_to(imported / "reference_data")
    spectral = next(f for f in _benchmark_files() if "spectral" in f)  # this family only
    result = pytester.runpytest_subprocess(
        spectral, "--mlip=mace-tiny", "-k", "diiodothiophene and 0GPa and vs-measured and lattice and w1_cm1",
        "--insbench-supercell-min-length=4", f"--insbench-results={tmp_path / 'results'}",
        f"--insbench-cache-dir={tmp_path / 'cache'}", "-p", "no:cacheprovider",
    )
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) + outcomes.get("failed", 0) == 1, outcomes
    record = json.loads((tmp_path / "results" / "mace-tiny" / "diiodothiophene" / "spectra.json").read_text())
    assert record["reference"]["version"] == "3.1.0"
    assert "diiodothiophene-0GPa-relaxed-cell-vs-measured" in record["cases"]
