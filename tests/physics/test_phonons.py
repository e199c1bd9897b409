"""Finite-displacement phonons: supercell rule, checkpoint reuse, Gamma frequencies."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from insbench.physics import phonons as ph
from tests.physics.toy import argon_fcc, argon_lj


@given(
    lengths=st.tuples(*[st.floats(2.0, 20.0)] * 3),
    min_length=st.floats(1.0, 30.0),
)
def test_supercell_rule_is_the_smallest_that_reaches_the_length(lengths, min_length):
    cell = np.diag(lengths)
    repeats = ph.choose_supercell(cell, ph.PhononSettings(supercell_min_length_a=min_length))
    for n, width in zip(repeats, lengths):
        assert n * width >= min_length - 1e-6
        assert n == 1 or (n - 1) * width < min_length


def test_face_distances_of_a_sheared_cell():
    cell = np.array([[4.0, 0, 0], [2.0, 4.0, 0], [0, 0, 5.0]])
    assert ph.face_distances_a(cell) == pytest.approx([4.0 * 4.0 / np.hypot(2, 4), 4.0, 5.0])


def test_override_and_bad_override():
    assert ph.choose_supercell(np.eye(3), ph.PhononSettings(supercell_diagonal=(2, 1, 3))) == (2, 1, 3)
    with pytest.raises(ValueError, match="three positive integers"):
        ph.choose_supercell(np.eye(3), ph.PhononSettings(supercell_diagonal=(0, 1, 1)))


class _Counting:
    def __init__(self, calc):
        self.calc, self.calls = calc, 0

    def get_forces(self, atoms):
        self.calls += 1
        return self.calc.get_forces(atoms)


def test_forces_are_reused_after_an_interruption():
    settings = ph.PhononSettings(supercell_min_length_a=8.0)
    phonon = ph.make_phonopy(argon_fcc(), settings)
    calc = argon_lj()
    saved: list[np.ndarray] = []
    full = ph.displaced_forces(phonon, calc, checkpoint=lambda i, f: saved.append(f))
    assert len(saved) == len(full)
    # pretend the run stopped after the first supercell: the rest is recomputed, not the first
    phonon2 = ph.make_phonopy(argon_fcc(), settings)
    resumed = ph.displaced_forces(phonon2, calc, done=list(saved[0]))
    assert np.allclose(resumed, full)


def test_argon_gamma_modes_are_acoustic_and_stable(tmp_path):
    phonon = ph.make_phonopy(argon_fcc(), ph.PhononSettings(supercell_min_length_a=10.0))
    ph.produce_force_constants(phonon, ph.displaced_forces(phonon, argon_lj()))
    summary = ph.summarise(phonon, n_reused=0)
    assert summary.space_group.startswith("Fm-3m")
    assert np.allclose(summary.gamma_frequencies_cm1, 0.0, atol=0.5)
    ph.save_phonopy(phonon, tmp_path / "phonopy.yaml")
    force_constants = ph.load_force_constants(tmp_path)
    modes = force_constants.calculate_qpoint_phonon_modes(np.array([[0.5, 0.5, 0.5]]), asr="reciprocal")
    frequencies = modes.frequencies.to("1/cm").magnitude
    assert np.all(frequencies > 10) and np.all(frequencies < 100)  # argon zone-boundary modes ~ 30-70 cm-1
