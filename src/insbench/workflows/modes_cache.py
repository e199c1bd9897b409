"""Gamma-point modes of a phonon cache entry, kept in the cache next to it.

The pressure analysis needs the Gamma modes of both relaxed structures. Reading them
from ``phonopy.yaml`` means parsing a 4 MB YAML file (force constants included) with
phonopy: about 3 s per file, most of a cached rerun of the pressure tests. The modes
are therefore a cache stage of their own (``gamma``), keyed by the phonon entry they
come from and fingerprinted by :mod:`insbench.physics.modes`; the entry stores the
arrays exactly (``.npz``), so a cold run and a cached rerun see the same numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from ase import Atoms

from insbench.environment import package_versions
from insbench.workflows.cache import Cache
from insbench.workflows.pressure import GammaModes, gamma_modes

GAMMA_STAGE = "gamma"
GAMMA_FILE = "gamma.npz"


def cached_gamma_modes(cache: Cache, phonopy_yaml: Path, phonon_key: str) -> GammaModes:
    """The Gamma modes of ``phonopy_yaml`` (the phonon entry with key ``phonon_key``), from the cache."""
    inputs = {"phonons": phonon_key, "versions": package_versions(("insbench", "phonopy"))}

    def build(out: Path, _work: Path) -> dict:
        modes = gamma_modes(phonopy_yaml)
        atoms = modes.atoms
        np.savez(out / GAMMA_FILE, numbers=atoms.numbers, cell=np.asarray(atoms.cell),
                 positions=atoms.positions, masses=atoms.get_masses(),
                 frequencies_cm1=modes.frequencies_cm1, eigenvectors=modes.eigenvectors)
        return {}

    hit = cache.get_or_create(GAMMA_STAGE, inputs, build)
    with np.load(hit.path / GAMMA_FILE) as data:
        atoms = Atoms(numbers=data["numbers"], cell=data["cell"], positions=data["positions"],
                      masses=data["masses"], pbc=True)
        return GammaModes(atoms, data["frequencies_cm1"], data["eigenvectors"])
