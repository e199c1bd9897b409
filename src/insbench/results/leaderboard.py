"""The leaderboard: one row per model, one column per judged metric, a transparent rank.

:func:`build_leaderboard` turns a :class:`~insbench.results.store_index.ResultsIndex`
into a :class:`Leaderboard` (plain data); :func:`render_markdown` and
:func:`render_html` draw it; :func:`write_leaderboard` writes
``leaderboard.md`` (+ the PNGs it links), ``leaderboard.html`` (one self-contained
page: inline CSS, PNGs as base64 data URIs) and ``leaderboard.json``.

Ranking (docs/leaderboard.md): for every column c (a thresholded metric of one
window of one case against one reference kind) the *normalised margin* is

    m_c = (T_c - v_c) / |T_c|   for metrics where smaller is better ("max" thresholds)
    m_c = (v_c - T_c) / |T_c|   for metrics where larger is better ("min" thresholds)

clipped to [-1, 1]; a missing or non-finite value counts as m_c = -1 and failed.
Models are ranked by the fraction of columns passed, P = (# m_c >= 0) / (# columns),
ties broken by the composite S = mean_c m_c. Every model is scored on the union of
the columns any model has, so skipping a system never helps.
"""

from __future__ import annotations

import base64
import html
import itertools
import json
import math
import shutil
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

from insbench.results.bootstrap import (
    DEFAULT_CONFIDENCE,
    DEFAULT_N_RESAMPLES,
    DEFAULT_SEED,
    BootstrapUnavailable,
    case_bootstrap,
)
from insbench.results.cost import COST_FAMILY, cost_summary
from insbench.results.store_index import Record, RecordIssue, ResultsIndex

UNIT_LABELS = {"cm-1": "cm⁻¹", "1": ""}
METRIC_LABELS = {"w1_cm1": "W1", "cosine": "cosine", "peak_mae_cm1": "peak MAE"}


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

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "passed": self.passed, "normalised_margin": self.normalised_margin,
                "interval": None if self.interval is None else list(self.interval), "note": self.note}


@dataclass
class Row:
    model: str
    identity: dict[str, Any]
    cells: dict[tuple, Cell]
    n_passed: int = 0
    n_columns: int = 0
    composite: float = -1.0
    rank: int = 0
    cost: dict[str, Any] | None = None
    plots: list[tuple[str, str, Path]] = field(default_factory=list)  # (family, case id, png)
    updated: str = ""
    machine: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def pass_fraction(self) -> float:
        return self.n_passed / self.n_columns if self.n_columns else 0.0

    def to_dict(self, columns: list[Column]) -> dict[str, Any]:
        return {
            "rank": self.rank, "model": self.model, "identity": self.identity,
            "passed": self.n_passed, "columns": self.n_columns, "pass_fraction": self.pass_fraction,
            "composite": self.composite, "cost": self.cost, "updated": self.updated, "machine": self.machine,
            "cells": [self.cells[c.key].to_dict() if c.key in self.cells else None for c in columns],
            "plots": [{"family": f, "case": c, "file": p.name} for f, c, p in self.plots],
            "problems": self.problems,
        }


@dataclass
class Leaderboard:
    results_dir: str
    columns: list[Column]
    rows: list[Row]
    issues: list[RecordIssue]
    generated: str
    bootstrap: dict[str, Any]
    title: str = "insbench leaderboard"
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "insbench.leaderboard", "schema_version": 1,
            "title": self.title, "generated": self.generated, "results_dir": self.results_dir,
            "bootstrap": self.bootstrap,
            "ranking": "pass fraction P, ties broken by composite S = mean clipped normalised margin "
                       "(docs/leaderboard.md)",
            "columns": [c.to_dict() for c in self.columns],
            "rows": [r.to_dict(self.columns) for r in self.rows],
            "issues": [{"path": str(i.path), "problem": i.problem} for i in self.issues],
            "notes": self.notes,
        }


# -- building ------------------------------------------------------------------------------


def _judged_windows(case: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Window name -> payload with "judgements" (a case without windows counts as window "-")."""
    windows = case.get("windows")
    if isinstance(windows, dict):
        return {w: p for w, p in windows.items() if isinstance(p, dict) and p.get("judgements")}
    if isinstance(case.get("judgements"), dict):
        return {"-": case}
    return {}


def _case_label(case_id: str, case: dict[str, Any]) -> str:
    spec = case.get("case")
    if isinstance(spec, dict) and "pressure_gpa" in spec:
        return f"{spec['pressure_gpa']:g} GPa, {spec.get('cell_mode', '')}".rstrip(", ")
    return case_id


def _columns_of(record: Record) -> list[tuple[Column, dict[str, Any], dict[str, Any]]]:
    out = []
    for case_id, case in record.cases.items():
        for window, payload in _judged_windows(case).items():
            window_cm1 = payload.get("window_cm1")
            for metric, judgement in payload["judgements"].items():
                threshold = judgement.get("threshold") if isinstance(judgement, dict) else None
                if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
                    continue  # not a thresholded judgement: nothing to put in a column
                column = Column(
                    system=record.system, family=record.family, case_id=case_id,
                    case_label=_case_label(case_id, case),
                    reference_kind=str(case.get("reference_kind", "measured")),
                    window=window, window_cm1=None if window_cm1 is None else (float(window_cm1[0]), float(window_cm1[1])),
                    metric=metric, unit=str(judgement.get("unit", "")),
                    direction=str(judgement.get("direction", "max")),
                    threshold=float(threshold),
                )
                out.append((column, payload, judgement))
    return out


def build_leaderboard(
    index: ResultsIndex,
    *,
    n_resamples: int = DEFAULT_N_RESAMPLES,
    seed: int = DEFAULT_SEED,
    confidence: float = DEFAULT_CONFIDENCE,
    title: str = "insbench leaderboard",
    fixture_loader=None,
) -> Leaderboard:
    """Rows, columns, bootstrap intervals (``n_resamples=0`` skips them), ranks."""
    columns: dict[tuple, Column] = {}
    rows: dict[str, Row] = {}
    notes: list[str] = []
    for model in index.models():
        records = index.for_model(model)
        newest = max(records, key=lambda r: r.updated)
        row = Row(model, newest.identity, {}, updated=newest.updated, machine=newest.data.get("machine", {}))
        row.cost = cost_summary(records)
        for record in records:
            if record.family == COST_FAMILY:
                continue
            row.plots.extend((record.family, case_id, png) for case_id, png in record.png_files())
            intervals: dict[str, Any] = {}
            for column, payload, judgement in _columns_of(record):
                if column.key in columns and columns[column.key].threshold != column.threshold:
                    notes.append(
                        f"{model}: {column.system}/{column.case_id}/{column.window}/{column.metric} was judged "
                        f"against threshold {column.threshold:g}, another model against "
                        f"{columns[column.key].threshold:g}; the first seen is shown"
                    )
                columns.setdefault(column.key, column)
                value = payload.get("scores", {}).get(column.metric, judgement.get("value"))
                value = None if value is None else float(value)
                interval = None
                note = ""
                if n_resamples > 0 and column.family == "spectra" and column.window != "-":
                    if column.case_id not in intervals:
                        try:
                            intervals[column.case_id] = case_bootstrap(
                                record.data, column.case_id, n_resamples=n_resamples, seed=seed,
                                confidence=confidence, fixture_loader=fixture_loader)
                        except BootstrapUnavailable as error:
                            intervals[column.case_id] = error
                            row.problems.append(f"no interval for {column.case_id}: {error}")
                    result = intervals[column.case_id]
                    if not isinstance(result, BootstrapUnavailable) and column.window in result:
                        iv = result[column.window].intervals.get(column.metric)
                        if iv is not None and math.isfinite(iv.lo):
                            interval = (iv.lo, iv.hi)
                        note = result[column.window].note
                passed = bool(judgement.get("passed")) and value is not None and math.isfinite(value)
                row.cells[column.key] = Cell(
                    value, passed, normalised_margin(value, column.threshold, column.direction), interval, note)
                for problem in payload.get("scores", {}).get("problems", []):
                    row.problems.append(f"{column.case_id} {column.window}: {problem}")
        row.problems = list(dict.fromkeys(row.problems))
        rows[model] = row

    ordered_columns = sorted(columns.values(), key=lambda c: (c.system, c.family, c.reference_kind != "measured",
                                                               c.case_id, c.window_cm1 or (0, 0), c.window,
                                                               _metric_order(c.metric)))
    for row in rows.values():
        margins = []
        for column in ordered_columns:
            cell = row.cells.get(column.key)
            if cell is None:
                row.cells[column.key] = cell = Cell(None, False, -1.0, None, "not run")
            margins.append(cell.normalised_margin)
        row.n_columns = len(ordered_columns)
        row.n_passed = sum(1 for c in ordered_columns if row.cells[c.key].passed)
        row.composite = sum(margins) / len(margins) if margins else -1.0
    ranked = sorted(rows.values(), key=lambda r: (-r.pass_fraction, -r.composite, r.model))
    for position, row in enumerate(ranked, start=1):
        row.rank = position
    # equal (P, S) share a rank
    for previous, row in itertools.pairwise(ranked):
        if (previous.pass_fraction, previous.composite) == (row.pass_fraction, row.composite):
            row.rank = previous.rank
    return Leaderboard(
        results_dir=str(index.root), columns=ordered_columns, rows=ranked, issues=list(index.issues),
        generated=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        bootstrap={"n_resamples": n_resamples, "seed": seed, "confidence": confidence},
        title=title, notes=list(dict.fromkeys(notes)),
    )


def _metric_order(metric: str) -> tuple[int, str]:
    order = list(METRIC_LABELS)
    return (order.index(metric) if metric in order else len(order), metric)


# -- shared formatting ---------------------------------------------------------------------------


def _num(value: float | None, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.{digits}g}" if abs(value) < 1000 else f"{value:.0f}"


def _cell_text(cell: Cell) -> str:
    text = _num(cell.value)
    if cell.interval is not None:
        text += f" [{_num(cell.interval[0])}, {_num(cell.interval[1])}]"
    return text


def _model_file(identity: dict[str, Any]) -> str:
    model_file = identity.get("model_file") or {}
    if isinstance(model_file, dict) and model_file.get("sha256"):
        return f"{Path(model_file.get('path', '')).name} sha256 {model_file['sha256'][:12]}"
    return "no model file (built-in method)" if identity.get("kind") == "xtb" else "no model file recorded"


def _packages(identity: dict[str, Any]) -> str:
    packages = identity.get("packages") or {}
    return ", ".join(f"{k} {v}" for k, v in packages.items() if v)


def _cost_cells(cost: dict[str, Any] | None) -> tuple[str, str]:
    if not cost:
        return "–", "–"
    return _num(cost.get("microseconds_per_atom")), _num(cost.get("md_steps_per_second"))


def _p_and_s(row: Row) -> tuple[str, str]:
    if not row.n_columns:
        return "–", "–"
    return f"{row.pass_fraction:.2f}", f"{row.composite:+.3f}"


def _machines(board: Leaderboard) -> str:
    seen = []
    for row in board.rows:
        machine = (row.cost or {}).get("machine") or row.machine
        text = f"{machine.get('processor', '?')}, {machine.get('cpu_count', '?')} CPUs, {machine.get('platform', '?')}"
        if text not in seen:
            seen.append(text)
    return "; ".join(seen) or "unknown"


FORMULA_MD = (
    "Rank = by **P** (fraction of thresholds passed), ties broken by **S** (composite). "
    "For each column *c* with threshold *T* and value *v*: normalised margin "
    "*m* = (*T* − *v*)/|*T*| when smaller is better (≤), (*v* − *T*)/|*T*| when larger is better (≥), "
    "clipped to [−1, 1]; a missing value counts as *m* = −1 and failed. *S* = mean of *m* over all columns "
    "(every model is scored on the union of columns). See docs/leaderboard.md."
)


# -- Markdown ------------------------------------------------------------------------------------


def render_markdown(board: Leaderboard, plot_links: dict[Path, str] | None = None) -> str:
    """GitHub-flavoured Markdown; ``plot_links`` maps a PNG to the relative link to use."""
    plot_links = plot_links or {}
    lines = [f"# {board.title}", ""]
    lines.append(f"Generated {board.generated} from `{board.results_dir}`. Machine(s): {_machines(board)}.")
    lines.append("")
    lines.append(FORMULA_MD)
    lines.append("")
    if board.bootstrap.get("n_resamples"):
        lines.append(
            f"Brackets: {board.bootstrap['confidence']:.0%} bootstrap interval from "
            f"{board.bootstrap['n_resamples']} Gaussian resamples of the measured intensities within their "
            f"error bars (seed {board.bootstrap['seed']})."
        )
        lines.append("")
    lines += ["## Ranking", "",
              "| rank | model | passed | P | S | force call (µs/atom) | MD (steps/s) | model file | updated |",
              "|---:|---|---:|---:|---:|---:|---:|---|---|"]
    for row in board.rows:
        force, md = _cost_cells(row.cost)
        p, s = _p_and_s(row)
        lines.append(
            f"| {row.rank} | {row.model} | {row.n_passed}/{row.n_columns} | {p} | "
            f"{s} | {force} | {md} | {_model_file(row.identity)} | {row.updated} |"
        )
    lines += ["", "## Scores", "",
              ("One column per judged metric: system · case · reference kind · window · metric (unit) and "
               "threshold. ✅ pass, ❌ fail."), ""]
    header = ["model"] + [
        f"{c.system} · {c.case_label} · vs **{c.reference_kind}** · {c.window_label} · {c.metric_label}"
        for c in board.columns
    ]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|---" + "|---:" * len(board.columns) + "|")
    for row in board.rows:
        cells = []
        for column in board.columns:
            cell = row.cells[column.key]
            cells.append(f"{'✅' if cell.passed else '❌'} {_cell_text(cell)}")
        lines.append(f"| {row.model} | " + " | ".join(cells) + " |")
    lines += ["", "## Models", ""]
    for row in board.rows:
        lines.append(f"### {row.rank}. {row.model}")
        lines.append("")
        lines.append(f"* identity: {row.identity.get('kind', '?')}, {_model_file(row.identity)}; "
                     f"{_packages(row.identity)}")
        if row.cost:
            per = "; ".join(f"{s}: {_num(v.get('microseconds_per_atom'))} µs/atom/call, "
                            f"{_num(v.get('md_steps_per_second'))} MD steps/s"
                            for s, v in row.cost["per_system"].items())
            lines.append(f"* cost: {per}")
        else:
            lines.append("* cost: not measured (run `pytest --mlip=NAME benchmarks/perf/test_cost.py`)")
        for problem in row.problems:
            lines.append(f"* problem: {problem}")
        lines.append("")
        for family, case_id, png in row.plots:
            link = plot_links.get(png)
            if link:
                lines.append(f"![{row.model} {family} {case_id}]({link})")
                lines.append("")
    if board.issues:
        lines += ["## Records left out", ""]
        lines += [f"* `{issue.path}`: {issue.problem}" for issue in board.issues]
        lines.append("")
    if board.notes:
        lines += ["## Notes", ""] + [f"* {note}" for note in board.notes] + [""]
    return "\n".join(lines)


# -- HTML ------------------------------------------------------------------------------------


def _template(name: str) -> str:
    return resources.files("insbench.results").joinpath("templates", name).read_text(encoding="utf-8")


def _data_uri(png: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _header_rows(columns: list[Column]) -> str:
    """Four header rows with merged cells: system+case, reference, window, metric."""
    levels = [
        lambda c: (c.system, c.case_id), lambda c: (c.system, c.case_id, c.reference_kind),
        lambda c: (c.system, c.case_id, c.window),
    ]
    labels = [lambda c: f"{c.system} · {c.case_label}", lambda c: f"vs {c.reference_kind}",
              lambda c: c.window_label]
    classes = ["grp", "ref", "win"]
    out = []
    for level, label, cls in zip(levels, labels, classes):
        cells = ['<th class="corner"></th>']
        i = 0
        while i < len(columns):
            j = i
            while j < len(columns) and level(columns[j]) == level(columns[i]):
                j += 1
            extra = f' data-kind="{_e(columns[i].reference_kind)}"' if cls == "ref" else ""
            cells.append(f'<th class="{cls}" colspan="{j - i}"{extra}>{_e(label(columns[i]))}</th>')
            i = j
        out.append("<tr>" + "".join(cells) + "</tr>")
    metric_cells = ['<th class="model">model</th>'] + [
        f'<th class="metric" title="{_e(c.direction)} threshold {c.threshold:g} {_e(c.unit)}">{_e(c.metric_label)}</th>'
        for c in columns
    ]
    out.append("<tr>" + "".join(metric_cells) + "</tr>")
    return "\n".join(out)


def render_html(board: Leaderboard) -> str:
    """One self-contained HTML page (inline CSS; PNGs embedded as base64 data URIs)."""
    ranking = []
    for row in board.rows:
        force, md = _cost_cells(row.cost)
        p, s = _p_and_s(row)
        ranking.append(
            f'<tr><td class="num">{row.rank}</td><td class="model"><a href="#model-{_e(row.model)}">{_e(row.model)}</a></td>'
            f'<td class="num">{row.n_passed}/{row.n_columns}</td><td class="num">{p}</td>'
            f'<td class="num">{s}</td><td class="num">{force}</td><td class="num">{md}</td>'
            f'<td class="small">{_e(_model_file(row.identity))}</td><td class="small">{_e(row.updated)}</td></tr>'
        )
    score_rows = []
    for row in board.rows:
        cells = [f'<td class="model">{_e(row.model)}</td>']
        for column in board.columns:
            cell = row.cells[column.key]
            mark = "✔" if cell.passed else "✘"
            ci = ""
            if cell.interval is not None:
                ci = f'<span class="ci">[{_num(cell.interval[0])}, {_num(cell.interval[1])}]</span>'
            tip = f"normalised margin {cell.normalised_margin:+.2f}" + (f"; {cell.note}" if cell.note else "")
            cells.append(
                f'<td class="score {"pass" if cell.passed else "fail"}" title="{_e(tip)}">'
                f'<span class="mark">{mark}</span> {_num(cell.value)}{ci}</td>'
            )
        score_rows.append("<tr>" + "".join(cells) + "</tr>")
    sections = []
    for row in board.rows:
        items = [(f"<li>identity: {_e(row.identity.get('kind', '?'))}, {_e(_model_file(row.identity))}; "
                  f"{_e(_packages(row.identity))}</li>")]
        if row.cost:
            for system, values in row.cost["per_system"].items():
                items.append(f"<li>cost on {_e(system)} ({_e(values.get('n_atoms', '?'))} atoms): "
                             f"{_num(values.get('microseconds_per_atom'))} µs per atom per force call, "
                             f"{_num(values.get('md_steps_per_second'))} MD steps/s</li>")
        else:
            items.append("<li>cost: not measured (run <code>pytest --mlip=NAME benchmarks/perf/test_cost.py</code>)</li>")
        items += [f'<li class="problem">problem: {_e(p)}</li>' for p in row.problems]
        figures = [
            f'<figure><img alt="{_e(row.model)} {_e(family)} {_e(case_id)}" src="{_data_uri(png)}">'
            f"<figcaption>{_e(family)} · {_e(case_id)}</figcaption></figure>"
            for family, case_id, png in row.plots
        ]
        sections.append(
            f'<section class="model" id="model-{_e(row.model)}"><h3>{row.rank}. {_e(row.model)}</h3>'
            f"<ul>{''.join(items)}</ul>{''.join(figures)}</section>"
        )
    issues = ""
    if board.issues:
        issues = "<h2>Records left out</h2><ul>" + "".join(
            f"<li><code>{_e(i.path)}</code>: {_e(i.problem)}</li>" for i in board.issues) + "</ul>"
    notes = ""
    if board.notes:
        notes = "<h2>Notes</h2><ul>" + "".join(f"<li>{_e(n)}</li>" for n in board.notes) + "</ul>"
    ci_text = ""
    if board.bootstrap.get("n_resamples"):
        ci_text = (f"Brackets: {board.bootstrap['confidence']:.0%} bootstrap interval from "
                   f"{board.bootstrap['n_resamples']} Gaussian resamples of the measured intensities within "
                   f"their error bars (seed {board.bootstrap['seed']}).")
    return Template(_template("leaderboard.html")).substitute(
        title=_e(board.title),
        css=_template("leaderboard.css"),
        generated=_e(board.generated),
        results_dir=_e(board.results_dir),
        machines=_e(_machines(board)),
        formula=_formula_html(),
        ci_text=_e(ci_text),
        ranking_rows="\n".join(ranking),
        score_header=_header_rows(board.columns),
        score_rows="\n".join(score_rows),
        model_sections="\n".join(sections),
        issues=issues,
        notes=notes,
    )


def _formula_html() -> str:
    return (
        "Rank by <b>P</b>, the fraction of thresholds passed; ties broken by <b>S</b>, the composite. "
        "For each column with threshold <i>T</i> and value <i>v</i>, the normalised margin is "
        "<i>m</i> = (<i>T</i> − <i>v</i>)/|<i>T</i>| when smaller is better (≤) and "
        "(<i>v</i> − <i>T</i>)/|<i>T</i>| when larger is better (≥), clipped to [−1, 1]; "
        "a missing value counts as <i>m</i> = −1 and failed. <b>S</b> = mean of <i>m</i> over all columns; "
        "every model is scored on the union of columns. Not a sum of ranks."
    )


# -- writing ------------------------------------------------------------------------------------


def write_leaderboard(board: Leaderboard, out_dir: Path | str) -> dict[str, Path]:
    """Write leaderboard.md (+ plots/), leaderboard.html and leaderboard.json into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    plots_dir = out / "plots"
    links: dict[Path, str] = {}
    for row in board.rows:
        for _family, _case, png in row.plots:
            target = plots_dir / _safe(row.model) / png.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(png, target)
            links[png] = target.relative_to(out).as_posix()
    paths = {
        "markdown": out / "leaderboard.md",
        "html": out / "leaderboard.html",
        "json": out / "leaderboard.json",
    }
    paths["markdown"].write_text(render_markdown(board, links), encoding="utf-8")
    paths["html"].write_text(render_html(board), encoding="utf-8")
    paths["json"].write_text(json.dumps(board.to_dict(), indent=1, default=str), encoding="utf-8")
    return paths


def _safe(name: str) -> str:
    from insbench.results.records import safe_name

    return safe_name(name)
