"""A relaxation checkpoints every step and, interrupted, resumes to the same result."""

from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from ase.calculators.calculator import Calculator, all_changes

from insbench.physics.relax import RelaxationError, RelaxSettings, relax
from tests.physics.toy import argon_lj


def _start():
    """Synthetic: a rattled, strained 4-atom argon cell that takes tens of steps to relax."""
    atoms = bulk("Ar", "fcc", a=5.6, cubic=True)
    atoms.rattle(0.05, seed=3)
    atoms.set_cell(atoms.cell * [1.0, 1.03, 0.98], scale_atoms=True)
    return atoms


class _Interrupting(Calculator):
    """Wraps a calculator and raises KeyboardInterrupt at its ``stop_at``-th call (like Ctrl-C)."""

    implemented_properties = ["energy", "forces", "stress"]

    def __init__(self, inner: Calculator, stop_at: int) -> None:
        super().__init__()
        self.inner, self.stop_at, self.calls = inner, stop_at, 0

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        self.calls += 1
        if self.calls == self.stop_at:
            raise KeyboardInterrupt
        self.inner.calculate(self.atoms, ["energy", "forces", "stress"], all_changes)
        self.results = dict(self.inner.results)


@pytest.mark.parametrize("optimizer", ["BFGS", "FIRE"])
@pytest.mark.parametrize("cell_mode, keep_symmetry", [("relaxed-cell", False), ("relaxed-cell", True),
                                                      ("measured-cell", False)])
def test_interrupted_relaxation_resumes_to_the_same_result(tmp_path, optimizer, cell_mode, keep_symmetry):
    settings = RelaxSettings(cell_mode=cell_mode, optimizer=optimizer, keep_symmetry=keep_symmetry,
                             fmax_ev_a=1e-4, max_steps=400)
    whole = relax(_start(), argon_lj(), settings)
    assert whole.converged and whole.n_steps > 12
    checkpoint = tmp_path / "relax.npz"
    with pytest.raises(KeyboardInterrupt):
        relax(_start(), _Interrupting(argon_lj(), stop_at=whole.n_steps // 2), settings, checkpoint=checkpoint)
    assert checkpoint.is_file()
    resumed = relax(_start(), argon_lj(), settings, checkpoint=checkpoint)
    assert resumed.resumed_from_step > 0 and whole.resumed_from_step == 0
    assert resumed.n_steps == whole.n_steps
    assert np.allclose(resumed.atoms.positions, whole.atoms.positions, rtol=0, atol=1e-10)
    assert np.allclose(resumed.atoms.cell, whole.atoms.cell, rtol=0, atol=1e-10)
    assert resumed.energy_ev == pytest.approx(whole.energy_ev, abs=1e-12)


def test_max_steps_counts_steps_before_and_after_the_resume(tmp_path):
    settings = RelaxSettings(keep_symmetry=False, fmax_ev_a=1e-6, max_steps=10)
    checkpoint = tmp_path / "relax.npz"
    with pytest.raises(KeyboardInterrupt):
        relax(_start(), _Interrupting(argon_lj(), stop_at=6), settings, checkpoint=checkpoint)
    resumed = relax(_start(), argon_lj(), settings, checkpoint=checkpoint)
    assert resumed.n_steps == 10 and not resumed.converged


def test_checkpoint_of_another_structure_is_refused(tmp_path):
    settings = RelaxSettings(keep_symmetry=False)
    checkpoint = tmp_path / "relax.npz"
    with pytest.raises(KeyboardInterrupt):
        relax(_start(), _Interrupting(argon_lj(), stop_at=4), settings, checkpoint=checkpoint)
    with pytest.raises(RelaxationError, match="another structure"):
        relax(bulk("Ar", "fcc", a=5.3), argon_lj(), settings, checkpoint=checkpoint)
