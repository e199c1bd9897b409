"""Bootstrap confidence intervals of the spectral scores.

A measured spectrum carries one-standard-deviation error bars. The interval of a
score says how far it could move if the spectrum were measured again:

1. draw ``n_resamples`` copies of the measured spectrum, each intensity
   ``I_i + sigma_i * z_i`` with ``z_i`` standard normal (a ``numpy`` generator
   seeded with ``seed``, so the interval is reproducible);
2. score the *stored* simulated spectrum against each copy with
   :func:`insbench.metrics.score_spectrum`, the same window and the same
   :class:`~insbench.metrics.ScoringSettings` as the point estimate (reference
   peaks are re-picked on each copy, as they would be on a new measurement, unless
   the point estimate used a fixture's peak table: then every copy uses that table);
3. the interval of each metric is the (alpha/2, 1 - alpha/2) percentile range of
   the resampled scores (alpha = 1 - confidence), shifted so that it is centred on the
   point estimate: ``point + quantile(s) - median(s)``. Resampling adds noise to an
   already noisy measurement, which biases every resampled score the same way (more
   noise: lower cosine, more unmatched wiggles, a lower background envelope); the shift
   removes that bias and keeps the spread, i.e. how much the score moves with the noise.

A copy on which the reference side cannot be scored (no peak left in the window)
is counted in ``n_failed`` and left out. A reference without error bars (or with
all-zero errors) gives a zero-width interval at the point estimate.

The intervals describe the measurement noise only: not the resolution model, the
background form or the model's own randomness.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from insbench.metrics import MetricInputError, ScoringSettings, score_spectrum
from insbench.spectra import Spectrum1D

#: Defaults used by the leaderboard and the gate (override with CLI flags / the gate file).
DEFAULT_N_RESAMPLES = 200
DEFAULT_SEED = 20240501
DEFAULT_CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    """A metric's point estimate and its bootstrap interval [lo, hi]."""

    point: float
    lo: float
    hi: float
    confidence: float

    @property
    def width(self) -> float:
        return self.hi - self.lo

    def bound(self, direction: str) -> float:
        """The pessimistic end for a threshold direction: ``hi`` if smaller is better ("max")."""
        return self.hi if direction == "max" else self.lo

    def to_dict(self) -> dict[str, float]:
        return {"point": self.point, "lo": self.lo, "hi": self.hi, "confidence": self.confidence}


@dataclass(frozen=True)
class BootstrapResult:
    """Intervals of every thresholded metric of one (case, window)."""

    intervals: dict[str, Interval]
    n_resamples: int
    n_failed: int
    seed: int
    note: str = ""
    #: metric -> its score on each resample that could be scored (in draw order)
    samples: dict[str, tuple[float, ...]] = field(default_factory=dict, repr=False)

    def to_xarray(self) -> Any:
        """The resampled scores as an ``xarray.Dataset`` (one variable per metric over ``resample``),
        with the seed, confidence and intervals in attrs."""
        import xarray as xr

        from insbench.spectra import netcdf_attrs

        confidence = next(iter(self.intervals.values())).confidence if self.intervals else None
        return xr.Dataset(
            {name: ("resample", list(values)) for name, values in self.samples.items()},
            attrs=netcdf_attrs({"kind": "bootstrap samples of spectral scores", "seed": self.seed,
                                "n_resamples": self.n_resamples, "n_failed": self.n_failed,
                                "confidence": confidence, "note": self.note,
                                "intervals": {k: v.to_dict() for k, v in self.intervals.items()}}),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "intervals": {k: v.to_dict() for k, v in self.intervals.items()},
            "n_resamples": self.n_resamples,
            "n_failed": self.n_failed,
            "seed": self.seed,
            "note": self.note,
        }


def resample_measured(measured: Spectrum1D, rng: np.random.Generator) -> Spectrum1D:
    """One Gaussian resample of ``measured`` within its error bars (errors kept)."""
    assert measured.error is not None
    noisy = measured.intensity + measured.error * rng.standard_normal(measured.intensity.shape)
    return Spectrum1D(measured.energy_cm1, noisy, measured.error, measured.label, dict(measured.metadata))


def resampled_spectra(measured: Spectrum1D, n_resamples: int, seed: int = DEFAULT_SEED) -> Any:
    """The ``n_resamples`` copies :func:`bootstrap_scores` draws, as an ``xarray.DataArray``
    (``resample`` x ``energy_cm1``; the same generator and order, so the same copies)."""
    import xarray as xr

    if measured.error is None:
        raise ValueError(f"spectrum {measured.label!r} has no error bars to resample within")
    rng = np.random.default_rng(seed)
    cube = np.stack([resample_measured(measured, rng).intensity for _ in range(n_resamples)])
    return xr.DataArray(
        cube, dims=("resample", "energy_cm1"),
        coords={"energy_cm1": ("energy_cm1", measured.energy_cm1, {"units": "cm-1"})},
        name="intensity", attrs={"units": "arbitrary", "seed": seed, "label": measured.label,
                                 "kind": "Gaussian resamples within the one-sigma error bars"},
    )


def bootstrap_scores(
    simulated: Spectrum1D,
    measured: Spectrum1D,
    window_cm1: tuple[float, float],
    settings: ScoringSettings | None = None,
    *,
    n_resamples: int = DEFAULT_N_RESAMPLES,
    seed: int = DEFAULT_SEED,
    confidence: float = DEFAULT_CONFIDENCE,
    reference_peaks_cm1: np.ndarray | None = None,
) -> BootstrapResult:
    """Percentile bootstrap intervals of the thresholded metrics (see the module docstring).

    ``reference_peaks_cm1`` (a fixture's peak table) is passed to every
    :func:`score_spectrum` call, point estimate and copies alike.

    Raises :class:`~insbench.metrics.MetricInputError` when the unperturbed reference
    cannot be scored (as :func:`score_spectrum` does), and ValueError for
    ``n_resamples < 1`` or ``confidence`` outside (0, 1).
    """
    if n_resamples < 1:
        raise ValueError(f"n_resamples must be >= 1, got {n_resamples}")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    settings = settings or ScoringSettings()
    point = score_spectrum(simulated, measured, window_cm1, settings,
                           reference_peaks_cm1=reference_peaks_cm1).metrics
    lo_w, hi_w = float(window_cm1[0]), float(window_cm1[1])
    if measured.error is None:
        return _zero_width(point, confidence, seed, "the reference has no error bars")
    inside = (measured.energy_cm1 >= lo_w) & (measured.energy_cm1 <= hi_w)
    if not np.any(measured.error[inside] > 0.0):
        return _zero_width(point, confidence, seed, "the reference's error bars are zero in the window")

    rng = np.random.default_rng(seed)
    samples: dict[str, list[float]] = {name: [] for name in point}
    failed = 0
    for _ in range(n_resamples):
        copy = resample_measured(measured, rng)
        try:
            scores = score_spectrum(simulated, copy, window_cm1, settings,
                                    reference_peaks_cm1=reference_peaks_cm1).metrics
        except MetricInputError:
            failed += 1
            continue
        for name, value in scores.items():
            samples[name].append(value)
    alpha = 1.0 - confidence
    intervals = {}
    for name, value in point.items():
        values = np.asarray(samples[name], dtype=float)
        if values.size == 0:
            intervals[name] = Interval(value, float("nan"), float("nan"), confidence)
            continue
        lo, hi = np.quantile(values, [alpha / 2.0, 1.0 - alpha / 2.0]) - np.median(values) + value
        intervals[name] = Interval(value, float(lo), float(hi), confidence)
    note = "" if not failed else f"{failed} of {n_resamples} resamples had no reference peak in the window"
    kept = {name: tuple(float(v) for v in values) for name, values in samples.items()}
    return BootstrapResult(intervals, n_resamples, failed, seed, note, kept)


def _zero_width(point: dict[str, float], confidence: float, seed: int, note: str) -> BootstrapResult:
    intervals = {name: Interval(v, v, v, confidence) for name, v in point.items()}
    return BootstrapResult(intervals, 0, 0, seed, note)


# -- from stored records ---------------------------------------------------------------


class BootstrapUnavailable(LookupError):
    """A record's case cannot be re-scored (no stored spectrum, or its reference is gone)."""


def case_bootstrap(
    record_data: dict[str, Any],
    case_id: str,
    *,
    n_resamples: int = DEFAULT_N_RESAMPLES,
    seed: int = DEFAULT_SEED,
    confidence: float = DEFAULT_CONFIDENCE,
    fixture_loader=None,
) -> dict[str, BootstrapResult]:
    """Intervals for every window of one stored "spectra" case, by window name.

    The reference is loaded at the version the record names and must have the
    manifest sha256 the record names (else :class:`BootstrapUnavailable`), so a
    record is never re-scored against different data. ``fixture_loader`` (a
    ``load_fixture``-like callable) is for tests.
    """
    from insbench.reference import load_fixture

    loader = fixture_loader or load_fixture
    case = record_data["cases"][case_id]
    if not case.get("simulated_spectrum"):
        raise BootstrapUnavailable(f"{case_id}: the record stores no simulated spectrum")
    reference = record_data.get("reference", {})
    system, version = record_data["system"], reference.get("version")
    try:
        fixture = loader(system, version)
    except Exception as error:  # FixtureNotFoundError, ChecksumError, ...: report, do not guess
        raise BootstrapUnavailable(f"{system} {version}: reference not loadable ({error})") from error
    if reference.get("manifest_sha256") and fixture.manifest_sha256 != reference["manifest_sha256"]:
        raise BootstrapUnavailable(
            f"{system} {version}: installed manifest sha256 {fixture.manifest_sha256[:12]} differs "
            f"from the record's {reference['manifest_sha256'][:12]}"
        )
    measured = fixture.spectrum(float(case["case"]["pressure_gpa"]), case["reference_kind"])
    if measured is None:
        raise BootstrapUnavailable(
            f"{system} {version} has no {case['reference_kind']} spectrum at {case['case']['pressure_gpa']} GPa"
        )
    simulated = Spectrum1D.from_dict(case["simulated_spectrum"])
    out = {}
    for window, payload in case["windows"].items():
        settings = ScoringSettings.from_mapping(payload["scores"]["settings"])
        table = (payload.get("reference_peaks_source") or {}).get("positions_cm1")  # fixture peak table
        out[window] = bootstrap_scores(
            simulated, measured, tuple(payload["window_cm1"]), settings,
            n_resamples=n_resamples, seed=seed, confidence=confidence,
            reference_peaks_cm1=None if table is None else np.asarray(table, dtype=float),
        )
    return out
