"""Scale-free distances between two spectra on the same (possibly uneven) grid.

Both functions clip negative intensities to 0 before use (an INS spectrum is
non-negative; small negative values come from background subtraction or
noise) and are invariant to multiplying either spectrum by a positive constant,
because measured INS intensities are on an arbitrary scale.
Integrals use the trapezoid rule on the given grid.
"""

from __future__ import annotations

import numpy as np

from ._grid import area_normalise, check_grid, trapezoid_weights


def _cumulative_trapezoid(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Running trapezoid integral of y over x, starting at 0."""
    out = np.zeros_like(y)
    out[1:] = np.cumsum(0.5 * (y[1:] + y[:-1]) * np.diff(x))
    return out


def wasserstein1_cm1(energy_cm1: np.ndarray, p: np.ndarray, q: np.ndarray) -> float:
    """Earth mover's (Wasserstein-1) distance between two spectra, in cm-1.

    ``p`` and ``q`` are intensities on the grid ``energy_cm1`` (cm-1, strictly
    increasing, may be uneven).  Each is clipped at 0 and divided by its
    trapezoid area, so only the shapes matter.  With P and Q the cumulative
    (trapezoid) integrals of the normalised spectra,

        W1 = integral over the grid of |P(x) - Q(x)| dx      [cm-1]

    (evaluated with the trapezoid rule).  It is the mean distance intensity has
    to be moved to turn one spectrum into the other: a narrow peak shifted by
    d cm-1 gives W1 ~ d.  It lies between 0 and the width of the grid.

    Raises :class:`~insbench.metrics.MetricInputError` if the arrays do not
    match the grid, are not finite, or one spectrum has no positive area.
    """
    x = check_grid(energy_cm1, p, q)
    p_n = area_normalise(x, p, "p")
    q_n = area_normalise(x, q, "q")
    cdf_gap = np.abs(_cumulative_trapezoid(x, p_n) - _cumulative_trapezoid(x, q_n))
    return float(np.sum(trapezoid_weights(x) * cdf_gap))


def cosine_overlap(energy_cm1: np.ndarray, p: np.ndarray, q: np.ndarray) -> float:
    """Cosine similarity of two spectra on an uneven grid, in [0, 1].

    With trapezoid weights w_i (cm-1) and p, q clipped at 0,

        cos = sum(w p q) / sqrt(sum(w p^2) * sum(w q^2))

    i.e. the normalised L2 inner product of the two curves.  It is 1 for
    proportional spectra, 0 for spectra with no overlapping intensity, and
    does not change if either spectrum is multiplied by a positive constant.

    Raises :class:`~insbench.metrics.MetricInputError` if the arrays do not
    match the grid, are not finite, or one spectrum is zero everywhere.
    """
    x = check_grid(energy_cm1, p, q)
    w = trapezoid_weights(x)
    # Normalising first keeps the products away from under/overflow.
    p_n = area_normalise(x, p, "p")
    q_n = area_normalise(x, q, "q")
    pq = float(np.sum(w * p_n * q_n))
    pp = float(np.sum(w * p_n * p_n))
    qq = float(np.sum(w * q_n * q_n))
    return float(min(1.0, max(0.0, pq / np.sqrt(pp * qq))))
