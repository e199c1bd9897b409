"""Fit measured ~ scale * simulated + smooth non-negative background.

A measured INS spectrum holds, besides the fundamentals and the low orders a
simulation includes, a smooth background (instrument background and the
higher multiphonon orders).  Its intensity scale is arbitrary.  Before shapes
are compared, the simulated spectrum is scaled and a low-order background is
added so that the sum best matches the measured spectrum in a window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import lsq_linear

from ..spectra import Spectrum1D
from .errors import MetricInputError

#: Background forms and the polynomial degree of each (None = no background).
BACKGROUND_FORMS: dict[str, int | None] = {
    "none": None,
    "constant": 0,
    "linear": 1,
    "quadratic": 2,
}

#: Names of the Bernstein coefficients of each degree: the background at the low
#: edge, (for quadratics) the middle control point, and the high edge.
_COEFFICIENT_NAMES: dict[int, tuple[str, ...]] = {
    0: ("background",),
    1: ("background_lo", "background_hi"),
    2: ("background_lo", "background_mid", "background_hi"),
}

#: Zero measured errors are replaced by this fraction of the median positive error.
_ERROR_FLOOR_FRACTION = 1e-3

#: The fewest measured points in a window that the fit accepts by default.
DEFAULT_MIN_POINTS = 20


@dataclass(frozen=True)
class FitParameter:
    """One fitted coefficient, with its unit and meaning."""

    value: float
    unit: str
    description: str

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "unit": self.unit, "description": self.description}


@dataclass(frozen=True)
class BackgroundFit:
    """Result of :func:`fit_scale_and_background`.

    ``scale`` multiplies the simulated intensities into measured units.
    ``parameters`` names every coefficient (scale and background) with its unit.
    ``reduced_chi2`` is chi^2 / (n_points - n_parameters) with the measured
    errors; it is None when the measured spectrum has no errors.
    The arrays are on the measured grid inside the window:
    ``measured_minus_background`` and ``scaled_simulated`` are what the
    shape metrics compare.
    """

    scale: float
    form: str
    parameters: dict[str, FitParameter]
    window_cm1: tuple[float, float]
    reduced_chi2: float | None
    energy_cm1: np.ndarray
    measured_minus_background: np.ndarray
    scaled_simulated: np.ndarray
    background: np.ndarray

    def to_dict(self, include_arrays: bool = True) -> dict[str, Any]:
        """JSON-safe dictionary (arrays as lists unless ``include_arrays`` is False)."""
        out: dict[str, Any] = {
            "scale": self.scale,
            "form": self.form,
            "parameters": {k: p.to_dict() for k, p in self.parameters.items()},
            "window_cm1": list(self.window_cm1),
            "reduced_chi2": self.reduced_chi2,
            "n_points": int(self.energy_cm1.size),
        }
        if include_arrays:
            out["energy_cm1"] = self.energy_cm1.tolist()
            out["measured_minus_background"] = self.measured_minus_background.tolist()
            out["scaled_simulated"] = self.scaled_simulated.tolist()
            out["background"] = self.background.tolist()
        return out


def check_window(window_cm1: tuple[float, float]) -> tuple[float, float]:
    """Return the window as two floats after checking lo < hi, both finite."""
    try:
        lo, hi = (float(v) for v in window_cm1)
    except (TypeError, ValueError) as exc:
        raise MetricInputError(
            f"window_cm1 must be two numbers (lo, hi) in cm-1, got {window_cm1!r}"
        ) from exc
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise MetricInputError(
            f"window_cm1 = ({lo}, {hi}) is not a valid window; give finite lo < hi in cm-1"
        )
    return lo, hi


def check_measured(
    measured: Spectrum1D, window_cm1: tuple[float, float], min_points: int
) -> Spectrum1D:
    """Return the measured spectrum cut to the window, or raise MetricInputError.

    Checks the reference side of a comparison: finite values, a window that
    overlaps the data, and at least ``min_points`` points inside it.
    """
    lo, hi = check_window(window_cm1)
    label = measured.label or "measured spectrum"
    arrays = [measured.energy_cm1, measured.intensity]
    if measured.error is not None:
        arrays.append(measured.error)
    if not all(np.all(np.isfinite(a)) for a in arrays):
        raise MetricInputError(
            f"{label}: contains NaN or infinite values; fix or drop those points in the "
            "reference data before scoring"
        )
    x = measured.energy_cm1
    if hi < x[0] or lo > x[-1]:
        raise MetricInputError(
            f"{label}: scoring window {lo:g}-{hi:g} cm-1 lies outside the measured data "
            f"({x[0]:g}-{x[-1]:g} cm-1); choose a window inside the data"
        )
    n_in = int(np.count_nonzero((x >= lo) & (x <= hi)))
    if n_in < min_points:
        raise MetricInputError(
            f"{label}: only {n_in} measured points in the window {lo:g}-{hi:g} cm-1, "
            f"fewer than the {min_points} needed; widen the window or lower min_points_in_window"
        )
    return measured.window(lo, hi)


def _weights(error: np.ndarray | None, n: int) -> np.ndarray:
    """1/sigma per point; unit weights if there are no (positive) errors."""
    if error is None or not np.any(error > 0):
        return np.ones(n)
    floor = _ERROR_FLOOR_FRACTION * float(np.median(error[error > 0]))
    return 1.0 / np.maximum(error, floor)


#: The background may exceed the measured intensity by at most this many standard
#: deviations anywhere in the window: it is what lies under the peaks, not a line
#: through them (a least-squares line through a spectrum whose peaks the model misses
#: would eat half the signal).
ENVELOPE_SIGMA = 2.0


def _errors_or_zero(error: np.ndarray | None, n: int) -> np.ndarray:
    return np.zeros(n) if error is None else np.asarray(error, dtype=float)


def _keep_background_under_data(
    a_n: np.ndarray,
    y_n: np.ndarray,
    start: np.ndarray,
    *,
    background_rows: np.ndarray,
    ceiling: np.ndarray,
    first_is_scale: bool,
) -> np.ndarray:
    """Re-solve the bounded least squares with background(x_i) <= ceiling_i.

    All quantities are in the normalised units of the caller. A quadratic programme
    in at most four unknowns, solved with SLSQP from the unconstrained solution.
    """
    from scipy.optimize import minimize

    offset = 1 if first_is_scale else 0
    ceiling = np.maximum(ceiling, 0.0)

    def background(c: np.ndarray) -> np.ndarray:
        return background_rows @ c[offset:]

    if np.all(background(start) <= ceiling + 1e-12):
        return start
    feasible = start.copy()
    peak = np.max(background(start) / np.maximum(ceiling, 1e-300))
    feasible[offset:] = start[offset:] / max(peak, 1.0)  # shrink the background until it fits

    result = minimize(
        lambda c: float(np.sum((a_n @ c - y_n) ** 2)),
        feasible,
        jac=lambda c: 2.0 * a_n.T @ (a_n @ c - y_n),
        bounds=[(0.0, None)] * start.size,
        constraints=[{
            "type": "ineq",
            "fun": lambda c: ceiling - background(c),
            "jac": lambda c: -np.hstack([np.zeros((ceiling.size, offset)), background_rows]),
        }],
        method="SLSQP",
        options={"maxiter": 200, "ftol": 1e-12},
    )
    solution = np.maximum(result.x, 0.0)
    if not np.all(background(solution) <= ceiling + 1e-9):
        return feasible
    return solution


def _bernstein_basis(u: np.ndarray, degree: int) -> np.ndarray:
    """Bernstein polynomials of ``degree`` on u in [0, 1], one column each."""
    if degree == 0:
        return np.ones((u.size, 1))
    if degree == 1:
        return np.column_stack([1.0 - u, u])
    return np.column_stack([(1.0 - u) ** 2, 2.0 * u * (1.0 - u), u**2])


def fit_scale_and_background(
    simulated: Spectrum1D,
    measured: Spectrum1D,
    window_cm1: tuple[float, float],
    form: str = "linear",
    *,
    min_points: int = DEFAULT_MIN_POINTS,
) -> BackgroundFit:
    """Fit measured ~ scale * simulated + background(x) inside a window.

    The simulated spectrum is linearly interpolated onto the measured energies
    x (cm-1) with lo <= x <= hi (0 where it has no data).  With the window
    coordinate u = (x - lo) / (hi - lo) in [0, 1] (centred and scaled, for
    conditioning) the background forms are, in measured intensity units:

    * ``"none"``:      b(x) = 0
    * ``"constant"``:  b(x) = b0
    * ``"linear"``:    b(x) = b_lo * (1 - u) + b_hi * u
    * ``"quadratic"``: b(x) = b_lo * (1 - u)^2 + 2 b_mid * u (1 - u) + b_hi * u^2

    i.e. Bernstein polynomials whose coefficients are all bounded >= 0, which
    makes the background non-negative across the whole window (for the
    linear form exactly the set of non-negative lines; for the quadratic a
    sufficient condition, which excludes only backgrounds with a deep dip).
    b_lo and b_hi are the background at the window edges; b_mid is a control
    point, not a value.  ``scale`` is bounded >= 0; a fitted scale of 0 means
    the simulated spectrum cannot explain the measured one with a positive
    weight and is left for the caller to judge.

    The fit is weighted linear least squares (scipy ``lsq_linear`` with
    bounds) using 1/error of the measured spectrum as weights when errors are
    present (zero errors are floored at 1e-3 of the median error), unit weights
    otherwise.  Columns and data are normalised before solving, so the result
    scales exactly with the measured intensities: multiplying them (and their
    errors) by c > 0 multiplies scale and background by c and leaves
    reduced chi^2 and every shape score unchanged.

    Raises :class:`MetricInputError` for bad reference data (see
    :func:`check_measured`) and ValueError for an unknown form or a simulated
    spectrum with non-finite values.
    """
    if form not in BACKGROUND_FORMS:
        raise ValueError(
            f"unknown background form {form!r}; choose one of {', '.join(BACKGROUND_FORMS)}"
        )
    lo, hi = check_window(window_cm1)
    cut = check_measured(measured, (lo, hi), min_points)
    if not (
        np.all(np.isfinite(simulated.intensity))
        and np.all(np.isfinite(simulated.energy_cm1))
    ):
        raise ValueError(
            f"simulated spectrum {simulated.label!r} contains NaN or infinite values"
        )
    x, y = cut.energy_cm1, cut.intensity
    sim = simulated.interpolate_to(x)

    degree = BACKGROUND_FORMS[form]
    columns = [sim[:, None]]
    if degree is not None:
        columns.append(_bernstein_basis((x - lo) / (hi - lo), degree))
    design = np.hstack(columns)

    w = _weights(cut.error, x.size)
    a_w = design * w[:, None]
    y_w = y * w
    col_norm = np.linalg.norm(a_w, axis=0)
    active = (
        col_norm > 0.0
    )  # an all-zero column (e.g. simulated is 0 here) keeps coefficient 0
    y_norm = float(np.linalg.norm(y_w)) or 1.0
    coeffs = np.zeros(design.shape[1])
    if np.any(active):
        a_n = a_w[:, active] / col_norm[active]
        solution = lsq_linear(a_n, y_w / y_norm, bounds=(0.0, np.inf), method="bvls")
        normalised = np.maximum(solution.x, 0.0)
        if degree is not None:
            normalised = _keep_background_under_data(
                a_n, y_w / y_norm, normalised,
                background_rows=design[:, 1:][:, active[1:]] / col_norm[1:][active[1:]],
                ceiling=(y + ENVELOPE_SIGMA * _errors_or_zero(cut.error, x.size)) / y_norm,
                first_is_scale=bool(active[0]),
            )
        coeffs[active] = normalised * y_norm / col_norm[active]

    scale = float(coeffs[0])
    background = design[:, 1:] @ coeffs[1:] if degree is not None else np.zeros_like(x)
    n_free = design.shape[1]
    reduced_chi2: float | None = None
    if cut.error is not None and np.any(cut.error > 0) and x.size > n_free:
        resid_w = (y - scale * sim - background) * w
        reduced_chi2 = float(np.sum(resid_w**2) / (x.size - n_free))

    parameters = {
        "scale": FitParameter(
            scale,
            "measured intensity / simulated intensity",
            "factor taking simulated intensities to measured units",
        )
    }
    if degree is not None:
        for name, value in zip(_COEFFICIENT_NAMES[degree], coeffs[1:]):
            parameters[name] = FitParameter(
                float(value),
                "measured intensity (arbitrary units)",
                f"Bernstein coefficient of the {form} background on u = (x - {lo:g}) / {hi - lo:g}",
            )
    return BackgroundFit(
        scale=scale,
        form=form,
        parameters=parameters,
        window_cm1=(lo, hi),
        reduced_chi2=reduced_chi2,
        energy_cm1=x,
        measured_minus_background=y - background,
        scaled_simulated=scale * sim,
        background=background,
    )
