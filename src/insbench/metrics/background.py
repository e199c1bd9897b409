"""Fit measured ~ scale * simulated + non-negative background.

The simulation carries its multiphonon orders (insbench.physics.multiphonon), so
the background is what the instrument adds: a non-negative constant by default.  A
declared low-order form (linear, quadratic) is available where a fixture says why
(``ScoringSettings.background_reason``).  The measured intensity scale is arbitrary.

The background must not eat signal.  A least-squares constant fitted next to a
misaligned simulation absorbs the peaks the model puts in the wrong place (a pure
10 cm-1 shift would otherwise "explain" a third of the measured area as
background).  So the background is fitted jointly with the scale while the
simulation is allowed its best stretch, shift and extra broadening
(:func:`insbench.metrics.frequency_scale.align`): the background is what even the
best-aligned model cannot explain.  The shape scores then compare the measured
spectrum minus that background with the simulation as it is (not aligned).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from ..spectra import Spectrum1D
from .errors import MetricInputError
from .frequency_scale import ENVELOPE_SIGMA, Alignment, Window, align

__all__ = ["BACKGROUND_FORMS", "ENVELOPE_SIGMA", "BackgroundFit", "FitParameter",
           "check_measured", "check_window", "fit_scale_and_background"]

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

    ``scale`` multiplies the simulated intensities (as they are) into measured
    units, fitted by WLS with the background held at its fitted value;
    ``parameters`` names every coefficient (scale and background) with its unit.
    ``reduced_chi2`` is chi^2 / (n_points - n_parameters) of measured vs
    scale * simulated + background with the measured errors; None without errors
    (``note`` then says so).  ``alignment`` is the joint fit the background comes
    from (its own scale, stretch, shift, broadening and reduced chi^2).
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
    alignment: Alignment | None = None
    note: str = ""

    def to_dict(self, include_arrays: bool = True) -> dict[str, Any]:
        """JSON-safe dictionary (arrays as lists unless ``include_arrays`` is False)."""
        out: dict[str, Any] = {
            "scale": self.scale,
            "form": self.form,
            "parameters": {k: p.to_dict() for k, p in self.parameters.items()},
            "window_cm1": list(self.window_cm1),
            "reduced_chi2": self.reduced_chi2,
            "n_points": int(self.energy_cm1.size),
            "alignment": None if self.alignment is None else self.alignment.to_dict(),
            "note": self.note,
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
    form: str = "constant",
    *,
    min_points: int = DEFAULT_MIN_POINTS,
    max_shift_cm1: float = 40.0,
    max_broadening_cm1: float = 40.0,
) -> BackgroundFit:
    """Fit measured ~ scale * simulated + background(x) inside a window.

    The simulated spectrum is linearly interpolated onto the measured energies
    x (cm-1) with lo <= x <= hi (0 where it has no data).  With the window
    coordinate u = (x - lo) / (hi - lo) in [0, 1] the background forms are, in
    measured intensity units:

    * ``"none"``:      b(x) = 0
    * ``"constant"``:  b(x) = b0                       (the default)
    * ``"linear"``:    b(x) = b_lo * (1 - u) + b_hi * u
    * ``"quadratic"``: b(x) = b_lo * (1 - u)^2 + 2 b_mid * u (1 - u) + b_hi * u^2

    Bernstein coefficients all >= 0 (so the background is >= 0 across the window),
    and nowhere above the measured intensity by more than the noise allows
    (:func:`insbench.metrics.frequency_scale.envelope_sigma` error bars).

    1. Joint fit (:func:`insbench.metrics.frequency_scale.align`): scale and
       background by non-negative WLS with 1/error weights, at the stretch
       (0.85-1.15), shift (|t| <= ``max_shift_cm1``) and extra Gaussian
       broadening (FWHM <= ``max_broadening_cm1``) of the simulation that fit best.
       The background coefficients are taken from this fit.
    2. ``scale`` of the simulation as it is, by WLS with that background fixed;
       ``reduced_chi2`` of this final model.

    Everything is computed on data divided by its maximum, with no absolute
    tolerance: multiplying the measured intensities and errors by c > 0
    multiplies scale and background by c and leaves reduced chi^2 and every shape
    score unchanged.

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
    degree = BACKGROUND_FORMS[form]
    basis = (
        np.zeros((x.size, 0)) if degree is None else _bernstein_basis((x - lo) / (hi - lo), degree)
    )
    win = Window.build(simulated, x, y, cut.error, basis)
    alignment = align(win, max_shift_cm1, max_broadening_cm1)
    coefficients = np.asarray(alignment.background_coefficients, dtype=float)
    background = basis @ coefficients if degree is not None else np.zeros_like(x)

    # the simulation as it is: scale by WLS with the background fixed (normalised units)
    f = win.transformed(1.0, 0.0, 0.0)
    rest = (win.y - background / win.norm) * win.w
    fw = f * win.w
    denominator = float(fw @ fw)
    scale_n = max(0.0, float(fw @ rest) / denominator) if denominator > 0.0 else 0.0
    scale = scale_n * win.norm / win.sim_norm
    n_free = 1 + basis.shape[1]
    reduced_chi2: float | None = None
    note = ""
    if win.has_errors and x.size > n_free:
        resid = rest - scale_n * fw
        reduced_chi2 = float(resid @ resid / (x.size - n_free))
    elif not win.has_errors:
        note = "the reference spectrum has no error bars (or all zero): unit weights, no reduced chi^2"

    parameters = {
        "scale": FitParameter(
            scale,
            "measured intensity / simulated intensity",
            "factor taking simulated intensities to measured units",
        )
    }
    if degree is not None:
        for name, value in zip(_COEFFICIENT_NAMES[degree], coefficients):
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
        scaled_simulated=scale * simulated.interpolate_to(x),
        background=background,
        alignment=alignment,
        note=note,
    )
