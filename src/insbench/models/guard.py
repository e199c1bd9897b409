"""`GuardedCalculator`: stop at the first NaN/inf instead of relaxing into garbage.

It also keeps a clock of the time spent inside the model (``model_call_seconds``,
``model_calls``), so a stage can report which share of its wall time the model took.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes

from insbench.models.errors import NonFiniteOutputError, UnsupportedElementError

#: Properties checked for finiteness.
_CHECKED: tuple[str, ...] = ("energy", "free_energy", "forces", "stress", "energies")


def count_non_finite(prop: str, value: object) -> tuple[int, int]:
    """``(bad, total)`` for a property value: atoms for per-atom arrays, entries otherwise."""
    array = np.asarray(value, dtype=float)
    if prop == "forces" and array.ndim == 2:
        bad_rows = ~np.isfinite(array).all(axis=1)
        return int(bad_rows.sum()), int(array.shape[0])
    finite = np.isfinite(array)
    return int(array.size - finite.sum()), int(array.size)


def check_finite(model_name: str, prop: str, value: object) -> None:
    """Raise :class:`NonFiniteOutputError` if ``value`` holds NaN or inf."""
    bad, total = count_non_finite(prop, value)
    if bad:
        unit = "atoms" if prop in ("forces", "energies") else "values"
        raise NonFiniteOutputError(model_name, prop, bad, total, unit)


class GuardedCalculator(Calculator):
    """Wrap a calculator; raise clear errors on NaN/inf output or uncovered elements.

    Args:
        calc: the calculator doing the work.
        model_name: name used in error messages.
        supported_elements: symbols the model covers (``None``: not checked).
    """

    def __init__(
        self,
        calc: Calculator,
        *,
        model_name: str,
        supported_elements: Sequence[str] | None = None,
    ) -> None:
        super().__init__()
        self.calc = calc
        self.model_name = model_name
        self.supported_elements = (
            tuple(supported_elements) if supported_elements is not None else None
        )
        self.implemented_properties = list(calc.implemented_properties)
        #: seconds spent inside the wrapped model, and how many evaluations, since creation
        self.model_call_seconds = 0.0
        self.model_calls = 0

    def check_elements(self, atoms: Atoms) -> None:
        """Raise :class:`UnsupportedElementError` if ``atoms`` holds an element the model lacks."""
        if self.supported_elements is None:
            return
        missing = set(atoms.get_chemical_symbols()) - set(self.supported_elements)
        if missing:
            raise UnsupportedElementError(
                self.model_name, missing, self.supported_elements, atoms.get_chemical_formula()
            )

    def add_model_time(self, seconds: float, calls: int = 1) -> None:
        """Count model time spent outside :meth:`calculate` (e.g. a batched evaluation)."""
        self.model_call_seconds += float(seconds)
        self.model_calls += int(calls)

    def calculate(
        self,
        atoms: Atoms | None = None,
        properties: Sequence[str] = ("energy",),
        system_changes: Sequence[str] = all_changes,
    ) -> None:
        super().calculate(atoms, properties, system_changes)
        assert self.atoms is not None
        self.check_elements(self.atoms)
        started = time.perf_counter()
        try:
            for prop in properties:
                self.calc.get_property(prop, self.atoms)
        finally:
            self.add_model_time(time.perf_counter() - started)
        results = {key: _copy(value) for key, value in self.calc.results.items()}
        for prop in _CHECKED:
            if prop in results:
                check_finite(self.model_name, prop, results[prop])
        self.results = results


def _copy(value: object) -> object:
    return value.copy() if isinstance(value, np.ndarray) else value
