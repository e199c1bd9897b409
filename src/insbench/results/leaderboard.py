"""The leaderboard: like-for-like tables of models x judged metrics, each with a transparent rank.

:func:`build_leaderboard` turns a :class:`~insbench.results.store_index.ResultsIndex`
into a :class:`Leaderboard` (plain data); :mod:`insbench.results.leaderboard_render`
draws it (Markdown and one self-contained HTML page through jinja2 templates, plus JSON).

**Like for like** (docs/leaderboard.md). Every stored case carries a comparability block
(:class:`insbench.results.records.Comparability`). Results are put side by side only when
they were made the same way:

* a *column* is one metric of one window of one case (system, family, pressure, cell mode,
  reference kind); all its cells share the case's full comparability key;
* a *table* holds the columns whose run settings match: MD level, supercell rule, insbench
  version and INS multiphonon orders, and, per (system, family), the fixture version and the
  scoring settings/thresholds digest. Results made any other way go to a table of their own,
  with its key shown; they are never mixed or ranked together.

**Ranking** within a table: for each column c with threshold T_c and value v_c the
*normalised margin* is m_c = (T_c - v_c)/|T_c| ("max" thresholds: smaller is better) or
(v_c - T_c)/|T_c| ("min"), clipped to [-1, 1]. A column a model was not run on is "not run":
it counts neither as passed nor as failed. Scores against a self-made reference
(``self_reference``) are shown, marked, and not counted. Per row, over the columns it ran:
P = passed / run, coverage = run / columns of the table, S = mean m_c. Rank by P, then
coverage, then S; equal (P, coverage, S) share a rank.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from insbench.metrics.bootstrap import (
    DEFAULT_CONFIDENCE,
    DEFAULT_N_RESAMPLES,
    DEFAULT_SEED,
    BootstrapUnavailable,
    case_bootstrap,
)
from insbench.results.cost import COST_FAMILY, cost_summary
from insbench.results.leaderboard_model import (  # noqa: F401  (re-exported: the public API)
    METRIC_LABELS,
    NOT_RUN,
    SELF_REFERENCE,
    UNIT_LABELS,
    Cell,
    Column,
    Diagnostic,
    Leaderboard,
    ModelInfo,
    Row,
    Table,
    TableKey,
    normalised_margin,
)
from insbench.results.store_index import Record, ResultsIndex
from insbench.results.summary_pressure import sensitivity_marker


# -- collecting the cells -----------------------------------------------------------------------


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


def _frozen(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value


def _split_key(record: Record, block: dict[str, Any]) -> tuple[tuple, tuple]:
    """(run settings shared by a table, (system, family, fixture version, scoring sha256))."""
    fixture = block.get("fixture") if isinstance(block.get("fixture"), dict) else {}
    shared = tuple(_frozen(block.get(name)) for name in
                   ("md_level", "supercell_min_length_a", "insbench_version", "multiphonon_orders"))
    unit = (record.system, record.family, _frozen(fixture.get("version", record.reference_version)),
            _frozen(block.get("scoring_settings_sha256")))
    return shared, unit


@dataclass
class _Found:
    """One model's cells grouped by how they were made."""

    model: str
    shared: tuple
    units: dict[tuple[str, str], tuple]  # (system, family) -> (fixture version, scoring sha256)
    cells: dict[tuple, tuple[Column, Cell]] = field(default_factory=dict)


def _cells_of(record: Record, row_problems: list[str], bootstrap: dict[str, Any], fixture_loader,
              diagnostics: list[Diagnostic] | None = None) -> list[tuple[tuple, tuple, Column, Cell]]:
    """The record's judged cells; its spectral windows' diagnostics are appended to ``diagnostics``."""
    out = []
    intervals: dict[str, Any] = {}
    for case_id, case in record.cases.items():
        block = case.get("comparability") or record.data.get("comparability") or {}
        shared, unit = _split_key(record, block)
        self_reference = bool(block.get("self_reference"))
        for window, payload in _judged_windows(case).items():
            window_cm1 = payload.get("window_cm1")
            for metric, judgement in payload["judgements"].items():
                threshold = judgement.get("threshold") if isinstance(judgement, dict) else None
                if isinstance(threshold, bool) or not isinstance(threshold, (int, float)):
                    continue  # not a thresholded judgement: nothing to put in a column
                column = Column(
                    system=record.system, family=record.family, case_id=case_id,
                    case_label=_case_label(case_id, case),
                    # MD checks have no reference spectrum: "-" (spectra without the key: measured)
                    reference_kind=str(case.get("reference_kind") or
                                       ("measured" if record.family == "spectra" else "-")),
                    window=window,
                    window_cm1=None if window_cm1 is None else (float(window_cm1[0]), float(window_cm1[1])),
                    metric=metric, unit=str(judgement.get("unit", "")),
                    direction=str(judgement.get("direction", "max")), threshold=float(threshold),
                )
                value = payload.get("scores", {}).get(metric, judgement.get("value"))
                value = None if value is None or isinstance(value, bool) else float(value)
                interval, note = _interval(record, column, intervals, row_problems, bootstrap, fixture_loader)
                passed = bool(judgement.get("passed")) and value is not None and math.isfinite(value)
                cell = Cell(value, passed, normalised_margin(value, column.threshold, column.direction),
                            interval, SELF_REFERENCE if self_reference else note, True, self_reference,
                            sensitivity_marker(payload.get("structure_sensitivity")))
                out.append((shared, unit, column, cell))
                for problem in payload.get("scores", {}).get("problems", []):
                    row_problems.append(f"{case_id} {window}: {problem}")
            if diagnostics is not None and record.family == "spectra" and window != "-":
                value = payload.get("scores", {}).get("frequency_scale")
                value = None if value is None or isinstance(value, bool) else float(value)
                lookup = _window_interval(record, case_id, window, "frequency_scale", intervals, row_problems,
                                          bootstrap, fixture_loader)
                source = payload.get("reference_peaks_source") or {}
                diagnostics.append(Diagnostic(
                    record.system, _case_label(case_id, case), str(case.get("reference_kind") or "measured"),
                    window, None if window_cm1 is None else (float(window_cm1[0]), float(window_cm1[1])),
                    value, lookup[0], source.get("description") or "not recorded (scored before insbench "
                    "recorded its peak source: peaks picked from the reference spectrum)", self_reference,
                    tuple(n for n in payload.get("scores", {}).get("notes", []) if n.startswith("frequency scale"))))
    return out


def _interval(record, column, memo, problems, bootstrap, fixture_loader):
    if column.family != "spectra" or column.window == "-":
        return None, ""
    return _window_interval(record, column.case_id, column.window, column.metric, memo, problems, bootstrap,
                            fixture_loader)


def _window_interval(record, case_id, window, metric, memo, problems, bootstrap, fixture_loader):
    """(interval, note) of one metric of one spectral window; the case is bootstrapped once (``memo``)."""
    if not bootstrap["n_resamples"]:
        return None, ""
    if case_id not in memo:
        try:
            memo[case_id] = case_bootstrap(
                record.data, case_id, n_resamples=bootstrap["n_resamples"], seed=bootstrap["seed"],
                confidence=bootstrap["confidence"], fixture_loader=fixture_loader)
        except BootstrapUnavailable as error:
            memo[case_id] = error
            problems.append(f"no interval for {case_id}: {error}")
        except (ValueError, KeyError, TypeError) as error:  # settings this insbench cannot re-read
            memo[case_id] = BootstrapUnavailable(str(error))
            problems.append(f"no interval for {case_id}: its stored scoring settings cannot be "
                            f"re-used by this insbench ({error}); re-run the case to get intervals")
    result = memo[case_id]
    if isinstance(result, BootstrapUnavailable) or window not in result:
        return None, ""
    iv = result[window].intervals.get(metric)
    interval = (iv.lo, iv.hi) if iv is not None and math.isfinite(iv.lo) else None
    return interval, result[window].note


def _profiles(model: str, cells: list[tuple[tuple, tuple, Column, Cell]]) -> list[_Found]:
    """Split one model's cells into groups made one way (a unit made two ways -> two groups)."""
    by_shared: dict[tuple, dict[tuple[str, str], dict[tuple, list]]] = {}
    for shared, unit, column, cell in cells:
        settings = unit[2:]
        by_shared.setdefault(shared, {}).setdefault(unit[:2], {}).setdefault(settings, []).append((column, cell))
    found = []
    for shared, units in sorted(by_shared.items(), key=lambda kv: repr(kv[0])):
        depth = max(len(v) for v in units.values())
        for i in range(depth):
            profile = _Found(model, shared, {})
            for name, variants in units.items():
                ordered = sorted(variants.items(), key=lambda kv: repr(kv[0]))
                if i < len(ordered):
                    settings, pairs = ordered[i]
                    profile.units[name] = settings
                    profile.cells.update((column.key, (column, cell)) for column, cell in pairs)
            found.append(profile)
    return found


def _group(profiles: list[_Found]) -> list[tuple[TableKey, list[_Found]]]:
    """Tables: same shared settings and no (system, family) made two ways (deterministic, greedy)."""
    groups: list[tuple[tuple, dict[tuple[str, str], tuple], list[_Found]]] = []
    for profile in sorted(profiles, key=lambda p: (-len(p.cells), p.model)):
        for shared, units, members in groups:
            if shared == profile.shared and all(units.get(k, v) == v for k, v in profile.units.items()):
                units.update(profile.units)
                members.append(profile)
                break
        else:
            groups.append((profile.shared, dict(profile.units), [profile]))
    out = []
    for shared, units, members in groups:
        key = TableKey(*shared, units=tuple((s, f, *units[(s, f)]) for s, f in sorted(units)))
        out.append((key, members))
    return out


# -- building ------------------------------------------------------------------------------


def build_leaderboard(
    index: ResultsIndex,
    *,
    n_resamples: int = DEFAULT_N_RESAMPLES,
    seed: int = DEFAULT_SEED,
    confidence: float = DEFAULT_CONFIDENCE,
    title: str = "insbench leaderboard",
    fixture_loader=None,
) -> Leaderboard:
    """Tables (one per way of making the results), bootstrap intervals (``n_resamples=0``: none), ranks."""
    bootstrap = {"n_resamples": n_resamples, "seed": seed, "confidence": confidence}
    models: dict[str, ModelInfo] = {}
    profiles: list[_Found] = []
    for model in index.models():
        records = index.for_model(model)
        newest = max(records, key=lambda r: r.updated)
        info = ModelInfo(model, newest.identity, newest.updated, newest.data.get("machine", {}),
                         cost=cost_summary(records))
        cells = []
        for record in records:
            if record.family == COST_FAMILY:
                continue
            info.plots.extend((record.family, case_id, png) for case_id, png in record.png_files())
            cells += _cells_of(record, info.problems, bootstrap, fixture_loader, info.diagnostics)
        info.problems = list(dict.fromkeys(info.problems))
        models[model] = info
        profiles += _profiles(model, cells)

    tables = [_table(key, members) for key, members in _group(profiles)]
    tables.sort(key=lambda t: (-len(t.rows), -len(t.columns), repr(t.key)))
    for table in tables:
        table.not_run = sorted(set(models) - {row.model for row in table.rows})
    notes = []
    if len(tables) > 1:
        notes.append(f"{len(tables)} tables: results made with different settings (see each table's key) are "
                     "ranked separately, never together")
    return Leaderboard(
        results_dir=str(index.root), tables=tables, models=models, issues=list(index.issues),
        generated=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), bootstrap=bootstrap,
        title=title, notes=notes,
    )


def _table(key: TableKey, members: list[_Found]) -> Table:
    columns: dict[tuple, Column] = {}
    for profile in members:
        for column, _cell in profile.cells.values():
            columns.setdefault(column.key, column)
    ordered = sorted(columns.values(), key=lambda c: (c.system, c.family, c.reference_kind != "measured",
                                                      c.case_id, c.window_cm1 or (0, 0), c.window,
                                                      _metric_order(c.metric)))
    rows = []
    for profile in members:
        row = Row(profile.model, {}, n_columns=len(ordered))
        margins = []
        for column in ordered:
            found = profile.cells.get(column.key)
            cell = found[1] if found else Cell(None, False, -1.0, None, NOT_RUN, run=False)
            row.cells[column.key] = cell
            row.n_self_reference += cell.run and cell.self_reference
            if cell.counted:
                row.n_run += 1
                row.n_passed += cell.passed
                margins.append(cell.normalised_margin)
        row.composite = sum(margins) / len(margins) if margins else None
        rows.append(row)
    _rank(rows)
    return Table(key, ordered, rows)


def _rank(rows: list[Row]) -> None:
    """Rank by P, then coverage, then S; equal triples share a rank; rows with nothing counted: unranked."""
    def order(row: Row) -> tuple:
        return (row.pass_fraction, row.coverage, row.composite)

    ranked = sorted((r for r in rows if r.n_run), key=lambda r: (-r.pass_fraction, -r.coverage, -r.composite,
                                                                  r.model))
    for position, row in enumerate(ranked, start=1):
        row.rank = position
    for previous, row in itertools.pairwise(ranked):
        if order(previous) == order(row):
            row.rank = previous.rank
    unranked = sorted((r for r in rows if not r.n_run), key=lambda r: r.model)
    rows[:] = ranked + unranked


def _metric_order(metric: str) -> tuple[int, str]:
    order = list(METRIC_LABELS)
    return (order.index(metric) if metric in order else len(order), metric)


def render_markdown(board: Leaderboard, plot_links: dict[Path, str] | None = None) -> str:
    """GitHub-flavoured Markdown (see :mod:`insbench.results.leaderboard_render`)."""
    from insbench.results.leaderboard_render import render_markdown as render

    return render(board, plot_links)


def render_html(board: Leaderboard) -> str:
    """One self-contained HTML page (see :mod:`insbench.results.leaderboard_render`)."""
    from insbench.results.leaderboard_render import render_html as render

    return render(board)


def write_leaderboard(board: Leaderboard, out_dir: Path | str) -> dict[str, Path]:
    """Write leaderboard.md (+ plots/), leaderboard.html and leaderboard.json into ``out_dir``."""
    from insbench.results.leaderboard_render import write_leaderboard as write

    return write(board, out_dir)
