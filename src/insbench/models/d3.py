"""D3(BJ) dispersion via ``dftd3`` and a small calculator that sums two calculators.

``dftd3`` has no GPU path: D3 runs on the CPU whatever ``--insbench-device`` says (the
model it is added to may run on cuda); records say so (``runtime.d3_device``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes

from insbench.models.spec import D3_DAMPING, D3_METHOD

_SUMMED = ("energy", "free_energy", "forces", "stress")


def make_d3_calculator(method: str = D3_METHOD, damping: str = D3_DAMPING) -> Calculator:
    """A ``dftd3`` ASE calculator for D3 with ``damping`` parametrised for ``method``."""
    from dftd3.ase import DFTD3

    return DFTD3(method=method, damping=damping)


def _wants_stress(atoms: Atoms) -> bool:
    return bool(atoms.pbc.all()) and atoms.cell.rank == 3


class SumCalculator(Calculator):
    """Energy, forces and stress summed over several calculators.

    Every call computes energy and forces (and stress for a fully periodic
    cell) from each part in one go, so asking for stress after forces does
    not recompute anything.
    """

    def __init__(self, calculators: Sequence[Calculator]) -> None:
        super().__init__()
        if not calculators:
            raise ValueError("SumCalculator needs at least one calculator to sum.")
        self.calculators = list(calculators)
        common = set(_SUMMED)
        for calc in self.calculators:
            common &= set(calc.implemented_properties) | {"free_energy"}
        self.implemented_properties = [p for p in _SUMMED if p in common]

    def calculate(
        self,
        atoms: Atoms | None = None,
        properties: Sequence[str] = ("energy",),
        system_changes: Sequence[str] = all_changes,
    ) -> None:
        super().calculate(atoms, properties, system_changes)
        assert self.atoms is not None
        wanted = ["energy", "forces"]
        if "stress" in self.implemented_properties and (
            "stress" in properties or _wants_stress(self.atoms)
        ):
            wanted.append("stress")
        total: dict[str, np.ndarray | float] = {}
        for calc in self.calculators:
            for prop in wanted:
                value = calc.get_property(prop, self.atoms)
                if prop == "stress":
                    value = _voigt(np.asarray(value, dtype=float))
                total[prop] = total.get(prop, 0.0) + np.asarray(value, dtype=float)
        self.results = {prop: value for prop, value in total.items()}
        self.results["energy"] = float(total["energy"])
        self.results["free_energy"] = self.results["energy"]


def _voigt(stress: np.ndarray) -> np.ndarray:
    """Stress as a Voigt 6-vector (xx, yy, zz, yz, xz, xy)."""
    if stress.shape == (3, 3):
        return stress[[0, 1, 2, 1, 0, 0], [0, 1, 2, 2, 2, 1]]
    return stress.reshape(6)
