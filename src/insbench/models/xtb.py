"""GFN2-xTB (tblite) with a fresh SCF per geometry and an energy sanity check.

tblite's ASE calculator reuses the previous SCF solution as the starting
guess for the next geometry. With iodine in a periodic cell that guess can
lead the SCF into a wrong state, giving an energy that jumps for no
physical reason. :class:`FreshXTBCalculator` therefore builds a new tblite
calculator for every geometry, and when the energy per atom moves by more
than ``max_jump_ev_per_atom`` from the previous geometry (same atoms), it
repeats the calculation from a different initial guess (EEQ charges
instead of SAD) and accepts the jump only when both agree.

tblite runs on the CPU only: ``--insbench-device`` does not apply to GFN2-xTB, and the
record's ``runtime.device`` says ``cpu``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator, all_changes

from insbench.models.errors import SCFConsistencyError, format_error

#: GFN methods this wrapper accepts (GFN1-xTB is broken for periodic iodine).
SUPPORTED_METHODS: tuple[str, ...] = ("GFN2-xTB",)


class FreshXTBCalculator(Calculator):
    """GFN2-xTB energy, forces and stress, one fresh tblite calculation per geometry."""

    implemented_properties = ["energy", "free_energy", "forces", "stress"]

    def __init__(
        self,
        method: str = "GFN2-xTB",
        *,
        max_jump_ev_per_atom: float = 0.05,
        agree_ev_per_atom: float = 1e-3,
        electronic_temperature_k: float = 300.0,
    ) -> None:
        super().__init__()
        if method not in SUPPORTED_METHODS:
            raise ValueError(
                format_error(
                    f"xtb method {method!r} is not supported.",
                    "insbench only runs GFN2-xTB (GFN1-xTB gives wrong results for "
                    "periodic cells containing iodine).",
                    "use method = 'GFN2-xTB'.",
                )
            )
        self.method = method
        self.max_jump_ev_per_atom = max_jump_ev_per_atom
        self.agree_ev_per_atom = agree_ev_per_atom
        self.electronic_temperature_k = electronic_temperature_k
        self._previous: tuple[tuple[int, ...], float] | None = None
        #: How many geometries needed a second SCF run (for reports).
        self.n_rechecked = 0

    def _single_point(self, atoms: Atoms, guess: str) -> dict[str, Any]:
        from tblite.ase import TBLite

        work = atoms.copy()
        work.calc = TBLite(
            method=self.method,
            guess=guess,
            electronic_temperature=self.electronic_temperature_k,
            cache_api=False,
            verbosity=0,
        )
        results: dict[str, Any] = {
            "energy": float(work.get_potential_energy()),
            "forces": np.array(work.get_forces()),
        }
        if atoms.pbc.all() and atoms.cell.rank == 3:
            results["stress"] = np.array(work.get_stress(voigt=True))
        results["free_energy"] = results["energy"]
        return results

    def calculate(
        self,
        atoms: Atoms | None = None,
        properties: Sequence[str] = ("energy",),
        system_changes: Sequence[str] = all_changes,
    ) -> None:
        super().calculate(atoms, properties, system_changes)
        assert self.atoms is not None
        results = self._single_point(self.atoms, guess="sad")
        numbers = tuple(int(z) for z in self.atoms.numbers)
        per_atom = results["energy"] / len(self.atoms)
        if self._previous is not None and self._previous[0] == numbers:
            jump = abs(per_atom - self._previous[1])
            if jump > self.max_jump_ev_per_atom:
                self.n_rechecked += 1
                check = self._single_point(self.atoms, guess="eeq")
                diff = abs(check["energy"] - results["energy"]) / len(self.atoms)
                if diff > self.agree_ev_per_atom:
                    raise SCFConsistencyError(
                        format_error(
                            f"GFN2-xTB energy per atom jumped by {jump:.4f} eV and two "
                            f"SCF runs from different guesses disagree by {diff:.4f} eV/atom.",
                            "the SCF converged to different electronic states, so "
                            "neither energy can be trusted for this geometry.",
                            "check the geometry (atoms too close?), or raise the "
                            "electronic temperature; do not use this point.",
                        )
                    )
        self._previous = (numbers, per_atom)
        self.results = results
