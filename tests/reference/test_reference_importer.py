"""Tests of import_fixture (all imported data here is synthetic, except copies of hexane)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from insbench.reference import (
    FixtureExistsError,
    ReferenceFormatError,
    ReferenceImportError,
    ReferenceSchemaError,
    import_fixture,
    load_fixture,
    load_fixture_dir,
)
from insbench.reference.checksums import sha256_file

from .synthetic_data import HEXANE_DIR, RESOLUTION, isis_text, mantid_text, synthetic_arrays

SOURCE = {"citation": "synthetic test data, not a measurement"}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """Synthetic spectra in both formats and a copy of the hexane structure."""
    src = tmp_path / "src"
    src.mkdir()
    x, y, e = synthetic_arrays()
    (src / "synthetic_0gpa.dat").write_text(isis_text(x, y, e))
    (src / "synthetic_1gpa.txt").write_text(mantid_text(x + 5.0, y, e))
    (src / "synthetic_mev.txt").write_text(mantid_text(x / 8.0655, y, e))
    (src / "geometry.in").write_bytes((HEXANE_DIR / "geometry.in").read_bytes())
    return {p.name: p for p in src.iterdir()}


def _new_system(files: dict[str, Path], dest: Path, **kw) -> Path:
    args = {
        "spectra": [(files["synthetic_0gpa.dat"], 0.0), (files["synthetic_1gpa.txt"], 1.0)],
        "structure": files["geometry.in"], "structure_cell_is_measured": True, "instrument": "TOSCA",
        "temperature_k": 10.0, "source": SOURCE, "licence": "CC0-1.0 (synthetic)", "dest_root": dest,
        "formula": "C6H14", "conditions": {"resolution": RESOLUTION},
    }
    args.update(kw)
    return import_fixture("synthetic", "0.1.0", **args)


def test_import_new_system(tmp_path: Path, files: dict[str, Path]) -> None:
    dest = tmp_path / "rd"
    path = _new_system(files, dest)
    assert path == dest / "synthetic" / "0.1.0"
    manifest = json.loads((path / "manifest.json").read_text())
    by_name = {a["name"]: a for a in manifest["artefacts"]}
    assert set(by_name) == {"spectrum_measured_0gpa", "spectrum_measured_1gpa", "structure"}
    assert by_name["spectrum_measured_0gpa"]["format"] == "isis-dat"
    assert by_name["spectrum_measured_1gpa"]["format"] == "mantid-ascii"
    assert by_name["structure"]["format"] == "aims"
    assert by_name["structure"]["cell_is_measured"] is True
    assert by_name["structure"]["temperature_k"] is None and by_name["structure"]["temperature_note"]
    for art in manifest["artefacts"]:
        assert art["sha256"] == sha256_file(path / art["file"])
        assert art["source"]["citation"] == SOURCE["citation"] and art["source"]["doi"] is None
        assert (path / art["file"]).read_bytes() == files[art["file"]].read_bytes()
    cond = manifest["conditions"]
    assert cond["pressures_gpa"] == [0.0, 1.0]
    assert cond["energy_window_cm1"] == [20, 2005]
    assert cond["scoring_windows_cm1"] == {"full": [20, 2005]}
    fixture = load_fixture_dir(path)
    assert fixture.spectrum(1.0).energy_cm1[0] == pytest.approx(25.0)
    assert not list(dest.glob(".import-*")), "staging directory left behind"


def test_import_mev_mantid_is_converted(tmp_path: Path, files: dict[str, Path]) -> None:
    path = import_fixture("synthetic", "0.1.0", spectra=[(files["synthetic_mev.txt"], 0.0)], instrument="TOSCA",
                          temperature_k=10.0, source=SOURCE, licence="CC0", dest_root=tmp_path,
                          formula="C6H14", conditions={"resolution": RESOLUTION}, spectrum_energy_unit="meV")
    spectrum = load_fixture_dir(path).spectrum(0.0)
    assert spectrum.energy_cm1[0] == pytest.approx(20.0, rel=1e-4)


def test_import_computed_and_predicted_need_their_fields(tmp_path: Path, files: dict[str, Path]) -> None:
    spectra = [(files["synthetic_0gpa.dat"], 0.0)]
    common = {"spectra": spectra, "instrument": "TOSCA", "temperature_k": 10.0, "source": SOURCE, "licence": "CC0",
                  "dest_root": tmp_path, "formula": "C6H14", "conditions": {"resolution": RESOLUTION}}
    with pytest.raises(ReferenceSchemaError, match="method"):
        import_fixture("synthetic", "0.1.0", kind="computed", **common)
    path = import_fixture("synthetic", "0.1.0", kind="computed",
                          artefact_fields={"method": "synthetic", "settings": {"mesh": [2, 2, 2]}}, **common)
    assert load_fixture_dir(path).spectrum(0.0, kind="computed") is not None
    path = import_fixture("synthetic", "0.2.0", kind="predicted",
                          artefact_fields={"procedure": "synthetic: made up for a test"}, **common)
    assert load_fixture_dir(path).artefacts(kind="predicted")[0].procedure


def test_import_unknown_temperature_needs_a_note(tmp_path: Path, files: dict[str, Path]) -> None:
    common = {"spectra": [(files["synthetic_0gpa.dat"], 0.0)], "instrument": "TOSCA", "temperature_k": None,
                  "source": SOURCE, "licence": "CC0", "dest_root": tmp_path, "formula": "C6H14"}
    with pytest.raises(ReferenceSchemaError, match="temperature_note"):
        import_fixture("synthetic", "0.1.0", conditions={"resolution": RESOLUTION}, **common)
    path = import_fixture(
        "synthetic", "0.1.0", artefact_fields={"temperature_note": "synthetic: not stated"},
        conditions={"resolution": RESOLUTION, "simulation_temperature_k": 10,
                    "simulation_temperature_note": "synthetic assumption"}, **common)
    assert load_fixture_dir(path).conditions.temperature_for_simulation_k == 10


def test_import_over_existing_version_is_refused(tmp_path: Path, files: dict[str, Path]) -> None:
    path = _new_system(files, tmp_path)
    before = (path / "manifest.json").read_bytes()
    with pytest.raises(FixtureExistsError, match="already exists.*new version.*overwrite"):
        _new_system(files, tmp_path, licence="changed")
    assert (path / "manifest.json").read_bytes() == before
    _new_system(files, tmp_path, licence="changed", overwrite=True)
    assert json.loads((path / "manifest.json").read_text())["artefacts"][0]["licence"] == "changed"


def test_failed_import_leaves_nothing_behind(tmp_path: Path, files: dict[str, Path]) -> None:
    bad = tmp_path / "synthetic_bad.dat"
    bad.write_text("synthetic\nC (CM-1) COUNTS ERROR\n1 2\n")
    with pytest.raises(ReferenceFormatError, match="synthetic_bad.dat, line 3"):
        _new_system(files, tmp_path / "rd", spectra=[(bad, 0.0)])
    assert not (tmp_path / "rd" / "synthetic" / "0.1.0").exists()
    assert not list((tmp_path / "rd").glob(".import-*"))


def test_failed_overwrite_keeps_the_old_version(tmp_path: Path, files: dict[str, Path]) -> None:
    path = _new_system(files, tmp_path)
    with pytest.raises(ReferenceSchemaError):
        _new_system(files, tmp_path, overwrite=True, kind="computed")
    assert load_fixture_dir(path).version == "0.1.0"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"system": "bad name"}, "system name"),
        ({"version": "1.0"}, "semantic version"),
        ({"base_version": "latest"}, "semantic version"),
        ({"kind": "guessed"}, "kind"),
        ({"spectrum_energy_unit": "K"}, "spectrum_energy_unit"),
        ({"spectra": [], "structure": None}, "nothing to import"),
        ({"structure_cell_is_measured": None}, "cell"),
        ({"spectra": [("synthetic_missing.dat", 0.0)]}, "does not exist"),
        ({"spectra": "nan-pressure"}, "finite number"),
        ({"structure": "synthetic_missing.in"}, "does not exist"),
        ({"conditions": {}}, "resolution"),
        ({"formula": None}, "formula"),
    ],
)
def test_import_argument_errors(tmp_path: Path, files: dict[str, Path], change: dict, words: str) -> None:
    args = {"system": "synthetic", "version": "0.1.0"}
    args.update(change)
    if change.get("spectra") == "nan-pressure":
        args["spectra"] = [(files["synthetic_0gpa.dat"], float("nan"))]
    system, version = args.pop("system"), args.pop("version")
    base = {
        "spectra": [(files["synthetic_0gpa.dat"], 0.0)], "structure": files["geometry.in"],
        "structure_cell_is_measured": True, "instrument": "TOSCA", "temperature_k": 10.0, "source": SOURCE,
        "licence": "CC0", "dest_root": tmp_path, "formula": "C6H14", "conditions": {"resolution": RESOLUTION},
    }
    base.update(args)
    with pytest.raises(ReferenceImportError, match=words):
        import_fixture(system, version, **base)


def test_measured_structure_with_predicted_cell_is_rejected(tmp_path: Path, files: dict[str, Path]) -> None:
    with pytest.raises(ReferenceSchemaError, match="cell_is_measured"):
        _new_system(files, tmp_path, structure_cell_is_measured=False)
    path = _new_system(files, tmp_path, structure_cell_is_measured=False, structure_kind="predicted",
                       artefact_fields={"procedure": "synthetic: cell guessed for a test"})
    assert load_fixture_dir(path).structure().cell_is_measured is False


# --- on top of a base version ---------------------------------------------------------------

def test_base_version_carries_over_structure_and_conditions(tmp_path: Path, files: dict[str, Path],
                                                            copy_hexane) -> None:
    dest = tmp_path / "rd"
    copy_hexane(dest)
    path = import_fixture(
        "hexane", "1.1.0", spectra=[(files["synthetic_1gpa.txt"], 1.0)], kind="predicted",
        instrument="TFXA", temperature_k=20.0, source=SOURCE, licence="CC0", base_version="1.0.0",
        dest_root=dest, artefact_fields={"procedure": "synthetic: test of carry-over"},
    )
    fixture = load_fixture_dir(path)
    assert [a.name for a in fixture.artefacts()] == ["spectrum_measured_0gpa", "structure", "spectrum_predicted_1gpa"]
    assert fixture.checksums()["Hexane.dat"] == sha256_file(HEXANE_DIR / "Hexane.dat")
    assert (path / "geometry.in").read_bytes() == (HEXANE_DIR / "geometry.in").read_bytes()
    assert fixture.conditions.pressures_gpa == (0.0, 1.0)
    assert fixture.conditions.resolution.kinematics_version == "TFXA"
    assert fixture.conditions.scoring_windows_note
    assert fixture.description.startswith("Solid n-hexane")
    assert fixture.artefact("structure").source.doi == "10.5517/cc3gcpl"


def test_base_version_found_on_search_path(isolated: Path, files: dict[str, Path], copy_hexane) -> None:
    copy_hexane(isolated / "env")
    path = import_fixture(
        "hexane", "1.0.1", structure=files["geometry.in"], structure_cell_is_measured=True,
        instrument="TFXA", temperature_k=None, source=SOURCE, licence="CC0", base_version="1.0.0",
        dest_root=isolated / "work" / "reference_data",
    )
    assert load_fixture("hexane").version == "1.0.1"
    names = [a.name for a in load_fixture_dir(path).artefacts()]
    assert names == ["spectrum_measured_0gpa", "structure"]  # structure replaced, not duplicated


def test_new_spectrum_replaces_base_spectrum_of_same_kind_and_pressure(tmp_path: Path, files: dict[str, Path],
                                                                       copy_hexane) -> None:
    copy_hexane(tmp_path)
    path = import_fixture("hexane", "2.0.0", spectra=[(files["synthetic_0gpa.dat"], 0.0)], instrument="TFXA",
                          temperature_k=10.0, source=SOURCE, licence="CC0", base_version="1.0.0", dest_root=tmp_path)
    fixture = load_fixture_dir(path)
    assert fixture.artefact("spectrum_measured_0gpa").file == "synthetic_0gpa.dat"
    assert not (path / "Hexane.dat").exists()


def test_base_with_different_instrument_needs_conditions(tmp_path: Path, files: dict[str, Path], copy_hexane) -> None:
    copy_hexane(tmp_path)
    common = {"spectra": [(files["synthetic_1gpa.txt"], 1.0)], "instrument": "TOSCA", "temperature_k": 10.0,
                  "source": SOURCE, "licence": "CC0", "base_version": "1.0.0", "dest_root": tmp_path}
    with pytest.raises(ReferenceImportError, match="TFXA.*TOSCA.*resolution"):
        import_fixture("hexane", "1.1.0", **common)
    path = import_fixture("hexane", "1.1.0", conditions={"instrument": "TOSCA", "resolution": RESOLUTION}, **common)
    assert load_fixture_dir(path).conditions.instrument == "TOSCA"


def test_missing_base_version(tmp_path: Path, files: dict[str, Path], isolated: Path) -> None:
    with pytest.raises(ReferenceImportError, match="base version not found"):
        import_fixture("hexane", "1.1.0", spectra=[(files["synthetic_1gpa.txt"], 1.0)], instrument="TFXA",
                       temperature_k=10.0, source=SOURCE, licence="CC0", base_version="0.9.0", dest_root=tmp_path)


def test_base_equal_to_target_is_refused(tmp_path: Path, files: dict[str, Path], copy_hexane) -> None:
    copy_hexane(tmp_path)
    with pytest.raises(ReferenceImportError, match="being written"):
        import_fixture("hexane", "1.0.0", spectra=[(files["synthetic_1gpa.txt"], 1.0)], instrument="TFXA",
                       temperature_k=10.0, source=SOURCE, licence="CC0", base_version="1.0.0",
                       dest_root=tmp_path, overwrite=True)


def test_file_name_collisions_are_prefixed(tmp_path: Path, files: dict[str, Path]) -> None:
    other = tmp_path / "other"
    other.mkdir()
    x, y, e = synthetic_arrays()
    (other / "synthetic_0gpa.dat").write_text(isis_text(x * 1.01, y, e))
    path = _new_system(files, tmp_path / "rd", spectra=[(files["synthetic_0gpa.dat"], 0.0),
                                                        (other / "synthetic_0gpa.dat", 2.0)])
    fixture = load_fixture_dir(path)
    assert fixture.artefact("spectrum_measured_2gpa").file == "measured_2gpa_synthetic_0gpa.dat"
    np.testing.assert_allclose(fixture.spectrum(2.0).energy_cm1, x * 1.01, rtol=1e-6)
