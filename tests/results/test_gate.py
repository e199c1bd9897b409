"""Release gating: the gate file, `insbench gate` (CLI) and `pytest --insbench-gate` (pytester).
Results are SYNTHETIC (see results_synthetic.py)."""

from __future__ import annotations

import importlib.metadata
import textwrap
from xml.etree import ElementTree as ET

import pytest

from insbench.cli import main
from insbench.results.gate import GateFileError, evaluate_gate, load_gate, parse_gate
from insbench.results.store_index import load_index

pytest_plugins = ["pytester"]

CASE = "hexane-0GPa-relaxed-cell-vs-measured"

BASE = """
schema_version = 1
[[require]]
system = "hexane"
windows = ["{window}"]
metrics = ["w1_cm1"]
"""


def _score(results, model: str, window: str, metric: str = "w1_cm1") -> float:
    """The stored score of one SYNTHETIC model (the tests derive their thresholds from it)."""
    return load_index(results).get(model, "hexane", "spectra").cases[CASE]["windows"][window]["scores"][metric]


def _passing(results) -> str:
    """Lattice W1 with a threshold both SYNTHETIC models meet."""
    worst = max(_score(results, m, "lattice_lam") for m in ("synthetic-good", "synthetic-soft"))
    return BASE.format(window="lattice_lam") + f"thresholds = {{ w1_cm1 = {2 * worst + 1.0!r} }}\n"


def _failing(results) -> tuple[str, float]:
    """Fingerprint W1 with the threshold halfway between the models: the stretched one misses."""
    good, soft = _score(results, "synthetic-good", "fingerprint"), _score(results, "synthetic-soft", "fingerprint")
    assert good < soft, "the 10 % stretched SYNTHETIC spectrum must score worse than the exact one"
    threshold = (good + soft) / 2
    return BASE.format(window="fingerprint") + f"thresholds = {{ w1_cm1 = {threshold!r} }}\n", threshold


def _gate(tmp_path, text, name="gate.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_cli_gate_passes_with_exit_0(synthetic_results, tmp_path, capsys):
    gate = _gate(tmp_path, _passing(synthetic_results))
    assert main(["gate", str(synthetic_results), str(gate)]) == 0
    out = capsys.readouterr().out
    assert "gate PASSED" in out
    assert f"  PASS  synthetic-soft | hexane | {CASE} | lattice_lam | w1_cm1: w1_cm1 value " in out


def test_cli_gate_fails_naming_metric_and_miss(synthetic_results, tmp_path, capsys):
    text, threshold = _failing(synthetic_results)
    assert main(["gate", str(synthetic_results), str(_gate(tmp_path, text))]) == 1
    out = capsys.readouterr().out
    soft = _score(synthetic_results, "synthetic-soft", "fingerprint")
    [line] = [l for l in out.splitlines() if l.startswith("  FAIL")]
    assert line.startswith(f"  FAIL  synthetic-soft | hexane | {CASE} | fingerprint | w1_cm1: ")
    assert (f"w1_cm1 value {soft:.4g} cm-1 > threshold {threshold:.4g} cm-1 (needs <=): "
            f"margin {threshold - soft:+.4g} cm-1, missed by {soft - threshold:.4g} cm-1") in line
    assert "gate FAILED: 1 of 2 required metrics missed" in out


def test_cli_gate_one_model_and_threshold_override(synthetic_results, tmp_path):
    text, _ = _failing(synthetic_results)
    assert main(["gate", str(synthetic_results), str(_gate(tmp_path, text)), "--model", "synthetic-good"]) == 0
    strict = _gate(tmp_path, BASE.format(window="fingerprint") + "thresholds = { w1_cm1 = 1e-9 }\n", "s.toml")
    outcome = evaluate_gate(load_gate(strict), load_index(synthetic_results), ["synthetic-good"])
    [check] = outcome.checks
    assert not check.passed and check.threshold == 1e-9 and "[threshold from gate file]" in check.message


def test_gate_on_interval_is_stricter_than_on_point(synthetic_results, tmp_path):
    """synthetic-good's lattice W1 point passes a threshold just above it; the upper bound does not."""
    index = load_index(synthetic_results)
    point = _score(synthetic_results, "synthetic-good", "lattice_lam")
    text = BASE.format(window="lattice_lam") + f"thresholds = {{ w1_cm1 = {point * 1.01} }}\n"
    gate_point = parse_gate(__import__("tomllib").loads(text), "point")
    gate_interval = parse_gate(__import__("tomllib").loads(
        text.replace("[[require]]", "[gate]\nuse_interval = true\nn_resamples = 20\n\n[[require]]")), "interval")
    assert evaluate_gate(gate_point, index, ["synthetic-good"]).passed
    outcome = evaluate_gate(gate_interval, index, ["synthetic-good"])
    assert not outcome.passed
    [check] = outcome.checks
    assert check.interval is not None and check.judged_value == check.interval[1] > check.value
    assert "upper 95% bound" in check.message and "missed by" in check.message


def test_missing_results_fail_the_gate(synthetic_results, tmp_path, capsys):
    gate = _gate(tmp_path, 'schema_version = 1\n[[require]]\nsystem = "diiodothiophene"\n')
    assert main(["gate", str(synthetic_results), str(gate)]) == 1
    assert "missing: no spectra record of synthetic-good on diiodothiophene" in capsys.readouterr().out
    gate = _gate(tmp_path, _passing(synthetic_results) + 'cell_mode = "measured-cell"\n', "mc.toml")
    assert main(["gate", str(synthetic_results), str(gate)]) == 1
    assert "has no case matching" in capsys.readouterr().out


def test_empty_results_fail_the_gate(synthetic_results, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["gate", str(tmp_path / "empty"), str(_gate(tmp_path, _passing(synthetic_results)))]) == 1
    assert "nothing to gate" in capsys.readouterr().out


def test_junit_xml_has_scores_as_properties(synthetic_results, tmp_path):
    xml = tmp_path / "gate.xml"
    text, threshold = _failing(synthetic_results)
    assert main(["gate", str(synthetic_results), str(_gate(tmp_path, text)), "--junit-xml", str(xml)]) == 1
    suite = ET.parse(xml).getroot().find("testsuite")
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    cases = {c.get("classname"): c for c in suite.findall("testcase")}
    soft = cases["insbench.gate.synthetic-soft"]
    props = {p.get("name"): p.get("value") for p in soft.find("properties")}
    value = _score(synthetic_results, "synthetic-soft", "fingerprint")
    assert float(props["value"]) == pytest.approx(value, rel=1e-5)
    assert float(props["threshold"]) == pytest.approx(threshold, rel=1e-5)
    assert float(props["margin"]) == pytest.approx(threshold - value, rel=1e-4) and props["passed"] == "false"
    assert props["requirement"] == "1" and props["requirement_text"].startswith("hexane spectra vs measured")
    assert props["unit"] == "cm-1" and props["direction"] == "max"
    assert "missed by" in soft.find("failure").get("message")
    assert cases["insbench.gate.synthetic-good"].find("failure") is None


@pytest.mark.parametrize("text, message", [
    ("schema_version = 2\n[[require]]\nsystem='x'\n", "schema_version is 2"),
    ("schema_version = 1\n", "needs at least one [[require]] table"),
    ("schema_version = 1\nrequire = []\n", "needs at least one [[require]] table"),
    ("[[require]]\nsystem='hexane'\n", "schema_version: required key missing"),
    ("schema_version = 1\n[[require]]\nsystem='hexane'\nwindow=['fingerprint']\n",
     "require[0].window: unknown key window in [[require]]; did you mean windows? valid keys: system, "),
    ("schema_version = 1\n[gate]\nuse_intervall=true\n[[require]]\nsystem='hexane'\n",
     "gate.use_intervall: unknown key use_intervall in [gate]; did you mean use_interval?"),
    ("schema_version = 1\nrequires=[]\n[[require]]\nsystem='hexane'\n",
     "requires: unknown key requires in the file's top level; did you mean require? "
     "valid keys: schema_version, gate, require"),
    ("schema_version = 1\n[[require]]\nsystem='hexane'\nthresholds={cosine={threshold=0.5,directon='min'}}\n",
     "require[0].thresholds.cosine.directon: unknown key directon in a threshold table; did you mean direction?"),
    ("schema_version = 1\n[gate]\nuse_interval='yes'\n[[require]]\nsystem='hexane'\n",
     "gate.use_interval: input should be a valid boolean (got 'yes')"),
    ("schema_version = 1\n[gate]\nconfidence=1.5\n[[require]]\nsystem='hexane'\n",
     "gate.confidence: input should be less than 1"),
    ("schema_version = 1\n[[require]]\nsystem='hexane'\nthresholds={w1_cm1='a'}\n",
     "require[0].thresholds.w1_cm1: must be a number (the threshold) or a table"),
    ("schema_version = 1\n[[require]]\nsystem='hexane'\nthresholds={w1_cm1=nan}\n",
     "require[0].thresholds.w1_cm1.threshold: input should be a finite number"),
    ("schema_version = 1\n[[require]]\nsystem='hexane'\nfamily='spectrum'\n",
     "require[0].family = 'spectrum': must be one of 'spectra', 'pressure' or 'md'; did you mean spectra?"),
    ("schema_version = 1\n[[require]]\nsystem='hexane'\ncell_mode='relaxed'\n",
     "did you mean relaxed-cell?"),
    # checked against what insbench declares (thresholds.toml, md_tolerances.toml)
    ("schema_version = 1\n[[require]]\nsystem='hexane'\nthresholds={ w1_cm = 5.0 }\n",
     "require[0].thresholds: unknown metric w1_cm for hexane spectra windows lattice_lam, fingerprint; "
     "did you mean w1_cm1? valid keys: cosine, peak_mae_cm1, w1_cm1"),
    ("schema_version = 1\n[[require]]\nsystem='hexane'\nmetrics=['cosin']\n",
     "require[0].metrics: unknown metric cosin for hexane spectra windows lattice_lam, fingerprint; "
     "did you mean cosine?"),
    ("schema_version = 1\n[[require]]\nsystem='hexan'\n", "require[0].system = 'hexan': no spectra "
     "thresholds are declared for it; did you mean hexane?"),
    ("schema_version = 1\n[[require]]\nsystem='hexane'\nwindows=['fingerprnt']\n",
     "require[0].windows: unknown window fingerprnt for hexane; did you mean fingerprint?"),
    ("schema_version = 1\n[[require]]\nsystem='hexane'\nfamily='md'\nmd_level='smok'\n",
     "require[0].md_level = 'smok': not a declared MD level; did you mean smoke?"),
    ("schema_version = 1\n[[require]]\nsystem='hexane'\nmd_level='smoke'\n",
     "require[0].md_level: applies to family \"md\" only"),
    ("schema_version = 1\n[[require]]\nsystem='hexane'\nfamily='md'\nwindows=['fingerprint']\n",
     "require[0].windows: applies to family \"spectra\" only"),
    ("schema_version = 1\n[[require]]\nsystem='hexane'\nthresholds={cosine={threshold=0.5,direction='max'}}\n",
     "require[0].thresholds.cosine.direction = 'max': insbench declares cosine direction 'min' "
     "(value >= threshold passes); a gate cannot flip it"),
    ("schema_version = 1\n[[require]]\nsystem='hexane'\nmetrics=['cosine']\nthresholds={w1_cm1=35}\n",
     "require[0].thresholds.w1_cm1: overrides a metric this requirement does not judge"),
])
def test_malformed_gate_files_say_what_is_wrong(tmp_path, text, message):
    path = _gate(tmp_path, text)
    with pytest.raises(GateFileError) as error:
        load_gate(path)
    assert message in str(error.value)
    assert str(error.value).startswith(str(path) if "schema_version is" not in message else f"{path}:")


def test_every_problem_of_a_gate_file_is_listed_at_once(tmp_path):
    path = _gate(tmp_path, "schema_version = 1\n[[require]]\nsystem='hexane'\nwindows=['fingerprnt']\n"
                           "thresholds={ w1_cm = 5.0 }\n[[require]]\nsystem='hexane'\nmetrics=['cosin']\n")
    with pytest.raises(GateFileError) as error:
        load_gate(path)
    text = str(error.value)
    assert text.startswith(f"{path}: 3 problems:")
    assert "did you mean fingerprint?" in text and "did you mean w1_cm1?" in text
    assert "require[1].metrics: unknown metric cosin" in text


def test_gate_threshold_typo_can_no_longer_pass_a_failing_model(synthetic_results, tmp_path, capsys):
    """The probe of issue 12: a typo'd override used to be ignored and the gate passed with exit 0."""
    text, _ = _failing(synthetic_results)
    typo = _gate(tmp_path, text.replace("{ w1_cm1 =", "{ w1_cm = 1000.0, w1_cm1 ="))
    assert main(["gate", str(synthetic_results), str(typo)]) == 2
    err = capsys.readouterr().err
    assert f"insbench: {typo}: require[0].thresholds: unknown metric w1_cm" in err
    assert "did you mean w1_cm1?" in err
    # spelled right, a loosened threshold is applied and says where it came from
    fixed = _gate(tmp_path, BASE.format(window="fingerprint") + "thresholds = { w1_cm1 = 1000.0 }\n", "f.toml")
    assert main(["gate", str(synthetic_results), str(fixed)]) == 0
    assert "[threshold from gate file]" in capsys.readouterr().out


def test_gate_report_lists_each_requirement_with_value_threshold_margin(synthetic_results, tmp_path):
    failing, threshold = _failing(synthetic_results)
    gate = _gate(tmp_path, failing + _passing(synthetic_results).replace("schema_version = 1", ""))
    outcome = evaluate_gate(load_gate(gate), load_index(synthetic_results))
    lines = outcome.lines()
    soft = _score(synthetic_results, "synthetic-soft", "fingerprint")
    assert lines[0] == ("requirement 1 of 2: hexane spectra vs measured windows fingerprint metrics w1_cm1 "
                        "-> FAIL (1 of 2 missed)")
    assert lines[1].startswith(f"  FAIL  synthetic-soft | hexane | {CASE} | fingerprint | w1_cm1: w1_cm1 value "
                               f"{soft:.4g} cm-1 > threshold {threshold:.4g} cm-1 (needs <=): margin ")
    assert lines[2].startswith(f"  PASS  synthetic-good | hexane | {CASE} | fingerprint | w1_cm1: w1_cm1 value ")
    assert ": margin +" in lines[2]
    assert lines[3] == "requirement 2 of 2: hexane spectra vs measured windows lattice_lam metrics w1_cm1 -> PASS"
    assert lines[-1] == f"gate FAILED: 1 of 4 required metrics missed ({gate})"
    check = next(c for c in outcome.checks if c.model == "synthetic-soft" and c.window == "fingerprint")
    assert check.margin == pytest.approx(threshold - soft) and check.margin == -check.miss
    assert check.to_dict()["margin"] == check.margin and check.to_dict()["requirement"] == 0


# -- the pytest plugin path ----------------------------------------------------------------------


def _gate_plugin_args() -> list[str]:
    """-p insbench.plugin_gate unless the installed metadata already registers it (pytest11)."""
    names = {ep.value for ep in importlib.metadata.entry_points(group="pytest11")}
    return [] if "insbench.plugin_gate" in names else ["-p", "insbench.plugin_gate"]


@pytest.mark.parametrize("expected", [0, 1])
def test_pytest_plugin_gate(pytester, synthetic_results, expected):
    pytester.makepyfile(test_trivial="def test_ok():\n    assert True\n")
    gate = pytester.path / "gate.toml"
    gate.write_text(textwrap.dedent(_failing(synthetic_results)[0] if expected else _passing(synthetic_results)))
    xml = pytester.path / "report.xml"
    result = pytester.runpytest(*_gate_plugin_args(), f"--insbench-gate={gate}",
                                f"--insbench-results={synthetic_results}", f"--junit-xml={xml}",
                                "-p", "no:cacheprovider")
    assert result.ret == expected
    result.stdout.fnmatch_lines(["*insbench gate*"])
    props = {p.get("name"): p.get("value") for p in ET.parse(xml).getroot().iter("property")}
    assert props["insbench_gate.passed"] == ("true" if expected == 0 else "false")
    key = f"insbench_gate.synthetic-soft.hexane.{CASE}"
    if expected:
        result.stdout.fnmatch_lines(["*requirement 1 of 1*FAIL*",
                                     "*FAIL*synthetic-soft*fingerprint | w1_cm1*missed by*", "*gate FAILED*"])
        value = _score(synthetic_results, "synthetic-soft", "fingerprint")
        assert float(props[f"{key}.fingerprint.w1_cm1.value"]) == pytest.approx(value, rel=1e-5)
        assert float(props[f"{key}.fingerprint.w1_cm1.margin"]) < 0
    else:
        result.stdout.fnmatch_lines(["*gate PASSED*"])
        assert f"{key}.lattice_lam.w1_cm1.value" in props


def test_pytest_plugin_never_hides_a_failing_test(pytester, synthetic_results):
    pytester.makepyfile(test_bad="def test_bad():\n    assert False\n")
    gate = pytester.path / "gate.toml"
    gate.write_text(textwrap.dedent(_passing(synthetic_results)))
    result = pytester.runpytest(*_gate_plugin_args(), f"--insbench-gate={gate}",
                                f"--insbench-results={synthetic_results}", "-p", "no:cacheprovider")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*gate PASSED*"])


def test_pytest_plugin_rejects_bad_gate_file_before_collection(pytester, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("schema_version = 1\n")
    result = pytester.runpytest(*_gate_plugin_args(), f"--insbench-gate={bad}", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--insbench-gate*at least one*require*"])


# -- the shipped examples -----------------------------------------------------------------------

EXAMPLES = __import__("pathlib").Path(__file__).resolve().parents[2] / "examples"


def test_example_gate_file_is_valid_and_judges_synthetic_results(synthetic_results):
    gate = load_gate(EXAMPLES / "gate.toml")
    assert gate.requirements[0].use_interval and gate.requirements[1].thresholds["w1_cm1"].threshold == 35.0
    outcome = evaluate_gate(gate, load_index(synthetic_results), ["synthetic-good"])
    assert outcome.passed and len(outcome.checks) == 4


def test_example_workflow_pins_cpu_torch_and_runs_the_gate():
    yaml = pytest.importorskip("yaml")
    text = (EXAMPLES / "ci" / "insbench-gate.yml").read_text()
    workflow = yaml.safe_load(text)
    steps = " ".join(str(s.get("run", "")) for s in workflow["jobs"]["gate"]["steps"])
    assert "torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" in steps
    assert "--insbench-gate=" in steps and "insbench gate" in steps and "insbench submit" in steps


# -- self-reference scores (issue 8 item 4) and families judged per case -------------------------


def _mark_self_reference(results, model: str, case_id: str = "hexane-0GPa-relaxed-cell-vs-measured") -> None:
    """SYNTHETIC: flag one stored case as scored against a reference made with the same model."""
    import json

    from insbench.results.records import merged_comparability, record_path

    path = record_path(results, model, "hexane", "spectra")
    record = json.loads(path.read_text())
    record["cases"][case_id]["comparability"]["self_reference"] = True
    record["comparability"] = merged_comparability(record["cases"])
    path.write_text(json.dumps(record))


def test_self_reference_scores_are_left_out_of_default_gates(synthetic_results, tmp_path, capsys):
    _mark_self_reference(synthetic_results, "synthetic-good")
    gate = _gate(tmp_path, _passing(synthetic_results))
    assert main(["gate", str(synthetic_results), str(gate), "--model", "synthetic-good"]) == 1
    out = capsys.readouterr().out
    assert "missing: the only results matching hexane spectra vs measured windows lattice_lam metrics w1_cm1 " \
        "are self-reference scores" in out
    assert "are self-reference scores" in out and "include_self_reference = true" in out
    # the other model's ordinary scores still count
    assert main(["gate", str(synthetic_results), str(gate), "--model", "synthetic-soft"]) == 0


@pytest.mark.parametrize("where", ["[gate]\ninclude_self_reference = true\n\n[[require]]",
                                   "[[require]]\ninclude_self_reference = true"])
def test_self_reference_scores_count_only_by_explicit_opt_in(synthetic_results, tmp_path, where):
    _mark_self_reference(synthetic_results, "synthetic-good")
    gate = _gate(tmp_path, _passing(synthetic_results).replace("[[require]]", where))
    outcome = evaluate_gate(load_gate(gate), load_index(synthetic_results), ["synthetic-good"])
    assert outcome.passed and len(outcome.checks) == 1
    assert all(c.self_reference and "[self-reference:" in c.message for c in outcome.checks)
    props = dict(__import__("insbench.results.gate", fromlist=["x"]).junit_properties(outcome))
    assert any(k.endswith(".self_reference") and v == "true" for k, v in props.items())


def test_self_reference_case_is_dropped_but_independent_cases_still_judged(tmp_path):
    from .results_synthetic import write_synthetic

    results = tmp_path / "results"
    write_synthetic(results, "synthetic-good", 1.0, cell_modes=("relaxed-cell", "measured-cell"))
    _mark_self_reference(results, "synthetic-good")
    gate = BASE.format(window="lattice_lam") + "thresholds = { w1_cm1 = 1000.0 }\n"
    outcome = evaluate_gate(load_gate(_gate(tmp_path, gate)), load_index(results))
    assert outcome.passed
    assert {c.case_id for c in outcome.checks} == {"hexane-0GPa-measured-cell-vs-measured"}


def _md_record(results, model: str, level: str, rdf_w1_a: float, threshold: float) -> None:
    """SYNTHETIC md record (family judged per case, no windows) through the one writer."""
    from insbench.results import ResultsStore
    from insbench.results.records import write_case

    from .results_synthetic import synthetic_case, synthetic_identity

    judgement = {"metric": "rdf_w1_a", "passed": rdf_w1_a <= threshold, "value": rdf_w1_a,
                 "threshold": threshold, "direction": "max", "unit": "Angstrom", "margin": threshold - rdf_w1_a}
    write_case(ResultsStore(results), synthetic_case(
        synthetic_identity(model), f"hexane-{level}-150K", judgement["passed"], family="md",
        payload={"level": {"name": level}, "scores": {"rdf_w1_a": rdf_w1_a},
                 "judgements": {"rdf_w1_a": judgement}},
        md_level=level, cell_mode="measured-cell"))


MD_GATE = """
schema_version = 1
[[require]]
system = "hexane"
family = "md"
md_level = "standard"
metrics = ["rdf_w1_a"]
"""


def test_md_requirement_is_judged_per_case_and_by_level(tmp_path, capsys):
    results = tmp_path / "results"
    _md_record(results, "synthetic-md", "standard", 0.03, 0.05)
    gate = _gate(tmp_path, MD_GATE)
    assert main(["gate", str(results), str(gate)]) == 0
    out = capsys.readouterr().out
    assert "PASS  synthetic-md | hexane | hexane-standard-150K | - | rdf_w1_a: rdf_w1_a value 0.03 " in out
    # a smoke-level run does not meet a standard-level requirement: missing, not passed
    smoke = tmp_path / "smoke"
    _md_record(smoke, "synthetic-md", "smoke", 0.03, 0.08)
    assert main(["gate", str(smoke), str(gate)]) == 1
    assert "has no case matching hexane md MD level standard" in capsys.readouterr().out


def test_required_metric_absent_from_a_case_fails(tmp_path, capsys):
    results = tmp_path / "results"
    _md_record(results, "synthetic-md", "standard", 0.03, 0.05)
    gate = _gate(tmp_path, MD_GATE.replace('["rdf_w1_a"]', '["rdf_w1_a", "msd_a2"]'))
    assert main(["gate", str(results), str(gate)]) == 1
    assert "missing: no result for msd_a2 in this case (judged: rdf_w1_a)" in capsys.readouterr().out


def test_interval_gate_on_a_record_whose_settings_cannot_be_reread_fails_and_says_why(synthetic_results, tmp_path):
    import json

    from insbench.results.records import record_path

    path = record_path(synthetic_results, "synthetic-good", "hexane", "spectra")
    record = json.loads(path.read_text())
    for window in record["cases"][CASE]["windows"].values():
        window["scores"]["settings"]["no_such_setting"] = 1.0  # as if written by another insbench
    path.write_text(json.dumps(record))
    text = _passing(synthetic_results).replace("[[require]]", "[gate]\nuse_interval = true\nn_resamples = 4\n\n[[require]]")
    outcome = evaluate_gate(load_gate(_gate(tmp_path, text)), load_index(synthetic_results), ["synthetic-good"])
    [check] = outcome.checks
    assert not check.passed
    assert "interval required but not available: the stored scoring settings cannot be re-used" in check.message


def test_a_record_judged_against_other_thresholds_fails_until_rerun_or_pinned(synthetic_results, tmp_path, capsys):
    """thresholds.toml changed since the run: the gate does not quietly use the record's old number."""
    import json

    from insbench.results.records import record_path

    path = record_path(synthetic_results, "synthetic-good", "hexane", "spectra")
    record = json.loads(path.read_text())
    record["cases"][CASE]["windows"]["fingerprint"]["judgements"]["cosine"]["threshold"] = 0.01
    path.write_text(json.dumps(record))
    gate = _gate(tmp_path, BASE.format(window="fingerprint").replace('"w1_cm1"', '"cosine"'))
    assert main(["gate", str(synthetic_results), str(gate), "--model", "synthetic-good"]) == 1
    assert "cosine: the record was judged against threshold 0.01 but this insbench declares" in capsys.readouterr().out
    pinned = _gate(tmp_path, BASE.format(window="fingerprint").replace('"w1_cm1"', '"cosine"')
                   + "thresholds = { cosine = 0.01 }\n", "pinned.toml")
    assert main(["gate", str(synthetic_results), str(pinned), "--model", "synthetic-good"]) == 0
