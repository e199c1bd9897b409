"""Mode tracking by eigenvector overlap on synthetic eigenvectors (random orthonormal
sets; not from any physical model)."""

from __future__ import annotations

import numpy as np
import pytest

from insbench.metrics.mode_tracking import (
    ModeTrackingError,
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
