"""Peak picking on a spectrum and optimal matching of two peak lists."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.optimize import linear_sum_assignment
from scipy.signal import find_peaks

from ..spectra import Spectrum1D
from .background import check_window

#: Default peak-picking parameters (the benchmark's values live in thresholds.toml [scoring]).
DEFAULT_PROMINENCE_FRACTION = 0.05
DEFAULT_MIN_SEPARATION_CM1 = 10.0
DEFAULT_SMOOTHING_CM1 = 0.0

#: The uniform grid used for picking has at most this many points.
_MAX_GRID_POINTS = 20000
_FWHM_PER_SIGMA = 2.0 * np.sqrt(2.0 * np.log(2.0))


@dataclass(frozen=True)
class PeakTable:
    """Peaks found in one spectrum inside a window, with how they were found.

    ``positions_cm1`` are parabola-refined maxima (ascending); ``heights`` are
    the (smoothed) intensities there, in the spectrum's units;
    ``relative_prominences`` are the scipy prominences divided by the
    intensity range in the window (scale-free, 0..1).  ``parameters`` records
    every setting used, including the uniform grid step in cm-1.
    """

    positions_cm1: np.ndarray
    heights: np.ndarray
    relative_prominences: np.ndarray
    window_cm1: tuple[float, float]
    parameters: dict[str, Any] = field(default_factory=dict)
    label: str = ""

    def __len__(self) -> int:
        return int(self.positions_cm1.size)

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "window_cm1": list(self.window_cm1),
            "parameters": dict(self.parameters),
            "positions_cm1": self.positions_cm1.tolist(),
            "heights": self.heights.tolist(),
            "relative_prominences": self.relative_prominences.tolist(),
        }


@dataclass(frozen=True)
class PeakMatch:
    """One-to-one assignment of simulated peaks to reference peaks.

    ``reference_cm1[i]`` is matched with ``simulated_cm1[i]`` (positions as found,
    not aligned).  ``mae_cm1`` is the mean |simulated - reference| over matched
    pairs and ``mean_shift_cm1`` the mean of (simulated - reference): positive means
    the model puts peaks too high (too stiff).  Both are None when nothing matched.
    ``recall`` is the fraction of reference peaks matched.  ``gate_cm1`` holds the
    gate that applied at each reference peak.
    """

    reference_cm1: np.ndarray
    simulated_cm1: np.ndarray
    unmatched_reference_cm1: np.ndarray
    unmatched_simulated_cm1: np.ndarray
    max_distance_cm1: float
    n_reference: int = 0
    gate_cm1: np.ndarray = field(default_factory=lambda: np.empty(0))
    aligned: bool = False

    @property
    def n_matched(self) -> int:
        return int(self.reference_cm1.size)

    @property
    def recall(self) -> float:
        return self.n_matched / self.n_reference if self.n_reference else 0.0

    @property
    def mae_cm1(self) -> float | None:
        if self.n_matched == 0:
            return None
        return float(np.mean(np.abs(self.simulated_cm1 - self.reference_cm1)))

    @property
    def mean_shift_cm1(self) -> float | None:
        if self.n_matched == 0:
            return None
        return float(np.mean(self.simulated_cm1 - self.reference_cm1))

    def to_dict(self) -> dict[str, Any]:
        return {
            "pairs_cm1": [
                [float(r), float(s)]
                for r, s in zip(self.reference_cm1, self.simulated_cm1)
            ],
            "unmatched_reference_cm1": self.unmatched_reference_cm1.tolist(),
            "unmatched_simulated_cm1": self.unmatched_simulated_cm1.tolist(),
            "max_distance_cm1": self.max_distance_cm1,
            "gate_cm1": self.gate_cm1.tolist(),
            "aligned": self.aligned,
            "n_matched": self.n_matched,
            "recall": self.recall,
            "mae_cm1": self.mae_cm1,
            "mean_shift_cm1": self.mean_shift_cm1,
        }


def _uniform_grid(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """A uniform grid over the data inside [lo, hi], as fine as its finest spacing."""
    inside = x[(x >= lo) & (x <= hi)]
    start, stop = float(inside[0]), float(inside[-1])
    step = max(float(np.min(np.diff(inside))), (stop - start) / (_MAX_GRID_POINTS - 1))
    n = int(np.floor((stop - start) / step + 1e-9)) + 1
    return start + step * np.arange(n)


def _vertex(x3: np.ndarray, y3: np.ndarray) -> float | None:
    """Abscissa of the vertex of the parabola through three points, if it is a maximum."""
    (x0, x1, x2), (y0, y1, y2) = x3, y3
    d01, d12 = (y1 - y0) / (x1 - x0), (y2 - y1) / (x2 - x1)
    curvature = (d12 - d01) / (x2 - x0)  # half the second derivative
    if not curvature < 0.0:
        return None
    return float(0.5 * (x0 + x1) - d01 / (2.0 * curvature))


def _refine(x: np.ndarray, y: np.ndarray, i: int) -> float:
    """Maximum near x[i] from the parabola through points i-1, i, i+1 (kept within them)."""
    if i <= 0 or i >= x.size - 1:
        return float(x[i])
    vertex = _vertex(x[i - 1 : i + 2], y[i - 1 : i + 2])
    if vertex is None:
        return float(x[i])
    return float(np.clip(vertex, 0.5 * (x[i - 1] + x[i]), 0.5 * (x[i] + x[i + 1])))


def pick_peaks(
    spectrum: Spectrum1D,
    window_cm1: tuple[float, float],
    *,
    prominence_fraction: float = DEFAULT_PROMINENCE_FRACTION,
    min_separation_cm1: float = DEFAULT_MIN_SEPARATION_CM1,
    smoothing_cm1: float = DEFAULT_SMOOTHING_CM1,
) -> PeakTable:
    """Find the peaks of a spectrum inside ``window_cm1`` (lo, hi in cm-1).

    The points inside the window are linearly resampled onto a uniform grid
    whose step is the finest spacing there (uneven ISIS grids become even),
    optionally smoothed with a Gaussian of FWHM ``smoothing_cm1`` (0 = none),
    and passed to ``scipy.signal.find_peaks`` with

    * prominence >= ``prominence_fraction`` * (max - min of the spectrum in the window),
      so the criterion does not depend on the intensity scale;
    * peaks at least ``min_separation_cm1`` apart (the higher one wins).

    Each maximum is refined by the vertex of the parabola through it and its
    two neighbours: on the original (uneven) data points without smoothing,
    where linear resampling cannot move a maximum off a data point, and on the
    smoothed uniform grid with smoothing.  A window with fewer than 3 points or a flat spectrum
    gives an empty table; deciding whether that is an error is the caller's job.
    """
    lo, hi = check_window(window_cm1)
    if not 0.0 < prominence_fraction < 1.0:
        raise ValueError(
            f"prominence_fraction must be in (0, 1), got {prominence_fraction}"
        )
    if min_separation_cm1 < 0.0 or smoothing_cm1 < 0.0:
        raise ValueError("min_separation_cm1 and smoothing_cm1 must be >= 0 cm-1")
    parameters = {
        "prominence_fraction": float(prominence_fraction),
        "min_separation_cm1": float(min_separation_cm1),
        "smoothing_cm1": float(smoothing_cm1),
        "grid_step_cm1": 0.0,
    }
    empty = PeakTable(
        np.empty(0), np.empty(0), np.empty(0), (lo, hi), parameters, spectrum.label
    )
    x = spectrum.energy_cm1
    if np.count_nonzero((x >= lo) & (x <= hi)) < 3:
        return empty
    grid = _uniform_grid(x, lo, hi)
    step = float(grid[1] - grid[0]) if grid.size > 1 else 0.0
    parameters["grid_step_cm1"] = step
    y = np.interp(grid, x, spectrum.intensity)
    if smoothing_cm1 > 0.0 and step > 0.0:
        y = gaussian_filter1d(y, smoothing_cm1 / _FWHM_PER_SIGMA / step, mode="nearest")
    span = float(np.max(y) - np.min(y))
    if grid.size < 3 or not span > 0.0:
        return empty
    distance = max(1, int(np.ceil(min_separation_cm1 / step))) if step > 0 else 1
    idx, props = find_peaks(y, prominence=prominence_fraction * span, distance=distance)
    if smoothing_cm1 > 0.0:  # the smoothed curve has real curvature on the uniform grid
        positions = [_refine(grid, y, int(i)) for i in idx]
    else:  # linear resampling puts maxima on data points: refine on the data themselves
        knots = [int(np.argmin(np.abs(x - g))) for g in grid[idx]]
        positions = [_refine(x, spectrum.intensity, int(k)) for k in knots]
    return PeakTable(
        positions_cm1=np.asarray(positions, dtype=float).reshape(-1),
        heights=y[idx].astype(float),
        relative_prominences=np.asarray(props["prominences"], dtype=float) / span,
        window_cm1=(lo, hi),
        parameters=parameters,
        label=spectrum.label,
    )


def match_peaks(
    reference: PeakTable,
    simulated: PeakTable,
    *,
    max_distance_cm1: float,
    gate_cm1: Callable[[np.ndarray], np.ndarray] | None = None,
    mapping: Callable[[np.ndarray], np.ndarray] | None = None,
) -> PeakMatch:
    """Pair reference and simulated peaks one-to-one (Hungarian assignment).

    ``mapping`` (e.g. :meth:`insbench.metrics.frequency_scale.Alignment.map_cm1`)
    says where simulated energies land on the reference axis once the model's
    global stretch and shift are removed; without it the identity.  With
    d = |reference - mapping(simulated)| the residual and D = |reference - simulated|
    the raw distance, a pair is allowed only if

    * d <= ``gate_cm1(reference)`` (e.g. a multiple of the instrument's resolution
      FWHM at that energy; ``max_distance_cm1`` everywhere when None), and
    * D <= ``max_distance_cm1`` (the worst credible error; also the worst peak MAE).

    ``scipy.optimize.linear_sum_assignment`` minimises sum d^2 over pairs plus
    gate^2 per unmatched reference peak.  The squared cost is strictly convex, so
    among equally good assignments it keeps the order of the peaks (a uniform
    shift is matched in order, never by skipping to a neighbour); leaving a peak
    unmatched costs as much as the worst allowed match.  Reported distances are
    raw (D): a pure shift of 30 cm-1 reads 30 cm-1.
    """
    if not max_distance_cm1 > 0.0:
        raise ValueError(f"max_distance_cm1 must be > 0 cm-1, got {max_distance_cm1}")
    r = np.asarray(reference.positions_cm1, dtype=float)
    s = np.asarray(simulated.positions_cm1, dtype=float)
    gate = (
        np.full(r.shape, float(max_distance_cm1))
        if gate_cm1 is None
        else np.broadcast_to(np.asarray(gate_cm1(r), dtype=float), r.shape).copy()
    )
    if np.any(~np.isfinite(gate)) or np.any(gate <= 0.0):
        raise ValueError("the peak-matching gate must be finite and > 0 cm-1 at every reference peak")
    n_r, n_s = r.size, s.size
    matched_r: list[int] = []
    matched_s: list[int] = []
    if n_r and n_s:
        landed = s if mapping is None else np.asarray(mapping(s), dtype=float)
        residual = np.abs(r[:, None] - landed[None, :])
        raw = np.abs(r[:, None] - s[None, :])
        allowed = (residual <= gate[:, None]) & (raw <= max_distance_cm1)
        unit = float(np.max(gate)) ** 2
        forbidden = 10.0 * unit * (n_r + 1)  # dearer than leaving every peak unmatched
        cost = np.where(allowed, residual**2, forbidden) / unit
        dummy = np.full((n_r, n_r), forbidden / unit)
        np.fill_diagonal(dummy, gate**2 / unit)  # reference i left unmatched
        rows, cols = linear_sum_assignment(np.hstack([cost, dummy]))
        for i, j in zip(rows, cols):
            if j < n_s and allowed[i, j]:
                matched_r.append(int(i))
                matched_s.append(int(j))
    order = np.argsort(r[matched_r]) if matched_r else np.empty(0, dtype=int)
    mr = np.asarray(matched_r, dtype=int)[order]
    ms = np.asarray(matched_s, dtype=int)[order]
    return PeakMatch(
        reference_cm1=r[mr],
        simulated_cm1=s[ms],
        unmatched_reference_cm1=np.delete(r, mr),
        unmatched_simulated_cm1=np.delete(s, ms),
        max_distance_cm1=float(max_distance_cm1),
        n_reference=int(n_r),
        gate_cm1=gate,
        aligned=mapping is not None,
    )


def peak_table_from_positions(
    spectrum: Spectrum1D, positions_cm1, window_cm1: tuple[float, float], label: str = ""
) -> PeakTable:
    """A reference peak table from given positions (e.g. a fixture's peak table).

    Positions outside the window are dropped; heights are the spectrum's
    intensities there; prominences are not known (NaN).
    """
    lo, hi = check_window(window_cm1)
    positions = np.sort(np.asarray(positions_cm1, dtype=float).reshape(-1))
    if not np.all(np.isfinite(positions)):
        raise ValueError("peak positions must be finite numbers in cm-1")
    positions = positions[(positions >= lo) & (positions <= hi)]
    return PeakTable(
        positions_cm1=positions,
        heights=np.interp(positions, spectrum.energy_cm1, spectrum.intensity),
        relative_prominences=np.full(positions.shape, np.nan),
        window_cm1=(lo, hi),
        parameters={"source": "peak table"},  # type: ignore[dict-item]
        label=label or spectrum.label,
    )
