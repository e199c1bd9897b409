"""The tracking gate in front of the pressure verdicts (workflows/evaluate_pressure.py), on
SYNTHETIC analyses (tests/workflows/pressure_synthetic.py; no model was run)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from insbench.metrics import load_thresholds
from insbench.workflows.evaluate_pressure import PressureItem, judge_pressure_item
from insbench.workflows.pressure import choose_band

from .pressure_synthetic import BAND_453, FREQUENCIES_CM1, unconverged, well_tracked

WINDOW = (10.0, 1200.0)
RED = PressureItem("red_shift", 453.0, "ring out-of-plane", "claim")
BLUE = PressureItem("blue_shift_fraction")


@pytest.fixture(scope="module")
def thresholds():
    return load_thresholds()


def _shifts(band_453: float, others: float = 4.0) -> np.ndarray:
    shifts = np.full(FREQUENCIES_CM1.size, others)
    shifts[BAND_453] = band_453
    return shifts


def _overlaps(band_453: float, others: float = 0.97) -> np.ndarray:
    overlaps = np.full(FREQUENCIES_CM1.size, others)
    overlaps[BAND_453] = band_453
    return overlaps


def test_the_unconverged_796_cm1_shift_at_overlap_018_fails_saying_it_is_not_tracked(thresholds):
    """The reported case: a +796 cm-1 "shift" of the 453 band at overlap 0.18 was judged."""
    analysis = unconverged(_overlaps(0.18), _shifts(+796.0))
    for item, metric in ((RED, "red_shift_cm1"),
                         (PressureItem("band_sign", 453.0, "ring out-of-plane", "computed", -2.0),
                          "band_shift_along_reference_cm1"),
                         (PressureItem("band_sign", 453.0, "ring out-of-plane", "computed", +2.0),
                          "band_shift_along_reference_cm1")):
        verdict = judge_pressure_item(analysis, item, thresholds, "diiodothiophene", WINDOW)
        message = verdict.judgement.message
        assert not verdict.judgement.passed and verdict.judgement.metric == metric
        assert verdict.value is None and math.isnan(verdict.judgement.value)  # never judged, also not by a gate
        assert verdict.judgement.to_dict()["value"] is None
        assert "not tracked reliably" in message and "overlap 0.18 < minimum 0.5" in message
        assert "+796.0 cm-1" in message and "[diiodothiophene.pressure.tracking_overlap]" in message
        assert "tighten the relaxation" in message and "check the structure" in message
        assert verdict.band.chosen_mode == BAND_453 and verdict.band.tracking_overlap == pytest.approx(0.18)
        tracking = verdict.tracking
        assert tracking["overlap"] == pytest.approx(0.18) and tracking["min_overlap"] == 0.5
        assert tracking["gate"]["passed"] is False and tracking["untrusted_value"] is not None


def test_a_well_tracked_band_is_judged_as_before(thresholds):
    analysis = well_tracked(_shifts(-5.0))
    verdict = judge_pressure_item(analysis, RED, thresholds, "diiodothiophene", WINDOW)
    assert verdict.judgement.passed and verdict.value == pytest.approx(-5.0, abs=1e-9)
    assert verdict.tracking["gate"]["passed"] and verdict.tracking["overlap"] > 0.99
    assert "tracked to 1.5 GPa with overlap 1.00" in verdict.band.how
    blue = judge_pressure_item(analysis, PressureItem("band_sign", 453.0, "ring out-of-plane", "computed", +3.0),
                               thresholds, "diiodothiophene", WINDOW)
    assert not blue.judgement.passed and blue.value == pytest.approx(-5.0, abs=1e-9)  # wrong sign, judged
    assert "not judged" not in blue.judgement.message


def test_a_blue_shift_at_good_overlap_is_judged_red_fails_normally(thresholds):
    """Calibration of the gate: a tracked band keeps its real verdict, pass or fail."""
    verdict = judge_pressure_item(well_tracked(_shifts(+6.0)), RED, thresholds, "diiodothiophene", WINDOW)
    assert not verdict.judgement.passed and verdict.value == pytest.approx(6.0, abs=1e-9)
    assert verdict.judgement.message == "red_shift_cm1 = 6 cm-1 > -0.1 cm-1 (fail, margin -6.1)"


def test_the_overlap_minimum_is_a_sharp_edge(thresholds):
    at = judge_pressure_item(unconverged(_overlaps(0.5), _shifts(-3.0)), RED, thresholds, "diiodothiophene", WINDOW)
    below = judge_pressure_item(unconverged(_overlaps(0.499), _shifts(-3.0)), RED, thresholds, "diiodothiophene",
                                WINDOW)
    assert at.judgement.passed and at.value == pytest.approx(-3.0)
    assert not below.judgement.passed and below.value is None


def test_blue_fraction_excludes_untracked_modes_and_fails_when_they_carry_too_much_weight(thresholds):
    # all 18 modes lie in the window; equal weights
    overlaps = _overlaps(0.18)
    overlaps[3] = 0.2
    weights = np.ones(FREQUENCIES_CM1.size)
    analysis = unconverged(overlaps, _shifts(+796.0, others=+4.0), weights)
    verdict = judge_pressure_item(analysis, BLUE, thresholds, "diiodothiophene", WINDOW)
    fraction = verdict.tracking["blue_fraction"]
    assert fraction["n_untracked"] == 2 and fraction["untracked_weight_fraction"] == pytest.approx(2 / 18)
    # 2/18 = 11.1 % > 10 %: not judged, whatever the tracked modes say
    assert not verdict.judgement.passed and verdict.value is None
    assert verdict.tracking["gate"]["passed"] is False
    message = verdict.judgement.message
    assert "11.1% of the INS weight" in message and "allowed 10%" in message and "from 0.89 to 1.00" in message
    assert "[diiodothiophene.pressure.untracked_weight_fraction]" in message and "tighten the relaxation" in message

    overlaps[3] = 0.97  # one untracked mode (5.6 %): judged, and it does not count as blue
    verdict = judge_pressure_item(unconverged(overlaps, _shifts(+796.0, others=+4.0), weights), BLUE, thresholds,
                                  "diiodothiophene", WINDOW)
    assert verdict.judgement.passed and verdict.value == pytest.approx(17 / 18)
    assert "1 untracked mode(s) (5.6% of the INS weight" in verdict.judgement.message
    assert verdict.tracking["gate"]["passed"]


def test_untracked_modes_never_help_a_blue_fraction_pass(thresholds):
    # 18 modes, alternately blue and red; modes 0 (blue) and 1 (red) carry half weight (total 17)
    weights = np.ones(FREQUENCIES_CM1.size)
    weights[:2] = 0.5
    shifts = np.where(np.arange(18) % 2 == 0, 4.0, -4.0)
    overlaps = np.full(18, 0.97)
    overlaps[1] = 0.3  # the red mode 1 is untracked: 8.5 of 17 is blue and tracked -> 0.5, passes
    verdict = judge_pressure_item(unconverged(overlaps, shifts, weights), BLUE, thresholds, "diiodothiophene",
                                  WINDOW)
    assert verdict.value == pytest.approx(0.5) and verdict.judgement.passed
    overlaps[0] = 0.3  # the blue mode 0 is untracked too (5.9 %): true fraction 8/17..9/17, judged 8/17 -> fails
    verdict = judge_pressure_item(unconverged(overlaps, shifts, weights), BLUE, thresholds, "diiodothiophene",
                                  WINDOW)
    assert verdict.value == pytest.approx(8 / 17) and not verdict.judgement.passed
    assert verdict.tracking["blue_fraction"]["upper"] == pytest.approx(9 / 17)


def test_blue_fraction_of_a_well_tracked_pair_equals_the_plain_fraction(thresholds):
    shifts = _shifts(-5.0, others=+4.0)
    shifts[:4] = -1.0
    verdict = judge_pressure_item(well_tracked(shifts), BLUE, thresholds, "diiodothiophene", WINDOW)
    weights = np.linspace(1.0, 2.0, FREQUENCIES_CM1.size)  # the synthetic INS weights; all modes in the window
    assert verdict.tracking["blue_fraction"]["n_untracked"] == 0
    assert verdict.value == pytest.approx(weights[shifts > 0].sum() / weights.sum())
    assert verdict.judgement.passed and "untracked" not in verdict.judgement.message


def test_band_choice_is_not_swapped_for_a_better_tracked_neighbour():
    """The choice reads the ambient spectrum only; the gate (not the choice) handles tracking."""
    analysis = unconverged(_overlaps(0.18), _shifts(+796.0))
    band = choose_band(analysis, 453.0, label="ring out-of-plane")
    assert band.chosen_mode == BAND_453 and band.tracking_overlap == pytest.approx(0.18)
    assert {c["mode"]: c["overlap"] for c in band.candidates}[BAND_453] == pytest.approx(0.18)


def test_a_new_system_is_gated_by_the_default_and_says_where_the_minimum_came_from(thresholds):
    verdict = judge_pressure_item(unconverged(_overlaps(0.18), _shifts(+796.0)), RED, thresholds,
                                  "a-new-system", WINDOW)
    assert not verdict.judgement.passed and "[default_pressure.tracking_overlap]" in verdict.judgement.message


@settings(max_examples=60, deadline=None)
@given(st.floats(0.0, 1.0), st.floats(-900.0, 900.0))
def test_no_band_below_the_minimum_is_ever_judged(overlap, shift):
    verdict = judge_pressure_item(unconverged(_overlaps(overlap), _shifts(shift)), RED, load_thresholds(),
                                  "diiodothiophene", WINDOW)
    if overlap < 0.5:
        assert not verdict.judgement.passed and verdict.value is None
    else:
        assert verdict.judgement.passed == (shift <= -0.1) and verdict.value == pytest.approx(shift)
