"""Check a calculator before it is benchmarked (in the spirit of torch-sim's
``validate_model_outputs``): elements covered, output shapes and finiteness,
and no mutation of the input structure."""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator

from insbench.models.elements import calculator_elements
from insbench.models.errors import (
    AtomsMutatedError,
    ConformanceError,
    UnsupportedElementError,
    format_error,
)
from insbench.models.guard import check_finite


@dataclass(frozen=True)
class ConformanceReport:
    """What :func:`check_conformance` measured on one structure (all checks passed)."""

    model_name: str
    formula: str
    n_atoms: int
    energy_ev: float
    max_force_ev_a: float
    stress_shape: tuple[int, ...] | None
    elements_checked: bool
    wall_time_s: float


def check_conformance(
    calc: Calculator,
    atoms: Atoms,
    *,
    model_name: str,
    supported_elements: Sequence[str] | None = None,
) -> ConformanceReport:
    """Run ``calc`` once on a copy of ``atoms`` and check what comes back.

    ``supported_elements`` defaults to what the calculator declares (a
    :class:`~insbench.models.guard.GuardedCalculator` or a MACE/SevenNet
    calculator); when nothing is known the element check is skipped and the
    report says so.

    Raises:
        UnsupportedElementError: ``atoms`` has elements the model does not cover
            (turn this into a skip for that system).
        NonFiniteOutputError: NaN/inf energy, forces or stress.
        ConformanceError: energy not a scalar, forces not (N, 3), stress not (6,) or (3, 3).
        AtomsMutatedError: the calculator changed the structure it was given.
    """
    supported = supported_elements if supported_elements is not None else calculator_elements(calc)
    if supported is not None:
        missing = set(atoms.get_chemical_symbols()) - set(supported)
        if missing:
            raise UnsupportedElementError(
                model_name, missing, supported, atoms.get_chemical_formula()
            )
    original_calc = atoms.calc
    before = copy.deepcopy(atoms)
    work = atoms.copy()
    work.calc = calc
    start = time.perf_counter()
    energy = calc.get_property("energy", work)
    forces = calc.get_property("forces", work)
    stress = None
    if work.pbc.all() and work.cell.rank == 3:
        stress = calc.get_property("stress", work)
    wall = time.perf_counter() - start

    energy_array = np.asarray(energy)
    if energy_array.dtype.kind not in "fiu" or energy_array.size != 1:
        raise _shape_error(model_name, "energy", "a single number", energy_array.shape)
    check_finite(model_name, "energy", energy_array)
    forces_array = np.asarray(forces)
    if forces_array.shape != (len(work), 3):
        raise _shape_error(model_name, "forces", f"shape ({len(work)}, 3)", forces_array.shape)
    check_finite(model_name, "forces", forces_array)
    stress_shape = None
    if stress is not None:
        stress_array = np.asarray(stress)
        if stress_array.shape not in ((6,), (3, 3)):
            raise _shape_error(model_name, "stress", "shape (6,) or (3, 3)", stress_array.shape)
        check_finite(model_name, "stress", stress_array)
        stress_shape = tuple(stress_array.shape)

    for label, candidate in (("the copy it was given", work), ("the caller's Atoms", atoms)):
        changed = atoms_differences(before, candidate)
        if changed:
            raise AtomsMutatedError(
                format_error(
                    f"Model {model_name!r} changed {label}: {', '.join(changed)}.",
                    "a calculator must only read the structure; insbench relies on "
                    "that for caching, phonon displacements and relaxations.",
                    "make the calculator work on its own copy (atoms.copy()).",
                )
            )
    if atoms.calc is not original_calc:
        raise AtomsMutatedError(
            format_error(
                f"Checking model {model_name!r} replaced the calculator of the caller's Atoms.",
                "the check must attach the calculator to a copy only.",
                "report this as an insbench bug.",
            )
        )
    return ConformanceReport(
        model_name=model_name,
        formula=atoms.get_chemical_formula(),
        n_atoms=len(atoms),
        energy_ev=float(energy_array.reshape(())),
        max_force_ev_a=float(np.linalg.norm(forces_array, axis=1).max()) if len(work) else 0.0,
        stress_shape=stress_shape,
        elements_checked=supported is not None,
        wall_time_s=wall,
    )


def _shape_error(model_name: str, prop: str, expected: str, got: tuple[int, ...]) -> ConformanceError:
    return ConformanceError(
        format_error(
            f"Model {model_name!r} returned {prop} with shape {got}; expected {expected}.",
            "insbench reads ASE's conventions: energy in eV, forces (N, 3) in eV/Angstrom, "
            "stress as Voigt (6,) or (3, 3) in eV/Angstrom^3.",
            "fix the calculator's results dict to follow the ASE conventions.",
        )
    )


def atoms_differences(reference: Atoms, candidate: Atoms) -> list[str]:
    """Names of the parts of ``candidate`` that differ from ``reference`` (exact comparison)."""
    changed: list[str] = []
    if len(reference) != len(candidate):
        return ["number of atoms"]
    if not np.array_equal(reference.positions, candidate.positions):
        changed.append("positions")
    if not np.array_equal(reference.cell.array, candidate.cell.array):
        changed.append("cell")
    if not np.array_equal(reference.numbers, candidate.numbers):
        changed.append("atomic numbers")
    if not np.array_equal(reference.pbc, candidate.pbc):
        changed.append("pbc")
    if not _equal(reference.info, candidate.info):
        changed.append("info")
    if not _equal(reference.arrays, candidate.arrays):
        changed.append("arrays")
    return changed


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.shape == b.shape
            and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
        )
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_equal, a, b))
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return a is b
