"""How an MD stability run is judged, read from ``md_tolerances.toml`` (pydantic; unknown keys are errors).

How a run is *made* (lengths, equilibration, friction, seed) is physics and lives in
``insbench/md_settings.toml`` (:mod:`insbench.physics.md_settings`). This file holds:

``[analysis]``
    how the statistics are taken: RDF range, bin, pairs and the minimum pair count for
    an RDF to be judged; the bond criteria of the molecule check.
``[levels.<level>]``
    the early and late RDF windows (ps from the start of production NVT), the running
    average drawn in the plots, and per-level overrides of tolerances.
``[tolerances.<metric>]``
    a fixed limit: ``threshold``, ``unit`` ("1" = dimensionless), ``direction`` ("max":
    value <= threshold passes; "min": value >= threshold passes), ``rationale``.
``[drift.<metric>]``
    a noise-aware limit on the |slope| of a time series: it passes when
    ``|slope| <= max(k_sigma x stderr, floor)``, where ``stderr`` is the slope's
    autocorrelation-aware standard error in this run (its correlation time taken as at
    least ``min_correlation_time_fs``) and ``floor`` is a drift too small to matter
    physically. Both numbers are reported with every verdict.

A fixed tolerance is a :class:`~insbench.metrics.thresholds.Threshold` (the class the
spectral thresholds use) whose ``system`` is the system and ``window`` the level; a drift
tolerance is a :class:`DriftTolerance`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from insbench._toml import read_declarative_toml, validate_declarative
from insbench.physics.md_settings import LEVELS

from .md_series import SlopeFit
from .thresholds import Judgement, Threshold

SCHEMA_VERSION = 1


class MDConfigError(ValueError):
    """The MD tolerances file is malformed; the message names the offending key."""


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AnalysisTable(_Table):
    """``[analysis]``: how the statistics are taken."""

    rdf_r_max_a: float = Field(gt=0)
    rdf_bin_a: float = Field(gt=0)
    rdf_pairs: tuple[str, ...]
    rdf_min_pair_counts: int = Field(ge=1, description="pair distances < rdf_r_max_a, summed over a window's frames")
    bond_scale: float = Field(gt=0, description="bonded at the start: d < scale x (sum of covalent radii)")
    bond_break_scale: float = Field(gt=0, description="a start bond is broken beyond this x (sum of radii)")
    bond_form_scale: float = Field(gt=0, description="a new bond forms below this x (sum of radii)")
    bond_persist_frames: int = Field(ge=1, description="broken/formed in each of the last N frames")

    @field_validator("rdf_pairs")
    @classmethod
    def _pairs(cls, pairs: tuple[str, ...]) -> tuple[str, ...]:
        from ase.data import chemical_symbols

        for pair in pairs:
            parts = pair.split("-")
            if len(parts) != 2 or not all(p in chemical_symbols[1:] for p in parts):
                raise ValueError(f"{pair!r} is not an element pair like 'C-H'")
        return pairs

    @model_validator(mode="after")
    def _bond_order(self) -> AnalysisTable:
        if not self.bond_form_scale < self.bond_scale < self.bond_break_scale:
            raise ValueError("needs bond_form_scale < bond_scale < bond_break_scale (a hysteresis, so that "
                             "thermal vibration neither breaks a bond nor makes a contact a bond)")
        return self


class ToleranceTable(_Table):
    """``[tolerances.<metric>]``: a fixed limit."""

    threshold: float
    unit: str = Field(min_length=1)
    direction: Literal["max", "min"]
    rationale: str = Field(min_length=1)


class DriftTable(_Table):
    """``[drift.<metric>]``: ``|slope| <= max(k_sigma x stderr, floor)``."""

    k_sigma: float = Field(gt=0)
    floor: float = Field(ge=0)
    min_correlation_time_fs: float = Field(ge=0, description="tau_int is taken as at least this (0: as measured)")
    unit: str = Field(min_length=1)
    rationale: str = Field(min_length=1)


class OverrideTable(_Table):
    """``[levels.<level>.tolerances.<metric>]``: a per-level change of a limit, with its reason."""

    threshold: float | None = None
    k_sigma: float | None = Field(default=None, gt=0)
    floor: float | None = Field(default=None, ge=0)
    rationale: str = Field(min_length=1)


class LevelTable(_Table):
    """``[levels.<level>]``: RDF windows (ps from the start of production NVT) and overrides."""

    running_average_ps: float = Field(gt=0, description="plots only: the running average drawn")
    early_window_ps: tuple[float, float]
    late_window_ps: tuple[float, float]
    tolerances: dict[str, OverrideTable] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _windows(self) -> LevelTable:
        for name, (lo, hi) in (("early_window_ps", self.early_window_ps), ("late_window_ps", self.late_window_ps)):
            if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo < hi):
                raise ValueError(f"{name} must be [start_ps, end_ps] with 0 <= start < end, got {[lo, hi]}")
        if self.early_window_ps[1] > self.late_window_ps[0]:
            raise ValueError("windows must be ordered: early_window_ps ends before late_window_ps starts")
        return self


class MDTolerancesFile(_Table):
    schema_version: Literal[1]
    analysis: AnalysisTable
    levels: dict[str, LevelTable]
    tolerances: dict[str, ToleranceTable]
    drift: dict[str, DriftTable]

    @model_validator(mode="after")
    def _consistent(self) -> MDTolerancesFile:
        if set(self.levels) != set(LEVELS):
            raise ValueError(f"levels: needs exactly {', '.join(LEVELS)}; has {', '.join(self.levels) or 'none'}")
        if both := sorted(set(self.tolerances) & set(self.drift)):
            raise ValueError(f"{', '.join(both)}: declared in both [tolerances] and [drift]; keep one")
        for level, table in self.levels.items():
            for metric, override in table.tolerances.items():
                where = f"levels.{level}.tolerances.{metric}"
                if metric in self.tolerances:
                    if override.threshold is None or override.k_sigma is not None or override.floor is not None:
                        raise ValueError(f"{where}: a fixed tolerance is overridden by threshold (only)")
                elif metric in self.drift:
                    if override.threshold is not None or (override.k_sigma is None and override.floor is None):
                        raise ValueError(f"{where}: a drift tolerance is overridden by k_sigma and/or floor")
                else:
                    raise ValueError(f"{where} overrides a metric with no [tolerances.{metric}] or [drift.{metric}]")
        return self


@dataclass(frozen=True)
class DriftTolerance:
    """A noise-aware limit on a drift: passes when ``|slope| <= max(k_sigma x stderr, floor)``."""

    system: str
    window: str
    metric: str
    k_sigma: float
    floor: float
    unit: str
    rationale: str
    min_correlation_time_fs: float = 0.0

    def stderr(self, fit: SlopeFit | None) -> float:
        """The fit's autocorrelation-aware stderr, its tau_int raised to ``min_correlation_time_fs``."""
        return float("nan") if fit is None else fit.stderr_with_min_tau(self.min_correlation_time_fs * 1e-3)

    def allowance(self, stderr: float) -> float:
        """``max(k_sigma x stderr, floor)``; the floor alone when the run gives no stderr."""
        noise = self.k_sigma * stderr if stderr is not None and math.isfinite(stderr) else 0.0
        return max(noise, self.floor)

    def judge(self, value: float, fit: SlopeFit | None) -> Judgement:
        """Judge ``value`` (an |slope|) against this run's noise and the floor; the message shows both."""
        stderr = self.stderr(fit)
        limit = self.allowance(stderr)
        judgement = Threshold(self.system, self.window, self.metric, limit, self.unit, "max",
                              self.rationale).judge(value)
        unit = "" if self.unit == "1" else f" {self.unit}"
        tau = f" (tau_int >= {self.min_correlation_time_fs:g} fs)" if self.min_correlation_time_fs else ""
        basis = (f"max({self.k_sigma:g} x stderr {stderr:.3g}{tau}, floor {self.floor:.3g}){unit} = "
                 f"{limit:.4g}{unit}" if math.isfinite(stderr)
                 else f"the floor {self.floor:.3g}{unit} (no stderr: too few points)")
        if judgement.margin is None:
            message = f"{self.metric} = {value} is not a finite number; needs <= {basis} (fail)"
        else:
            op = "<=" if judgement.passed else ">"
            message = (f"{self.metric} = {value:.4g}{unit} {op} {basis} "
                       f"({'pass' if judgement.passed else 'fail'}, margin {judgement.margin:.4g})")
        return Judgement(judgement.metric, judgement.passed, judgement.value, limit, "max", self.unit,
                         judgement.margin, message)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "drift", "k_sigma": self.k_sigma, "floor": self.floor,
                "min_correlation_time_fs": self.min_correlation_time_fs, "unit": self.unit,
                "direction": "max", "rationale": self.rationale}


Tolerance = Threshold | DriftTolerance


@dataclass(frozen=True)
class MDConfig:
    """The whole tolerances file, validated. Build with :func:`load_md_config`."""

    source: str
    analysis: AnalysisTable
    levels: dict[str, LevelTable]
    tolerances: dict[str, ToleranceTable] = field(repr=False)
    drift: dict[str, DriftTable] = field(repr=False)

    def level(self, name: str) -> LevelTable:
        if name not in self.levels:
            raise MDConfigError(f"no MD level {name!r} in {self.source}; levels: {', '.join(self.levels)}")
        return self.levels[name]

    def tolerances_for(self, system: str, level: str) -> dict[str, Tolerance]:
        """Every tolerance with the level's overrides applied, labelled (system, level)."""
        overrides = self.level(level).tolerances
        out: dict[str, Tolerance] = {}
        for metric, base in self.tolerances.items():
            o = overrides.get(metric)
            out[metric] = Threshold(system, level, metric, o.threshold if o else base.threshold, base.unit,
                                    base.direction, o.rationale if o else base.rationale)
        for metric, drift in self.drift.items():
            o = overrides.get(metric)
            out[metric] = DriftTolerance(
                system, level, metric,
                k_sigma=o.k_sigma if o and o.k_sigma is not None else drift.k_sigma,
                floor=o.floor if o and o.floor is not None else drift.floor,
                unit=drift.unit, rationale=o.rationale if o else drift.rationale,
                min_correlation_time_fs=drift.min_correlation_time_fs)
        return out


def parse_md_config(data: Any, source: str) -> MDConfig:
    """Validate parsed TOML ``data`` (``source`` names it in errors)."""
    parsed = validate_declarative(MDTolerancesFile, data, source, MDConfigError)
    return MDConfig(source, parsed.analysis, dict(parsed.levels), dict(parsed.tolerances), dict(parsed.drift))


def load_md_config(path: str | Path | None = None) -> MDConfig:
    """Read and validate an MD tolerances file (default: the one shipped with insbench)."""
    data, source = read_declarative_toml("md_tolerances.toml", path, MDConfigError)
    return parse_md_config(data, source)
