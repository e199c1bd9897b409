"""Mode tracking by eigenvector overlap on synthetic eigenvectors (random orthonormal
sets; not from any physical model)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from insbench.metrics.mode_tracking import (
    ModeTracking,
    ModeTrackingError,
    TrackedMode,
    blue_fraction_with_tracking,
    blue_shift_fraction,
    map_to_cell,
    overlap_matrix,
    track_modes,
)

N_ATOMS = 6


def orthonormal_modes(seed: int, n_atoms: int = N_ATOMS) -> np.ndarray:
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(3 * n_atoms, 3 * n_atoms)))
    return q.T.reshape(3 * n_atoms, n_atoms, 3)


def test_permuted_modes_are_recovered_even_when_bands_cross():
    e0 = orthonormal_modes(1)
    f0 = np.linspace(10.0, 500.0, 3 * N_ATOMS)
    rng = np.random.default_rng(2)
    perm = rng.permutation(3 * N_ATOMS)  # mode i at P0 is mode perm[i] at P1
    e1 = np.empty_like(e0)
    f1 = np.empty_like(f0)
    shifts = rng.uniform(-60.0, 60.0, size=f0.size)  # big enough to reorder bands
    signs = rng.choice([-1.0, 1.0], size=f0.size)  # eigenvector signs are arbitrary
    for i, j in enumerate(perm):
        e1[j] = signs[i] * e0[i]
        f1[j] = f0[i] + shifts[i]
    result = track_modes(f0, e0, f1, e1, labels=[f"m{i}" for i in range(f0.size)])
    np.testing.assert_array_equal(result.permutation, perm)
    np.testing.assert_allclose(result.shifts_cm1, shifts, atol=1e-12)
    np.testing.assert_allclose(result.overlaps, 1.0, atol=1e-12)
    assert result.modes[3].label == "m3"


def test_sorting_by_frequency_would_be_wrong_but_overlap_is_right():
    e0 = orthonormal_modes(3)
    f0 = np.arange(3 * N_ATOMS, dtype=float) * 10 + 100
    e1 = e0[[1, 0, *range(2, 3 * N_ATOMS)]]  # first two modes swap places ...
    f1 = f0.copy()
    f1[0], f1[1] = f0[1] + 5.0, f0[0] - 3.0  # ... because they crossed
    result = track_modes(f0, e0, f1, e1)
    assert result.modes[0].index_p1 == 1
    assert result.modes[0].shift_cm1 == pytest.approx(-3.0)
    assert result.modes[1].shift_cm1 == pytest.approx(5.0)


def test_mixed_modes_give_partial_overlap():
    e0 = orthonormal_modes(4)
    e1 = e0.copy()
    c, s = np.cos(0.3), np.sin(0.3)
    e1[0], e1[1] = c * e0[0] + s * e0[1], -s * e0[0] + c * e0[1]
    result = track_modes(np.arange(18.0), e0, np.arange(18.0), e1)
    assert result.modes[0].overlap == pytest.approx(c**2)
    assert result.modes[0].index_p1 == 0


def test_cell_mapping_undoes_a_uniform_strain():
    rng = np.random.default_rng(5)
    masses = rng.uniform(1.0, 127.0, size=N_ATOMS)
    cell0 = np.array([[7.0, 0.0, 0.0], [0.5, 8.0, 0.0], [0.3, -0.4, 9.0]])
    strain = np.eye(3) + np.array([[-0.04, 0.01, 0.0], [0.01, -0.03, 0.005], [0.0, 0.005, -0.05]])
    cell1 = cell0 @ strain
    e0 = orthonormal_modes(6)
    # the same displacement patterns, strained along with the crystal
    u0 = e0 / np.sqrt(masses)[None, :, None]
    e1 = (u0 @ strain) * np.sqrt(masses)[None, :, None]
    e1 /= np.sqrt((e1**2).sum(axis=(1, 2)))[:, None, None]
    raw = np.diag(overlap_matrix(e0, e1))
    mapped = map_to_cell(e1, masses, cell1, cell0)
    assert raw.min() < 1 - 1e-5  # a strain alone lowers the raw overlap a little
    np.testing.assert_allclose(np.diag(overlap_matrix(e0, mapped)), 1.0, atol=1e-10)
    result = track_modes(np.arange(18.0), e0, np.arange(18.0), e1, masses=masses, cell_p0=cell0, cell_p1=cell1)
    np.testing.assert_allclose(result.overlaps, 1.0, atol=1e-10)


def test_mismatches_raise():
    e0 = orthonormal_modes(7)
    with pytest.raises(ModeTrackingError, match="same number"):
        track_modes(np.arange(18.0), e0, np.arange(17.0), e0[:17])
    with pytest.raises(ModeTrackingError, match="order"):
        track_modes(np.arange(18.0), e0, np.arange(18.0), e0, numbers_p0=[1] * 6, numbers_p1=[1] * 5 + [6])
    with pytest.raises(ModeTrackingError, match="together"):
        track_modes(np.arange(18.0), e0, np.arange(18.0), e0, masses=np.ones(6))
    with pytest.raises(ModeTrackingError, match="atoms"):
        overlap_matrix(e0, orthonormal_modes(8, n_atoms=5))


def test_blue_shift_fraction():
    assert blue_shift_fraction([5.0, -2.0, 3.0, 0.0]) == pytest.approx(0.5)
    assert blue_shift_fraction([5.0, -2.0], weights=[1.0, 3.0]) == pytest.approx(0.25)
    assert blue_shift_fraction([0.5, 2.0, -4.0], tolerance_cm1=1.0) == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        blue_shift_fraction([])
    with pytest.raises(ValueError):
        blue_shift_fraction([1.0], weights=[0.0])
    with pytest.raises(ValueError):
        blue_shift_fraction([1.0, 2.0], weights=[1.0, -1.0])


def test_set_overlap_sees_a_band_whose_components_mix_as_tracked():
    e0 = orthonormal_modes(9)
    e1 = e0.copy()
    c, s = np.cos(np.pi / 4), np.sin(np.pi / 4)  # modes 0 and 1 (one band) mix half and half
    e1[0], e1[1] = c * e0[0] + s * e0[1], -s * e0[0] + c * e0[1]
    result = track_modes(np.arange(18.0), e0, np.arange(18.0), e1)
    assert result.overlaps[0] == pytest.approx(0.5)
    assert result.set_overlap([0]) == pytest.approx(0.5)  # one mode: its pair overlap
    assert result.set_overlap([0, 1]) == pytest.approx(1.0)  # the band as a whole is the same
    assert result.set_overlap([0, 1], weights=[1.0, 0.0]) == pytest.approx(1.0)
    assert result.set_overlap([2]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="at least one"):
        result.set_overlap([])


def test_set_overlap_without_a_matrix_is_the_mean_pair_overlap():
    modes = tuple(TrackedMode(i, i, 100.0 + i, 101.0 + i, 1.0, o) for i, o in enumerate((0.9, 0.3)))
    tracking = ModeTracking(modes)
    assert tracking.set_overlap([0, 1]) == pytest.approx(0.6)
    assert tracking.set_overlap([0, 1], weights=[3.0, 1.0]) == pytest.approx(0.75)


def test_blue_fraction_counts_untracked_modes_as_neither_blue_nor_red():
    shifts, weights = [5.0, 3.0, -2.0, 796.0], [1.0, 1.0, 1.0, 1.0]
    result = blue_fraction_with_tracking(shifts, weights, [0.99, 0.95, 0.9, 0.18], min_overlap=0.5)
    assert (result.lower, result.upper) == pytest.approx((0.5, 0.75))
    assert result.tracked_only == pytest.approx(2 / 3)
    assert result.untracked_weight_fraction == pytest.approx(0.25) and result.n_untracked == 1
    assert result.to_dict()["min_overlap"] == 0.5
    nothing_tracked = blue_fraction_with_tracking([1.0], None, [0.1], min_overlap=0.5)
    assert nothing_tracked.tracked_only is None and nothing_tracked.untracked_weight_fraction == 1.0
    with pytest.raises(ValueError, match="one finite overlap per shift"):
        blue_fraction_with_tracking([1.0, 2.0], None, [0.9], min_overlap=0.5)
    with pytest.raises(ValueError, match="one finite overlap per shift"):
        blue_fraction_with_tracking([1.0], None, [float("nan")], min_overlap=0.5)


_shift = st.floats(-500.0, 500.0, allow_nan=False)
_modes = st.lists(st.tuples(_shift, st.floats(0.0, 10.0), st.floats(0.0, 1.0)), min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(_modes, st.floats(0.0, 1.0), st.floats(0.0, 5.0))
def test_blue_fraction_bounds_properties(modes, min_overlap, tolerance):
    shifts, weights, overlaps = (np.array(x) for x in zip(*modes))
    if weights.sum() <= 0:
        weights = weights + 1.0
    result = blue_fraction_with_tracking(shifts, weights, overlaps, min_overlap=min_overlap, tolerance_cm1=tolerance)
    everything = blue_shift_fraction(shifts, weights, tolerance_cm1=tolerance)
    # whatever the untracked modes really did, the true fraction lies between the bounds
    assert result.lower - 1e-12 <= everything <= result.upper + 1e-12
    assert result.upper - result.lower == pytest.approx(min(result.untracked_weight_fraction, 1 - result.lower),
                                                        abs=1e-12)
    if not np.any(overlaps < min_overlap):  # all tracked: the plain fraction, unchanged
        assert result.lower == pytest.approx(everything) and result.untracked_weight_fraction == 0.0
    # an untracked mode's shift cannot move the result
    garbled = np.where(overlaps < min_overlap, -shifts + 1000.0, shifts)
    assert blue_fraction_with_tracking(garbled, weights, overlaps, min_overlap=min_overlap,
                                       tolerance_cm1=tolerance) == result
