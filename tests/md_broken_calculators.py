"""Toy ASE calculators for the MD stability tests (synthetic, for tests; not physics models).

Each builds its topology from the first structure it sees with a given number of atoms
(the relaxation start, then the MD supercell): covalent bonds (ASE natural cutoffs x 1.2)
with their rest lengths, and each atom's first position as a tether point.

* :class:`TetheredBondsCalculator` -- well behaved: stiff harmonic bonds plus a harmonic
  tether of every atom to its lattice site (an Einstein crystal of intact molecules).
* :class:`ExplodingCalculator` -- bonds with *negative* stiffness: the start is an unstable
  equilibrium, thermal noise grows exponentially and atoms are pushed apart (blows up).
* :class:`SoftCalculator` -- bonds 400 times too soft and no tethers or intermolecular
  cohesion: molecules fall apart and atoms wander (molecules break, the crystal melts).
* :class:`UntetheredCalculator` -- stiff bonds, no cohesion between molecules: intact
  molecules that drift away from their sites (the crystal melts, molecules survive).
* :class:`NaNAfterCalculator` -- a wrapped calculator whose energy becomes NaN after a
  number of calls (the guard turns it into NonFiniteOutputError).
"""

from __future__ import annotations

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes
from ase.neighborlist import natural_cutoffs, neighbor_list


def _pair_keys(i: np.ndarray, j: np.ndarray, shifts: np.ndarray, n: int) -> np.ndarray:
    """One integer per directed pair (i, j, image shift within +-7 cells)."""
    s = np.asarray(shifts, dtype=np.int64) + 7
    return ((np.asarray(i, np.int64) * n + j) * 15 + s[:, 0]) * 225 + s[:, 1] * 15 + s[:, 2]


class _Topology:
    def __init__(self, atoms: Atoms) -> None:
        cutoffs = natural_cutoffs(atoms, mult=1.2)
        i, j, shifts = neighbor_list("ijS", atoms, cutoffs)
        keep = i < j
        self.i, self.j, self.shifts = i[keep], j[keep], shifts[keep]
        self.r0 = self.lengths(atoms)[0]
        self.sites = atoms.positions.copy()
        n = len(atoms)
        self.bonded = np.union1d(_pair_keys(self.i, self.j, self.shifts, n),
                                 _pair_keys(self.j, self.i, -self.shifts, n))

    def lengths(self, atoms: Atoms) -> tuple[np.ndarray, np.ndarray]:
        d = atoms.positions[self.j] + self.shifts @ np.asarray(atoms.cell) - atoms.positions[self.i]
        return np.linalg.norm(d, axis=1), d


class TetheredBondsCalculator(Calculator):
    """Harmonic bonds, tethers and a soft repulsion (synthetic, for tests).

    E = sum_bonds k/2 (r - r0)^2 + sum_atoms k_tether/2 |x - x_site|^2
        + sum_non-bonded k_rep/2 (r_rep - r)^2 for r < r_rep  (and for any pair below r_core).
    """

    implemented_properties = ["energy", "free_energy", "forces", "stress"]

    def __init__(self, k_bond_ev_a2: float = 20.0, k_tether_ev_a2: float = 1.0,
                 k_repulsion_ev_a2: float = 10.0, r_repulsion_a: float = 1.5, r_core_a: float = 0.9) -> None:
        super().__init__()
        self.k_bond = k_bond_ev_a2
        self.k_tether = k_tether_ev_a2
        self.k_rep = k_repulsion_ev_a2
        self.r_rep = r_repulsion_a
        self.r_core = r_core_a
        self._topologies: dict[int, _Topology] = {}

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        topo = self._topologies.setdefault(len(self.atoms), _Topology(self.atoms))
        r, d = topo.lengths(self.atoms)
        stretch = r - topo.r0
        energy = 0.5 * self.k_bond * float((stretch ** 2).sum())
        de_dr = self.k_bond * stretch
        pair_force = (de_dr / r)[:, None] * d  # force on i is +pair_force, on j is -pair_force
        forces = np.zeros_like(self.atoms.positions)
        np.add.at(forces, topo.i, pair_force)
        np.add.at(forces, topo.j, -pair_force)
        if self.k_tether:
            offset = self.atoms.positions - topo.sites
            energy += 0.5 * self.k_tether * float((offset ** 2).sum())
            forces -= self.k_tether * offset
        virial = ((de_dr / r)[:, None, None] * d[:, :, None] * d[:, None, :]).sum(axis=0)
        if self.k_rep:
            i, j, shifts, dist, vec = neighbor_list("ijSdD", self.atoms, self.r_rep)
            free = ~np.isin(_pair_keys(i, j, shifts, len(self.atoms)), topo.bonded)
            # non-bonded pairs repel below r_rep; every pair (bonded too) below r_core
            reach = np.where(free, self.r_rep, self.r_core)
            overlap = np.maximum(reach - dist, 0.0)
            energy += 0.25 * self.k_rep * float((overlap ** 2).sum())  # each pair is listed twice
            de_dr_rep = -self.k_rep * overlap
            np.add.at(forces, i, 0.5 * (de_dr_rep / dist)[:, None] * vec)
            np.add.at(forces, j, -0.5 * (de_dr_rep / dist)[:, None] * vec)
            virial += 0.5 * ((de_dr_rep / dist)[:, None, None] * vec[:, :, None] * vec[:, None, :]).sum(axis=0)
        stress = virial / self.atoms.get_volume()
        self.results = {
            "energy": energy,
            "free_energy": energy,
            "forces": forces,
            "stress": stress.flat[[0, 4, 8, 5, 2, 1]],
        }


class ExplodingCalculator(TetheredBondsCalculator):
    """Bonds with negative stiffness and no tethers: the crystal explodes (synthetic, for tests)."""

    def __init__(self) -> None:
        super().__init__(k_bond_ev_a2=-20.0, k_tether_ev_a2=0.0)


class SoftCalculator(TetheredBondsCalculator):
    """Bonds 400 x too soft, nothing else: molecules break and atoms wander (synthetic, for tests)."""

    def __init__(self) -> None:
        super().__init__(k_bond_ev_a2=0.05, k_tether_ev_a2=0.0)


class UntetheredCalculator(TetheredBondsCalculator):
    """Stiff bonds, no cohesion between molecules: intact molecules drift (synthetic, for tests)."""

    def __init__(self) -> None:
        super().__init__(k_bond_ev_a2=20.0, k_tether_ev_a2=0.0)


class NaNAfterCalculator(Calculator):
    """``calc``'s results, with a NaN energy from call ``after_calls`` on (synthetic, for tests)."""

    implemented_properties = ["energy", "free_energy", "forces", "stress"]

    def __init__(self, calc: Calculator, after_calls: int) -> None:
        super().__init__()
        self.calc = calc
        self.after_calls = after_calls
        self.calls = 0

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        self.calls += 1
        self.calc.calculate(self.atoms, ["energy", "forces", "stress"], all_changes)
        self.results = dict(self.calc.results)
        if self.calls > self.after_calls:
            self.results["energy"] = float("nan")
            self.results["free_energy"] = float("nan")
