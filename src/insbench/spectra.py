"""The one-dimensional spectrum type shared by reference, physics and metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


class SpectrumError(ValueError):
    """A spectrum's arrays are inconsistent or unusable."""


@dataclass(frozen=True)
class Spectrum1D:
    """Intensity against energy transfer in cm-1.

    ``energy_cm1`` are point (bin-centre) positions, strictly increasing, not
    necessarily evenly spaced (ISIS INS database files are not).
    ``error`` is one standard deviation of ``intensity`` or None.
    ``label`` says what it is (e.g. "measured TFXA", "sevennet-0+d3 TOSCA").
    """

    energy_cm1: np.ndarray
    intensity: np.ndarray
    error: np.ndarray | None = None
    label: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        x = np.asarray(self.energy_cm1, dtype=float)
        y = np.asarray(self.intensity, dtype=float)
        if x.ndim != 1 or y.shape != x.shape:
            raise SpectrumError(
                f"spectrum {self.label!r}: energy_cm1 has shape {x.shape} and intensity "
                f"{y.shape}; both must be 1-D and the same length"
            )
        if x.size < 2:
            raise SpectrumError(f"spectrum {self.label!r}: needs at least 2 points, has {x.size}")
        if not np.all(np.isfinite(x)) or not np.all(np.isfinite(y)):
            raise SpectrumError(f"spectrum {self.label!r}: contains NaN or infinite values")
        if np.any(np.diff(x) <= 0):
            raise SpectrumError(f"spectrum {self.label!r}: energy_cm1 must be strictly increasing")
        object.__setattr__(self, "energy_cm1", x)
        object.__setattr__(self, "intensity", y)
        if self.error is not None:
            e = np.asarray(self.error, dtype=float)
            if e.shape != x.shape:
                raise SpectrumError(
                    f"spectrum {self.label!r}: error has shape {e.shape}, expected {x.shape}"
                )
            if not np.all(np.isfinite(e)) or np.any(e < 0):
                raise SpectrumError(f"spectrum {self.label!r}: errors must be finite and >= 0")
            object.__setattr__(self, "error", e)

    def window(self, lo_cm1: float, hi_cm1: float) -> "Spectrum1D":
        """The part of the spectrum with lo_cm1 <= energy <= hi_cm1."""
        keep = (self.energy_cm1 >= lo_cm1) & (self.energy_cm1 <= hi_cm1)
        return Spectrum1D(
            self.energy_cm1[keep],
            self.intensity[keep],
            None if self.error is None else self.error[keep],
            self.label,
            dict(self.metadata),
        )

    def interpolate_to(self, energy_cm1: np.ndarray) -> np.ndarray:
        """Intensity linearly interpolated onto another energy grid (0 outside)."""
        return np.interp(energy_cm1, self.energy_cm1, self.intensity, left=0.0, right=0.0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "energy_cm1": self.energy_cm1.tolist(),
            "intensity": self.intensity.tolist(),
            "error": None if self.error is None else self.error.tolist(),
            "label": self.label,
            "metadata": self.metadata,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Spectrum1D":
        return cls(
            np.asarray(data["energy_cm1"], dtype=float),
            np.asarray(data["intensity"], dtype=float),
            None if data.get("error") is None else np.asarray(data["error"], dtype=float),
            data.get("label", ""),
            dict(data.get("metadata", {})),
        )
