"""The leaderboard reports each spectral window's frequency scale s (not judged) with its interval and
the reference peaks the peak MAE used. Records are SYNTHETIC (see results_synthetic)."""

from __future__ import annotations

import json

import pytest

from insbench.results.leaderboard import build_leaderboard, render_html, render_markdown, write_leaderboard
from insbench.results.store_index import load_index


def test_frequency_scale_and_peak_source_are_reported(synthetic_results, tmp_path):
    board = build_leaderboard(load_index(synthetic_results), n_resamples=4, seed=1)
    soft = board.models["synthetic-soft"].diagnostics
    assert {d.window for d in soft} == {"lattice_lam", "fingerprint"}
    record = json.loads((synthetic_results / "synthetic-soft" / "hexane" / "spectra.json").read_text())
    (case,) = record["cases"].values()
    for diagnostic in soft:
        window = case["windows"][diagnostic.window]
        assert diagnostic.frequency_scale == pytest.approx(window["scores"]["frequency_scale"], rel=1e-12)
        assert diagnostic.peaks == window["reference_peaks_source"]["description"]
        assert diagnostic.peaks == "picked from the reference spectrum (hexane 1.0.1 ships no measured peak table)"
        lo, hi = diagnostic.interval
        assert lo <= diagnostic.frequency_scale <= hi
    fingerprint = next(d for d in soft if d.window == "fingerprint")
    good = next(d for d in board.models["synthetic-good"].diagnostics if d.window == "fingerprint")
    assert good.frequency_scale == pytest.approx(1.0, abs=0.005)  # the measured spectrum itself, smoothed
    assert good.caveats == ()
    # a 10 % squeeze is beyond what the peak pairing follows: the record's caveat travels with s
    assert fingerprint.caveats and fingerprint.caveats[0].startswith("frequency scale uncertain")
    assert f"CAVEAT: {fingerprint.caveats[0]}" in render_markdown(board)

    text = f"hexane 0 GPa, relaxed-cell vs measured, fingerprint 400–1600 cm⁻¹: s {fingerprint.frequency_scale:.4g} ["
    assert text in render_markdown(board)
    assert text in render_html(board)
    written = json.loads(write_leaderboard(board, tmp_path / "out")["json"].read_text())
    (listed,) = [m["diagnostics"] for m in written["models"] if m["model"] == "synthetic-soft"]
    assert {d["window"]: d["frequency_scale"] for d in listed} == {d.window: d.frequency_scale for d in soft}


def test_a_record_without_a_peak_source_says_so(synthetic_results):
    path = synthetic_results / "synthetic-good" / "hexane" / "spectra.json"
    record = json.loads(path.read_text())
    for case in record["cases"].values():
        for window in case["windows"].values():
            del window["reference_peaks_source"]
    path.write_text(json.dumps(record))
    board = build_leaderboard(load_index(synthetic_results), n_resamples=0)
    for diagnostic in board.models["synthetic-good"].diagnostics:
        assert diagnostic.peaks.startswith("not recorded")
        assert diagnostic.interval is None


def test_a_table_names_the_models_not_run_that_way(synthetic_results, tmp_path):
    from .test_leaderboard import _md

    _md(synthetic_results, "synthetic-good", "standard")  # only synthetic-good has MD results
    board = build_leaderboard(load_index(synthetic_results), n_resamples=0)
    md = next(t for t in board.tables if t.key.md_level == "standard")
    spectra = next(t for t in board.tables if t.key.md_level is None)
    assert md.not_run == ["synthetic-soft"] and spectra.not_run == []
    assert "Not run (no result made this way): synthetic-soft." in render_markdown(board)
    assert "Not run (no result made this way): synthetic-soft." in render_html(board)
    written = json.loads(write_leaderboard(board, tmp_path / "out")["json"].read_text())
    assert [t["not_run"] for t in written["tables"]] == [t.not_run for t in board.tables]
