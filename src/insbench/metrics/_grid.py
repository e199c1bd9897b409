"""Small helpers for spectra on uneven energy grids (trapezoid rule)."""

from __future__ import annotations

import numpy as np

from .errors import MetricInputError


def check_grid(energy_cm1: np.ndarray, *arrays: np.ndarray, unit: str = "cm-1") -> np.ndarray:
    """Return ``energy_cm1`` (any grid, in ``unit``) as floats after checking it and the arrays.

    The grid must be 1-D, finite, strictly increasing, with at least 2 points,
    and every array must have its shape and be finite.
    """
    x = np.asarray(energy_cm1, dtype=float)
    name = "energy_cm1" if unit == "cm-1" else f"the grid ({unit})"
    if x.ndim != 1 or x.size < 2:
        raise MetricInputError(
            f"{name} must be a 1-D grid of at least 2 points, got shape {x.shape}"
        )
    if not np.all(np.isfinite(x)) or np.any(np.diff(x) <= 0):
        raise MetricInputError(f"{name} must be finite and strictly increasing")
    for i, a in enumerate(arrays):
        a = np.asarray(a, dtype=float)
        if a.shape != x.shape:
            raise MetricInputError(
                f"array {i} has shape {a.shape} but {name} has shape {x.shape}; "
                "put both curves on the same grid first (e.g. Spectrum1D.interpolate_to)"
            )
        if not np.all(np.isfinite(a)):
            raise MetricInputError(f"array {i} contains NaN or infinite values")
    return x


def trapezoid_weights(energy_cm1: np.ndarray) -> np.ndarray:
    """Weights w (cm-1) such that sum(w * f) is the trapezoid integral of f over the grid."""
    x = np.asarray(energy_cm1, dtype=float)
    dx = np.diff(x)
    w = np.zeros_like(x)
    w[:-1] += 0.5 * dx
    w[1:] += 0.5 * dx
    return w


def area_normalise(
    energy_cm1: np.ndarray, intensity: np.ndarray, name: str
) -> np.ndarray:
    """Clip ``intensity`` at 0 and divide it by its trapezoid area (result has units 1/x).

    The values are divided by their maximum first, so no product or sum can
    overflow or underflow whatever the units (1e-300 .. 1e300 give the same result).
    Raises :class:`MetricInputError` naming ``name`` if nothing positive is left.
    """
    y = np.clip(np.asarray(intensity, dtype=float), 0.0, None)
    peak = float(np.max(y)) if y.size else 0.0
    if peak > 0.0:
        y = y / peak
    area = float(np.sum(trapezoid_weights(energy_cm1) * y))
    if not area > 0.0:
        raise MetricInputError(
            f"{name} has no positive area on the grid (all values <= 0 after clipping); "
            "it cannot be normalised"
        )
    return y / area
