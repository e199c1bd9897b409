"""`check_conformance`: elements, shapes, finiteness, no mutation."""

from __future__ import annotations

import copy

import pytest
from ase import Atoms
from ase.calculators.emt import EMT

from insbench.models import (
    AtomsMutatedError,
    ConformanceError,
    NonFiniteOutputError,
    UnsupportedElementError,
    check_conformance,
    make_calculator,
    resolve_mlip,
)
from insbench.models.conformance import atoms_differences


def test_good_calculator_passes_and_caller_atoms_untouched(small_cell) -> None:
    before = copy.deepcopy(small_cell)
    report = check_conformance(EMT(), small_cell, model_name="emt")
    assert report.n_atoms == 5 and report.formula == "CH4"
    assert report.stress_shape == (6,)
    assert not report.elements_checked  # EMT does not declare its elements
    assert small_cell.calc is None
    assert atoms_differences(before, small_cell) == []


def test_mutating_calculator_is_caught(small_cell, fake_calculator) -> None:
    with pytest.raises(AtomsMutatedError, match="changed the copy it was given: positions"):
        check_conformance(fake_calculator(mutate=True), small_cell, model_name="mutant")
    assert small_cell.positions[0, 0] == pytest.approx(3.0)  # the caller's atoms were not touched


def test_wrong_forces_shape(small_cell, fake_calculator) -> None:
    with pytest.raises(ConformanceError, match=r"forces with shape \(5, 2\); expected shape \(5, 3\)"):
        check_conformance(fake_calculator(forces_shape=(5, 2)), small_cell, model_name="bad")


def test_nan_forces(small_cell, fake_calculator) -> None:
    with pytest.raises(NonFiniteOutputError, match="1 of 5 atoms"):
        check_conformance(fake_calculator(nan_atoms=1), small_cell, model_name="nan")


def test_explicit_element_list(small_cell) -> None:
    with pytest.raises(UnsupportedElementError) as info:
        check_conformance(EMT(), small_cell, model_name="h-only", supported_elements=["H"])
    assert info.value.missing == ["C"] and info.value.model_name == "h-only"


def test_mace_tiny_lacks_iron_and_chlorine() -> None:
    """mace-tiny was trained on H, C, S, I only: an Fe/Cl structure must be refused."""
    spec = resolve_mlip("mace-tiny")
    atoms = Atoms("FeCl2", positions=[[0, 0, 0], [2.1, 0, 0], [-2.1, 0, 0]], cell=[8, 8, 8], pbc=True)
    for calc in (make_calculator(spec, guard=False), make_calculator(spec)):
        with pytest.raises(UnsupportedElementError) as info:
            check_conformance(calc, atoms, model_name=spec.name)
        assert info.value.missing == ["Cl", "Fe"]
        message = str(info.value)
        assert "mace-tiny" in message and "C, H, I, S" in message and "skip" in message
