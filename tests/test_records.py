"""Result records: merged within a session, replaced across sessions and model versions."""

from __future__ import annotations

import json

from insbench.results import ResultsStore, record_path

MODEL = {"name": "toy-model", "kind": "mace", "sha256": "abc"}
REFERENCE = {"system": "hexane", "version": "1.0.0"}


def _add(store, case, passed, *, model=MODEL, session="s1"):
    return store.add_case(model=model, system="hexane", family="spectra", reference=REFERENCE,
                          case_id=case, payload={"passed": passed}, machine={}, versions={},
                          session_id=session)


def test_cases_of_one_session_merge(tmp_path):
    store = ResultsStore(tmp_path)
    _add(store, "a", True)
    path = _add(store, "b", False)
    record = json.loads(path.read_text())
    assert set(record["cases"]) == {"a", "b"} and record["passed"] is False
    assert record["schema_version"] == 1 and path == record_path(tmp_path, "toy-model", "hexane", "spectra")


def test_a_new_session_or_model_version_replaces(tmp_path):
    store = ResultsStore(tmp_path)
    _add(store, "a", False)
    record = json.loads(_add(store, "b", True, session="s2").read_text())
    assert set(record["cases"]) == {"b"}
    changed = {**MODEL, "sha256": "def"}
    record = json.loads(_add(store, "c", True, model=changed, session="s2").read_text())
    assert set(record["cases"]) == {"c"} and record["model"]["sha256"] == "def"


def test_records_lists_every_record(tmp_path):
    store = ResultsStore(tmp_path)
    _add(store, "a", True)
    assert [r["system"] for r in store.records()] == ["hexane"]
