"""Tests of insbench.results.summary_pressure on SYNTHETIC pressure records (hand-made
dicts in the layout results.records writes; no model was run)."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from insbench.results.summary_pressure import (
    SIGN_NOISE_CM1,
    band_assignment,
    pressure_summary_lines,
    self_reference,
    sensitivity_block,
    sensitivity_line,
    sensitivity_marker,
    sensitivity_verdict_name,
    sensitivity_verdicts,
    shift_word,
)


def _band(mode: int, position: float, shift: float, label: str) -> dict:
    return {"target_cm1": 453.0, "label": None, "chosen_mode": mode, "position_cm1": position,
            "modes": [mode], "shift_cm1": shift, "how": "synthetic",
            "candidates": [{"mode": mode - 1, "frequency_cm1": position - 20, "label": "C-I out-of-plane bend"},
                           {"mode": mode, "frequency_cm1": position, "label": label}]}


def _tracking(overlap: float, passed: bool = True) -> dict:
    return {"gate": {"metric": "tracking_overlap", "passed": passed, "value": overlap, "threshold": 0.5},
            "overlap": overlap, "min_overlap": 0.5}


def _blue_tracking(share: float, passed: bool, n_untracked: int) -> dict:
    return {"gate": {"metric": "untracked_weight_fraction", "passed": passed, "value": share, "threshold": 0.1},
            "min_overlap": 0.5, "blue_fraction": {"lower": 0.30, "upper": 0.30 + share, "tracked_only": 0.53,
                                                  "untracked_weight_fraction": share, "n_untracked": n_untracked}}


SYNTHETIC_RECORD = {
    "model": {"name": "synthetic-model"}, "system": "diiodothiophene", "family": "pressure",
    "reference": {"system": "diiodothiophene", "version": "9.9.9"},
    "comparability": {"self_reference": False},
    "cases": {
        "red_shift-453cm-1-vs-claim": {
            "item": {"check": "red_shift", "target_cm1": 453.0, "reference_kind": "claim"},
            "value": -2.2, "passed": True, "band": _band(53, 458.3, -2.2, "ring out-of-plane"),
            "judgements": {"red_shift_cm1": {"threshold": -0.1, "passed": True}}, "pressures_gpa": [0.0, 1.5],
            "tracking": _tracking(0.97)},
        "blue_shift_fraction": {
            "item": {"check": "blue_shift_fraction"}, "value": 0.734, "passed": True, "band": None,
            "judgements": {"blue_shift_fraction": {"threshold": 0.5, "passed": True}}, "pressures_gpa": [0.0, 1.5],
            "tracking": _blue_tracking(0.0, True, 0)},
        "band_sign-800cm-1-vs-computed": {
            "item": {"check": "band_sign", "target_cm1": 800.0, "reference_kind": "computed"},
            "value": 1.0, "passed": True, "band": None, "judgements": {}, "tracking": _tracking(0.9)},
        "band_sign-300cm-1-vs-computed": {
            "item": {"check": "band_sign", "target_cm1": 300.0, "reference_kind": "computed"},
            "value": -1.0, "passed": False, "band": None, "judgements": {}, "tracking": _tracking(0.9)},
    },
}


def test_lines_state_band_shift_sign_assignment_and_verdicts():
    lines = pressure_summary_lines(SYNTHETIC_RECORD)
    assert lines[0] == "synthetic-model | diiodothiophene 9.9.9 | 0 -> 1.5 GPa"
    text = "\n".join(lines)
    assert ("453 cm-1 band: mode 53 at 458.3 cm-1 (ring out-of-plane) shifts -2.2 cm-1 (red; claim: red), "
            "tracked with overlap 0.97 (minimum 0.5) -> PASS") in text
    assert "INS-weighted blue fraction: 0.73, needs >= 0.5 -> PASS" in text
    assert "band signs vs computed: 1 of 2 agree (informational: reference is not measured)" in text
    assert "not assessed" in text
    assert "SELF-REFERENCE" not in text


def test_failed_blue_shift_reported_as_fail():
    record = copy.deepcopy(SYNTHETIC_RECORD)
    case = record["cases"]["red_shift-453cm-1-vs-claim"]
    case.update(passed=False, value=3.5, band=_band(52, 452.0, 3.5, "ring out-of-plane"))
    text = "\n".join(pressure_summary_lines(record))
    assert "shifts +3.5 cm-1 (blue; claim: red), tracked with overlap 0.97 (minimum 0.5) -> FAIL" in text


def test_an_untracked_band_and_blue_fraction_say_so_and_fail():
    """The synthetic unconverged case: +796 cm-1 at overlap 0.18; 44 % of the INS weight untracked."""
    record = copy.deepcopy(SYNTHETIC_RECORD)
    red = record["cases"]["red_shift-453cm-1-vs-claim"]
    red.update(passed=False, value=None, band=_band(27, 433.7, 796.0, "ring out-of-plane"),
               tracking=_tracking(0.18, passed=False))
    blue = record["cases"]["blue_shift_fraction"]
    blue.update(passed=False, value=None, tracking=_blue_tracking(0.44, False, 21))
    sign = record["cases"]["band_sign-800cm-1-vs-computed"]
    sign.update(passed=False, value=None, band=_band(40, 801.0, 50.0, "C-H in-plane bend"),
                tracking=_tracking(0.2, passed=False))
    text = "\n".join(pressure_summary_lines(record))
    assert ("453 cm-1 band: mode 27 at 433.7 cm-1 (ring out-of-plane) NOT TRACKED to high pressure: overlap 0.18 "
            "< minimum 0.5, its shift +796.0 cm-1 is not judged -> FAIL") in text
    assert ("INS-weighted blue fraction: NOT JUDGED, 44.0% of the INS weight in modes tracked with band overlap "
            "< 0.5 (allowed 10%); it could be 0.30..0.74 -> FAIL") in text
    assert "band signs vs computed: 0 of 2 agree, 1 not tracked reliably (failed, not judged)" in text


def test_a_few_untracked_modes_are_named_next_to_a_judged_blue_fraction():
    record = copy.deepcopy(SYNTHETIC_RECORD)
    record["cases"]["blue_shift_fraction"]["tracking"] = _blue_tracking(0.013, True, 2)
    text = "\n".join(pressure_summary_lines(record))
    assert ("INS-weighted blue fraction: 0.73, needs >= 0.5; untracked: 1.3% of the INS weight in modes tracked "
            "with band overlap < 0.5 (allowed 10%), counted as neither blue nor red -> PASS") in text


def test_a_record_from_before_the_tracking_gate_says_it_was_not_checked():
    record = copy.deepcopy(SYNTHETIC_RECORD)
    for case in record["cases"].values():
        del case["tracking"]
    text = "\n".join(pressure_summary_lines(record))
    assert "(red; claim: red), tracking not checked (record made before the tracking gate; re-run it) -> PASS" in text
    assert "blue fraction: 0.73, needs >= 0.5, tracking not checked" in text
    assert "1 of 2 agree, 2 tracking not checked" in text


def test_missing_band_says_so():
    record = copy.deepcopy(SYNTHETIC_RECORD)
    record["cases"]["red_shift-453cm-1-vs-claim"]["band"] = {"position_cm1": None, "how": "no mode within 60 cm-1"}
    record["cases"]["red_shift-453cm-1-vs-claim"]["passed"] = False
    text = "\n".join(pressure_summary_lines(record))
    assert "no model mode found near it (no mode within 60 cm-1) -> FAIL" in text


def test_self_reference_flag_from_cases_or_merged_block():
    record = copy.deepcopy(SYNTHETIC_RECORD)
    assert not self_reference(record)
    record["cases"]["blue_shift_fraction"]["comparability"] = {"self_reference": True}
    assert self_reference(record)
    assert any("SELF-REFERENCE" in line for line in pressure_summary_lines(record))
    merged = copy.deepcopy(SYNTHETIC_RECORD)
    merged["comparability"]["self_reference"] = [False, True]  # cases disagree: merged block holds a list
    assert self_reference(merged)


def test_sensitivity_flip_is_flagged_with_spread():
    table = {"models": {"synthetic-model": {
        "red_shift_453_cm1": sensitivity_verdicts({"a": -2.2, "b": 3.5, "c": -0.4}, {"a": True, "b": False, "c": True}),
        "blue_fraction": sensitivity_verdicts({"a": 0.7, "b": 0.8}, {"a": True, "b": True}),
    }}}
    line = sensitivity_line("synthetic-model", table)
    assert "red_shift_453_cm1 STRUCTURE-SENSITIVE over 3 structures (-2.20..+3.50)" in line
    assert "blue_fraction stable over 2 structures (+0.70..+0.80)" in line
    assert "not assessed for other" in sensitivity_line("other", table)
    text = "\n".join(pressure_summary_lines(SYNTHETIC_RECORD, sensitivity=table))
    assert "STRUCTURE-SENSITIVE" in text


def test_band_assignment_falls_back_to_requested_label():
    assert band_assignment({"chosen_mode": 7, "candidates": [], "label": "ring out-of-plane"}) == "ring out-of-plane"
    assert band_assignment(None) is None


def test_empty_record_gives_header_and_no_crash():
    lines = pressure_summary_lines({"model": {"name": "m"}, "system": "s", "cases": {}})
    assert lines[0] == "m | s"
    assert len(lines) == 2  # header + sensitivity line


@given(st.floats(min_value=-1e3, max_value=1e3, allow_nan=False))
def test_shift_word_matches_sign(shift):
    word = shift_word(shift)
    if abs(shift) < SIGN_NOISE_CM1:
        assert word == "no shift"
    else:
        assert word == ("blue" if shift > 0 else "red")


def test_shift_word_none():
    assert shift_word(None) == "n/a"


@pytest.mark.parametrize("passes,flips", [({"a": True}, False), ({"a": True, "b": False}, True)])
def test_sensitivity_verdicts_flip(passes, flips):
    assert sensitivity_verdicts({k: 0.0 for k in passes}, passes)["flips"] is flips


def test_sensitivity_line_says_whether_the_band_kept_its_assignment_and_its_worst_overlap():
    kept = sensitivity_verdicts({"a": -3.9, "b": -13.0}, {"a": True, "b": True},
                                assignments={"a": "ring out-of-plane", "b": "ring out-of-plane"},
                                overlaps={"a": 1.0, "b": 0.84})
    changed = sensitivity_verdicts({"a": 13.2, "b": -5.0}, {"a": False, "b": True},
                                   assignments={"a": "C-H out-of-plane bend", "b": "ring out-of-plane"},
                                   overlaps={"a": 0.46, "b": None})
    assert kept["assignment_kept"] is True and kept["min_overlap"] == pytest.approx(0.84)
    assert changed["assignment_kept"] is False and changed["min_overlap"] == pytest.approx(0.46)
    line = sensitivity_line("m", {"models": {"m": {"red_shift_453_cm1": kept}}})
    assert "band kept as ring out-of-plane, tracking overlap >= 0.84" in line
    line = sensitivity_line("m", {"models": {"m": {"red_shift_453_cm1": changed}}})
    assert "STRUCTURE-SENSITIVE" in line
    assert "band assignment NOT kept (C-H out-of-plane bend / ring out-of-plane)" in line
    assert "tracking overlap >= 0.46" in line


def test_sensitivity_line_for_a_model_missing_from_the_table_names_the_models_it_has():
    table = {"models": {"a-model": {"blue_fraction": sensitivity_verdicts({"x": 0.6}, {"x": True})}}}
    assert "not assessed for other (the fixture's table has: a-model)" in sensitivity_line("other", table)


def test_sensitivity_line_counts_a_verdict_the_tracking_gate_refused():
    data = sensitivity_verdicts({"a": -10.3}, {"a": True, "b": False},
                                assignments={"a": "C-H out-of-plane bend", "b": "C-H out-of-plane bend"},
                                overlaps={"a": 0.90, "b": 0.46})
    line = sensitivity_line("m", {"models": {"m": {"red_shift_453_cm1": data}}})
    assert ("red_shift_453_cm1 STRUCTURE-SENSITIVE over 2 structures (-10.30..-10.30), not judged on 1 "
            "(not tracked: FAIL), band kept as C-H out-of-plane bend, tracking overlap >= 0.46") in line
    none_judged = sensitivity_verdicts({}, {"a": False, "b": False})
    line = sensitivity_line("m", {"models": {"m": {"blue_fraction": none_judged}}})
    assert "blue_fraction stable over 2 structures, not judged on 2 (not tracked: FAIL)" in line


SYNTHETIC_TABLE = {"default_candidate": "b", "models": {"m": {
    "red_shift_453_cm1": sensitivity_verdicts({"a": -32.62, "b": 22.99, "c": -6.86}, {"a": True, "b": False, "c": True,
                                                                                   "d": False}),
    "blue_fraction": sensitivity_verdicts({"a": 0.31, "b": 0.40}, {"a": False, "b": False}),
}, "n": {"blue_fraction": sensitivity_verdicts({"a": 0.5}, {"a": True})}}}


def test_sensitivity_block_of_a_flipping_band_verdict():
    block = sensitivity_block(SYNTHETIC_TABLE, "m", "red_shift_453_cm1", source="sys 9.0.0")
    assert block == {"assessed": True, "sensitive": True, "verdict": "red_shift_453_cm1", "models_in_table": ["m", "n"],
                     "source": "sys 9.0.0", "spread": {"min": -32.62, "max": 22.99, "unit": "cm-1"},
                     "n_structures": 4, "n_not_judged": 1, "n_passed": 2, "structures": ["a", "b", "c", "d"],
                     "default_structure": "b"}
    assert sensitivity_marker(block) == "structure-sensitive (-32.6..+23.0 cm-1 over 4 structures, not judged on 1)"


def test_a_stable_verdict_is_assessed_and_gets_no_marker():
    block = sensitivity_block(SYNTHETIC_TABLE, "m", "blue_fraction")
    assert block["assessed"] is True and block["sensitive"] is False
    assert block["spread"] == {"min": 0.31, "max": 0.40, "unit": "1"} and block["n_structures"] == 2
    assert sensitivity_marker(block) == ""


def test_fraction_marker_and_a_verdict_judged_on_no_structure():
    flipping = {"models": {"m": {"blue_fraction": sensitivity_verdicts({"a": 0.11, "b": 0.93},
                                                                        {"a": False, "b": True})}}}
    assert sensitivity_marker(sensitivity_block(flipping, "m", "blue_fraction")) == \
        "structure-sensitive (0.11..0.93 over 2 structures)"
    refused = {"models": {"m": {"blue_fraction": {**sensitivity_verdicts({}, {"a": False, "b": False}),
                                                  "flips": True}}}}
    block = sensitivity_block(refused, "m", "blue_fraction")
    assert block["spread"] is None and block["n_not_judged"] == 2
    assert sensitivity_marker(block) == "structure-sensitive (not judged on any of 2 structures)"


@pytest.mark.parametrize("table, model, verdict, reason", [
    (None, "m", "blue_fraction", "not assessed: the fixture ships no structure-sensitivity table"),
    (SYNTHETIC_TABLE, "other", "blue_fraction", "not assessed for other: the fixture's table has m, n"),
    (SYNTHETIC_TABLE, "n", "red_shift_453_cm1",
     "not assessed: the fixture's table has no red_shift_453_cm1 verdict for n"),
    (SYNTHETIC_TABLE, "m", None,
     "not assessed: sensitivity tables hold the claimed red-shift band and the blue fraction, not this check"),
])
def test_sensitivity_block_not_assessed_says_why(table, model, verdict, reason):
    block = sensitivity_block(table, model, verdict)
    assert block["assessed"] is False and block["sensitive"] is None and block["reason"] == reason
    assert sensitivity_marker(block) == ""


@pytest.mark.parametrize("check, target, name", [
    ("red_shift", 453.0, "red_shift_453_cm1"), ("red_shift", 612.5, "red_shift_612.5_cm1"),
    ("blue_shift_fraction", None, "blue_fraction"), ("band_sign", 453.0, None), ("red_shift", None, None)])
def test_sensitivity_verdict_names_match_the_table(check, target, name):
    assert sensitivity_verdict_name(check, target) == name
