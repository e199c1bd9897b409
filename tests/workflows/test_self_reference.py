"""Tests of insbench.workflows.self_reference with small stand-in fixtures (no data files)."""

from __future__ import annotations

from types import SimpleNamespace

from insbench.workflows.self_reference import SETTINGS_KEY, self_reference_models, self_reference_reason


def fake_fixture(system: str, version: str, settings: list[dict | None]):
    artefacts = tuple(SimpleNamespace(settings=s) for s in settings)
    return SimpleNamespace(system=system, version=version, artefacts=lambda: artefacts)


def test_models_named_in_artefact_settings_are_self_reference():
    fixture = fake_fixture("sys", "2.0.0", [None, {SETTINGS_KEY: {"model-a": "selected the structure"}},
                                           {"other": 1}])
    assert self_reference_reason(fixture, "model-a") == "selected the structure"
    assert self_reference_reason(fixture, "model-b") is None


def test_published_versions_without_the_key_use_the_known_provenance():
    fixture = fake_fixture("diiodothiophene", "1.0.0", [None])
    assert "GFN2-xTB" in self_reference_reason(fixture, "gfn2-xtb")
    assert self_reference_reason(fixture, "sevennet-0+d3") is not None
    assert self_reference_reason(fixture, "chgnet+d3") is None
    assert self_reference_models(fake_fixture("diiodothiophene", "9.0.0", [None])) == {}


def test_shipped_fixtures():
    from insbench.reference import load_fixture

    assert set(self_reference_models(load_fixture("diiodothiophene", "1.0.0"))) == {"gfn2-xtb", "sevennet-0+d3"}
    assert self_reference_models(load_fixture("hexane")) == {}  # measured reference: nobody made it
