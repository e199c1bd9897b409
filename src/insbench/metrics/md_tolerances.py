"""Run levels and tolerances of the MD stability suite, read from ``md_tolerances.toml``.

The packaged file is ``insbench/md_tolerances.toml`` (its header documents the layout).
A tolerance is a :class:`~insbench.metrics.thresholds.Threshold` (the same class the
spectral thresholds use) whose ``system`` is the system and whose ``window`` is the level.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from insbench._toml import read_declarative_toml

from .thresholds import DIRECTIONS, Threshold

SCHEMA_VERSION = 1
LEVELS = ("smoke", "standard", "paper")
_TOLERANCE_KEYS = {"threshold", "unit", "direction", "rationale"}
_RUN_KEYS = {
    "temperature_k", "friction_per_fs", "seed", "min_distance_floor_a", "max_temperature_factor",
    "compressibility_per_gpa", "barostat_time_fs", "thermostat_time_fs", "rdf_r_max_a", "rdf_bin_a",
    "rdf_pairs", "bond_scale", "bond_persist_frames",
}


class MDConfigError(ValueError):
    """The MD tolerances file is malformed; the message names the offending key."""


@dataclass(frozen=True)
class MDLevel:
    """How long and how big one level's run is (times in ps unless named fs)."""

    name: str
    description: str
    supercell_min_length_a: float
    timestep_fs: float
    nvt_ps: float
    nve_ps: float
    npt_ps: float
    sample_every_fs: float
    trajectory_every_fs: float
    running_average_ps: float
    early_window_ps: tuple[float, float]
    late_window_ps: tuple[float, float]

    def steps(self, duration_ps: float) -> int:
        return round(duration_ps * 1000.0 / self.timestep_fs)

    @property
    def sample_every_steps(self) -> int:
        return max(1, round(self.sample_every_fs / self.timestep_fs))

    @property
    def trajectory_every_frames(self) -> int:
        return max(1, round(self.trajectory_every_fs / (self.sample_every_steps * self.timestep_fs)))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class MDConfig:
    """The whole file: shared run settings, levels, per-system settings, tolerances."""

    source: str
    run: Mapping[str, Any]
    levels: Mapping[str, MDLevel]
    systems: Mapping[str, Mapping[str, Any]]
    tolerances: Mapping[str, Threshold] = field(repr=False)
    level_overrides: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(repr=False)

    def level(self, name: str) -> MDLevel:
        if name not in self.levels:
            raise MDConfigError(f"no MD level {name!r} in {self.source}; levels: {', '.join(self.levels)}")
        return self.levels[name]

    def temperature_k(self, system: str) -> float:
        return float(self.systems.get(system, {}).get("temperature_k", self.run["temperature_k"]))

    def tolerances_for(self, system: str, level: str) -> dict[str, Threshold]:
        """Every tolerance, with the level's overrides applied, labelled (system, level)."""
        self.level(level)
        out = {}
        for metric, base in self.tolerances.items():
            override = self.level_overrides.get(level, {}).get(metric, {})
            out[metric] = dataclasses.replace(
                base, system=system, window=level,
                threshold=float(override.get("threshold", base.threshold)),
                rationale=str(override.get("rationale", base.rationale)),
            )
        return out


def _number(where: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise MDConfigError(f"{where} must be a finite number, got {value!r}")
    return float(value)


def _window(where: str, value: Any) -> tuple[float, float]:
    if not (isinstance(value, list) and len(value) == 2):
        raise MDConfigError(f"{where} must be [start_ps, end_ps], got {value!r}")
    lo, hi = (_number(where, v) for v in value)
    if not 0 <= lo < hi:
        raise MDConfigError(f"{where} must satisfy 0 <= start < end, got {value!r}")
    return lo, hi


def _parse_level(source: str, name: str, raw: Any) -> tuple[MDLevel, dict[str, dict[str, Any]]]:
    where = f"{source}: levels.{name}"
    if not isinstance(raw, dict):
        raise MDConfigError(f"{where} must be a table")
    raw = dict(raw)
    overrides = raw.pop("tolerances", {})
    fields = {f.name for f in dataclasses.fields(MDLevel)} - {"name"}
    missing, unknown = sorted(fields - set(raw)), sorted(set(raw) - fields)
    if missing or unknown:
        raise MDConfigError(f"{where}: missing {missing or 'nothing'}, unknown {unknown or 'nothing'}")
    values: dict[str, Any] = {"name": name, "description": str(raw["description"])}
    for key in fields - {"description", "early_window_ps", "late_window_ps"}:
        values[key] = _number(f"{where}.{key}", raw[key])
    values["early_window_ps"] = _window(f"{where}.early_window_ps", raw["early_window_ps"])
    values["late_window_ps"] = _window(f"{where}.late_window_ps", raw["late_window_ps"])
    level = MDLevel(**values)
    if level.timestep_fs <= 0 or level.nvt_ps <= 0:
        raise MDConfigError(f"{where}: timestep_fs and nvt_ps must be > 0")
    if level.late_window_ps[1] > level.nvt_ps + 1e-9 or level.early_window_ps[1] > level.late_window_ps[0]:
        raise MDConfigError(f"{where}: windows must be ordered early < late and end within nvt_ps "
                            f"({level.nvt_ps} ps)")
    if not isinstance(overrides, dict):
        raise MDConfigError(f"{where}.tolerances must be a table of {{threshold, rationale}}")
    for metric, override in overrides.items():
        if not isinstance(override, dict) or set(override) - {"threshold", "rationale"} or "threshold" not in override:
            raise MDConfigError(f"{where}.tolerances.{metric} must be {{threshold = ..., rationale = \"...\"}}")
        _number(f"{where}.tolerances.{metric}.threshold", override["threshold"])
    return level, overrides


def _parse_tolerance(source: str, metric: str, raw: Any) -> Threshold:
    where = f"{source}: tolerances.{metric}"
    if not isinstance(raw, dict):
        raise MDConfigError(f"{where} must be a table")
    missing, unknown = sorted(_TOLERANCE_KEYS - set(raw)), sorted(set(raw) - _TOLERANCE_KEYS)
    if missing or unknown:
        raise MDConfigError(f"{where}: missing {missing or 'nothing'}, unknown {unknown or 'nothing'}")
    if raw["direction"] not in DIRECTIONS:
        raise MDConfigError(f'{where}.direction must be "max" or "min", got {raw["direction"]!r}')
    for key in ("unit", "rationale"):
        if not isinstance(raw[key], str) or not raw[key].strip():
            raise MDConfigError(f"{where}.{key} must be a non-empty string")
    return Threshold("*", "*", metric, _number(f"{where}.threshold", raw["threshold"]), raw["unit"],
                     raw["direction"], raw["rationale"])


def parse_md_config(data: Mapping[str, Any], source: str) -> MDConfig:
    """Validate parsed TOML ``data`` (``source`` names it in errors)."""
    if data.get("schema_version") != SCHEMA_VERSION:
        raise MDConfigError(f"{source}: schema_version is {data.get('schema_version')!r}, "
                            f"expected {SCHEMA_VERSION}")
    run = data.get("run")
    if not isinstance(run, dict) or set(run) != _RUN_KEYS:
        have = set(run) if isinstance(run, dict) else set()
        raise MDConfigError(f"{source}: [run] must set exactly {sorted(_RUN_KEYS)}; missing "
                            f"{sorted(_RUN_KEYS - have)}, unknown {sorted(have - _RUN_KEYS)}")
    levels, overrides = {}, {}
    for name, raw in data.get("levels", {}).items():
        levels[name], overrides[name] = _parse_level(source, name, raw)
    if set(levels) != set(LEVELS):
        raise MDConfigError(f"{source}: needs levels {', '.join(LEVELS)}, has {', '.join(levels)}")
    tolerances = {m: _parse_tolerance(source, m, raw) for m, raw in data.get("tolerances", {}).items()}
    for level, table in overrides.items():
        for metric in table:
            if metric not in tolerances:
                raise MDConfigError(f"{source}: levels.{level}.tolerances.{metric} overrides a metric "
                                    f"with no [tolerances.{metric}]")
    systems = data.get("systems", {})
    for system, raw in systems.items():
        if not isinstance(raw, dict) or "rationale" not in raw:
            raise MDConfigError(f"{source}: systems.{system} must be a table with a rationale")
    return MDConfig(source, dict(run), levels, dict(systems), tolerances, overrides)


def load_md_config(path: str | Path | None = None) -> MDConfig:
    """Read and validate an MD tolerances file (default: the one shipped with insbench)."""
    data, source = read_declarative_toml("md_tolerances.toml", path, MDConfigError)
    return parse_md_config(data, source)
