"""The metrics a ``pressure`` table of thresholds.toml may hold, and what a valid limit of each is.

The pressure verdicts (blue fraction, a claimed red shift, band signs) are judged on modes
tracked from the lower to the higher pressure by eigenvector overlap. Two of the metrics
here are not verdicts but the gate in front of them:

* ``tracking_overlap`` (direction "min", a number in (0, 1]): the least eigenvector overlap
  at which a band counts as tracked. A band judged below it fails as "not tracked reliably".
* ``untracked_weight_fraction`` (direction "max", in [0, 1]): the largest share of the INS
  weight in the window that may sit in untracked modes before the blue fraction is not
  judged at all.

A typo in a metric name would otherwise add a table that nothing reads (a silent gate), so
names are checked here, with a did-you-mean.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

#: the thresholds.toml window (``[<system>.pressure.<metric>]``) of the pressure family
PRESSURE_WINDOW = "pressure"
#: the top-level table whose metrics judge the pressure window of a system with none of its own
DEFAULT_PRESSURE_TABLE = "default_pressure"


@dataclass(frozen=True)
class PressureMetric:
    """What a pressure metric's threshold must look like."""

    unit: str
    direction: str | None = None  # None: either direction is meaningful
    lowest: float | None = None
    highest: float | None = None
    lowest_included: bool = True
    meaning: str = ""

    def problems(self, key: str, threshold: float, unit: str, direction: str) -> list[str]:
        out = []
        if unit != self.unit:
            out.append(f"{key}.unit is {unit!r}; {self.meaning} has unit {self.unit!r}")
        if self.direction is not None and direction != self.direction:
            out.append(f"{key}.direction is {direction!r}; {self.meaning} must be judged with "
                       f'direction = "{self.direction}"')
        low_ok = self.lowest is None or (threshold >= self.lowest if self.lowest_included else threshold > self.lowest)
        high_ok = self.highest is None or threshold <= self.highest
        if not (low_ok and high_ok):
            low = "-inf" if self.lowest is None else f"{self.lowest:g}"
            high = "inf" if self.highest is None else f"{self.highest:g}"
            bracket = "[" if self.lowest_included else "("
            out.append(f"{key}.threshold = {threshold:g} is outside {bracket}{low}, {high}]: "
                       f"{self.meaning} is a number in that range")
        return out


PRESSURE_METRICS: dict[str, PressureMetric] = {
    "blue_shift_fraction": PressureMetric("1", None, 0.0, 1.0, meaning="an INS-weighted fraction"),
    "red_shift_cm1": PressureMetric("cm-1", meaning="a band shift"),
    "band_shift_along_reference_cm1": PressureMetric("cm-1", meaning="a band shift along the reference's"),
    "tracking_overlap": PressureMetric("1", "min", 0.0, 1.0, lowest_included=False,
                                       meaning="the minimum eigenvector overlap of a tracked band"),
    "untracked_weight_fraction": PressureMetric("1", "max", 0.0, 1.0,
                                                meaning="the largest INS-weight share of untracked modes"),
}


def pressure_table_problems(key: str, metrics: dict) -> list[str]:
    """Problems of one pressure table (``key`` names it): unknown metric names (with a
    did-you-mean) and limits outside what the metric can mean. ``metrics`` maps a metric
    name to an object with ``threshold``, ``unit`` and ``direction``."""
    problems = []
    for name, spec in metrics.items():
        declared = PRESSURE_METRICS.get(name)
        if declared is None:
            close = difflib.get_close_matches(name, PRESSURE_METRICS, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(f"{key} has unknown pressure metric {name}{hint} "
                            f"(valid: {', '.join(sorted(PRESSURE_METRICS))})")
            continue
        problems += declared.problems(f"{key}.{name}", float(spec.threshold), spec.unit, spec.direction)
    return problems
