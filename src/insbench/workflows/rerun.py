"""Re-run submitted cases through the real pipeline (``insbench verify --mlip NAME --rerun-sample N``).

results/submit.py checks a bundle and compares scores but never runs a model: it takes a
:data:`~insbench.results.submit.CaseRunner`, and :func:`pipeline_runner` is the real one.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from insbench.results.submit import CaseRunner


def settings_from_record(settings: dict[str, Any]):
    """The :class:`~insbench.workflows.pipeline.PipelineSettings` that produced a case's ``settings``
    (relax, phonons, ins); the instrument, temperature and energy range come from the fixture."""
    from insbench.physics.phonons import PhononSettings
    from insbench.physics.relax import RelaxSettings
    from insbench.workflows.pipeline import PipelineSettings

    default = PipelineSettings()
    phonons = dict(settings.get("phonons", {}))
    if phonons.get("supercell_diagonal") is not None:
        phonons["supercell_diagonal"] = tuple(phonons["supercell_diagonal"])
    ins = settings.get("ins", {})
    return replace(
        default,
        relax=RelaxSettings(**settings["relax"]) if "relax" in settings else default.relax,
        phonons=PhononSettings(**phonons) if phonons else default.phonons,
        q_spacing_inv_a=float(ins.get("q_spacing_inv_a", default.q_spacing_inv_a)),
        bin_width_cm1=float(ins.get("bin_width_cm1", default.bin_width_cm1)),
    )


def pipeline_runner(cache_dir: str | None = None) -> CaseRunner:
    """Re-run a spectral case through the real pipeline with the settings the record states.

    Raises ValueError when the model file resolved for ``model_name`` is not the submitted
    one (its sha256 differs), so a verification never compares two different models.
    """
    memo: dict[str, Any] = {}

    def run(model_name: str, record: dict[str, Any], case_id: str) -> dict[str, dict[str, float]]:
        from insbench.metrics import load_thresholds
        from insbench.models import resolve_mlip
        from insbench.reference import load_fixture
        from insbench.workflows.cache import Cache
        from insbench.workflows.evaluate import evaluate_spectral_run
        from insbench.workflows.pipeline import ModelHandle, SpectralCase, run_spectral_case

        if "model" not in memo:
            memo["model"] = ModelHandle(resolve_mlip(model_name))
        model = memo["model"]
        wanted = (record["model"].get("model_file") or {}).get("sha256")
        have = (model.identity.get("model_file") or {}).get("sha256")
        if wanted != have:
            raise ValueError(f"{model_name}: model file sha256 {str(have)[:12]} differs from the "
                             f"submitted {str(wanted)[:12]}; re-run with the submitted model file")
        case = record["cases"][case_id]
        fixture = load_fixture(record["system"], record["reference"]["version"])
        pipeline_settings = settings_from_record(case.get("settings", {}))
        spec = case["case"]
        spectral_case = SpectralCase(spec["system"], float(spec["pressure_gpa"]), spec["cell_mode"])
        result = run_spectral_case(model, fixture, spectral_case, Cache(cache_dir), pipeline_settings)
        evaluation = evaluate_spectral_run(result, fixture, load_thresholds(), case["reference_kind"])
        return {w: dict(e.scores.metrics) for w, e in evaluation.windows.items()}

    return run
