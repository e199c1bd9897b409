"""The pressure tables of thresholds.toml: the tracking gate keys, [default_pressure], name checks."""

import textwrap

import pytest

from insbench.metrics import MissingThresholdError, ThresholdsError, load_thresholds
from insbench.metrics.pressure_thresholds import PRESSURE_METRICS

BASE = """
schema_version = 1
[scoring]
background_form = "constant"
[water.pressure.tracking_overlap]
threshold = 0.5
unit = "1"
direction = "min"
rationale = "test"
[water.pressure.blue_shift_fraction]
threshold = 0.5
unit = "1"
direction = "min"
rationale = "test"
"""


def write(tmp_path, text, name="thresholds.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_packaged_file_declares_the_tracking_gate_for_diiodothiophene_and_as_default():
    t = load_thresholds()
    for system in ("diiodothiophene", "a-new-system"):
        gate = t.get(system, "pressure", "tracking_overlap")
        share = t.get(system, "pressure", "untracked_weight_fraction")
        assert (gate.threshold, gate.direction, gate.unit) == (0.5, "min", "1")
        assert (share.threshold, share.direction, share.unit) == (0.1, "max", "1")
    assert not t.get("diiodothiophene", "pressure", "tracking_overlap").rationale.startswith("DEFAULT")
    assert t.get("a-new-system", "pressure", "tracking_overlap").rationale.startswith("DEFAULT")
    # every pressure metric has a default, so a new two-pressure system is judged (and says DEFAULT)
    assert set(t.metrics("a-new-system", "pressure")) == set(PRESSURE_METRICS)


def test_a_system_setting_some_pressure_metrics_gets_the_rest_from_default_pressure(tmp_path):
    user = write(tmp_path, """
        schema_version = 1
        [octane.pressure.blue_shift_fraction]
        threshold = 0.6
        unit = "1"
        direction = "min"
        rationale = "user's own"
        """)
    t = load_thresholds(user=user)
    assert t.get("octane", "pressure", "blue_shift_fraction").threshold == 0.6
    gate = t.get("octane", "pressure", "tracking_overlap")
    assert gate.threshold == 0.5 and gate.rationale.startswith("DEFAULT") and gate.system == "octane"
    # the spectral default does not leak into the pressure window
    with pytest.raises(MissingThresholdError, match="it has: .*tracking_overlap"):
        t.get("octane", "pressure", "w1_cm1")


def test_without_any_pressure_default_a_new_system_errors_naming_the_fix(tmp_path):
    t = load_thresholds(write(tmp_path, BASE))
    with pytest.raises(MissingThresholdError) as err:
        t.get("octane", "pressure", "tracking_overlap")
    message = str(err.value)
    assert "[default_pressure] tables" in message and "[octane.pressure.<metric>]" in message


@pytest.mark.parametrize("edit, match", [
    # bad values of the new keys
    (("threshold = 0.5", "threshold = 1.5"),
     r"water\.pressure\.tracking_overlap\.threshold = 1\.5 is outside \(0, 1\]"),
    (("threshold = 0.5", "threshold = 0.0"), r"tracking_overlap\.threshold = 0 is outside \(0, 1\]"),
    (("threshold = 0.5", 'threshold = "half"'), r"tracking_overlap\.threshold must be a finite number"),
    (('direction = "min"', 'direction = "max"'),
     r'tracking_overlap\.direction is \'max\'; .* must be judged with direction = "min"'),
    (('unit = "1"', 'unit = "%"'), r"tracking_overlap\.unit is '%'"),
    # an unknown metric name is an error with a did-you-mean, not a table nobody reads
    (("[water.pressure.tracking_overlap]", "[water.pressure.tracking_overlp]"),
     r"water\.pressure has unknown pressure metric tracking_overlp; did you mean 'tracking_overlap'\?"),
    (("[water.pressure.tracking_overlap]", "[water.pressure.min_tracking_overlap]"),
     r"unknown pressure metric min_tracking_overlap; did you mean 'tracking_overlap'\?"),
    # an unknown key inside the table
    (('rationale = "test"\n[water.pressure.blue', 'rationale = "test"\nminimum = 0.5\n[water.pressure.blue'),
     r"water\.pressure\.tracking_overlap has unknown key\(s\) minimum"),
    (("threshold = 0.5\nunit", "treshold = 0.5\nunit"),
     r"unknown key\(s\) treshold; did you mean 'threshold'\?"),
])
def test_bad_pressure_tables_name_the_key(tmp_path, edit, match):
    old, new = edit
    assert old in BASE
    with pytest.raises(ThresholdsError, match=match):
        load_thresholds(write(tmp_path, BASE.replace(old, new, 1)))


def test_bad_default_pressure_in_a_user_file_is_caught(tmp_path):
    user = write(tmp_path, """
        schema_version = 1
        [default_pressure.untracked_weight_fraction]
        threshold = 2.0
        unit = "1"
        direction = "max"
        rationale = "x"
        """, "user.toml")
    with pytest.raises(ThresholdsError, match=r"user\.toml: default_pressure\.untracked_weight_fraction"
                                              r"\.threshold = 2 is outside \[0, 1\]"):
        load_thresholds(user=user)


def test_fixture_declared_pressure_typo_is_caught():
    from types import SimpleNamespace

    declared = {"pressure": {"blue_shift_fractoin": {"threshold": 0.5, "unit": "1", "direction": "min",
                                                      "rationale": "x"}}}
    fixture = SimpleNamespace(system="octane", manifest=SimpleNamespace(
        raw={"conditions": {"thresholds": declared}}, path="synthetic/manifest.json"))
    with pytest.raises(ThresholdsError, match=r"conditions\.thresholds.*did you mean 'blue_shift_fraction'"):
        load_thresholds(fixtures=[fixture])


def test_a_valid_pressure_table_loads_and_judges(tmp_path):
    t = load_thresholds(write(tmp_path, BASE))
    gate = t.get("water", "pressure", "tracking_overlap")
    assert gate.judge(0.84).passed and not gate.judge(0.18).passed
    assert "tracking_overlap = 0.18 < 0.5 (fail" in gate.judge(0.18).message
