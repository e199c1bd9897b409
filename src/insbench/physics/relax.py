"""Relax a crystal at a target pressure, with the cell free or held at the measured cell."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator
from ase.constraints import FixSymmetry
from ase.filters import FrechetCellFilter
from ase.optimize import BFGS, FIRE

from insbench._io import save_npz_atomic
from insbench.physics.progress import Progress, silent
from insbench.units import ev_per_a3_to_gpa, gpa_to_ev_per_a3

CellMode = Literal["relaxed-cell", "measured-cell"]
CELL_MODES: tuple[CellMode, ...] = ("relaxed-cell", "measured-cell")


class RelaxationError(RuntimeError):
    """A relaxation produced an unusable structure (blew up, or went non-finite)."""


@dataclass(frozen=True)
class RelaxSettings:
    """How to relax.

    ``cell_mode`` "relaxed-cell" relaxes positions and cell at ``pressure_gpa``
    (ASE FrechetCellFilter with a scalar pressure); "measured-cell" relaxes
    positions only and keeps the cell as given (use it when the cell is measured).
    ``keep_symmetry`` constrains the relaxation to the starting space group
    (ASE FixSymmetry at ``symprec_a``).
    """

    pressure_gpa: float = 0.0
    cell_mode: CellMode = "relaxed-cell"
    fmax_ev_a: float = 2e-3
    max_steps: int = 800
    optimizer: Literal["BFGS", "FIRE"] = "BFGS"
    keep_symmetry: bool = True
    symprec_a: float = 1e-3
    max_volume_change_percent: float = 40.0

    def __post_init__(self) -> None:
        if self.cell_mode not in CELL_MODES:
            raise ValueError(f"cell_mode must be one of {CELL_MODES}, got {self.cell_mode!r}")
        if self.cell_mode == "measured-cell" and self.pressure_gpa != 0.0:
            raise ValueError(
                "a measured cell is measured at one pressure; relax the cell to reach "
                f"{self.pressure_gpa} GPa (cell_mode='relaxed-cell')"
            )
        if self.fmax_ev_a <= 0 or self.max_steps < 1:
            raise ValueError("fmax_ev_a must be > 0 and max_steps >= 1")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class RelaxResult:
    """A relaxed structure and how the relaxation went."""

    atoms: Atoms
    energy_ev: float
    n_steps: int
    converged: bool
    fmax_final_ev_a: float
    stress_gpa: tuple[float, ...]  # Voigt xx yy zz yz xz xy
    volume_a3: float
    volume_change_percent: float
    resumed_from_step: int = 0

    def summary(self) -> dict:
        data = asdict(self)
        data.pop("atoms")
        data["n_atoms"] = len(self.atoms)
        return data


# Optimizer state that, with the atoms' positions and cell, makes a resumed run take the
# same steps as an uninterrupted one (ASE 3.23+ attribute names).
_OPTIMIZER_STATE = {"BFGS": ("pos0", "forces0", "maxstep"), "FIRE": ("vel", "dt", "a", "Nsteps")}


def _save_checkpoint(path: Path, work: Atoms, optimizer, name: str) -> None:
    arrays = {"positions_a": work.get_positions(), "cell_a": np.asarray(work.get_cell()),
              "nsteps": np.array(optimizer.nsteps)}
    state = getattr(optimizer, "state", None)
    if name == "BFGS" and state is not None:
        arrays["hessian"] = state.hessian
    for attr in _OPTIMIZER_STATE[name]:
        value = getattr(optimizer, attr, None)
        if value is not None:
            arrays[f"opt_{attr}"] = np.asarray(value)
    save_npz_atomic(path, **arrays)


def _restore_checkpoint(path: Path, work: Atoms, optimizer, name: str) -> int:
    with np.load(path) as data:
        if data["positions_a"].shape != work.positions.shape:
            raise RelaxationError(f"checkpoint {path} is for another structure; delete it to restart")
        work.set_cell(data["cell_a"], scale_atoms=False, apply_constraint=False)
        work.set_positions(data["positions_a"], apply_constraint=False)
        for attr in _OPTIMIZER_STATE[name]:
            if f"opt_{attr}" in data:
                value = data[f"opt_{attr}"]
                setattr(optimizer, attr, value.item() if value.ndim == 0 else value.copy())
        if name == "BFGS" and "hessian" in data:
            from ase.optimize.bfgs import BFGSMethod

            optimizer.state = BFGSMethod(data["hessian"].copy())
        optimizer.nsteps = int(data["nsteps"])
    return optimizer.nsteps


def relax(
    atoms: Atoms,
    calc: Calculator,
    settings: RelaxSettings,
    progress: Progress = silent,
    checkpoint: Path | str | None = None,
) -> RelaxResult:
    """Relax a copy of ``atoms`` with ``calc``; the input is not modified.

    With ``checkpoint`` (a ``.npz`` path), the positions, cell and optimizer state are
    saved after every step, and a relaxation started with an existing checkpoint resumes
    from it and takes the same steps an uninterrupted one would; ``max_steps`` counts
    the steps of both. The caller deletes the checkpoint once the result is kept.

    Raises RelaxationError if the structure swells or collapses beyond
    ``max_volume_change_percent`` (a model without dispersion swells molecular
    crystals), or if energies become non-finite.
    """
    work = atoms.copy()
    work.calc = calc
    if settings.keep_symmetry:
        work.set_constraint(FixSymmetry(work, symprec=settings.symprec_a))
    volume_start = work.get_volume()
    if settings.cell_mode == "relaxed-cell":
        target = FrechetCellFilter(work, scalar_pressure=gpa_to_ev_per_a3(settings.pressure_gpa))
    else:
        target = work
    optimizer_class = {"BFGS": BFGS, "FIRE": FIRE}[settings.optimizer]
    optimizer = optimizer_class(target, logfile=None)
    label = f"relax {settings.cell_mode} @ {settings.pressure_gpa:g} GPa"
    resumed_from_step = 0
    if checkpoint is not None:
        checkpoint = Path(checkpoint)
        if checkpoint.is_file():
            resumed_from_step = _restore_checkpoint(checkpoint, work, optimizer, settings.optimizer)
        optimizer.attach(lambda: _save_checkpoint(checkpoint, work, optimizer, settings.optimizer),
                         interval=1)

    def check_sane() -> float:
        change = 100.0 * (work.get_volume() / volume_start - 1.0)
        if abs(change) > settings.max_volume_change_percent:
            raise RelaxationError(
                f"{label}: volume changed by {change:+.1f}% after {optimizer.nsteps} steps (limit "
                f"{settings.max_volume_change_percent:.0f}%). A molecular crystal relaxed without "
                "dispersion swells like this; use the model with '+d3' or the measured cell "
                "(cell_mode='measured-cell')."
            )
        return change

    def report() -> None:
        fmax = float(np.sqrt((target.get_forces() ** 2).sum(axis=1).max()))
        if not np.isfinite(fmax):
            raise RelaxationError(f"{label}: forces became non-finite at step {optimizer.nsteps}")
        change = check_sane()
        progress(label, optimizer.nsteps, settings.max_steps,
                 f"fmax {fmax:.4f} eV/A, volume {change:+.1f}%")

    optimizer.attach(report, interval=5)
    converged = bool(optimizer.run(fmax=settings.fmax_ev_a,
                                   steps=max(0, settings.max_steps - resumed_from_step)))
    fmax_final = float(np.sqrt((target.get_forces() ** 2).sum(axis=1).max()))
    energy = float(work.get_potential_energy())
    volume = work.get_volume()
    if not np.isfinite(energy):
        raise RelaxationError(f"{label}: energy became non-finite after {optimizer.nsteps} steps")
    change = check_sane()
    stress = work.get_stress(voigt=True)
    relaxed = work.copy()
    relaxed.set_constraint()
    relaxed.calc = None
    return RelaxResult(
        atoms=relaxed,
        energy_ev=energy,
        n_steps=int(optimizer.nsteps),
        converged=converged,
        fmax_final_ev_a=fmax_final,
        stress_gpa=tuple(float(ev_per_a3_to_gpa(s)) for s in stress),
        volume_a3=float(volume),
        volume_change_percent=float(change),
        resumed_from_step=resumed_from_step,
    )
