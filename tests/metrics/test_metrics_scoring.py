"""score_spectrum: real hexane self-tests, synthetic known answers, worst scores, reference errors."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from metrics_synthetic import (
    FINGERPRINT,
    LATTICE,
    gaussians,
    load_isis_dat,
    synthetic_pair,
)

from insbench.metrics import MetricInputError, ScoringSettings, score_spectrum
from insbench.spectra import Spectrum1D

HEXANE = load_isis_dat()
WINDOWS = {"lattice_lam": LATTICE, "fingerprint": FINGERPRINT}
DEFAULT = ScoringSettings()


def shifted(spectrum: Spectrum1D, shift_cm1: float) -> Spectrum1D:
    return Spectrum1D(
        spectrum.energy_cm1 + shift_cm1, spectrum.intensity, label=f"shift {shift_cm1}"
    )


def assert_worst(scores, window, max_distance_cm1=DEFAULT.max_distance_cm1):
    assert scores.w1_cm1 == window[1] - window[0]
    assert scores.cosine == 0.0
    assert scores.peak_mae_cm1 == max_distance_cm1
    assert scores.problems
    json.dumps(scores.to_dict(), allow_nan=False)


@pytest.mark.parametrize("window", WINDOWS.values(), ids=WINDOWS.keys())
def test_hexane_against_itself(window):
    s = score_spectrum(HEXANE, HEXANE, window, DEFAULT)
    assert s.fit.scale == pytest.approx(1.0, rel=1e-9)
    assert s.fit.parameters["background"].value == pytest.approx(0.0, abs=1e-9 * HEXANE.intensity.max())
    assert s.frequency_scale == pytest.approx(1.0, abs=1e-6)
    assert s.peak_recall == 1.0
    assert s.w1_cm1 == pytest.approx(0.0, abs=1e-9)
    assert s.cosine == pytest.approx(1.0, abs=1e-12)
    assert s.peak_mae_cm1 == 0.0 and s.peak_mean_shift_cm1 == 0.0
    assert s.n_matched == s.n_reference_peaks >= 8
    assert s.problems == () and s.notes == ()


@pytest.mark.parametrize("window", WINDOWS.values(), ids=WINDOWS.keys())
def test_hexane_shifted_by_10_cm1(window):
    s = score_spectrum(shifted(HEXANE, 10.0), HEXANE, window, DEFAULT)
    assert s.peak_mae_cm1 == pytest.approx(10.0, abs=0.5)
    assert s.peak_mean_shift_cm1 == pytest.approx(
        10.0, abs=0.5
    )  # positive: model too stiff
    assert s.n_matched == s.n_reference_peaks
    # The copy carries the measured background with it; that common smooth part
    # does not move relative to the window, so W1 is below the 10 cm-1 of the peaks.
    assert 1.0 < s.w1_cm1 < 10.0
    assert 0.8 < s.cosine < 1.0
    assert s.problems == ()


def test_hexane_peaks_only_shift():
    # Only the peaks above the spectrum's local floor: W1 approaches the shift but a
    # finite window truncates the broad and noise parts, which then count as unmoved.
    from scipy.ndimage import minimum_filter1d, uniform_filter1d

    y = HEXANE.intensity
    peaks_only = np.clip(y - uniform_filter1d(minimum_filter1d(y, 41), 41), 0.0, None)
    base = Spectrum1D(HEXANE.energy_cm1, peaks_only, label="hexane peaks only")
    s = score_spectrum(
        shifted(base, 10.0), base, FINGERPRINT, ScoringSettings(background_form="none")
    )
    assert 5.0 < s.w1_cm1 <= 10.0
    assert s.peak_mae_cm1 == pytest.approx(10.0, abs=0.5)


LINEAR = ScoringSettings(background_form="linear", background_reason="synthetic: the test adds a sloped line")


def test_synthetic_fit_recovers_scale_and_background():
    simulated, measured = synthetic_pair(0.0)
    s = score_spectrum(simulated, measured, (30.0, 420.0), LINEAR)
    assert s.fit.scale == pytest.approx(2.5, rel=1e-3)
    # measured background 0.3 + 0.001 x at the window edges 30 and 420 cm-1
    assert s.fit.parameters["background_lo"].value == pytest.approx(0.33, abs=2e-3)
    assert s.fit.parameters["background_hi"].value == pytest.approx(0.72, abs=2e-3)
    assert s.w1_cm1 == pytest.approx(0.0, abs=0.02)
    assert s.n_reference_peaks == 7 == s.n_matched


@pytest.mark.parametrize("shift", [5.0, 12.0, -8.0])
def test_synthetic_shift_is_recovered(shift):
    simulated, measured = synthetic_pair(shift, background=False)
    s = score_spectrum(
        simulated, measured, (30.0, 420.0), ScoringSettings(background_form="none")
    )
    assert s.w1_cm1 == pytest.approx(abs(shift), abs=0.05)
    assert s.peak_mae_cm1 == pytest.approx(abs(shift), abs=0.05)
    assert s.peak_mean_shift_cm1 == pytest.approx(shift, abs=0.05)
    assert s.n_matched == 7


@pytest.mark.parametrize("shift", [5.0, 12.0])
def test_synthetic_shift_with_joint_background(shift):
    # Misaligned peaks must not push the background up: it is fitted under the
    # best-aligned model, so W1 after subtraction is the shift's own W1.
    simulated, measured = synthetic_pair(shift)
    s = score_spectrum(simulated, measured, (30.0, 420.0), LINEAR)
    assert s.peak_mae_cm1 == pytest.approx(shift, abs=0.05)
    assert s.w1_cm1 == pytest.approx(shift, rel=0.05)
    assert s.fit.parameters["background_lo"].value == pytest.approx(0.33, rel=0.02)


def test_w1_and_peaks_degrade_smoothly_with_stiffening():
    w1 = [
        score_spectrum(
            Spectrum1D(HEXANE.energy_cm1 * f, HEXANE.intensity), HEXANE, FINGERPRINT
        ).w1_cm1
        for f in (1.0, 1.01, 1.03)
    ]
    assert w1[0] < w1[1] < w1[2] < FINGERPRINT[1] - FINGERPRINT[0]


def test_to_dict_is_json_safe_and_complete():
    s = score_spectrum(*synthetic_pair(3.0), (30.0, 420.0))
    d = json.loads(json.dumps(s.to_dict(), allow_nan=False))
    for key in (
        "w1_cm1",
        "cosine",
        "peak_mae_cm1",
        "peak_mean_shift_cm1",
        "n_reference_peaks",
        "n_matched",
        "peak_recall",
        "problems",
        "notes",
        "settings",
        "fit",
        "reference_peaks",
        "simulated_peaks",
        "match",
    ):
        assert key in d
    assert d["fit"]["parameters"]["scale"]["unit"]
    assert "energy_cm1" not in s.to_dict(include_arrays=False)["fit"]


# ---- bad predictions: worst score and a message, never an exception ----


def _nan_spectrum():
    s = Spectrum1D(np.linspace(0, 2000, 500), np.ones(500))
    s.intensity[100] = (
        np.nan
    )  # Spectrum1D refuses NaN at construction; arrays stay mutable
    return s


@pytest.mark.parametrize(
    "simulated, message",
    [
        (None, "no simulated spectrum"),
        (_nan_spectrum(), "NaN"),
        (Spectrum1D(np.linspace(0, 2000, 50), np.zeros(50)), "zero everywhere"),
        (
            Spectrum1D(
                np.linspace(0, 2000, 500),
                -gaussians(np.linspace(0, 2000, 500), [100, 900]),
            ),
            "negative",
        ),
        (Spectrum1D(np.linspace(2000, 3000, 50), np.ones(50)), "does not overlap"),
        (Spectrum1D(np.linspace(0, 2000, 500), np.ones(500)), "no peaks"),
        (
            Spectrum1D(
                np.linspace(0, 2000, 500),
                gaussians(np.linspace(0, 2000, 500), [1900.0]),
            ),
            "zero everywhere",
        ),
    ],
    ids=[
        "none",
        "nan",
        "zero",
        "negative",
        "outside",
        "featureless",
        "only-outside-window",
    ],
)
@pytest.mark.parametrize("window", WINDOWS.values(), ids=WINDOWS.keys())
def test_bad_prediction_gets_worst_score(simulated, message, window):
    s = score_spectrum(simulated, HEXANE, window, DEFAULT)
    assert_worst(s, window)
    assert any(message in p for p in s.problems), s.problems


def test_no_peak_within_gate_gives_worst_peak_mae_only():
    x = np.linspace(0.0, 2000.0, 4001)
    sim = Spectrum1D(x, gaussians(x, [1560.0], fwhm_cm1=10.0) + 0.01)  # far from 1453
    s = score_spectrum(sim, HEXANE, FINGERPRINT, ScoringSettings(max_distance_cm1=20.0))
    assert s.peak_mae_cm1 == 20.0 and s.n_matched == 0
    assert any("max 20 cm-1" in p for p in s.problems)
    assert s.w1_cm1 < FINGERPRINT[1] - FINGERPRINT[0]


def test_tiny_negative_ringing_is_tolerated():
    sim = Spectrum1D(
        HEXANE.energy_cm1, HEXANE.intensity - 1e-5 * HEXANE.intensity.max()
    )
    assert score_spectrum(sim, HEXANE, FINGERPRINT).problems == ()


@settings(deadline=None, max_examples=30)
@given(
    y=arrays(
        float,
        40,
        elements=st.one_of(st.floats(-1e3, 1e3), st.just(0.0), st.just(np.nan)),
    ),
    lo=st.floats(0.0, 3000.0),
    width=st.floats(1.0, 3000.0),
)
def test_garbage_predictions_never_raise_and_stay_in_bounds(y, lo, width):
    sim = Spectrum1D(np.linspace(lo, lo + width, 40), np.nan_to_num(y))
    sim.intensity[:] = y  # allow NaN through, as a buggy caller could
    for window in WINDOWS.values():
        s = score_spectrum(sim, HEXANE, window, DEFAULT)
        assert 0.0 <= s.w1_cm1 <= window[1] - window[0]
        assert 0.0 <= s.cosine <= 1.0
        assert 0.0 <= s.peak_mae_cm1 <= DEFAULT.max_distance_cm1
        if np.any(np.isnan(y)) or np.all(y <= 0):
            assert_worst(s, window)


@settings(deadline=None, max_examples=15)
@given(c=st.floats(1e-4, 1e4), shift=st.floats(-15.0, 15.0))
def test_scores_invariant_to_scaling_the_measured_spectrum(c, shift):
    base = score_spectrum(shifted(HEXANE, shift), HEXANE, FINGERPRINT, DEFAULT)
    scaled_measured = Spectrum1D(
        HEXANE.energy_cm1, c * HEXANE.intensity, c * HEXANE.error
    )
    s = score_spectrum(shifted(HEXANE, shift), scaled_measured, FINGERPRINT, DEFAULT)
    assert s.w1_cm1 == pytest.approx(base.w1_cm1, rel=1e-6, abs=1e-9)
    assert s.cosine == pytest.approx(base.cosine, rel=1e-9)
    assert s.peak_mae_cm1 == pytest.approx(base.peak_mae_cm1, rel=1e-9, abs=1e-9)
    assert s.fit.scale == pytest.approx(c * base.fit.scale, rel=1e-6)
    assert s.fit.reduced_chi2 == pytest.approx(base.fit.reduced_chi2, rel=1e-6)


# ---- bad reference data raises ----


def test_nan_in_reference_raises():
    measured = load_isis_dat()
    measured.intensity[300] = np.nan
    with pytest.raises(MetricInputError, match="NaN"):
        score_spectrum(HEXANE, measured, FINGERPRINT)


@pytest.mark.parametrize(
    "window, match",
    [
        ((5000.0, 6000.0), "outside the measured data"),
        ((400.0, 420.0), "fewer than the 20"),
    ],
)
def test_bad_window_raises(window, match):
    with pytest.raises(MetricInputError, match=match):
        score_spectrum(HEXANE, HEXANE, window)


def test_reference_without_peaks_raises():
    flat = Spectrum1D(HEXANE.energy_cm1, np.ones_like(HEXANE.intensity), label="flat")
    with pytest.raises(
        MetricInputError, match="no peaks found .* lower prominence_fraction"
    ):
        score_spectrum(HEXANE, flat, FINGERPRINT)


def test_settings_validate():
    with pytest.raises(ValueError, match="background_form"):
        ScoringSettings(background_form="spline")
    with pytest.raises(ValueError, match="unknown scoring setting"):
        ScoringSettings.from_mapping({"gate": 3})
    assert ScoringSettings.from_mapping({"max_distance_cm1": 7}).max_distance_cm1 == 7


def test_frequency_scale_of_a_stiffened_copy_and_its_edge_note():
    stiff = Spectrum1D(HEXANE.energy_cm1 * 1.02, HEXANE.intensity, label="hexane x 1.02")
    s = score_spectrum(stiff, HEXANE, FINGERPRINT)
    # the model is 2 % too stiff: measured energies are simulated / 1.02
    assert s.frequency_scale == pytest.approx(1 / 1.02, rel=1e-3)
    assert s.metrics["frequency_scale"] == s.frequency_scale
    assert s.frequency_fit.method.startswith("peaks")
    assert not any("edge of the searched range" in n for n in s.notes)
    way_off = Spectrum1D(HEXANE.energy_cm1 * 0.9, HEXANE.intensity, label="hexane x 0.9")
    far = score_spectrum(way_off, HEXANE, LATTICE)
    # 10 % off: the peak pairing started at s = 1 cannot follow; the disagreement is noted
    assert any("frequency scale uncertain" in n for n in far.notes)
