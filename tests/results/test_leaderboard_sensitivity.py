"""The leaderboard marks a pressure verdict whose pass/fail flips across the fixture's candidate
structures, with the spread, from the record's ``structure_sensitivity`` block (SYNTHETIC
records: hand-made blocks in the layout workflows.evaluate_pressure writes; no model was run)."""

from __future__ import annotations

import json

from insbench.results import ResultsStore
from insbench.results.leaderboard import build_leaderboard, render_html, render_markdown, write_leaderboard
from insbench.results.records import write_case
from insbench.results.store_index import load_index
from insbench.results.summary_pressure import sensitivity_block, sensitivity_verdicts

from .results_synthetic import synthetic_case, synthetic_identity

MARKER = "structure-sensitive (-32.6..+23.0 cm-1 over 4 structures)"
TABLE = {"models": {"synthetic-a": {"red_shift_453_cm1": sensitivity_verdicts(
    {"s1": -32.62, "s2": -14.55, "s3": -6.86, "s4": 22.99}, {"s1": True, "s2": True, "s3": True, "s4": False})}}}


def _pressure_case(model: str, block: dict, value: float = -3.9):
    judgement = {"metric": "red_shift_cm1", "passed": value < 0, "value": value, "threshold": 0.0,
                 "direction": "max", "unit": "cm-1", "margin": -value}
    return synthetic_case(synthetic_identity(model), "red_shift-453cm-1-vs-claim", value < 0, family="pressure",
                          system="diiodothiophene", reference={"system": "diiodothiophene", "version": "3.0.0",
                                                               "manifest_sha256": "abc"},
                          payload={"value": value, "judgements": {"red_shift_cm1": judgement},
                                   "structure_sensitivity": block},
                          fixture={"system": "diiodothiophene", "version": "3.0.0"})


def _board(tmp_path):
    store = ResultsStore(tmp_path / "results")
    write_case(store, _pressure_case("synthetic-a", sensitivity_block(TABLE, "synthetic-a", "red_shift_453_cm1")))
    # a model the table does not cover: not assessed, so no marker
    write_case(store, _pressure_case("synthetic-b", sensitivity_block(TABLE, "synthetic-b", "red_shift_453_cm1")))
    return build_leaderboard(load_index(tmp_path / "results"), n_resamples=0)


def test_a_structure_sensitive_verdict_is_marked_with_its_spread(tmp_path):
    board = _board(tmp_path)
    [table] = board.tables
    [column] = table.columns
    cells = {row.model: row.cells[column.key] for row in table.rows}
    assert cells["synthetic-a"].marker == MARKER and cells["synthetic-a"].passed
    assert cells["synthetic-b"].marker == ""
    markdown = render_markdown(board)
    assert f"| synthetic-a | ✅ -3.9 {MARKER} |" in markdown.splitlines()
    assert markdown.count("structure-sensitive") == 1
    html = render_html(board)
    assert f'<span class="tag sensitive">{MARKER}</span>' in html and html.count("structure-sensitive (") == 2  # + tip
    data = json.loads(write_leaderboard(board, tmp_path / "board")["json"].read_text())
    by_model = {row["model"]: row["cells"][0] for row in data["tables"][0]["rows"]}
    assert by_model["synthetic-a"]["structure_sensitivity"] == MARKER
    assert by_model["synthetic-b"]["structure_sensitivity"] is None


def test_the_marker_does_not_change_the_ranking(tmp_path):
    board = _board(tmp_path)
    [table] = board.tables
    ranks = {row.model: (row.rank, row.n_passed, row.n_run) for row in table.rows}
    assert ranks == {"synthetic-a": (1, 1, 1), "synthetic-b": (1, 1, 1)}
