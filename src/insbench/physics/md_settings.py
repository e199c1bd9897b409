"""How an MD stability run is made: the per-run settings and the per-level run lengths.

Two things live here, both physics (nothing about how a run is judged -- that is
``insbench.metrics.md_tolerances``):

* :class:`MDSettings` -- one run: temperature, timestep, thermostat friction, seed,
  the starting velocities, the equilibration segment, segment lengths, barostat.
* :class:`MDRunConfig` -- the file ``insbench/md_settings.toml`` (or the user's own):
  settings shared by every level (``[run]``), how long and how big each level's run is
  (``[levels.<level>]``) and per-system settings (``[systems.<system>]``). Read with
  :func:`load_md_run_config`; :meth:`MDRunConfig.settings_for` builds the
  :class:`MDSettings` of one (level, system).

The start of every run is an equilibrated state (arXiv:2603.05442 validates from 300 K
MD, but a short run that judges drift while the crystal warms up judges the warm-up):

1. velocities drawn at ``initial_temperature_factor`` x T (2 by default) from the relaxed
   positions: by equipartition a (near-)harmonic crystal shares that kinetic energy
   equally with the potential energy within a quarter period, so it lands near T
   instead of at T/2;
2. an equilibration segment of ``equilibration_steps`` Langevin steps, declared per level,
   which is excluded from every statistic (a blow-up during it still fails the run).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from insbench._toml import read_declarative_toml, validate_declarative

#: The run levels, shortest first; ``--insbench-level`` picks one.
LEVELS: tuple[str, ...] = ("smoke", "standard", "paper")
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class MDSettings:
    """One MD run. Times in fs, temperature in K, pressure in GPa, lengths in Angstrom.

    The run is ``equilibration_steps`` (Langevin, excluded from statistics), then
    ``nvt_steps`` (Langevin, production), ``nve_steps`` (VelocityVerlet) and
    ``npt_steps`` (Berendsen). Velocities start at ``initial_temperature_factor`` x
    ``temperature_k`` (Maxwell-Boltzmann), from the relaxed positions.
    """

    temperature_k: float = 300.0
    timestep_fs: float = 1.0
    friction_per_fs: float = 0.01
    nvt_steps: int = 200
    nve_steps: int = 50
    npt_steps: int = 0
    equilibration_steps: int = 0
    initial_temperature_factor: float = 2.0
    pressure_gpa: float = 0.0
    compressibility_per_gpa: float = 0.1
    barostat_time_fs: float = 500.0
    thermostat_time_fs: float = 100.0
    supercell_min_length_a: float = 8.0
    sample_every_steps: int = 5
    seed: int = 20260305
    min_distance_floor_a: float = 0.5
    max_temperature_factor: float = 5.0

    def __post_init__(self) -> None:
        if self.temperature_k <= 0 or self.timestep_fs <= 0 or self.friction_per_fs <= 0:
            raise ValueError("temperature_k, timestep_fs and friction_per_fs must be > 0")
        if min(self.nvt_steps, self.nve_steps, self.npt_steps, self.equilibration_steps) < 0 or self.nvt_steps < 1:
            raise ValueError("nvt_steps must be >= 1; equilibration_steps, nve_steps and npt_steps >= 0")
        if self.sample_every_steps < 1:
            raise ValueError("sample_every_steps must be >= 1")
        if not self.initial_temperature_factor > 0:
            raise ValueError("initial_temperature_factor must be > 0 (2: equipartition from relaxed positions)")

    @property
    def total_steps(self) -> int:
        return self.equilibration_steps + self.nvt_steps + self.nve_steps + self.npt_steps

    def segment_steps(self) -> dict[str, int]:
        """Steps of each segment, in the order they run."""
        return {"equilibration": self.equilibration_steps, "nvt": self.nvt_steps,
                "nve": self.nve_steps, "npt": self.npt_steps}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- the settings file --------------------------------------------------------------------
class MDRunConfigError(ValueError):
    """The MD settings file is malformed; the message names the offending key."""


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RunTable(_Table):
    """``[run]``: settings shared by every level."""

    temperature_k: float = Field(gt=0, description="target temperature (K) unless a system overrides it")
    friction_per_fs: float = Field(gt=0, description="Langevin friction (1/fs)")
    seed: int = Field(ge=0, description="np.random.default_rng(seed): velocities and Langevin noise")
    initial_temperature_factor: float = Field(gt=0, le=4, description="velocities drawn at this x T")
    min_distance_floor_a: float = Field(gt=0)
    max_temperature_factor: float = Field(gt=1)
    compressibility_per_gpa: float = Field(gt=0)
    barostat_time_fs: float = Field(gt=0)
    thermostat_time_fs: float = Field(gt=0)


class LevelTable(_Table):
    """``[levels.<level>]``: how long and how big one level's run is (ps unless named fs)."""

    description: str = Field(min_length=1)
    supercell_min_length_a: float = Field(ge=0)
    timestep_fs: float = Field(gt=0)
    equilibration_ps: float = Field(ge=0, description="Langevin segment excluded from every statistic")
    nvt_ps: float = Field(gt=0, description="production NVT after equilibration")
    nve_ps: float = Field(ge=0)
    npt_ps: float = Field(ge=0)
    sample_every_fs: float = Field(gt=0)
    trajectory_every_fs: float = Field(gt=0)


class SystemTable(_Table):
    """``[systems.<system>]``: per-system settings, each with its reason."""

    temperature_k: float | None = Field(default=None, gt=0)
    rationale: str = Field(min_length=1)


class MDRunFile(_Table):
    schema_version: Literal[1]
    run: RunTable
    levels: dict[str, LevelTable]
    systems: dict[str, SystemTable] = Field(default_factory=dict)

    @field_validator("levels")
    @classmethod
    def _every_level(cls, levels: dict[str, LevelTable]) -> dict[str, LevelTable]:
        if set(levels) != set(LEVELS):
            raise ValueError(f"needs exactly the levels {', '.join(LEVELS)}; has {', '.join(levels) or 'none'}")
        return levels


@dataclass(frozen=True)
class MDLevel:
    """How long and how big one level's run is (times in ps unless named fs)."""

    name: str
    description: str
    supercell_min_length_a: float
    timestep_fs: float
    equilibration_ps: float
    nvt_ps: float
    nve_ps: float
    npt_ps: float
    sample_every_fs: float
    trajectory_every_fs: float

    def steps(self, duration_ps: float) -> int:
        return round(duration_ps * 1000.0 / self.timestep_fs)

    @property
    def sample_every_steps(self) -> int:
        return max(1, round(self.sample_every_fs / self.timestep_fs))

    @property
    def trajectory_every_frames(self) -> int:
        return max(1, round(self.trajectory_every_fs / (self.sample_every_steps * self.timestep_fs)))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class MDRunConfig:
    """The whole settings file, validated."""

    source: str
    run: RunTable
    levels: dict[str, MDLevel]
    systems: dict[str, SystemTable]

    def level(self, name: str) -> MDLevel:
        if name not in self.levels:
            raise MDRunConfigError(f"no MD level {name!r} in {self.source}; levels: {', '.join(self.levels)}")
        return self.levels[name]

    def temperature_k(self, system: str) -> float:
        entry = self.systems.get(system)
        return float(entry.temperature_k) if entry and entry.temperature_k else float(self.run.temperature_k)

    def settings_for(self, level: str, system: str, pressure_gpa: float = 0.0) -> MDSettings:
        """The :class:`MDSettings` of ``level`` for ``system`` (its temperature may be its own)."""
        lvl, run = self.level(level), self.run
        return MDSettings(
            temperature_k=self.temperature_k(system),
            timestep_fs=lvl.timestep_fs,
            friction_per_fs=run.friction_per_fs,
            nvt_steps=lvl.steps(lvl.nvt_ps),
            nve_steps=lvl.steps(lvl.nve_ps),
            npt_steps=lvl.steps(lvl.npt_ps),
            equilibration_steps=lvl.steps(lvl.equilibration_ps),
            initial_temperature_factor=run.initial_temperature_factor,
            pressure_gpa=float(pressure_gpa),
            compressibility_per_gpa=run.compressibility_per_gpa,
            barostat_time_fs=run.barostat_time_fs,
            thermostat_time_fs=run.thermostat_time_fs,
            supercell_min_length_a=lvl.supercell_min_length_a,
            sample_every_steps=lvl.sample_every_steps,
            seed=run.seed,
            min_distance_floor_a=run.min_distance_floor_a,
            max_temperature_factor=run.max_temperature_factor,
        )


def parse_md_run_config(data: Any, source: str) -> MDRunConfig:
    """Validate parsed TOML ``data`` (``source`` names it in errors)."""
    parsed = validate_declarative(MDRunFile, data, source, MDRunConfigError)
    levels = {}
    for name in LEVELS:  # shortest first, whatever the file's order
        table = parsed.levels[name]
        level = MDLevel(name=name, **table.model_dump())
        for what, ps in (("equilibration_ps", level.equilibration_ps), ("nvt_ps", level.nvt_ps),
                         ("nve_ps", level.nve_ps), ("npt_ps", level.npt_ps)):
            if not math.isclose(level.steps(ps) * level.timestep_fs, ps * 1000.0, abs_tol=1e-6):
                raise MDRunConfigError(f"{source}: levels.{name}.{what} = {ps} ps is not a whole number of "
                                       f"{level.timestep_fs} fs steps")
        levels[name] = level
    return MDRunConfig(source, parsed.run, levels, dict(parsed.systems))


def load_md_run_config(path: str | Path | None = None) -> MDRunConfig:
    """Read and validate an MD settings file (default: ``insbench/md_settings.toml``)."""
    data, source = read_declarative_toml("md_settings.toml", path, MDRunConfigError)
    return parse_md_run_config(data, source)
