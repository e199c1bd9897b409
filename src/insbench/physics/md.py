"""Molecular dynamics of a crystal: Langevin NVT, an NVE segment, an optional NPT segment.

Pure functions over ``ase.Atoms`` and a calculator; no cache and no metrics here
(``insbench.workflows.md_pipeline`` composes them with the cache, ``insbench.metrics.md_stability``
judges the result).

The run, in order (settings: :class:`insbench.physics.md_settings.MDSettings`):

1. the supercell from the minimum-length rule of :mod:`insbench.physics.phonons`
   (each repeat is the smallest integer that puts opposite faces at least
   ``supercell_min_length_a`` apart);
2. Maxwell-Boltzmann velocities at ``initial_temperature_factor`` x ``temperature_k``
   (2 x: equipartition from the relaxed positions lands the crystal near T) from
   ``np.random.default_rng(seed)`` (ASE ``thermalize_momenta``), then zero total momentum
   (``Stationary``; no ``ZeroRotation``: the crystal is periodic);
3. equilibration: ``equilibration_steps`` of Langevin at ``temperature_k``, recorded as
   segment ``"equilibration"`` so that every statistic can leave it out;
4. production Langevin NVT at the given cell (ASE ``Langevin`` with the same generator;
   the centre of mass is held by an ASE ``FixCom`` constraint, which is what ASE 3.28+
   recommends over ``fixcm=True``);
5. NVE (``VelocityVerlet``) from the end of NVT, for energy conservation;
6. optionally NPT (``NPTBerendsen``: weak-coupling, isotropic cell scaling at
   ``pressure_gpa``) from the end of NVE. Berendsen does not sample the NPT ensemble
   exactly, but it is robust from any start and is enough to see whether the cell
   collapses or expands without bound; the MTK barostat (``ase.md.nose_hoover_chain``)
   is stricter but needs a tuned barostat mass per system.

Times (:attr:`MDResult.time_ps`) count from the start of production NVT: the
equilibration steps have times <= 0.

Every step records potential and total energy (eV), temperature (K), the stress tensor
(GPa, Voigt xx yy zz yz xz xy, ASE sign: positive is tensile, no kinetic term), the
volume and the shortest interatomic distance (up to ``MIN_DISTANCE_HORIZON_A``);
positions and cells are kept every ``sample_every_steps``.

A run that blows up (a :class:`~insbench.models.NonFiniteOutputError` from the guarded
calculator, non-finite energy or forces from an unguarded one, two atoms closer than
``min_distance_floor_a`` or a temperature above ``max_temperature_factor`` times the
target) stops and returns an :class:`MDResult` with ``blew_up_at_step`` and ``reason``;
it never raises.

Identical inputs and seed give identical trajectories on CPU (the generator is the only
source of randomness), including after a resume from a checkpoint.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms, units
from ase.calculators.calculator import Calculator
from ase.constraints import FixCom
from ase.md.langevin import Langevin
from ase.md.nptberendsen import NPTBerendsen
from ase.md.velocitydistribution import Stationary, thermalize_momenta
from ase.md.verlet import VelocityVerlet
from ase.neighborlist import neighbor_list

from insbench.models.errors import NonFiniteOutputError
from insbench.physics.md_settings import MDSettings
from insbench.physics.phonons import face_distances_a
from insbench.physics.progress import Progress, silent
from insbench.units import EV_PER_A3_PER_GPA, gpa_to_ev_per_a3

#: Segments in the order they run; ``step_data["segment"]`` holds each step's index here.
SEGMENTS: tuple[str, ...] = ("equilibration", "nvt", "nve", "npt")
#: The per-step shortest distance is searched up to this length (Angstrom); larger is censored.
MIN_DISTANCE_HORIZON_A = 2.5
VOIGT = ("xx", "yy", "zz", "yz", "xz", "xy")

_STEP_ARRAYS = ("potential_ev", "total_ev", "temperature_k", "stress_gpa", "volume_a3",
                "min_distance_a", "segment")
_FRAME_ARRAYS = ("frame_step", "positions_a", "cells_a")


@dataclass
class MDResult:
    """Everything an MD run produced. Per-step arrays have one row per completed step.

    ``steps`` counts steps done (step 0, the start, is not a step: the per-step arrays
    start at step 1). ``frames`` are the start plus every ``sample_every_steps``-th step.
    """

    settings: MDSettings
    numbers: np.ndarray
    masses: np.ndarray
    pbc: np.ndarray
    supercell: tuple[int, int, int]
    step_data: dict[str, np.ndarray]
    frame_data: dict[str, np.ndarray]
    blew_up_at_step: int | None = None
    reason: str | None = None
    seconds: float = 0.0
    resumed_from_step: int = 0
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def steps(self) -> int:
        return len(self.step_data["potential_ev"])

    @property
    def blew_up(self) -> bool:
        return self.blew_up_at_step is not None

    @property
    def n_atoms(self) -> int:
        return len(self.numbers)

    @property
    def time_ps(self) -> np.ndarray:
        """Time of each recorded step (ps), from the start of production NVT (equilibration <= 0)."""
        steps = np.arange(1, self.steps + 1) - self.settings.equilibration_steps
        return steps * self.settings.timestep_fs * 1e-3

    @property
    def frame_time_ps(self) -> np.ndarray:
        steps = self.frame_data["frame_step"] - self.settings.equilibration_steps
        return steps * self.settings.timestep_fs * 1e-3

    def segment_mask(self, segment: str) -> np.ndarray:
        return self.step_data["segment"] == SEGMENTS.index(segment)

    def frames_in(self, segment: str) -> np.ndarray:
        """Indices of the frames inside ``segment`` (its starting frame included)."""
        steps = self.frame_data["frame_step"]
        start = sum(self.settings.segment_steps()[s] for s in SEGMENTS[: SEGMENTS.index(segment)])
        stop = start + self.settings.segment_steps()[segment]
        return np.flatnonzero((steps >= start) & (steps <= stop))

    def atoms_at(self, frame: int) -> Atoms:
        return Atoms(numbers=self.numbers, positions=self.frame_data["positions_a"][frame],
                     cell=self.frame_data["cells_a"][frame], pbc=self.pbc)

    # -- persistence -------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        """``md.npz`` (arrays) and ``md.json`` (settings, provenance, outcome)."""
        directory.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            directory / "md.npz",
            numbers=self.numbers, masses=self.masses, pbc=self.pbc,
            **{f"step_{k}": v for k, v in self.step_data.items()},
            **{f"frame_{k}": v for k, v in self.frame_data.items()},
        )
        (directory / "md.json").write_text(json.dumps({
            "settings": self.settings.to_dict(),
            "supercell": list(self.supercell),
            "steps": self.steps,
            "blew_up_at_step": self.blew_up_at_step,
            "reason": self.reason,
            "seconds": self.seconds,
            "resumed_from_step": self.resumed_from_step,
            "provenance": self.provenance,
        }, indent=1, default=str))

    @classmethod
    def load(cls, directory: Path) -> MDResult:
        meta = json.loads((directory / "md.json").read_text())
        with np.load(directory / "md.npz") as data:
            arrays = {k: data[k] for k in data.files}
        return cls(
            settings=MDSettings(**meta["settings"]),
            numbers=arrays["numbers"], masses=arrays["masses"], pbc=arrays["pbc"],
            supercell=tuple(meta["supercell"]),
            step_data={k[5:]: v for k, v in arrays.items() if k.startswith("step_")},
            frame_data={k[6:]: v for k, v in arrays.items() if k.startswith("frame_")},
            blew_up_at_step=meta["blew_up_at_step"], reason=meta["reason"],
            seconds=meta["seconds"], resumed_from_step=meta.get("resumed_from_step", 0),
            provenance=meta["provenance"],
        )

    def write_extxyz(self, path: Path, every_frames: int = 1) -> None:
        """The sampled frames (every ``every_frames``-th, and the last) as extended XYZ."""
        import ase.io

        indices = list(range(0, len(self.frame_data["frame_step"]), max(1, every_frames)))
        last = len(self.frame_data["frame_step"]) - 1
        if indices[-1] != last:
            indices.append(last)
        frames = []
        for i in indices:
            atoms = self.atoms_at(i)
            atoms.info["step"] = int(self.frame_data["frame_step"][i])
            atoms.info["time_fs"] = float(self.frame_data["frame_step"][i] * self.settings.timestep_fs)
            frames.append(atoms)
        ase.io.write(path, frames, format="extxyz")


def choose_md_supercell(cell: np.ndarray, min_length_a: float) -> tuple[int, int, int]:
    """Diagonal repeats by the same minimum-length rule as the phonon supercell."""
    widths = face_distances_a(cell)
    return tuple(int(max(1, np.ceil(min_length_a / w - 1e-9))) for w in widths)  # type: ignore[return-value]


def build_supercell(atoms: Atoms, settings: MDSettings) -> tuple[Atoms, tuple[int, int, int]]:
    """The MD cell: ``atoms`` repeated by :func:`choose_md_supercell` (a new object)."""
    repeats = choose_md_supercell(np.asarray(atoms.cell), settings.supercell_min_length_a)
    supercell = atoms.repeat(repeats)
    supercell.calc = None
    supercell.set_constraint()
    return supercell, repeats


def shortest_distance_a(atoms: Atoms, horizon_a: float = MIN_DISTANCE_HORIZON_A) -> float:
    """The shortest interatomic distance (periodic images included), or ``horizon_a`` if none is shorter."""
    d = neighbor_list("d", atoms, horizon_a)
    return float(d.min()) if len(d) else float(horizon_a)


class _Checkpoint:
    """Save and restore the state of an unfinished run in a directory (atomic writes)."""

    def __init__(self, directory: Path | None, every_steps: int) -> None:
        self.directory = directory
        self.every_steps = every_steps

    @property
    def file(self) -> Path | None:
        return None if self.directory is None else self.directory / "md-checkpoint.npz"

    def load(self, settings: MDSettings, numbers: np.ndarray) -> dict[str, Any] | None:
        if self.file is None or not self.file.is_file():
            return None
        with np.load(self.file) as data:
            state = {k: data[k] for k in data.files}
        meta = json.loads(str(state.pop("meta")))
        if meta["settings"] != json.loads(json.dumps(settings.to_dict())) or not np.array_equal(
            state["numbers"], numbers
        ):
            return None  # a checkpoint of another run: ignore it
        state["rng_state"] = meta["rng_state"]
        return state

    def save(self, step: int, atoms: Atoms, rng: np.random.Generator, settings: MDSettings,
             steps: dict[str, list], frames: dict[str, list]) -> None:
        if self.file is None or self.every_steps <= 0 or step % self.every_steps:
            return
        from insbench._io import save_npz_atomic

        meta = {"settings": settings.to_dict(), "rng_state": rng.bit_generator.state}
        save_npz_atomic(
            self.file,
            meta=np.array(json.dumps(meta, default=int)),
            numbers=atoms.numbers, positions=atoms.positions, momenta=atoms.get_momenta(),
            cell=np.asarray(atoms.cell), step=np.array(step),
            **{f"step_{k}": np.asarray(v) for k, v in steps.items()},
            **{f"frame_{k}": np.asarray(v) for k, v in frames.items()},
        )


def _make_dynamics(segment: str, atoms: Atoms, settings: MDSettings, rng: np.random.Generator):
    dt = settings.timestep_fs * units.fs
    if segment in ("equilibration", "nvt"):
        return Langevin(atoms, dt, temperature_K=settings.temperature_k,
                        friction=settings.friction_per_fs / units.fs, fixcm=False, rng=rng)
    if segment == "nve":
        return VelocityVerlet(atoms, dt)
    return NPTBerendsen(
        atoms, dt, temperature_K=settings.temperature_k,
        pressure_au=gpa_to_ev_per_a3(settings.pressure_gpa),
        taut=settings.thermostat_time_fs * units.fs, taup=settings.barostat_time_fs * units.fs,
        compressibility_au=settings.compressibility_per_gpa / EV_PER_A3_PER_GPA,
    )


def _observe(atoms: Atoms) -> dict[str, Any]:
    energy = float(atoms.get_potential_energy())
    forces = atoms.get_forces()
    stress = atoms.get_stress(voigt=True) / EV_PER_A3_PER_GPA
    if not (np.isfinite(energy) and np.isfinite(forces).all() and np.isfinite(stress).all()):
        bad = [name for name, v in (("energy", energy), ("forces", forces), ("stress", stress))
               if not np.isfinite(v).all()]
        raise FloatingPointError(f"non-finite {', '.join(bad)} from the calculator")
    return {
        "potential_ev": energy,
        "total_ev": energy + float(atoms.get_kinetic_energy()),
        "temperature_k": float(atoms.get_temperature()),
        "stress_gpa": stress.copy(),
        "volume_a3": float(atoms.get_volume()),
        "min_distance_a": shortest_distance_a(atoms),
    }


def _blow_up_reason(obs: dict[str, Any], settings: MDSettings) -> str | None:
    limit_t = settings.max_temperature_factor * settings.temperature_k
    if obs["temperature_k"] > limit_t:
        return (f"temperature {obs['temperature_k']:.4g} K exceeds {settings.max_temperature_factor:g} x "
                f"the {settings.temperature_k:g} K target")
    if obs["min_distance_a"] < settings.min_distance_floor_a:
        return (f"two atoms are {obs['min_distance_a']:.3g} Angstrom apart, closer than the "
                f"{settings.min_distance_floor_a:g} Angstrom floor")
    return None


def run_md(
    atoms: Atoms,
    calc: Calculator,
    settings: MDSettings,
    progress: Progress = silent,
    *,
    checkpoint_dir: Path | None = None,
    checkpoint_every_steps: int = 100,
) -> MDResult:
    """Run equilibration -> NVT -> NVE (-> NPT) on the supercell of ``atoms``; see the module docstring.

    ``atoms`` is not modified. With ``checkpoint_dir``, the state is saved every
    ``checkpoint_every_steps`` steps and a matching checkpoint found there is resumed.
    """
    started = time.perf_counter()
    system, repeats = build_supercell(atoms, settings)
    rng = np.random.default_rng(settings.seed)
    # Maxwell-Boltzmann at initial_temperature_factor x T: equipartition from the relaxed positions
    thermalize_momenta(system, settings.initial_temperature_factor * settings.temperature_k, rng=rng)
    Stationary(system)
    system.set_constraint(FixCom())
    system.calc = calc

    steps: dict[str, list] = {k: [] for k in _STEP_ARRAYS}
    frames: dict[str, list] = {k: [] for k in _FRAME_ARRAYS}
    checkpoint = _Checkpoint(checkpoint_dir, checkpoint_every_steps)
    state = checkpoint.load(settings, system.numbers)
    done = 0
    if state is not None:
        system.set_cell(state["cell"])
        system.set_positions(state["positions"], apply_constraint=False)
        system.set_momenta(state["momenta"], apply_constraint=False)
        rng.bit_generator.state = state["rng_state"]
        done = int(state["step"])
        steps = {k: list(state[f"step_{k}"]) for k in _STEP_ARRAYS}
        frames = {k: list(state[f"frame_{k}"]) for k in _FRAME_ARRAYS}
    else:
        frames["frame_step"].append(0)
        frames["positions_a"].append(system.positions.copy())
        frames["cells_a"].append(np.asarray(system.cell).copy())

    blew_up_at: int | None = None
    reason: str | None = None
    plan = [(seg, n) for seg, n in settings.segment_steps().items() if n > 0]
    first_step = 0
    for segment, n_steps in plan:
        last_step = first_step + n_steps
        if done >= last_step:
            first_step = last_step
            continue
        dynamics = _make_dynamics(segment, system, settings, rng)
        for step in range(max(done, first_step) + 1, last_step + 1):
            try:
                dynamics.step()
                obs = _observe(system)
            except (NonFiniteOutputError, FloatingPointError) as error:
                blew_up_at, reason = step, f"{segment} step {step}: {error}"
                break
            for key in _STEP_ARRAYS[:-1]:
                steps[key].append(obs[key])
            steps["segment"].append(SEGMENTS.index(segment))
            if step % settings.sample_every_steps == 0 or step == settings.total_steps:
                frames["frame_step"].append(step)
                frames["positions_a"].append(system.positions.copy())
                frames["cells_a"].append(np.asarray(system.cell).copy())
            why = _blow_up_reason(obs, settings)
            if why is not None:
                blew_up_at, reason = step, f"{segment} step {step}: {why}"
                if frames["frame_step"][-1] != step:  # keep the frame where it went wrong
                    frames["frame_step"].append(step)
                    frames["positions_a"].append(system.positions.copy())
                    frames["cells_a"].append(np.asarray(system.cell).copy())
                break
            checkpoint.save(step, system, rng, settings, steps, frames)
            progress("md", step, settings.total_steps,
                     f"{segment} T={obs['temperature_k']:.0f} K E={obs['potential_ev']:.3f} eV")
        if blew_up_at is not None:
            break
        first_step = last_step
    if blew_up_at is not None:
        progress("md", settings.total_steps, settings.total_steps, f"stopped: {reason}")
    system.calc = None

    step_data = {
        k: np.asarray(v, dtype=float) if k not in ("segment",) else np.asarray(v, dtype=int)
        for k, v in steps.items()
    }
    if step_data["stress_gpa"].size == 0:
        step_data["stress_gpa"] = np.zeros((0, 6))
    frame_data = {
        "frame_step": np.asarray(frames["frame_step"], dtype=int),
        "positions_a": np.asarray(frames["positions_a"], dtype=float).reshape(-1, len(system), 3),
        "cells_a": np.asarray(frames["cells_a"], dtype=float).reshape(-1, 3, 3),
    }
    return MDResult(
        settings=settings,
        numbers=system.numbers.copy(),
        masses=system.get_masses().copy(),
        pbc=np.asarray(system.pbc).copy(),
        supercell=repeats,
        step_data=step_data,
        frame_data=frame_data,
        blew_up_at_step=blew_up_at,
        reason=reason,
        seconds=time.perf_counter() - started,
        resumed_from_step=done,
        provenance={
            "seed": settings.seed,
            "start": (f"Maxwell-Boltzmann velocities at {settings.initial_temperature_factor:g} x "
                      f"{settings.temperature_k:g} K from the given positions, then "
                      f"{settings.equilibration_steps} equilibration steps excluded from statistics"),
            "timestep_fs": settings.timestep_fs,
            "friction_per_fs": settings.friction_per_fs,
            "supercell": list(repeats),
            "n_atoms": len(system),
            "integrators": {"equilibration": "ase.md.langevin.Langevin + FixCom",
                            "nvt": "ase.md.langevin.Langevin + FixCom",
                            "nve": "ase.md.verlet.VelocityVerlet",
                            "npt": "ase.md.nptberendsen.NPTBerendsen (isotropic)"},
            "stress_convention": "GPa, Voigt xx yy zz yz xz xy, positive = tensile, virial only",
        },
    )

