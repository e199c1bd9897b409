"""Scale-free distances between two non-negative curves on the same (possibly uneven) grid.

Both distances clip negative values to 0 (an INS spectrum or an RDF is
non-negative; small negative values come from background subtraction or noise)
and normalise each curve (divide by its maximum, then by its area) BEFORE any
other arithmetic, so they are invariant to multiplying either curve by a positive
constant and do not under- or overflow for values anywhere in 1e-300..1e300.
Integrals use the trapezoid rule on the given grid.

:func:`wasserstein1` is the one W1 of insbench: spectra (cm-1, via
:func:`wasserstein1_cm1`) and radial distribution functions (Angstrom) both use it.
"""

from __future__ import annotations

import numpy as np

from ._grid import area_normalise, check_grid, trapezoid_weights


def _cumulative_trapezoid(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Running trapezoid integral of y over x, starting at 0."""
    out = np.zeros_like(y)
    out[1:] = np.cumsum(0.5 * (y[1:] + y[:-1]) * np.diff(x))
    return out


def wasserstein1(x: np.ndarray, p: np.ndarray, q: np.ndarray, *, unit: str = "") -> float:
    """Earth mover's (Wasserstein-1) distance between two curves, in the units of ``x``.

    ``p`` and ``q`` are values on the grid ``x`` (strictly increasing, may be
    uneven, at least 2 points).  Each is clipped at 0, divided by its maximum and
    then by its trapezoid area, so only the shapes matter.  With P and Q the
    cumulative (trapezoid) integrals of the normalised curves,

        W1 = integral over the grid of |P(x) - Q(x)| dx

    (trapezoid rule).  It is the mean distance weight has to be moved to turn one
    curve into the other: a narrow peak shifted by d gives W1 ~ d.  It lies
    between 0 and the width of the grid.

    Raises :class:`~insbench.metrics.MetricInputError` if the arrays do not
    match the grid, are not finite, or a curve has no positive area.
    """
    grid = check_grid(x, p, q, unit=unit or "units of x")
    p_n = area_normalise(grid, p, "p")
    q_n = area_normalise(grid, q, "q")
    cdf_gap = np.abs(_cumulative_trapezoid(grid, p_n) - _cumulative_trapezoid(grid, q_n))
    return float(np.sum(trapezoid_weights(grid) * cdf_gap))


def wasserstein1_cm1(energy_cm1: np.ndarray, p: np.ndarray, q: np.ndarray) -> float:
    """:func:`wasserstein1` of two spectra on an energy grid in cm-1 (result in cm-1)."""
    return wasserstein1(energy_cm1, p, q, unit="cm-1")


def cosine_overlap(energy_cm1: np.ndarray, p: np.ndarray, q: np.ndarray) -> float:
    """Cosine similarity of two curves on an uneven grid, in [0, 1].

    With trapezoid weights w_i and p, q clipped at 0 and normalised (as in
    :func:`wasserstein1`),

        cos = sum(w p q) / sqrt(sum(w p^2) * sum(w q^2))

    i.e. the normalised L2 inner product of the two curves.  It is 1 for
    proportional curves, 0 for curves with no overlapping intensity, and
    does not change if either is multiplied by a positive constant.

    Raises :class:`~insbench.metrics.MetricInputError` if the arrays do not
    match the grid, are not finite, or one curve is zero everywhere.
    """
    x = check_grid(energy_cm1, p, q)
    w = trapezoid_weights(x)
    p_n = area_normalise(x, p, "p")
    q_n = area_normalise(x, q, "q")
    pq = float(np.sum(w * p_n * q_n))
    pp = float(np.sum(w * p_n * p_n))
    qq = float(np.sum(w * q_n * q_n))
    return float(min(1.0, max(0.0, pq / np.sqrt(pp * qq))))
