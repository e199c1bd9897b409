"""`GuardedCalculator`: NaN/inf output and uncovered elements stop with a clear message."""

from __future__ import annotations

import numpy as np
import pytest
from ase.calculators.emt import EMT
from ase.optimize import BFGS

from insbench.models import GuardedCalculator, ModelError, NonFiniteOutputError, UnsupportedElementError


def test_nan_forces_raise_with_model_property_and_count(small_cell, fake_calculator) -> None:
    atoms = small_cell.copy()
    atoms.calc = GuardedCalculator(fake_calculator(nan_atoms=2), model_name="toy-nan")
    with pytest.raises(NonFiniteOutputError) as info:
        atoms.get_forces()
    error = info.value
    assert (error.model_name, error.property, error.n_bad, error.n_total) == ("toy-nan", "forces", 2, 5)
    message = str(error)
    assert "'toy-nan'" in message and "forces" in message and "2 of 5 atoms" in message
    assert "too close" in message and "training domain" in message
    assert isinstance(error, ModelError)


def test_nan_energy_raises(small_cell, fake_calculator) -> None:
    atoms = small_cell.copy()
    atoms.calc = GuardedCalculator(fake_calculator(nan_energy=True), model_name="toy")
    with pytest.raises(NonFiniteOutputError, match="non-finite energy"):
        atoms.get_potential_energy()


def test_relaxation_stops_at_the_first_nan(small_cell, fake_calculator) -> None:
    atoms = small_cell.copy()
    atoms.calc = GuardedCalculator(fake_calculator(nan_atoms=1), model_name="toy-nan")
    with pytest.raises(NonFiniteOutputError, match="toy-nan"):
        BFGS(atoms, logfile=None).run(fmax=0.01, steps=5)


def test_finite_output_passes_through_unchanged(small_cell) -> None:
    guarded = small_cell.copy()
    guarded.calc = GuardedCalculator(EMT(), model_name="emt")
    plain = small_cell.copy()
    plain.calc = EMT()
    assert guarded.get_potential_energy() == plain.get_potential_energy()
    np.testing.assert_array_equal(guarded.get_forces(), plain.get_forces())
    np.testing.assert_array_equal(guarded.get_stress(), plain.get_stress())


def test_uncovered_element_is_refused_before_the_model_runs(small_cell, fake_calculator) -> None:
    atoms = small_cell.copy()
    atoms.symbols[0] = "Fe"
    atoms.calc = GuardedCalculator(fake_calculator(), model_name="ch-only", supported_elements=("H", "C"))
    with pytest.raises(UnsupportedElementError, match="'ch-only' does not cover element\\(s\\) Fe"):
        atoms.get_potential_energy()
