"""Gamma modes read through the cache (workflows.modes_cache) on a toy LJ argon crystal (synthetic)."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk

from insbench.physics import phonons as ph
from insbench.workflows import modes_cache
from insbench.workflows.cache import Cache
from insbench.workflows.pressure import gamma_modes
from tests.physics.toy import argon_lj


@pytest.fixture(scope="module")
def phonopy_yaml(tmp_path_factory):
    atoms = bulk("Ar", "fcc", a=5.26, cubic=True)  # 4 atoms
    atoms.rattle(0.02, seed=3)  # no symmetry left: every mode distinct
    phonon = ph.make_phonopy(atoms, ph.PhononSettings(supercell_min_length_a=4.0))
    ph.produce_force_constants(phonon, ph.displaced_forces(phonon, argon_lj()))
    path = tmp_path_factory.mktemp("phonons") / "phonopy.yaml"
    ph.save_phonopy(phonon, path)
    return path


def _same(a, b) -> None:
    np.testing.assert_array_equal(a.frequencies_cm1, b.frequencies_cm1)
    np.testing.assert_array_equal(a.eigenvectors, b.eigenvectors)
    np.testing.assert_array_equal(a.atoms.numbers, b.atoms.numbers)
    np.testing.assert_array_equal(a.atoms.positions, b.atoms.positions)
    np.testing.assert_array_equal(np.asarray(a.atoms.cell), np.asarray(b.atoms.cell))
    np.testing.assert_array_equal(a.atoms.get_masses(), b.atoms.get_masses())
    assert a.atoms.pbc.all() and b.atoms.pbc.all()


def test_cached_modes_equal_the_parsed_ones_bit_for_bit(phonopy_yaml, tmp_path):
    direct = gamma_modes(phonopy_yaml)
    cache = Cache(tmp_path)
    first = modes_cache.cached_gamma_modes(cache, phonopy_yaml, "k" * 64)
    again = modes_cache.cached_gamma_modes(Cache(tmp_path), phonopy_yaml, "k" * 64)  # a new session
    _same(direct, first)
    _same(direct, again)
    assert direct.eigenvectors.dtype == again.eigenvectors.dtype


def test_a_cached_rerun_does_not_parse_phonopy_yaml(phonopy_yaml, tmp_path, monkeypatch):
    calls = []
    real = modes_cache.gamma_modes
    monkeypatch.setattr(modes_cache, "gamma_modes", lambda path: calls.append(path) or real(path))
    modes_cache.cached_gamma_modes(Cache(tmp_path), phonopy_yaml, "a" * 64)
    modes_cache.cached_gamma_modes(Cache(tmp_path), phonopy_yaml, "a" * 64)
    assert calls == [phonopy_yaml]
    modes_cache.cached_gamma_modes(Cache(tmp_path), phonopy_yaml, "b" * 64)  # another phonon entry
    assert len(calls) == 2
    modes_cache.cached_gamma_modes(Cache(tmp_path, enabled=False), phonopy_yaml, "a" * 64)  # --insbench-no-cache
    assert len(calls) == 3
