"""Simulated TOSCA spectrum: kinematics, resolution, orders, on Lennard-Jones argon."""

from __future__ import annotations

import numpy as np
import pytest

from insbench.physics import phonons as ph
from insbench.physics.ins import INSSettings, InstrumentSpec, q_mesh, simulate_ins
from tests.physics.toy import argon_fcc, argon_lj


@pytest.fixture(scope="module")
def argon_force_constants(tmp_path_factory):
    phonon = ph.make_phonopy(argon_fcc(), ph.PhononSettings(supercell_min_length_a=10.0))
    ph.produce_force_constants(phonon, ph.displaced_forces(phonon, argon_lj()))
    directory = tmp_path_factory.mktemp("argon")
    ph.save_phonopy(phonon, directory / "phonopy.yaml")
    return ph.load_force_constants(directory)


def test_tosca_banks_come_from_resins():
    banks = {b.name: b for b in InstrumentSpec().bank_geometry()}
    assert banks["Backward"].angle_deg == pytest.approx(135.0, abs=0.1)
    assert banks["Forward"].angle_deg == pytest.approx(45.0)
    assert 3.0 < banks["Forward"].final_energy_mev < 4.0


def test_resolution_grows_with_energy_and_scales():
    energies = np.array([50.0, 500.0, 1500.0])
    sigma = InstrumentSpec().sigma_cm1(energies, "Backward")
    assert np.all(np.diff(sigma) > 0) and sigma[0] > 1.0
    wider = InstrumentSpec(width_scale=1.6).sigma_cm1(energies, "Backward")
    assert wider == pytest.approx(1.6 * sigma)


def test_q_mesh_respects_the_spacing():
    cell = np.diag([4.0, 8.0, 16.0])
    mesh = q_mesh(cell, 0.35)
    lengths = 2 * np.pi / np.array([4.0, 8.0, 16.0])
    assert all(length / n <= 0.35 for length, n in zip(lengths, mesh))


def test_argon_spectrum_has_fundamentals_and_overtones(argon_force_constants):
    # natural-argon rows carry no incoherent cross section in Sears (1992): use the total
    settings = INSSettings(temperature_k=10.0, energy_max_cm1=300.0, q_spacing_inv_a=0.3,
                           cross_section="scattering_cross_section")
    result = simulate_ins(argon_force_constants, settings)
    x, y = result.spectrum.energy_cm1, result.spectrum.intensity
    assert np.all(y >= -1e-12) and y.max() > 0
    assert result.n_imaginary_modes == 0
    order1 = result.components["Backward/order1"] + result.components["Forward/order1"]
    order2 = result.components["Backward/order2"] + result.components["Forward/order2"]
    mean1 = np.sum(x * order1) / np.sum(order1)
    mean2 = np.sum(x * order2) / np.sum(order2)
    assert 20 < mean1 < 80  # argon phonons
    assert mean2 == pytest.approx(2 * mean1, rel=0.25)  # two-phonon band sits at about twice
    assert np.allclose(order1 + order2, y)


def test_only_orders_one_and_two():
    with pytest.raises(ValueError, match="orders"):
        INSSettings(orders=(3,))
