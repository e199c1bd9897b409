"""Drawing a :class:`~insbench.results.leaderboard.Leaderboard`: Markdown, one self-contained
HTML page and JSON.

Both text formats come from jinja2 templates in ``insbench/results/templates/`` (shipped in
the wheel). The HTML environment autoescapes every value, so a model or system name can
never inject markup; the page inlines its CSS and embeds the PNGs as base64 data URIs, and
loads nothing else. This module prepares plain view dictionaries; the templates only lay
them out.
"""

from __future__ import annotations

import base64
import json
import math
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2

if TYPE_CHECKING:
    from insbench.results.leaderboard import Cell, Column, Leaderboard, Table, TableKey
    from insbench.results.leaderboard_model import Diagnostic

MARKS = {"pass": ("✔", "✅"), "fail": ("✘", "❌"), "not run": ("–", "—"), "self-reference": ("◇", "◇")}


def _environment(autoescape: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("insbench.results", "templates"),
        autoescape=autoescape, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["md"] = lambda text: str(text).replace("|", "\\|").replace("\n", " ")
    return env


# -- formatting ------------------------------------------------------------------------------------


def num(value: float | None, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:.{digits}g}" if abs(value) < 1000 else f"{value:.0f}"


def key_parts(key: TableKey) -> list[str]:
    """The table key in words: what every result in the table was made with."""
    def listed(value: Any) -> str:
        return ", ".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)

    parts = [f"MD level {key.md_level}" if key.md_level else "no MD level (not an MD result)"]
    if key.supercell_min_length_a is not None:
        parts.append(f"supercell rule ≥ {listed(key.supercell_min_length_a)} Å")
    if key.multiphonon_orders is not None:
        parts.append(f"INS orders {listed(key.multiphonon_orders)}")
    parts.append(f"insbench {listed(key.insbench_version)}")
    for system, family, version, digest in key.units:
        scoring = f"scoring {str(digest)[:12]}" if digest else "no scoring digest"
        parts.append(f"{system} {family}: fixture {listed(version)}, {scoring}")
    return parts


def _model_file(identity: dict[str, Any]) -> str:
    model_file = identity.get("model_file") or {}
    if isinstance(model_file, dict) and model_file.get("sha256"):
        return f"{Path(model_file.get('path', '')).name} sha256 {model_file['sha256'][:12]}"
    return "no model file (built-in method)" if identity.get("kind") == "xtb" else "no model file recorded"


def _packages(identity: dict[str, Any]) -> str:
    packages = identity.get("packages") or {}
    return ", ".join(f"{k} {v}" for k, v in packages.items() if v)


def _machines(board: Leaderboard) -> str:
    seen = []
    for info in board.models.values():
        machine = (info.cost or {}).get("machine") or info.machine
        text = f"{machine.get('processor', '?')}, {machine.get('cpu_count', '?')} CPUs, {machine.get('platform', '?')}"
        if text not in seen:
            seen.append(text)
    return "; ".join(seen) or "unknown"


def _cell_view(cell: Cell) -> dict[str, Any]:
    status = cell.status
    html_mark, md_mark = MARKS[status]
    interval = None if cell.interval is None else f"[{num(cell.interval[0])}, {num(cell.interval[1])}]"
    if not cell.run:
        tip = "not run: this model has no result here; not counted"
    elif cell.self_reference:
        tip = ("self-reference: scored against a reference made with this model (or on a structure it "
               "selected); shown, not ranked")
    else:
        tip = f"normalised margin {cell.normalised_margin:+.2f}" + (f"; {cell.note}" if cell.note else "")
    text = "not run" if not cell.run else num(cell.value)
    if cell.marker:
        tip += f"; {cell.marker}: pass/fail differs between the fixture's candidate structures"
    return {"status": status, "css": status.replace(" ", "-"), "mark": html_mark, "md_mark": md_mark,
            "text": text, "interval": interval, "tip": tip,
            "self_reference": cell.run and cell.self_reference, "marker": cell.marker}


def _header_rows(columns: list[Column]) -> list[list[dict[str, Any]]]:
    """Three merged header rows (system+case, reference kind, window) above the metric row."""
    levels = [
        (lambda c: (c.system, c.family, c.case_id), lambda c: f"{c.system} · {c.family} · {c.case_label}", "grp"),
        (lambda c: (c.system, c.case_id, c.reference_kind),
         lambda c: "no reference (checks)" if c.reference_kind == "-" else f"vs {c.reference_kind}", "ref"),
        (lambda c: (c.system, c.case_id, c.window), lambda c: c.window_label, "win"),
    ]
    rows = []
    for level, label, css in levels:
        cells = []
        for _key, group in _runs(columns, level):
            cells.append({"label": label(group[0]), "span": len(group), "css": css,
                          "kind": group[0].reference_kind})
        rows.append(cells)
    return rows


def _runs(columns, key):
    out: list[tuple[Any, list]] = []
    for column in columns:
        if out and out[-1][0] == key(column):
            out[-1][1].append(column)
        else:
            out.append((key(column), [column]))
    return out


def _table_view(number: int, table: Table, board: Leaderboard) -> dict[str, Any]:
    rows = []
    for row in table.rows:
        info = board.models[row.model]
        cost = info.cost or {}
        rows.append({
            "rank": "–" if row.rank is None else str(row.rank), "model": row.model,
            "passed": f"{row.n_passed}/{row.n_run}", "P": "–" if row.pass_fraction is None else f"{row.pass_fraction:.2f}",
            "coverage": f"{row.n_run}/{row.n_columns}",
            "S": "–" if row.composite is None else f"{row.composite:+.3f}",
            "self_reference": str(row.n_self_reference) if row.n_self_reference else "",
            "force": num(cost.get("microseconds_per_atom")), "md": num(cost.get("md_steps_per_second")),
            "model_file": _model_file(info.identity), "updated": info.updated,
            "unranked": row.rank is None,
            "cells": [_cell_view(row.cells[c.key]) for c in table.columns],
        })
    return {
        "number": number, "id": f"table-{number}", "key_parts": key_parts(table.key), "rows": rows,
        "not_run": table.not_run,
        "columns": [{"label": c.metric_label, "md_label": f"{c.system} · {c.family} · {c.case_label} · "
                     + ("" if c.reference_kind == "-" else f"vs **{c.reference_kind}** · ")
                     + f"{c.window_label} · {c.metric_label}",
                     "tip": f"{c.direction} threshold {c.threshold:g} {c.unit}"} for c in table.columns],
        "header_rows": _header_rows(table.columns),
        "n_not_run": sum(not cell.run for r in table.rows for cell in r.cells.values()),
        "n_self_reference": sum(r.n_self_reference for r in table.rows),
    }


def _model_views(board: Leaderboard, plot_links: dict[Path, str], embed: bool) -> list[dict[str, Any]]:
    views = []
    for name, info in board.models.items():
        costs = []
        for system, values in ((info.cost or {}).get("per_system") or {}).items():
            costs.append(f"cost on {system} ({values.get('n_atoms', '?')} atoms): "
                         f"{num(values.get('microseconds_per_atom'))} µs per atom per force call, "
                         f"{num(values.get('md_steps_per_second'))} MD steps/s")
        plots = []
        for family, case_id, png in info.plots:
            source = _data_uri(png) if embed else plot_links.get(png)
            if source:
                plots.append({"caption": f"{family} · {case_id}", "alt": f"{name} {family} {case_id}", "src": source})
        views.append({
            "name": name, "id": f"model-{name}",
            "identity": f"{info.identity.get('kind', '?')}, {_model_file(info.identity)}; {_packages(info.identity)}",
            "costs": costs, "problems": info.problems, "plots": plots,
            "diagnostics": [_diagnostic_text(d) for d in info.diagnostics],
            "tables": [i + 1 for i, t in enumerate(board.tables) if any(r.model == name for r in t.rows)],
        })
    return views


def _diagnostic_text(diagnostic: Diagnostic) -> str:
    value = "no value (the prediction could not be scored)" if diagnostic.frequency_scale is None else \
        num(diagnostic.frequency_scale, 4)
    if diagnostic.interval is not None:
        value += f" [{num(diagnostic.interval[0], 4)}, {num(diagnostic.interval[1], 4)}]"
    marks = " (self-reference)" if diagnostic.self_reference else ""
    caveats = "".join(f"; CAVEAT: {c}" for c in diagnostic.caveats)
    return f"{diagnostic.label}{marks}: s {value}{caveats}; reference peaks: {diagnostic.peaks}"


def _data_uri(png: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")


def _context(board: Leaderboard, plot_links: dict[Path, str], embed: bool) -> dict[str, Any]:
    ci_text = ""
    if board.bootstrap.get("n_resamples"):
        ci_text = (f"Brackets: {board.bootstrap['confidence']:.0%} bootstrap interval from "
                   f"{board.bootstrap['n_resamples']} Gaussian resamples of the measured intensities within "
                   f"their error bars (seed {board.bootstrap['seed']}).")
    return {
        "title": board.title, "generated": board.generated, "results_dir": board.results_dir,
        "machines": _machines(board), "ci_text": ci_text,
        "tables": [_table_view(i + 1, t, board) for i, t in enumerate(board.tables)],
        "models": _model_views(board, plot_links, embed),
        "issues": [{"path": str(i.path), "problem": i.problem} for i in board.issues],
        "notes": board.notes,
    }


def render_markdown(board: Leaderboard, plot_links: dict[Path, str] | None = None) -> str:
    """GitHub-flavoured Markdown; ``plot_links`` maps a PNG to the relative link to use."""
    return _environment(False).get_template("leaderboard.md.j2").render(_context(board, plot_links or {}, False))


def render_html(board: Leaderboard) -> str:
    """One self-contained HTML page (inline CSS; PNGs embedded as base64 data URIs; no scripts)."""
    return _environment(True).get_template("leaderboard.html.j2").render(_context(board, {}, True))


def write_leaderboard(board: Leaderboard, out_dir: Path | str) -> dict[str, Path]:
    """Write leaderboard.md (+ plots/), leaderboard.html and leaderboard.json into ``out_dir``."""
    from insbench.results.records import safe_name

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    links: dict[Path, str] = {}
    for info in board.models.values():
        for _family, _case, png in info.plots:
            target = out / "plots" / safe_name(info.model) / png.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(png, target)
            links[png] = target.relative_to(out).as_posix()
    paths = {"markdown": out / "leaderboard.md", "html": out / "leaderboard.html", "json": out / "leaderboard.json"}
    paths["markdown"].write_text(render_markdown(board, links), encoding="utf-8")
    paths["html"].write_text(render_html(board), encoding="utf-8")
    paths["json"].write_text(json.dumps(board.to_dict(), indent=1, default=str), encoding="utf-8")
    return paths
