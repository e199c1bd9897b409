"""fit_scale_and_background on synthetic data with known answers, and its invariances."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from metrics_synthetic import gaussians, uneven_grid

from insbench.metrics import (
    BACKGROUND_FORMS,
    MetricInputError,
    cosine_overlap,
    fit_scale_and_background,
    wasserstein1_cm1,
)
from insbench.spectra import Spectrum1D

WINDOW = (50.0, 850.0)
X = uneven_grid(20.0, 1000.0, 1.005)
U = (X - WINDOW[0]) / (WINDOW[1] - WINDOW[0])
SIM = Spectrum1D(
    np.linspace(0.0, 1200.0, 2401),
    gaussians(np.linspace(0.0, 1200.0, 2401), [100, 300, 420, 700]),
)
SIM_ON_X = SIM.interpolate_to(X)

BACKGROUNDS = {
    "none": (np.zeros_like(X), {}),
    "constant": (np.full_like(X, 0.7), {"background": 0.7}),
    "linear": (0.5 * (1 - U) + 1.5 * U, {"background_lo": 0.5, "background_hi": 1.5}),
    "quadratic": (
        0.5 * (1 - U) ** 2 + 2 * 0.2 * U * (1 - U) + 1.5 * U**2,
        {"background_lo": 0.5, "background_mid": 0.2, "background_hi": 1.5},
    ),
}


def measured_with(form: str, scale: float = 3.0, error: bool = True) -> Spectrum1D:
    bg, _ = BACKGROUNDS[form]
    y = scale * SIM_ON_X + bg
    return Spectrum1D(
        X, y, np.full_like(X, 0.05) if error else None, label="synthetic measured"
    )


@pytest.mark.parametrize("form", list(BACKGROUND_FORMS))
def test_recovers_known_scale_and_background(form):
    fit = fit_scale_and_background(SIM, measured_with(form), WINDOW, form)
    assert fit.scale == pytest.approx(3.0, rel=1e-8)
    expected = BACKGROUNDS[form][1]
    assert set(fit.parameters) == {"scale", *expected}
    for name, value in expected.items():
        assert fit.parameters[name].value == pytest.approx(value, rel=1e-7, abs=1e-9)
        assert fit.parameters[name].unit == "measured intensity (arbitrary units)"
    assert fit.parameters["scale"].unit == "measured intensity / simulated intensity"
    assert fit.reduced_chi2 == pytest.approx(0.0, abs=1e-12)
    inside = (X >= WINDOW[0]) & (X <= WINDOW[1])
    np.testing.assert_allclose(fit.energy_cm1, X[inside])
    np.testing.assert_allclose(
        fit.measured_minus_background, fit.scaled_simulated, atol=1e-8
    )
    assert fit.form == form and fit.window_cm1 == WINDOW


def test_background_is_non_negative_even_when_data_pulls_it_down():
    # Measured dips below the scaled simulation at the high edge: an unconstrained
    # line would go negative there; the bounded one stops at 0.
    y = 2.0 * SIM_ON_X + 1.0 - 1.5 * U
    fit = fit_scale_and_background(SIM, Spectrum1D(X, y), WINDOW, "linear")
    assert np.all(fit.background >= 0.0)
    assert fit.parameters["background_hi"].value == pytest.approx(0.0, abs=1e-9)


def test_zero_simulated_gives_scale_zero_not_an_exception():
    zero = Spectrum1D(SIM.energy_cm1, np.zeros_like(SIM.intensity))
    fit = fit_scale_and_background(zero, measured_with("linear"), WINDOW, "linear")
    assert fit.scale == 0.0
    assert np.all(fit.scaled_simulated == 0.0)


def test_no_errors_means_no_reduced_chi2_and_json_safe():
    fit = fit_scale_and_background(SIM, measured_with("linear", error=False), WINDOW)
    assert fit.reduced_chi2 is None
    d = fit.to_dict()
    json.dumps(d, allow_nan=False)
    assert (
        d["parameters"]["scale"]["unit"] == "measured intensity / simulated intensity"
    )
    assert "energy_cm1" not in fit.to_dict(include_arrays=False)


def test_tiny_and_huge_intensities_are_well_conditioned():
    sim = Spectrum1D(SIM.energy_cm1, SIM.intensity * 1e-9)
    meas = measured_with("linear", scale=2e6)  # measured = 2e6 * (1e9 * sim) + bg
    fit = fit_scale_and_background(sim, meas, WINDOW, "linear")
    assert fit.scale == pytest.approx(2e15, rel=1e-7)
    assert fit.parameters["background_hi"].value == pytest.approx(1.5, rel=1e-6)


def test_unknown_form_lists_valid_ones():
    with pytest.raises(ValueError, match="none, constant, linear, quadratic"):
        fit_scale_and_background(SIM, measured_with("linear"), WINDOW, "cubic")


@pytest.mark.parametrize(
    "window, match",
    [
        ((2000.0, 3000.0), "outside the measured data"),
        ((100.0, 101.0), "fewer than the 20"),
        ((500.0, 100.0), "not a valid window"),
        ((np.nan, 100.0), "not a valid window"),
    ],
)
def test_bad_reference_windows_raise(window, match):
    with pytest.raises(MetricInputError, match=match):
        fit_scale_and_background(SIM, measured_with("linear"), window)


def test_nan_in_measured_raises():
    meas = measured_with("linear")
    meas.intensity[10] = (
        np.nan
    )  # Spectrum1D refuses NaN at construction; arrays stay mutable
    with pytest.raises(MetricInputError, match="NaN"):
        fit_scale_and_background(SIM, meas, WINDOW)


@settings(deadline=None, max_examples=25)
@given(
    c=st.floats(1e-6, 1e6),
    form=st.sampled_from(list(BACKGROUND_FORMS)),
    seed=st.integers(0, 2**16),
)
def test_invariant_to_scaling_the_measured_spectrum(c, form, seed):
    rng = np.random.default_rng(seed)
    bg, _ = BACKGROUNDS["quadratic"]
    y = (
        3.0 * SIM_ON_X * rng.uniform(0.5, 1.5, X.size)
        + bg
        + rng.normal(0.0, 0.05, X.size)
    )
    err = np.full_like(X, 0.05)
    base = fit_scale_and_background(SIM, Spectrum1D(X, y, err), WINDOW, form)
    scaled = fit_scale_and_background(SIM, Spectrum1D(X, c * y, c * err), WINDOW, form)
    assert scaled.scale == pytest.approx(c * base.scale, rel=1e-6, abs=1e-12 * c)
    assert scaled.reduced_chi2 == pytest.approx(base.reduced_chi2, rel=1e-6)
    np.testing.assert_allclose(
        scaled.background, c * base.background, rtol=1e-6, atol=1e-9 * c
    )
    assert np.all(base.background >= -1e-12)
    x = base.energy_cm1
    for a, b in [(base.measured_minus_background, scaled.measured_minus_background)]:
        assert wasserstein1_cm1(
            x, np.clip(a, 0, None), SIM_ON_X[(X >= WINDOW[0]) & (X <= WINDOW[1])]
        ) == pytest.approx(
            wasserstein1_cm1(
                x, np.clip(b, 0, None), SIM_ON_X[(X >= WINDOW[0]) & (X <= WINDOW[1])]
            ),
            rel=1e-6,
        )
        assert cosine_overlap(
            x, np.clip(a, 0, None), np.clip(b, 0, None)
        ) == pytest.approx(1.0, rel=1e-9)


def test_background_stays_under_the_data_when_the_model_misses_the_peaks():
    """A model whose peaks sit between the measured ones must not let a least-squares
    background line cut through the measured peaks (the background is an envelope)."""
    import numpy as np

    from insbench.metrics.background import fit_scale_and_background
    from insbench.metrics.frequency_scale import envelope_sigma
    from insbench.spectra import Spectrum1D

    x = np.linspace(20, 400, 400)
    peaks = sum(np.exp(-0.5 * ((x - c) / 6) ** 2) for c in (60, 140, 250, 330))
    measured = Spectrum1D(x, 0.2 + peaks, np.full_like(x, 0.01), "synthetic measured")
    missed = Spectrum1D(x, sum(np.exp(-0.5 * ((x - c) / 6) ** 2) for c in (100, 200, 290)), None, "synthetic model")
    fit = fit_scale_and_background(missed, measured, (20, 400), "linear")
    allowed = envelope_sigma(x.size) * 0.01  # ~4 error bars for 400 points
    assert np.all(fit.background <= measured.intensity + allowed * (1 + 1e-6))
    assert fit.background.max() <= 0.2 + allowed * (1 + 1e-6)  # under the floor, not the mean


@pytest.mark.parametrize("shift", [5.0, 10.0, 30.0, -20.0])
def test_a_pure_shift_invents_no_background(shift):
    """Measured = shifted simulation, no background: the constant must stay ~0 and the
    scale at its true value (a plain least-squares constant would absorb ~a third)."""
    y = 3.0 * np.interp(X - shift, SIM.energy_cm1, SIM.intensity)
    measured = Spectrum1D(X, y, np.sqrt(np.maximum(y, 1e-3)) * 0.05, "synthetic shifted")
    fit = fit_scale_and_background(SIM, measured, WINDOW, "constant", max_shift_cm1=40.0)
    assert fit.parameters["background"].value <= 1e-3 * y.mean()
    assert fit.alignment.shift_cm1 == pytest.approx(shift, abs=0.1)
    assert fit.alignment.stretch == pytest.approx(1.0, abs=1e-3)


def test_reduced_chi2_is_about_one_for_a_right_model_with_poisson_noise():
    rng = np.random.default_rng(7)
    counts = 400.0 * SIM_ON_X + 50.0  # a right model: scale 400, flat background 50
    noisy = rng.poisson(counts).astype(float)
    measured = Spectrum1D(X, noisy, np.sqrt(np.maximum(noisy, 1.0)), "synthetic Poisson")
    fit = fit_scale_and_background(SIM, measured, WINDOW, "constant")
    assert fit.reduced_chi2 == pytest.approx(1.0, abs=0.25)
    assert fit.scale == pytest.approx(400.0, rel=0.03)
    assert fit.parameters["background"].value == pytest.approx(50.0, rel=0.05)
    assert fit.alignment.reduced_chi2 is not None


@pytest.mark.parametrize("exponent", [-12, -9, -3, 3, 9, 12, 200, -200])
def test_units_of_the_measured_spectrum_do_not_matter(exponent):
    c = 10.0**exponent
    y = 3.0 * np.interp(X - 10.0, SIM.energy_cm1, SIM.intensity) + 0.4
    err = np.full_like(X, 0.05)
    base = fit_scale_and_background(SIM, Spectrum1D(X, y, err), WINDOW, "constant")
    scaled = fit_scale_and_background(SIM, Spectrum1D(X, c * y, c * err), WINDOW, "constant")
    assert scaled.scale == pytest.approx(c * base.scale, rel=1e-6)
    assert scaled.background == pytest.approx(c * base.background, rel=1e-6)
    assert scaled.reduced_chi2 == pytest.approx(base.reduced_chi2, rel=1e-6)
    assert scaled.alignment.shift_cm1 == pytest.approx(base.alignment.shift_cm1, rel=1e-6)
