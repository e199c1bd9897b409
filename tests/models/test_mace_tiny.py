"""The committed plumbing model: present, small, documented, loads, runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from insbench.models import check_conformance, make_calculator, resolve_mlip, supported_elements
from insbench.models.builtins import MACE_TINY_FILE
from insbench.models.provenance import sha256_file

MODEL = Path(MACE_TINY_FILE)


def test_model_file_is_small_and_matches_its_metadata() -> None:
    assert MODEL.stat().st_size < 2_000_000
    metadata = json.loads(MODEL.with_suffix(".json").read_text())
    assert metadata["model_sha256"] == sha256_file(MODEL)
    assert "NOT a physics model" in metadata["purpose"]
    assert metadata["teacher"]["name"] == "sevennet-0+d3"
    assert (MODEL.parent / "MACE_TINY.md").is_file()


def test_declared_elements_match_the_model_file() -> None:
    spec = resolve_mlip("mace-tiny")
    from insbench.models.elements import _mace_file_elements

    assert set(_mace_file_elements(spec.path)) == set(spec.elements) == {"H", "C", "S", "I"}
    assert supported_elements(spec) == spec.elements


def test_finite_energy_forces_stress_on_hexane(hexane) -> None:
    spec = resolve_mlip("mace-tiny")
    report = check_conformance(make_calculator(spec), hexane, model_name=spec.name)
    assert report.elements_checked and report.stress_shape == (6,)
    assert np.isfinite(report.energy_ev) and report.max_force_ev_a < 50
