"""Relaxation under pressure and in a fixed cell, on Lennard-Jones argon."""

from __future__ import annotations

import numpy as np
import pytest
from ase.calculators.calculator import Calculator, all_changes

from insbench.physics.relax import RelaxationError, RelaxSettings, relax
from tests.physics.toy import argon_fcc, argon_lj


def test_cell_relaxation_reaches_zero_stress_and_leaves_input_alone():
    atoms = argon_fcc(a=5.4)
    before = atoms.copy()
    result = relax(atoms, argon_lj(), RelaxSettings(cell_mode="relaxed-cell", fmax_ev_a=1e-3))
    assert result.converged
    assert np.allclose(atoms.cell, before.cell) and np.allclose(atoms.positions, before.positions)
    assert max(abs(s) for s in result.stress_gpa[:3]) < 0.01
    assert result.volume_change_percent < 0  # 5.4 A is beyond the LJ minimum


def test_pressure_shrinks_the_cell():
    low = relax(argon_fcc(), argon_lj(), RelaxSettings(pressure_gpa=0.0))
    high = relax(argon_fcc(), argon_lj(), RelaxSettings(pressure_gpa=1.5))
    assert high.volume_a3 < low.volume_a3
    # at 1.5 GPa the stress (ASE sign: tensile positive) balances the pressure
    assert np.mean(high.stress_gpa[:3]) == pytest.approx(-1.5, abs=0.02)


def test_measured_cell_mode_keeps_the_cell():
    atoms = argon_fcc(a=5.4)
    atoms.rattle(0.0, seed=1)
    result = relax(atoms, argon_lj(), RelaxSettings(cell_mode="measured-cell"))
    assert np.allclose(result.atoms.cell, atoms.cell)
    assert result.volume_change_percent == pytest.approx(0.0)


def test_measured_cell_at_another_pressure_is_refused():
    with pytest.raises(ValueError, match="measured at one pressure"):
        RelaxSettings(cell_mode="measured-cell", pressure_gpa=1.5)


class _Swelling(Calculator):
    """Synthetic: a strong outward pressure, like a molecular crystal without dispersion."""

    implemented_properties = ["energy", "forces", "stress"]

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        n = len(self.atoms)
        self.results = {
            "energy": -0.05 * self.atoms.get_volume(),
            "forces": np.zeros((n, 3)),
            "stress": np.array([0.05, 0.05, 0.05, 0, 0, 0]),
        }


def test_swelling_cell_is_stopped_with_advice():
    with pytest.raises(RelaxationError, match=r"\+d3"):
        relax(argon_fcc(), _Swelling(), RelaxSettings(max_steps=200, max_volume_change_percent=40))
