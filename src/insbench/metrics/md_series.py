"""Time-series statistics of an MD run: slopes with honest error bars, running averages (pure numpy).

A drift is judged against the run's own noise. Successive MD steps are strongly
correlated (a 1 fs step samples a 100 fs vibration ten times per period), so the naive
least-squares standard error of a slope is far too small. :func:`slope_with_error`
inflates it by the statistical inefficiency ``g = 2 tau_int`` of the residuals, with the
integrated autocorrelation time ``tau_int`` estimated by Sokal's automatic window
(the smallest window M with M >= c tau_int(M), c = 5; A. Sokal, "Monte Carlo methods in
statistical mechanics", 1996; the estimator emcee's ``integrated_time`` uses):

    stderr = sqrt( s^2 / sum (t_i - t_mean)^2 x g ),   s^2 = sum r_i^2 / (n - 2)

which is exact for white noise (g = 1) and for an AR(1) series to first order.
``n_effective = n / g`` is reported with it, and ``tau_reliable`` says whether the run is
at least 50 correlation times long (emcee's rule for trusting the estimate): a shorter run
cannot tell a drift from a slow fluctuation well, and says so. On synthetic AR(1) noise
(tests/metrics/test_md_series.py) 2 x stderr covers the true slope ~95 % of the time for
n_effective >= ~40; at n_effective ~10 tau is underestimated and 3 x stderr covers ~94 %.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

#: Sokal's window constant: stop summing the autocorrelation at M >= SOKAL_C x tau_int(M).
SOKAL_C = 5.0


def linear_slope(t: np.ndarray, y: np.ndarray) -> float:
    """Least-squares slope dy/dt; NaN with fewer than 2 points or a non-finite value."""
    t, y = np.asarray(t, dtype=float), np.asarray(y, dtype=float)
    if len(t) < 2 or not (np.isfinite(t).all() and np.isfinite(y).all()):
        return float("nan")
    tc = t - t.mean()
    denominator = float((tc * tc).sum())
    if denominator == 0.0:
        return float("nan")
    return float((tc * (y - y.mean())).sum() / denominator)


#: emcee's rule: trust tau only from a series at least this many correlation times long.
RELIABLE_TIMES_TAU = 50.0


def integrated_autocorrelation_time(x: np.ndarray, c: float = SOKAL_C) -> tuple[float, bool]:
    """``(tau_int, reliable)`` of the series ``x`` in units of its spacing.

    ``tau_int = 1/2 + sum_{k=1..M} rho(k)`` with Sokal's window M (the first M >= c tau_int(M));
    1/2 for uncorrelated data. ``reliable`` is True when the series is at least
    :data:`RELIABLE_TIMES_TAU` x tau_int long and Sokal's window exists within it.
    """
    x = np.asarray(x, dtype=float)
    n = len(x)
    x = x - x.mean()
    variance = float(x @ x)
    if n < 4 or variance == 0.0 or not math.isfinite(variance):
        return 0.5, n >= RELIABLE_TIMES_TAU * 0.5
    spectrum = np.fft.rfft(x, 2 * n)
    acf = np.fft.irfft(spectrum * np.conj(spectrum))[:n]
    rho = acf / acf[0]
    taus = 0.5 + np.cumsum(rho[1:])  # tau_int(M) for M = 1 .. n-1
    windows = np.arange(1, n)
    ok = np.flatnonzero(windows >= c * taus)
    if len(ok):
        tau = max(0.5, float(taus[ok[0]]))
        return tau, n >= RELIABLE_TIMES_TAU * tau
    return max(0.5, float(taus[n // 2 - 1])), False


@dataclass(frozen=True)
class SlopeFit:
    """A least-squares slope over ``[t_start_ps, t_end_ps]`` with its autocorrelation-aware error."""

    slope: float
    stderr: float
    naive_stderr: float
    tau_points: float
    n_points: int
    n_effective: float
    tau_reliable: bool
    t_start_ps: float
    t_end_ps: float

    @property
    def spacing_ps(self) -> float:
        return (self.t_end_ps - self.t_start_ps) / (self.n_points - 1) if self.n_points > 1 else float("nan")

    def stderr_with_min_tau(self, min_tau_ps: float) -> float:
        """The stderr with tau_int raised to at least ``min_tau_ps``.

        A run shorter than the slowest motions of the crystal cannot measure their
        correlation time; a declared floor on it (derived from the scatter of slopes
        over repeated seeds) keeps the error honest for such series.
        """
        if not math.isfinite(self.naive_stderr) or min_tau_ps <= 0:
            return self.stderr
        tau = max(self.tau_points, min_tau_ps / self.spacing_ps)
        return self.naive_stderr * math.sqrt(2.0 * tau)

    def to_dict(self) -> dict[str, Any]:
        return {k: (v if not isinstance(v, float) or math.isfinite(v) else None) for k, v in asdict(self).items()}


def slope_with_error(t: np.ndarray, y: np.ndarray) -> SlopeFit:
    """Slope dy/dt of ``y`` over ``t`` and its standard error corrected for autocorrelation.

    NaN slope and error with fewer than 3 points or a non-finite value.
    """
    t, y = np.asarray(t, dtype=float), np.asarray(y, dtype=float)
    n = len(t)
    span = (float(t[0]), float(t[-1])) if n else (float("nan"), float("nan"))
    nan = float("nan")
    if n < 3 or not (np.isfinite(t).all() and np.isfinite(y).all()):
        return SlopeFit(nan, nan, nan, nan, n, nan, False, *span)
    tc = t - t.mean()
    sxx = float(tc @ tc)
    if sxx == 0.0:
        return SlopeFit(nan, nan, nan, nan, n, nan, False, *span)
    slope = float(tc @ (y - y.mean()) / sxx)
    residuals = y - y.mean() - slope * tc
    naive = math.sqrt(float(residuals @ residuals) / (n - 2) / sxx)
    tau, reliable = integrated_autocorrelation_time(residuals)
    g = 2.0 * tau
    return SlopeFit(slope, naive * math.sqrt(g), naive, tau, n, n / g, reliable, *span)


def running_average(y: np.ndarray, window: int) -> np.ndarray:
    """Mean over a sliding window of ``window`` points ('valid' part: len(y) - window + 1 values)."""
    y = np.asarray(y, dtype=float)
    window = max(1, min(int(window), len(y)))
    if len(y) == 0:
        return y.copy()
    c = np.cumsum(np.concatenate([[0.0], y - y[0]]))
    return (c[window:] - c[:-window]) / window + y[0]


def running_std(y: np.ndarray, window: int) -> np.ndarray:
    """Standard deviation over the same sliding windows as :func:`running_average`."""
    y = np.asarray(y, dtype=float)
    window = max(1, min(int(window), len(y)))
    if len(y) == 0:
        return y.copy()
    mean = running_average(y, window)
    mean_sq = running_average((y - y[0]) ** 2, window)
    return np.sqrt(np.maximum(mean_sq - (mean - y[0]) ** 2, 0.0))


def running_times(t: np.ndarray, window: int) -> np.ndarray:
    """Centre time of each running-average window."""
    return running_average(t, window)
