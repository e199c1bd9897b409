"""The MD runner: supercell rule, start, equilibration, determinism, resume, blow-up handling, persistence."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from insbench.models import GuardedCalculator, make_calculator
from insbench.physics.md import SEGMENTS, MDResult, MDSettings, build_supercell, choose_md_supercell, run_md
from insbench.physics.phonons import PhononSettings, choose_supercell
from insbench.reference import load_fixture
from tests.md_broken_calculators import ExplodingCalculator, NaNAfterCalculator, TetheredBondsCalculator

#: 1x1x1 hexane (20 atoms), a few dozen steps: fast with the toy calculators.
TINY = MDSettings(temperature_k=150.0, equilibration_steps=10, nvt_steps=20, nve_steps=10,
                  supercell_min_length_a=0.0, sample_every_steps=5)


@pytest.fixture(scope="module")
def hexane():
    return load_fixture("hexane").structure().atoms


def _same(a: MDResult, b: MDResult) -> None:
    for key in a.step_data:
        np.testing.assert_array_equal(a.step_data[key], b.step_data[key], err_msg=key)
    for key in a.frame_data:
        np.testing.assert_array_equal(a.frame_data[key], b.frame_data[key], err_msg=key)


def test_supercell_follows_the_phonon_minimum_length_rule(hexane):
    for length in (0.0, 7.5, 8.0, 10.0):
        assert choose_md_supercell(hexane.cell, length) == choose_supercell(
            np.asarray(hexane.cell), PhononSettings(supercell_min_length_a=length))
    assert choose_md_supercell(hexane.cell, 7.5) == (2, 2, 1)


def test_identical_seeds_give_identical_trajectories(hexane):
    first = run_md(hexane, TetheredBondsCalculator(), TINY)
    second = run_md(hexane, TetheredBondsCalculator(), TINY)
    assert first.steps == TINY.total_steps and not first.blew_up
    _same(first, second)
    other = run_md(hexane, TetheredBondsCalculator(), dataclasses.replace(TINY, seed=1))
    assert not np.array_equal(first.frame_data["positions_a"], other.frame_data["positions_a"])


def test_the_input_atoms_are_not_modified(hexane):
    before = hexane.copy()
    run_md(hexane, TetheredBondsCalculator(), dataclasses.replace(TINY, nvt_steps=3, nve_steps=0))
    np.testing.assert_array_equal(hexane.positions, before.positions)
    assert hexane.calc is None and not hexane.constraints


def test_records_every_step_and_the_sampled_frames(hexane):
    result = run_md(hexane, TetheredBondsCalculator(), TINY)
    assert result.step_data["stress_gpa"].shape == (40, 6)
    assert list(np.bincount(result.step_data["segment"])) == [10, 20, 10]  # equilibration, nvt, nve
    assert [SEGMENTS[k] for k in result.step_data["segment"][[0, 10, 30]]] == ["equilibration", "nvt", "nve"]
    # times count from the start of production NVT: the equilibration steps are at t <= 0
    assert result.time_ps[9] == pytest.approx(0.0) and result.time_ps[10] == pytest.approx(1e-3)
    assert result.frame_time_ps[0] == pytest.approx(-0.010) and result.frame_time_ps[2] == pytest.approx(0.0)
    assert list(result.frame_data["frame_step"]) == list(range(0, 41, 5))
    assert result.frame_data["positions_a"].shape == (9, 20, 3)
    assert result.provenance["seed"] == TINY.seed and result.supercell == (1, 1, 1)
    # NVT holds the temperature near its target; Langevin from a Maxwell-Boltzmann start
    assert 20 < result.step_data["temperature_k"].mean() < 400


def test_a_run_resumes_from_its_checkpoint_bit_for_bit(hexane, tmp_path):
    reference = run_md(hexane, TetheredBondsCalculator(), TINY)

    class Interrupting(TetheredBondsCalculator):
        calls = 0

        def calculate(self, *args, **kwargs):
            Interrupting.calls += 1
            if Interrupting.calls > 25:
                raise KeyboardInterrupt("simulated interruption")
            super().calculate(*args, **kwargs)

    with pytest.raises(KeyboardInterrupt):
        run_md(hexane, Interrupting(), TINY, checkpoint_dir=tmp_path, checkpoint_every_steps=10)
    fresh = TetheredBondsCalculator()  # the toy ties atoms to the first sites it sees: show it the start
    fresh.get_potential_energy(build_supercell(hexane, TINY)[0])
    resumed = run_md(hexane, fresh, TINY, checkpoint_dir=tmp_path, checkpoint_every_steps=10)
    assert resumed.resumed_from_step == 20  # the checkpoint 10 steps into production NVT
    _same(reference, resumed)


def test_velocities_start_at_twice_the_target_and_settle_near_it(hexane):
    """Equipartition: from the relaxed positions half of the 2T kinetic energy flows into the potential."""
    settings = dataclasses.replace(TINY, supercell_min_length_a=7.5, equilibration_steps=60, nvt_steps=60,
                                   nve_steps=0)
    result = run_md(hexane, TetheredBondsCalculator(), settings)
    temperature = result.step_data["temperature_k"]
    assert temperature[0] == pytest.approx(300.0, rel=0.2)  # 80 atoms: Maxwell-Boltzmann scatter ~9 %
    assert temperature[60:].mean() == pytest.approx(150.0, rel=0.2)
    at_target = run_md(hexane, TetheredBondsCalculator(), dataclasses.replace(settings, initial_temperature_factor=1.0))
    assert at_target.step_data["temperature_k"][:30].mean() < 0.8 * temperature[:30].mean()


def test_an_exploding_model_stops_the_run_with_step_and_reason(hexane):
    result = run_md(hexane, ExplodingCalculator(), dataclasses.replace(TINY, nvt_steps=200))
    assert result.blew_up and 0 < result.blew_up_at_step < 200
    assert result.steps == result.blew_up_at_step
    assert "temperature" in result.reason or "Angstrom apart" in result.reason
    assert result.frame_data["frame_step"][-1] == result.blew_up_at_step


def test_non_finite_output_stops_the_run(hexane):
    guarded = GuardedCalculator(NaNAfterCalculator(TetheredBondsCalculator(), 12), model_name="toy-nan")
    result = run_md(hexane, guarded, TINY)
    assert result.blew_up_at_step == 12
    assert "toy-nan" in result.reason and "energy" in result.reason
    unguarded = run_md(hexane, NaNAfterCalculator(TetheredBondsCalculator(), 12), TINY)
    assert unguarded.blew_up_at_step == 12 and "non-finite energy" in unguarded.reason


def test_npt_segment_runs_at_the_requested_pressure(hexane):
    settings = dataclasses.replace(TINY, nvt_steps=5, nve_steps=0, npt_steps=30, pressure_gpa=2.0,
                                   barostat_time_fs=50.0)
    result = run_md(hexane, TetheredBondsCalculator(k_tether_ev_a2=0.0), settings)
    assert not result.blew_up
    npt = result.segment_mask("npt")
    assert npt.sum() == 30
    volume = result.step_data["volume_a3"]
    assert volume[npt][-1] < volume[0]  # compressed: nothing but bonds resists 2 GPa
    assert not np.allclose(result.frame_data["cells_a"][-1], result.frame_data["cells_a"][0])


def test_result_round_trips_through_npz_and_writes_extxyz(hexane, tmp_path):
    import ase.io

    result = run_md(hexane, TetheredBondsCalculator(), TINY)
    result.save(tmp_path)
    loaded = MDResult.load(tmp_path)
    _same(result, loaded)
    assert loaded.settings == result.settings and loaded.supercell == result.supercell
    result.write_extxyz(tmp_path / "t.extxyz", every_frames=4)
    frames = ase.io.read(tmp_path / "t.extxyz", index=":")
    assert [f.info["step"] for f in frames] == [0, 20, 40]


@pytest.mark.slow  # ~10-30 s: loads the MACE model
def test_mace_tiny_trajectories_are_reproducible(hexane):
    from insbench.models import resolve_mlip

    calc = make_calculator(resolve_mlip("mace-tiny"))  # float64 MACE on CPU
    settings = dataclasses.replace(TINY, nvt_steps=4, nve_steps=2, sample_every_steps=2)
    first = run_md(hexane, calc, settings)
    second = run_md(hexane, calc, settings)
    for key in ("positions_a",):
        np.testing.assert_allclose(first.frame_data[key], second.frame_data[key], rtol=0, atol=1e-10)
    np.testing.assert_allclose(first.step_data["potential_ev"], second.step_data["potential_ev"],
                               rtol=0, atol=1e-10)
