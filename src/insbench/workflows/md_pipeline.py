"""The MD stability case: relax in the fixture's cell -> MD -> metrics -> result record.

No pytest, no argparse: the benchmark file and the CLI call :func:`run_md_case`,
:func:`evaluate_md_run` and :func:`write_md_result`.

* The start is the model's own positions relaxed in the fixture's cell (the same cached
  "relax" entry the spectral pipeline's measured-cell case uses at 0 GPa): measured
  hydrogen positions are often far from any model's minimum, and a start with large
  forces heats the crystal by hundreds of kelvin in the first femtoseconds.
* The run is cached under the content hash of the model identity, the starting
  structure, the level's MD settings (seed included) and package versions; an
  interrupted run resumes from a checkpoint in the entry's work directory.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from insbench._io import to_jsonable
from insbench.results.records import CaseResult, case_file, write_case
from insbench.workflows.cache import Cache, atoms_fingerprint
from insbench.environment import package_versions
from insbench.metrics.md_stability import MDEvaluation, analyse_md, judge_md
from insbench.metrics.md_tolerances import MDConfig, MDConfigError, load_md_config
from insbench.physics.md import MDResult, MDSettings, run_md
from insbench.physics.md_settings import MDLevel, MDRunConfig, load_md_run_config
from insbench.physics.progress import Progress, silent
from insbench.physics.relax import RelaxationError, RelaxSettings
from insbench.workflows.recording import comparability, settings_digest
from insbench.workflows.pipeline import (
    ModelHandle,
    StageRecord,
    model_meta,
    relax_stage,
    stage_record,
    stage_timings,
    timed_stage,
)

MD_FAMILY = "md"
MD_STAGE = "md"
_MD_VERSIONED = ("insbench", "ase", "numpy", "torch")


@dataclass
class MDRun:
    """One MD case: the model, the system, the level, the trajectory and how it was made."""

    model: dict[str, Any]
    system: str
    fixture_version: str
    level: MDLevel
    result: MDResult
    stages: list[StageRecord]
    directory: Path | None
    start_note: str

    @property
    def case_id(self) -> str:
        return f"{self.system}-{self.level.name}-{self.result.settings.temperature_k:g}K"

    def stage(self, name: str) -> StageRecord:
        return next(s for s in self.stages if s.stage == name)


def _failed_start(atoms, settings: MDSettings, reason: str) -> MDResult:
    """A result for a run that could not start: zero steps, blown up at step 0."""
    from insbench.physics.md import build_supercell

    supercell, repeats = build_supercell(atoms, settings)
    return MDResult(
        settings=settings,
        numbers=supercell.numbers.copy(),
        masses=supercell.get_masses().copy(),
        pbc=np.asarray(supercell.pbc).copy(),
        supercell=repeats,
        step_data={"potential_ev": np.zeros(0), "total_ev": np.zeros(0), "temperature_k": np.zeros(0),
                   "stress_gpa": np.zeros((0, 6)), "volume_a3": np.zeros(0),
                   "min_distance_a": np.zeros(0), "segment": np.zeros(0, dtype=int)},
        frame_data={"frame_step": np.zeros(1, dtype=int), "positions_a": supercell.positions[None].copy(),
                    "cells_a": np.asarray(supercell.cell)[None].copy()},
        blew_up_at_step=0,
        reason=reason,
    )


def run_md_case(
    model: ModelHandle,
    fixture,
    level: str,
    cache: Cache,
    progress: Progress = silent,
    config: MDConfig | None = None,
    run_config: MDRunConfig | None = None,
) -> MDRun:
    """Relax the fixture's structure in its cell with ``model``, then run the level's MD (cached).

    ``run_config`` (md_settings.toml) says how the run is made; ``config`` (md_tolerances.toml)
    is checked against it before anything runs, so that a window that cannot fit the run
    fails in seconds, not after the MD. Never raises for a model that misbehaves: a
    relaxation or MD that goes non-finite or explodes gives an :class:`MDRun` whose result
    has ``blew_up_at_step`` and ``reason``.
    """
    run_config = run_config or load_md_run_config()
    check_windows(config or load_md_config(), run_config.level(level))
    structure = fixture.structure()
    pressures = list(fixture.conditions.pressures_gpa) or [0.0]
    settings = run_config.settings_for(level, fixture.system, pressure_gpa=min(pressures))
    lvl = run_config.level(level)
    start_note = ("positions relaxed by the model in the measured cell" if structure.cell_is_measured
                  else "positions relaxed by the model in the fixture's (computed, not measured) cell")
    from insbench.models import NonFiniteOutputError

    try:
        start, relax_record = relax_stage(
            model, structure.atoms, RelaxSettings(pressure_gpa=0.0, cell_mode="measured-cell"), cache,
            progress,
        )
    except (RelaxationError, NonFiniteOutputError) as error:
        result = _failed_start(structure.atoms, settings, f"relaxation before MD failed: {error}")
        return MDRun(model.provenance, fixture.system, fixture.version, lvl, result, [], None, start_note)

    inputs = {
        "model": model.identity,
        "structure": atoms_fingerprint(start),
        "settings": settings.to_dict(),
        "level": lvl.to_dict(),
        "versions": package_versions(_MD_VERSIONED),
    }

    def build(out: Path, work: Path) -> dict:
        calls_before = model.model_call_seconds
        result = run_md(start, model.calculator, settings, progress, checkpoint_dir=work,
                        checkpoint_every_steps=max(50, settings.total_steps // 20))
        result.provenance.update({"level": level, "model": model.identity, "system": fixture.system,
                                  "fixture_version": fixture.version, "start": start_note})
        result.save(out)
        result.write_extxyz(out / "trajectory.extxyz", lvl.trajectory_every_frames)
        return {"blew_up_at_step": result.blew_up_at_step, "md_seconds": result.seconds,
                **model_meta(model, calls_before)}

    hit, seconds = timed_stage(cache, MD_STAGE, inputs, build)
    result = MDResult.load(hit.path)
    md_record = stage_record(MD_STAGE, hit, seconds, {
        "steps": result.steps, "planned_steps": settings.total_steps, "n_atoms": result.n_atoms,
        "supercell": list(result.supercell), "blew_up_at_step": result.blew_up_at_step,
        "reason": result.reason, "md_seconds": result.seconds,
        "seconds_per_step": result.seconds / max(1, result.steps - result.resumed_from_step),
    })
    return MDRun(model.provenance, fixture.system, fixture.version, lvl, result,
                 [relax_record, md_record], hit.path, start_note)


def check_windows(config: MDConfig, level: MDLevel) -> None:
    """Raise :class:`MDConfigError` if ``config``'s RDF windows for ``level`` do not fit its production NVT."""
    windows = config.level(level.name)
    if windows.late_window_ps[1] > level.nvt_ps + 1e-9:
        raise MDConfigError(
            f"{config.source}: levels.{level.name}.late_window_ps ends at {windows.late_window_ps[1]} ps, after "
            f"the {level.nvt_ps} ps of production NVT that the MD settings declare for that level; "
            f"shorten the window or lengthen nvt_ps")


def evaluate_md_run(run: MDRun, tolerances: dict | None = None, config: MDConfig | None = None) -> MDEvaluation:
    """Compute every MD metric of ``run`` and judge it (``tolerances``: metric -> tolerance;
    default: ``config``'s for the run's system and level)."""
    config = config or load_md_config()
    check_windows(config, run.level)
    level = config.level(run.level.name)
    if tolerances is None:
        tolerances = config.tolerances_for(run.system, run.level.name)
    analysis_settings = config.analysis.model_dump()
    analysis = analyse_md(
        run.result,
        early_window_ps=level.early_window_ps,
        late_window_ps=level.late_window_ps,
        running_average_ps=level.running_average_ps,
        **analysis_settings,
    )
    return judge_md(analysis, tolerances, blew_up_at_step=run.result.blew_up_at_step,
                    reason=run.result.reason)


def write_md_result(store, run: MDRun, evaluation: MDEvaluation, fixture, session_id: str,
                    provenance: dict[str, Any] | None = None) -> tuple[Path, list[Path]]:
    """Add the case to the (model, system, "md") record and draw its PNGs."""
    from insbench.results.md_plots import plot_md_validation

    png = case_file(store, run.model["name"], fixture.system, MD_FAMILY, run.case_id, ".png")
    title = (f"{run.model['name']} | {fixture.system} {fixture.version} | {run.level.name}, "
             f"{run.result.settings.temperature_k:g} K, {run.result.n_atoms} atoms")
    pngs = [plot_md_validation(png, run.result, evaluation.analysis, title=title)]
    payload = {
        "level": run.level.to_dict(),
        "settings": run.result.settings.to_dict(),
        "seed": run.result.settings.seed,
        "start": run.start_note,
        "supercell": list(run.result.supercell),
        "n_atoms": run.result.n_atoms,
        "steps": run.result.steps,
        "planned_steps": run.result.settings.total_steps,
        "blew_up_at_step": run.result.blew_up_at_step,
        "reason": run.result.reason,
        "scores": evaluation.scores,
        "judgements": {k: j.to_dict() for k, j in evaluation.judgements.items()},
        "tolerances": evaluation.tolerances,
        "notes": evaluation.notes,
        "statistics": evaluation.statistics(),
        "summary": evaluation.summary_line(),
        "stages": [asdict(s) for s in run.stages],
        "timings_s": stage_timings(run.stages),
        "md_seconds_per_step": run.result.seconds / max(1, run.result.steps - run.result.resumed_from_step),
        "cache_entry": None if run.directory is None else str(run.directory),
    }
    result = CaseResult(
        model=run.model, system=fixture.system, family=MD_FAMILY, case_id=run.case_id,
        reference=fixture.to_provenance(), payload=to_jsonable(payload), passed=evaluation.passed,
        comparability=comparability(
            fixture,
            scoring_settings_sha256=settings_digest(evaluation.tolerances),
            md_level=run.level.name,
            supercell_min_length_a=run.level.supercell_min_length_a,
            cell_mode="measured-cell",  # the start is relaxed in the fixture's cell (see run_md_case)
        ),
        session_id=session_id, plots=tuple(p.name for p in pngs), provenance=dict(provenance or {}),
    )
    return write_case(store, result), pngs
