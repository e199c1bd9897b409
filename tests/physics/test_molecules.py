"""The one periodic molecule finder (insbench.physics.molecules) on the shipped crystals."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms

from insbench.physics.molecules import bonds, bonds_of_frame, components, find_molecules
from insbench.reference import load_fixture


@pytest.mark.parametrize("system, version, per_cell, size",
                         [("hexane", None, 1, 20), ("diiodothiophene", "1.0.0", 4, 9)])
def test_molecules_of_the_shipped_cells_and_supercells(system, version, per_cell, size):
    atoms = load_fixture(system, version).structure().atoms
    for repeat in ((1, 1, 1), (2, 2, 1)):
        found = find_molecules(atoms.repeat(repeat))
        assert len(found) == per_cell * int(np.prod(repeat)) and all(len(m) == size for m in found)


def test_the_iodine_contact_of_diiodothiophene_is_not_a_bond():
    """I...I 3.35 A = 1.2 x the covalent sum: a bond at scale 1.3, not at the house 1.1."""
    atoms = load_fixture("diiodothiophene", "1.0.0").structure().atoms.repeat((2, 2, 1))
    assert len(find_molecules(atoms, 1.1)) == 16
    assert len(find_molecules(atoms, 1.3)) < 16


def test_a_molecule_across_the_cell_boundary_is_one_molecule():
    h2 = Atoms("HH", positions=[[0.1, 0, 0], [4.9, 0, 0]], cell=[5, 5, 5], pbc=True)  # 0.2 A apart via the image
    assert bonds(h2) == {(0, 1)} and [list(m) for m in find_molecules(h2)] == [[0, 1]]
    h2.pbc = False
    assert bonds(h2) == set() and len(find_molecules(h2)) == 2


def test_frame_arrays_give_the_same_bonds_as_atoms():
    atoms = load_fixture("hexane").structure().atoms
    assert bonds_of_frame(atoms.positions, atoms.cell, atoms.pbc, atoms.numbers) == bonds(atoms)
    assert [list(c) for c in components(4, {(0, 2), (1, 3)})] == [[0, 2], [1, 3]]
    with pytest.raises(ValueError, match="scale"):
        bonds(atoms, 0.0)
