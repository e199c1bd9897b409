"""The leaderboard's plain data: columns, cells, table keys, rows, tables (see
:mod:`insbench.results.leaderboard` for how they are built and ranked)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from insbench.results.store_index import RecordIssue

UNIT_LABELS = {"cm-1": "cm⁻¹", "1": ""}
METRIC_LABELS = {"w1_cm1": "W1", "cosine": "cosine", "peak_mae_cm1": "peak MAE"}
NOT_RUN = "not run"
SELF_REFERENCE = "self-reference"


def normalised_margin(value: float | None, threshold: float, direction: str) -> float:
    """m = (T - v)/|T| ("max") or (v - T)/|T| ("min"), clipped to [-1, 1]; -1 for no value."""
    if value is None or not math.isfinite(value):
        return -1.0
    scale = abs(threshold) or 1.0
    margin = (threshold - value) if direction == "max" else (value - threshold)
    return max(-1.0, min(1.0, margin / scale))


@dataclass(frozen=True)
class Column:
    """One judged number: a metric in a window of one case against one reference kind."""

    system: str
    family: str
    case_id: str
    case_label: str
    reference_kind: str
    window: str
    window_cm1: tuple[float, float] | None
    metric: str
    unit: str
    direction: str
    threshold: float

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return (self.system, self.family, self.case_id, self.window, self.metric)

    @property
    def metric_label(self) -> str:
        unit = UNIT_LABELS.get(self.unit, self.unit)
        op = "≤" if self.direction == "max" else "≥"
        name = METRIC_LABELS.get(self.metric, self.metric)
        return f"{name}{f' ({unit})' if unit else ''} {op} {self.threshold:g}"

    @property
    def window_label(self) -> str:
        if self.window == "-":
            return self.family
        if self.window_cm1 is None:
            return self.window
        return f"{self.window} {self.window_cm1[0]:g}–{self.window_cm1[1]:g} cm⁻¹"

    def to_dict(self) -> dict[str, Any]:
        return {
            "system": self.system, "family": self.family, "case": self.case_id, "case_label": self.case_label,
            "reference_kind": self.reference_kind, "window": self.window,
            "window_cm1": None if self.window_cm1 is None else list(self.window_cm1),
            "metric": self.metric, "unit": self.unit, "direction": self.direction, "threshold": self.threshold,
        }


@dataclass(frozen=True)
class Cell:
    value: float | None
    passed: bool
    normalised_margin: float
    interval: tuple[float, float] | None = None
    note: str = ""
    run: bool = True             # False: the model was not run on this column ("not run")
    self_reference: bool = False  # scored against a reference made with this model: shown, not counted
    marker: str = ""  # e.g. "structure-sensitive (-32.6..+23.0 cm-1 over 4 structures)": shown, not counted

    @property
    def counted(self) -> bool:
        return self.run and not self.self_reference

    @property
    def status(self) -> str:
        if not self.run:
            return NOT_RUN
        if self.self_reference:
            return SELF_REFERENCE
        return "pass" if self.passed else "fail"

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "value": self.value, "passed": self.passed if self.run else None,
                "normalised_margin": self.normalised_margin if self.counted else None,
                "interval": None if self.interval is None else list(self.interval), "note": self.note,
                "structure_sensitivity": self.marker or None}


@dataclass(frozen=True)
class TableKey:
    """What every result in one table was made with (see the module docstring)."""

    md_level: str | None
    supercell_min_length_a: Any
    insbench_version: Any
    multiphonon_orders: Any
    units: tuple[tuple[str, str, Any, Any], ...]  # (system, family, fixture version, scoring sha256)

    def to_dict(self) -> dict[str, Any]:
        return {"md_level": self.md_level, "supercell_min_length_a": self.supercell_min_length_a,
                "insbench_version": self.insbench_version, "multiphonon_orders": self.multiphonon_orders,
                "fixtures": [{"system": s, "family": f, "fixture_version": v, "scoring_settings_sha256": d}
                             for s, f, v, d in self.units]}


@dataclass
class Row:
    model: str
    cells: dict[tuple, Cell]
    n_passed: int = 0
    n_run: int = 0
    n_columns: int = 0
    n_self_reference: int = 0
    composite: float | None = None
    rank: int | None = None  # None: nothing counted (only self-reference scores)

    @property
    def pass_fraction(self) -> float | None:
        return self.n_passed / self.n_run if self.n_run else None

    @property
    def coverage(self) -> float:
        return self.n_run / self.n_columns if self.n_columns else 0.0

    def to_dict(self, columns: list[Column]) -> dict[str, Any]:
        return {
            "rank": self.rank, "model": self.model, "passed": self.n_passed, "run": self.n_run,
            "columns": self.n_columns, "self_reference": self.n_self_reference,
            "pass_fraction": self.pass_fraction, "coverage": self.coverage, "composite": self.composite,
            "cells": [self.cells[c.key].to_dict() for c in columns],
        }


@dataclass
class Table:
    """Models ranked on results made the same way (one :class:`TableKey`)."""

    key: TableKey
    columns: list[Column]
    rows: list[Row]
    #: models of the leaderboard with no result made this table's way: shown as "not run", not ranked
    not_run: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key.to_dict(), "columns": [c.to_dict() for c in self.columns],
                "rows": [r.to_dict(self.columns) for r in self.rows], "not_run": list(self.not_run)}


@dataclass(frozen=True)
class Diagnostic:
    """A reported, never judged, number of one spectral window: the frequency scale s (E -> s E best
    aligns the model with the reference; s < 1: too stiff), with its interval, and which reference
    peaks the window's peak MAE matched against (a fixture peak table or picked)."""

    system: str
    case_label: str
    reference_kind: str
    window: str
    window_cm1: tuple[float, float] | None
    frequency_scale: float | None
    interval: tuple[float, float] | None
    peaks: str
    self_reference: bool = False
    caveats: tuple[str, ...] = ()  # the record's notes on the frequency scale ("uncertain", "at the edge")

    @property
    def label(self) -> str:
        span = "" if self.window_cm1 is None else f" {self.window_cm1[0]:g}–{self.window_cm1[1]:g} cm⁻¹"
        return f"{self.system} {self.case_label} vs {self.reference_kind}, {self.window}{span}"

    def to_dict(self) -> dict[str, Any]:
        return {"system": self.system, "case_label": self.case_label, "reference_kind": self.reference_kind,
                "window": self.window, "window_cm1": None if self.window_cm1 is None else list(self.window_cm1),
                "frequency_scale": self.frequency_scale,
                "interval": None if self.interval is None else list(self.interval),
                "reference_peaks": self.peaks, "self_reference": self.self_reference,
                "caveats": list(self.caveats)}


@dataclass
class ModelInfo:
    """What the page says about a model once, whatever tables it is in."""

    model: str
    identity: dict[str, Any]
    updated: str
    machine: dict[str, Any]
    cost: dict[str, Any] | None = None
    plots: list[tuple[str, str, Path]] = field(default_factory=list)  # (family, case id, png)
    problems: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "identity": self.identity, "updated": self.updated, "machine": self.machine,
                "cost": self.cost, "plots": [{"family": f, "case": c, "file": p.name} for f, c, p in self.plots],
                "problems": self.problems, "diagnostics": [d.to_dict() for d in self.diagnostics]}


@dataclass
class Leaderboard:
    results_dir: str
    tables: list[Table]
    models: dict[str, ModelInfo]
    issues: list[RecordIssue]
    generated: str
    bootstrap: dict[str, Any]
    title: str = "insbench leaderboard"
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "insbench.leaderboard", "schema_version": 2,
            "title": self.title, "generated": self.generated, "results_dir": self.results_dir,
            "bootstrap": self.bootstrap,
            "ranking": "per table: pass fraction P over the columns run (not run and self-reference not "
                       "counted), then coverage, then composite S = mean clipped normalised margin "
                       "(docs/leaderboard.md)",
            "tables": [t.to_dict() for t in self.tables],
            "models": [m.to_dict() for m in self.models.values()],
            "issues": [{"path": str(i.path), "problem": i.problem} for i in self.issues],
            "notes": self.notes,
        }
