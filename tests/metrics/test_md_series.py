"""Slopes with autocorrelation-aware errors and running averages (insbench.metrics.md_series).

The noise series are synthetic (numpy generators with fixed seeds), made for these tests.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from insbench.metrics.md_series import (
    integrated_autocorrelation_time,
    linear_slope,
    running_average,
    slope_with_error,
)

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
series = arrays(np.float64, st.integers(3, 60), elements=finite)


def _ar1(rng: np.random.Generator, n: int, rho: float) -> np.ndarray:
    """AR(1) noise of unit marginal variance: x_k = rho x_{k-1} + sqrt(1 - rho^2) e_k."""
    x = np.empty(n)
    x[0] = rng.standard_normal()
    e = rng.standard_normal(n) * np.sqrt(1 - rho ** 2)
    for k in range(1, n):
        x[k] = rho * x[k - 1] + e[k]
    return x


@given(series, finite)
def test_slope_is_invariant_to_adding_a_constant(y, c):
    t = np.arange(len(y)) * 0.01
    assert linear_slope(t, y + c) == pytest.approx(linear_slope(t, y), abs=1e-6 * (1 + np.abs(y).max()) / 0.01)
    fit, shifted = slope_with_error(t, y), slope_with_error(t, y + c)
    assert shifted.slope == pytest.approx(fit.slope, abs=1e-6 * (1 + np.abs(y).max()) / 0.01)


@given(finite, st.floats(-50, 50), st.integers(3, 200))
def test_a_straight_line_has_its_slope_and_no_error(b, a, n):
    t = np.arange(n) * 0.001
    fit = slope_with_error(t, a * t + b)
    assert fit.slope == pytest.approx(a, abs=1e-6 * (1 + abs(b)))
    assert fit.stderr == pytest.approx(0.0, abs=1e-6 * (1 + abs(b)))


def test_too_short_or_non_finite_series_give_nan():
    assert np.isnan(slope_with_error(np.arange(2.0), np.arange(2.0)).slope)
    assert np.isnan(slope_with_error(np.arange(5.0), np.array([1, 2, np.nan, 4, 5.0])).stderr)


def test_white_noise_has_tau_one_half_and_the_naive_error():
    rng = np.random.default_rng(1)
    tau, reliable = integrated_autocorrelation_time(rng.standard_normal(4000))
    assert reliable and tau == pytest.approx(0.5, abs=0.1)
    fit = slope_with_error(np.arange(500) * 1e-3, rng.standard_normal(500))
    assert fit.stderr == pytest.approx(fit.naive_stderr, rel=0.3)


def test_ar1_noise_has_the_known_correlation_time():
    """tau_int of AR(1) is (1 + rho) / (2 (1 - rho)): 9.5 for rho = 0.9."""
    tau, reliable = integrated_autocorrelation_time(_ar1(np.random.default_rng(2), 20000, 0.9))
    assert reliable and tau == pytest.approx(9.5, rel=0.15)


@pytest.mark.parametrize("rho, n, k, at_least", [
    (0.0, 400, 2, 0.90),   # white noise: 2 sigma covers ~95 %
    (0.8, 400, 2, 0.86),   # tau 4.5, n_effective ~44
    (0.95, 2000, 2, 0.88),  # tau 19.5, n_effective ~51
    (0.95, 400, 3, 0.90),  # n_effective ~10: Sokal's tau is biased low this short, 3 sigma still covers >= 90 %
])
def test_the_error_covers_the_true_slope_as_often_as_it_should(rho, n, k, at_least):
    """Over 300 synthetic runs (slope 2, correlated noise), |slope - 2| <= k stderr about as often as a
    normal error would; the naive least-squares error covers far fewer when the noise is correlated."""
    rng = np.random.default_rng(3)
    t = np.arange(n) * 1e-3
    hits = naive_hits = 0
    for _ in range(300):
        fit = slope_with_error(t, 2.0 * t + 0.05 * _ar1(rng, len(t), rho))
        hits += abs(fit.slope - 2.0) <= k * fit.stderr
        naive_hits += abs(fit.slope - 2.0) <= k * fit.naive_stderr
    assert at_least <= hits / 300 <= 0.995
    if rho >= 0.8:
        assert naive_hits / 300 < at_least - 0.25


def test_a_run_shorter_than_its_correlation_time_says_so():
    rng = np.random.default_rng(4)
    walk = np.cumsum(rng.standard_normal(300))  # a random walk: no finite correlation time at all
    fit = slope_with_error(np.arange(300) * 1e-3, walk)
    assert not fit.tau_reliable and fit.n_effective < 30
    assert slope_with_error(np.arange(300) * 1e-3, rng.standard_normal(300)).tau_reliable


@given(series, st.integers(1, 10))
def test_running_average_has_the_valid_length_and_is_bounded(y, window):
    avg = running_average(y, window)
    assert len(avg) == len(y) - min(window, len(y)) + 1
    assert (avg >= y.min() - 1e-6).all() and (avg <= y.max() + 1e-6).all()
