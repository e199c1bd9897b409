"""ScoringSettings: every knob of :func:`insbench.metrics.score_spectrum` in one place.

The benchmark's values live in the ``[scoring]`` table of ``thresholds.toml``
(optionally overridden per system and window); the defaults here are the same
numbers, for ad-hoc use of the functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any

from .background import BACKGROUND_FORMS, DEFAULT_MIN_POINTS
from .peaks import (
    DEFAULT_MIN_SEPARATION_CM1,
    DEFAULT_PROMINENCE_FRACTION,
    DEFAULT_SMOOTHING_CM1,
)


@dataclass(frozen=True)
class ScoringSettings:
    """How a simulated spectrum is compared with a measured one.

    * ``background_form``: "constant" (the default: the simulation carries its
      multiphonon orders, so the background is what the instrument adds), "none",
      or a declared "linear"/"quadratic" (see
      :func:`insbench.metrics.fit_scale_and_background`);
    * ``background_reason``: why a fixture needs more than a constant; required
      (non-empty) for "linear" and "quadratic", so no one picks a form that can
      absorb signal without saying why;
    * ``prominence_fraction``, ``min_separation_cm1``, ``smoothing_cm1``:
      peak picking, the same for measured and simulated spectra
      (see :func:`insbench.metrics.pick_peaks`);
    * ``max_distance_cm1``: the largest |simulated - reference| peak distance
      that can be matched, the peak MAE given to a prediction with no match, and
      the largest shift the alignment behind the background fit may use;
    * ``gate_fwhm_multiple``: after the model's global stretch and shift are
      removed, a simulated peak must land within this many resolution FWHM (at the
      reference peak's energy) of a reference peak to be matched to it;
    * ``min_points_in_window``: fewer measured points than this in the window
      is a reference-data error;
    * ``negative_tolerance_fraction``: simulated intensities below
      -fraction * max|intensity| mark the prediction as unphysical (worst score);
      smaller negative values are clipped to 0.
    """

    background_form: str = "constant"
    background_reason: str = ""
    prominence_fraction: float = DEFAULT_PROMINENCE_FRACTION
    min_separation_cm1: float = DEFAULT_MIN_SEPARATION_CM1
    smoothing_cm1: float = DEFAULT_SMOOTHING_CM1
    max_distance_cm1: float = 40.0
    gate_fwhm_multiple: float = 2.0
    min_points_in_window: int = DEFAULT_MIN_POINTS
    negative_tolerance_fraction: float = 1e-3

    def __post_init__(self) -> None:
        if self.background_form not in BACKGROUND_FORMS:
            raise ValueError(
                f"background_form {self.background_form!r} is unknown; "
                f"choose one of {', '.join(BACKGROUND_FORMS)}"
            )
        if self.background_form in ("linear", "quadratic") and not str(self.background_reason).strip():
            raise ValueError(
                f"background_form {self.background_form!r} needs a background_reason: a sloped "
                "background can absorb real signal, so say why this fixture needs it (e.g. a "
                "measured empty-can background that slopes), or use 'constant'"
            )
        if not isinstance(self.background_reason, str):
            raise ValueError(f"background_reason must be text, got {self.background_reason!r}")
        if not self.gate_fwhm_multiple > 0.0:
            raise ValueError(f"gate_fwhm_multiple must be > 0, got {self.gate_fwhm_multiple}")
        if not 0.0 < self.prominence_fraction < 1.0:
            raise ValueError(
                f"prominence_fraction must be in (0, 1), got {self.prominence_fraction}"
            )
        for name in (
            "min_separation_cm1",
            "smoothing_cm1",
            "negative_tolerance_fraction",
        ):
            if not getattr(self, name) >= 0.0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if not self.max_distance_cm1 > 0.0:
            raise ValueError(
                f"max_distance_cm1 must be > 0 cm-1, got {self.max_distance_cm1}"
            )
        if (
            isinstance(self.min_points_in_window, bool)
            or not isinstance(self.min_points_in_window, int)
            or self.min_points_in_window < 3
        ):
            raise ValueError(
                f"min_points_in_window must be an integer >= 3, got {self.min_points_in_window!r}"
            )

    def peak_picking(self) -> dict[str, float]:
        """Keyword arguments for :func:`insbench.metrics.pick_peaks`."""
        return {
            "prominence_fraction": self.prominence_fraction,
            "min_separation_cm1": self.min_separation_cm1,
            "smoothing_cm1": self.smoothing_cm1,
        }

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_mapping(
        cls, mapping: Mapping[str, Any], base: ScoringSettings | None = None
    ) -> ScoringSettings:
        """Settings from a mapping (e.g. a TOML table); keys not given come from ``base``.

        Unknown keys raise ValueError listing the known ones.
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(mapping) - known)
        if unknown:
            raise ValueError(
                f"unknown scoring setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        values = (base or cls()).to_dict()
        values.update(mapping)
        return cls(**values)
