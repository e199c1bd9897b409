"""Toy crystals with analytic potentials for fast physics tests (synthetic, not reference data)."""

from __future__ import annotations

from ase.build import bulk
from ase.calculators.lj import LennardJones


def argon_fcc(a: float = 5.26):
    """fcc argon (primitive cell, 1 atom) near the LJ minimum."""
    return bulk("Ar", "fcc", a=a)


def argon_lj() -> LennardJones:
    """Lennard-Jones argon (epsilon 10.4 meV, sigma 3.40 Angstrom), smoothly cut off."""
    return LennardJones(epsilon=0.0104, sigma=3.40, rc=8.5, smooth=True)
