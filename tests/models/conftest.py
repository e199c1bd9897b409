"""Fixtures and test-only calculators for tests of :mod:`insbench.models`.

Slow tests (real universal models: SevenNet-0, CHGNet, GFN2-xTB) carry the
``slow`` marker; deselect them with ``-m "not slow"``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes

REPO = Path(__file__).resolve().parents[2]
@pytest.fixture(scope="session")
def hexane() -> Atoms:
    """The 20-atom hexane crystal cell (C6H14, triclinic, one molecule per cell), from the
    shipped ``hexane`` reference fixture."""
    from insbench.reference import load_fixture

    return load_fixture("hexane").structure().atoms


@pytest.fixture
def small_cell() -> Atoms:
    """A tiny periodic C/H cell for fast calculator plumbing tests (synthetic)."""
    atoms = Atoms(
        "CH4",
        positions=[[0, 0, 0], [0.63, 0.63, 0.63], [-0.63, -0.63, 0.63],
                   [-0.63, 0.63, -0.63], [0.63, -0.63, -0.63]],
        cell=[[6.0, 0.0, 0.0], [0.5, 6.2, 0.0], [0.3, 0.2, 6.5]],
        pbc=True,
    )
    atoms.positions += 3.0
    atoms.info["label"] = "methane-in-a-box"
    return atoms


class ConstantCalculator(Calculator):
    """Test-only calculator: energy 1 eV, zero forces and stress; optional faults."""

    implemented_properties = ["energy", "free_energy", "forces", "stress"]

    def __init__(self, *, nan_atoms: int = 0, nan_energy: bool = False,
                 mutate: bool = False, forces_shape: tuple[int, ...] | None = None) -> None:
        super().__init__()
        self.nan_atoms = nan_atoms
        self.nan_energy = nan_energy
        self.mutate = mutate
        self.forces_shape = forces_shape

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        if self.mutate and atoms is not None:
            atoms.positions[0] += 0.1  # the fault under test: writes to the caller's atoms
        super().calculate(atoms, properties, system_changes)
        n = len(self.atoms)
        forces = np.zeros(self.forces_shape or (n, 3))
        forces[: self.nan_atoms] = np.nan
        self.results = {
            "energy": float("nan") if self.nan_energy else 1.0,
            "free_energy": 1.0,
            "forces": forces,
            "stress": np.zeros(6),
        }


@pytest.fixture
def fake_calculator() -> type[ConstantCalculator]:
    """The test-only :class:`ConstantCalculator` class (construct it with the fault you need)."""
    return ConstantCalculator
