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

from insbench.metrics.md_stability import SEGMENTS, analyse_md, changed_bonds, check_names, judge_md, pair_distances, rdf
from insbench.metrics.md_tolerances import DriftTolerance, MDConfigError, load_md_config, parse_md_config
from insbench.physics import md as physics_md
from insbench.physics.md import MDSettings
from insbench.physics.molecules import bonds, find_molecules
from insbench.reference import load_fixture


def test_segment_codes_match_the_md_runner():
    assert SEGMENTS == physics_md.SEGMENTS


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
        found = find_molecules(atoms)
        assert len(found) == n and all(len(m) == 20 for m in found)
        assert len(bonds(atoms)) == 19 * n  # C6H14: 5 C-C + 14 C-H


def test_rdf_of_an_ideal_gas_is_one():
    rng = np.random.default_rng(0)
    cell = np.eye(3) * 12.0
    frames = rng.random((20, 300, 3)) @ cell
    r, g, count = rdf(frames, np.repeat(cell[None], 20, axis=0), (True,) * 3, np.full(300, 6), (6, 6), 5.0, 0.25)
    assert np.mean(g[r > 2.0]) == pytest.approx(1.0, abs=0.05)
    # the count is the number of pair distances below r_max: ~ N (N - 1) / 2 x (sphere / cell) per frame
    expected = 20 * 300 * 299 / 2 * (4 / 3 * np.pi * 5.0 ** 3) / 12.0 ** 3
    assert count == pytest.approx(expected, rel=0.05)


# -- whole runs ---------------------------------------------------------------------------
def _fake_result(positions: np.ndarray, cell, numbers, *, potential=None, settings=None):
    """A synthetic MD result: static frames, per-step series given or flat (made for these tests)."""
    settings = settings or MDSettings(temperature_k=300.0, equilibration_steps=10, nvt_steps=40, nve_steps=10,
                                      sample_every_steps=5, supercell_min_length_a=0.0)
    n = settings.total_steps
    frames = np.arange(0, n + 1, settings.sample_every_steps)
    segment = np.repeat([0, 1, 2], [settings.equilibration_steps, settings.nvt_steps, settings.nve_steps])
    return SimpleNamespace(
        settings=settings, numbers=np.asarray(numbers), masses=np.ones(len(numbers)), pbc=np.ones(3, bool),
        step_data={
            "potential_ev": np.zeros(n) if potential is None else potential,
            "total_ev": np.full(n, 1.0), "temperature_k": np.full(n, 300.0),
            "stress_gpa": np.zeros((n, 6)), "volume_a3": np.full(n, abs(np.linalg.det(cell))),
            "min_distance_a": np.full(n, 1.1), "segment": segment,
        },
        frame_data={"frame_step": frames, "positions_a": np.repeat(positions[None], len(frames), axis=0),
                    "cells_a": np.repeat(np.asarray(cell)[None], len(frames), axis=0)},
    )


WINDOWS = {"early_window_ps": (0.0, 0.01), "late_window_ps": (0.03, 0.04), "running_average_ps": 0.005}


def test_a_static_trajectory_scores_perfectly(hexane):
    analysis = analyse_md(_fake_result(hexane.positions, hexane.cell, hexane.numbers), **WINDOWS)
    s = analysis.scores
    assert s["completed_fraction"] == 1.0 and s["molecules_changed"] == 0
    for key in ("msd_a2[C]", "msd_a2[H]", "msd_slope_a2_per_ps[C]", "rdf_w1_a[C-H]", "pe_drift_ev_per_atom_ps",
                "stress_drift_gpa_per_ps[xy]", "nve_drift_mev_per_atom_ps", "temperature_deviation_fraction"):
        assert s[key] == pytest.approx(0.0, abs=1e-12), key
    assert set(s) == set(check_names(["C", "H"], ["C-C", "H-H", "C-H", "I-I"], nve=True, npt=False))
    assert analysis.rdf_sampling_w1["C-H"] == {"early": 0.0, "late": 0.0}
    assert analysis.notes["rdf_w1_a[C-H]"].startswith("sampling noise: W1 between the halves of each window 0 (early)")


@given(st.floats(-2.0, 2.0))
def test_potential_energy_drift_is_measured_per_atom_per_ps_after_equilibration(rate):
    """The equilibration segment (here a 5 eV/atom jump and a steep warm-up) is seen by no statistic."""
    settings = MDSettings(equilibration_steps=10, nvt_steps=40, nve_steps=10, sample_every_steps=5,
                          supercell_min_length_a=0.0)
    t = (np.arange(1, 61) - 10) * 1e-3
    potential = 2 * rate * t + 7.0
    potential[:10] = 10.0 + 300.0 * t[:10]  # warm-up: excluded
    positions = np.zeros((2, 3)) + [[0, 0, 0], [1.5, 1.5, 1.5]]
    result = _fake_result(positions, np.eye(3) * 5, [6, 6], potential=potential, settings=settings)
    analysis = analyse_md(result, **WINDOWS)
    assert analysis.scores["pe_drift_ev_per_atom_ps"] == pytest.approx(abs(rate), abs=1e-6)
    fit = analysis.drift["pe_drift_ev_per_atom_ps"]
    assert fit.n_points == 40 and fit.t_start_ps == pytest.approx(0.001) and fit.t_end_ps == pytest.approx(0.04)


def _drift_verdict(noise_amplitude: float, slope: float, floor: float = 0.001, min_tau_fs: float = 0.0):
    rng = np.random.default_rng(5)
    settings = MDSettings(equilibration_steps=10, nvt_steps=400, nve_steps=10, sample_every_steps=50,
                          supercell_min_length_a=0.0)
    t = (np.arange(1, settings.total_steps + 1) - 10) * 1e-3
    potential = 2 * (slope * t + noise_amplitude * rng.standard_normal(len(t)))  # 2 atoms: per atom = slope
    positions = np.zeros((2, 3)) + [[0, 0, 0], [1.5, 1.5, 1.5]]
    result = _fake_result(positions, np.eye(3) * 5, [6, 6], potential=potential, settings=settings)
    analysis = analyse_md(result, early_window_ps=(0.0, 0.1), late_window_ps=(0.3, 0.4), running_average_ps=0.01)
    tolerance = DriftTolerance("toy", "test", "pe_drift_ev_per_atom_ps", 3.0, floor, "eV/atom/ps", "test", min_tau_fs)
    return judge_md(analysis, {"pe_drift_ev_per_atom_ps": tolerance}).judgements["pe_drift_ev_per_atom_ps"], analysis


def test_a_drift_within_the_noise_of_the_run_passes_and_says_both_numbers():
    judgement, analysis = _drift_verdict(noise_amplitude=0.05, slope=0.02)  # stderr ~0.02 eV/atom/ps
    fit = analysis.drift["pe_drift_ev_per_atom_ps"]
    assert judgement.passed and judgement.threshold == pytest.approx(3 * fit.stderr)
    assert f"3 x stderr {fit.stderr:.3g}" in judgement.message and "floor 0.001" in judgement.message


def test_a_drift_beyond_the_noise_and_the_floor_fails():
    judgement, _ = _drift_verdict(noise_amplitude=0.0001, slope=0.02)
    assert not judgement.passed and "fail" in judgement.message


def test_a_declared_minimum_correlation_time_widens_the_error_of_white_noise():
    """White noise has tau_int = 1/2 step; declared >= 8 fs (8 steps) the stderr grows by sqrt(16)."""
    plain, analysis = _drift_verdict(noise_amplitude=0.01, slope=0.0)
    floored, _ = _drift_verdict(noise_amplitude=0.01, slope=0.0, min_tau_fs=8.0)
    fit = analysis.drift["pe_drift_ev_per_atom_ps"]
    assert fit.tau_points < 1.0
    assert floored.threshold == pytest.approx(3 * fit.naive_stderr * 4.0, rel=1e-6)
    assert "tau_int >= 8 fs" in floored.message and "tau_int" not in plain.message


def test_a_significant_but_physically_tiny_drift_passes_by_the_floor():
    judgement, analysis = _drift_verdict(noise_amplitude=0.00001, slope=0.0005)
    assert analysis.drift["pe_drift_ev_per_atom_ps"].slope > 10 * analysis.drift["pe_drift_ev_per_atom_ps"].stderr
    assert judgement.passed and judgement.threshold == 0.001


def test_a_broken_bond_is_reported_with_its_atoms(hexane):
    result = _fake_result(hexane.positions, hexane.cell, hexane.numbers)
    h = int(np.flatnonzero(hexane.numbers == 1)[0])
    moved = hexane.positions.copy()
    moved[h] += [0.0, 0.0, 1.0]  # pull one hydrogen 1 A off its carbon in the last frames
    result.frame_data["positions_a"][-3:] = moved
    analysis = analyse_md(result, **WINDOWS)
    assert analysis.scores["molecules_changed"] == 1
    assert f"H{h}" in analysis.notes["molecules_changed"] and "broken" in analysis.notes["molecules_changed"]


def test_bond_hysteresis_ignores_vibration_and_close_contacts():
    """C-C at 1.52 A (sum of radii 1.52): stretched to 1.25 x it is still a bond; a non-bonded
    C...C contact at 1.05 x is not a new bond; at 0.95 x it is (synthetic pairs)."""
    cell, pbc, numbers = np.eye(3) * 20.0, (True,) * 3, np.array([6, 6, 6, 6])

    def frame(stretch: float, contact: float) -> tuple[np.ndarray, np.ndarray]:
        return np.array([[0, 0, 0], [1.52 * stretch, 0, 0], [10, 0, 0], [10 + 1.52 * contact, 0, 0]]), cell

    start = {(0, 1)}
    assert changed_bonds([frame(1.25, 1.05)] * 3, pbc, numbers, start, break_scale=1.3, form_scale=1.0) == (set(), set())
    assert changed_bonds([frame(1.35, 0.95)] * 3, pbc, numbers, start, break_scale=1.3, form_scale=1.0) == (
        {(0, 1)}, {(2, 3)})
    # broken in only one of the last frames: a vibration, not a break
    frames = [frame(1.35, 1.5), frame(1.0, 1.5), frame(1.35, 1.5)]
    assert changed_bonds(frames, pbc, numbers, start, break_scale=1.3, form_scale=1.0) == (set(), set())


def _iodine_pair_result():
    """Two I atoms far apart in a big cell plus a hexane-like C-H pair: few I-I distances (synthetic)."""
    positions = np.array([[0.0, 0.0, 0.0], [5.0, 0.0, 0.0], [10.0, 10.0, 10.0], [11.09, 10.0, 10.0]])
    return _fake_result(positions, np.eye(3) * 20.0, [53, 53, 6, 1])


def test_an_rdf_pair_with_too_few_distances_is_not_judged_and_says_so():
    analysis = analyse_md(_iodine_pair_result(), **WINDOWS, rdf_min_pair_counts=50)
    assert analysis.rdf_pair_counts["I-I"] == {"early": 3, "late": 3}  # one I-I distance per frame, 3 frames each
    tolerances = load_md_config().tolerances_for("toy", "smoke")
    evaluation = judge_md(analysis, tolerances)
    assert "rdf_w1_a[I-I]" not in evaluation.judgements
    assert "3 I-I pair distances" in evaluation.not_judged["rdf_w1_a[I-I]"]
    assert "minimum 50" in evaluation.not_judged["rdf_w1_a[I-I]"]
    assert evaluation.summary_line().endswith("not judged: 3 pairs (C-C, H-H, I-I)") or \
        "I-I" in evaluation.summary_line()
    assert evaluation.statistics()["not_judged"] == evaluation.not_judged
    assert evaluation.notes["rdf_w1_a[I-I]"] == evaluation.not_judged["rdf_w1_a[I-I]"]  # records keep notes


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


def test_the_packaged_file_declares_every_metric_with_unit_and_rationale():
    config = load_md_config()
    assert set(config.levels) == {"smoke", "standard", "paper"}
    names = check_names(["I", "S", "C", "H"], config.analysis.rdf_pairs, nve=True, npt=True)
    declared = set(config.tolerances) | set(config.drift)
    for name in names:
        assert name.split("[")[0] in declared, name
    assert "rdf_w1_a[I-I]" in names and "msd_a2[S]" in names
    for level in config.levels:
        for tolerance in config.tolerances_for("diiodothiophene", level).values():
            assert tolerance.unit and tolerance.rationale and "PROVISIONAL" not in tolerance.rationale
    paper = config.level("paper")
    assert paper.early_window_ps == (0.1, 0.3) and paper.late_window_ps == (0.9, 1.0)


def test_levels_override_tolerances():
    config = load_md_config()
    smoke, standard = (config.tolerances_for("hexane", lvl) for lvl in ("smoke", "standard"))
    assert standard["rdf_w1_a"].threshold == config.tolerances["rdf_w1_a"].threshold
    assert standard["rdf_w1_a"].window == "standard" and standard["rdf_w1_a"].system == "hexane"
    assert isinstance(smoke["pe_drift_ev_per_atom_ps"], DriftTolerance)


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["tolerances"]["msd_a2"].pop("unit"), "tolerances.msd_a2.unit: Field required"),
    (lambda d: d["tolerances"]["msd_a2"].update(direction="below"), "direction"),
    (lambda d: d["drift"]["pe_drift_ev_per_atom_ps"].update(k_sigm=3.0), "did you mean 'k_sigma'"),
    (lambda d: d["analysis"].update(rdf_min_pair_count=5), "did you mean 'rdf_min_pair_counts'"),
    (lambda d: d["levels"]["smoke"].update(late_window_ps=[0.15, 0.1]), "0 <= start < end"),
    (lambda d: d["levels"]["smoke"].update(early_window_ps=[0.0, 0.12]), "ordered"),
    (lambda d: d["levels"]["smoke"].setdefault("tolerances", {}).update(nope={"threshold": 1.0, "rationale": "x"}),
     "nope"),
    (lambda d: d["levels"]["smoke"].setdefault("tolerances", {}).update(
        pe_drift_ev_per_atom_ps={"threshold": 1.0, "rationale": "x"}), "k_sigma and/or floor"),
    (lambda d: d["levels"].pop("paper"), "paper"),
    (lambda d: d.update(schema_version=2), "schema_version"),
    (lambda d: d["analysis"].update(bond_form_scale=1.2), "bond_form_scale < bond_scale < bond_break_scale"),
    (lambda d: d["analysis"].update(rdf_pairs=["C-Xx"]), "not an element pair"),
    (lambda d: d["tolerances"].update(pe_drift_ev_per_atom_ps=d["tolerances"]["msd_a2"]), "both"),
])
def test_a_malformed_file_names_the_offending_key(edit, message):
    data = _packaged()
    edit(data)
    with pytest.raises(MDConfigError, match=message) as error:
        parse_md_config(data, "test.toml")
    assert str(error.value).startswith("test.toml:")
