"""Pressure-shift benchmark items, their judgement and their result record.

reference (fixture claims, peak tables) + physics (two relaxed-cell runs) -> pressure
analysis (tracked modes, bands) -> thresholds -> results (JSON record + PNG).

Tracking gate (thresholds.toml ``[<system>.pressure]``, else ``[default_pressure]``): a band
verdict (claimed red shift, band sign) on a band tracked with overlap below
``tracking_overlap`` FAILS, saying so, with its value left unjudged (``None``: a gate or
leaderboard that re-reads the record cannot pass it either). The blue fraction counts an
untracked mode as neither blue nor red (it stays in the denominator, so the judged value is
the bound least favourable to passing) and is not judged at all when untracked modes carry
more than ``untracked_weight_fraction`` of the INS weight. Every verdict records the gate
(``tracking`` in the case payload).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from insbench.metrics import Judgement, Thresholds
from insbench.metrics.pressure_thresholds import DEFAULT_PRESSURE_TABLE, PRESSURE_WINDOW
from insbench.workflows.pipeline import SpectralCase, stage_timings
from insbench.workflows.pressure import BandChoice, PressureAnalysis, ReferenceBand, choose_band, reference_bands
from insbench.workflows.pressure_report import draw_pressure_figure, sensitivity_table
from insbench.workflows.self_reference import self_reference_reason
from insbench._io import to_jsonable, write_text_atomic
from insbench.results.records import CaseResult, ResultsStore, record_path, safe_name, write_case
from insbench.results.summary_pressure import sensitivity_block, sensitivity_verdict_name
from insbench.workflows.recording import comparability, thresholds_digest

PRESSURE_FAMILY = "pressure"
#: what to do about a band or a spectrum that is not tracked reliably
TRACKING_FIX = ("Fix: tighten the relaxation at both pressures (lower fmax) and check the structure "
                "(a cell that collapses or reorganises under pressure changes the modes themselves); "
                "pressure-modes.json next to the record lists every mode's overlap")


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
    value: float | None  # the judged number; None when the tracking gate left it unjudged
    judgement: Judgement
    band: BandChoice | None
    tracking: dict[str, Any] | None = None  # the tracking gate: its judgement, the minimum, what it saw


def _not_judged(limit, why: str) -> Judgement:
    """A failed judgement of ``limit``'s metric whose value is not judged (NaN -> null in records)."""
    return Judgement(limit.metric, False, float("nan"), limit.threshold, limit.direction, limit.unit, None,
                     f"{limit.metric} not judged: {why} (fail). {TRACKING_FIX}")


def _source(limit) -> str:
    """Where a pressure limit was declared, as a thresholds.toml table name."""
    table = DEFAULT_PRESSURE_TABLE if limit.rationale.startswith("DEFAULT") else f"{limit.system}.{PRESSURE_WINDOW}"
    return f"thresholds [{table}.{limit.metric}]"


def _judge_band(analysis: PressureAnalysis, band: BandChoice, value: float | None, limit, gate_limit,
                ) -> tuple[float | None, Judgement, dict[str, Any]]:
    """Judge a band's number unless its band is tracked below the minimum overlap."""
    gate = gate_limit.judge(band.tracking_overlap)
    tracking = {"gate": gate.to_dict(), "min_overlap": gate_limit.threshold, "overlap": band.tracking_overlap,
                "source": _source(gate_limit), "volume_change_fraction": analysis.volume_change_fraction}
    if band.chosen_mode is None or band.tracking_overlap is None:
        return value, limit.judge(value), tracking
    if not gate.passed:
        high = analysis.pressures_gpa[1]
        why = (f"the band at {band.position_cm1:.1f} cm-1 (mode {band.chosen_mode}, {len(band.modes)} mode(s)) is "
               f"not tracked reliably to {high:g} GPa: eigenvector overlap {band.tracking_overlap:.2f} < minimum "
               f"{gate_limit.threshold:g} ({_source(gate_limit)}), so its shift {band.shift_cm1:+.1f} cm-1 may "
               f"belong to another vibration; cell volume changed {analysis.volume_change_fraction:+.1%}")
        return None, _not_judged(limit, why), {**tracking, "untrusted_value": value}
    return value, limit.judge(value), tracking


def _judge_blue(analysis: PressureAnalysis, window_cm1, limit, gate_limit, share_limit,
                ) -> tuple[float | None, Judgement, dict[str, Any]]:
    """Untracked modes: neither blue nor red; more than the allowed INS-weight share: not judged."""
    fraction = analysis.blue_fraction(window_cm1, min_overlap=gate_limit.threshold)
    # the bound least favourable to passing: untracked modes never help a verdict
    value = fraction.lower if limit.direction == "min" else fraction.upper
    share = share_limit.judge(fraction.untracked_weight_fraction)
    tracking = {"gate": share.to_dict(), "min_overlap": gate_limit.threshold, "source": _source(gate_limit),
                "share_source": _source(share_limit), "blue_fraction": fraction.to_dict(),
                "window_cm1": [float(window_cm1[0]), float(window_cm1[1])],
                "volume_change_fraction": analysis.volume_change_fraction}
    if not share.passed:
        why = (f"{fraction.untracked_weight_fraction:.1%} of the INS weight in {window_cm1[0]:g}-{window_cm1[1]:g} "
               f"cm-1 ({fraction.n_untracked} of {fraction.n_modes} modes) is in modes tracked with band overlap "
               f"< {gate_limit.threshold:g}, above the allowed {share_limit.threshold:.0%} ({_source(share_limit)}); "
               f"the blue fraction could be anything from {fraction.lower:.2f} to {fraction.upper:.2f}; "
               f"cell volume changed {analysis.volume_change_fraction:+.1%}")
        return None, _not_judged(limit, why), {**tracking, "untrusted_value": fraction.tracked_only}
    judgement = limit.judge(value)
    if fraction.n_untracked:
        judgement = replace(judgement, message=judgement.message + (
            f"; {fraction.n_untracked} untracked mode(s) ({fraction.untracked_weight_fraction:.1%} of the INS "
            f"weight, band overlap < {gate_limit.threshold:g}) counted as neither blue nor red"))
    return value, judgement, tracking


def judge_pressure_item(analysis: PressureAnalysis, item: PressureItem, thresholds: Thresholds,
                        system: str, window_cm1: tuple[float, float]) -> PressureVerdict:
    """Compute the item's number and judge it against thresholds.toml [<system>.pressure]
    (else [default_pressure]), behind the tracking gate (see the module docstring)."""
    def limit(metric: str):
        return thresholds.get(system, PRESSURE_WINDOW, metric)

    gate_limit = limit("tracking_overlap")
    band = None
    if item.check == "blue_shift_fraction":
        value, judgement, tracking = _judge_blue(analysis, window_cm1, limit("blue_shift_fraction"), gate_limit,
                                                 limit("untracked_weight_fraction"))
    elif item.check in ("red_shift", "band_sign"):
        band = choose_band(analysis, item.target_cm1, label=item.label)
        if item.check == "red_shift":
            value, metric = band.shift_cm1, "red_shift_cm1"
        else:  # the model's shift measured along the reference's direction: > 0 means same sign
            value = None if band.shift_cm1 is None else band.shift_cm1 * (1 if item.reference_shift_cm1 > 0 else -1)
            metric = "band_shift_along_reference_cm1"
        value, judgement, tracking = _judge_band(analysis, band, value, limit(metric), gate_limit)
    else:
        raise ValueError(f"no number to judge for a {item.check!r} item")
    return PressureVerdict(item, value, judgement, band, tracking)


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
    min_overlap = (verdict.tracking or {}).get("min_overlap")

    def mark(label: str, choice: BandChoice) -> dict:  # an untracked band says so on the figure
        overlap = choice.tracking_overlap
        if min_overlap is not None and overlap is not None and overlap < min_overlap:
            label += f" UNTRACKED (overlap {overlap:.2f})"
        return {"label": label, "position_cm1": choice.position_cm1, "shift_cm1": choice.shift_cm1}

    for target in claimed:  # the claimed red-shift band is always marked
        marked.append(mark(f"{target:g}", choose_band(analysis, target, label=_label_near(bands, target))))
    if verdict.band is not None and verdict.item.check != "red_shift":
        marked.append(mark(f"{verdict.item.target_cm1:g}", verdict.band))
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
        "tracking": verdict.tracking,
        "pressures_gpa": list(analysis.pressures_gpa),
        "timings_s": {k: v for p, r in runs.items() for k, v in stage_timings(r.stages, f"{p:g}GPa/").items()},
        "plot": png.name,
        "self_reference": self_made,
        "structure_sensitivity": structure_sensitivity(fixture, model.name, verdict.item),
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


def structure_sensitivity(fixture, model_name: str, item: PressureItem) -> dict[str, Any]:
    """The verdict's structure sensitivity from the fixture's table (``assessed`` False when it has none)."""
    source = f"{fixture.system} {fixture.version}: structure_sensitivity"
    return sensitivity_block(sensitivity_table(fixture), model_name,
                             sensitivity_verdict_name(item.check, item.target_cm1), source=source)


def relaxed_cases(fixture) -> list[SpectralCase]:
    low, high = pressures_of(fixture)
    return [SpectralCase(fixture.system, low, "relaxed-cell"), SpectralCase(fixture.system, high, "relaxed-cell")]
