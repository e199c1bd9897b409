"""Follow phonon modes from one pressure to another by eigenvector overlap.

Frequencies alone cannot say which mode went where: under pressure bands cross,
and sorting both lists by frequency pairs the wrong modes. Here the modes at the
two pressures are paired by solving an assignment problem on the overlaps

    O_ij = |<e_i(P0) | e_j(P1)>|^2      (mass-weighted, normalised eigenvectors)

(``scipy.optimize.linear_sum_assignment``, maximising the total overlap), so every
mode at P0 gets exactly one partner at P1. Each pair's shift is
``frequency(P1) - frequency(P0)`` in cm-1 (positive = blue shift) and its overlap
says how sure the pairing is (1 = same eigenvector; degenerate or mixing modes
give less).

How sure is sure enough is declared, not assumed: thresholds.toml holds the least overlap
at which a band counts as tracked (``tracking_overlap``, see
:mod:`insbench.metrics.pressure_thresholds`). A band of several modes (near-degenerate
components of one vibration, which mix freely under pressure) is judged by its *set
overlap* (:meth:`ModeTracking.set_overlap`): how much of the band's eigenvector space at P0
is found in its partners' space at P1, so mixing inside a band does not count as lost.

Both sets must describe the same atoms in the same order. The cell may differ
(compression): before comparing, the eigenvectors at P1 are mapped into the cell
of P0 by the homogeneous deformation that takes cell P1 to cell P0
(``u -> u @ inv(cell1) @ cell0`` on the Cartesian displacements) and renormalised,
so a uniform strain of the crystal does not by itself reduce overlaps.

This module never runs a calculator; it only compares arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np


class ModeTrackingError(ValueError):
    """The two sets of modes cannot be compared (different atoms, order or shapes)."""


@dataclass(frozen=True)
class TrackedMode:
    """One mode at P0 and its partner at P1."""

    index_p0: int
    index_p1: int
    frequency_p0_cm1: float
    frequency_p1_cm1: float
    shift_cm1: float
    overlap: float
    label: str = ""

    def to_row(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ModeTracking:
    """All pairs, in the order of the modes at P0."""

    modes: tuple[TrackedMode, ...]
    pressure_p0_gpa: float | None = None
    pressure_p1_gpa: float | None = None
    #: O_ij (P0 mode i, P1 mode j); None when the tracking was built by hand from pairs
    overlap_matrix: np.ndarray | None = field(default=None, repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.modes)

    @property
    def shifts_cm1(self) -> np.ndarray:
        return np.array([m.shift_cm1 for m in self.modes])

    @property
    def overlaps(self) -> np.ndarray:
        return np.array([m.overlap for m in self.modes])

    @property
    def permutation(self) -> np.ndarray:
        """``permutation[i]`` is the index at P1 of mode i at P0."""
        return np.array([m.index_p1 for m in self.modes], dtype=int)

    def rows(self) -> list[dict]:
        return [m.to_row() for m in self.modes]

    def set_overlap(self, indices: Sequence[int], weights: Sequence[float] | None = None) -> float:
        """How well a set of P0 modes (a band) is followed to P1, in [0, 1].

        For each mode i of the set, the part of its eigenvector found in the span of the
        set's partners at P1, ``sum_j O_ij`` over the partners j; then the (weighted) mean
        over the set, capped at 1 (after the cell mapping the P1 eigenvectors are not
        exactly orthonormal, so a sum can exceed 1 by a few %). For one mode this is its
        pair overlap; for a band whose components mix among themselves it stays near 1.
        Without an overlap matrix (a tracking built from pairs) it is the (weighted) mean
        pair overlap, which is never larger.
        """
        idx = np.asarray(indices, dtype=int)
        if idx.size == 0:
            raise ValueError("set_overlap needs at least one mode")
        if self.overlap_matrix is None:
            per_mode = self.overlaps[idx]
        else:
            per_mode = self.overlap_matrix[np.ix_(idx, self.permutation[idx])].sum(axis=1)
        w = np.ones(idx.size) if weights is None else np.asarray(weights, dtype=float)
        mean = float(np.average(per_mode, weights=w)) if w.sum() > 0 else float(per_mode.mean())
        return min(1.0, mean)


def _as_modes(eigenvectors: np.ndarray, name: str) -> np.ndarray:
    e = np.asarray(eigenvectors)
    if e.ndim == 2:  # (n_modes, 3N) flat
        if e.shape[1] % 3:
            raise ModeTrackingError(f"{name}: flat eigenvectors need 3N columns, got {e.shape[1]}")
        e = e.reshape(e.shape[0], -1, 3)
    if e.ndim != 3 or e.shape[2] != 3:
        raise ModeTrackingError(f"{name}: eigenvectors must have shape (n_modes, n_atoms, 3), got {e.shape}")
    return e


def map_to_cell(eigenvectors: np.ndarray, masses: np.ndarray, cell_from: np.ndarray,
                cell_to: np.ndarray) -> np.ndarray:
    """Mass-weighted eigenvectors of a crystal with ``cell_from`` expressed in ``cell_to``:
    Cartesian displacements transformed by the homogeneous deformation ``inv(cell_from) @
    cell_to`` (rows are lattice vectors), mass weighting restored, each mode renormalised."""
    e = _as_modes(eigenvectors, "eigenvectors")
    sqrt_m = np.sqrt(np.asarray(masses, dtype=float))[None, :, None]
    deformation = np.linalg.solve(np.asarray(cell_from, dtype=float), np.asarray(cell_to, dtype=float))
    u = (e / sqrt_m) @ deformation
    out = u * sqrt_m
    norms = np.sqrt((np.abs(out) ** 2).sum(axis=(1, 2)))
    return out / norms[:, None, None]


def overlap_matrix(eigenvectors_p0: np.ndarray, eigenvectors_p1: np.ndarray) -> np.ndarray:
    """``O_ij = |<e_i(P0)|e_j(P1)>|^2`` for normalised mass-weighted eigenvectors."""
    a = _as_modes(eigenvectors_p0, "eigenvectors_p0").reshape(len(eigenvectors_p0), -1)
    b = _as_modes(eigenvectors_p1, "eigenvectors_p1").reshape(len(eigenvectors_p1), -1)
    if a.shape[1] != b.shape[1]:
        raise ModeTrackingError(f"the two sets have {a.shape[1] // 3} and {b.shape[1] // 3} atoms; "
                                "track modes of the same crystal (same atoms, same order)")
    return np.abs(np.conj(a) @ b.T) ** 2


def track_modes(
    frequencies_p0_cm1: Sequence[float],
    eigenvectors_p0: np.ndarray,
    frequencies_p1_cm1: Sequence[float],
    eigenvectors_p1: np.ndarray,
    *,
    labels: Sequence[str] | None = None,
    masses: Sequence[float] | None = None,
    cell_p0: np.ndarray | None = None,
    cell_p1: np.ndarray | None = None,
    numbers_p0: Sequence[int] | None = None,
    numbers_p1: Sequence[int] | None = None,
    pressure_p0_gpa: float | None = None,
    pressure_p1_gpa: float | None = None,
) -> ModeTracking:
    """Pair every mode at P0 with one at P1 by maximum total eigenvector overlap.

    Args:
        frequencies_*_cm1, eigenvectors_*: modes at each pressure; eigenvectors
            mass-weighted and normalised, ``(n_modes, n_atoms, 3)``.
        labels: a band label per mode at P0 (e.g. from
            :func:`insbench.physics.modes.assign_modes`), copied into the result.
        masses, cell_p0, cell_p1: give all three to map P1's eigenvectors into
            P0's cell first (see the module docstring); cells are 3x3, rows are
            lattice vectors, Angstrom.
        numbers_p0, numbers_p1: atomic numbers; if given they must be equal
            (the check that the atom order is the same).

    Raises:
        ModeTrackingError: shapes, atoms or atom order differ.
    """
    f0 = np.asarray(frequencies_p0_cm1, dtype=float)
    f1 = np.asarray(frequencies_p1_cm1, dtype=float)
    e0 = _as_modes(eigenvectors_p0, "eigenvectors_p0")
    e1 = _as_modes(eigenvectors_p1, "eigenvectors_p1")
    if len(f0) != len(e0) or len(f1) != len(e1):
        raise ModeTrackingError("each set needs one frequency per eigenvector")
    if len(e0) != len(e1):
        raise ModeTrackingError(f"{len(e0)} modes at P0 but {len(e1)} at P1; the same crystal has the same number")
    if numbers_p0 is not None and numbers_p1 is not None and list(numbers_p0) != list(numbers_p1):
        raise ModeTrackingError("the atoms differ in kind or order between the two pressures; "
                                "reorder one structure to match the other before phonons are computed")
    if labels is not None and len(labels) != len(e0):
        raise ModeTrackingError(f"{len(labels)} labels for {len(e0)} modes")
    given = [x is not None for x in (masses, cell_p0, cell_p1)]
    if any(given) and not all(given):
        raise ModeTrackingError("to map between cells pass masses, cell_p0 and cell_p1 together")
    if all(given):
        e1 = map_to_cell(e1, np.asarray(masses), np.asarray(cell_p1), np.asarray(cell_p0))
    overlaps = overlap_matrix(e0, e1)
    from scipy.optimize import linear_sum_assignment

    rows, cols = linear_sum_assignment(overlaps, maximize=True)
    order = np.argsort(rows)
    rows, cols = rows[order], cols[order]
    modes = tuple(
        TrackedMode(
            index_p0=int(i),
            index_p1=int(j),
            frequency_p0_cm1=float(f0[i]),
            frequency_p1_cm1=float(f1[j]),
            shift_cm1=float(f1[j] - f0[i]),
            overlap=float(overlaps[i, j]),
            label="" if labels is None else str(labels[i]),
        )
        for i, j in zip(rows, cols)
    )
    return ModeTracking(modes, pressure_p0_gpa, pressure_p1_gpa, overlap_matrix=overlaps)


def blue_shift_fraction(shifts_cm1: Sequence[float], weights: Sequence[float] | None = None,
                        *, tolerance_cm1: float = 0.0) -> float:
    """Weighted fraction of modes that shift up in energy by more than ``tolerance_cm1``.

    ``weights`` (e.g. INS weights, so that what a spectrum shows counts most)
    default to 1 per mode. Modes within the tolerance count as neither blue nor
    red but stay in the denominator. Raises ValueError for empty input or
    weights that are negative or sum to zero.
    """
    s = np.asarray(shifts_cm1, dtype=float)
    w = np.ones_like(s) if weights is None else np.asarray(weights, dtype=float)
    if s.size == 0 or w.shape != s.shape:
        raise ValueError(f"need one weight per shift and at least one shift (got {s.shape}, {w.shape})")
    if np.any(w < 0) or not np.all(np.isfinite(w)) or not np.all(np.isfinite(s)):
        raise ValueError("shifts and weights must be finite, weights >= 0")
    total = float(w.sum())
    if total <= 0:
        raise ValueError("weights sum to zero")
    return float(w[s > tolerance_cm1].sum() / total)


@dataclass(frozen=True)
class BlueFraction:
    """The blue fraction of a set of modes, some of which may not be tracked reliably.

    A mode below the minimum overlap has no trustworthy shift, so it is counted as
    neither blue nor red but stays in the denominator: ``lower`` is the fraction if every
    untracked mode were red, ``upper`` if every one were blue (``upper - lower`` =
    ``untracked_weight_fraction``). ``tracked_only`` leaves the untracked modes out
    altogether (for information; it is not bounded by the untracked share).
    """

    lower: float
    upper: float
    tracked_only: float | None  # None when no mode is tracked
    untracked_weight_fraction: float
    n_modes: int
    n_untracked: int
    min_overlap: float

    def to_dict(self) -> dict:
        return asdict(self)


def blue_fraction_with_tracking(shifts_cm1: Sequence[float], weights: Sequence[float] | None,
                                overlaps: Sequence[float], *, min_overlap: float,
                                tolerance_cm1: float = 0.0) -> BlueFraction:
    """:func:`blue_shift_fraction` that does not trust a mode tracked with overlap < ``min_overlap``.

    See :class:`BlueFraction`. Raises ValueError as :func:`blue_shift_fraction` does, and
    for overlaps that are not one finite number per shift.
    """
    s = np.asarray(shifts_cm1, dtype=float)
    w = np.ones_like(s) if weights is None else np.asarray(weights, dtype=float)
    o = np.asarray(overlaps, dtype=float)
    if o.shape != s.shape or not np.all(np.isfinite(o)):
        raise ValueError(f"need one finite overlap per shift (got {o.shape} for {s.shape})")
    tracked = o >= min_overlap
    # an untracked mode counts as neither blue nor red (its shift is set to the tolerance)
    lower = blue_shift_fraction(np.where(tracked, s, tolerance_cm1), w, tolerance_cm1=tolerance_cm1)
    share = float(w[~tracked].sum() / w.sum())
    only = (blue_shift_fraction(s[tracked], w[tracked], tolerance_cm1=tolerance_cm1)
            if tracked.any() and w[tracked].sum() > 0 else None)
    return BlueFraction(lower, min(1.0, lower + share), only, share, int(s.size), int((~tracked).sum()),
                        float(min_overlap))
