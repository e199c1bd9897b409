"""Aligning a simulated spectrum with a measured one: the frequency-scale diagnostic.

Both the background fit and the peak matching need to know how the simulation
lines up with the measurement, and the alignment itself is a diagnostic: the
energy-scale factor ``s`` that maps simulated energies E onto measured ones
(E -> s E) says whether a model is systematically too stiff (s < 1) or too soft
(s > 1), the practice of INS/DFT comparisons.

The model of the measured intensities y_i (points x_i inside a window) is

    y_i ~ a * (G_w * sim)(E_i) + background(x_i),   E_i = c + (x_i - c - t) / s

with c the window centre: the simulation stretched by ``s`` about c, shifted by
``t`` cm-1 and broadened by an extra Gaussian of FWHM ``w`` (w >= 0), times a scale
a >= 0, plus a non-negative background.  For given (s, t, w) the linear
coefficients come from non-negative weighted least squares with the measured
errors, on data divided by its maximum first (no absolute tolerance anywhere:
multiplying the measured intensities by any constant changes nothing but a and
the background, by that constant).  The background may nowhere exceed the
measured intensity by more than the noise allows (:func:`envelope_sigma`).

:func:`frequency_scale` fits s alone (t = 0 about E = 0, w = 0): the diagnostic.
:func:`align` fits (s, t, w) together: the nuisance alignment that the background
fit uses so that a model's misplaced peaks are not mistaken for background.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.optimize import minimize, minimize_scalar, nnls

from ..spectra import Spectrum1D

#: The background may exceed the measured intensity at a point by at most this many
#: error bars, or by the (larger) number that n points of pure noise reach with
#: probability 1 % (see :func:`envelope_sigma`).
ENVELOPE_SIGMA = 2.0
_ENVELOPE_FAMILY_P = 0.01


def envelope_sigma(n_points: int) -> float:
    """How many error bars the background may lie above the data: the 1 % familywise
    bound of the lowest of n Gaussian deviations (about 4 for 600 points), at least 2.

    The minimum of many noisy points dips several sigma below the true background;
    a tighter envelope would push a right background down (and chi^2 up).
    """
    from scipy.stats import norm

    return max(ENVELOPE_SIGMA, float(norm.isf(_ENVELOPE_FAMILY_P / max(n_points, 1))))
#: The energy-scale factors searched (a model 15 % too soft or too stiff is far off).
STRETCH_RANGE = (0.85, 1.15)
_STRETCH_STEP = 0.005  # 8 cm-1 at 1600 cm-1: finer than any resolution FWHM there
#: Zero measured errors are replaced by this fraction of the median positive error.
_ERROR_FLOOR_FRACTION = 1e-3
_FWHM_PER_SIGMA = 2.0 * np.sqrt(2.0 * np.log(2.0))
_MAX_GRID_POINTS = 40000


def weights(error: np.ndarray | None, n: int) -> np.ndarray:
    """1/sigma per point (relative: zero errors floored at 1e-3 of the median); ones without errors."""
    if error is None or not np.any(np.asarray(error) > 0):
        return np.ones(n)
    error = np.asarray(error, dtype=float)
    floor = _ERROR_FLOOR_FRACTION * float(np.median(error[error > 0]))
    return 1.0 / np.maximum(error, floor)


@dataclass(frozen=True)
class Window:
    """Measured points in a window, divided by their maximum, with the simulation on a uniform grid."""

    x: np.ndarray
    y: np.ndarray  # measured / norm
    w: np.ndarray  # 1 / (error / norm), or ones
    ceiling: np.ndarray  # (measured + envelope_sigma(n) error) / norm
    norm: float  # measured intensity unit: max |measured| in the window
    basis: np.ndarray  # background columns (n, k); k = 0 for no background
    centre_cm1: float
    grid: np.ndarray  # uniform grid of the simulation
    sim: np.ndarray  # simulation on ``grid`` / its maximum
    sim_norm: float
    has_errors: bool
    sim_x: np.ndarray  # the simulation's own grid
    sim_y: np.ndarray  # on it, / its maximum

    @classmethod
    def build(
        cls,
        simulated: Spectrum1D,
        x: np.ndarray,
        y: np.ndarray,
        error: np.ndarray | None,
        basis: np.ndarray,
    ) -> "Window":
        norm = float(np.max(np.abs(y))) or 1.0
        err = None if error is None else np.asarray(error, dtype=float) / norm
        ceiling = y / norm + (0.0 if err is None else envelope_sigma(len(x)) * err)
        sx, sy = simulated.energy_cm1, np.clip(simulated.intensity, 0.0, None)
        sim_norm = float(np.max(sy)) or 1.0
        step = float(np.min(np.diff(sx)))
        step = max(step, (sx[-1] - sx[0]) / (_MAX_GRID_POINTS - 1))
        grid = sx[0] + step * np.arange(int(np.floor((sx[-1] - sx[0]) / step + 1e-9)) + 1)
        return cls(
            x=np.asarray(x, dtype=float),
            y=np.asarray(y, dtype=float) / norm,
            w=weights(err, len(x)),
            ceiling=ceiling,
            norm=norm,
            basis=basis,
            centre_cm1=0.5 * (float(x[0]) + float(x[-1])),
            grid=grid,
            sim=np.interp(grid, sx, sy) / sim_norm,
            sim_norm=sim_norm,
            has_errors=error is not None and bool(np.any(np.asarray(error) > 0)),
            sim_x=sx,
            sim_y=sy / sim_norm,
        )

    def transformed(self, stretch: float, shift_cm1: float, broadening_cm1: float,
                    about_cm1: float | None = None) -> np.ndarray:
        """The (normalised) simulation stretched, shifted and broadened, at the measured x."""
        c = self.centre_cm1 if about_cm1 is None else about_cm1
        source = c + (self.x - c - shift_cm1) / stretch
        if not broadening_cm1 > 0.0:  # on the simulation's own grid: exact at the identity
            return np.interp(source, self.sim_x, self.sim_y, left=0.0, right=0.0)
        step = self.grid[1] - self.grid[0]
        values = gaussian_filter1d(self.sim, broadening_cm1 / _FWHM_PER_SIGMA / step, mode="constant")
        return np.interp(source, self.grid, values, left=0.0, right=0.0)

    def solve(self, f: np.ndarray) -> tuple[np.ndarray, float]:
        """Non-negative WLS of y ~ a f + basis @ b under the envelope; (coefficients, chi^2)."""
        design = np.column_stack([f, self.basis]) if self.basis.shape[1] else f[:, None]
        a_w = design * self.w[:, None]
        y_w = self.y * self.w
        scales = np.linalg.norm(a_w, axis=0)
        active = scales > 0.0
        coeffs = np.zeros(design.shape[1])
        if np.any(active):
            solution, _ = nnls(a_w[:, active] / scales[active], y_w)
            coeffs[active] = solution / scales[active]
        if self.basis.shape[1]:
            background = self.basis @ coeffs[1:]
            if np.any(background > self.ceiling):
                # shrink the background until it lies under the data, then refit the scale
                room = np.maximum(self.ceiling, 0.0)
                ratio = np.where(background > 0.0, room / np.where(background > 0.0, background, 1.0), np.inf)
                coeffs[1:] *= min(1.0, float(np.min(ratio)))
                rest = (self.y - self.basis @ coeffs[1:]) * self.w
                fw = f * self.w
                denominator = float(fw @ fw)
                coeffs[0] = max(0.0, float(fw @ rest) / denominator) if denominator > 0 else 0.0
        resid = (self.y - design @ coeffs) * self.w
        return coeffs, float(resid @ resid)


@dataclass(frozen=True)
class Alignment:
    """Best stretch/shift/broadening of the simulation onto the measurement in a window.

    ``stretch`` s and ``shift_cm1`` t map a simulated energy E onto
    s * E + t (about 0, whatever the fit used internally); ``broadening_cm1`` is the
    extra Gaussian FWHM; ``scale`` and ``background`` are the linear coefficients in
    measured units per simulated unit and measured units; ``reduced_chi2`` is chi^2 /
    (n - free parameters) with the measured errors (None without errors).
    """

    stretch: float
    shift_cm1: float
    broadening_cm1: float
    scale: float
    background_coefficients: tuple[float, ...]
    reduced_chi2: float | None
    n_points: int
    method: str = "least-squares fit of the spectrum"

    def map_cm1(self, energy_cm1: np.ndarray) -> np.ndarray:
        """Where simulated energies land on the measured axis."""
        return self.stretch * np.asarray(energy_cm1, dtype=float) + self.shift_cm1

    def to_dict(self) -> dict[str, Any]:
        return {
            "stretch": self.stretch,
            "shift_cm1": self.shift_cm1,
            "broadening_cm1": self.broadening_cm1,
            "scale": self.scale,
            "background_coefficients": list(self.background_coefficients),
            "reduced_chi2": self.reduced_chi2,
            "n_points": self.n_points,
            "method": self.method,
        }


def _result(win: Window, stretch: float, shift_about_centre: float, broadening: float,
            n_nonlinear: int, about_cm1: float | None = None) -> Alignment:
    f = win.transformed(stretch, shift_about_centre, broadening, about_cm1)
    coeffs, chi2 = win.solve(f)
    dof = win.x.size - coeffs.size - n_nonlinear
    c = win.centre_cm1 if about_cm1 is None else about_cm1
    return Alignment(
        stretch=float(stretch),
        shift_cm1=float(shift_about_centre + c * (1.0 - stretch)),  # s E + t about 0
        broadening_cm1=float(broadening),
        scale=float(coeffs[0] * win.norm / win.sim_norm),
        background_coefficients=tuple(float(v * win.norm) for v in coeffs[1:]),
        reduced_chi2=float(chi2 / dof) if win.has_errors and dof > 0 else None,
        n_points=int(win.x.size),
    )


def frequency_scale(win: Window) -> Alignment:
    """The energy-scale factor s alone (E -> s E about 0, no shift, no extra broadening)."""

    def cost(s: float) -> float:
        return win.solve(win.transformed(s, 0.0, 0.0, about_cm1=0.0))[1]

    lo, hi = STRETCH_RANGE
    grid = np.arange(lo, hi + _STRETCH_STEP / 2, _STRETCH_STEP)
    best = float(grid[int(np.argmin([cost(s) for s in grid]))])
    bounds = (max(lo, best - _STRETCH_STEP), min(hi, best + _STRETCH_STEP))
    refined = minimize_scalar(cost, bounds=bounds, method="bounded", options={"xatol": 1e-6})
    s = float(refined.x) if refined.fun <= cost(best) else best
    return _result(win, s, 0.0, 0.0, n_nonlinear=1, about_cm1=0.0)


def align(win: Window, max_shift_cm1: float, max_broadening_cm1: float) -> Alignment:
    """The stretch, shift and extra broadening that best explain the measurement.

    A coarse scan of the shift (s = 1, w = 0) finds the basin, Nelder-Mead (bounded)
    refines all three; the linear coefficients are solved exactly at every step.
    """
    step = max(1.0, max_shift_cm1 / 20.0)  # coarse: the basin only; Nelder-Mead refines
    shifts = np.arange(-max_shift_cm1, max_shift_cm1 + step / 2, step)
    costs = [win.solve(win.transformed(1.0, t, 0.0))[1] for t in shifts]
    start = float(np.clip(shifts[int(np.argmin(costs))], -max_shift_cm1, max_shift_cm1))
    lo, hi = STRETCH_RANGE

    def cost(p: np.ndarray) -> float:
        s, t, w = p
        return win.solve(win.transformed(s, t, max(w, 0.0)))[1]

    result = minimize(
        cost,
        np.array([1.0, start, 0.0]),
        method="Nelder-Mead",
        bounds=[(lo, hi), (-max_shift_cm1, max_shift_cm1), (0.0, max_broadening_cm1)],
        options={
            "initial_simplex": np.array([  # inside the bounds
                [1.0, start, 0.0], [1.01 if 1.01 <= hi else 0.99, start, 0.0],
                [1.0, start + step if start + step <= max_shift_cm1 else start - step, 0.0],
                [1.0, start, min(max_broadening_cm1, max(1.0, 0.1 * max_broadening_cm1))],
            ]),
            "xatol": 1e-3, "fatol": 1e-9 * max(min(costs), 1e-300), "maxiter": 400,
        },
    )
    s, t, w = result.x if result.fun <= min(costs) else (1.0, start, 0.0)
    return _result(win, float(s), float(t), max(float(w), 0.0), n_nonlinear=3)


def frequency_scale_from_peaks(
    reference_cm1: np.ndarray,
    simulated_cm1: np.ndarray,
    match,
    *,
    starts: np.ndarray | None = None,
    max_iterations: int = 30,
) -> tuple[float, int] | None:
    """The scale s (E -> s E) from matched peak positions, the usual INS/DFT practice.

    ``match(s)`` pairs reference and simulated peaks with the simulated ones mapped by
    s (e.g. :func:`insbench.metrics.peaks.match_peaks` with a resolution gate on the
    residual) and returns (reference, simulated) position arrays of the pairs.  From
    s0 = 1 (a model is judged by the scale nearest to "no correction"; a scan over
    starts lets coincidental pairings under wide gates win), s is refined by least
    squares through the origin, s = sum(r p) / sum(p^2), re-matching until it stops
    moving.  With several ``starts`` the answer with the most pairs wins, then the
    smallest rms residual.  Returns (s, number of pairs), or None with fewer than 2 pairs.

    Unlike a least-squares stretch of the whole spectrum, this does not let a mismatch
    of intensities (a band too weak, a tail missing) pull the scale.
    """
    lo, hi = STRETCH_RANGE
    starts = np.array([1.0]) if starts is None else starts
    best: tuple[int, float, float] | None = None  # (n pairs, -rms, s)
    for start in starts:
        s = float(start)
        for _ in range(max_iterations):
            r, p = match(s)
            if r.size < 2:
                break
            new = float(np.clip(np.dot(r, p) / np.dot(p, p), lo, hi))
            if abs(new - s) < 1e-9:
                s = new
                break
            s = new
        r, p = match(s)
        if r.size < 2:
            continue
        rms = float(np.sqrt(np.mean((r - s * p) ** 2)))
        candidate = (int(r.size), -rms, s)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return None if best is None else (best[2], best[0])
