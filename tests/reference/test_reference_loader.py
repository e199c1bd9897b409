"""Tests of the search path, load_fixture, list_fixtures and the Fixture helpers."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from insbench.reference import (
    ArtefactNotFoundError,
    ChecksumError,
    FixtureNotFoundError,
    ReferenceFormatError,
    ReferenceSchemaError,
    list_fixtures,
    load_fixture,
    load_fixture_dir,
    locate,
    search_path,
)
from insbench.spectra import Spectrum1D

from .synthetic_data import HEXANE_DIR, REPO

NEWEST_HEXANE_DIR = REPO / "reference_data" / "hexane" / "1.0.1"

HEXANE_DAT_SHA = "96d1126159874045c33a0ba1c1f33d926e6ad7d7c3b5702980737cd13c0e094c"
GEOMETRY_SHA = "164b088de776f564a6ba88efa0d05a428254cffd71d7e04584af9dd0487a302a"


# --- search path ----------------------------------------------------------------------------

def test_search_path_order_env_then_cwd_then_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(locate.ENV_VAR, os.pathsep.join([str(tmp_path / "a"), "", str(tmp_path / "b")]))
    monkeypatch.chdir(tmp_path)
    roots = search_path()
    assert [r.origin for r in roots] == [locate.ENV_VAR, locate.ENV_VAR, "cwd", "package"]
    assert [r.path for r in roots[:3]] == [tmp_path / "a", tmp_path / "b", tmp_path / "reference_data"]
    assert roots[3].path == REPO / "reference_data"


def test_search_path_drops_duplicates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(locate.ENV_VAR, raising=False)
    monkeypatch.chdir(REPO)  # ./reference_data is the packaged checkout data here
    roots = search_path()
    assert [r.origin for r in roots] == ["cwd"]


def test_packaged_root_in_a_checkout_is_the_repo_reference_data() -> None:
    assert locate.packaged_root() == REPO / "reference_data"


def test_packaged_root_prefers_wheel_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_pkg = tmp_path / "insbench"
    (fake_pkg / "_data" / "reference_data").mkdir(parents=True)
    import insbench._paths

    monkeypatch.setattr(insbench._paths.resources, "files", lambda name: fake_pkg)
    assert locate.packaged_root() == fake_pkg / "_data" / "reference_data"


def test_describe_search_path_marks_missing_dirs(isolated: Path) -> None:
    text = locate.describe_search_path()
    assert "(does not exist)" in text and str(isolated / "env") in text


# --- loading the shipped fixture ------------------------------------------------------------

@pytest.fixture
def hexane(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The shipped hexane fixture, found through the package root."""
    monkeypatch.delenv(locate.ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    return load_fixture("hexane")


def test_load_shipped_hexane(hexane) -> None:
    # the newest shipped version is the default (1.0.1: 1.0.0's data with a corrected note)
    assert (hexane.system, hexane.version, hexane.origin) == ("hexane", "1.0.1", "package")
    assert hexane.root == NEWEST_HEXANE_DIR
    assert hexane.formula == "C6H14"
    assert hexane.conditions.instrument == "TFXA"
    assert hexane.conditions.pressures_gpa == (0.0,)
    assert hexane.conditions.energy_window_cm1 == (20.0, 2000.0)


def test_shipped_files_are_the_provenance_copies(hexane) -> None:
    assert hexane.checksums() == {"Hexane.dat": HEXANE_DAT_SHA, "geometry.in": GEOMETRY_SHA}


def test_spectrum_is_a_fresh_copy_with_metadata(hexane) -> None:
    spectrum = hexane.spectrum(0.0)
    assert isinstance(spectrum, Spectrum1D)
    assert spectrum.energy_cm1.size == 794
    meta = spectrum.metadata
    assert meta["artefact"] == "spectrum_measured_0gpa"
    assert (meta["kind"], meta["instrument"], meta["temperature_k"], meta["pressure_gpa"]) == (
        "measured", "TFXA", None, 0.0)
    assert meta["sha256"] == HEXANE_DAT_SHA
    spectrum.intensity[:] = 0.0
    spectrum.metadata["kind"] = "edited"
    again = hexane.spectrum(0.0)
    assert again.intensity[0] == pytest.approx(1.566107)
    assert again.metadata["kind"] == "measured"


def test_spectrum_absent_returns_none(hexane) -> None:
    assert hexane.spectrum(1.0) is None
    assert hexane.spectrum(0.0, kind="computed") is None
    with pytest.raises(ValueError, match="kind must be one of"):
        hexane.spectrum(0.0, kind="simulated")


def test_structure_is_a_fresh_copy(hexane) -> None:
    ref = hexane.structure()
    assert ref.cell_is_measured is True
    assert ref.artefact.name == "structure"
    assert ref.atoms.get_chemical_formula() == "C6H14"
    ref.atoms.positions[:] = 0.0
    assert np.abs(hexane.structure().atoms.positions).sum() > 0
    assert hexane.structure(pressure_gpa=0.0).atoms is not hexane.structure().atoms


def test_structure_missing_says_how_to_add_one(hexane) -> None:
    with pytest.raises(ArtefactNotFoundError, match="no structure artefact at 5.0 GPa.*--structure"):
        hexane.structure(pressure_gpa=5.0)


def test_artefact_helpers(hexane) -> None:
    assert hexane.artefact("structure").format == "aims"
    assert [a.name for a in hexane.artefacts(role="spectrum")] == ["spectrum_measured_0gpa"]
    assert len(hexane.artefacts(kind="measured")) == 2
    assert hexane.artefacts(kind="predicted") == ()
    assert hexane.file_path("structure") == NEWEST_HEXANE_DIR / "geometry.in"
    with pytest.raises(ArtefactNotFoundError, match="has no artefact 'nope'; it has: spectrum_measured_0gpa, structure"):
        hexane.artefact("nope")
    with pytest.raises(ValueError, match="role must be one of"):
        hexane.artefacts(role="picture")


def test_to_provenance_is_json_and_complete(hexane) -> None:
    prov = json.loads(json.dumps(hexane.to_provenance()))
    assert prov["system"] == "hexane" and prov["version"] == "1.0.1"
    assert prov["root"] == str(NEWEST_HEXANE_DIR)
    assert len(prov["manifest_sha256"]) == 64
    art = prov["artefacts"]["spectrum_measured_0gpa"]
    assert art["kind"] == "measured" and art["sha256"] == HEXANE_DAT_SHA
    assert art["source"]["doi"] == "10.1063/1.479293"
    assert "GPL-3.0" in art["licence"]
    assert prov["artefacts"]["structure"]["source"]["commit"] == "d03225d2e052f9e633fbbda226d81ba08766961e"


def test_shipped_resolution_model_exists_in_resins(hexane) -> None:
    from resins.instrument import Instrument

    res = hexane.conditions.resolution
    instrument = Instrument.from_default(res.instrument, res.version)
    assert res.model in instrument.available_models


# --- search-path resolution -----------------------------------------------------------------

def test_env_path_wins_over_cwd(isolated: Path, copy_hexane) -> None:
    copy_hexane(isolated / "env")
    copy_hexane(isolated / "work" / "reference_data")
    fixture = load_fixture("hexane", "1.0.0")
    assert fixture.origin == locate.ENV_VAR
    assert fixture.root == (isolated / "env" / "hexane" / "1.0.0").resolve()


def test_newest_semver_across_roots(isolated: Path, copy_hexane) -> None:
    copy_hexane(isolated / "env", "1.2.0")
    copy_hexane(isolated / "work" / "reference_data", "1.10.0")
    copy_hexane(isolated / "work" / "reference_data", "1.10.0-rc.1")
    (isolated / "work" / "reference_data" / "hexane" / "latest").mkdir()  # not semver, ignored
    assert load_fixture("hexane").version == "1.10.0"
    assert load_fixture("hexane", "1.2.0").origin == locate.ENV_VAR


def test_missing_fixture_lists_installed_and_search_path(isolated: Path, copy_hexane) -> None:
    copy_hexane(isolated / "env")
    with pytest.raises(FixtureNotFoundError) as info:
        load_fixture("diiodothiophene")
    text = str(info.value)
    assert "'diiodothiophene'" in text
    assert "hexane: 1.0.0" in text
    assert str(isolated / "env") in text and str(isolated / "work" / "reference_data") in text
    assert "INSBENCH_REFERENCE_PATH" in text


def test_missing_version_is_not_found(isolated: Path, copy_hexane) -> None:
    copy_hexane(isolated / "env")
    with pytest.raises(FixtureNotFoundError, match="'hexane 9.9.9'"):
        load_fixture("hexane", "9.9.9")


def test_empty_search_path_says_nothing_installed(isolated: Path) -> None:
    with pytest.raises(FixtureNotFoundError, match="no fixtures installed"):
        load_fixture("hexane")


# --- corruption -----------------------------------------------------------------------------

def test_corrupt_file_raises_checksum_error_naming_file_and_checksums(isolated: Path, copy_hexane) -> None:
    dest = copy_hexane(isolated / "env")
    with open(dest / "Hexane.dat", "ab") as handle:
        handle.write(b"   4.0E+03   1.0E+00   1.0E-01\r\n")
    with pytest.raises(ChecksumError) as info:
        load_fixture("hexane")
    text = str(info.value)
    assert str(dest.resolve() / "Hexane.dat") in text
    assert HEXANE_DAT_SHA in text
    assert info.value.actual in text and info.value.actual != HEXANE_DAT_SHA
    assert "restore the original file" in text and "insbench reference import" in text


def test_missing_data_file_is_a_schema_error(isolated: Path, copy_hexane) -> None:
    dest = copy_hexane(isolated / "env")
    (dest / "geometry.in").unlink()
    with pytest.raises(ReferenceSchemaError, match="artefacts\\[1\\]\\(structure\\).file.*does not exist"):
        load_fixture("hexane")


def test_invalid_json_manifest(isolated: Path, copy_hexane) -> None:
    dest = copy_hexane(isolated / "env")
    (dest / "manifest.json").write_text("{not json")
    with pytest.raises(ReferenceSchemaError, match="<json>"):
        load_fixture("hexane")


def test_unparseable_data_with_matching_checksum_is_a_format_error(isolated: Path, copy_hexane) -> None:
    dest = copy_hexane(isolated / "env")
    (dest / "Hexane.dat").write_text("synthetic broken file\nno header\n")
    from insbench.reference.checksums import sha256_file

    manifest = json.loads((dest / "manifest.json").read_text())
    manifest["artefacts"][0]["sha256"] = sha256_file(dest / "Hexane.dat")
    (dest / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ReferenceFormatError, match="Hexane.dat, line 2"):
        load_fixture("hexane")


def test_load_fixture_dir_without_manifest(tmp_path: Path) -> None:
    with pytest.raises(FixtureNotFoundError, match="no manifest.json"):
        load_fixture_dir(tmp_path)


# --- listing --------------------------------------------------------------------------------

def test_list_fixtures_reports_valid_shadowed_and_broken(isolated: Path, copy_hexane) -> None:
    copy_hexane(isolated / "env", "1.0.0")
    copy_hexane(isolated / "work" / "reference_data", "1.0.0")  # shadowed by env
    broken = copy_hexane(isolated / "work" / "reference_data", "2.0.0")
    manifest = json.loads((broken / "manifest.json").read_text())
    manifest["artefacts"][0]["kind"] = "guessed"
    (broken / "manifest.json").write_text(json.dumps(manifest))
    odd = isolated / "work" / "reference_data" / "hexane" / "draft"
    odd.mkdir()
    (odd / "manifest.json").write_text("{}")
    staged = isolated / "env" / "hexane" / ".1.1.0-staging"
    staged.mkdir()
    (staged / "manifest.json").write_text("{}")

    summaries = list_fixtures()
    assert [(s.system, s.version) for s in summaries] == [("hexane", "draft"), ("hexane", "1.0.0"), ("hexane", "2.0.0")]
    draft, good, bad = summaries
    assert good.origin == locate.ENV_VAR and good.problem is None
    assert good.kinds == ("measured",) and good.roles == ("spectrum", "structure")
    assert "kind" in (bad.problem or "") and bad.kinds == ()
    assert "not semver" in (draft.problem or "")


def test_list_fixtures_includes_shipped_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(locate.ENV_VAR, raising=False)
    monkeypatch.chdir(tmp_path)
    assert ("hexane", "1.0.0", "package") in [(s.system, s.version, s.origin) for s in list_fixtures()]
