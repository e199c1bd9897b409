"""A fixture's peak table reaches peak matching (workflows.evaluate + workflows.reference_peaks).

Everything here is SYNTHETIC test data: the fixture is the shipped hexane fixture plus a
SYNTHETIC peak table (the measured peaks picked in the fingerprint window, moved by
+12 cm-1, so it differs from the picked peaks on purpose), imported with the project's own
importer into a temporary directory; the "simulation" is the measured spectrum smoothed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from insbench.metrics import load_thresholds, pick_peaks, score_spectrum
from insbench.metrics.bootstrap import case_bootstrap
from insbench.reference import load_fixture
from insbench.reference.importer import import_fixture
from insbench.reference.loader import load_fixture_dir
from insbench.results import ResultsStore
from insbench.workflows.evaluate import evaluate_spectral_run, write_spectral_result
from insbench.workflows.reference_peaks import (
    PICKED,
    TABLE,
    PeakTableError,
    reference_peak_source,
    table_positions,
)
from tests.results.results_synthetic import synthetic_run

TABLE_SHIFT_CM1 = 12.0  # the SYNTHETIC table's peaks sit this far above the picked ones


def _picked(fixture, window: str) -> np.ndarray:
    settings = load_thresholds().scoring_settings(fixture.system, window)
    measured = fixture.spectrum(0.0, "measured")
    lo, hi = fixture.conditions.scoring_windows_cm1[window]
    return pick_peaks(measured, (lo, hi), **settings.peak_picking()).positions_cm1


def _with_table(tmp_path: Path, table: dict, kind: str = "measured", version: str = "9.0.0"):
    """hexane 1.0.1 plus a SYNTHETIC peak table of ``kind``, imported under ``tmp_path``."""
    path = tmp_path / f"synthetic_peaks_{kind}.json"
    path.write_text(json.dumps(table))
    fields = {"temperature_note": "SYNTHETIC test peak table"}
    if kind == "computed":
        fields.update(method="SYNTHETIC: measured peaks moved by hand", settings={"synthetic": True})
    root = import_fixture(
        "hexane", version, base_version="1.0.1", dest_root=tmp_path / "rd", peaks=path, kind=kind,
        instrument="TFXA", temperature_k=None, licence="CC0 (synthetic test data)",
        source={"citation": "SYNTHETIC test data, tests/workflows/test_reference_peaks.py"},
        artefact_fields=fields,
    )
    return load_fixture_dir(root)


@pytest.fixture(scope="module")
def shifted_table() -> dict:
    """SYNTHETIC: fingerprint-window peaks of the measured spectrum + 12 cm-1, none below 400."""
    positions = _picked(load_fixture("hexane", "1.0.1"), "fingerprint") + TABLE_SHIFT_CM1
    return {"note": "SYNTHETIC", "peaks": [{"position_0gpa_cm1": float(p)} for p in positions]}


def test_fixture_peak_table_is_used_and_recorded(tmp_path: Path, shifted_table: dict) -> None:
    fixture = _with_table(tmp_path, shifted_table)
    thresholds = load_thresholds()
    run = synthetic_run("synthetic-good", 1.0, fixture)
    evaluation = evaluate_spectral_run(run, fixture, thresholds, "measured")

    finger = evaluation.windows["fingerprint"]
    measured = fixture.spectrum(0.0, "measured")
    window = finger.window_cm1
    settings = thresholds.scoring_settings("hexane", "fingerprint")
    table = np.array([e["position_0gpa_cm1"] for e in shifted_table["peaks"]])
    table = table[(table >= window[0]) & (table <= window[1])]
    with_table = score_spectrum(run.spectrum, measured, window, settings, reference_peaks_cm1=table)
    picked = score_spectrum(run.spectrum, measured, window, settings)
    assert finger.peaks.source == TABLE
    np.testing.assert_allclose(finger.scores.reference_peaks.positions_cm1, table)
    assert finger.scores.peak_mae_cm1 == pytest.approx(with_table.peak_mae_cm1, rel=1e-12)
    # the table differs from the picked peaks by 12 cm-1, and so does the MAE (the simulation is
    # the measured spectrum itself, so against picked peaks it is a few cm-1 at most)
    assert finger.scores.peak_mae_cm1 > picked.peak_mae_cm1 + 0.5 * TABLE_SHIFT_CM1
    assert finger.scores.peak_mae_cm1 == pytest.approx(TABLE_SHIFT_CM1, abs=1.0)

    # no table peak below 400 cm-1: the lattice window picks its own, and says why
    lattice = evaluation.windows["lattice_lam"]
    assert lattice.peaks.source == PICKED and "no peak in 20-400" in lattice.peaks.note
    np.testing.assert_allclose(lattice.scores.reference_peaks.positions_cm1, _picked(fixture, "lattice_lam"))

    record, _png = write_spectral_result(ResultsStore(tmp_path / "results"), run, evaluation, fixture,
                                         session_id="s", thresholds=thresholds)
    data = json.loads(record.read_text())
    (case,) = data["cases"].values()
    source = case["windows"]["fingerprint"]["reference_peaks_source"]
    art = fixture.artefact(finger.peaks.artefact)
    assert source["description"] == f"measured fixture peak table {art.file}, sha256 {art.sha256}"
    assert case["windows"]["lattice_lam"]["reference_peaks_source"]["description"].startswith(PICKED)

    # intervals re-scored from the record use the same table
    boot = case_bootstrap(data, next(iter(data["cases"])), n_resamples=2,
                          fixture_loader=lambda system, version: fixture)
    assert boot["fingerprint"].intervals["peak_mae_cm1"].point == pytest.approx(with_table.peak_mae_cm1)


def test_without_a_table_the_picked_peaks_are_used() -> None:
    fixture = load_fixture("hexane", "1.0.1")
    thresholds = load_thresholds()
    run = synthetic_run("synthetic-soft", 0.97, fixture)
    evaluation = evaluate_spectral_run(run, fixture, thresholds, "measured")
    measured = fixture.spectrum(0.0, "measured")
    for name, window in evaluation.windows.items():
        assert window.peaks.source == PICKED
        assert window.peaks.note == "hexane 1.0.1 ships no measured peak table"
        picked = score_spectrum(run.spectrum, measured, window.window_cm1,
                                thresholds.scoring_settings("hexane", name))
        np.testing.assert_allclose(window.scores.reference_peaks.positions_cm1, _picked(fixture, name))
        assert window.scores.peak_mae_cm1 == pytest.approx(picked.peak_mae_cm1, rel=1e-12)


def test_a_computed_table_is_never_used_against_a_measured_spectrum(tmp_path: Path, shifted_table) -> None:
    fixture = _with_table(tmp_path, shifted_table, kind="computed")
    source = reference_peak_source(fixture, 0.0, "measured")
    assert source.source == PICKED
    assert "computed peak table is not used against a measured spectrum" in source.note


def test_shipped_diiodothiophene_table_is_computed_and_says_so() -> None:
    fixture = load_fixture("diiodothiophene", "1.0.0")
    computed = reference_peak_source(fixture, 1.5, "computed")
    data = json.loads(fixture.file_path("peaks_computed").read_text())
    assert computed.source == TABLE and computed.kind == "computed"
    assert computed.positions_cm1 == tuple(sorted(data["peaks_1.5gpa_cm1"]["positions_cm1"]))
    assert computed.description.startswith("computed fixture peak table peaks_computed.json, sha256 ")
    assert reference_peak_source(fixture, 0.0, "measured").source == PICKED


def test_table_formats() -> None:
    entries = {"peaks": [{"position_0gpa_cm1": 100.0, "peak_shift_cm1": 3.0},
                         {"position_0gpa_cm1": 50.0, "position_1.5gpa_cm1": 49.0}]}
    assert table_positions(entries, 0.0, (0.0, 1.5), "t") == (50.0, 100.0)
    assert table_positions(entries, 1.5, (0.0, 1.5), "t") == (49.0, 103.0)
    assert table_positions(entries, 1.0, (0.0, 1.0, 1.5), "t") == ()  # no shift rule with 3 pressures
    whole = {"peaks_0gpa_cm1": {"positions_cm1": [30.0, 10.0]}, **entries}
    assert table_positions(whole, 0.0, (0.0, 1.5), "t") == (10.0, 30.0)  # the whole list wins


@pytest.mark.parametrize("bad", [
    {"peaks": [{"position_0gpa_cm1": "abc"}]},
    {"peaks": [{"position_0gpa_cm1": float("nan")}]},
    {"peaks": [{"position_0gpa_cm1": -5.0}]},
    {"peaks": ["not an object"]},
    {"peaks_0gpa_cm1": {"positions_cm1": [1.0, None]}},
])
def test_bad_peak_table_raises_with_its_name(bad: dict) -> None:
    with pytest.raises(PeakTableError, match="where"):
        table_positions(bad, 0.0, (0.0,), "where")
