"""MD stability metrics (pure numpy) and the MD tolerances file."""

from __future__ import annotations

import tomllib
from importlib import resources
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from insbench.metrics.md_stability import (
    analyse_md,
    bonds,
    check_names,
    judge_md,
    linear_slope,
    molecules,
    pair_distances,
    rdf,
    running_average,
    running_average_drift,
    wasserstein1,
)
from insbench.metrics.md_tolerances import MDConfigError, load_md_config, parse_md_config
from insbench.physics.md import MDSettings
from insbench.reference import load_fixture

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
series = arrays(np.float64, st.integers(3, 60), elements=finite)


# -- elementary statistics ---------------------------------------------------------------
@given(series, finite)
def test_slope_is_invariant_to_adding_a_constant(y, c):
    t = np.arange(len(y)) * 0.01
    assert linear_slope(t, y + c) == pytest.approx(linear_slope(t, y), abs=1e-6 * (1 + np.abs(y).max()) / 0.01)


@given(finite, st.integers(7, 100))
def test_drift_of_a_constant_series_is_zero(c, n):
    t = np.arange(n) * 0.001
    assert linear_slope(t, np.full(n, c)) == pytest.approx(0.0, abs=1e-9 * (1 + abs(c)) * 1e3)
    assert running_average_drift(t, np.full(n, c), 5, 0.0) == pytest.approx(0.0, abs=1e-9 * (1 + abs(c)) * 1e3)


@given(st.floats(-10, 10), st.floats(-10, 10), st.integers(1, 20))
def test_running_average_keeps_a_straight_line_slope(a, b, window):
    t = np.linspace(0, 1, 80)
    assert running_average_drift(t, a * t + b, window, 0.0) == pytest.approx(a, abs=1e-8)


@given(series, st.integers(1, 10))
def test_running_average_has_the_valid_length_and_is_bounded(y, window):
    avg = running_average(y, window)
    assert len(avg) == len(y) - min(window, len(y)) + 1
    assert (avg >= y.min() - 1e-6).all() and (avg <= y.max() + 1e-6).all()


@given(arrays(np.float64, 50, elements=st.floats(0, 10)))
def test_w1_of_identical_distributions_is_zero(p):
    x = np.arange(50) * 0.02
    if p.sum() > 0:
        assert wasserstein1(x, p, p) == pytest.approx(0.0, abs=1e-12)


def test_w1_of_a_shifted_peak_is_the_shift():
    x = np.arange(100) * 0.02
    p, q = np.zeros(100), np.zeros(100)
    p[20], q[27] = 1.0, 2.0
    assert wasserstein1(x, p, q) == pytest.approx(7 * 0.02)


# -- structure ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def hexane():
    return load_fixture("hexane").structure().atoms


def test_pair_distances_match_ase_neighbour_list(hexane):
    from ase.neighborlist import neighbor_list

    everyone = np.arange(len(hexane))
    _, _, d = pair_distances(hexane.positions, np.asarray(hexane.cell), hexane.pbc, everyone, everyone, 5.0)
    expected = neighbor_list("d", hexane, 5.0)  # lists each pair twice
    np.testing.assert_allclose(np.sort(np.repeat(d, 2)), np.sort(expected), atol=1e-10)


def test_hexane_has_one_molecule_per_cell_and_four_in_2x2x1(hexane):
    for repeat, n in (((1, 1, 1), 1), ((2, 2, 1), 4)):
        atoms = hexane.repeat(repeat)
        bond_set = bonds(atoms.positions, np.asarray(atoms.cell), atoms.pbc, atoms.numbers, 1.3)
        found = molecules(len(atoms), bond_set)
        assert len(found) == n and all(len(m) == 20 for m in found)
        assert len(bond_set) == 19 * n  # C6H14: 5 C-C + 14 C-H


def test_rdf_of_an_ideal_gas_is_one():
    rng = np.random.default_rng(0)
    cell = np.eye(3) * 12.0
    frames = rng.random((20, 300, 3)) @ cell
    r, g = rdf(frames, np.repeat(cell[None], 20, axis=0), (True,) * 3, np.full(300, 6), (6, 6), 5.0, 0.25)
    assert np.mean(g[r > 2.0]) == pytest.approx(1.0, abs=0.05)


# -- whole runs ---------------------------------------------------------------------------
def _fake_result(positions: np.ndarray, cell, numbers, *, potential=None, settings=None):
    settings = settings or MDSettings(temperature_k=300.0, nvt_steps=40, nve_steps=10, sample_every_steps=5,
                                      supercell_min_length_a=0.0)
    n = settings.total_steps
    frames = np.arange(0, n + 1, settings.sample_every_steps)
    return SimpleNamespace(
        settings=settings, numbers=np.asarray(numbers), masses=np.ones(len(numbers)), pbc=np.ones(3, bool),
        step_data={
            "potential_ev": np.zeros(n) if potential is None else potential,
            "total_ev": np.full(n, 1.0), "temperature_k": np.full(n, 300.0),
            "stress_gpa": np.zeros((n, 6)), "volume_a3": np.full(n, abs(np.linalg.det(cell))),
            "min_distance_a": np.full(n, 1.1), "segment": np.array([0] * settings.nvt_steps + [1] * settings.nve_steps),
        },
        frame_data={"frame_step": frames, "positions_a": np.repeat(positions[None], len(frames), axis=0),
                    "cells_a": np.repeat(np.asarray(cell)[None], len(frames), axis=0)},
    )


WINDOWS = {"early_window_ps": (0.005, 0.015), "late_window_ps": (0.03, 0.04), "running_average_ps": 0.005}


def test_a_static_trajectory_scores_perfectly(hexane):
    analysis = analyse_md(_fake_result(hexane.positions, hexane.cell, hexane.numbers), **WINDOWS)
    s = analysis.scores
    assert s["completed_fraction"] == 1.0 and s["molecules_changed"] == 0
    for key in ("msd_a2[C]", "msd_a2[H]", "msd_slope_a2_per_ps[C]", "rdf_w1_a[C-H]", "pe_drift_ev_per_atom_ps",
                "stress_drift_gpa_per_ps[xy]", "nve_drift_mev_per_atom_ps", "temperature_deviation_fraction"):
        assert s[key] == pytest.approx(0.0, abs=1e-12), key
    assert set(s) == set(check_names(["C", "H"], ["C-C", "H-H", "C-H", "I-I"], nve=True, npt=False))


@given(st.floats(-2.0, 2.0))
def test_potential_energy_drift_is_measured_per_atom_per_ps(rate):
    settings = MDSettings(nvt_steps=40, nve_steps=10, sample_every_steps=5, supercell_min_length_a=0.0)
    t = np.arange(1, 51) * 1e-3
    positions = np.zeros((2, 3)) + [[0, 0, 0], [1.5, 1.5, 1.5]]
    result = _fake_result(positions, np.eye(3) * 5, [6, 6], potential=2 * rate * t + 7.0, settings=settings)
    analysis = analyse_md(result, **WINDOWS)
    assert analysis.scores["pe_drift_ev_per_atom_ps"] == pytest.approx(abs(rate), abs=1e-6)


def test_a_broken_bond_is_reported_with_its_atoms(hexane):
    result = _fake_result(hexane.positions, hexane.cell, hexane.numbers)
    h = int(np.flatnonzero(hexane.numbers == 1)[0])
    moved = hexane.positions.copy()
    moved[h] += [0.0, 0.0, 1.0]  # pull one hydrogen 1 A off its carbon in the last frames
    result.frame_data["positions_a"][-3:] = moved
    analysis = analyse_md(result, **WINDOWS)
    assert analysis.scores["molecules_changed"] == 1
    assert f"H{h}" in analysis.notes["molecules_changed"]


def test_a_blow_up_fails_every_check_with_step_and_reason(hexane):
    analysis = analyse_md(_fake_result(hexane.positions, hexane.cell, hexane.numbers), **WINDOWS)
    tolerances = load_md_config().tolerances_for("hexane", "smoke")
    evaluation = judge_md(analysis, tolerances, blew_up_at_step=17, reason="temperature 2000 K")
    assert not evaluation.passed
    assert all("step 17" in j.message and "temperature 2000 K" in j.message
               for j in evaluation.judgements.values())


# -- the tolerances file ------------------------------------------------------------------
def _packaged() -> dict:
    return tomllib.loads(resources.files("insbench").joinpath("md_tolerances.toml").read_text())


def test_the_packaged_file_declares_every_metric_with_unit_direction_and_rationale():
    config = load_md_config()
    assert set(config.levels) == {"smoke", "standard", "paper"}
    names = check_names(["I", "S", "C", "H"], config.run["rdf_pairs"], nve=True, npt=True)
    for name in names:
        assert name.split("[")[0] in config.tolerances, name
    assert "rdf_w1_a[I-I]" in names and "msd_a2[S]" in names
    for threshold in config.tolerances.values():
        assert threshold.unit and threshold.direction in ("max", "min") and threshold.rationale
    paper = config.level("paper")
    assert paper.nvt_ps >= 1.0 and paper.early_window_ps == (0.1, 0.3) and paper.late_window_ps == (0.9, 1.0)


def test_levels_override_tolerances_and_systems_their_temperature():
    config = load_md_config()
    assert config.tolerances_for("hexane", "smoke")["pe_drift_ev_per_atom_ps"].threshold == 0.05
    standard = config.tolerances_for("hexane", "standard")["pe_drift_ev_per_atom_ps"]
    assert standard.threshold == 0.01 and standard.window == "standard" and standard.system == "hexane"
    assert config.temperature_k("hexane") == 150.0
    assert config.temperature_k("diiodothiophene") == 300.0


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["tolerances"]["msd_a2"].pop("unit"), "missing"),
    (lambda d: d["tolerances"]["msd_a2"].update(direction="below"), "direction"),
    (lambda d: d["levels"]["smoke"].update(late_window_ps=[0.15, 5.0]), "windows"),
    (lambda d: d["levels"]["smoke"]["tolerances"].update(nope={"threshold": 1.0}), "nope"),
    (lambda d: d["levels"].pop("paper"), "paper"),
    (lambda d: d.update(schema_version=2), "schema_version"),
])
def test_a_malformed_file_names_the_offending_key(edit, message):
    data = _packaged()
    edit(data)
    with pytest.raises(MDConfigError, match=message):
        parse_md_config(data, "test.toml")
