"""Score a simulated spectrum against a fixture's reference and write the result.

reference (fixture) + physics output (SpectralRun) -> metrics (scores, judgements)
-> results (JSON record + PNG). The plugin and the CLI both call these functions.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from insbench.metrics import Judgement, SpectralScores, Thresholds, score_spectrum
from insbench.workflows.pipeline import SpectralRun, stage_timings
from insbench.results.plots import multiphonon_part, plot_spectral_comparison
from insbench.results.records import CaseResult, ResultsStore, case_file, write_case
from insbench.workflows.recording import comparability, thresholds_digest
from insbench.workflows.reference_peaks import ReferencePeakSource, positions_array, reference_peak_source
from insbench.workflows.self_reference import self_reference_reason
from insbench._io import to_jsonable
from insbench.spectra import Spectrum1D, components_to_xarray

SPECTRA_FAMILY = "spectra"


class ReferenceMissing(LookupError):
    """The fixture has no reference spectrum of the requested kind at this pressure."""


@dataclass(frozen=True)
class WindowEvaluation:
    window: str
    window_cm1: tuple[float, float]
    scores: SpectralScores
    judgements: dict[str, Judgement]
    #: the reference peaks the peak metrics matched against (fixture table or picked)
    peaks: ReferencePeakSource | None = None

    @property
    def passed(self) -> bool:
        return all(j.passed for j in self.judgements.values())


@dataclass(frozen=True)
class CaseEvaluation:
    """All windows of one case, scored against one reference kind."""

    reference_kind: str
    reference_label: str
    windows: dict[str, WindowEvaluation]

    @property
    def passed(self) -> bool:
        return all(w.passed for w in self.windows.values())


def reference_spectrum(fixture, pressure_gpa: float, kind: str) -> Spectrum1D:
    spectrum = fixture.spectrum(pressure_gpa=pressure_gpa, kind=kind)
    if spectrum is None:
        raise ReferenceMissing(
            f"{fixture.system} {fixture.version} has no {kind} spectrum at {pressure_gpa:g} GPa"
        )
    return spectrum


def evaluate_spectral_run(
    run: SpectralRun, fixture, thresholds: Thresholds, reference_kind: str = "measured"
) -> CaseEvaluation:
    """Score ``run`` in every scoring window the fixture declares, and judge each metric.

    Peak matching uses the fixture's peak table of the same kind as the reference spectrum
    when it ships one with peaks in the window, else peaks picked from the reference spectrum
    (see :mod:`insbench.workflows.reference_peaks`); ``WindowEvaluation.peaks`` says which.
    """
    reference = reference_spectrum(fixture, run.case.pressure_gpa, reference_kind)
    table = reference_peak_source(fixture, run.case.pressure_gpa, reference_kind)
    windows = {}
    for name, window in fixture.conditions.scoring_windows_cm1.items():
        settings = thresholds.scoring_settings(fixture.system, name)
        peaks = table.in_window(tuple(window))
        scores = score_spectrum(run.spectrum, reference, tuple(window), settings,
                                reference_peaks_cm1=positions_array(peaks))
        judgements = thresholds.judge(fixture.system, name, scores.metrics)
        windows[name] = WindowEvaluation(name, tuple(window), scores, judgements, peaks)
    return CaseEvaluation(reference_kind, reference.label or reference_kind, windows)


def _window_payload(evaluation: WindowEvaluation) -> dict[str, Any]:
    return {
        "window_cm1": list(evaluation.window_cm1),
        "scores": evaluation.scores.to_dict(include_arrays=False),
        "judgements": {k: j.to_dict() for k, j in evaluation.judgements.items()},
        "passed": evaluation.passed,
        "reference_peaks_source": None if evaluation.peaks is None else evaluation.peaks.to_dict(),
    }


def write_spectral_result(
    store: ResultsStore,
    run: SpectralRun,
    evaluation: CaseEvaluation,
    fixture,
    *,
    session_id: str,
    thresholds: Thresholds,
    provenance: dict[str, Any] | None = None,
) -> tuple[Path, Path]:
    """Add the case to the (model, system, spectra) record and draw its PNG.

    ``thresholds`` are the ones that judged ``evaluation``: their digest goes into the
    comparability block. ``provenance`` (e.g. the thread limits in force) is kept with the case.
    """
    case_id = f"{run.case.label}-vs-{evaluation.reference_kind}"
    png = case_file(store, run.model["name"], fixture.system, SPECTRA_FAMILY, case_id, ".png")
    plot_windows = {}
    multiphonon = multiphonon_part(run.components)
    for name, window in evaluation.windows.items():
        fit = window.scores.fit
        if fit is None:
            continue
        plot_windows[name] = {  # multiphonon: orders >= 2 of the simulation, scaled
            "energy_cm1": fit.energy_cm1,
            "measured_minus_background": fit.measured_minus_background,
            "scaled_simulated": fit.scaled_simulated,
            "background": fit.background,
            "reference_peaks_cm1": list(window.scores.reference_peaks.positions_cm1),
            "simulated_peaks_cm1": []
            if window.scores.simulated_peaks is None
            else list(window.scores.simulated_peaks.positions_cm1),
            "scores": window.scores.metrics,
            "multiphonon": None if multiphonon is None else fit.scale * np.interp(
                fit.energy_cm1, run.spectrum.energy_cm1, multiphonon),
            "reduced_chi2": fit.reduced_chi2,
        }
    if plot_windows:
        plot_spectral_comparison(
            png,
            title=f"{run.model['name']} | {fixture.system} {fixture.version} | "
            f"{run.case.pressure_gpa:g} GPa, {run.case.cell_mode} | vs {evaluation.reference_kind}",
            reference_label=evaluation.reference_kind,
            windows=plot_windows,
        )
    payload = {
        "case": asdict(run.case),
        "reference_kind": evaluation.reference_kind,
        "settings": run.settings,
        "stages": [asdict(s) for s in run.stages],
        "timings_s": stage_timings(run.stages),
        "windows": {name: _window_payload(w) for name, w in evaluation.windows.items()},
        "plot": png.name if plot_windows else None,
        "simulated_spectrum": run.spectrum.to_dict(),
        "self_reference": self_reference_reason(fixture, run.model["name"]),
    }
    datasets = spectral_datasets(run, fixture, evaluation.reference_kind)
    result = CaseResult(
        model=run.model,
        system=fixture.system,
        family=SPECTRA_FAMILY,
        case_id=case_id,
        reference=fixture.to_provenance(),
        payload=to_jsonable(payload),
        passed=evaluation.passed,
        comparability=comparability(
            fixture,
            scoring_settings_sha256=thresholds_digest(thresholds, fixture.system, evaluation.windows),
            supercell_min_length_a=run.settings.get("phonons", {}).get("supercell_min_length_a"),
            cell_mode=run.case.cell_mode,
            multiphonon_orders=run.settings.get("ins", {}).get("orders"),
            multiphonon_max_order=run.settings.get("ins", {}).get("multiphonon_max_order"),
            self_reference=payload["self_reference"] is not None,
        ),
        session_id=session_id,
        plots=(png.name,) if plot_windows else (),
        provenance=dict(provenance or {}),
        datasets=datasets,
    )
    return write_case(store, result), png


def spectral_datasets(run: SpectralRun, fixture, reference_kind: str) -> dict[str, Any]:
    """The case's spectra as labelled xarray Datasets: "simulated" (total, and per bank and
    order when the run has components) and "reference" (the spectrum it was scored against)."""
    provenance = {
        "model": run.model.get("name"), "model_identity": run.model, "case": asdict(run.case),
        "settings": run.settings, "fixture": fixture.to_provenance(),
    }
    simulated = run.spectrum.to_xarray(kind="simulated", **provenance)
    if run.components:
        parts = components_to_xarray(run.spectrum.energy_cm1, run.components)
        simulated["intensity_per_bank_order"] = parts["intensity"]
        simulated = simulated.assign_coords(bank=parts["bank"], order=parts["order"])
    reference = reference_spectrum(fixture, run.case.pressure_gpa, reference_kind)
    return {
        "simulated": simulated,
        "reference": reference.to_xarray(kind=reference_kind, fixture=fixture.to_provenance()),
    }

