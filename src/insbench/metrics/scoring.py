"""score_spectrum: all spectral scores of one simulated spectrum against a measured one."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..spectra import Spectrum1D
from .background import (
    BACKGROUND_FORMS,
    BackgroundFit,
    _bernstein_basis,
    check_measured,
    check_window,
    fit_scale_and_background,
)
from .distances import cosine_overlap, wasserstein1_cm1
from .errors import MetricInputError
from .frequency_scale import (
    STRETCH_RANGE,
    Alignment,
    Window,
    frequency_scale,
    frequency_scale_from_peaks,
)
from .peaks import PeakMatch, PeakTable, match_peaks, peak_table_from_positions, pick_peaks
from .settings import ScoringSettings

Resolution = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class SpectralScores:
    """Scores of one prediction in one window (lo, hi in cm-1).

    * ``w1_cm1``: Wasserstein-1 distance (cm-1, lower is better; worst = window width);
    * ``cosine``: cosine overlap in [0, 1] (higher is better; worst = 0);
    * ``peak_mae_cm1``: mean |simulated - reference| of matched peak positions
      (cm-1; worst = ``settings.max_distance_cm1``);
    * ``peak_mean_shift_cm1``: signed mean (simulated - reference) of matched
      peaks, positive = model too stiff; None when nothing matched;
    * ``n_matched`` / ``n_reference_peaks`` (``peak_recall``): how many measured
      peaks the model reproduces within the gate;
    * ``frequency_scale``: the factor s that best maps simulated energies onto
      measured ones (E -> s E; s < 1: model too stiff, s > 1: too soft), a
      diagnostic (NaN when the prediction could not be scored); its fit in
      ``frequency_fit``;
    * ``problems``: why the prediction got a worst value, empty if it did not;
    * ``notes``: observations that did not change a score (fitted scale 0,
      unmatched reference peaks).
    """

    window_cm1: tuple[float, float]
    w1_cm1: float
    cosine: float
    peak_mae_cm1: float
    peak_mean_shift_cm1: float | None
    n_reference_peaks: int
    n_matched: int
    fit: BackgroundFit | None
    reference_peaks: PeakTable
    simulated_peaks: PeakTable | None
    match: PeakMatch | None
    problems: tuple[str, ...]
    notes: tuple[str, ...]
    settings: ScoringSettings
    frequency_scale: float = float("nan")
    frequency_fit: Alignment | None = None

    @property
    def peak_recall(self) -> float:
        """Fraction of reference peaks matched (0..1)."""
        return (
            self.n_matched / self.n_reference_peaks if self.n_reference_peaks else 0.0
        )

    @property
    def metrics(self) -> dict[str, float]:
        """Every metric value by name; thresholds.toml thresholds some of them.

        ``frequency_scale`` is left out when the prediction could not be scored.
        """
        out = {
            "w1_cm1": self.w1_cm1,
            "cosine": self.cosine,
            "peak_mae_cm1": self.peak_mae_cm1,
            "peak_recall": self.peak_recall,
        }
        if np.isfinite(self.frequency_scale):
            out["frequency_scale"] = self.frequency_scale
        return out

    def to_dict(self, include_arrays: bool = True) -> dict[str, Any]:
        """JSON-safe dictionary; ``include_arrays`` adds the fitted curves."""
        return {
            "window_cm1": list(self.window_cm1),
            **self.metrics,
            "frequency_scale": self.frequency_scale if np.isfinite(self.frequency_scale) else None,
            "peak_mean_shift_cm1": self.peak_mean_shift_cm1,
            "n_reference_peaks": self.n_reference_peaks,
            "n_matched": self.n_matched,
            "peak_recall": self.peak_recall,
            "problems": list(self.problems),
            "notes": list(self.notes),
            "settings": self.settings.to_dict(),
            "fit": None if self.fit is None else self.fit.to_dict(include_arrays),
            "reference_peaks": self.reference_peaks.to_dict(),
            "simulated_peaks": None
            if self.simulated_peaks is None
            else self.simulated_peaks.to_dict(),
            "match": None if self.match is None else self.match.to_dict(),
            "frequency_fit": None if self.frequency_fit is None else self.frequency_fit.to_dict(),
        }


def _describe(settings: ScoringSettings) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in settings.peak_picking().items())


def _prediction_problem(
    simulated: Spectrum1D | None,
    measured_x: np.ndarray,
    lo: float,
    hi: float,
    settings: ScoringSettings,
) -> str | None:
    """Why the simulated spectrum cannot be scored at all, or None if it can."""
    if simulated is None:
        return "no simulated spectrum was given"
    x, y = np.asarray(simulated.energy_cm1), np.asarray(simulated.intensity)
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        return "simulated spectrum contains NaN or infinite values"
    if x[-1] < lo or x[0] > hi:
        return (
            f"simulated spectrum covers {x[0]:g}-{x[-1]:g} cm-1, which does not overlap "
            f"the window {lo:g}-{hi:g} cm-1"
        )
    peak = float(np.max(np.abs(y)))
    if peak > 0.0 and float(np.min(y)) < -settings.negative_tolerance_fraction * peak:
        return (
            f"simulated spectrum has negative intensities (down to {np.min(y):.3g}, "
            f"max |intensity| {peak:.3g}); an INS spectrum cannot be negative"
        )
    if not np.any(simulated.interpolate_to(measured_x) > 0.0):
        return f"simulated spectrum is zero everywhere in the window {lo:g}-{hi:g} cm-1"
    return None


def resolution_gate(
    settings: ScoringSettings,
    simulated: Spectrum1D | None,
    resolution_fwhm_cm1: Resolution | None = None,
) -> Resolution | None:
    """The peak-matching gate: ``gate_fwhm_multiple`` x the resolution FWHM at an energy.

    The FWHM comes from ``resolution_fwhm_cm1`` if given, else from the simulated
    spectrum's ``metadata["resolution_fwhm_cm1"]`` (one value per grid point, as
    :func:`insbench.physics.ins.simulate_ins` records it); None when neither exists
    (the gate is then ``max_distance_cm1`` everywhere).
    """
    fwhm = resolution_fwhm_cm1
    if fwhm is None and simulated is not None:
        recorded = simulated.metadata.get("resolution_fwhm_cm1")
        if recorded is not None and len(recorded) == simulated.energy_cm1.size:
            grid, values = simulated.energy_cm1, np.asarray(recorded, dtype=float)
            if np.all(np.isfinite(values)) and np.all(values > 0):
                def fwhm(energy: np.ndarray) -> np.ndarray:
                    return np.interp(energy, grid, values)
    if fwhm is None:
        return None
    multiple = settings.gate_fwhm_multiple
    return lambda energy: multiple * np.asarray(fwhm(np.asarray(energy, dtype=float)), dtype=float)


def _frequency_scale(simulated: Spectrum1D, cut: Spectrum1D, settings: ScoringSettings,
                     lo: float, hi: float) -> Alignment:
    degree = BACKGROUND_FORMS[settings.background_form]
    x = cut.energy_cm1
    basis = np.zeros((x.size, 0)) if degree is None else _bernstein_basis((x - lo) / (hi - lo), degree)
    return frequency_scale(Window.build(simulated, x, cut.intensity, cut.error, basis))


def score_spectrum(
    simulated: Spectrum1D | None,
    measured: Spectrum1D,
    window_cm1: tuple[float, float],
    settings: ScoringSettings | None = None,
    *,
    reference_peaks_cm1: np.ndarray | None = None,
    resolution_fwhm_cm1: Resolution | None = None,
) -> SpectralScores:
    """Compare a simulated INS spectrum with a measured one inside a window.

    1. The measured (reference) spectrum is checked; problems with it raise
       :class:`MetricInputError` (NaN, window outside the data, fewer than
       ``settings.min_points_in_window`` points, no peaks in the window).
    2. Reference peaks: ``reference_peaks_cm1`` (a fixture's peak table) when
       given, else picked on the measured spectrum itself, so they do not depend
       on the model.  Simulated peaks are picked on the simulated spectrum on its
       own grid with the same parameters.
    3. ``fit_scale_and_background`` fits scale and background jointly (the
       background under the best-aligned model, so it cannot eat misplaced
       peaks); W1 and cosine compare ``measured_minus_background`` with the
       simulated spectrum as it is, on the measured grid, both clipped at 0 and
       area-normalised.  A fitted scale of 0 is recorded in ``notes``.
    4. Peaks are matched one-to-one (Hungarian) after the alignment's stretch and
       shift, within ``gate_fwhm_multiple`` resolution FWHM (see
       :func:`resolution_gate`) and ``max_distance_cm1`` raw distance; the MAE and
       signed mean shift are of the raw positions.
    5. ``frequency_scale`` (diagnostic, not thresholded unless thresholds.toml says so).

    Every step works on data divided by its maximum, with relative tolerances only:
    multiplying the measured intensities (and errors) by any positive constant
    leaves every score unchanged.

    A bad prediction never raises: no spectrum (None), NaN values, a
    spectrum outside the window, zero or negative intensities, or no peaks in
    the window (a featureless spectrum can mimic the measured background)
    give the worst values (W1 = window width, cosine = 0, peak MAE =
    max_distance_cm1), and ``problems`` says why.  No simulated peak within
    the gate gives the worst peak MAE only.
    """
    settings = settings or ScoringSettings()
    lo, hi = check_window(window_cm1)
    cut = check_measured(measured, (lo, hi), settings.min_points_in_window)
    if reference_peaks_cm1 is not None:
        reference_peaks = peak_table_from_positions(measured, reference_peaks_cm1, (lo, hi))
    else:
        reference_peaks = pick_peaks(measured, (lo, hi), **settings.peak_picking())
    if len(reference_peaks) == 0:
        source = "in the peak table" if reference_peaks_cm1 is not None else f"({_describe(settings)})"
        raise MetricInputError(
            f"{measured.label or 'measured spectrum'}: no peaks found in {lo:g}-{hi:g} cm-1 "
            f"{source}; lower prominence_fraction or choose another window"
        )
    worst = {
        "w1_cm1": hi - lo,
        "cosine": 0.0,
        "peak_mae_cm1": settings.max_distance_cm1,
    }

    def result(
        problems: list[str],
        notes: list[str] | None = None,
        fit: BackgroundFit | None = None,
        sim_peaks: PeakTable | None = None,
        match: PeakMatch | None = None,
        frequency_fit: Alignment | None = None,
        **values: float,
    ) -> SpectralScores:
        scores = {**worst, **values}
        return SpectralScores(
            window_cm1=(lo, hi),
            w1_cm1=float(scores["w1_cm1"]),
            cosine=float(scores["cosine"]),
            peak_mae_cm1=float(scores["peak_mae_cm1"]),
            peak_mean_shift_cm1=None if match is None else match.mean_shift_cm1,
            n_reference_peaks=len(reference_peaks),
            n_matched=0 if match is None else match.n_matched,
            fit=fit,
            reference_peaks=reference_peaks,
            simulated_peaks=sim_peaks,
            match=match,
            problems=tuple(problems),
            notes=tuple(notes or ()),
            settings=settings,
            frequency_scale=float("nan") if frequency_fit is None else frequency_fit.stretch,
            frequency_fit=frequency_fit,
        )

    problem = _prediction_problem(simulated, cut.energy_cm1, lo, hi, settings)
    if problem is not None:
        return result([problem])
    assert simulated is not None

    sim_peaks = pick_peaks(simulated, (lo, hi), **settings.peak_picking())
    if len(sim_peaks) == 0:
        featureless = (
            f"simulated spectrum has no peaks in {lo:g}-{hi:g} cm-1 ({_describe(settings)}); "
            "a featureless spectrum can mimic the measured background, so it gets the worst score"
        )
        return result([featureless], sim_peaks=sim_peaks)

    fit = fit_scale_and_background(
        simulated,
        measured,
        (lo, hi),
        settings.background_form,
        min_points=settings.min_points_in_window,
        max_shift_cm1=settings.max_distance_cm1,
        max_broadening_cm1=settings.max_distance_cm1,
    )
    problems: list[str] = []
    notes: list[str] = []
    values: dict[str, float] = {}
    if not fit.scale > 0.0:
        notes.append(
            "fitted scale is 0: no positive multiple of the simulated spectrum improves the fit, "
            "so the background was fitted to the measured spectrum alone"
        )
    if fit.note:
        notes.append(fit.note)
    measured_left = np.clip(fit.measured_minus_background, 0.0, None)
    # Area normalisation removes the scale, so the unscaled interpolation is used:
    # identical to scaled_simulated for scale > 0 and still defined for scale = 0.
    simulated_on_grid = np.clip(simulated.interpolate_to(fit.energy_cm1), 0.0, None)
    if not np.any(measured_left > 0.0):
        problems.append(
            "nothing of the measured spectrum is left after subtracting the fitted background"
        )
    else:
        x = fit.energy_cm1
        values["w1_cm1"] = wasserstein1_cm1(x, measured_left, simulated_on_grid)
        values["cosine"] = cosine_overlap(x, measured_left, simulated_on_grid)

    alignment = fit.alignment
    match = match_peaks(
        reference_peaks,
        sim_peaks,
        max_distance_cm1=settings.max_distance_cm1,
        gate_cm1=resolution_gate(settings, simulated, resolution_fwhm_cm1),
        mapping=None if alignment is None else alignment.map_cm1,
    )
    if match.mae_cm1 is None:
        problems.append(
            f"none of the {len(sim_peaks)} simulated peaks lies within the matching gate "
            f"(max {settings.max_distance_cm1:g} cm-1) of a reference peak"
        )
    else:
        values["peak_mae_cm1"] = match.mae_cm1
    if match.unmatched_reference_cm1.size:
        notes.append(
            f"{match.unmatched_reference_cm1.size} of {len(reference_peaks)} reference peaks unmatched "
            f"(at {', '.join(f'{v:.0f}' for v in match.unmatched_reference_cm1)} cm-1)"
        )
    frequency_fit = _frequency_scale(simulated, cut, settings, lo, hi)
    gate = resolution_gate(settings, simulated, resolution_fwhm_cm1)

    def matched(s: float) -> tuple[np.ndarray, np.ndarray]:
        pairs = match_peaks(reference_peaks, sim_peaks, max_distance_cm1=hi - lo,
                            gate_cm1=gate or (lambda e: np.full(np.shape(e), settings.max_distance_cm1)),
                            mapping=lambda e: s * e)
        return pairs.reference_cm1, pairs.simulated_cm1

    from_peaks = frequency_scale_from_peaks(reference_peaks.positions_cm1, sim_peaks.positions_cm1, matched)
    if from_peaks is not None:
        whole = frequency_fit.stretch
        frequency_fit = replace(frequency_fit, stretch=from_peaks[0], method=f"peaks ({from_peaks[1]} pairs)")
        if abs(whole / from_peaks[0] - 1.0) > 0.02:
            notes.append(
                f"frequency scale uncertain: {from_peaks[0]:.3f} from {from_peaks[1]} peak pairs, but a "
                f"least-squares stretch of the whole spectrum gives {whole:.3f} (intensity mismatch, or a "
                "scale error larger than a few % that the peak pairing cannot follow)"
            )
    else:
        notes.append("fewer than 2 peak pairs for the frequency scale: it comes from a least-squares "
                     "stretch of the whole spectrum instead")
    if min(abs(frequency_fit.stretch - edge) for edge in STRETCH_RANGE) < 1e-6:
        notes.append(
            f"frequency scale {frequency_fit.stretch:.3f} is at the edge of the searched range "
            f"{STRETCH_RANGE[0]:g}-{STRETCH_RANGE[1]:g}: no uniform stretch lines the model up with "
            "the reference in this window"
        )
    return result(problems, notes, fit=fit, sim_peaks=sim_peaks, match=match,
                  frequency_fit=frequency_fit, **values)
