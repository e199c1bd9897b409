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

PASSING = """
schema_version = 1
[[require]]
system = "hexane"
windows = ["lattice_lam"]
metrics = ["w1_cm1", "peak_mae_cm1"]
"""

FAILING = """
schema_version = 1
[[require]]
system = "hexane"
windows = ["fingerprint"]
metrics = ["w1_cm1"]
"""


def _gate(tmp_path, text, name="gate.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_cli_gate_passes_with_exit_0(synthetic_results, tmp_path, capsys):
    gate = _gate(tmp_path, PASSING)
    assert main(["gate", str(synthetic_results), str(gate)]) == 0
    out = capsys.readouterr().out
    assert "gate PASSED" in out
    assert "PASS  synthetic-soft | hexane | hexane-0GPa-relaxed-cell-vs-measured | lattice_lam | w1_cm1" in out


def test_cli_gate_fails_naming_metric_and_miss(synthetic_results, tmp_path, capsys):
    gate = _gate(tmp_path, FAILING)
    assert main(["gate", str(synthetic_results), str(gate)]) == 1
    out = capsys.readouterr().out
    # synthetic-soft has fingerprint W1 = 41.27 cm-1 against a threshold of 40
    line = next(l for l in out.splitlines() if l.startswith("FAIL"))
    assert "synthetic-soft" in line and "fingerprint | w1_cm1" in line
    assert "w1_cm1 value 41.27 cm-1 > 40 cm-1: missed by 1.266 cm-1" in line
    assert "gate FAILED: 1 of 2 required metrics missed" in out


def test_cli_gate_one_model_and_threshold_override(synthetic_results, tmp_path):
    gate = _gate(tmp_path, FAILING)
    assert main(["gate", str(synthetic_results), str(gate), "--model", "synthetic-good"]) == 0
    strict = _gate(tmp_path, FAILING + 'thresholds = { w1_cm1 = 0.01 }\n', "strict.toml")
    outcome = evaluate_gate(load_gate(strict), load_index(synthetic_results), ["synthetic-good"])
    [check] = outcome.checks
    assert not check.passed and check.threshold == 0.01 and "[threshold from gate file]" in check.message


def test_gate_on_interval_is_stricter_than_on_point(synthetic_results, tmp_path):
    """synthetic-good's lattice W1 point passes a threshold just above it; the upper bound does not."""
    index = load_index(synthetic_results)
    point = index.get("synthetic-good", "hexane", "spectra").cases[
        "hexane-0GPa-relaxed-cell-vs-measured"]["windows"]["lattice_lam"]["scores"]["w1_cm1"]
    text = PASSING.replace('metrics = ["w1_cm1", "peak_mae_cm1"]', 'metrics = ["w1_cm1"]') + \
        f"thresholds = {{ w1_cm1 = {point * 1.01} }}\n"
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
    gate = _gate(tmp_path, PASSING.replace('system = "hexane"', 'system = "benzene"'))
    assert main(["gate", str(synthetic_results), str(gate)]) == 1
    assert "missing: no spectra record of synthetic-good on benzene" in capsys.readouterr().out
    gate = _gate(tmp_path, PASSING + 'cell_mode = "measured-cell"\n', "mc.toml")
    assert main(["gate", str(synthetic_results), str(gate)]) == 1
    assert "has no case matching" in capsys.readouterr().out


def test_empty_results_fail_the_gate(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["gate", str(tmp_path / "empty"), str(_gate(tmp_path, PASSING))]) == 1
    assert "nothing to gate" in capsys.readouterr().out


def test_junit_xml_has_scores_as_properties(synthetic_results, tmp_path):
    xml = tmp_path / "gate.xml"
    assert main(["gate", str(synthetic_results), str(_gate(tmp_path, FAILING)), "--junit-xml", str(xml)]) == 1
    suite = ET.parse(xml).getroot().find("testsuite")
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    cases = {c.get("classname"): c for c in suite.findall("testcase")}
    soft = cases["insbench.gate.synthetic-soft"]
    props = {p.get("name"): p.get("value") for p in soft.find("properties")}
    assert float(props["value"]) == pytest.approx(41.27, abs=0.01)
    assert props["threshold"] == "40" and props["unit"] == "cm-1" and props["direction"] == "max"
    assert "missed by" in soft.find("failure").get("message")
    assert cases["insbench.gate.synthetic-good"].find("failure") is None


@pytest.mark.parametrize("text, message", [
    ("schema_version = 2\n[[require]]\nsystem='x'\n", "schema_version is 2"),
    ("schema_version = 1\n", "at least one [[require]]"),
    ("schema_version = 1\n[[require]]\nsystem='x'\nwindow='y'\n", "unknown key(s) window"),
    ("schema_version = 1\n[gate]\nuse_interval='yes'\n[[require]]\nsystem='x'\n", "true or false"),
    ("schema_version = 1\n[[require]]\nsystem='x'\nthresholds={w1_cm1='a'}\n", "finite numbers"),
])
def test_malformed_gate_files_say_what_is_wrong(tmp_path, text, message):
    with pytest.raises(GateFileError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        load_gate(_gate(tmp_path, text))


def test_cli_bad_gate_file_is_exit_2(synthetic_results, tmp_path, capsys):
    assert main(["gate", str(synthetic_results), str(tmp_path / "none.toml")]) == 2
    assert "does not exist" in capsys.readouterr().err


# -- the pytest plugin path ----------------------------------------------------------------------


def _gate_plugin_args() -> list[str]:
    """-p insbench.plugin_gate unless the installed metadata already registers it (pytest11)."""
    names = {ep.value for ep in importlib.metadata.entry_points(group="pytest11")}
    return [] if "insbench.plugin_gate" in names else ["-p", "insbench.plugin_gate"]


@pytest.mark.parametrize("gate_text, expected", [(PASSING, 0), (FAILING, 1)])
def test_pytest_plugin_gate(pytester, synthetic_results, gate_text, expected):
    pytester.makepyfile(test_trivial="def test_ok():\n    assert True\n")
    gate = pytester.path / "gate.toml"
    gate.write_text(textwrap.dedent(gate_text))
    xml = pytester.path / "report.xml"
    result = pytester.runpytest(*_gate_plugin_args(), f"--insbench-gate={gate}",
                                f"--insbench-results={synthetic_results}", f"--junit-xml={xml}",
                                "-p", "no:cacheprovider")
    assert result.ret == expected
    result.stdout.fnmatch_lines(["*insbench gate*"])
    props = {p.get("name"): p.get("value") for p in ET.parse(xml).getroot().iter("property")}
    assert props["insbench_gate.passed"] == ("true" if expected == 0 else "false")
    key = "insbench_gate.synthetic-soft.hexane.hexane-0GPa-relaxed-cell-vs-measured"
    if expected:
        result.stdout.fnmatch_lines(["*FAIL*synthetic-soft*fingerprint | w1_cm1*missed by 1.266 cm-1*",
                                     "*gate FAILED*"])
        assert float(props[f"{key}.fingerprint.w1_cm1.value"]) == pytest.approx(41.27, abs=0.01)
    else:
        result.stdout.fnmatch_lines(["*gate PASSED*"])
        assert f"{key}.lattice_lam.w1_cm1.value" in props


def test_pytest_plugin_never_hides_a_failing_test(pytester, synthetic_results):
    pytester.makepyfile(test_bad="def test_bad():\n    assert False\n")
    gate = pytester.path / "gate.toml"
    gate.write_text(textwrap.dedent(PASSING))
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
    assert gate.requirements[0].use_interval and gate.requirements[1].thresholds == {"w1_cm1": 35.0}
    outcome = evaluate_gate(gate, load_index(synthetic_results), ["synthetic-good"])
    assert outcome.passed and len(outcome.checks) == 4


def test_example_workflow_pins_cpu_torch_and_runs_the_gate():
    yaml = pytest.importorskip("yaml")
    text = (EXAMPLES / "ci" / "insbench-gate.yml").read_text()
    workflow = yaml.safe_load(text)
    steps = " ".join(str(s.get("run", "")) for s in workflow["jobs"]["gate"]["steps"])
    assert "torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu" in steps
    assert "--insbench-gate=" in steps and "insbench gate" in steps and "insbench submit" in steps
