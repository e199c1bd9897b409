"""A published fixture version never changes: the sha256 of every shipped manifest is pinned.

A manifest records the sha256 of each of its data files (checked on every load), so
pinning the manifest pins the whole version. To publish a NEW version, add its line
here in the same commit. To correct a published one, publish a new version instead
(see reference_data/README.md); never edit this table for an existing version.
"""

from __future__ import annotations

import hashlib

import pytest

from insbench.reference import load_fixture, load_fixture_dir

from .synthetic_data import REPO

SHIPPED = REPO / "reference_data"

PUBLISHED_MANIFEST_SHA256 = {
    # first published in fc8efde (2026-11-21); restored byte for byte after an in-place edit
    ("hexane", "1.0.0"): "c7a7d2658230b853af984aebd351a2de674af5d6c73d963b2313d9b73fedc41d",
    # the corrected resolution note of 1.0.0 (same data files)
    ("hexane", "1.0.1"): "52bb055256f897f1910f5bb2bb7bd6bfdf1d7908c4d97ce7ae2b37e6b6c2b577",
    ("diiodothiophene", "1.0.0"): "dd64f7d04e4e5a7940e6bdb5590a7aa7b44e7da0273d3cbeca663e5e6690d1ee",
    # version-2 structure prediction (scripts/predict_structure.py), claims as kind cited
    ("diiodothiophene", "2.0.0"): "e17725f2b6ac4ae92c9ee6527ebec5a9e36d6377449a35da79f88101c08a9832",
    # 2.0.0's files unchanged + structure-sensitivity table, GFN2-xTB sanity check (failed), completed search
    ("diiodothiophene", "2.1.0"): "4478697f925194d08844d107817b9ff3a6874ef3ed9cac16615da545329ddad4",
    # default structure -> sg033-Z4-15, the declared rule's selection after the completed search (major)
    ("diiodothiophene", "3.0.0"): "8e05afe91d2b074c31803cd6f83a0fa4c6bc8a29b89af05a728b870ff91e73d3",
}


def _shipped_versions():
    return sorted((m.parent.parent.name, m.parent.name) for m in SHIPPED.glob("*/*/manifest.json"))


@pytest.mark.parametrize("system, version", _shipped_versions())
def test_shipped_manifest_is_byte_for_byte_as_published(system, version):
    key = (system, version)
    actual = hashlib.sha256((SHIPPED / system / version / "manifest.json").read_bytes()).hexdigest()
    assert key in PUBLISHED_MANIFEST_SHA256, (
        f"{system} {version} is shipped but not pinned: add ({system!r}, {version!r}): {actual!r} to "
        "PUBLISHED_MANIFEST_SHA256 in the commit that publishes it")
    assert actual == PUBLISHED_MANIFEST_SHA256[key], (
        f"reference_data/{system}/{version}/manifest.json changed after it was published (sha256 {actual}, "
        f"published {PUBLISHED_MANIFEST_SHA256[key]}). A published version is immutable: restore it "
        "(git checkout) and publish the correction as a new version.")
    load_fixture_dir(SHIPPED / system / version)  # and every data file still matches the manifest


def test_every_pin_is_shipped():
    assert set(PUBLISHED_MANIFEST_SHA256) <= set(_shipped_versions())


def test_hexane_1_0_1_differs_from_1_0_0_only_in_the_note_and_version():
    old, new = (load_fixture_dir(SHIPPED / "hexane" / v) for v in ("1.0.0", "1.0.1"))
    assert old.checksums() == new.checksums()
    a, b = dict(old.manifest.raw), dict(new.manifest.raw)
    assert a["conditions"]["resolution"]["note"] != b["conditions"]["resolution"]["note"]
    for raw in (a, b):
        raw["conditions"] = {**raw["conditions"], "resolution": {k: v for k, v in raw["conditions"]["resolution"]
                                                                 .items() if k != "note"}}
        raw.pop("version")
        raw.pop("notes", None)
    assert a == b
    assert "1.0.1" in new.manifest.notes and "1.0.0" in new.manifest.notes


def test_benchmarks_use_the_newest_hexane_and_record_it(monkeypatch, tmp_path):
    from insbench.reference import locate
    from insbench.workflows.cases import installed_fixtures

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(locate.ENV_VAR, raising=False)
    assert load_fixture("hexane").version == "1.0.1"
    hexane = next(f for f in installed_fixtures() if f.system == "hexane")
    assert hexane.version == "1.0.1" and hexane.to_provenance()["version"] == "1.0.1"
    assert hexane.to_provenance()["manifest_sha256"] == PUBLISHED_MANIFEST_SHA256[("hexane", "1.0.1")]
