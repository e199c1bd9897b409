"""Bootstrap intervals of spectral scores (SYNTHETIC spectra; hypothesis property tests)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from insbench.metrics import score_spectrum
from insbench.reference import load_fixture
from insbench.metrics.bootstrap import BootstrapUnavailable, bootstrap_scores, case_bootstrap, resampled_spectra
from insbench.spectra import Spectrum1D

CENTRES = [60.0, 95.0, 140.0, 190.0, 250.0, 320.0, 380.0]
HEIGHTS = [1.0, 0.6, 0.9, 0.4, 0.7, 0.5, 0.8]
WINDOW = (20.0, 400.0)
FAST = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _gauss(x, centres, heights, fwhm=8.0):
    sigma = fwhm / 2.3548200450309493
    return sum(h * np.exp(-0.5 * ((x - c) / sigma) ** 2) for c, h in zip(centres, heights))


def synthetic_pair(shift_cm1: float, error: float, noise_seed: int | None = 0):
    """SYNTHETIC (simulated, measured): 7 Gaussian peaks; measured = 2.5 x peaks + 0.3 (+ noise)."""
    xm = 10.0 * 1.004 ** np.arange(int(np.log(44.0) / np.log(1.004)))
    clean = 2.5 * _gauss(xm, CENTRES, HEIGHTS) + 0.3
    errors = np.full_like(xm, error)
    noisy = clean if noise_seed is None else clean + errors * np.random.default_rng(noise_seed).standard_normal(xm.size)
    xs = np.linspace(5.0, 450.0, 1500)
    simulated = Spectrum1D(xs, _gauss(xs, [c + shift_cm1 for c in CENTRES], HEIGHTS), label="SYNTHETIC sim")
    return simulated, Spectrum1D(xm, noisy, errors, label="SYNTHETIC measured")


@FAST
@given(shift=st.floats(-12.0, 12.0), seed=st.integers(0, 2**31 - 1))
def test_zero_errors_give_zero_width_intervals(shift, seed):
    simulated, measured = synthetic_pair(shift, error=0.0, noise_seed=None)
    result = bootstrap_scores(simulated, measured, WINDOW, n_resamples=5, seed=seed)
    point = score_spectrum(simulated, measured, WINDOW).metrics
    for name, interval in result.intervals.items():
        assert interval.lo == interval.hi == interval.point == point[name]
    assert "zero" in result.note


def test_no_error_bars_give_zero_width_intervals():
    simulated, measured = synthetic_pair(5.0, error=0.0, noise_seed=None)
    measured = replace(measured, error=None)
    result = bootstrap_scores(simulated, measured, WINDOW, n_resamples=5)
    assert all(iv.width == 0.0 for iv in result.intervals.values())
    assert result.note == "the reference has no error bars"


@FAST
@given(shift=st.floats(-12.0, 12.0), error=st.floats(0.005, 0.1), seed=st.integers(0, 2**31 - 1))
def test_deterministic_for_a_seed_and_ordered(shift, error, seed):
    simulated, measured = synthetic_pair(shift, error)
    first = bootstrap_scores(simulated, measured, WINDOW, n_resamples=6, seed=seed)
    second = bootstrap_scores(simulated, measured, WINDOW, n_resamples=6, seed=seed)
    assert first == second
    for interval in first.intervals.values():
        assert interval.lo <= interval.hi
    assert first.n_failed <= first.n_resamples == 6


def test_interval_contains_point_for_symmetric_noise_most_of_the_time():
    """Over independent noisy 'measurements', the interval holds the point estimate (>= 80 %)."""
    contained = {"w1_cm1": 0, "cosine": 0, "peak_mae_cm1": 0}
    trials = 8
    for trial in range(trials):
        simulated, measured = synthetic_pair(6.0, error=0.03, noise_seed=100 + trial)
        result = bootstrap_scores(simulated, measured, WINDOW, n_resamples=40, seed=trial)
        for name in contained:
            interval = result.intervals[name]
            contained[name] += interval.lo <= interval.point <= interval.hi
    assert all(count >= 0.8 * trials for count in contained.values()), contained


def test_larger_errors_give_wider_intervals():
    simulated, small = synthetic_pair(6.0, error=0.01)
    _, large = synthetic_pair(6.0, error=0.1)
    narrow = bootstrap_scores(simulated, small, WINDOW, n_resamples=30, seed=1).intervals["w1_cm1"]
    wide = bootstrap_scores(simulated, large, WINDOW, n_resamples=30, seed=1).intervals["w1_cm1"]
    assert wide.width > narrow.width > 0.0


def test_bad_arguments_raise():
    simulated, measured = synthetic_pair(0.0, 0.01)
    with pytest.raises(ValueError, match="n_resamples"):
        bootstrap_scores(simulated, measured, WINDOW, n_resamples=0)
    with pytest.raises(ValueError, match="confidence"):
        bootstrap_scores(simulated, measured, WINDOW, confidence=1.5)


def test_interval_bound_follows_direction():
    simulated, measured = synthetic_pair(6.0, 0.03)
    iv = bootstrap_scores(simulated, measured, WINDOW, n_resamples=10).intervals["w1_cm1"]
    assert iv.bound("max") == iv.hi and iv.bound("min") == iv.lo


# -- from stored records ------------------------------------------------------------------------


def test_case_bootstrap_rescores_the_stored_spectrum(synthetic_results):
    record = json.loads((synthetic_results / "synthetic-soft" / "hexane" / "spectra.json").read_text())
    [case_id] = record["cases"]
    result = case_bootstrap(record, case_id, n_resamples=5, seed=3)
    assert set(result) == {"lattice_lam", "fingerprint"}
    for window, boot in result.items():
        stored = record["cases"][case_id]["windows"][window]["scores"]
        for metric, interval in boot.intervals.items():
            assert interval.point == pytest.approx(stored[metric], rel=1e-9, abs=1e-12)


def test_case_bootstrap_refuses_other_reference_data(synthetic_results):
    record = json.loads((synthetic_results / "synthetic-soft" / "hexane" / "spectra.json").read_text())
    record["reference"]["manifest_sha256"] = "f" * 64
    [case_id] = record["cases"]
    with pytest.raises(BootstrapUnavailable, match="differs from the record"):
        case_bootstrap(record, case_id, n_resamples=2, fixture_loader=load_fixture)
    del record["cases"][case_id]["simulated_spectrum"]
    with pytest.raises(BootstrapUnavailable, match="no simulated spectrum"):
        case_bootstrap(record, case_id, n_resamples=2)


def test_bootstrap_samples_are_labelled_xarray_objects(tmp_path):
    import xarray as xr

    from insbench._io import write_netcdf_atomic

    simulated, measured = synthetic_pair(6.0, 0.03)
    result = bootstrap_scores(simulated, measured, WINDOW, n_resamples=7, seed=5)
    dataset = result.to_xarray()
    assert dataset.sizes["resample"] == 7 - result.n_failed
    assert list(dataset["w1_cm1"].values) == list(result.samples["w1_cm1"])
    write_netcdf_atomic(tmp_path / "boot.nc", dataset)
    with xr.open_dataset(tmp_path / "boot.nc") as opened:
        assert opened.attrs["seed"] == 5 and json.loads(opened.attrs["intervals"])["w1_cm1"]["point"] == \
            result.intervals["w1_cm1"].point
    copies = resampled_spectra(measured, 3, seed=5)
    assert copies.dims == ("resample", "energy_cm1") and copies["energy_cm1"].attrs["units"] == "cm-1"
    rng = np.random.default_rng(5)
    first = measured.intensity + measured.error * rng.standard_normal(measured.intensity.shape)
    assert np.array_equal(copies.values[0], first)
    with pytest.raises(ValueError, match="no error bars"):
        resampled_spectra(replace(measured, error=None), 2)
