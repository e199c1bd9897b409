"""The leaderboard: like-for-like tables, "not run", self-reference, ranking formula, intervals,
cost, templates and the self-contained HTML page (SYNTHETIC records)."""

from __future__ import annotations

import json
import math
import re
import uuid
from importlib import resources

import pytest

from insbench.cli import main
from insbench.reference import load_fixture
from insbench.results import ResultsStore
from insbench.results.cost import force_call_payload, md_payload
from insbench.results.leaderboard import (
    NOT_RUN,
    SELF_REFERENCE,
    build_leaderboard,
    normalised_margin,
    render_html,
    render_markdown,
    write_leaderboard,
)
from insbench.results.records import merged_comparability, record_path, write_case
from insbench.results.store_index import load_index
from insbench.workflows.cost import write_cost_case

from .results_synthetic import synthetic_case, synthetic_identity, write_synthetic

CASE = "hexane-0GPa-relaxed-cell-vs-measured"


@pytest.fixture
def board(synthetic_results):
    return build_leaderboard(load_index(synthetic_results), n_resamples=0)


def _md(results, model: str, level: str, value: float = 0.03, threshold: float = 0.05, **comparability):
    """SYNTHETIC md case of ``model`` at MD level ``level`` through the one writer."""
    judgement = {"metric": "rdf_w1_a", "passed": value <= threshold, "value": value, "threshold": threshold,
                 "direction": "max", "unit": "Angstrom", "margin": threshold - value}
    write_case(ResultsStore(results), synthetic_case(
        synthetic_identity(model), f"hexane-{level}-150K", judgement["passed"], family="md",
        payload={"scores": {"rdf_w1_a": value}, "judgements": {"rdf_w1_a": judgement}},
        **{"md_level": level, "cell_mode": "measured-cell", "multiphonon_orders": None, **comparability}))


def _edit_case(results, model: str, case_id: str = CASE, **block) -> None:
    """SYNTHETIC: change one stored spectra case's comparability block."""
    path = record_path(results, model, "hexane", "spectra")
    record = json.loads(path.read_text())
    record["cases"][case_id]["comparability"].update(block)
    record["comparability"] = merged_comparability(record["cases"])
    path.write_text(json.dumps(record))


def _row(table, model):
    return next(r for r in table.rows if r.model == model)


def test_normalised_margin_formula():
    assert normalised_margin(20.0, 40.0, "max") == pytest.approx(0.5)
    assert normalised_margin(50.0, 40.0, "max") == pytest.approx(-0.25)
    assert normalised_margin(200.0, 40.0, "max") == -1.0  # clipped
    assert normalised_margin(0.9, 0.6, "min") == pytest.approx(0.5)
    assert normalised_margin(0.0, 0.6, "min") == -1.0
    assert normalised_margin(None, 40.0, "max") == -1.0
    assert normalised_margin(float("nan"), 0.6, "min") == -1.0


def test_one_table_when_everything_was_made_the_same_way(board):
    [table] = board.tables
    assert {r.model for r in table.rows} == {"synthetic-good", "synthetic-soft"}
    assert len(table.columns) == 6  # 1 case x 2 windows x 3 metrics
    assert {(c.window, c.metric) for c in table.columns} == {
        (w, m) for w in ("lattice_lam", "fingerprint") for m in ("w1_cm1", "cosine", "peak_mae_cm1")}
    w1 = next(c for c in table.columns if c.window == "fingerprint" and c.metric == "w1_cm1")
    from insbench.metrics import load_thresholds

    declared = load_thresholds().get("hexane", "fingerprint", "w1_cm1")
    assert (w1.unit, w1.direction, w1.threshold, w1.reference_kind) == ("cm-1", "max", declared.threshold,
                                                                         "measured")
    assert w1.metric_label == f"W1 (cm⁻¹) ≤ {declared.threshold:g}"
    version = load_fixture("hexane").version  # the installed default the SYNTHETIC records were made with
    assert table.key.md_level is None and table.key.units == (
        ("hexane", "spectra", str(version), table.key.units[0][3]),)
    assert board.notes == []


def test_rank_is_pass_fraction_then_coverage_then_mean_margin(synthetic_results):
    write_synthetic(synthetic_results, "synthetic-awful", 0.6)
    [table] = build_leaderboard(load_index(synthetic_results), n_resamples=0).tables
    for row in table.rows:
        counted = [row.cells[c.key] for c in table.columns if row.cells[c.key].counted]
        assert row.n_run == len(counted) and row.n_passed == sum(c.passed for c in counted)
        assert row.composite == pytest.approx(sum(c.normalised_margin for c in counted) / len(counted))
    order = [(-r.pass_fraction, -r.coverage, -r.composite) for r in table.rows]
    assert order == sorted(order)
    assert table.rows[-1].model == "synthetic-awful" and table.rows[-1].n_passed < table.rows[-1].n_run
    assert [r.rank for r in table.rows] == sorted(r.rank for r in table.rows)


def test_a_column_not_run_shows_not_run_and_is_not_a_failure(synthetic_results):
    """Issue 12: a missing value used to count as failed (m = -1) for every model that lacked it."""
    write_synthetic(synthetic_results, "synthetic-both", 1.0, cell_modes=("relaxed-cell", "measured-cell"))
    [table] = build_leaderboard(load_index(synthetic_results), n_resamples=0).tables
    assert len(table.columns) == 12
    good, both = _row(table, "synthetic-good"), _row(table, "synthetic-both")
    missing = [good.cells[c.key] for c in table.columns if c.case_id.endswith("measured-cell-vs-measured")]
    assert len(missing) == 6 and all(c.status == NOT_RUN and not c.run and not c.counted for c in missing)
    assert (good.n_run, good.n_columns, good.coverage) == (6, 12, 0.5)
    # the same six results score the same P and S as the identical model that also ran the other cell mode
    same = [both.cells[c.key] for c in table.columns if c.case_id == CASE]
    assert good.n_passed == sum(c.passed for c in same)
    assert good.pass_fraction == good.n_passed / 6
    ran = [c.key for c in table.columns if c.case_id == CASE]
    assert good.composite == pytest.approx(sum(good.cells[k].normalised_margin for k in ran) / 6)
    # equal P: more coverage ranks first
    if good.pass_fraction == both.pass_fraction:
        assert both.rank < good.rank
    md = render_markdown(build_leaderboard(load_index(synthetic_results), n_resamples=0))
    assert "— not run" in md and f"| {good.n_passed}/6 |" in md and "| 6/12 |" in md


def test_results_at_different_md_levels_are_never_ranked_together(synthetic_results):
    """Issue 12: smoke-level and standard-level results went into one ranking."""
    _md(synthetic_results, "synthetic-good", "smoke", value=0.03, threshold=0.08)
    _md(synthetic_results, "synthetic-soft", "standard", value=0.09, threshold=0.05)
    board = build_leaderboard(load_index(synthetic_results), n_resamples=0)
    assert len(board.tables) == 3
    by_level = {t.key.md_level: t for t in board.tables}
    assert set(by_level) == {None, "smoke", "standard"}
    assert {r.model for r in by_level[None].rows} == {"synthetic-good", "synthetic-soft"}  # spectra: together
    assert [r.model for r in by_level["smoke"].rows] == ["synthetic-good"]
    assert [r.model for r in by_level["standard"].rows] == ["synthetic-soft"]
    assert by_level["smoke"].rows[0].rank == by_level["standard"].rows[0].rank == 1
    assert all(len(t.columns) == 1 for t in (by_level["smoke"], by_level["standard"]))
    assert "3 tables: results made with different settings" in board.notes[0]
    page = render_html(board)
    assert page.count('<section class="table"') == 3
    assert "MD level smoke" in page and "MD level standard" in page
    markdown = render_markdown(board)
    assert markdown.count("Comparability key (every result in this table)") == 3


@pytest.mark.parametrize("change", [
    {"insbench_version": "0.0.9"},
    {"scoring_settings_sha256": "f" * 64},
    {"fixture": {"system": "hexane", "version": "0.9.0"}},
    {"supercell_min_length_a": 12.0},
    {"multiphonon_orders": [1]},
])
def test_results_made_another_way_go_to_their_own_table(synthetic_results, change):
    _edit_case(synthetic_results, "synthetic-soft", **change)
    board = build_leaderboard(load_index(synthetic_results), n_resamples=0)
    assert len(board.tables) == 2
    assert sorted(r.model for t in board.tables for r in t.rows) == ["synthetic-good", "synthetic-soft"]
    assert all(len(t.rows) == 1 and t.rows[0].rank == 1 for t in board.tables)
    keys = {t.rows[0].model: t.key.to_dict() for t in board.tables}
    assert keys["synthetic-good"] != keys["synthetic-soft"]


def test_a_model_with_one_system_made_two_ways_is_split_not_mixed(synthetic_results):
    write_synthetic(synthetic_results, "synthetic-both", 1.0, cell_modes=("relaxed-cell", "measured-cell"))
    _edit_case(synthetic_results, "synthetic-both", insbench_version="0.0.9")
    board = build_leaderboard(load_index(synthetic_results), n_resamples=0)
    tables = [t for t in board.tables if any(r.model == "synthetic-both" for r in t.rows)]
    assert len(tables) == 2
    for table in tables:
        row = _row(table, "synthetic-both")
        assert row.n_run == 6  # one cell mode in each
    old = next(t for t in tables if t.key.insbench_version == "0.0.9")
    assert [c.case_id for c in old.columns] == [CASE] * 6 and len(old.rows) == 1


def test_self_reference_scores_are_shown_marked_and_not_ranked(synthetic_results):
    """Issue 8 item 4: a score against a self-made reference is shown but excluded from ranking."""
    write_synthetic(synthetic_results, "synthetic-both", 1.0, cell_modes=("relaxed-cell", "measured-cell"))
    _edit_case(synthetic_results, "synthetic-both", self_reference=True)
    _edit_case(synthetic_results, "synthetic-good", self_reference=True)
    board = build_leaderboard(load_index(synthetic_results), n_resamples=0)
    [table] = board.tables  # self-reference does not change how a result was made: same table
    both, good = _row(table, "synthetic-both"), _row(table, "synthetic-good")
    marked = [both.cells[c.key] for c in table.columns if c.case_id == CASE]
    assert all(c.status == SELF_REFERENCE and c.run and not c.counted and c.value is not None for c in marked)
    assert (both.n_run, both.n_self_reference) == (6, 6)
    assert good.rank is None and good.pass_fraction is None and good.n_self_reference == 6
    assert table.rows[-1] is good  # unranked rows come last
    page = render_html(board)
    assert page.count('<span class="tag">self-reference</span>') == 12
    assert 'class="score self-reference"' in page
    assert "(self-reference)" in render_markdown(board)
    data = board.to_dict()["tables"][0]
    good_json = next(r for r in data["rows"] if r["model"] == "synthetic-good")
    assert good_json["rank"] is None and {c["status"] for c in good_json["cells"]} == {SELF_REFERENCE, NOT_RUN}


def test_equal_models_share_a_rank(synthetic_results):
    write_synthetic(synthetic_results, "synthetic-good-twin", 1.0)
    [table] = build_leaderboard(load_index(synthetic_results), n_resamples=0).tables
    ranks = {r.model: r.rank for r in table.rows}
    assert ranks["synthetic-good"] == ranks["synthetic-good-twin"] == 1


def test_intervals_are_shown(synthetic_results):
    board = build_leaderboard(load_index(synthetic_results), n_resamples=8, seed=1)
    [table] = board.tables
    cell = table.rows[1].cells[table.columns[0].key]
    assert cell.interval is not None and cell.interval[0] <= cell.interval[1]
    assert re.search(r"\[\d[\d.e-]*, \d[\d.e-]*\]", render_markdown(board))


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
    assert board.models["synthetic-soft"].cost["microseconds_per_atom"] == pytest.approx(1000.0)  # 0.02 s / 20
    assert board.models["synthetic-soft"].cost["md_steps_per_second"] == pytest.approx(250.0)  # 5 / 0.02 s
    [table] = board.tables
    assert len(table.columns) == 6  # cost is not a judged column
    soft = _row(table, "synthetic-soft")
    assert f"| synthetic-soft | {soft.n_passed}/6 | {soft.pass_fraction:.2f} | 6/6 |" in render_markdown(board)
    assert "| 1000 | 250 |" in render_markdown(board)


def test_markdown_lists_units_thresholds_reference_kind_and_plots(board, tmp_path):
    paths = write_leaderboard(board, tmp_path / "out")
    text = paths["markdown"].read_text()
    assert "vs **measured**" in text and "cosine ≥ " in text and "peak MAE (cm⁻¹) ≤ " in text
    assert "✅" in text
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(links) == 2 and all((tmp_path / "out" / link).is_file() for link in links)
    data = json.loads(paths["json"].read_text())
    assert data["schema_version"] == 2 and len(data["tables"][0]["columns"]) == 6
    assert {m["model"] for m in data["models"]} == {"synthetic-good", "synthetic-soft"}
    # every table row has the same number of cells as its header
    table_lines = [l for l in text.splitlines() if l.startswith("| synthetic-")]
    header = next(l for l in text.splitlines() if l.startswith("| model |"))
    assert all(l.count(" |") == header.count(" |") for l in table_lines if l.count(" |") > 10)


def test_html_is_self_contained(board):
    page = render_html(board)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:|#)""", page), "external reference in the page"
    assert "<link" not in page.lower() and "@import" not in page
    images = re.findall(r'<img [^>]*src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 2 and all(len(i) > 1000 for i in images)
    assert "vs measured" in page and "W1 (cm⁻¹) ≤ " in page
    assert 'class="score pass"' in page and "td.score.not-run" in page  # the CSS is inlined


def test_names_are_escaped_in_html_and_markdown(tmp_path):
    """jinja2 autoescape: a model name cannot inject markup; a '|' cannot break a Markdown table."""
    results = tmp_path / "results"
    name = '<script>alert("x")</script>|evil'
    write_synthetic(results, name, 1.0)
    board = build_leaderboard(load_index(results), n_resamples=0)
    page = render_html(board)
    assert "<script" not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;|evil" in page
    assert "\\|evil" in render_markdown(board)


def test_left_out_records_are_listed(synthetic_results):
    path = synthetic_results / "synthetic-soft" / "hexane" / "spectra.json"
    data = json.loads(path.read_text())
    data["schema_version"] = 99
    path.write_text(json.dumps(data))
    board = build_leaderboard(load_index(synthetic_results), n_resamples=0)
    assert [r.model for r in board.tables[0].rows] == ["synthetic-good"]
    assert "schema_version 99" in render_markdown(board) and "Records left out" in render_html(board)


def test_cli_leaderboard(synthetic_results, tmp_path, capsys):
    _md(synthetic_results, "synthetic-good", "smoke")
    _md(synthetic_results, "synthetic-soft", "standard")
    out = tmp_path / "board"
    assert main(["leaderboard", str(synthetic_results), "--out", str(out), "--n-resamples", "0"]) == 0
    assert {p.name for p in out.iterdir()} >= {"leaderboard.md", "leaderboard.html", "leaderboard.json"}
    printed = capsys.readouterr().out
    assert printed.count("table ") >= 3 and "MD level smoke" in printed and "MD level standard" in printed
    assert re.search(r"1  synthetic-good +passed \d+/6 run \(P [\d.]+\)  coverage 6/6", printed)
    assert main(["leaderboard", str(tmp_path / "nothing"), "--out", str(out)]) == 2


def test_composite_does_not_depend_on_other_models(synthetic_results, board):
    """Unlike a sum of ranks, adding a terrible model leaves the others' S and P unchanged."""
    before = {r.model: (r.composite, r.n_passed) for r in board.tables[0].rows}
    write_synthetic(synthetic_results, "synthetic-awful", 0.6)
    [after] = build_leaderboard(load_index(synthetic_results), n_resamples=0).tables
    assert {r.model: (r.composite, r.n_passed) for r in after.rows if r.model in before} == before
    assert after.rows[-1].model == "synthetic-awful"
    assert all(-1.0 <= r.composite <= 1.0 and math.isfinite(r.composite) for r in after.rows)


def test_case_level_judgements_of_other_families_become_columns(synthetic_results):
    """A family without windows (MD) judged per case gets columns; its PNGs show."""
    png = synthetic_results / "synthetic-soft" / "hexane" / "md-synthetic.png"
    png.parent.mkdir(parents=True, exist_ok=True)
    png.write_bytes((synthetic_results / "synthetic-soft" / "hexane" /
                     f"spectra-{CASE}.png").read_bytes())
    judgement = {"metric": "rdf_w1_a", "passed": True, "value": 0.02, "threshold": 0.05, "direction": "max",
                 "unit": "Angstrom", "margin": 0.03}
    write_case(ResultsStore(synthetic_results), synthetic_case(
        synthetic_identity("synthetic-soft"), "hexane-smoke-150K", True, family="md", plots=(png.name,),
        payload={"scores": {"rdf_w1_a": 0.02}, "judgements": {"rdf_w1_a": judgement}}, md_level="smoke"))
    board = build_leaderboard(load_index(synthetic_results), n_resamples=0)
    md_table = next(t for t in board.tables if t.key.md_level == "smoke")
    [md] = md_table.columns
    assert md.window_label == "md" and md.threshold == 0.05 and md.reference_kind == "-"
    assert "no reference (checks)" in render_html(board) and "vs measured" in render_html(board)
    cell = _row(md_table, "synthetic-soft").cells[md.key]
    assert cell.passed and cell.value == 0.02
    assert ("md", "hexane-smoke-150K", png.resolve()) in board.models["synthetic-soft"].plots


def test_several_results_directories(synthetic_results, tmp_path, capsys):
    other = tmp_path / "other"
    write_synthetic(other, "synthetic-third", 0.95)
    write_synthetic(other, "synthetic-soft", 1.0)  # newer run of the same model: supersedes
    out = tmp_path / "board"
    assert main(["leaderboard", str(synthetic_results), str(other), "--out", str(out), "--n-resamples", "0"]) == 0
    data = json.loads((out / "leaderboard.json").read_text())
    rows = data["tables"][0]["rows"]
    assert sorted(r["model"] for r in rows) == ["synthetic-good", "synthetic-soft", "synthetic-third"]
    soft, good = (next(r for r in rows if r["model"] == m) for m in ("synthetic-soft", "synthetic-good"))
    assert [c["value"] for c in soft["cells"]] == [c["value"] for c in good["cells"]]  # the newer, stretch 1.0
    assert "superseded by the newer" in capsys.readouterr().err


def test_templates_are_package_files():
    """The templates load through the package (so they ship in the wheel; .ci checks a wheel build)."""
    templates = resources.files("insbench.results").joinpath("templates")
    for name in ("leaderboard.html.j2", "leaderboard.md.j2", "leaderboard.css"):
        assert templates.joinpath(name).is_file(), name


def test_committed_example_leaderboard_is_real_and_self_contained():
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "docs" / "example-leaderboard"
    data = json.loads((example / "leaderboard.json").read_text())
    assert data["schema"] == "insbench.leaderboard" and data["schema_version"] == 2 and data["tables"]
    models = [r["model"] for t in data["tables"] for r in t["rows"]]
    assert models and not any(m.startswith("synthetic") for m in models), "synthetic records in the docs"
    page = (example / "leaderboard.html").read_text()
    assert "<script" not in page.lower() and not re.search(r"""(src|href)\s*=\s*["'](?!data:|#)""", page)
    for link in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", (example / "leaderboard.md").read_text()):
        assert (example / link).is_file(), link


def test_a_record_whose_settings_cannot_be_reread_gets_no_interval_and_says_why(synthetic_results):
    path = record_path(synthetic_results, "synthetic-soft", "hexane", "spectra")
    record = json.loads(path.read_text())
    for window in record["cases"][CASE]["windows"].values():
        window["scores"]["settings"]["no_such_setting"] = 1.0  # as if written by another insbench
    path.write_text(json.dumps(record))
    board = build_leaderboard(load_index(synthetic_results), n_resamples=4)
    problems = board.models["synthetic-soft"].problems
    assert any(p.startswith(f"no interval for {CASE}: its stored scoring settings cannot be re-used") for p in problems)
    soft = _row(board.tables[0], "synthetic-soft")
    assert all(cell.interval is None and cell.value is not None for cell in soft.cells.values())
