"""Submission bundles: pack, verify, tamper detection, re-run comparison (SYNTHETIC records)."""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from insbench.cli import main
from insbench.results.submit import MANIFEST, BundleError, build_bundle, verify_bundle


@pytest.fixture
def bundle(synthetic_results, tmp_path):
    (synthetic_results / "synthetic-soft" / "run.log").write_text("SYNTHETIC log line\n")
    return build_bundle(synthetic_results, "synthetic-soft", tmp_path / "bundle.tar.gz").path


def _members(path):
    with tarfile.open(path, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}


def _rewrite(path, out, change):
    members = _members(path)
    change(members)
    with tarfile.open(out, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out


def test_bundle_contents(bundle):
    members = _members(bundle)
    manifest = json.loads(members[MANIFEST])
    assert manifest["schema"] == "insbench.bundle" and manifest["model"] == "synthetic-soft"
    assert set(manifest["files"]) == set(members) - {MANIFEST}
    case = "results/synthetic-soft/hexane/spectra-hexane-0GPa-relaxed-cell-vs-measured"
    assert set(members) == {MANIFEST, "results/synthetic-soft/hexane/spectra.json", f"{case}.png",
                            f"{case}-simulated.nc", f"{case}-reference.nc",
                            "identity.json", "environment.json", "reference.json", "settings.json",
                            "logs/run.log"}
    environment = json.loads(members["environment.json"])
    assert "numpy" in {k.lower() for k in environment["distributions"]}
    reference = json.loads(members["reference.json"])
    from insbench.reference import load_fixture

    assert reference["hexane"]["version"] == load_fixture("hexane").version
    assert len(reference["hexane"]["checksums"]["Hexane.dat"]) == 64
    assert json.loads(members["identity.json"])["model_file"]["sha256"] == "0" * 64
    settings = json.loads(members["settings.json"])
    assert settings["hexane/spectra"]["hexane-0GPa-relaxed-cell-vs-measured"]["scoring"]["fingerprint"][
        "max_distance_cm1"] == 50.0


def test_verify_intact_bundle(bundle, capsys):
    report = verify_bundle(bundle)
    assert report.ok, report.problems
    assert main(["verify", str(bundle)]) == 0
    assert "verified" in capsys.readouterr().out


def test_tampered_member_is_named_and_fails(bundle, tmp_path, capsys):
    def change(members):
        name = "results/synthetic-soft/hexane/spectra.json"
        record = json.loads(members[name])
        record["cases"]["hexane-0GPa-relaxed-cell-vs-measured"]["windows"]["fingerprint"]["scores"]["w1_cm1"] = 1.0
        members[name] = json.dumps(record).encode()

    tampered = _rewrite(bundle, tmp_path / "tampered.tar.gz", change)
    assert main(["verify", str(tampered)]) == 1
    err = capsys.readouterr().err
    assert "member results/synthetic-soft/hexane/spectra.json: sha256" in err and "tampered" in err


def test_added_and_removed_members_are_named(bundle, tmp_path):
    added = _rewrite(bundle, tmp_path / "added.tar.gz", lambda m: m.update({"extra.txt": b"x"}))
    assert any("member extra.txt: not listed" in p for p in verify_bundle(added).problems)
    removed = _rewrite(bundle, tmp_path / "removed.tar.gz", lambda m: m.pop("logs/run.log"))
    assert any("member logs/run.log: listed" in p and "missing" in p for p in verify_bundle(removed).problems)


def test_not_a_bundle(tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tarball")
    assert not verify_bundle(junk).ok


def test_unknown_model_is_an_error(synthetic_results, tmp_path):
    with pytest.raises(BundleError, match="models there: synthetic-good, synthetic-soft"):
        build_bundle(synthetic_results, "nope", tmp_path / "b.tar.gz")


def _stored_scores(model, record, case_id):
    return {w: {k: p["scores"][k] for k in ("w1_cm1", "cosine", "peak_mae_cm1")}
            for w, p in record["cases"][case_id]["windows"].items()}


def test_rerun_sample_agreeing_scores(bundle):
    calls = []

    def runner(model, record, case_id):
        calls.append((model, case_id))
        return _stored_scores(model, record, case_id)

    report = verify_bundle(bundle, mlip="synthetic-soft", rerun_sample=3, runner=runner)
    assert report.ok, report.problems
    assert calls == [("synthetic-soft", "hexane-0GPa-relaxed-cell-vs-measured")]
    assert any("agree within tolerance" in line for line in report.lines)


def test_rerun_sample_disagreeing_scores(bundle):
    def runner(model, record, case_id):
        scores = _stored_scores(model, record, case_id)
        scores["fingerprint"]["w1_cm1"] += 10.0
        return scores

    report = verify_bundle(bundle, mlip="synthetic-soft", rerun_sample=1, runner=runner)
    record = json.loads(_members(bundle)["results/synthetic-soft/hexane/spectra.json"])
    [case] = record["cases"].values()
    submitted = case["windows"]["fingerprint"]["scores"]["w1_cm1"]
    assert report.problems == [
        f"re-run of hexane-0GPa-relaxed-cell-vs-measured: fingerprint w1_cm1: submitted {submitted:.4g}, "
        f"re-run {submitted + 10.0:.4g} (tolerance 1 + 0.05 x |submitted|)"]


def test_rerun_errors_are_reported(bundle):
    def runner(model, record, case_id):
        raise RuntimeError("model file not found")

    report = verify_bundle(bundle, mlip="synthetic-soft", rerun_sample=1, runner=runner)
    assert any("RuntimeError: model file not found" in p for p in report.problems)


def test_cli_submit_and_rerun_needs_model(synthetic_results, tmp_path, capsys):
    out = tmp_path / "cli.tar.gz"
    assert main(["submit", str(synthetic_results), "--model", "synthetic-good", "--out", str(out)]) == 0
    assert "sha256" in capsys.readouterr().out
    assert main(["verify", str(out), "--rerun-sample", "1"]) == 2


@pytest.mark.parametrize("changes", [{}, {"q_spacing_inv_a": 0.5, "bin_width_cm1": 2.0, "min_length": 10.0}])
def test_rerun_settings_round_trip(changes):
    """settings_from_record rebuilds exactly the settings a spectral case records."""
    from dataclasses import replace

    from insbench.physics.phonons import PhononSettings
    from insbench.physics.relax import RelaxSettings
    from insbench.workflows.pipeline import PipelineSettings, ins_settings_for
    from insbench.reference import load_fixture
    from insbench.workflows.rerun import settings_from_record

    fixture = load_fixture("hexane")
    original = PipelineSettings()
    if changes:
        original = replace(original, q_spacing_inv_a=changes["q_spacing_inv_a"],
                           bin_width_cm1=changes["bin_width_cm1"],
                           phonons=PhononSettings(supercell_min_length_a=changes["min_length"]))
    relax = RelaxSettings(**{**original.relax.to_dict(), "cell_mode": "measured-cell"})
    recorded = json.loads(json.dumps({  # as run_spectral_case stores them, through JSON
        "relax": relax.to_dict(), "phonons": original.phonons.to_dict(),
        "ins": ins_settings_for(fixture.conditions, original).to_dict()}))
    rebuilt = settings_from_record(recorded)
    assert rebuilt.relax == relax and rebuilt.phonons == original.phonons
    assert ins_settings_for(fixture.conditions, rebuilt) == ins_settings_for(fixture.conditions, original)


def test_a_rerun_without_a_runner_is_refused(bundle):
    with pytest.raises(ValueError, match="a re-run needs a runner"):
        verify_bundle(bundle, mlip="synthetic-soft", rerun_sample=1)


def test_real_rerun_refuses_another_model_file(bundle):
    from insbench.workflows.rerun import pipeline_runner

    report = verify_bundle(bundle, mlip="mace-tiny", rerun_sample=1, runner=pipeline_runner())
    [problem] = [p for p in report.problems if p.startswith("re-run of")]
    assert "ValueError: mace-tiny: model file sha256" in problem
    assert problem.endswith(f"differs from the submitted {'0' * 12}; re-run with the submitted model file")


def test_real_rerun_path_recomputes_a_mace_tiny_case_and_agrees(tmp_path, capsys):
    """insbench verify --mlip mace-tiny --rerun-sample 1 on a real (small-supercell) mace-tiny bundle:
    the case is recomputed from scratch in an empty cache and its scores agree."""
    from dataclasses import replace

    from insbench.metrics import load_thresholds
    from insbench.models import resolve_mlip
    from insbench.physics.phonons import PhononSettings
    from insbench.reference import load_fixture
    from insbench.results import ResultsStore
    from insbench.workflows.cache import Cache
    from insbench.workflows.evaluate import evaluate_spectral_run, write_spectral_result
    from insbench.workflows.pipeline import ModelHandle, PipelineSettings, SpectralCase, run_spectral_case

    fixture = load_fixture("hexane")
    settings = replace(PipelineSettings(), phonons=PhononSettings(supercell_min_length_a=4.0))
    run = run_spectral_case(ModelHandle(resolve_mlip("mace-tiny")), fixture,
                            SpectralCase("hexane", 0.0, "measured-cell"), Cache(tmp_path / "cache-run"), settings)
    thresholds = load_thresholds()
    evaluation = evaluate_spectral_run(run, fixture, thresholds, "measured")
    write_spectral_result(ResultsStore(tmp_path / "results"), run, evaluation, fixture, session_id="s",
                          thresholds=thresholds)
    out = build_bundle(tmp_path / "results", "mace-tiny", tmp_path / "real.tar.gz").path
    capsys.readouterr()
    assert main(["verify", str(out), "--mlip", "mace-tiny", "--rerun-sample", "1",
                 "--cache-dir", str(tmp_path / "cache-verify")]) == 0
    assert "re-run of hexane-0GPa-measured-cell-vs-measured with mace-tiny: scores agree within tolerance" \
        in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "cache-verify").iterdir() if not p.name.startswith(".")) == [
        "phonons", "relax", "spectrum"]
