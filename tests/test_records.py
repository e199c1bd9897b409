"""The one result writer: CaseResult validation, merging by case, comparability (SYNTHETIC records)."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from insbench.results import ResultsStore, record_path
from insbench.results.records import (
    RESULT_SCHEMA_VERSION,
    Comparability,
    comparability_key,
    merged_comparability,
    write_case,
)

from .results.results_synthetic import SYNTHETIC_COMPARABILITY, synthetic_case, synthetic_identity

MODEL = synthetic_identity("synthetic-toy")


def _write(store, case_id, passed=True, **kwargs):
    return write_case(store, synthetic_case(kwargs.pop("model", MODEL), case_id, passed, **kwargs))


def test_a_case_is_written_with_its_comparability_block(tmp_path):
    path = _write(ResultsStore(tmp_path), "a")
    record = json.loads(path.read_text())
    assert path == record_path(tmp_path, "synthetic-toy", "hexane", "spectra")
    assert record["schema_version"] == RESULT_SCHEMA_VERSION == 2
    assert record["cases"]["a"]["comparability"] == SYNTHETIC_COMPARABILITY
    assert record["comparability"] == SYNTHETIC_COMPARABILITY
    assert record["cases"]["a"]["passed"] is True and record["passed"] is True


def test_comparability_has_every_field_the_leaderboard_needs():
    assert list(Comparability.model_fields) == [
        "md_level", "supercell_min_length_a", "cell_mode", "fixture", "scoring_settings_sha256",
        "insbench_version", "multiphonon_orders", "multiphonon_max_order", "self_reference",
    ]
    assert Comparability(**{k: v for k, v in SYNTHETIC_COMPARABILITY.items() if k != "self_reference"}
                         ).self_reference is False


@pytest.mark.parametrize("bad, message", [
    ({"family": "spectrum"}, "Input should be 'spectra', 'pressure', 'md' or 'cost'"),
    ({"model": {"kind": "mace"}}, "model identity must have a non-empty 'name'"),
    ({"plots": ("../elsewhere.png",)}, "must be a file name next to the record"),
    ({"comparability": {**SYNTHETIC_COMPARABILITY, "md_levle": "smoke"}}, "Extra inputs are not permitted"),
    ({"colour": "red"}, "Extra inputs are not permitted"),
])
def test_a_bad_case_result_is_refused_with_the_reason(bad, message):
    from insbench.results.records import CaseResult

    fields = synthetic_case(MODEL, "a").model_dump() | {"comparability": SYNTHETIC_COMPARABILITY} | bad
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        CaseResult(**fields)


def test_comparability_key_is_equal_only_for_like_results(tmp_path):
    store = ResultsStore(tmp_path)
    a = json.loads(_write(store, "a", model=synthetic_identity("synthetic-a")).read_text())
    b = json.loads(_write(store, "a", model=synthetic_identity("synthetic-b")).read_text())
    c = json.loads(_write(store, "a", model=synthetic_identity("synthetic-c"), md_level="standard").read_text())
    assert comparability_key(a) == comparability_key(b)
    assert comparability_key(a) != comparability_key(c)
    assert dict(comparability_key(c))["md_level"] == "standard"
    assert comparability_key(a) == comparability_key(a["cases"]["a"])  # a case works too
    assert hash(comparability_key(a)) == hash(comparability_key(b))


def test_comparability_key_refuses_a_record_without_the_block():
    with pytest.raises(ValueError, match="no 'comparability' block"):
        comparability_key({"schema_version": 1, "cases": {}})


def test_cases_that_disagree_show_every_value_in_the_record_block(tmp_path):
    store = ResultsStore(tmp_path)
    _write(store, "a", cell_mode="relaxed-cell")
    record = json.loads(_write(store, "b", cell_mode="measured-cell").read_text())
    assert record["comparability"]["cell_mode"] == ["measured-cell", "relaxed-cell"]
    assert dict(comparability_key(record))["cell_mode"] == ("measured-cell", "relaxed-cell")
    assert merged_comparability(record["cases"]) == record["comparability"]


def test_records_lists_every_record(tmp_path):
    store = ResultsStore(tmp_path)
    _write(store, "a")
    _write(store, "a", family="md")
    assert [(r["system"], r["family"]) for r in store.records()] == [("hexane", "md"), ("hexane", "spectra")]
