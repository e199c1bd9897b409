"""The one-dimensional spectrum type shared by reference, physics and metrics.

:meth:`Spectrum1D.to_xarray` and :func:`components_to_xarray` give labelled
``xarray.Dataset`` s (an ``energy_cm1`` coordinate, units and provenance in attrs) that
the results store saves as NetCDF next to each record: ``xarray.open_dataset(path)``.
xarray is imported only when these are called.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
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

    def to_xarray(self, **attrs: Any) -> Any:
        """An ``xarray.Dataset``: ``intensity`` (and ``error``) over ``energy_cm1``.

        ``label``, ``metadata`` and ``attrs`` become dataset attrs (mappings as JSON text,
        since NetCDF attrs hold only strings and numbers).
        """
        import xarray as xr

        data_vars = {"intensity": ("energy_cm1", self.intensity, {"units": "arbitrary", "long_name": "intensity"})}
        if self.error is not None:
            data_vars["error"] = ("energy_cm1", self.error, {"units": "arbitrary",
                                                              "long_name": "one standard deviation of intensity"})
        return xr.Dataset(
            data_vars,
            coords={"energy_cm1": ("energy_cm1", self.energy_cm1,
                                   {"units": "cm-1", "long_name": "energy transfer"})},
            attrs=netcdf_attrs({"label": self.label, "metadata": self.metadata, **attrs}),
        )

    @classmethod
    def from_xarray(cls, dataset: Any) -> "Spectrum1D":
        """The inverse of :meth:`to_xarray` (metadata read back from its JSON attr)."""
        error = dataset["error"].values if "error" in dataset else None
        metadata = dataset.attrs.get("metadata", "{}")
        return cls(
            dataset["energy_cm1"].values, dataset["intensity"].values, error,
            str(dataset.attrs.get("label", "")),
            json.loads(metadata) if isinstance(metadata, str) else dict(metadata),
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Spectrum1D":
        return cls(
            np.asarray(data["energy_cm1"], dtype=float),
            np.asarray(data["intensity"], dtype=float),
            None if data.get("error") is None else np.asarray(data["error"], dtype=float),
            data.get("label", ""),
            dict(data.get("metadata", {})),
        )


def netcdf_attrs(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """``attrs`` made storable in NetCDF: None dropped, bools as 0/1, mappings and lists as JSON text."""
    out: dict[str, Any] = {}
    for key, value in attrs.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = int(value)
        elif isinstance(value, (str, int, float)):
            out[key] = value
        else:
            out[key] = json.dumps(value, sort_keys=True, default=str)
    return out


def components_to_xarray(energy_cm1: np.ndarray, components: Mapping[str, Any], **attrs: Any) -> Any:
    """Simulated intensity per bank and per order as one ``xarray.Dataset``.

    ``components`` maps ``"<bank>/<part>"`` (part: ``order1``, ``order2``, ``orders3-10``,
    ``total``) to an intensity on ``energy_cm1``; the result has ``intensity(bank, order,
    energy_cm1)``, NaN where a bank lacks a part.
    """
    import xarray as xr

    x = np.asarray(energy_cm1, dtype=float)
    banks: list[str] = []
    parts: list[str] = []
    for key in components:
        bank, _, part = key.partition("/")
        if not part:
            raise SpectrumError(f"component {key!r} is not '<bank>/<order>'")
        banks += [bank] if bank not in banks else []
        parts += [part] if part not in parts else []
    cube = np.full((len(banks), len(parts), x.size), np.nan)
    for key, values in components.items():
        bank, _, part = key.partition("/")
        values = np.asarray(values, dtype=float)
        if values.shape != x.shape:
            raise SpectrumError(f"component {key!r} has shape {values.shape}, expected {x.shape}")
        cube[banks.index(bank), parts.index(part)] = values
    return xr.Dataset(
        {"intensity": (("bank", "order", "energy_cm1"), cube,
                       {"units": "arbitrary", "long_name": "simulated INS intensity per bank and order"})},
        coords={"energy_cm1": ("energy_cm1", x, {"units": "cm-1", "long_name": "energy transfer"}),
                "bank": ("bank", banks), "order": ("order", parts)},
        attrs=netcdf_attrs(attrs),
    )
