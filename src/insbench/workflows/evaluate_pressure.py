"""Pressure-shift benchmark items, their judgement and their result record.

reference (fixture claims, peak tables) + physics (two relaxed-cell runs) -> pressure
analysis (tracked modes, bands) -> thresholds -> results (JSON record + PNG).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from insbench.metrics import Judgement, Thresholds
from insbench.workflows.pipeline import SpectralCase, stage_timings
from insbench.workflows.pressure import BandChoice, PressureAnalysis, ReferenceBand, choose_band, reference_bands
from insbench.workflows.pressure_report import draw_pressure_figure
from insbench.workflows.self_reference import self_reference_reason
from insbench._io import to_jsonable, write_text_atomic
from insbench.results.records import CaseResult, ResultsStore, record_path, safe_name, write_case
from insbench.workflows.recording import comparability, thresholds_digest

PRESSURE_FAMILY = "pressure"
PRESSURE_WINDOW = "pressure"  # the thresholds.toml section of pressure metrics


@dataclass(frozen=True)
class PressureItem:
    """One judged pressure check.

    ``check`` is "blue_shift_fraction", "red_shift" (a band the claims say red-shifts),
    "band_sign" (a reference band whose shift sign the model must reproduce) or
    "missing" (a declared but empty measured slot: the test says how to import it).
    """

    check: str
    target_cm1: float | None = None
    label: str | None = None
    reference_kind: str | None = None
    reference_shift_cm1: float | None = None
    message: str = ""

    @property
    def id(self) -> str:
        parts = [self.check]
        if self.target_cm1 is not None:
            parts.append(f"{self.target_cm1:g}cm-1")
        if self.reference_kind:
            parts.append(f"vs-{self.reference_kind}")
        return "-".join(parts)


def pressures_of(fixture) -> tuple[float, float] | None:
    pressures = sorted(fixture.conditions.pressures_gpa)
    return (pressures[0], pressures[-1]) if len(pressures) >= 2 else None


def _json_artefacts(fixture, role: str, kind: str | None = None) -> list[tuple[Any, dict]]:
    found = []
    for artefact in fixture.artefacts(role=role, kind=kind):
        if str(artefact.file).endswith(".json"):
            found.append((artefact, json.loads(fixture.file_path(artefact.name).read_text())))
    return found


def claimed_red_shifts(fixture) -> list[dict]:
    """Claims of the form {"band_cm1": x, "sign": "red"} from the fixture's claims files."""
    claims = []
    for _artefact, data in _json_artefacts(fixture, "claims"):
        for claim in data.get("claims", []):
            if claim.get("sign") == "red" and claim.get("band_cm1") is not None:
                claims.append(claim)
    return claims


def fixture_reference_bands(fixture) -> tuple[str | None, list[ReferenceBand]]:
    """Bands with shifts from the measured peak table if there is one, else the computed one."""
    for kind in ("measured", "computed"):
        tables = _json_artefacts(fixture, "peaks", kind)
        if tables:
            artefact, data = tables[0]
            return kind, reference_bands(data, kind, f"{fixture.system} {fixture.version}: {artefact.name}")
    return None, []


def _label_near(bands: list[ReferenceBand], target_cm1: float, tolerance_cm1: float = 30.0) -> str | None:
    close = [b for b in bands if abs(b.position_cm1 - target_cm1) <= tolerance_cm1 and b.label]
    return min(close, key=lambda b: abs(b.position_cm1 - target_cm1)).label if close else None


def pressure_items(fixture, sign_noise_cm1: float = 0.5) -> list[PressureItem]:
    """Every pressure check a fixture supports (none if it has a single pressure)."""
    if pressures_of(fixture) is None:
        return []
    kind, bands = fixture_reference_bands(fixture)
    items = [PressureItem("blue_shift_fraction")]
    for claim in claimed_red_shifts(fixture):
        items.append(PressureItem("red_shift", float(claim["band_cm1"]), _label_near(bands, claim["band_cm1"]),
                                  "claim", None, claim.get("statement", "")))
    for band in bands:
        if abs(band.shift_cm1) >= sign_noise_cm1:  # smaller reference shifts have no reliable sign
            items.append(PressureItem("band_sign", band.position_cm1, band.label, band.kind, band.shift_cm1))
    if kind != "measured":
        for slot in getattr(fixture, "slots", ()):
            if getattr(slot, "role", None) == "peaks" and getattr(slot, "kind", None) == "measured":
                hint = getattr(slot, "import_hint", "") or "insbench reference import --help"
                items.append(PressureItem(
                    "missing", reference_kind="measured",
                    message=f"measured peak table not bundled with {fixture.system} {fixture.version}; "
                    f"import it with: {hint}"))
    return items


@dataclass(frozen=True)
class PressureVerdict:
    item: PressureItem
    value: float | None
    judgement: Judgement
    band: BandChoice | None


def judge_pressure_item(analysis: PressureAnalysis, item: PressureItem, thresholds: Thresholds,
                        system: str, window_cm1: tuple[float, float]) -> PressureVerdict:
    """Compute the item's number and judge it against thresholds.toml [<system>.pressure]."""
    band = None
    if item.check == "blue_shift_fraction":
        value = analysis.blue_fraction(window_cm1)
        metric = "blue_shift_fraction"
    elif item.check == "red_shift":
        band = choose_band(analysis, item.target_cm1, label=item.label)
        value = band.shift_cm1
        metric = "red_shift_cm1"
    elif item.check == "band_sign":
        band = choose_band(analysis, item.target_cm1, label=item.label)
        # the model's shift measured along the reference's direction: > 0 means same sign
        value = None if band.shift_cm1 is None else band.shift_cm1 * (1 if item.reference_shift_cm1 > 0 else -1)
        metric = "band_shift_along_reference_cm1"
    else:
        raise ValueError(f"no number to judge for a {item.check!r} item")
    judgement = thresholds.get(system, PRESSURE_WINDOW, metric).judge(value)
    return PressureVerdict(item, value, judgement, band)


def write_pressure_result(store: ResultsStore, *, model, fixture, analysis: PressureAnalysis,
                          runs: dict[float, Any], verdict: PressureVerdict, session_id: str,
                          window_cm1: tuple[float, float], thresholds: Thresholds,
                          provenance: dict[str, Any] | None = None) -> None:
    """Add the verdict to the (model, system, pressure) record and redraw its PNG.

    ``thresholds`` judged the verdict (their digest goes into the comparability block).
    """
    record = record_path(store.results_dir, model.name, fixture.system, PRESSURE_FAMILY)
    png = record.parent / f"{PRESSURE_FAMILY}-spectra.png"
    marked = []
    _, bands = fixture_reference_bands(fixture)
    claimed = [float(claim["band_cm1"]) for claim in claimed_red_shifts(fixture)]
    for target in claimed:  # the claimed red-shift band is always marked
        choice = choose_band(analysis, target, label=_label_near(bands, target))
        marked.append({"label": f"{target:g}", "position_cm1": choice.position_cm1, "shift_cm1": choice.shift_cm1})
    if verdict.band is not None and verdict.item.check != "red_shift":
        marked.append({"label": f"{verdict.item.target_cm1:g}",
                       "position_cm1": verdict.band.position_cm1, "shift_cm1": verdict.band.shift_cm1})
    draw_pressure_figure(
        png, title=f"{model.name} | {fixture.system} {fixture.version} | relaxed cell at "
        + " and ".join(f"{p:g}" for p in sorted(runs)) + " GPa",
        model_name=model.name, fixture=fixture, runs=runs, marked=marked, claimed_cm1=claimed, bands=bands,
        window_cm1=window_cm1)
    self_made = self_reference_reason(fixture, model.name)
    payload = {
        "item": verdict.item.__dict__,
        "value": verdict.value,
        "judgements": {verdict.judgement.metric: verdict.judgement.to_dict()},
        "band": None if verdict.band is None else verdict.band.to_dict(),
        "pressures_gpa": list(analysis.pressures_gpa),
        "timings_s": {k: v for p, r in runs.items() for k, v in stage_timings(r.stages, f"{p:g}GPa/").items()},
        "plot": png.name,
        "self_reference": self_made,
    }
    modes_file = record.parent / f"{PRESSURE_FAMILY}-modes.json"
    write_text_atomic(modes_file, json.dumps(analysis.mode_rows(), indent=0, default=float))
    any_run = next(iter(runs.values()))
    result = CaseResult(
        model=model.identity, system=fixture.system, family=PRESSURE_FAMILY,
        case_id=safe_name(verdict.item.id), reference=fixture.to_provenance(),
        payload=to_jsonable(payload), passed=verdict.judgement.passed,
        comparability=comparability(
            fixture,
            scoring_settings_sha256=thresholds_digest(thresholds, fixture.system, [PRESSURE_WINDOW]),
            supercell_min_length_a=any_run.settings.get("phonons", {}).get("supercell_min_length_a"),
            cell_mode="relaxed-cell",
            multiphonon_orders=any_run.settings.get("ins", {}).get("orders"),
            multiphonon_max_order=any_run.settings.get("ins", {}).get("multiphonon_max_order"),
            self_reference=self_made is not None,
        ),
        session_id=session_id, plots=(png.name,), files=(modes_file.name,),
        provenance=dict(provenance or {}),
    )
    write_case(store, result)

def relaxed_cases(fixture) -> list[SpectralCase]:
    low, high = pressures_of(fixture)
    return [SpectralCase(fixture.system, low, "relaxed-cell"), SpectralCase(fixture.system, high, "relaxed-cell")]
