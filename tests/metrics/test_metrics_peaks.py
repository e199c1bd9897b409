"""pick_peaks and match_peaks on synthetic spectra and on the real hexane TFXA spectrum."""

import json

import numpy as np
import pytest
from metrics_synthetic import (
    FINGERPRINT,
    LATTICE,
    gaussians,
    load_isis_dat,
    uneven_grid,
)

from insbench.metrics import PeakTable, match_peaks, pick_peaks
from insbench.spectra import Spectrum1D


def table(*positions):
    p = np.asarray(positions, dtype=float)
    return PeakTable(p, np.ones_like(p), np.ones_like(p), (0.0, 2000.0))


def test_finds_off_grid_peaks_on_uneven_grid():
    x = uneven_grid(20.0, 1500.0, 1.01)  # spacing 0.2 .. 15 cm-1
    centres = [73.3, 211.7, 488.2, 1011.1]
    s = Spectrum1D(x, gaussians(x, centres, fwhm_cm1=0.04 * np.mean(centres)) + 0.1)
    t = pick_peaks(s, (30.0, 1400.0), min_separation_cm1=5.0)
    np.testing.assert_allclose(
        t.positions_cm1, centres, rtol=1e-3
    )  # data spacing is 1 % of x
    assert t.parameters["prominence_fraction"] == 0.05
    assert t.parameters["min_separation_cm1"] == 5.0
    assert t.parameters["smoothing_cm1"] == 0.0
    assert t.parameters["grid_step_cm1"] == pytest.approx(
        np.min(np.diff(x[(x >= 30) & (x <= 1400)]))
    )
    assert np.all((t.relative_prominences > 0) & (t.relative_prominences <= 1))
    json.dumps(t.to_dict(), allow_nan=False)


def test_parabola_refinement_beats_grid_spacing():
    x = np.arange(0.0, 200.0, 4.0)
    s = Spectrum1D(x, gaussians(x, [101.3], fwhm_cm1=20.0))
    (pos,) = pick_peaks(s, (0.0, 200.0)).positions_cm1
    assert abs(pos - 101.3) < 0.5  # grid points are 4 cm-1 apart


def test_prominence_fraction_and_min_separation():
    x = np.linspace(0.0, 500.0, 2001)
    y = gaussians(x, [100.0, 200.0, 208.0, 400.0], [1.0, 1.0, 0.8, 0.03], fwhm_cm1=3.0)
    s = Spectrum1D(x, y)
    assert (
        len(pick_peaks(s, (0, 500), prominence_fraction=0.01, min_separation_cm1=1.0))
        == 4
    )
    assert (
        len(pick_peaks(s, (0, 500), prominence_fraction=0.05, min_separation_cm1=1.0))
        == 3
    )
    merged = pick_peaks(s, (0, 500), prominence_fraction=0.05, min_separation_cm1=20.0)
    np.testing.assert_allclose(merged.positions_cm1, [100.0, 200.0], atol=0.3)


def test_smoothing_removes_noise_peaks():
    rng = np.random.default_rng(0)
    x = np.linspace(0.0, 500.0, 2001)
    y = (
        gaussians(x, [150.0, 350.0], fwhm_cm1=15.0)
        + rng.normal(0.0, 0.04, x.size)
        + 0.5
    )
    s = Spectrum1D(x, y)
    noisy = pick_peaks(s, (0, 500), prominence_fraction=0.05, min_separation_cm1=0.0)
    smooth = pick_peaks(
        s, (0, 500), prominence_fraction=0.05, min_separation_cm1=0.0, smoothing_cm1=8.0
    )
    assert len(noisy) > 2
    np.testing.assert_allclose(smooth.positions_cm1, [150.0, 350.0], atol=1.5)


def test_empty_table_for_flat_or_out_of_window():
    x = np.linspace(0.0, 100.0, 101)
    assert len(pick_peaks(Spectrum1D(x, np.ones_like(x)), (0, 100))) == 0
    assert len(pick_peaks(Spectrum1D(x, gaussians(x, [50.0])), (200, 300))) == 0


def test_bad_parameters_raise():
    s = Spectrum1D(np.arange(10.0), np.ones(10))
    with pytest.raises(ValueError, match="prominence_fraction"):
        pick_peaks(s, (0, 9), prominence_fraction=1.5)
    with pytest.raises(ValueError, match=">= 0"):
        pick_peaks(s, (0, 9), smoothing_cm1=-1.0)


def test_match_basic_gate_and_signed_shift():
    m = match_peaks(table(100, 200, 300), table(104, 205, 390), max_distance_cm1=20.0)
    np.testing.assert_allclose(m.reference_cm1, [100, 200])
    np.testing.assert_allclose(m.simulated_cm1, [104, 205])
    np.testing.assert_allclose(m.unmatched_reference_cm1, [300])
    np.testing.assert_allclose(m.unmatched_simulated_cm1, [390])
    assert m.mae_cm1 == pytest.approx(4.5)
    assert m.mean_shift_cm1 == pytest.approx(4.5)
    soft = match_peaks(table(100, 200), table(90, 196), max_distance_cm1=20.0)
    assert soft.mean_shift_cm1 == pytest.approx(-7.0)  # negative: model too soft
    json.dumps(m.to_dict(), allow_nan=False)


def test_match_is_optimal_not_greedy():
    # Greedy nearest-first pairs 100-101 and leaves 95 unmatched (gate 5);
    # the optimal assignment keeps both: 95-101? no: 96-... see numbers.
    ref, sim = table(100, 106), table(104, 109)
    m = match_peaks(ref, sim, max_distance_cm1=5.0)
    # Greedy would take 106-104 (distance 2) and leave 100 unmatched (109 is 9 away).
    assert m.n_matched == 2
    np.testing.assert_allclose(m.simulated_cm1, [104, 109])
    assert m.mae_cm1 == pytest.approx(3.5)


def test_match_with_nothing():
    m = match_peaks(table(100), table(), max_distance_cm1=10.0)
    assert m.n_matched == 0 and m.mae_cm1 is None and m.mean_shift_cm1 is None
    np.testing.assert_allclose(m.unmatched_reference_cm1, [100])
    with pytest.raises(ValueError, match="max_distance_cm1"):
        match_peaks(table(1), table(1), max_distance_cm1=0.0)


@pytest.mark.parametrize(
    "window, known_cm1",
    [
        (LATTICE, [70.6, 103.2, 139.8, 184.3, 245.8, 303.7, 369.1]),
        (
            FINGERPRINT,
            [465.5, 730.6, 802.1, 895.0, 998.5, 1047.7, 1308.6, 1368.5, 1453.2],
        ),
    ],
)
def test_hexane_strong_features_are_found(window, known_cm1):
    t = pick_peaks(load_isis_dat(), window)
    found = t.positions_cm1
    for k in known_cm1:
        assert np.min(np.abs(found - k)) < 3.0, (
            f"no peak near {k} cm-1 in {np.round(found, 1)}"
        )
    assert len(found) <= len(known_cm1) + 4  # not picking noise


# --- one-to-one matching: alignment, resolution gate, recall ---

from insbench.metrics.peaks import PeakTable as _Table, peak_table_from_positions  # noqa: E402


def _table(positions):
    p = np.asarray(positions, dtype=float)
    return _Table(p, np.ones_like(p), np.ones_like(p), (0.0, 2000.0))


def test_a_uniform_shift_is_matched_in_order_even_in_a_comb():
    """Peaks every 20 cm-1 shifted by 30: without the alignment the nearest partner is
    a neighbour 10 cm-1 away; with it every peak finds its own and MAE is 30."""
    ref = _table(np.arange(100.0, 300.0, 20.0))
    sim = _table(np.arange(100.0, 300.0, 20.0) + 30.0)
    naive = match_peaks(ref, sim, max_distance_cm1=40.0)
    assert naive.mae_cm1 == pytest.approx(10.0)  # the aliasing the alignment removes
    aligned = match_peaks(ref, sim, max_distance_cm1=40.0, mapping=lambda e: e - 30.0)
    assert aligned.mae_cm1 == pytest.approx(30.0) and aligned.mean_shift_cm1 == pytest.approx(30.0)
    assert aligned.recall == 1.0 and aligned.n_matched == 10


def test_the_gate_follows_the_resolution_at_each_energy():
    ref = _table([100.0, 1000.0])
    sim = _table([115.0, 1015.0])
    fwhm = lambda e: 0.01 * e  # noqa: E731  (1 % resolution: 1 cm-1 at 100, 10 at 1000)
    m = match_peaks(ref, sim, max_distance_cm1=40.0, gate_cm1=lambda e: 2.0 * fwhm(e))
    assert m.reference_cm1.tolist() == [1000.0]  # 15 > 2 cm-1 at 100, 15 < 20 at 1000
    assert m.recall == 0.5 and m.unmatched_reference_cm1.tolist() == [100.0]
    assert m.gate_cm1.tolist() == [2.0, 20.0]
    with pytest.raises(ValueError, match="gate"):
        match_peaks(ref, sim, max_distance_cm1=40.0, gate_cm1=lambda e: 0.0 * e)


def test_raw_distance_is_capped_even_when_aligned():
    ref, sim = _table([500.0]), _table([560.0])
    m = match_peaks(ref, sim, max_distance_cm1=40.0, mapping=lambda e: e - 60.0)
    assert m.n_matched == 0  # the model is 60 cm-1 off: no credible match


def test_peak_table_positions_are_used_as_given():
    x = np.linspace(0.0, 500.0, 501)
    spectrum = Spectrum1D(x, np.ones_like(x), label="flat")
    table = peak_table_from_positions(spectrum, [450.0, 120.0, 700.0], (100.0, 480.0))
    assert table.positions_cm1.tolist() == [120.0, 450.0]
    with pytest.raises(ValueError, match="finite"):
        peak_table_from_positions(spectrum, [np.nan], (100.0, 480.0))
