"""Pass/fail thresholds for the spectral metrics, read from a TOML file.

The packaged file is ``insbench/thresholds.toml``; a user can point
:func:`load_thresholds` at their own file of the same layout::

    schema_version = 1

    [scoring]                      # default ScoringSettings (every field)
    background_form = "linear"
    ...

    [<system>.<window>]            # e.g. [hexane.fingerprint]
    window_cm1 = [400.0, 1600.0]   # optional: the window the values were set for
    scoring = { max_distance_cm1 = 50.0 }   # optional overrides of [scoring]

    [<system>.<window>.<metric>]   # e.g. [hexane.fingerprint.w1_cm1]
    threshold = 40.0
    unit = "cm-1"                  # "1" for dimensionless
    direction = "max"              # "max": value <= threshold passes; "min": value >= threshold
    rationale = "one line: why this number"
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from insbench._toml import read_declarative_toml

from .settings import ScoringSettings

if sys.version_info >= (3, 11):
    pass
else:  # pragma: no cover - Python 3.10
    pass

SCHEMA_VERSION = 1
DIRECTIONS = {"max": "<=", "min": ">="}
_METRIC_KEYS = {"threshold", "unit", "direction", "rationale"}
_WINDOW_RESERVED = {"window_cm1", "scoring"}


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
            message = f"{self.metric} = {value} is not a finite number; needs {DIRECTIONS[self.direction]} {limit} (fail)"
            return Judgement(
                self.metric,
                False,
                float("nan"),
                self.threshold,
                self.direction,
                self.unit,
                None,
                message,
            )
        value = float(value)
        margin = (
            self.threshold - value
            if self.direction == "max"
            else value - self.threshold
        )
        passed = margin >= 0.0
        if passed:
            op = DIRECTIONS[self.direction]
        else:
            op = ">" if self.direction == "max" else "<"
        verdict = "pass" if passed else "fail"
        message = f"{self.metric} = {_fmt(value)}{unit} {op} {limit} ({verdict}, margin {_fmt(margin)})"
        return Judgement(
            self.metric,
            passed,
            value,
            self.threshold,
            self.direction,
            self.unit,
            margin,
            message,
        )


@dataclass(frozen=True)
class _WindowEntry:
    window_cm1: tuple[float, float] | None
    scoring: Mapping[str, Any]
    metrics: Mapping[str, Threshold]


@dataclass(frozen=True)
class Thresholds:
    """All thresholds of one file, plus its scoring settings. Build with :func:`load_thresholds`."""

    source: str
    scoring: ScoringSettings
    entries: Mapping[str, Mapping[str, _WindowEntry]] = field(repr=False)

    def _available(self) -> str:
        parts = []
        for system, windows in self.entries.items():
            for window, entry in windows.items():
                parts.append(f"{system}.{window} ({', '.join(entry.metrics)})")
        return "; ".join(parts) or "nothing"

    def _entry(self, system: str, window: str) -> _WindowEntry:
        try:
            return self.entries[system][window]
        except KeyError:
            raise MissingThresholdError(
                f"no thresholds for system {system!r}, window {window!r} in {self.source}; "
                f"available: {self._available()}"
            ) from None

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

    def scoring_settings(
        self, system: str | None = None, window: str | None = None
    ) -> ScoringSettings:
        """[scoring] with the (system, window) overrides applied, if given."""
        if system is None or window is None:
            return self.scoring
        return ScoringSettings.from_mapping(
            self._entry(system, window).scoring, base=self.scoring
        )

    def judge(
        self, system: str, window: str, values: Mapping[str, float]
    ) -> dict[str, Judgement]:
        """Judge every thresholded metric of (system, window) found in ``values``.

        A thresholded metric missing from ``values`` raises KeyError naming it.
        """
        out = {}
        for metric, threshold in self._entry(system, window).metrics.items():
            if metric not in values:
                raise KeyError(
                    f"no value for metric {metric!r} (thresholded in {system}.{window})"
                )
            out[metric] = threshold.judge(values[metric])
        return out


def _parse_metric(
    where: str, system: str, window: str, metric: str, raw: Any
) -> Threshold:
    if not isinstance(raw, dict):
        raise ThresholdsError(f"{where}: {system}.{window}.{metric} must be a table")
    missing = sorted(_METRIC_KEYS - set(raw))
    unknown = sorted(set(raw) - _METRIC_KEYS)
    key = f"{system}.{window}.{metric}"
    if missing:
        raise ThresholdsError(f"{where}: {key} is missing {', '.join(missing)}")
    if unknown:
        raise ThresholdsError(
            f"{where}: {key} has unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_METRIC_KEYS))}"
        )
    if raw["direction"] not in DIRECTIONS:
        raise ThresholdsError(
            f'{where}: {key}.direction = {raw["direction"]!r}; use "max" (value <= threshold) '
            'or "min" (value >= threshold)'
        )
    value = raw["threshold"]
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
    ):
        raise ThresholdsError(
            f"{where}: {key}.threshold must be a finite number, got {value!r}"
        )
    for name in ("unit", "rationale"):
        if not isinstance(raw[name], str) or not raw[name].strip():
            raise ThresholdsError(f"{where}: {key}.{name} must be a non-empty string")
    if metric.endswith("_cm1") and raw["unit"] != "cm-1":
        raise ThresholdsError(
            f"{where}: {key}.unit is {raw['unit']!r} but the metric name says cm-1"
        )
    return Threshold(
        system,
        window,
        metric,
        float(value),
        raw["unit"],
        raw["direction"],
        raw["rationale"],
    )


def _parse_window(where: str, system: str, window: str, raw: Any) -> _WindowEntry:
    key = f"{system}.{window}"
    if not isinstance(raw, dict):
        raise ThresholdsError(f"{where}: {key} must be a table of metrics")
    window_cm1 = None
    if "window_cm1" in raw:
        w = raw["window_cm1"]
        if not (
            isinstance(w, list)
            and len(w) == 2
            and all(isinstance(v, (int, float)) for v in w)
            and w[0] < w[1]
        ):
            raise ThresholdsError(
                f"{where}: {key}.window_cm1 must be [lo, hi] in cm-1 with lo < hi, got {w!r}"
            )
        window_cm1 = (float(w[0]), float(w[1]))
    scoring = raw.get("scoring", {})
    if not isinstance(scoring, dict):
        raise ThresholdsError(
            f"{where}: {key}.scoring must be a table of ScoringSettings overrides"
        )
    metrics = {
        m: _parse_metric(where, system, window, m, v)
        for m, v in raw.items()
        if m not in _WINDOW_RESERVED
    }
    if not metrics:
        raise ThresholdsError(f"{where}: {key} has no metric thresholds")
    return _WindowEntry(window_cm1, dict(scoring), metrics)


def parse_thresholds(data: Mapping[str, Any], source: str) -> Thresholds:
    """Validate the parsed TOML ``data`` and build :class:`Thresholds` (``source`` names it in errors)."""
    if data.get("schema_version") != SCHEMA_VERSION:
        raise ThresholdsError(
            f"{source}: schema_version is {data.get('schema_version')!r}, expected {SCHEMA_VERSION}"
        )
    if "scoring" not in data or not isinstance(data["scoring"], dict):
        raise ThresholdsError(
            f"{source}: needs a [scoring] table with the default ScoringSettings"
        )
    try:
        scoring = ScoringSettings.from_mapping(data["scoring"])
    except (TypeError, ValueError) as exc:
        raise ThresholdsError(f"{source}: [scoring]: {exc}") from exc
    entries: dict[str, dict[str, _WindowEntry]] = {}
    for system, windows in data.items():
        if system in ("schema_version", "scoring"):
            continue
        if not isinstance(windows, dict):
            raise ThresholdsError(
                f"{source}: top-level key {system!r} must be a table of windows"
            )
        entries[system] = {
            w: _parse_window(source, system, w, raw) for w, raw in windows.items()
        }
    thresholds = Thresholds(source, scoring, entries)
    for system, windows in entries.items():  # check overrides now, not at first use
        for window in windows:
            try:
                thresholds.scoring_settings(system, window)
            except (TypeError, ValueError) as exc:
                raise ThresholdsError(
                    f"{source}: {system}.{window}.scoring: {exc}"
                ) from exc
    return thresholds


def load_thresholds(path: str | Path | None = None) -> Thresholds:
    """Read and validate a thresholds file (default: the one shipped with insbench)."""
    data, source = read_declarative_toml("thresholds.toml", path, ThresholdsError)
    return parse_thresholds(data, source)
