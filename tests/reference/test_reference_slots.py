"""The optional top-level ``slots`` list: data a fixture declares it lacks."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from insbench.reference import ReferenceSchemaError, load_fixture_dir
from insbench.reference.schema import Slot, parse_manifest

from .synthetic_data import HEXANE_DIR


def hexane() -> dict[str, Any]:
    return json.loads((HEXANE_DIR / "manifest.json").read_text())


def slot(**overrides: Any) -> dict[str, Any]:
    base = {
        "name": "spectrum_computed_0gpa",
        "role": "spectrum",
        "kind": "computed",
        "pressure_gpa": 0.0,
        "description": "a computed spectrum nobody has made yet (synthetic test slot)",
        "import_hint": "insbench reference import hexane --version 1.1.0 --base-version 1.0.0 --spectrum F@0",
    }
    base.update(overrides)
    return base


def parse(manifest: dict[str, Any]):
    return parse_manifest(manifest, Path("/nowhere/hexane/1.0.0/manifest.json"), check_files=False)


def test_no_slots_means_empty_tuple() -> None:
    assert parse(hexane()).slots == ()


def test_slots_are_parsed_and_exposed_on_the_fixture(tmp_path: Path) -> None:
    dest = tmp_path / "hexane" / "1.0.0"
    shutil.copytree(HEXANE_DIR, dest)
    manifest = hexane()
    manifest["slots"] = [slot(), slot(name="peaks_measured", role="peaks", kind="measured", pressure_gpa=None,
                                      notes="with assignments")]
    (dest / "manifest.json").write_text(json.dumps(manifest))
    fixture = load_fixture_dir(dest)
    assert [s.name for s in fixture.slots] == ["spectrum_computed_0gpa", "peaks_measured"]
    first = fixture.slots[0]
    assert isinstance(first, Slot)
    assert (first.role, first.kind, first.pressure_gpa) == ("spectrum", "computed", 0.0)
    assert first.import_hint.startswith("insbench reference import")
    assert fixture.slots[1].pressure_gpa is None and fixture.slots[1].notes == "with assignments"


@pytest.mark.parametrize(
    ("bad", "field", "problem"),
    [
        (slot(role="movie"), "slots[0](spectrum_computed_0gpa).role", "must be one of"),
        (slot(kind="guessed"), "slots[0](spectrum_computed_0gpa).kind", "must be one of"),
        (slot(pressure_gpa=2.0), "slots[0](spectrum_computed_0gpa).pressure_gpa", "not listed"),
        (slot(pressure_gpa=None), "slots[0](spectrum_computed_0gpa).pressure_gpa", "finite number"),
        (slot(file="x.dat"), "slots[0](spectrum_computed_0gpa).file", "not a known field"),
        (slot(import_hint=""), "slots[0](spectrum_computed_0gpa).import_hint", "non-empty"),
        (slot(name="structure"), "slots[0](structure).name", "duplicates"),
        # hexane already has a measured spectrum at 0 GPa: a slot for it is stale
        (slot(kind="measured"), "slots[0](spectrum_computed_0gpa)", "already filled by artefact"),
    ],
)
def test_bad_slots_name_the_field(bad: dict[str, Any], field: str, problem: str) -> None:
    manifest = hexane()
    manifest["slots"] = [bad]
    with pytest.raises(ReferenceSchemaError) as info:
        parse(manifest)
    message = str(info.value)
    assert field in message and problem in message


def test_slots_must_be_a_list_and_names_unique() -> None:
    manifest = hexane()
    manifest["slots"] = {"a": 1}
    with pytest.raises(ReferenceSchemaError, match="list of slot objects"):
        parse(manifest)
    manifest["slots"] = [slot(), copy.deepcopy(slot())]
    with pytest.raises(ReferenceSchemaError, match="duplicates"):
        parse(manifest)
