"""Scale-free comparison of simulated and measured INS spectra (pure numpy/scipy).

Never runs a calculator.  Flow: :func:`fit_scale_and_background` ->
:func:`wasserstein1_cm1` / :func:`cosine_overlap` -> :func:`pick_peaks` /
:func:`match_peaks`, all composed by :func:`score_spectrum`; pass/fail limits
come from ``thresholds.toml`` via :func:`load_thresholds`.
"""

from .background import (
    BACKGROUND_FORMS,
    BackgroundFit,
    FitParameter,
    fit_scale_and_background,
)
from .distances import cosine_overlap, wasserstein1, wasserstein1_cm1
from .errors import MetricInputError
from .peaks import PeakMatch, PeakTable, match_peaks, pick_peaks
from .scoring import SpectralScores, score_spectrum
from .settings import ScoringSettings
from .thresholds import (
    Judgement,
    MissingThresholdError,
    Threshold,
    Thresholds,
    ThresholdsError,
    load_thresholds,
)

__all__ = [
    "BACKGROUND_FORMS",
    "BackgroundFit",
    "FitParameter",
    "Judgement",
    "MetricInputError",
    "MissingThresholdError",
    "PeakMatch",
    "PeakTable",
    "ScoringSettings",
    "SpectralScores",
    "Threshold",
    "Thresholds",
    "ThresholdsError",
    "cosine_overlap",
    "fit_scale_and_background",
    "load_thresholds",
    "match_peaks",
    "pick_peaks",
    "score_spectrum",
    "wasserstein1",
    "wasserstein1_cm1",
]
