"""Tests of manifest validation and semver ordering."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from insbench.reference import ReferenceSchemaError
from insbench.reference.schema import parse_manifest
from insbench.reference.semver import is_semver, parse_semver, semver_key

from .synthetic_data import HEXANE_DIR

MANIFEST = HEXANE_DIR / "manifest.json"


def test_shipped_hexane_manifest_is_valid(hexane_manifest: dict[str, Any]) -> None:
    manifest = parse_manifest(hexane_manifest, MANIFEST)
    assert manifest.system == "hexane" and manifest.version == "1.0.0"
    cond = manifest.conditions
    assert cond.temperature_k is None and cond.temperature_note
    assert cond.temperature_for_simulation_k == 20.0
    assert cond.scoring_windows_cm1 == {"lattice_lam": (20.0, 400.0), "fingerprint": (400.0, 1600.0)}
    spectrum, structure = manifest.artefacts
    assert spectrum.kind == structure.kind == "measured"
    assert structure.cell_is_measured is True
    assert spectrum.source.doi == "10.1063/1.479293" and structure.source.doi == "10.5517/cc3gcpl"


def _delete(*keys: str | int) -> Callable[[dict[str, Any]], None]:
    def mutate(m: dict[str, Any]) -> None:
        obj: Any = m
        for key in keys[:-1]:
            obj = obj[key]
        del obj[keys[-1]]
    return mutate


def _set(value: Any, *keys: str | int) -> Callable[[dict[str, Any]], None]:
    def mutate(m: dict[str, Any]) -> None:
        obj: Any = m
        for key in keys[:-1]:
            obj = obj[key]
        obj[keys[-1]] = value
    return mutate


TOP = ["schema_version", "system", "version", "description", "formula", "conditions", "artefacts"]
COND = ["instrument", "temperature_k", "pressures_gpa", "energy_window_cm1", "scoring_windows_cm1", "resolution"]
ART = ["name", "file", "role", "kind", "format", "units", "instrument", "temperature_k", "pressure_gpa",
       "source", "licence", "sha256", "description"]
SOURCE = ["citation", "doi", "repository", "path", "commit", "url"]

MISSING = (
    [(_delete(k), k) for k in TOP]
    + [(_delete("conditions", k), f"conditions.{k}") for k in COND]
    + [(_delete("conditions", "resolution", k), f"conditions.resolution.{k}")
       for k in ("instrument", "version", "model", "note")]
    + [(_delete("artefacts", 0, k), f"artefacts[0](spectrum_measured_0gpa).{k}") for k in ART if k != "name"]
    + [(_delete("artefacts", 1, "source", k), f"artefacts[1](structure).source.{k}") for k in SOURCE]
    + [(_delete("artefacts", 1, "cell_is_measured"), "artefacts[1](structure).cell_is_measured")]
)


@pytest.mark.parametrize(("mutate", "field"), MISSING, ids=[f for _, f in MISSING])
def test_missing_field_names_manifest_and_field(hexane_manifest: dict[str, Any], mutate, field: str) -> None:
    mutate(hexane_manifest)
    with pytest.raises(ReferenceSchemaError) as info:
        parse_manifest(hexane_manifest, MANIFEST)
    assert info.value.field == field
    assert str(MANIFEST) in str(info.value)
    assert "missing" in str(info.value)


BAD = [
    (_set("simulated", "artefacts", 0, "kind"), "artefacts[0](spectrum_measured_0gpa).kind", "must be one of"),
    (_set("image", "artefacts", 0, "role"), "artefacts[0](spectrum_measured_0gpa).role", "must be one of"),
    (_set("ABC", "artefacts", 0, "sha256"), "artefacts[0](spectrum_measured_0gpa).sha256", "64 lower-case hex"),
    (_set("A" * 64, "artefacts", 0, "sha256"), "artefacts[0](spectrum_measured_0gpa).sha256", "64 lower-case hex"),
    (_set("missing.dat", "artefacts", 0, "file"), "artefacts[0](spectrum_measured_0gpa).file", "does not exist"),
    (_set("../x.dat", "artefacts", 0, "file"), "artefacts[0](spectrum_measured_0gpa).file", "relative path"),
    (_set("/etc/passwd", "artefacts", 0, "file"), "artefacts[0](spectrum_measured_0gpa).file", "relative path"),
    (_set("xye", "artefacts", 0, "format"), "artefacts[0](spectrum_measured_0gpa).format", "not a known format"),
    (_set("isis-dat", "artefacts", 1, "format"), "artefacts[1](structure).format", "not a known format"),
    (_set({"energy": "K", "intensity": "a"}, "artefacts", 0, "units"),
     "artefacts[0](spectrum_measured_0gpa).units.energy", "must be one of"),
    (_set({"length": "bohr"}, "artefacts", 1, "units"), "artefacts[1](structure).units.length", "angstrom"),
    (_set(1, "artefacts", 0, "extra_field"), "artefacts[0](spectrum_measured_0gpa).extra_field", "not a known field"),
    (_set(1, "extra_top"), "extra_top", "not a known field"),
    (_set(2, "schema_version"), "schema_version", "upgrade insbench"),
    (_set(True, "schema_version"), "schema_version", "schema_version 1"),
    (_set("1.0", "version"), "version", "semantic version"),
    (_set("2.0.0", "version"), "version", "directory"),
    (_set("heptane", "system"), "system", "directory"),
    (_set("bad name", "system"), "system", "must match"),
    (_set(None, "artefacts", 0, "pressure_gpa"), "artefacts[0](spectrum_measured_0gpa).pressure_gpa", "finite number"),
    (_set(float("nan"), "artefacts", 0, "pressure_gpa"), "artefacts[0](spectrum_measured_0gpa).pressure_gpa", "finite"),
    (_set(True, "artefacts", 0, "pressure_gpa"), "artefacts[0](spectrum_measured_0gpa).pressure_gpa", "finite"),
    (_set(2.0, "artefacts", 0, "pressure_gpa"), "artefacts[0](spectrum_measured_0gpa).pressure_gpa", "not listed"),
    (_delete("artefacts", 0, "temperature_note"), "artefacts[0](spectrum_measured_0gpa).temperature_note", "required"),
    (_delete("conditions", "temperature_note"), "conditions.temperature_note", "required"),
    (_delete("conditions", "simulation_temperature_note"), "conditions.simulation_temperature_note", "assumed"),
    (_delete("conditions", "simulation_temperature_k"), "conditions.simulation_temperature_k", "required"),
    (_set(-5, "conditions", "simulation_temperature_k"), "conditions.simulation_temperature_k", ">= 0"),
    (_set([], "conditions", "pressures_gpa"), "conditions.pressures_gpa", "non-empty"),
    (_set([100, 20], "conditions", "energy_window_cm1"), "conditions.energy_window_cm1", "lo < hi"),
    (_set([20], "conditions", "energy_window_cm1"), "conditions.energy_window_cm1", "two numbers"),
    (_set({"wide": [10, 3000]}, "conditions", "scoring_windows_cm1"), "conditions.scoring_windows_cm1.wide", "outside"),
    (_set({}, "conditions", "scoring_windows_cm1"), "conditions.scoring_windows_cm1", "at least one"),
    (_set("", "artefacts", 0, "licence"), "artefacts[0](spectrum_measured_0gpa).licence", "non-empty string"),
    (_set(None, "artefacts", 0, "source", "citation"), "artefacts[0](spectrum_measured_0gpa).source.citation", "non-empty"),
    (_set("main", "artefacts", 0, "source", "commit"), "artefacts[0](spectrum_measured_0gpa).source.commit", "hex"),
    (_set("yes", "artefacts", 1, "cell_is_measured"), "artefacts[1](structure).cell_is_measured", "true or false"),
    (_set(False, "artefacts", 1, "cell_is_measured"), "artefacts[1](structure).cell_is_measured", "measured cell"),
    (_set(True, "artefacts", 0, "cell_is_measured"), "artefacts[0](spectrum_measured_0gpa).cell_is_measured", "only applies"),
    (_set("computed", "artefacts", 0, "kind"), "artefacts[0](spectrum_measured_0gpa).method", "computed"),
    (_set("predicted", "artefacts", 0, "kind"), "artefacts[0](spectrum_measured_0gpa).procedure", "predicted"),
    (_set([], "artefacts"), "artefacts", "non-empty"),
    (_set("x", "conditions"), "conditions", "JSON object"),
]


@pytest.mark.parametrize(("mutate", "field", "words"), BAD, ids=[f"{f}:{w}" for _, f, w in BAD])
def test_bad_value_names_manifest_field_and_problem(hexane_manifest: dict[str, Any], mutate, field: str,
                                                    words: str) -> None:
    mutate(hexane_manifest)
    with pytest.raises(ReferenceSchemaError) as info:
        parse_manifest(hexane_manifest, MANIFEST)
    assert info.value.field == field
    assert words in str(info.value)
    assert info.value.manifest == str(MANIFEST)


def test_computed_needs_settings_too(hexane_manifest: dict[str, Any]) -> None:
    art = hexane_manifest["artefacts"][0]
    art.update(kind="computed", method="synthetic: DFT-D3 phonons")
    with pytest.raises(ReferenceSchemaError, match="settings"):
        parse_manifest(hexane_manifest, MANIFEST)
    art["settings"] = {"xc": "PBE"}
    assert parse_manifest(hexane_manifest, MANIFEST).artefacts[0].settings == {"xc": "PBE"}


def test_predicted_with_procedure_is_valid(hexane_manifest: dict[str, Any]) -> None:
    hexane_manifest["artefacts"][0].update(kind="predicted", procedure="synthetic: shifted by hand")
    assert parse_manifest(hexane_manifest, MANIFEST).artefacts[0].procedure


def test_duplicates_are_rejected(hexane_manifest: dict[str, Any]) -> None:
    second = copy.deepcopy(hexane_manifest["artefacts"][0])
    hexane_manifest["artefacts"].append(second)
    with pytest.raises(ReferenceSchemaError, match="duplicates artefacts\\[0\\]"):
        parse_manifest(hexane_manifest, MANIFEST)
    second["name"] = "other"
    with pytest.raises(ReferenceSchemaError, match="duplicates artefacts\\[0\\].file"):
        parse_manifest(hexane_manifest, MANIFEST)
    second["file"] = "geometry.in"
    second["sha256"] = "0" * 64
    with pytest.raises(ReferenceSchemaError, match="duplicates"):
        parse_manifest(hexane_manifest, MANIFEST)


def test_second_spectrum_of_same_kind_and_pressure_is_rejected(hexane_manifest: dict[str, Any], tmp_path: Path) -> None:
    second = copy.deepcopy(hexane_manifest["artefacts"][0])
    second.update(name="again", file="again.dat")
    hexane_manifest["artefacts"].append(second)
    with pytest.raises(ReferenceSchemaError, match="second measured spectrum at 0.0 GPa"):
        parse_manifest(hexane_manifest, MANIFEST, check_files=False)


def test_second_structure_at_same_pressure_is_rejected(hexane_manifest: dict[str, Any]) -> None:
    second = copy.deepcopy(hexane_manifest["artefacts"][1])
    second.update(name="again", file="again.in")
    hexane_manifest["artefacts"].append(second)
    with pytest.raises(ReferenceSchemaError, match="second structure"):
        parse_manifest(hexane_manifest, MANIFEST, check_files=False)


def test_top_level_must_be_an_object() -> None:
    with pytest.raises(ReferenceSchemaError, match="JSON object"):
        parse_manifest([1, 2], MANIFEST)


def test_directory_check_is_skipped_for_other_layouts(hexane_manifest: dict[str, Any]) -> None:
    assert parse_manifest(hexane_manifest, "elsewhere.json", check_files=False).system == "hexane"


# --- semver ---------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["1.0.0", "0.1.10", "1.0.0-rc.1", "1.0.0+build.5", "10.20.30-alpha-1"])
def test_valid_semver(text: str) -> None:
    assert is_semver(text)
    assert parse_semver(text).major >= 0


@pytest.mark.parametrize("text", ["1.0", "01.0.0", "1.0.0.0", "v1.0.0", "", "1.0.0-", None, 1])
def test_invalid_semver(text: Any) -> None:
    assert not is_semver(text)
    with pytest.raises(ValueError, match="semantic version"):
        parse_semver(text)


def test_semver_ordering() -> None:
    ordered = ["0.9.0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta.2", "1.0.0-beta.11",
               "1.0.0-rc.1", "1.0.0", "1.2.0", "1.10.0", "2.0.0"]
    assert sorted(ordered[5:] + ordered[:5], key=semver_key) == ordered
    assert semver_key("1.0.0+a") == semver_key("1.0.0+b")


# --- pydantic schema: did-you-mean, kind "cited", declared thresholds ------------------------

@pytest.mark.parametrize("keys, typo, meant", [
    ((), "descripton", "description"),
    (("conditions",), "temperatur_k", "temperature_k"),
    (("conditions", "resolution"), "widht_scale", "width_scale"),
    (("artefacts", 0), "licnce", "licence"),
    (("artefacts", 0, "source"), "citaton", "citation"),
])
def test_unknown_key_suggests_the_closest(hexane_manifest: dict[str, Any], keys, typo, meant) -> None:
    obj: Any = hexane_manifest
    for key in keys:
        obj = obj[key]
    obj[typo] = obj.get(meant, "x")
    with pytest.raises(ReferenceSchemaError) as info:
        parse_manifest(hexane_manifest, MANIFEST)
    assert info.value.field.endswith(typo)
    assert f"did you mean {meant!r}" in str(info.value) and "not a known field" in str(info.value)


def _cited(manifest: dict[str, Any], **changes: Any) -> dict[str, Any]:
    art = copy.deepcopy(manifest["artefacts"][0])
    art.update(name="claims_paper", file="claims.json", role="claims", kind="cited", format="json", units={},
               pressure_gpa=None, pressure_note="claims cover every pressure",
               source={"citation": "A. Author, arXiv:0000.00000 (synthetic test)", "doi": None, "repository": None,
                       "path": None, "commit": None, "url": "https://arxiv.org/abs/0000.00000"})
    art.update(changes)
    manifest["artefacts"].append(art)
    return art


def test_cited_kind_is_valid_for_claims_with_a_paper(hexane_manifest: dict[str, Any]) -> None:
    _cited(hexane_manifest)
    manifest = parse_manifest(hexane_manifest, MANIFEST, check_files=False)
    assert manifest.artefacts[-1].kind == "cited"


@pytest.mark.parametrize("changes, field, words", [
    ({"role": "spectrum", "format": "isis-dat", "units": {"energy": "cm-1", "intensity": "a"}, "pressure_gpa": 0.5},
     "role", "statements paraphrased from a paper"),
    ({"format": "csv"}, "role", "format 'json'"),
    ({"source": {"citation": "a paper", "doi": None, "repository": None, "path": None, "commit": None,
                 "url": None}}, "source", "doi or url"),
])
def test_cited_kind_rules(hexane_manifest: dict[str, Any], changes, field: str, words: str) -> None:
    _cited(hexane_manifest, **changes)
    with pytest.raises(ReferenceSchemaError) as info:
        parse_manifest(hexane_manifest, MANIFEST, check_files=False)
    assert info.value.field == f"artefacts[2](claims_paper).{field}" and words in str(info.value)


def test_cited_statements_each_need_an_exact_source(tmp_path: Path) -> None:
    from insbench.reference.schema import check_cited_claims

    good = b'{"claims": [{"statement": "a bilayer", "source": {"citation": "x", "location": "Figure 2 caption"}},' \
           b' {"statement": "blue shifts", "source": "arXiv:2603.05442 abstract"}]}'
    check_cited_claims(good, tmp_path / "claims.json", MANIFEST, "claims_paper")
    for bad, words in [
        (b'{"claims": [{"statement": "a bilayer"}]}', "source"),
        (b'{"claims": [{"statement": "a bilayer", "source": {"citation": "x"}}]}', "location"),
        (b'{"claims": [{"statement": "", "source": "abstract"}]}', "statement"),
        (b'{"claims": []}', "at least one"),
        (b"not json", "not valid UTF-8 JSON"),
    ]:
        with pytest.raises(ReferenceSchemaError, match=words):
            check_cited_claims(bad, tmp_path / "claims.json", MANIFEST, "claims_paper")


def test_conditions_may_declare_thresholds(hexane_manifest: dict[str, Any]) -> None:
    declared = {"fingerprint": {"w1_cm1": {"threshold": 30.0, "unit": "cm-1", "direction": "max",
                                            "rationale": "synthetic"}}}
    hexane_manifest["conditions"]["thresholds"] = declared
    assert parse_manifest(hexane_manifest, MANIFEST).conditions.thresholds == declared
    hexane_manifest["conditions"]["thresholds"] = {"fingerprint": 3}
    with pytest.raises(ReferenceSchemaError, match="table of metrics"):
        parse_manifest(hexane_manifest, MANIFEST)
