"""The one periodic molecule finder: covalent bonds and the molecules they make.

Two atoms are bonded when they are closer, in any periodic image, than ``scale`` x the
sum of their covalent radii (ASE's ``natural_cutoffs``, i.e. ``ase.data.covalent_radii``).
Molecules are the connected components of that bond graph. Used by the Gamma-point mode
analysis (:mod:`insbench.physics.modes`, scale 1.1) and by the MD stability checks
(:mod:`insbench.metrics.md_stability`, which compares bonds at the start and the end of
a run with a looser scale).

Pure functions over positions and cells; nothing here runs a calculator.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from ase import Atoms

#: The scale the mode analysis has always used: tight enough that no intermolecular contact
#: of the shipped crystals (shortest: H...H ~2.1 A, I...I ~3.8 A) is taken for a bond.
DEFAULT_BOND_SCALE = 1.1


def _atoms(atoms_or_positions, cell=None, pbc=None, numbers=None) -> Atoms:
    if isinstance(atoms_or_positions, Atoms):
        return atoms_or_positions
    return Atoms(numbers=np.asarray(numbers), positions=np.asarray(atoms_or_positions, dtype=float),
                 cell=np.asarray(cell, dtype=float), pbc=np.asarray(pbc, dtype=bool))


def bonds(atoms: Atoms, scale: float = DEFAULT_BOND_SCALE) -> set[tuple[int, int]]:
    """Bonded pairs ``(i, j)`` with ``i < j``: closer than ``scale`` x (r_cov(i) + r_cov(j)) in any image.

    A pair bonded through two different images is listed once. An atom bonded to its own
    periodic image (a chain along a short axis) gives no pair.
    """
    from ase.neighborlist import natural_cutoffs, neighbor_list

    if not scale > 0:
        raise ValueError(f"bond scale must be > 0, got {scale!r}")
    i, j = neighbor_list("ij", atoms, natural_cutoffs(atoms, mult=scale), self_interaction=False)
    keep = i < j
    return {(int(a), int(b)) for a, b in zip(i[keep], j[keep])}


def bonds_of_frame(positions: np.ndarray, cell: np.ndarray, pbc: Sequence[bool], numbers: np.ndarray,
                   scale: float = DEFAULT_BOND_SCALE) -> set[tuple[int, int]]:
    """:func:`bonds` of one trajectory frame given as arrays."""
    return bonds(_atoms(positions, cell, pbc, numbers), scale)


def components(n_atoms: int, bond_set: Sequence[tuple[int, int]] | set[tuple[int, int]]) -> list[np.ndarray]:
    """Connected components of the bond graph as sorted index arrays, ordered by their smallest atom."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    pairs = np.asarray(sorted(bond_set), dtype=int).reshape(-1, 2)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n_atoms, n_atoms))
    _, labels = connected_components(graph, directed=False)
    groups = [np.flatnonzero(labels == k) for k in np.unique(labels)]
    return sorted(groups, key=lambda g: int(g[0]))


def find_molecules(atoms: Atoms, scale: float = DEFAULT_BOND_SCALE) -> list[np.ndarray]:
    """Atom indices of each covalently bonded molecule, ordered by their smallest atom."""
    return components(len(atoms), bonds(atoms, scale))
