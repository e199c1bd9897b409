"""Pass/fail thresholds for the spectral metrics, read from TOML (schema: pydantic v2).

Where a (system, window)'s thresholds come from, first match wins, metric by metric:

1. a user file, ``pytest --insbench-thresholds=FILE`` (``load_thresholds(user=FILE)``),
   merged over everything below: it may hold only the tables it changes;
2. the fixture itself: ``conditions.thresholds`` in its manifest
   (``{"<window>": {"<metric>": {threshold, unit, direction, rationale}}}``);
3. the packaged file ``insbench/thresholds.toml``;
4. ``[default.<metric>]`` of the packaged file, for any spectral window of a system that none
   of the above covers (a newly imported system); its rationale says it is the default.
   The pressure window is different: ``[default_pressure.<metric>]`` judges every pressure
   metric a system does not set itself (metric by metric, so a system may set only some),
   and the spectral ``[default]`` never applies to it. Its rationale says DEFAULT too.

Layout (the packaged file and a user file alike)::

    schema_version = 1

    [scoring]                      # default ScoringSettings (every field, in the packaged file)
    background_form = "linear"
    ...

    [default.<metric>]             # thresholds for a spectral window nothing else covers
    ...

    [default_pressure.<metric>]    # pressure metrics a system does not set (see pressure_thresholds.py)
    ...

    [<system>.<window>]            # e.g. [hexane.fingerprint]
    window_cm1 = [400.0, 1600.0]   # optional: the window the values were set for
    scoring = { max_distance_cm1 = 50.0 }   # optional overrides of [scoring]

    [<system>.<window>.<metric>]   # e.g. [hexane.fingerprint.w1_cm1]
    threshold = 40.0
    unit = "cm-1"                  # "1" for dimensionless
    direction = "max"              # "max": value <= threshold passes; "min": value >= threshold
    rationale = "one line: why this number"

Unknown keys are errors naming the key, with the closest allowed one; so is an unknown
metric name in a pressure table (:mod:`insbench.metrics.pressure_thresholds`).
"""

from __future__ import annotations

import copy
import difflib
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, StrictFloat, StrictInt, ValidationError, field_validator

from insbench._toml import read_declarative_toml

from .pressure_thresholds import DEFAULT_PRESSURE_TABLE, PRESSURE_WINDOW, pressure_table_problems
from .settings import ScoringSettings

SCHEMA_VERSION = 1
DIRECTIONS = {"max": "<=", "min": ">="}
_METRIC_KEYS = ("threshold", "unit", "direction", "rationale")
_WINDOW_RESERVED = {"window_cm1", "scoring"}
DEFAULT_TABLE = "default"


class ThresholdsError(ValueError):
    """The thresholds file is malformed; the message names the offending key."""


class MissingThresholdError(KeyError):
    """No threshold for the requested (system, window, metric); the message lists what exists."""

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0]) if self.args else ""


def _fmt(value: float) -> str:
    return f"{value:.4g}"


@dataclass(frozen=True)
class Judgement:
    """The verdict on one metric value. ``margin`` > 0 means passed with room to spare."""

    metric: str
    passed: bool
    value: float
    threshold: float
    direction: str
    unit: str
    margin: float | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "passed": self.passed,
            "value": self.value if math.isfinite(self.value) else None,
            "threshold": self.threshold,
            "direction": self.direction,
            "unit": self.unit,
            "margin": self.margin,
            "message": self.message,
        }


@dataclass(frozen=True)
class Threshold:
    """One metric's limit in one (system, window)."""

    system: str
    window: str
    metric: str
    threshold: float
    unit: str
    direction: str
    rationale: str

    def judge(self, value: float) -> Judgement:
        """Compare ``value`` with the threshold; NaN or None fails."""
        unit = "" if self.unit == "1" else f" {self.unit}"
        limit = f"{_fmt(self.threshold)}{unit}"
        if value is None or not math.isfinite(float(value)):
            message = (f"{self.metric} = {value} is not a finite number; needs "
                       f"{DIRECTIONS[self.direction]} {limit} (fail)")
            return Judgement(self.metric, False, float("nan"), self.threshold, self.direction, self.unit,
                             None, message)
        value = float(value)
        margin = self.threshold - value if self.direction == "max" else value - self.threshold
        passed = margin >= 0.0
        op = DIRECTIONS[self.direction] if passed else (">" if self.direction == "max" else "<")
        verdict = "pass" if passed else "fail"
        message = f"{self.metric} = {_fmt(value)}{unit} {op} {limit} ({verdict}, margin {_fmt(margin)})"
        return Judgement(self.metric, passed, value, self.threshold, self.direction, self.unit, margin, message)


# ---------------------------------------------------------------- the file schema
class MetricSpec(BaseModel):
    """``[<system>.<window>.<metric>]``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    threshold: StrictFloat | StrictInt
    unit: str
    direction: str
    rationale: str

    @field_validator("threshold")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError(f"must be a finite number, got {value!r}")
        return float(value)

    @field_validator("direction")
    @classmethod
    def _direction(cls, value: str) -> str:
        if value not in DIRECTIONS:
            raise ValueError(f'= {value!r}; use "max" (value <= threshold) or "min" (value >= threshold)')
        return value

    @field_validator("unit", "rationale")
    @classmethod
    def _non_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must be a non-empty string")
        return value


class WindowSpec(BaseModel):
    """``[<system>.<window>]``: optional ``window_cm1`` and ``scoring``, then metric tables."""

    model_config = ConfigDict(extra="allow", frozen=True)
    __pydantic_extra__: dict[str, MetricSpec]

    window_cm1: tuple[StrictFloat | StrictInt, StrictFloat | StrictInt] | None = None
    scoring: dict[str, Any] = {}

    @field_validator("window_cm1")
    @classmethod
    def _ordered(cls, value):
        if value is not None and not value[0] < value[1]:
            raise ValueError(f"must be [lo, hi] in cm-1 with lo < hi, got {list(value)!r}")
        return value

    @property
    def metrics(self) -> dict[str, MetricSpec]:
        return dict(self.__pydantic_extra__ or {})


class ThresholdsFile(BaseModel):
    """The whole file: ``schema_version``, ``[scoring]``, ``[default]``, then one table per system."""

    model_config = ConfigDict(extra="allow", frozen=True)
    __pydantic_extra__: dict[str, dict[str, WindowSpec]]

    schema_version: int
    scoring: dict[str, Any] | None = None
    default: WindowSpec | None = None
    default_pressure: WindowSpec | None = None


def _explain(error: ValidationError, source: str) -> ThresholdsError:
    """One line per problem, naming the key path; unknown keys get a did-you-mean."""
    lines = []
    for problem in error.errors(include_url=False):
        loc = [str(p) for p in problem["loc"]]
        key = ".".join(loc) or "(top level)"
        message = str(problem["msg"]).removeprefix("Value error, ")
        kind = problem["type"]
        if kind == "extra_forbidden":
            close = difflib.get_close_matches(loc[-1], _METRIC_KEYS, n=1)
            parent = ".".join(loc[:-1])
            hint = f"; did you mean {close[0]!r}?" if close else ""
            lines.append(f"{parent} has unknown key(s) {loc[-1]}{hint} (allowed: {', '.join(sorted(_METRIC_KEYS))})")
        elif kind == "missing":
            lines.append(f"{'.'.join(loc[:-1])} is missing {loc[-1]}")
        elif kind in ("dict_type", "model_type"):
            lines.append(f"{key} must be a table")
        elif loc and loc[-1] == "threshold" or (len(loc) > 1 and loc[-2] == "threshold"):
            key = ".".join(loc[: loc.index("threshold") + 1])
            lines.append(f"{key} must be a finite number, got {problem.get('input')!r}")
        elif message.startswith("="):
            lines.append(f"{key} {message}")
        else:
            lines.append(f"{key}: {message}" if not message.startswith("must") else f"{key} {message}")
    return ThresholdsError(f"{source}: " + "; ".join(dict.fromkeys(lines)))


def _validate(data: Mapping[str, Any], source: str) -> ThresholdsFile:
    if data.get("schema_version") != SCHEMA_VERSION:
        raise ThresholdsError(f"{source}: schema_version is {data.get('schema_version')!r}, "
                              f"expected {SCHEMA_VERSION}")
    try:
        parsed = ThresholdsFile.model_validate(data)
    except ValidationError as exc:
        raise _explain(exc, source) from None
    for system, windows in (parsed.__pydantic_extra__ or {}).items():
        for window, spec in windows.items():
            _check_window(source, f"{system}.{window}", spec)
    if parsed.default is not None:
        _check_window(source, DEFAULT_TABLE, parsed.default)
    if parsed.default_pressure is not None:
        _check_window(source, DEFAULT_PRESSURE_TABLE, parsed.default_pressure, pressure=True)
    return parsed


def _check_window(source: str, key: str, spec: WindowSpec, pressure: bool | None = None) -> None:
    if not spec.metrics:
        raise ThresholdsError(f"{source}: {key} has no metric thresholds")
    for metric, limit in spec.metrics.items():
        if metric.endswith("_cm1") and limit.unit != "cm-1":
            raise ThresholdsError(f"{source}: {key}.{metric}.unit is {limit.unit!r} but the metric name says cm-1")
    if pressure or (pressure is None and key.rsplit(".", 1)[-1] == PRESSURE_WINDOW):
        problems = pressure_table_problems(key, spec.metrics)
        if problems:
            raise ThresholdsError(f"{source}: " + "; ".join(problems))


# ---------------------------------------------------------------- loaded thresholds
@dataclass(frozen=True)
class _WindowEntry:
    window_cm1: tuple[float, float] | None
    scoring: Mapping[str, Any]
    metrics: Mapping[str, Threshold]


def _entry(system: str, window: str, spec: WindowSpec, default: bool = False) -> _WindowEntry:
    prefix = ("DEFAULT for a window without thresholds of its own (set them in the fixture or with "
              "--insbench-thresholds=FILE): ") if default else ""
    metrics = {m: Threshold(system, window, m, float(v.threshold), v.unit, v.direction, prefix + v.rationale)
               for m, v in spec.metrics.items()}
    window_cm1 = None if spec.window_cm1 is None else (float(spec.window_cm1[0]), float(spec.window_cm1[1]))
    return _WindowEntry(window_cm1, dict(spec.scoring), metrics)


@dataclass(frozen=True)
class Thresholds:
    """All thresholds in force, plus the scoring settings. Build with :func:`load_thresholds`."""

    source: str
    scoring: ScoringSettings
    entries: Mapping[str, Mapping[str, _WindowEntry]] = field(repr=False)
    default: WindowSpec | None = field(default=None, repr=False)
    default_pressure: WindowSpec | None = field(default=None, repr=False)

    def _available(self) -> str:
        parts = []
        for system, windows in self.entries.items():
            for window, entry in windows.items():
                parts.append(f"{system}.{window} ({', '.join(entry.metrics)})")
        return "; ".join(parts) or "nothing"

    def _default_for(self, window: str) -> WindowSpec | None:
        """``[default_pressure]`` for the pressure window, ``[default]`` for every other."""
        return self.default_pressure if window == PRESSURE_WINDOW else self.default

    def _entry(self, system: str, window: str) -> _WindowEntry:
        own = self.entries.get(system, {}).get(window)
        default = self._default_for(window)
        if own is None and default is None:
            table = DEFAULT_PRESSURE_TABLE if window == PRESSURE_WINDOW else DEFAULT_TABLE
            raise MissingThresholdError(
                f"no thresholds for system {system!r}, window {window!r} in {self.source} (and no "
                f"[{table}] tables); available: {self._available()}. Fix: add [{system}.{window}.<metric>] "
                f"tables (threshold, unit, direction, rationale) to a file given with "
                f"--insbench-thresholds=FILE, or declare conditions.thresholds in the fixture"
            )
        if own is None:
            return _entry(system, window, default, default=True)
        if window == PRESSURE_WINDOW and default is not None:  # metric by metric: fill what the system leaves out
            fallback = _entry(system, window, default, default=True).metrics
            missing = {m: t for m, t in fallback.items() if m not in own.metrics}
            if missing:
                return _WindowEntry(own.window_cm1, own.scoring, {**own.metrics, **missing})
        return own

    def is_default(self, system: str, window: str) -> bool:
        """True if (system, window) is judged by the ``[default]`` (``[default_pressure]``) thresholds."""
        return window not in self.entries.get(system, {}) and self._default_for(window) is not None

    def get(self, system: str, window: str, metric: str) -> Threshold:
        """The threshold of ``metric`` for (``system``, ``window``)."""
        entry = self._entry(system, window)
        if metric not in entry.metrics:
            raise MissingThresholdError(
                f"no threshold for metric {metric!r} in {system}.{window} of {self.source}; "
                f"it has: {', '.join(entry.metrics)}"
            )
        return entry.metrics[metric]

    def metrics(self, system: str, window: str) -> dict[str, Threshold]:
        """Every metric threshold of (``system``, ``window``)."""
        return dict(self._entry(system, window).metrics)

    def window_cm1(self, system: str, window: str) -> tuple[float, float] | None:
        """The window (lo, hi) in cm-1 the thresholds were set for, if the file says."""
        return self._entry(system, window).window_cm1

    def scoring_settings(self, system: str | None = None, window: str | None = None) -> ScoringSettings:
        """[scoring] with the (system, window) overrides applied, if given."""
        if system is None or window is None:
            return self.scoring
        return ScoringSettings.from_mapping(self._entry(system, window).scoring, base=self.scoring)

    def judge(self, system: str, window: str, values: Mapping[str, float]) -> dict[str, Judgement]:
        """Judge every thresholded metric of (system, window) found in ``values``.

        A thresholded metric missing from ``values`` raises KeyError naming it.
        """
        out = {}
        for metric, threshold in self._entry(system, window).metrics.items():
            if metric not in values:
                raise KeyError(f"no value for metric {metric!r} (thresholded in {system}.{window})")
            out[metric] = threshold.judge(values[metric])
        return out


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` merged into a copy of ``base``: tables merge key by key, a metric table is replaced whole."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict) and "threshold" not in value:
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def parse_thresholds(data: Mapping[str, Any], source: str) -> Thresholds:
    """Validate the parsed TOML ``data`` and build :class:`Thresholds` (``source`` names it in errors)."""
    parsed = _validate(data, source)
    if parsed.scoring is None:
        raise ThresholdsError(f"{source}: needs a [scoring] table with the default ScoringSettings")
    try:
        scoring = ScoringSettings.from_mapping(parsed.scoring)
    except (TypeError, ValueError) as exc:
        raise ThresholdsError(f"{source}: [scoring]: {exc}") from exc
    entries = {system: {w: _entry(system, w, spec) for w, spec in windows.items()}
               for system, windows in (parsed.__pydantic_extra__ or {}).items()}
    thresholds = Thresholds(source, scoring, entries, parsed.default, parsed.default_pressure)
    for system, windows in entries.items():  # check overrides now, not at first use
        for window in windows:
            try:
                thresholds.scoring_settings(system, window)
            except (TypeError, ValueError) as exc:
                raise ThresholdsError(f"{source}: {system}.{window}.scoring: {exc}") from exc
    return thresholds


def fixture_thresholds(fixture) -> dict[str, Any]:
    """The ``conditions.thresholds`` a fixture declares, as a thresholds-file layer (may be empty)."""
    declared = (fixture.manifest.raw.get("conditions") or {}).get("thresholds")
    return {fixture.system: declared} if declared else {}


def load_thresholds(path: str | Path | None = None, *, user: str | Path | None = None,
                    fixtures: Iterable[Any] = ()) -> Thresholds:
    """Read and validate thresholds: ``path`` (default: the packaged file), then each fixture's
    declared thresholds, then the ``user`` file, each merged over the ones before."""
    data, source = read_declarative_toml("thresholds.toml", path, ThresholdsError)
    _validate(data, source)
    sources = [source]
    for fixture in fixtures:
        layer = fixture_thresholds(fixture)
        if layer:
            where = f"{fixture.manifest.path} (conditions.thresholds)"
            _validate({"schema_version": SCHEMA_VERSION, **layer}, where)
            data = _merge(data, layer)
            sources.append(where)
    if user is not None:
        if not Path(user).is_file():
            raise ThresholdsError(f"--insbench-thresholds: {user} does not exist")
        user_data, user_source = read_declarative_toml("thresholds.toml", user, ThresholdsError)
        _validate(user_data, user_source)
        data = _merge(data, {k: v for k, v in user_data.items() if k != "schema_version"})
        sources.append(user_source)
    return parse_thresholds(data, " + ".join(sources))
