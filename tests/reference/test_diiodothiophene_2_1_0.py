"""diiodothiophene 2.1.0 extends 2.0.0: its files unchanged, plus the structure-sensitivity
table, the GFN2-xTB sanity check and the completed structure search (all shipped data,
checked for consistency with itself; nothing here is synthetic)."""

from __future__ import annotations

import json

import pytest

from insbench.reference import load_fixture, load_fixture_dir
from insbench.results.summary_pressure import sensitivity_line
from insbench.workflows.pressure_report import sensitivity_table

from .synthetic_data import REPO

SHIPPED = REPO / "reference_data" / "diiodothiophene"


@pytest.fixture(scope="module")
def v200():
    return load_fixture_dir(SHIPPED / "2.0.0")


@pytest.fixture(scope="module")
def v210():
    return load_fixture_dir(SHIPPED / "2.1.0")


def _raw(fixture) -> dict:
    return json.loads((fixture.root / "manifest.json").read_text())


def test_every_2_0_0_file_is_carried_byte_for_byte(v200, v210):
    new = {a["name"]: a for a in _raw(v210)["artefacts"]}
    for artefact in _raw(v200)["artefacts"]:
        assert new[artefact["name"]] == artefact  # same file, kind, source and sha256
        assert (v210.root / artefact["file"]).read_bytes() == (v200.root / artefact["file"]).read_bytes()
    assert v210.structure().atoms.get_positions().tolist() == v200.structure().atoms.get_positions().tolist()


def test_2_1_0_stays_loadable_by_version(monkeypatch, tmp_path):
    from insbench.reference import locate

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(locate.ENV_VAR, raising=False)
    assert load_fixture("diiodothiophene", "2.1.0").version == "2.1.0"  # 3.0.0 is the default since


def test_sensitivity_table_covers_every_model_and_candidate_and_its_flags_follow_the_runs(v210):
    table = sensitivity_table(v210)
    assert table is not None, "2.1.0 must ship the structure-sensitivity table the summary reads"
    runs = {(r["model"], r["candidate"]): r for r in table["runs"]}
    assert set(table["models"]) == set(table["settings"]["models"]) >= {"mace-tiny", "sevennet-0+d3", "chgnet+d3"}
    for model, verdicts in table["models"].items():
        for candidate in table["candidates"]:
            assert runs[(model, candidate)]["status"] == "ok", (model, candidate)
        for name, data in verdicts.items():
            passes = {c: runs[(model, c)][name]["passed"] for c in table["candidates"]}
            assert data["passed"] == passes
            assert data["flips"] == (len(set(passes.values())) > 1)
        line = sensitivity_line(model, table)
        assert "not assessed" not in line
        for name, data in verdicts.items():
            assert (f"{name} STRUCTURE-SENSITIVE" in line) == data["flips"]


def test_gfn2_failed_its_sanity_check_so_no_computed_reference_ships(v210):
    check = json.loads(v210.file_path("gfn2_sanity_check").read_text())
    assert check["passed"] is False and not all(c["passed"] for c in check["checks"].values())
    assert not [a for a in v210.artefacts() if a.kind == "computed" and a.role in ("spectrum", "peaks")]
    computed_slots = [s for s in v210.slots if s.kind == "computed"]
    assert computed_slots and all("FAILED its declared sanity check" in s.description for s in computed_slots)


def test_import_hints_name_a_version_that_is_not_shipped(v210):
    shipped = {p.name for p in SHIPPED.iterdir() if (p / "manifest.json").is_file()}
    for slot in v210.slots:
        version = slot.import_hint.split("--version ")[1].split()[0] if "--version " in slot.import_hint else None
        assert version is None or version not in shipped, slot.import_hint


def test_a_changed_selection_is_said_in_the_description_and_ships_as_a_non_default_candidate(v210):
    completed = json.loads(v210.file_path("csp_summary_completed_json").read_text())["selection"]["selected"]
    original = json.loads(v210.file_path("csp_summary_json").read_text())["selection"]["selected"]
    assert v210.structure().atoms.info.get("candidate") == original  # the default never changes silently
    if completed != original:
        assert f"selects {completed}" in v210.manifest.description
        extra = json.loads(v210.file_path("candidate_selected_completed").read_text())
        assert [c["ident"] for c in extra["candidates"]] == [completed]
