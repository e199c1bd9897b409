"""diiodothiophene 3.0.0: the default structure is the one the declared selection rule picks
after the completed structure search (sg033-Z4-15), the global minimum and the other top
candidates stay selectable, and every claim about them follows from the shipped files
(all shipped data, checked for consistency with itself; nothing here is synthetic)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from insbench.reference import load_fixture, load_fixture_dir
from insbench.results.summary_pressure import sensitivity_line
from insbench.workflows.pressure_report import sensitivity_table
from insbench.workflows.self_reference import self_reference_reason

from .synthetic_data import REPO

SHIPPED = REPO / "reference_data" / "diiodothiophene"
#: the declared rule: herringbone + bilayer within 5 kJ/mol of the global minimum (docs/structure-prediction.md)
WINDOW_MEV = 5.0 / 96.485 * 1000


@pytest.fixture(scope="module")
def v300():
    return load_fixture_dir(SHIPPED / "3.0.0")


@pytest.fixture(scope="module")
def candidates(v300) -> dict:
    return json.loads(v300.file_path("candidates_top").read_text())


def test_3_0_0_is_the_default_diiodothiophene(monkeypatch, tmp_path):
    from insbench.reference import locate

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(locate.ENV_VAR, raising=False)
    assert load_fixture("diiodothiophene").version == "3.0.0"


def test_the_default_structure_is_what_the_declared_rule_selects(v300, candidates):
    summary = json.loads(v300.file_path("csp_summary_json").read_text())
    rows = {r["ident"]: r for r in summary["candidates"]}
    ranked = sorted((r for r in rows.values() if r["sevennet_0_d3_status"] == "converged"),
                    key=lambda r: r["sevennet_0_d3_e_rel_mev_per_molecule"])
    matching = [r for r in ranked if r["herringbone"] and r["bilayer"]
                and r["sevennet_0_d3_e_rel_mev_per_molecule"] <= WINDOW_MEV]
    expected = matching[0]["ident"] if matching else ranked[0]["ident"]
    assert expected == summary["selection"]["selected"] == "sg033-Z4-15"
    assert summary["counts"]["prescreened"] == summary["counts"]["generated"]  # the completed search
    assert v300.structure().atoms.info["candidate"] == expected
    assert v300.structure().artefact.kind == "predicted"
    first = candidates["candidates"][0]
    assert first["ident"] == expected and first["selected"] is True
    assert first["descriptors"]["herringbone"] and first["descriptors"]["bilayer"]
    np.testing.assert_allclose(v300.structure().atoms.get_positions(), first["structure"]["positions_a"], atol=1e-6)


def test_the_description_says_the_default_changed_and_why(v300):
    text = v300.manifest.description
    assert "DEFAULT STRUCTURE CHANGED from sg002-Z2-02 (2.1.0) to sg033-Z4-15" in text
    assert "declared" in text and "40.2 meV/molecule" in text
    structure = next(a for a in v300.artefacts(role="structure"))
    # both models' energies, including CHGNet+D3's much larger gap, are stated
    assert "+40.2 meV/molecule above sevennet-0+d3's own minimum (sg002-Z2-02)" in structure.description
    assert "+78.0 meV/molecule above chgnet+d3's own minimum (sg019-Z4-13)" in structure.description


def test_the_global_minimum_and_the_sensitivity_candidates_stay_selectable(v300, candidates):
    idents = [c["ident"] for c in candidates["candidates"]]
    table = sensitivity_table(v300)
    assert "sg002-Z2-02" in idents and set(idents) == set(table["candidates"])
    for entry in candidates["candidates"]:
        for model in ("sevennet-0+d3", "chgnet+d3"):
            assert entry["energies"][model]["status"] == "converged"
            assert entry["energies"][model]["relative_mev_per_molecule"] is not None
    # the same geometries the 2.x versions shipped (so the sensitivity runs were made on them)
    old = {c["ident"]: c for name in ("candidates.json", "candidate_selected_completed.json")
           for c in json.loads((SHIPPED / "2.1.0" / name).read_text())["candidates"]}
    for entry in candidates["candidates"]:
        assert entry["structure"] == old[entry["ident"]]["structure"], entry["ident"]


def test_the_sensitivity_table_is_2_1_0_s_with_the_default_row_moved(v300):
    old = json.loads((SHIPPED / "2.1.0" / "structure_sensitivity.json").read_text())
    new = sensitivity_table(v300)
    assert new.pop("default_candidate") == "sg033-Z4-15"
    assert new == old
    markdown = v300.file_path("structure_sensitivity_md").read_text()
    marked = [line for line in markdown.splitlines() if "(default)" in line]
    assert len(marked) == len(new["models"]) and all("| sg033-Z4-15 (default) |" in line for line in marked)
    for model in new["models"]:
        assert "not assessed" not in sensitivity_line(model, new)


def test_no_computed_reference_and_the_slots_say_why_for_both_structures(v300):
    check = json.loads(v300.file_path("gfn2_sanity_check").read_text())
    assert check["passed"] is False and check["candidate"] == "sg002-Z2-02"
    assert not [a for a in v300.artefacts() if a.kind == "computed" and a.role in ("spectrum", "peaks")]
    computed_slots = [s for s in v300.slots if s.kind == "computed"]
    assert len(computed_slots) == 3
    for slot in computed_slots:
        assert "FAILED its declared sanity check on candidate sg002-Z2-02" in slot.description
        assert "on this version's structure sg033-Z4-15: the same check broke down" in slot.description


def test_sevennet_is_self_reference_and_the_others_are_not(v300):
    assert self_reference_reason(v300, "sevennet-0+d3")
    assert self_reference_reason(v300, "chgnet+d3") is None
    assert self_reference_reason(v300, "mace-tiny") is None


def test_import_hints_name_the_next_free_version(v300):
    shipped = {p.name for p in SHIPPED.iterdir() if (p / "manifest.json").is_file()}
    hinted = {slot.import_hint.split("--version ")[1].split()[0] for slot in v300.slots}
    assert hinted == {"3.1.0"} and not hinted & shipped
    assert all("--base-version 3.0.0" in slot.import_hint for slot in v300.slots)
