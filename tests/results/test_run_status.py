"""Run status of submission bundles: an incomplete or failed run says so, and verify reports it
(SYNTHETIC records)."""

from __future__ import annotations

import json

import pytest

from insbench.cli import main
from insbench.results import ResultsStore
from insbench.results.gate_file import declared_metrics
from insbench.results.records import write_case
from insbench.results.run_status import expected_records, run_status
from insbench.results.store_index import load_index
from insbench.results.submit import MANIFEST, build_bundle, verify_bundle

from .results_synthetic import synthetic_case, synthetic_identity
from .test_submit import _members, _rewrite


def _fill_suite(results, model: str, *, md_payload: dict | None = None, skip: tuple = ()) -> None:
    """SYNTHETIC passing records for every (family, system) the suite judges, except ``skip``."""
    store = ResultsStore(results)
    have = {(r.family, r.system) for r in load_index(results).records} if results.is_dir() else set()
    for family, system in expected_records(declared_metrics()):
        if (family, system) in have or (family, system) in skip:
            continue
        payload = dict(md_payload or {"steps": 10, "planned_steps": 10, "blew_up_at_step": None}) \
            if family == "md" else {}
        write_case(store, synthetic_case(
            synthetic_identity(model), f"{system}-{family}-case", True, family=family, system=system,
            payload=payload, md_level="smoke" if family == "md" else None,
            fixture={"system": system, "version": "1.0.0"}))


def test_partial_run_bundle_says_incomplete_and_verify_reports_it(synthetic_results, tmp_path, capsys):
    """Issue 12: a bundle of a -k subset looked like a full submission."""
    out = tmp_path / "soft.tar.gz"
    assert main(["submit", str(synthetic_results), "--model", "synthetic-soft", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "run status: INCOMPLETE" in err and "missing: md/hexane: no result" in err
    assert "this bundle is from an INCOMPLETE run and says so in MANIFEST.json" in err
    manifest = json.loads(_members(out)[MANIFEST])
    assert manifest["complete"] is False and manifest["run_status"]["passed"] is False
    assert "spectra/diiodothiophene" in " ".join(manifest["run_status"]["missing"])

    assert main(["verify", str(out)]) == 0  # integrity is fine ...
    printed = capsys.readouterr().out
    assert "run status: INCOMPLETE" in printed and "missing: pressure/diiodothiophene" in printed
    assert "verified (integrity OK; the run was INCOMPLETE: see run status above)" in printed
    assert main(["verify", str(out), "--require-complete"]) == 1  # ... but a CI can refuse it
    assert "--require-complete: the bundle is from an incomplete run" in capsys.readouterr().err


def test_complete_passing_run_says_so(synthetic_results, tmp_path):
    _fill_suite(synthetic_results, "synthetic-good")
    summary = build_bundle(synthetic_results, "synthetic-good", tmp_path / "good.tar.gz")
    assert summary.status.complete and summary.status.passed, summary.status.lines()
    report = verify_bundle(summary.path)
    assert report.ok and report.status.passed
    assert report.lines[-1].startswith("run status: complete and passed")
    assert main(["verify", str(summary.path), "--require-complete"]) == 0


@pytest.mark.parametrize("md, expected", [
    ({"steps": 40, "planned_steps": 250, "blew_up_at_step": 40, "reason": "two atoms closer than 0.5 A"},
     ("failed", "MD blew up at step 40: two atoms closer than 0.5 A")),
    ({"steps": 120, "planned_steps": 250, "blew_up_at_step": None, "reason": "interrupted"},
     ("incomplete", "MD stopped at step 120 of 250: interrupted")),
])
def test_md_runs_that_did_not_finish_are_named(synthetic_results, md, expected):
    _fill_suite(synthetic_results, "synthetic-good", md_payload=md)
    status = run_status(load_index(synthetic_results).for_model("synthetic-good"))
    kind, text = expected
    listed = status.failed_cases if kind == "failed" else status.incomplete_cases
    assert any(text in line for line in listed), status.lines()
    assert not status.passed and status.complete == (kind == "failed")


def test_failed_cases_are_listed(synthetic_results):
    _fill_suite(synthetic_results, "synthetic-good")
    write_case(ResultsStore(synthetic_results), synthetic_case(
        synthetic_identity("synthetic-good"), "hexane-failing", False, family="md", md_level="smoke",
        payload={"steps": 10, "planned_steps": 10, "blew_up_at_step": None}))
    status = run_status(load_index(synthetic_results).for_model("synthetic-good"))
    assert status.complete and not status.passed
    assert status.failed_cases == ("md/hexane/hexane-failing: did not pass",)
    assert status.lines()[0] == "run status: FAILED (1 cases did not pass)"


def test_edited_run_status_claim_is_caught(synthetic_results, tmp_path):
    bundle = build_bundle(synthetic_results, "synthetic-soft", tmp_path / "b.tar.gz").path

    def claim_complete(members):
        manifest = json.loads(members[MANIFEST])
        manifest["complete"] = True
        manifest["run_status"].update(complete=True, passed=True, missing=[])
        members[MANIFEST] = json.dumps(manifest).encode()

    report = verify_bundle(_rewrite(bundle, tmp_path / "edited.tar.gz", claim_complete))
    assert not report.ok
    assert any("states complete=True, passed=True, but its records give complete=False" in p
               for p in report.problems)


def test_bundle_without_a_run_status_is_still_judged(synthetic_results, tmp_path):
    bundle = build_bundle(synthetic_results, "synthetic-soft", tmp_path / "b.tar.gz").path

    def older(members):
        manifest = json.loads(members[MANIFEST])
        del manifest["complete"], manifest["run_status"]
        members[MANIFEST] = json.dumps(manifest).encode()

    report = verify_bundle(_rewrite(bundle, tmp_path / "old.tar.gz", older))
    assert report.ok and not report.status.complete
    assert f"{MANIFEST} states no run status (an older bundle): the status is from its records" in report.lines


def test_records_differing_only_in_runtime_provenance_verify(synthetic_results, tmp_path):
    """Real runs: the md record and the spectra record of one model carry different "runtime"
    (device, model loaded or all stages cached). That is not another model identity."""
    path = synthetic_results / "synthetic-soft" / "hexane" / "spectra.json"
    record = json.loads(path.read_text())
    record["model"]["runtime"] = {"device": "cpu", "torch_threads": 1, "model_loaded": True}
    path.write_text(json.dumps(record))
    _md_case = synthetic_case(synthetic_identity("synthetic-soft"), "hexane-smoke", True, family="md",
                              md_level="smoke", payload={"steps": 1, "planned_steps": 1, "blew_up_at_step": None})
    write_case(ResultsStore(synthetic_results), _md_case)
    report = verify_bundle(build_bundle(synthetic_results, "synthetic-soft", tmp_path / "b.tar.gz").path)
    assert report.ok, report.problems
