"""Compose the physics stages with the cache, the conformance check and timings.

This is the one place that knows the order relax -> phonons -> spectrum. It has no
pytest and no argparse: the plugin and the CLI both call :func:`run_spectral_case`.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import ase.io
import numpy as np
from ase import Atoms

from insbench.workflows.cache import Cache, CacheHit, atoms_fingerprint, save_npz_atomic
from insbench.environment import package_versions
from insbench.physics import phonons as ph
from insbench.physics.ins import INSSettings, InstrumentSpec, simulate_ins
from insbench.physics.progress import Progress, silent
from insbench.physics.relax import CellMode, RelaxSettings, relax
from insbench.spectra import Spectrum1D
from insbench.workflows.model_handle import ModelHandle


@dataclass(frozen=True)
class SpectralCase:
    """One simulated spectrum to make: a system at a pressure, with a cell mode."""

    system: str
    pressure_gpa: float
    cell_mode: CellMode

    @property
    def label(self) -> str:
        return f"{self.system}-{self.pressure_gpa:g}GPa-{self.cell_mode}"


@dataclass(frozen=True)
class PipelineSettings:
    """Overridable settings; the fixture supplies instrument, temperature and window."""

    relax: RelaxSettings = field(default_factory=RelaxSettings)
    phonons: ph.PhononSettings = field(default_factory=ph.PhononSettings)
    q_spacing_inv_a: float = 0.35
    bin_width_cm1: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class StageRecord:
    """How one stage went: wall time, whether it came from the cache, its summary."""

    stage: str
    seconds: float
    reused: bool
    cache_key: str
    build_seconds: float
    summary: dict[str, Any]
    #: seconds inside the model while the entry was built (None: no model in this stage)
    model_call_seconds: float | None = None

    @property
    def cost_seconds(self) -> float:
        """What the stage cost when it was computed: the build time the cache entry recorded
        (the same number on the cold run and on every run that reuses the entry)."""
        return self.build_seconds


def stage_timings(stages: list[StageRecord], prefix: str = "") -> dict[str, dict[str, Any]]:
    """``timings_s`` of a record: per stage its cost when computed, whether it was reused this
    time (then the cost is the one measured when the cache entry was built), and this run's wall time."""
    return {
        f"{prefix}{s.stage}": {"seconds": s.cost_seconds, "reused": s.reused, "wall_seconds": s.seconds}
        for s in stages
    }


@dataclass
class SpectralRun:
    """Everything the metrics and the results need from one case."""

    case: SpectralCase
    model: dict[str, Any]
    structure: Atoms
    spectrum: Spectrum1D
    components: dict[str, list[float]]
    stages: list[StageRecord]
    settings: dict[str, Any]
    phonopy_yaml: Path

    def stage(self, name: str) -> StageRecord:
        return next(s for s in self.stages if s.stage == name)


def ins_settings_for(conditions, settings: PipelineSettings) -> INSSettings:
    """INS settings from a fixture's declared conditions (instrument, T, window)."""
    res = conditions.resolution
    instrument = InstrumentSpec(
        name=res.instrument,
        version=res.version,
        resolution_model=res.model,
        width_scale=res.width_scale,
        kinematics_version=res.kinematics_version,
        kinematics_model=res.kinematics_model,
        banks=tuple(res.banks),
    )
    return INSSettings(
        instrument=instrument,
        temperature_k=float(conditions.temperature_for_simulation_k),
        energy_max_cm1=float(conditions.energy_window_cm1[1]),
        bin_width_cm1=settings.bin_width_cm1,
        q_spacing_inv_a=settings.q_spacing_inv_a,
    )


def model_meta(model: ModelHandle, calls_before: float) -> dict[str, Any]:
    """Cache-entry metadata of a stage that ran ``model``: time inside it, and where it ran."""
    return {"model_call_seconds": model.model_call_seconds - calls_before, "device": model.device}


def timed_stage(cache: Cache, stage: str, inputs: dict, build) -> tuple[CacheHit, float]:
    started = time.perf_counter()
    hit = cache.get_or_create(stage, inputs, build)
    return hit, time.perf_counter() - started


def stage_record(stage: str, hit: CacheHit, seconds: float, summary: dict) -> StageRecord:
    return StageRecord(
        stage=stage,
        seconds=seconds,
        reused=hit.reused,
        cache_key=str(hit.meta.get("key", "")),
        build_seconds=float(hit.meta.get("build_seconds", seconds)),
        summary=summary,
        model_call_seconds=hit.meta.get("model_call_seconds"),
    )


def relax_stage(model: ModelHandle, atoms: Atoms, relax_settings: RelaxSettings, cache: Cache,
                progress: Progress = silent) -> tuple[Atoms, StageRecord]:
    inputs = {
        "model": model.identity,
        "structure": atoms_fingerprint(atoms),
        "settings": relax_settings.to_dict(),
        "versions": package_versions(("insbench", "ase")),
    }

    def build(out: Path, work: Path) -> dict:
        calls_before = model.model_call_seconds
        result = relax(atoms, model.calculator, relax_settings, progress, checkpoint=work / "relax.npz")
        ase.io.write(out / "relaxed.extxyz", result.atoms, format="extxyz")
        (out / "summary.json").write_text(json.dumps(result.summary(), indent=1))
        return model_meta(model, calls_before)

    hit, seconds = timed_stage(cache, "relax", inputs, build)
    relaxed = ase.io.read(hit.path / "relaxed.extxyz", format="extxyz")
    summary = json.loads((hit.path / "summary.json").read_text())
    return relaxed, stage_record("relax", hit, seconds, summary)


def phonon_stage(model: ModelHandle, atoms: Atoms, phonon_settings: ph.PhononSettings, cache: Cache,
                 progress: Progress = silent) -> tuple[Path, StageRecord]:
    inputs = {
        "model": model.identity,
        "structure": atoms_fingerprint(atoms),
        "settings": phonon_settings.to_dict(),
        "versions": package_versions(("insbench", "phonopy", "spglib")),
    }

    def build(out: Path, work: Path) -> dict:
        phonon = ph.make_phonopy(atoms, phonon_settings)
        checkpoint_file = work / "forces.npz"
        done: list[np.ndarray] = []
        if checkpoint_file.is_file():
            done = list(np.load(checkpoint_file)["forces"])
        calls_before = model.model_call_seconds
        batch = model.batched_forces(len(phonon.supercell))
        forces = ph.displaced_forces(
            phonon,
            model.calculator,
            done=done,
            checkpoint=lambda _i, f: save_npz_atomic(checkpoint_file, forces=f),
            progress=progress,
            batch=batch,
        )
        ph.produce_force_constants(phonon, forces)
        ph.save_phonopy(phonon, out / "phonopy.yaml")
        summary = ph.summarise(phonon, n_reused=len(done)).to_dict()
        (out / "summary.json").write_text(json.dumps(summary, indent=1))
        return {**model_meta(model, calls_before),
                "force_path": f"batched x{batch.batch_size}" if batch is not None else "sequential"}

    hit, seconds = timed_stage(cache, "phonons", inputs, build)
    summary = json.loads((hit.path / "summary.json").read_text())
    return hit.path / "phonopy.yaml", stage_record("phonons", hit, seconds, summary)


def spectrum_stage(phonopy_yaml: Path, phonon_key: str, ins_settings: INSSettings, cache: Cache,
                   progress: Progress = silent) -> tuple[Spectrum1D, dict, StageRecord]:
    inputs = {
        "phonons": phonon_key,
        "settings": ins_settings.to_dict(),
        "versions": package_versions(("insbench", "euphonic", "abinslib", "resins")),
    }

    def build(out: Path, _work: Path) -> dict:
        force_constants = ph.load_force_constants(phonopy_yaml.parent, phonopy_yaml.name)
        result = simulate_ins(force_constants, ins_settings, progress)
        payload = {
            "spectrum": result.spectrum.to_dict(),
            "components": {k: np.asarray(v).tolist() for k, v in result.components.items()},
        }
        (out / "spectrum.json").write_text(json.dumps(payload))
        summary = {
            "mesh": list(result.mesh),
            "n_qpoints": result.n_qpoints,
            "min_frequency_cm1": result.min_frequency_cm1,
            "n_imaginary_modes": result.n_imaginary_modes,
        }
        (out / "summary.json").write_text(json.dumps(summary, indent=1))
        return {}

    hit, seconds = timed_stage(cache, "spectrum", inputs, build)
    payload = json.loads((hit.path / "spectrum.json").read_text())
    summary = json.loads((hit.path / "summary.json").read_text())
    return Spectrum1D.from_dict(payload["spectrum"]), payload["components"], stage_record(
        "spectrum", hit, seconds, summary
    )


def run_spectral_case(
    model: ModelHandle,
    fixture,
    case: SpectralCase,
    cache: Cache,
    settings: PipelineSettings | None = None,
    progress: Progress = silent,
) -> SpectralRun:
    """Relax, compute phonons and simulate the spectrum of one case, reusing the cache.

    The fixture's structure is the start; with ``cell_mode="measured-cell"`` only the
    positions move (the fixture must say its cell is measured).
    """
    settings = settings or PipelineSettings()
    structure = fixture.structure()
    if case.cell_mode == "measured-cell" and not structure.cell_is_measured:
        raise ValueError(
            f"{fixture.system} {fixture.version}: its structure's cell is not measured "
            f"({structure.artefact.kind}), so 'measured-cell' is not available; use 'relaxed-cell'"
        )
    relax_settings = RelaxSettings(**{
        **settings.relax.to_dict(),
        "pressure_gpa": case.pressure_gpa,
        "cell_mode": case.cell_mode,
    })
    relaxed, relax_record = relax_stage(model, structure.atoms, relax_settings, cache, progress)
    phonopy_yaml, phonon_record = phonon_stage(model, relaxed, settings.phonons, cache, progress)
    ins_settings = ins_settings_for(fixture.conditions, settings)
    spectrum, components, spectrum_record = spectrum_stage(
        phonopy_yaml, phonon_record.cache_key, ins_settings, cache, progress
    )
    spectrum = Spectrum1D(
        spectrum.energy_cm1,
        spectrum.intensity,
        None,
        label=f"{model.name} ({case.cell_mode}, {case.pressure_gpa:g} GPa)",
        metadata={**spectrum.metadata, "model": model.name, "case": asdict(case)},
    )
    return SpectralRun(
        case=case,
        model=model.provenance,
        structure=relaxed,
        spectrum=spectrum,
        components=components,
        stages=[relax_record, phonon_record, spectrum_record],
        settings={
            "relax": relax_settings.to_dict(),
            "phonons": settings.phonons.to_dict(),
            "ins": ins_settings.to_dict(),
        },
        phonopy_yaml=phonopy_yaml,
    )
