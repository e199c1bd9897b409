"""SYNTHETIC result records for tests of insbench.results (imported by conftest and tests).

Every record made here is synthetic: the "simulated" spectra are the real measured
hexane TFXA spectrum (the packaged fixture) stretched in energy by a factor and
smoothed, written through the real record-writing path
(:func:`insbench.workflows.evaluate.write_spectral_result`). Model names start with
``synthetic-`` so that nobody mistakes them for real runs.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import numpy as np
from ase import Atoms

from insbench.workflows.evaluate import evaluate_spectral_run, write_spectral_result
from insbench.metrics import load_thresholds
from insbench.workflows.pipeline import SpectralCase, SpectralRun, StageRecord
from insbench.reference import load_fixture
from insbench.results import ResultsStore
from insbench.spectra import Spectrum1D

#: synthetic model name -> energy stretch factor (1.0 = the measured peaks exactly)
SYNTHETIC_MODELS = {"synthetic-good": 1.0, "synthetic-soft": 0.90}


def synthetic_identity(name: str, sha: str = "0" * 64) -> dict:
    return {
        "name": name, "kind": "plugin", "source": "tests", "description": "SYNTHETIC test model",
        "model_file": {"path": f"/nonexistent/{name}.model", "sha256": sha},
        "options": {}, "packages": {"ase": "test"}, "d3": None, "dispersion_included": None,
    }


SYNTHETIC_COMPARABILITY = {
    "md_level": None, "supercell_min_length_a": 8.0, "cell_mode": "relaxed-cell",
    "fixture": {"system": "hexane", "version": "1.0.0"}, "scoring_settings_sha256": "0" * 64,
    "insbench_version": "0.1.0", "multiphonon_orders": [1, 2], "multiphonon_max_order": 10,
    "self_reference": False,
}


def synthetic_case(model: dict, case_id: str, passed: bool = True, *, family: str = "spectra",
                   system: str = "hexane", reference: dict | None = None, payload: dict | None = None,
                   session_id: str = "s", plots: tuple[str, ...] = (), **comparability):
    """A SYNTHETIC :class:`CaseResult` (for tests of the writer and the readers)."""
    from insbench.results.records import CaseResult

    return CaseResult(
        model=model, system=system, family=family, case_id=case_id,
        reference=reference or {"system": system, "version": "1.0.0", "manifest_sha256": "abc"},
        payload=payload or {}, passed=passed,
        comparability={**SYNTHETIC_COMPARABILITY, **comparability}, session_id=session_id, plots=plots,
    )


def synthetic_spectrum(measured: Spectrum1D, stretch: float) -> Spectrum1D:
    """SYNTHETIC: the measured spectrum with energies multiplied by ``stretch``, smoothed."""
    x = np.arange(5.0, 2000.0, 1.0)
    y = np.interp(x / stretch, measured.energy_cm1, measured.intensity, left=0.0, right=0.0)
    kernel = np.exp(-0.5 * (np.arange(-8, 9) / 3.0) ** 2)
    y = np.convolve(y, kernel / kernel.sum(), mode="same")
    return Spectrum1D(x, np.clip(y, 0.0, None), None, label=f"SYNTHETIC x{stretch:g}")


def synthetic_run(name: str, stretch: float, fixture, cell_mode: str = "relaxed-cell",
                  sha: str = "0" * 64) -> SpectralRun:
    case = SpectralCase(fixture.system, 0.0, cell_mode)
    spectrum = synthetic_spectrum(fixture.spectrum(0.0, "measured"), stretch)
    stage = StageRecord("spectrum", 0.01, False, "synthetic", 0.01, {"synthetic": True})
    return SpectralRun(case=case, model=synthetic_identity(name, sha), structure=Atoms("H"),
                       spectrum=spectrum, components={}, stages=[stage],
                       settings={"synthetic": True}, phonopy_yaml=Path("/nonexistent/phonopy.yaml"))


def write_synthetic(results_dir: Path, name: str, stretch: float, *, session_id: str | None = None,
                    cell_modes=("relaxed-cell",), sha: str = "0" * 64) -> Path:
    fixture = load_fixture("hexane")
    thresholds = load_thresholds()
    store = ResultsStore(results_dir)
    session_id = session_id or uuid.uuid4().hex
    path = None
    for mode in cell_modes:
        run = synthetic_run(name, stretch, fixture, mode, sha)
        evaluation = evaluate_spectral_run(run, fixture, thresholds, "measured")
        path, _png = write_spectral_result(store, run, evaluation, fixture, session_id=session_id,
                                           thresholds=thresholds)
    return path
