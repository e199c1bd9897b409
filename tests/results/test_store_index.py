"""The results store index: schema versions reported, stale identities left out, and
records.py's replace-on-rerun behaviour (all records here are SYNTHETIC)."""

from __future__ import annotations

import json

import pytest

from insbench.results import RESULT_SCHEMA_VERSION, ResultsStore
from insbench.results.records import write_case
from insbench.results.store_index import load_index, validate_record

from .results_synthetic import synthetic_case, synthetic_identity, write_synthetic

REFERENCE = {"system": "hexane", "version": "1.0.0", "manifest_sha256": "abc"}


def _add(store, model, case_id, session, reference=REFERENCE):
    return write_case(store, synthetic_case(model, case_id, True, reference=reference, session_id=session))


def test_index_reads_every_record(synthetic_results):
    index = load_index(synthetic_results)
    assert index.models() == ["synthetic-good", "synthetic-soft"]
    assert index.issues == []
    record = index.get("synthetic-good", "hexane", "spectra")
    from insbench.reference import load_fixture

    assert record is not None and record.reference_version == load_fixture("hexane").version  # the newest
    assert [p.name for _case, p in record.png_files()] == [
        "spectra-hexane-0GPa-relaxed-cell-vs-measured.png"]


def test_other_schema_version_is_reported_not_mixed(synthetic_results):
    path = synthetic_results / "synthetic-soft" / "hexane" / "spectra.json"
    data = json.loads(path.read_text())
    data["schema_version"] = RESULT_SCHEMA_VERSION + 1
    path.write_text(json.dumps(data))
    index = load_index(synthetic_results)
    assert index.models() == ["synthetic-good"]
    [issue] = index.issues
    assert issue.path == path
    assert f"schema_version {RESULT_SCHEMA_VERSION + 1}" in issue.problem
    assert "docs/results-schema.md" in issue.problem


def test_broken_and_foreign_json_are_reported(synthetic_results):
    (synthetic_results / "synthetic-good" / "hexane" / "broken.json").write_text("{not json")
    (synthetic_results / "synthetic-good" / "hexane" / "other.json").write_text('{"hello": 1}')
    index = load_index(synthetic_results)
    problems = {i.path.name: i.problem for i in index.issues}
    assert "cannot be read as JSON" in problems["broken.json"]
    assert "not an insbench result record" in problems["other.json"]
    assert len(index.records) == 2


def test_validate_record_names_missing_fields():
    record = {"schema": "insbench.result", "schema_version": RESULT_SCHEMA_VERSION, "model": {"name": "m"},
              "system": "x"}
    assert validate_record(record) == (
        f"schema_version {RESULT_SCHEMA_VERSION} record without family, reference, cases, updated, comparability")


def test_stale_identity_of_same_model_is_left_out(tmp_path):
    """A record left from an older model file (other sha256) is reported, the newest identity kept."""
    write_synthetic(tmp_path, "synthetic-good", 1.0, sha="1" * 64)
    old = tmp_path / "synthetic-good" / "hexane" / "spectra.json"
    # the same model name re-run later with a new file on another "system" (copied record)
    newer = json.loads(old.read_text())
    newer["system"] = "hexane-copy"
    newer["model"]["model_file"]["sha256"] = "2" * 64
    newer["updated"] = "2999-01-01T00:00:00Z"
    (tmp_path / "synthetic-good" / "hexane-copy").mkdir()
    (tmp_path / "synthetic-good" / "hexane-copy" / "spectra.json").write_text(json.dumps(newer))
    index = load_index(tmp_path)
    assert [r.system for r in index.records] == ["hexane-copy"]
    [issue] = index.issues
    assert issue.path == old and "another identity" in issue.problem


def test_missing_directory_says_how_to_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="--insbench-results"):
        load_index(tmp_path / "nope")


# -- records.py: a rerun replaces its cases; another model or fixture version starts afresh ------------------------------------------


def test_same_session_merges_cases(tmp_path):
    store = ResultsStore(tmp_path)
    model = synthetic_identity("synthetic-a")
    _add(store, model, "case-1", "session-1")
    path = _add(store, model, "case-2", "session-1")
    assert sorted(json.loads(path.read_text())["cases"]) == ["case-1", "case-2"]


def test_rerun_in_new_session_replaces_only_its_cases(tmp_path):
    store = ResultsStore(tmp_path)
    model = synthetic_identity("synthetic-a")
    _add(store, model, "case-1", "session-1")
    _add(store, model, "case-2", "session-1")
    path = _add(store, model, "case-2", "session-2")
    record = json.loads(path.read_text())
    assert sorted(record["cases"]) == ["case-1", "case-2"]
    assert [record["cases"][c]["session_id"] for c in ("case-1", "case-2")] == ["session-1", "session-2"]
    assert len(load_index(tmp_path).records) == 1


def test_new_model_file_or_reference_version_replaces_the_record(tmp_path):
    store = ResultsStore(tmp_path)
    _add(store, synthetic_identity("synthetic-a", "1" * 64), "case-1", "s")
    path = _add(store, synthetic_identity("synthetic-a", "2" * 64), "case-2", "s")
    assert list(json.loads(path.read_text())["cases"]) == ["case-2"]
    path = _add(store, synthetic_identity("synthetic-a", "2" * 64), "case-3", "s",
                reference={**REFERENCE, "version": "2.0.0"})
    record = json.loads(path.read_text())
    assert list(record["cases"]) == ["case-3"] and record["reference"]["version"] == "2.0.0"
    superseded = sorted(p.name.split(".superseded-")[0] for p in path.parent.glob("spectra.json.superseded-*"))
    assert superseded == ["spectra.json", "spectra.json"]  # moved aside, not lost


def test_a_records_data_file_is_not_reported_but_an_orphan_is(synthetic_results):
    """pressure-modes.json (a list of mode rows) beside pressure.json belongs to that record; the
    same file with no record beside it is still reported, never silently skipped."""
    folder = synthetic_results / "synthetic-good" / "hexane"
    (folder / "spectra-modes.json").write_text('[{"mode": 1}]')
    index = load_index(synthetic_results)
    assert index.issues == [] and len(index.records) == 2
    (folder / "pressure-modes.json").write_text('[{"mode": 1}]')  # no pressure.json here
    [issue] = load_index(synthetic_results).issues
    assert issue.path.name == "pressure-modes.json"
    assert "not an insbench result record" in issue.problem
