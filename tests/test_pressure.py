"""Pressure analysis on hexane relaxed at 0 and 1.5 GPa with the fast model (a plumbing check:
hexane has no measured high-pressure data; mace-tiny's shifts mean nothing physically)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from insbench.workflows.cache import Cache
from insbench.workflows.evaluate_pressure import PressureItem, judge_pressure_item, pressure_items
from insbench.metrics import load_thresholds
from insbench.models import resolve_mlip
from insbench.physics.phonons import PhononSettings
from insbench.workflows.pipeline import ModelHandle, PipelineSettings, SpectralCase, run_spectral_case
from insbench.workflows.pressure import analyse_pressure_pair, choose_band, reference_bands
from insbench.reference import load_fixture


@pytest.fixture(scope="module")
def hexane_pair(tmp_path_factory):
    fixture = load_fixture("hexane")
    model = ModelHandle(resolve_mlip("mace-tiny"))
    cache = Cache(tmp_path_factory.mktemp("cache"))
    settings = PipelineSettings(phonons=PhononSettings(supercell_min_length_a=4.0))
    runs = {p: run_spectral_case(model, fixture, SpectralCase("hexane", p, "relaxed-cell"), cache, settings)
            for p in (0.0, 1.5)}
    return analyse_pressure_pair(runs[0.0].phonopy_yaml, runs[1.5].phonopy_yaml, (0.0, 1.5)), runs


def test_compression_and_tracking_are_consistent(hexane_pair):
    analysis, runs = hexane_pair
    assert runs[1.5].structure.get_volume() < runs[0.0].structure.get_volume()
    permutation = analysis.tracking.permutation
    assert sorted(permutation.tolist()) == list(range(len(permutation)))
    assert np.all(np.isfinite(analysis.shifts_cm1))
    fraction = analysis.blue_fraction((10.0, 2000.0), min_overlap=0.5)
    assert 0.0 <= fraction.lower <= fraction.upper <= 1.0
    assert fraction.upper - fraction.lower == pytest.approx(fraction.untracked_weight_fraction)
    overlaps = analysis.band_overlaps()
    assert np.all((overlaps > 0.0) & (overlaps <= 1.0))
    # one molecule per cell: 3 translations + 3 librations, the rest internal
    characters = [m.character for m in analysis.assignment.modes]
    assert characters.count("internal") == len(characters) - 6


def test_band_choice_records_how(hexane_pair):
    analysis, _ = hexane_pair
    f = analysis.frequencies_cm1
    target = float(f[len(f) // 2])
    band = choose_band(analysis, target)
    assert band.chosen_mode is not None and band.chosen_mode in band.modes
    assert abs(band.position_cm1 - target) <= 60.0
    assert "highest INS weight" in band.how and band.candidates
    nothing = choose_band(analysis, 5000.0)
    assert nothing.chosen_mode is None and "no mode" in nothing.how


def test_judging_a_claimed_red_shift(hexane_pair):
    analysis, _ = hexane_pair
    thresholds = load_thresholds()
    item = PressureItem("red_shift", float(analysis.frequencies_cm1[20]))
    verdict = judge_pressure_item(analysis, item, thresholds, "diiodothiophene", (10.0, 2000.0))
    assert verdict.band is not None
    assert verdict.tracking["overlap"] == pytest.approx(verdict.band.tracking_overlap)
    if verdict.band.tracking_overlap >= verdict.tracking["min_overlap"]:
        assert verdict.tracking["gate"]["passed"] and verdict.judgement.passed == (verdict.value <= -0.1)
    else:  # the gate (tested deterministically in tests/workflows/test_pressure_tracking_gate.py)
        assert not verdict.judgement.passed and verdict.value is None
        assert "not tracked reliably" in verdict.judgement.message


def test_single_pressure_fixture_has_no_pressure_items():
    assert pressure_items(load_fixture("hexane")) == []


def test_reference_bands_read_peak_tables():
    table = {"peaks": [
        {"position_0gpa_cm1": 453.0, "peak_shift_cm1": -2.0, "dominant_label": "C-I stretch"},
        {"position_0gpa_cm1": 800.0, "weighted_mean_shift_cm1": 3.5},
        {"position_0gpa_cm1": 900.0, "note": "no Gamma mode"},
    ]}
    bands = reference_bands(table, "computed", "synthetic table")
    assert [(b.position_cm1, b.shift_cm1, b.label) for b in bands] == [(453.0, -2.0, "C-I stretch"), (800.0, 3.5, None)]


def test_empty_measured_slot_becomes_an_item_that_says_how_to_import(tmp_path):
    slot = SimpleNamespace(role="peaks", kind="measured", import_hint="insbench reference import x --version 2")
    fixture = SimpleNamespace(
        system="x", version="1", conditions=SimpleNamespace(pressures_gpa=(0.0, 1.5)),
        artefacts=lambda role=None, kind=None: (), slots=(slot,),
    )
    items = pressure_items(fixture)
    missing = [i for i in items if i.check == "missing"]
    assert missing and "insbench reference import x --version 2" in missing[0].message


def test_pressure_record_figure_summary_and_self_reference(hexane_pair, tmp_path, monkeypatch):
    """write_pressure_result -> record with the self-reference flag, paper-style PNG, summary lines."""
    from PIL import Image

    from insbench.results import ResultsStore
    from insbench.workflows import self_reference
    from insbench.workflows.evaluate_pressure import write_pressure_result
    from insbench.workflows.pressure_report import pressure_lines

    analysis, runs = hexane_pair
    fixture = load_fixture("hexane")
    model = ModelHandle(resolve_mlip("mace-tiny"))
    thresholds = load_thresholds()
    item = PressureItem("blue_shift_fraction")
    verdict = judge_pressure_item(analysis, item, thresholds, "diiodothiophene", (10.0, 2000.0))
    store = ResultsStore(tmp_path / "results")

    def write():
        write_pressure_result(store, model=model, fixture=fixture, analysis=analysis, runs=runs, verdict=verdict,
                              session_id="test", window_cm1=(10.0, 2000.0), thresholds=thresholds)
        path = store.results_dir / "mace-tiny" / "hexane" / "pressure.json"
        return path, json.loads(path.read_text())

    path, record = write()
    case = record["cases"]["blue_shift_fraction"]
    assert case["self_reference"] is None and case["comparability"]["self_reference"] is False
    # hexane ships no structure-sensitivity table: the verdict says it was not assessed, and why
    sensitivity = case["structure_sensitivity"]
    assert sensitivity["assessed"] is False and sensitivity["sensitive"] is None
    assert sensitivity["reason"] == "not assessed: the fixture ships no structure-sensitivity table"
    # the record shows the tracking gate; the mode table every mode's pair and band overlap
    assert case["tracking"]["min_overlap"] == 0.5 and case["tracking"]["gate"]["metric"] == "untracked_weight_fraction"
    assert case["tracking"]["blue_fraction"]["n_modes"] > 0
    rows = json.loads((path.parent / "pressure-modes.json").read_text())
    assert {"overlap", "band_overlap"} <= set(rows[0])
    with Image.open(path.parent / case["plot"]) as image:
        assert image.size[0] > 800
    lines = pressure_lines([(path, fixture)])
    assert any("INS-weighted blue fraction" in line for line in lines)
    assert not any("SELF-REFERENCE" in line for line in lines)

    monkeypatch.setitem(self_reference.PUBLISHED_PROVENANCE, ("hexane", str(fixture.version)),
                        {"mace-tiny": "reference made with mace-tiny (test)"})
    path, record = write()
    case = record["cases"]["blue_shift_fraction"]
    assert case["self_reference"] == "reference made with mace-tiny (test)"
    assert case["comparability"]["self_reference"] is True
    assert any("SELF-REFERENCE" in line for line in pressure_lines([(path, fixture)]))


def test_pressure_record_carries_the_structure_sensitivity_of_its_verdict(hexane_pair, tmp_path, monkeypatch):
    """A SYNTHETIC sensitivity table (no model run on these structures) -> the record's block."""
    from insbench.results import ResultsStore
    from insbench.results.summary_pressure import sensitivity_verdicts
    from insbench.workflows import evaluate_pressure
    from insbench.workflows.evaluate_pressure import write_pressure_result

    analysis, runs = hexane_pair
    fixture = load_fixture("hexane")
    thresholds = load_thresholds()
    table = {"default_candidate": "s2", "models": {"mace-tiny": {
        "blue_fraction": sensitivity_verdicts({"s1": 0.42, "s2": 0.71}, {"s1": False, "s2": True, "s3": False}),
        "red_shift_453_cm1": sensitivity_verdicts({"s1": -3.0, "s2": -1.0}, {"s1": True, "s2": True})}}}
    monkeypatch.setattr(evaluate_pressure, "sensitivity_table", lambda _fixture: table)
    store = ResultsStore(tmp_path / "results")
    for item in (PressureItem("blue_shift_fraction"), PressureItem("band_sign", 300.0, None, "computed", 2.0)):
        verdict = judge_pressure_item(analysis, item, thresholds, "diiodothiophene", (10.0, 2000.0))
        write_pressure_result(store, model=ModelHandle(resolve_mlip("mace-tiny")), fixture=fixture, analysis=analysis,
                              runs=runs, verdict=verdict, session_id="test", window_cm1=(10.0, 2000.0),
                              thresholds=thresholds)
    cases = json.loads((store.results_dir / "mace-tiny" / "hexane" / "pressure.json").read_text())["cases"]
    block = cases["blue_shift_fraction"]["structure_sensitivity"]
    assert block == {"assessed": True, "sensitive": True, "verdict": "blue_fraction", "models_in_table": ["mace-tiny"],
                     "source": f"hexane {fixture.version}: structure_sensitivity",
                     "spread": {"min": 0.42, "max": 0.71, "unit": "1"}, "n_structures": 3, "n_not_judged": 1,
                     "n_passed": 1, "structures": ["s1", "s2", "s3"], "default_structure": "s2"}
    sign = cases["band_sign-300cm-1-vs-computed"]["structure_sensitivity"]
    assert sign["assessed"] is False and "not this check" in sign["reason"]
