"""thresholds.toml: the packaged file, judging, and validation of user files."""

import textwrap

import pytest
from metrics_synthetic import FINGERPRINT, LATTICE, load_isis_dat

from insbench.metrics import (
    MissingThresholdError,
    ScoringSettings,
    ThresholdsError,
    load_thresholds,
    score_spectrum,
)

VALID = """
schema_version = 1
[scoring]
background_form = "constant"
[water.ice]
window_cm1 = [10.0, 300.0]
scoring = { max_distance_cm1 = 12.0 }
[water.ice.w1_cm1]
threshold = 40.0
unit = "cm-1"
direction = "max"
rationale = "test"
[water.ice.cosine]
threshold = 0.7
unit = "1"
direction = "min"
rationale = "test"
"""


def write(tmp_path, text):
    path = tmp_path / "thresholds.toml"
    path.write_text(textwrap.dedent(text))
    return path


def test_packaged_file_has_hexane_windows_and_metrics():
    t = load_thresholds()
    for window, limits in {"lattice_lam": LATTICE, "fingerprint": FINGERPRINT}.items():
        assert t.window_cm1("hexane", window) is None  # the fixture owns the window ranges
        metrics = t.metrics("hexane", window)
        assert set(metrics) == {"w1_cm1", "cosine", "peak_mae_cm1"}
        assert metrics["w1_cm1"].direction == "max" and metrics["w1_cm1"].unit == "cm-1"
        assert metrics["cosine"].direction == "min" and metrics["cosine"].unit == "1"
        assert metrics["peak_mae_cm1"].direction == "max"
        # derived, and the rationale says from what (noise floor + model ladder)
        assert all("noise" in m.rationale and "5 % frequency error" in m.rationale for m in metrics.values())
        settings = t.scoring_settings("hexane", window)
        assert metrics["peak_mae_cm1"].threshold < settings.max_distance_cm1


def test_packaged_scoring_section_is_complete_and_matches_code_defaults():
    # If this fails after calibrating [scoring], update ScoringSettings' defaults too.
    import dataclasses
    import tomllib
    from importlib import resources

    text = resources.files("insbench").joinpath("thresholds.toml").read_text()
    listed = set(tomllib.loads(text)["scoring"])
    assert listed == {f.name for f in dataclasses.fields(ScoringSettings)}
    assert load_thresholds().scoring == ScoringSettings()


def test_hexane_self_score_passes_every_packaged_threshold():
    t, hexane = load_thresholds(), load_isis_dat()
    for window in ("lattice_lam", "fingerprint"):
        s = score_spectrum(
            hexane,
            hexane,
            {"lattice_lam": LATTICE, "fingerprint": FINGERPRINT}[window],
            t.scoring_settings("hexane", window),
        )
        verdicts = t.judge("hexane", window, s.metrics)
        assert all(j.passed for j in verdicts.values()), [
            j.message for j in verdicts.values()
        ]


def test_judge_messages():
    t = load_thresholds()
    w1 = t.get("hexane", "fingerprint", "w1_cm1")
    assert w1.threshold == 34.0  # the derived packaged value (see thresholds.toml)
    ok = w1.judge(23.4)
    assert ok.passed and ok.margin == pytest.approx(10.6)
    assert ok.message == "w1_cm1 = 23.4 cm-1 <= 34 cm-1 (pass, margin 10.6)"
    bad = w1.judge(52.0)
    assert not bad.passed and bad.margin == pytest.approx(-18.0)
    assert bad.message == "w1_cm1 = 52 cm-1 > 34 cm-1 (fail, margin -18)"
    assert w1.judge(34.0).passed  # on the threshold passes
    cos = t.get("hexane", "fingerprint", "cosine")
    assert cos.judge(0.94).message == "cosine = 0.94 >= 0.89 (pass, margin 0.05)"
    assert cos.judge(0.5).message == "cosine = 0.5 < 0.89 (fail, margin -0.39)"
    nan = cos.judge(float("nan"))
    assert (
        not nan.passed and nan.margin is None and "not a finite number" in nan.message
    )
    assert nan.to_dict()["value"] is None


def test_missing_entries_list_what_exists_and_say_how_to_fix(tmp_path):
    t = load_thresholds(write(tmp_path, VALID))  # a file without [default]
    with pytest.raises(KeyError) as err:
        t.get("octane", "fingerprint", "w1_cm1")
    assert isinstance(err.value, MissingThresholdError)
    assert "water.ice (w1_cm1, cosine)" in str(err.value)
    assert "--insbench-thresholds=FILE" in str(err.value) and "conditions.thresholds" in str(err.value)
    with pytest.raises(MissingThresholdError, match="it has: w1_cm1, cosine"):
        t.get("water", "ice", "r2")
    with pytest.raises(KeyError, match="cosine"):
        t.judge("water", "ice", {"w1_cm1": 1.0})


def test_a_new_system_gets_the_documented_default_and_says_so():
    t = load_thresholds()
    metrics = t.metrics("octane", "fingerprint")
    assert set(metrics) == {"w1_cm1", "cosine", "peak_mae_cm1"}
    assert all(m.rationale.startswith("DEFAULT") and m.system == "octane" for m in metrics.values())
    assert t.is_default("octane", "fingerprint") and not t.is_default("hexane", "fingerprint")
    # the pressure window takes [default_pressure], never the spectral [default]
    pressure = t.metrics("octane", "pressure")
    assert "w1_cm1" not in pressure and "tracking_overlap" in pressure and t.is_default("octane", "pressure")


def test_user_file_is_merged_over_the_packaged_one(tmp_path):
    user = write(tmp_path, """
        schema_version = 1
        [hexane.fingerprint.w1_cm1]
        threshold = 5.0
        unit = "cm-1"
        direction = "max"
        rationale = "stricter, for a release gate"
        [octane.chain.cosine]
        threshold = 0.9
        unit = "1"
        direction = "min"
        rationale = "user's new system"
        """)
    t = load_thresholds(user=user)
    assert t.get("hexane", "fingerprint", "w1_cm1").threshold == 5.0
    assert t.get("hexane", "fingerprint", "cosine").threshold == load_thresholds().get(
        "hexane", "fingerprint", "cosine").threshold  # the rest is kept
    assert t.scoring == load_thresholds().scoring
    assert set(t.metrics("octane", "chain")) == {"cosine"}
    assert str(user) in t.source
    with pytest.raises(ThresholdsError, match="does not exist"):
        load_thresholds(user=tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text('schema_version = 1\n[hexane.fingerprint.w1_cm1]\ntreshold = 5.0\nunit = "cm-1"\n'
                   'direction = "max"\nrationale = "x"\n')
    with pytest.raises(ThresholdsError, match=r"bad\.toml.*unknown key\(s\) treshold; did you mean 'threshold'"):
        load_thresholds(user=bad)


class _FakeFixture:
    """Synthetic: the two attributes the loader reads from a fixture."""

    def __init__(self, system, declared, path="synthetic/manifest.json"):
        from types import SimpleNamespace

        self.system = system
        self.manifest = SimpleNamespace(raw={"conditions": {"thresholds": declared}}, path=path)


def test_fixture_thresholds_sit_between_packaged_and_user(tmp_path):
    declared = {"chain": {"w1_cm1": {"threshold": 12.0, "unit": "cm-1", "direction": "max",
                                     "rationale": "declared by the (synthetic) fixture"}}}
    t = load_thresholds(fixtures=[_FakeFixture("octane", declared)])
    assert t.get("octane", "chain", "w1_cm1").threshold == 12.0 and not t.is_default("octane", "chain")
    user = write(tmp_path, """
        schema_version = 1
        [octane.chain.w1_cm1]
        threshold = 3.0
        unit = "cm-1"
        direction = "max"
        rationale = "user wins"
        """)
    assert load_thresholds(user=user, fixtures=[_FakeFixture("octane", declared)]).get(
        "octane", "chain", "w1_cm1").threshold == 3.0
    broken = {"chain": {"w1_cm1": {"threshold": 12.0, "unit": "meV", "direction": "max", "rationale": "x"}}}
    with pytest.raises(ThresholdsError, match=r"synthetic/manifest.json \(conditions.thresholds\).*meV"):
        load_thresholds(fixtures=[_FakeFixture("octane", broken)])


def test_user_file_with_overrides(tmp_path):
    t = load_thresholds(write(tmp_path, VALID))
    assert t.scoring.background_form == "constant"
    assert (
        t.scoring.max_distance_cm1 == ScoringSettings().max_distance_cm1
    )  # default kept
    assert t.scoring_settings("water", "ice").max_distance_cm1 == 12.0
    assert t.scoring_settings("water", "ice").background_form == "constant"
    verdicts = t.judge("water", "ice", {"w1_cm1": 10.0, "cosine": 0.9, "extra": 1.0})
    assert set(verdicts) == {"w1_cm1", "cosine"} and all(
        v.passed for v in verdicts.values()
    )


@pytest.mark.parametrize(
    "edit, match",
    [
        (
            ('direction = "min"', 'direction = "above"'),
            r"water\.ice\.cosine\.direction = 'above'",
        ),
        (('unit = "1"\n', ""), r"water\.ice\.cosine is missing unit"),
        (('unit = "cm-1"', 'unit = "meV"'), r"water\.ice\.w1_cm1\.unit is 'meV'"),
        (
            ("threshold = 40.0", 'threshold = "forty"'),
            r"water\.ice\.w1_cm1\.threshold must be a finite number",
        ),
        (
            (
                'rationale = "test"\n[water.ice.cosine]',
                'rationale = "test"\nnote = 1\n[water.ice.cosine]',
            ),
            r"water\.ice\.w1_cm1 has unknown key\(s\) note",
        ),
        (("schema_version = 1", "schema_version = 2"), "schema_version is 2"),
        (
            ('background_form = "constant"', 'background_form = "spline"'),
            r"\[scoring\].*spline",
        ),
        (
            ('background_form = "constant"', "gate = 3"),
            r"\[scoring\].*unknown scoring setting\(s\) gate",
        ),
        (
            ("max_distance_cm1 = 12.0", "max_distance_cm1 = -1.0"),
            r"water\.ice\.scoring.*max_distance_cm1",
        ),
        (
            ("window_cm1 = [10.0, 300.0]", "window_cm1 = [300.0, 10.0]"),
            r"water\.ice\.window_cm1",
        ),
        (
            ("[water.ice]", "[water.ice]\nsomething = 3"),
            r"water\.ice\.something must be a table",
        ),
    ],
)
def test_invalid_files_name_the_key(tmp_path, edit, match):
    old, new = edit
    assert old in VALID
    with pytest.raises(ThresholdsError, match=match):
        load_thresholds(write(tmp_path, VALID.replace(old, new, 1)))


def test_not_toml(tmp_path):
    with pytest.raises(ThresholdsError, match="not valid TOML"):
        load_thresholds(write(tmp_path, "schema_version = = 1"))
