"""The importer checks physics and identity, not only syntax: one test per refusal.

All spectra here are SYNTHETIC (tests/reference/synthetic_data.py); the structure is the
shipped hexane one, read from the repository.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from insbench.cli import main
from insbench.reference import ReferenceFormatError, ReferenceImportError, import_fixture, load_fixture_dir

from .synthetic_data import HEXANE_DIR, RESOLUTION, isis_text, synthetic_arrays

SOURCE = {"citation": "synthetic test data, not a measurement"}


def _spectrum(tmp_path: Path, y=None, x=None, name="synthetic.dat") -> Path:
    x0, y0, e0 = synthetic_arrays()
    x = x0 if x is None else x
    y = y0 if y is None else y
    path = tmp_path / name
    path.write_text(isis_text(x, y, np.abs(e0[: len(x)])))
    return path


def _import(tmp_path: Path, spectra=(), structure=None, version="0.1.0", system="synthetic", **kw) -> Path:
    args = {"spectra": spectra, "structure": structure, "instrument": "TOSCA", "temperature_k": 10.0,
            "source": SOURCE, "licence": "CC0-1.0 (synthetic)", "dest_root": tmp_path / "rd",
            "formula": "C6H14", "conditions": {"resolution": RESOLUTION}}
    if structure is not None:
        args["structure_cell_is_measured"] = True
    args.update(kw)
    return import_fixture(system, version, **args)


def test_negated_counts_are_refused(tmp_path):
    """Before: accepted, and the peak-MAE tests then passed on the flipped spectrum."""
    _, y, _ = synthetic_arrays()
    path = _spectrum(tmp_path, y=-y)
    with pytest.raises(ReferenceImportError, match=r"40 of 40 counts are negative.*--allow-negative"):
        _import(tmp_path, spectra=[(path, 0.0)])
    assert not (tmp_path / "rd" / "synthetic").exists()


def test_allow_negative_is_explicit_and_recorded(tmp_path):
    _, y, _ = synthetic_arrays()
    y = y - 1.2  # a background subtracted a little too far: some small negative values
    path = _spectrum(tmp_path, y=y)
    target = _import(tmp_path, spectra=[(path, 0.0)], allow_negative=True)
    (art,) = json.loads((target / "manifest.json").read_text())["artefacts"]
    record = art["negative_counts_allowed"]
    assert record["n_negative_counts"] > 0 and record["most_negative_count"] < 0
    assert load_fixture_dir(target).spectrum(0.0) is not None  # the schema accepts the record


def test_allow_negative_through_the_cli(tmp_path, capsys):
    _, y, _ = synthetic_arrays()
    path = _spectrum(tmp_path, y=y - 1.2)
    common = ["reference", "import", "synthetic", "--version", "0.1.0", "--spectrum", str(path),
              "--instrument", "TOSCA", "--temperature-k", "10", "--citation", "synthetic", "--licence", "CC0",
              "--formula", "C6H14", "--resolution", "TOSCA:TOSCA:AbINS", "--dest", str(tmp_path / "rd")]
    assert main(common) == 2 and "--allow-negative" in capsys.readouterr().err
    assert main([*common, "--allow-negative"]) == 0


@pytest.mark.parametrize("problem, x", [
    ("not sorted", np.r_[np.linspace(20, 500, 20), np.linspace(400, 900, 20)]),
    ("duplicate energy", np.r_[np.linspace(20, 500, 20), np.linspace(500, 900, 20)]),
])
def test_unsorted_or_duplicated_energies_are_refused(tmp_path, problem, x):
    path = _spectrum(tmp_path, x=x)
    with pytest.raises(ReferenceFormatError, match="does not exceed the previous one"):
        _import(tmp_path, spectra=[(path, 0.0)])


def test_non_finite_counts_are_refused(tmp_path):
    _, y, _ = synthetic_arrays()
    y[3] = np.nan
    path = _spectrum(tmp_path, y=y)
    with pytest.raises((ReferenceImportError, ReferenceFormatError), match="NaN|finite|number"):
        _import(tmp_path, spectra=[(path, 0.0)])


def test_structure_without_a_cell_is_refused(tmp_path):
    """Before: accepted, and spglib crashed later."""
    from ase.io import read, write

    atoms = read(HEXANE_DIR / "geometry.in")
    atoms.set_pbc(False)
    atoms.set_cell(None)
    path = tmp_path / "molecule.xyz"
    write(path, atoms, format="extxyz")
    with pytest.raises(ReferenceImportError, match="has no 3-D periodic cell"):
        _import(tmp_path, structure=path)


def test_structure_contradicting_the_formula_is_refused(tmp_path):
    with pytest.raises(ReferenceImportError, match=r"composition C6H14 is not a whole number.*'C6H6'"):
        _import(tmp_path, structure=HEXANE_DIR / "geometry.in", formula="C6H6")
    with pytest.raises(ReferenceImportError, match="not a whole number"):
        _import(tmp_path, structure=HEXANE_DIR / "geometry.in", formula="C4H10")


def test_structure_with_z_formula_units_is_accepted(tmp_path):
    from ase.io import read, write

    atoms = read(HEXANE_DIR / "geometry.in") * (2, 1, 1)  # Z = 2
    path = tmp_path / "z2.xyz"
    write(path, atoms, format="extxyz")
    assert _import(tmp_path, spectra=[(_spectrum(tmp_path), 0.0)], structure=path).is_dir()


def test_unknown_elements_are_refused(tmp_path):
    path = _spectrum(tmp_path)
    with pytest.raises(ReferenceImportError, match="unknown element"):
        _import(tmp_path, spectra=[(path, 0.0)], formula="Xx6H14")
    with pytest.raises(ReferenceImportError, match="cannot be read"):
        _import(tmp_path, spectra=[(path, 0.0)], formula="c6h14")


def test_reusing_a_published_version_with_other_content_is_refused(tmp_path, monkeypatch):
    """Before: `--version 1.0.0` in ./reference_data shadowed the shipped hexane 1.0.0 with other data."""
    monkeypatch.chdir(tmp_path)
    path = _spectrum(tmp_path)
    with pytest.raises(ReferenceImportError, match=r"hexane 1\.0\.0 is already published at .*\[package\].*--version 1\.\d+\.0"):
        _import(tmp_path, spectra=[(path, 0.0)], system="hexane", version="1.0.0",
                dest_root=tmp_path / "reference_data")
    assert not (tmp_path / "reference_data" / "hexane").exists()


def test_reimporting_identical_content_under_the_same_version_is_allowed(tmp_path, monkeypatch, isolated):
    root = isolated / "env"
    shutil.copytree(HEXANE_DIR, root / "hexane" / "1.0.0")
    dest = isolated / "dest"
    manifest = json.loads((HEXANE_DIR / "manifest.json").read_text())
    art = next(a for a in manifest["artefacts"] if a["role"] == "spectrum")
    target = import_fixture("hexane", "1.0.0", base_version="1.0.0", dest_root=dest, instrument=art["instrument"],
                            temperature_k=None, source=SOURCE, licence="x")
    assert target.is_dir()
