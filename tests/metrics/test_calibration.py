"""Calibration of the spectral scores on known answers, in every shipped scoring window.

SYNTHETIC data, built here.  Start from a simulated spectrum, apply a known
transformation, call the result "measured", and score the untouched simulation
against it with the shipped scoring settings:

* hexane windows: a synthetic simulation whose lines sit at the peak positions
  picked on the measured TFXA hexane spectrum (positions only; heights, widths and
  the smooth multiphonon-like tail are made up here), "measured" on the measured
  spectrum's uneven energy grid;
* diiodothiophene windows: its shipped COMPUTED (GFN2-xTB) spectrum as the simulation.

Error bars are sqrt(counts) with the counts of the measured hexane spectrum at its
maximum, as in the ISIS database files.  Requirements (issue 11):

* W1 after the full scoring equals the plain windowed W1 of the same
  transformation (no background handling) within 10 %;
* every score is unchanged by the intensity scale (1e-12 .. 1e12, relative 1e-6);
* a stretch of the energy axis is recovered within 0.5 %;
* peak MAE equals a pure shift up to 30 cm-1.
"""

from __future__ import annotations

import numpy as np
import pytest
from metrics_synthetic import load_isis_dat
from scipy.ndimage import gaussian_filter1d

from insbench.metrics import load_thresholds, pick_peaks, score_spectrum, wasserstein1_cm1
from insbench.reference import load_fixture
from insbench.spectra import Spectrum1D

HEXANE = load_isis_dat()
THRESHOLDS = load_thresholds()
#: counts at the maximum of the measured hexane spectrum (error = sqrt(counts))
PEAK_COUNTS = float(np.max((HEXANE.intensity / HEXANE.error) ** 2))
GRID = np.arange(0.5, 2000.0, 1.0)


def _hexane_like_simulation() -> Spectrum1D:
    positions = pick_peaks(HEXANE, (20.0, 1700.0), prominence_fraction=0.02).positions_cm1
    rng = np.random.default_rng(11)
    heights = rng.uniform(0.3, 1.0, positions.size)
    fwhm = 4.0 + 0.02 * positions  # TOSCA-like: widths grow with energy
    sigma = fwhm / 2.3548
    lines = np.sum(heights[:, None] * np.exp(-0.5 * ((GRID[None, :] - positions[:, None]) / sigma[:, None]) ** 2), axis=0)
    tail = 0.15 * (GRID / 1000.0) ** 2 * np.exp(-GRID / 1500.0)  # smooth, multiphonon-like
    return Spectrum1D(GRID, lines + tail, label="SYNTHETIC hexane-like simulation",
                      metadata={"resolution_fwhm_cm1": (4.0 + 0.02 * GRID).tolist()})


def _cases():
    hexane = load_fixture("hexane")
    dit = load_fixture("diiodothiophene", "1.0.0")  # the version with a computed reference
    computed = dit.spectrum(0.0, "computed")
    dit_sim = Spectrum1D(computed.energy_cm1, computed.intensity, label="computed GFN2-xTB diiodothiophene")
    cases = []
    for fixture, simulation, grid in ((hexane, _hexane_like_simulation(), HEXANE.energy_cm1),
                                      (dit, dit_sim, computed.energy_cm1)):
        for name, window in fixture.conditions.scoring_windows_cm1.items():
            cases.append(pytest.param(fixture.system, name, tuple(window), simulation, grid,
                                      id=f"{fixture.system}-{name}"))
    return cases


CASES = _cases()


def _measured(simulation: Spectrum1D, grid: np.ndarray, transform, *, background=None,
              noise_seed: int | None = None, scale: float = 1.0) -> tuple[Spectrum1D, np.ndarray]:
    """(measured spectrum, its background-free intensities) on ``grid`` (SYNTHETIC)."""
    clean = transform(grid)
    counts = clean / clean.max() * PEAK_COUNTS
    if background is not None:
        counts = counts + background(grid) * counts.mean()
    if noise_seed is not None:
        counts = np.random.default_rng(noise_seed).poisson(counts).astype(float)
    error = np.sqrt(np.maximum(counts, 1.0))
    peak_free = counts - (0.0 if background is None else background(grid) * (clean / clean.max() * PEAK_COUNTS).mean())
    return Spectrum1D(grid, scale * counts, scale * error, label="SYNTHETIC measured"), peak_free


def _plain_w1(simulation: Spectrum1D, x: np.ndarray, y: np.ndarray, window) -> float:
    keep = (x >= window[0]) & (x <= window[1])
    return wasserstein1_cm1(x[keep], y[keep], simulation.interpolate_to(x[keep]))


def _on(simulation: Spectrum1D, shift=0.0, stretch=1.0, broadening_fwhm=0.0):
    x, y = simulation.energy_cm1, simulation.intensity
    if broadening_fwhm:
        y = gaussian_filter1d(y, broadening_fwhm / 2.3548 / (x[1] - x[0]), mode="constant")
    return lambda grid: np.interp((grid - shift) / stretch, x, y, left=0.0, right=0.0)


TRANSFORMS = {
    "shift5": {"shift": 5.0},
    "shift10": {"shift": 10.0},
    "shift30": {"shift": 30.0},
    "shift-10": {"shift": -10.0},
    "stretch0.97": {"stretch": 0.97},
    "stretch1.03": {"stretch": 1.03},
    "broadened": {"broadening_fwhm": 12.0},
}


@pytest.mark.parametrize("transform", list(TRANSFORMS), ids=list(TRANSFORMS))
@pytest.mark.parametrize("system, window_name, window, simulation, grid", CASES)
def test_w1_after_scoring_equals_the_plain_w1(system, window_name, window, simulation, grid, transform):
    settings = THRESHOLDS.scoring_settings(system, window_name)
    measured, clean = _measured(simulation, grid, _on(simulation, **TRANSFORMS[transform]))
    plain = _plain_w1(simulation, grid, clean, window)
    scores = score_spectrum(simulation, measured, window, settings)
    assert scores.problems == ()
    assert scores.w1_cm1 == pytest.approx(plain, rel=0.10)
    assert scores.fit.reduced_chi2 is not None


@pytest.mark.parametrize("shift", [5.0, 10.0, 30.0])
@pytest.mark.parametrize("system, window_name, window, simulation, grid", CASES)
def test_peak_mae_is_the_shift(system, window_name, window, simulation, grid, shift):
    settings = THRESHOLDS.scoring_settings(system, window_name)
    measured, _ = _measured(simulation, grid, _on(simulation, shift=shift))
    scores = score_spectrum(simulation, measured, window, settings)
    # the model's peaks are `shift` below the measured ones
    assert scores.peak_mae_cm1 == pytest.approx(shift, abs=max(0.5, 0.03 * shift))
    assert scores.peak_mean_shift_cm1 == pytest.approx(-shift, abs=max(0.5, 0.03 * shift))
    assert scores.peak_recall >= 0.8


@pytest.mark.parametrize("stretch", [0.97, 1.03])
@pytest.mark.parametrize("system, window_name, window, simulation, grid", CASES)
def test_stretch_is_recovered(system, window_name, window, simulation, grid, stretch):
    settings = THRESHOLDS.scoring_settings(system, window_name)
    measured, _ = _measured(simulation, grid, _on(simulation, stretch=stretch), noise_seed=3)
    scores = score_spectrum(simulation, measured, window, settings)
    assert scores.frequency_scale == pytest.approx(stretch, rel=0.005)


@pytest.mark.parametrize("background", ["flat", "linear"])
@pytest.mark.parametrize("system, window_name, window, simulation, grid", CASES)
def test_added_backgrounds_are_removed(system, window_name, window, simulation, grid, background):
    """A flat (default constant form) or linear (declared form) background on top of a
    10 cm-1 shift: W1 after scoring is the W1 of the shift alone."""
    settings = THRESHOLDS.scoring_settings(system, window_name)
    lo, hi = window
    if background == "flat":
        shape = lambda e: np.full_like(e, 0.5)  # noqa: E731
    else:
        shape = lambda e: 0.2 + 0.6 * np.clip((e - lo) / (hi - lo), 0.0, None)  # noqa: E731
        from dataclasses import replace

        settings = replace(settings, background_form="linear",
                           background_reason="calibration: a SYNTHETIC sloped background is added")
    measured, clean = _measured(simulation, grid, _on(simulation, shift=10.0), background=shape)
    plain = _plain_w1(simulation, grid, clean, window)
    scores = score_spectrum(simulation, measured, window, settings)
    assert scores.w1_cm1 == pytest.approx(plain, rel=0.10)


@pytest.mark.parametrize("system, window_name, window, simulation, grid", CASES)
def test_poisson_noise_at_measured_error_bars(system, window_name, window, simulation, grid):
    settings = THRESHOLDS.scoring_settings(system, window_name)
    measured, noisy = _measured(simulation, grid, _on(simulation, shift=10.0), noise_seed=5)
    plain = _plain_w1(simulation, grid, noisy, window)  # the same noisy transformation, no fit
    scores = score_spectrum(simulation, measured, window, settings)
    assert scores.w1_cm1 == pytest.approx(plain, rel=0.10)
    # the right model once the alignment shifts it back: chi^2 per point ~ 1
    assert 0.7 < scores.fit.alignment.reduced_chi2 < 1.5
    assert scores.fit.reduced_chi2 > 10.0 * scores.fit.alignment.reduced_chi2  # as it is: 10 cm-1 off


@pytest.mark.parametrize("exponent", [-12, -9, -6, -3, 3, 6, 9, 12])
@pytest.mark.parametrize("system, window_name, window, simulation, grid", CASES)
def test_every_score_is_unchanged_by_the_intensity_scale(system, window_name, window, simulation, grid, exponent):
    settings = THRESHOLDS.scoring_settings(system, window_name)
    transform = _on(simulation, shift=7.0, broadening_fwhm=6.0)
    base, _ = _measured(simulation, grid, transform, background=lambda e: np.full_like(e, 0.3), noise_seed=9)
    scaled, _ = _measured(simulation, grid, transform, background=lambda e: np.full_like(e, 0.3),
                          noise_seed=9, scale=10.0**exponent)
    one = score_spectrum(simulation, base, window, settings)
    other = score_spectrum(simulation, scaled, window, settings)
    for name, value in one.metrics.items():
        assert other.metrics[name] == pytest.approx(value, rel=1e-6, abs=1e-12), name
    assert other.fit.reduced_chi2 == pytest.approx(one.fit.reduced_chi2, rel=1e-6)
    assert other.fit.scale == pytest.approx(10.0**exponent * one.fit.scale, rel=1e-6)


@pytest.mark.parametrize("window_name", ["lattice_lam", "fingerprint"])
def test_measured_hexane_at_x1_and_x1e_minus_9_scores_the_same(window_name):
    """The real measured spectrum (and its error bars) times 1e-9: identical scores."""
    window = load_fixture("hexane").conditions.scoring_windows_cm1[window_name]
    settings = THRESHOLDS.scoring_settings("hexane", window_name)
    simulation = _hexane_like_simulation()
    tiny = Spectrum1D(HEXANE.energy_cm1, 1e-9 * HEXANE.intensity, 1e-9 * HEXANE.error, "measured x 1e-9")
    one = score_spectrum(simulation, HEXANE, tuple(window), settings)
    other = score_spectrum(simulation, tiny, tuple(window), settings)
    for name, value in one.metrics.items():
        assert other.metrics[name] == pytest.approx(value, rel=1e-9, abs=1e-12), name
    assert other.fit.reduced_chi2 == pytest.approx(one.fit.reduced_chi2, rel=1e-9)


@pytest.mark.parametrize("exponent", [-300, -12, 12, 300])
def test_the_units_of_the_simulation_do_not_matter_either(exponent):
    window = load_fixture("hexane").conditions.scoring_windows_cm1["fingerprint"]
    settings = THRESHOLDS.scoring_settings("hexane", "fingerprint")
    simulation = _hexane_like_simulation()
    scaled = Spectrum1D(simulation.energy_cm1, 10.0**exponent * simulation.intensity,
                        label="SYNTHETIC scaled", metadata=simulation.metadata)
    one = score_spectrum(simulation, HEXANE, tuple(window), settings)
    other = score_spectrum(scaled, HEXANE, tuple(window), settings)
    for name, value in one.metrics.items():
        assert other.metrics[name] == pytest.approx(value, rel=1e-6, abs=1e-12), name
