"""The leaderboard: columns, ranking formula, intervals, cost, self-contained HTML (SYNTHETIC records)."""

from __future__ import annotations

import json
import math
import re
import uuid

import pytest

from insbench.cli import main
from insbench.reference import load_fixture
from insbench.results import ResultsStore
from insbench.results.records import write_case
from insbench.results.cost import force_call_payload, md_payload
from insbench.workflows.cost import write_cost_case
from insbench.results.leaderboard import (
    build_leaderboard,
    normalised_margin,
    render_html,
    render_markdown,
    write_leaderboard,
)
from insbench.results.store_index import load_index

from .results_synthetic import synthetic_case, synthetic_identity, write_synthetic


@pytest.fixture
def board(synthetic_results):
    return build_leaderboard(load_index(synthetic_results), n_resamples=0)


def test_normalised_margin_formula():
    assert normalised_margin(20.0, 40.0, "max") == pytest.approx(0.5)
    assert normalised_margin(50.0, 40.0, "max") == pytest.approx(-0.25)
    assert normalised_margin(200.0, 40.0, "max") == -1.0  # clipped
    assert normalised_margin(0.9, 0.6, "min") == pytest.approx(0.5)
    assert normalised_margin(0.0, 0.6, "min") == -1.0
    assert normalised_margin(None, 40.0, "max") == -1.0
    assert normalised_margin(float("nan"), 0.6, "min") == -1.0


def test_one_row_per_model_and_a_column_per_judged_metric(board):
    assert [r.model for r in board.rows] == ["synthetic-good", "synthetic-soft"]
    assert len(board.columns) == 6  # 1 case x 2 windows x 3 metrics
    assert {(c.window, c.metric) for c in board.columns} == {
        (w, m) for w in ("lattice_lam", "fingerprint") for m in ("w1_cm1", "cosine", "peak_mae_cm1")}
    w1 = next(c for c in board.columns if c.window == "fingerprint" and c.metric == "w1_cm1")
    assert (w1.unit, w1.direction, w1.threshold, w1.reference_kind) == ("cm-1", "max", 40.0, "measured")
    assert w1.metric_label == "W1 (cm⁻¹) ≤ 40"


def test_rank_is_pass_fraction_then_mean_normalised_margin(board):
    good, soft = board.rows
    assert (good.rank, soft.rank) == (1, 2)
    assert good.n_passed == 6 and soft.n_passed < 6  # a 10 % too soft model misses at least one
    assert soft.n_passed == sum(soft.cells[c.key].passed for c in board.columns)
    for row in board.rows:
        expected = sum(row.cells[c.key].normalised_margin for c in board.columns) / len(board.columns)
        assert row.composite == pytest.approx(expected)


def test_a_model_missing_a_case_is_scored_on_the_union(synthetic_results):
    """A model run on two cell modes adds columns; models without them get m = -1 and a fail there."""
    write_synthetic(synthetic_results, "synthetic-both", 1.0, cell_modes=("relaxed-cell", "measured-cell"))
    board = build_leaderboard(load_index(synthetic_results), n_resamples=0)
    assert len(board.columns) == 12
    rows = {r.model: r for r in board.rows}
    assert rows["synthetic-both"].rank == 1 and rows["synthetic-both"].n_passed == 12
    good = rows["synthetic-good"]
    assert good.n_columns == 12 and good.n_passed == 6
    missing = [good.cells[c.key] for c in board.columns if c.case_id.endswith("measured-cell-vs-measured")]
    assert all(cell.note == "not run" and cell.normalised_margin == -1.0 for cell in missing)


def test_equal_models_share_a_rank(synthetic_results):
    write_synthetic(synthetic_results, "synthetic-good-twin", 1.0)
    board = build_leaderboard(load_index(synthetic_results), n_resamples=0)
    ranks = {r.model: r.rank for r in board.rows}
    assert ranks["synthetic-good"] == ranks["synthetic-good-twin"] == 1
    assert ranks["synthetic-soft"] == 3


def test_intervals_are_shown(synthetic_results):
    board = build_leaderboard(load_index(synthetic_results), n_resamples=8, seed=1)
    cell = board.rows[1].cells[board.columns[0].key]
    assert cell.interval is not None and cell.interval[0] <= cell.interval[1]
    assert re.search(r"\[\d[\d.]*, \d[\d.]*\]", render_markdown(board))


def test_cost_records_feed_the_cost_columns(synthetic_results):
    fixture = load_fixture("hexane")
    store = ResultsStore(synthetic_results)
    session = uuid.uuid4().hex
    stats = {"min": 0.01, "max": 0.03, "mean": 0.02, "median": 0.02, "stddev": 0.001, "rounds": 5}
    identity = synthetic_identity("synthetic-soft")
    write_cost_case(store, model=identity, fixture=fixture, case_id="force-call",
                    payload=force_call_payload("hexane", 20, stats), session_id=session)
    write_cost_case(store, model=identity, fixture=fixture, case_id="md",
                    payload=md_payload("hexane", 20, 5, 0.5, stats), session_id=session)
    board = build_leaderboard(load_index(synthetic_results), n_resamples=0)
    soft = next(r for r in board.rows if r.model == "synthetic-soft")
    assert soft.cost["microseconds_per_atom"] == pytest.approx(1000.0)  # 0.02 s / 20 atoms
    assert soft.cost["md_steps_per_second"] == pytest.approx(250.0)  # 5 steps / 0.02 s
    assert len(board.columns) == 6  # cost is not a judged column
    markdown = render_markdown(board)
    soft_row = next(r for r in board.rows if r.model == "synthetic-soft")
    assert f"| 2 | synthetic-soft | {soft_row.n_passed}/6 | {soft_row.n_passed / 6:.2f} |" in markdown
    assert "| 1000 | 250 |" in markdown


def test_markdown_lists_units_thresholds_reference_kind_and_plots(board, tmp_path):
    paths = write_leaderboard(board, tmp_path / "out")
    text = paths["markdown"].read_text()
    assert "vs **measured**" in text and "cosine ≥ 0.6" in text and "peak MAE (cm⁻¹) ≤ 30" in text
    assert "✅" in text and "❌" in text
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(links) == 2 and all((tmp_path / "out" / link).is_file() for link in links)
    data = json.loads(paths["json"].read_text())
    assert data["rows"][0]["model"] == "synthetic-good" and len(data["columns"]) == 6


def test_html_is_self_contained(board):
    page = render_html(board)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:|#)""", page), "external reference in the page"
    assert "<link" not in page.lower() and "@import" not in page
    images = re.findall(r'<img [^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 2 and all(len(i) > 1000 for i in images)
    assert "vs measured" in page and "W1 (cm⁻¹) ≤ 40" in page
    assert 'class="score fail"' in page and 'class="score pass"' in page


def test_left_out_records_are_listed(synthetic_results):
    path = synthetic_results / "synthetic-soft" / "hexane" / "spectra.json"
    data = json.loads(path.read_text())
    data["schema_version"] = 99
    path.write_text(json.dumps(data))
    board = build_leaderboard(load_index(synthetic_results), n_resamples=0)
    assert [r.model for r in board.rows] == ["synthetic-good"]
    assert "schema_version 99" in render_markdown(board) and "Records left out" in render_html(board)


def test_cli_leaderboard(synthetic_results, tmp_path, capsys):
    out = tmp_path / "board"
    assert main(["leaderboard", str(synthetic_results), "--out", str(out), "--n-resamples", "0"]) == 0
    assert {p.name for p in out.iterdir()} >= {"leaderboard.md", "leaderboard.html", "leaderboard.json"}
    assert "1  synthetic-good" in capsys.readouterr().out
    assert main(["leaderboard", str(tmp_path / "nothing"), "--out", str(out)]) == 2


def test_composite_does_not_depend_on_other_models(synthetic_results, board):
    """Unlike a sum of ranks, adding a terrible model leaves the others' S and P unchanged."""
    before = {r.model: (r.composite, r.n_passed) for r in board.rows}
    write_synthetic(synthetic_results, "synthetic-awful", 0.6)
    after = build_leaderboard(load_index(synthetic_results), n_resamples=0)
    assert {r.model: (r.composite, r.n_passed) for r in after.rows if r.model in before} == before
    assert after.rows[-1].model == "synthetic-awful"
    assert all(-1.0 <= r.composite <= 1.0 and math.isfinite(r.composite) for r in after.rows)


def test_case_level_judgements_of_other_families_become_columns(synthetic_results):
    """A family without windows (e.g. MD checks) judged per case gets columns too; its PNGs show."""
    from insbench.metrics import Threshold

    store = ResultsStore(synthetic_results)
    png = synthetic_results / "synthetic-soft" / "hexane" / "md-synthetic.png"
    png.write_bytes((synthetic_results / "synthetic-soft" / "hexane" /
                     "spectra-hexane-0GPa-relaxed-cell-vs-measured.png").read_bytes())
    judgement = Threshold("hexane", "-", "drift_mev_atom_ps", 1.0, "meV/atom/ps", "max", "SYNTHETIC").judge(0.5)
    write_case(store, synthetic_case(
        synthetic_identity("synthetic-soft"), "md-hexane-smoke", True, family="md",
        reference=json.loads((synthetic_results / "synthetic-soft" / "hexane" / "spectra.json")
                             .read_text())["reference"],
        plots=(png.name,), payload={"scores": {"drift_mev_atom_ps": 0.5},
                                    "judgements": {"drift_mev_atom_ps": judgement.to_dict()}}))
    board = build_leaderboard(load_index(synthetic_results), n_resamples=0)
    md = next(c for c in board.columns if c.family == "md")
    assert md.window_label == "md" and md.threshold == 1.0
    soft = next(r for r in board.rows if r.model == "synthetic-soft")
    assert soft.cells[md.key].passed and soft.cells[md.key].value == 0.5
    assert ("md", "md-hexane-smoke", png.resolve()) in soft.plots
    good = next(r for r in board.rows if r.model == "synthetic-good")
    assert not good.cells[md.key].passed and good.cells[md.key].note == "not run"


def test_several_results_directories(synthetic_results, tmp_path, capsys):
    other = tmp_path / "other"
    write_synthetic(other, "synthetic-third", 0.95)
    write_synthetic(other, "synthetic-soft", 1.0)  # newer run of the same model: supersedes
    out = tmp_path / "board"
    assert main(["leaderboard", str(synthetic_results), str(other), "--out", str(out), "--n-resamples", "0"]) == 0
    data = json.loads((out / "leaderboard.json").read_text())
    assert sorted(r["model"] for r in data["rows"]) == ["synthetic-good", "synthetic-soft", "synthetic-third"]
    soft = next(r for r in data["rows"] if r["model"] == "synthetic-soft")
    assert soft["passed"] == 6  # the newer (stretch 1.0) record
    assert "superseded by the newer" in capsys.readouterr().err


def test_committed_example_leaderboard_is_real_and_self_contained():
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "docs" / "example-leaderboard"
    if not (example / "leaderboard.json").is_file():
        pytest.skip("docs/example-leaderboard has not been generated")
    data = json.loads((example / "leaderboard.json").read_text())
    assert data["schema"] == "insbench.leaderboard" and data["rows"]
    assert not any(r["model"].startswith("synthetic") for r in data["rows"]), "synthetic records in the docs"
    page = (example / "leaderboard.html").read_text()
    assert "<script" not in page.lower() and not re.search(r"""(src|href)\s*=\s*["'](?!data:|#)""", page)
    for link in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", (example / "leaderboard.md").read_text()):
        assert (example / link).is_file(), link
