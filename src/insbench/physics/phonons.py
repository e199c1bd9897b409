"""Finite-displacement force constants with phonopy, using the crystal's symmetry.

The supercell is chosen by a minimum-length rule: each supercell repeat is the
smallest integer that makes the distance between opposite faces of the supercell at
least ``supercell_min_length_a``. An explicit ``supercell_diagonal`` overrides it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator

from insbench.physics.batched import BatchedForces
from insbench.physics.progress import Progress, silent


@dataclass(frozen=True)
class PhononSettings:
    """Finite-displacement settings (lengths in Angstrom)."""

    supercell_min_length_a: float = 8.0
    supercell_diagonal: tuple[int, int, int] | None = None
    displacement_a: float = 0.01
    symprec_a: float = 1e-4
    plus_minus: bool = True

    def to_dict(self) -> dict:
        return asdict(self)


def face_distances_a(cell: np.ndarray) -> np.ndarray:
    """Distances between opposite faces of a cell (Angstrom): volume / area of each face."""
    cell = np.asarray(cell, dtype=float)
    volume = abs(np.linalg.det(cell))
    areas = np.array(
        [np.linalg.norm(np.cross(cell[(i + 1) % 3], cell[(i + 2) % 3])) for i in range(3)]
    )
    return volume / areas


def choose_supercell(cell: np.ndarray, settings: PhononSettings) -> tuple[int, int, int]:
    """Diagonal supercell repeats from the minimum-length rule (or the override)."""
    if settings.supercell_diagonal is not None:
        repeats = tuple(int(n) for n in settings.supercell_diagonal)
        if len(repeats) != 3 or min(repeats) < 1:
            raise ValueError(f"supercell_diagonal must be three positive integers, got {repeats}")
        return repeats  # type: ignore[return-value]
    widths = face_distances_a(cell)
    return tuple(int(max(1, np.ceil(settings.supercell_min_length_a / w - 1e-9))) for w in widths)  # type: ignore[return-value]


def to_phonopy_atoms(atoms: Atoms):
    from phonopy.structure.atoms import PhonopyAtoms

    return PhonopyAtoms(
        symbols=atoms.get_chemical_symbols(),
        cell=np.asarray(atoms.cell),
        scaled_positions=atoms.get_scaled_positions(),
        masses=atoms.get_masses(),
    )


def to_ase_atoms(phonopy_atoms) -> Atoms:
    return Atoms(
        symbols=phonopy_atoms.symbols,
        cell=phonopy_atoms.cell,
        scaled_positions=phonopy_atoms.scaled_positions,
        pbc=True,
    )


def make_phonopy(atoms: Atoms, settings: PhononSettings):
    """A phonopy object with displacements generated (no forces yet)."""
    from phonopy import Phonopy

    repeats = choose_supercell(np.asarray(atoms.cell), settings)
    phonon = Phonopy(
        to_phonopy_atoms(atoms),
        supercell_matrix=np.diag(repeats),
        primitive_matrix=None,
        symprec=settings.symprec_a,
    )
    phonon.generate_displacements(
        distance=settings.displacement_a, is_plusminus=True if settings.plus_minus else "auto"
    )
    return phonon


ForceCheckpoint = Callable[[int, np.ndarray], None]


def displaced_forces(
    phonon,
    calc: Calculator,
    *,
    done: Sequence[np.ndarray] = (),
    checkpoint: ForceCheckpoint | None = None,
    progress: Progress = silent,
    batch: BatchedForces | None = None,
) -> np.ndarray:
    """Forces (eV/Angstrom) on every displaced supercell, shape (n_disp, n_atoms, 3).

    ``done`` holds forces already computed (from an interrupted run), which are
    reused, never recomputed; ``checkpoint(i, forces_so_far)`` is called after each
    new supercell (or batch of supercells) so the caller can persist progress.
    With ``batch`` (see :mod:`insbench.physics.batched`), ``batch.batch_size``
    supercells go to the model per call instead of one at a time through ``calc``.
    """
    supercells = phonon.supercells_with_displacements
    total = len(supercells)
    forces = [np.asarray(f) for f in done][:total]
    step = batch.batch_size if batch is not None else 1
    index = len(forces)
    while index < total:
        chunk = [to_ase_atoms(s) for s in supercells[index:index + step]]
        if batch is not None:
            new = [np.asarray(f, dtype=float) for f in batch(chunk)]
        else:
            chunk[0].calc = calc
            new = [np.asarray(chunk[0].get_forces(), dtype=float)]
        for offset, f in enumerate(new):
            if f.shape != (len(chunk[offset]), 3) or not np.all(np.isfinite(f)):
                raise FloatingPointError(
                    f"non-finite or misshapen forces {f.shape} on displaced supercell "
                    f"{index + offset + 1}/{total}"
                )
        forces.extend(new)
        index += len(new)
        if checkpoint is not None:
            checkpoint(index - 1, np.asarray(forces))
        progress("phonons", index, total, f"{len(chunk[0])}-atom supercell")
    return np.asarray(forces)


@dataclass(frozen=True)
class PhononSummary:
    """What the phonon stage did."""

    supercell_diagonal: tuple[int, int, int]
    n_supercell_atoms: int
    n_displacements: int
    n_reused_displacements: int
    space_group: str
    gamma_frequencies_cm1: tuple[float, ...]
    n_imaginary_gamma_modes: int  # below -imaginary_tolerance, acoustic excluded

    def to_dict(self) -> dict:
        return asdict(self)


def produce_force_constants(phonon, forces: np.ndarray) -> None:
    phonon.forces = forces
    phonon.produce_force_constants()
    phonon.symmetrize_force_constants()


def summarise(phonon, n_reused: int, imaginary_tolerance_cm1: float = 5.0) -> PhononSummary:
    from phonopy.physical_units import get_physical_units

    phonon.run_qpoints([[0.0, 0.0, 0.0]])
    frequencies_thz = phonon.qpoints.frequencies[0]
    frequencies_cm1 = np.asarray(frequencies_thz) * get_physical_units().THzToCm
    # the three acoustic modes are the ones closest to zero, not the three lowest:
    # an imaginary optic mode is reported as a negative frequency and must be counted
    acoustic = np.argsort(np.abs(frequencies_cm1))[:3]
    non_acoustic = np.delete(frequencies_cm1, acoustic)
    return PhononSummary(
        supercell_diagonal=tuple(int(n) for n in np.diag(phonon.supercell_matrix)),  # type: ignore[arg-type]
        n_supercell_atoms=len(phonon.supercell),
        n_displacements=len(phonon.supercells_with_displacements),
        n_reused_displacements=int(n_reused),
        space_group=str(phonon.symmetry.get_international_table()),
        gamma_frequencies_cm1=tuple(round(float(f), 3) for f in frequencies_cm1),
        n_imaginary_gamma_modes=int(np.sum(non_acoustic < -imaginary_tolerance_cm1)),
    )


def save_phonopy(phonon, path: Path) -> None:
    """Write phonopy.yaml with structure, supercell and force constants."""
    phonon.save(filename=str(path), settings={"force_constants": True})


def load_force_constants(directory: Path, summary_name: str = "phonopy.yaml"):
    """Euphonic ForceConstants from a phonopy.yaml written by ``save_phonopy``."""
    from euphonic import ForceConstants

    return ForceConstants.from_phonopy(path=str(directory), summary_name=summary_name)
