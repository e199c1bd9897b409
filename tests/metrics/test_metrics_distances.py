"""wasserstein1_cm1 and cosine_overlap: unit tests and hypothesis properties."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from metrics_synthetic import gaussians, uneven_grid

from insbench.metrics import MetricInputError, cosine_overlap, wasserstein1, wasserstein1_cm1

PROPERTY = settings(deadline=None, max_examples=40)
N = 60
_grid = st.lists(st.floats(0.1, 30.0), min_size=N, max_size=N).map(
    lambda d: 20.0 + np.cumsum(d)
)
_spectrum = arrays(float, N, elements=st.floats(0.0, 100.0)).filter(
    lambda a: a.sum() > 1e-3
)


def test_w1_identical_is_zero():
    x = uneven_grid()
    p = gaussians(x, [100.0, 500.0])
    assert wasserstein1_cm1(x, p, p) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("shift", [3.0, 10.0, 25.0, -10.0])
def test_w1_of_shifted_narrow_peak_is_the_shift(shift):
    x = np.linspace(0.0, 1000.0, 5001)
    p = gaussians(x, [400.0], fwhm_cm1=4.0)
    q = gaussians(x, [400.0 + shift], fwhm_cm1=4.0)
    assert wasserstein1_cm1(x, p, q) == pytest.approx(abs(shift), rel=1e-3)


def test_w1_on_uneven_grid_of_shifted_peak():
    x = uneven_grid(10.0, 2000.0, 1.002)
    p = gaussians(x, [800.0], fwhm_cm1=20.0)
    q = gaussians(x, [810.0], fwhm_cm1=20.0)
    assert wasserstein1_cm1(x, p, q) == pytest.approx(10.0, rel=0.02)


def test_w1_two_deltas_moving_half_the_mass():
    x = np.linspace(0.0, 100.0, 10001)
    p = gaussians(x, [20.0, 80.0], fwhm_cm1=0.5)
    q = gaussians(x, [20.0, 60.0], fwhm_cm1=0.5)
    assert wasserstein1_cm1(x, p, q) == pytest.approx(
        10.0, rel=1e-3
    )  # half the area moves 20


def test_negative_values_are_clipped_to_zero():
    x = np.linspace(0.0, 100.0, 201)
    p = gaussians(x, [50.0])
    kept = np.where(p > 1e-3, p, 0.0)
    with_negatives = np.where(p > 1e-3, p, -5.0)
    assert wasserstein1_cm1(x, kept, with_negatives) == pytest.approx(0.0, abs=1e-12)
    assert cosine_overlap(x, kept, with_negatives) == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("func", [wasserstein1_cm1, cosine_overlap])
def test_zero_area_or_bad_shapes_raise(func):
    x = np.linspace(0.0, 10.0, 11)
    with pytest.raises(MetricInputError, match="no positive area"):
        func(x, np.ones(11), -np.ones(11))
    with pytest.raises(MetricInputError, match="shape"):
        func(x, np.ones(11), np.ones(10))
    with pytest.raises(MetricInputError, match="NaN"):
        func(x, np.ones(11), np.full(11, np.nan))
    with pytest.raises(MetricInputError, match="increasing"):
        func(x[::-1], np.ones(11), np.ones(11))


def test_cosine_values():
    x = uneven_grid()
    p = gaussians(x, [100.0, 300.0])
    assert cosine_overlap(x, p, 7.0 * p) == pytest.approx(1.0)
    assert cosine_overlap(
        x, gaussians(x, [100.0]), gaussians(x, [900.0])
    ) == pytest.approx(0.0, abs=1e-12)
    x = np.linspace(0.0, 1000.0, 4001)  # both peaks equally well sampled
    half = cosine_overlap(x, gaussians(x, [100.0]), gaussians(x, [100.0, 900.0]))
    assert half == pytest.approx(1 / np.sqrt(2), rel=1e-3)


@PROPERTY
@given(x=_grid, p=_spectrum, q=_spectrum)
def test_w1_symmetric_and_bounded(x, p, q):
    d = wasserstein1_cm1(x, p, q)
    assert d == pytest.approx(wasserstein1_cm1(x, q, p), rel=1e-9, abs=1e-9)
    assert 0.0 <= d <= x[-1] - x[0] + 1e-9


@PROPERTY
@given(x=_grid, p=_spectrum, q=_spectrum, r=_spectrum)
def test_w1_triangle_inequality(x, p, q, r):
    assert (
        wasserstein1_cm1(x, p, r)
        <= wasserstein1_cm1(x, p, q) + wasserstein1_cm1(x, q, r) + 1e-9
    )


@PROPERTY
@given(
    x=_grid, p=_spectrum, q=_spectrum, a=st.floats(1e-6, 1e6), b=st.floats(1e-6, 1e6)
)
def test_scale_invariance(x, p, q, a, b):
    assert wasserstein1_cm1(x, a * p, b * q) == pytest.approx(
        wasserstein1_cm1(x, p, q), rel=1e-7, abs=1e-9
    )
    assert cosine_overlap(x, a * p, b * q) == pytest.approx(
        cosine_overlap(x, p, q), rel=1e-7, abs=1e-12
    )


@PROPERTY
@given(x=_grid, p=_spectrum, q=_spectrum, a=st.floats(1e-3, 1e3))
def test_cosine_symmetric_bounded_and_one_for_proportional(x, p, q, a):
    c = cosine_overlap(x, p, q)
    assert 0.0 <= c <= 1.0
    assert c == pytest.approx(cosine_overlap(x, q, p), rel=1e-12)
    assert cosine_overlap(x, p, a * p) == pytest.approx(1.0, rel=1e-9)
    assert wasserstein1_cm1(x, p, a * p) == pytest.approx(
        0.0, abs=1e-9 * (x[-1] - x[0])
    )


@PROPERTY
@given(
    x=_grid,
    p=_spectrum,
    q=_spectrum,
    exp_p=st.integers(-300, 300),
    exp_q=st.integers(-300, 300),
)
def test_extreme_intensity_units_give_the_same_distances(x, p, q, exp_p, exp_q):
    """Normalising first: 1e-300 .. 1e300 intensities give the unit-scale answers."""
    w1, cos = wasserstein1_cm1(x, p, q), cosine_overlap(x, p, q)
    a, b = 10.0**exp_p, 10.0**exp_q
    assert wasserstein1_cm1(x, a * p, b * q) == pytest.approx(w1, rel=1e-6, abs=1e-9)
    assert cosine_overlap(x, a * p, b * q) == pytest.approx(cos, rel=1e-6, abs=1e-12)


@PROPERTY
@given(
    x=st.lists(st.floats(0.5, 50.0), min_size=3, max_size=3).map(np.cumsum),
    p=arrays(float, 3, elements=st.floats(0.0, 1e300)).filter(lambda a: a.max() > 1e-200),
    q=arrays(float, 3, elements=st.floats(0.0, 1e-200)).filter(lambda a: a.max() > 1e-300),
)
def test_three_point_grids_are_fine(x, p, q):
    d = wasserstein1_cm1(x, p, q)
    assert np.isfinite(d) and 0.0 <= d <= x[-1] - x[0] + 1e-9
    c = cosine_overlap(x, p, q)
    assert np.isfinite(c) and 0.0 <= c <= 1.0
    assert wasserstein1_cm1(x, p, p * 1e-250) == pytest.approx(0.0, abs=1e-9 * (x[-1] - x[0]))


def test_three_point_w1_by_hand():
    # p all at 0, q all at 2 (triangles on a 3-point grid): the CDFs differ by a known area
    x = np.array([0.0, 1.0, 2.0])
    p, q = np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0])
    # normalised: p = [2, 0, 0] (area 1), P = [0, 1, 1]; q = [0, 0, 2], Q = [0, 0, 1]
    # |P - Q| = [0, 1, 0], trapezoid integral = 1
    assert wasserstein1_cm1(x, p, q) == pytest.approx(1.0)


def test_generic_w1_on_a_distance_grid():
    """The same W1 serves radial distribution functions (grid in Angstrom)."""
    r = np.linspace(0.5, 6.0, 551)
    g = gaussians(r, [1.5, 2.5], fwhm_cm1=0.1)
    h = gaussians(r, [1.6, 2.6], fwhm_cm1=0.1)
    assert wasserstein1(r, g, h) == pytest.approx(0.1, rel=1e-3)
    with pytest.raises(MetricInputError, match="Angstrom"):
        wasserstein1(r[::-1], g, h, unit="Angstrom")
