"""GFN2-xTB wrapper: fresh SCF per geometry and the energy-jump sanity check."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from insbench.models import SCFConsistencyError
from insbench.models.xtb import FreshXTBCalculator


class ScriptedXTB(FreshXTBCalculator):
    """FreshXTBCalculator whose SCF results come from a script (no tblite)."""

    def __init__(self, energies: dict[str, list[float]]) -> None:
        super().__init__(max_jump_ev_per_atom=0.05, agree_ev_per_atom=1e-3)
        self.energies = {guess: list(values) for guess, values in energies.items()}
        self.guesses: list[str] = []

    def _single_point(self, atoms, guess: str) -> dict[str, Any]:
        self.guesses.append(guess)
        energy = self.energies[guess].pop(0)
        return {"energy": energy, "free_energy": energy, "forces": np.zeros((len(atoms), 3))}


def _step(calc, atoms, dx: float) -> float:
    atoms.positions[0, 0] += dx
    return calc.get_potential_energy(atoms)


def test_small_changes_need_one_scf_each(small_cell) -> None:
    calc = ScriptedXTB({"sad": [-10.0, -10.01, -10.02]})
    atoms = small_cell.copy()
    assert [_step(calc, atoms, 0.01) for _ in range(3)] == [-10.0, -10.01, -10.02]
    assert calc.guesses == ["sad"] * 3 and calc.n_rechecked == 0


def test_a_real_jump_is_accepted_when_two_guesses_agree(small_cell) -> None:
    calc = ScriptedXTB({"sad": [-10.0, -12.0], "eeq": [-12.0001]})
    atoms = small_cell.copy()
    _step(calc, atoms, 0.01)
    assert _step(calc, atoms, 0.01) == -12.0
    assert calc.guesses == ["sad", "sad", "eeq"] and calc.n_rechecked == 1


def test_a_jump_the_guesses_disagree_on_raises(small_cell) -> None:
    calc = ScriptedXTB({"sad": [-10.0, -12.0], "eeq": [-10.02]})
    atoms = small_cell.copy()
    _step(calc, atoms, 0.01)
    with pytest.raises(SCFConsistencyError, match="two SCF runs from different guesses disagree"):
        _step(calc, atoms, 0.01)


def test_gfn1_is_refused() -> None:
    with pytest.raises(ValueError, match="GFN1-xTB gives wrong results"):
        FreshXTBCalculator(method="GFN1-xTB")
