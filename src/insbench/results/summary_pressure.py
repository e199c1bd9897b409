"""Terminal lines for the pressure verdicts of one (model, system) pressure record.

Reads the merged pressure record (``<results>/<model>/<system>/pressure.json``, the
dict :func:`insbench.results.records.write_case` writes) and says, in a few lines:

* the band judged as the claimed red-shift band (e.g. 453 cm-1): which model mode,
  its assignment, its shift with sign, how well it was tracked to high pressure
  (overlap against the declared minimum; NOT TRACKED and not judged below it), and the verdict;
* the INS-weighted blue fraction, the INS-weight share of untracked modes, and its verdict;
* how many band signs agree with the reference, how many bands were not tracked, and of
  which kind that reference is ("vs computed" signs are informational until measured
  peaks are imported);
* whether the verdicts are structure-sensitive (from a sensitivity table, when the
  fixture ships one) and whether the record is a self-reference.

Pure functions over dicts: nothing is computed here, so the lines can be printed
from a live session or from a stored results folder.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

#: shifts smaller than this (cm-1) are printed as "no shift" rather than red/blue
SIGN_NOISE_CM1 = 0.1


def shift_word(shift_cm1: float | None) -> str:
    """"blue" (up), "red" (down), "no shift" (|shift| < SIGN_NOISE_CM1) or "n/a"."""
    if shift_cm1 is None:
        return "n/a"
    if abs(shift_cm1) < SIGN_NOISE_CM1:
        return "no shift"
    return "blue" if shift_cm1 > 0 else "red"


def _verdict(case: Mapping[str, Any]) -> str:
    return "PASS" if case.get("passed") else "FAIL"


def _judgement(case: Mapping[str, Any]) -> dict[str, Any]:
    judgements = case.get("judgements") or {}
    return next(iter(judgements.values()), {}) if judgements else {}


def band_assignment(band: Mapping[str, Any] | None) -> str | None:
    """The label of the chosen mode (from the band's candidate list), if known."""
    if not band:
        return None
    chosen = band.get("chosen_mode")
    for candidate in band.get("candidates") or ():
        if candidate.get("mode") == chosen:
            return candidate.get("label")
    return band.get("label")


#: said of a record written before insbench gated pressure verdicts on tracking
NO_TRACKING = "tracking not checked (record made before the tracking gate; re-run it)"


def band_untracked(case: Mapping[str, Any]) -> bool:
    """True when the case's band failed the tracking gate (its value was not judged)."""
    tracking = case.get("tracking") or {}
    return (tracking.get("gate") or {}).get("passed") is False and case.get("band") is not None \
        and (case.get("band") or {}).get("position_cm1") is not None


def red_shift_line(case_id: str, case: Mapping[str, Any]) -> str:
    item = case.get("item") or {}
    band = case.get("band") or {}
    tracking = case.get("tracking")
    target = item.get("target_cm1")
    head = f"{target:g} cm-1 band" if target is not None else case_id
    if band.get("position_cm1") is None:
        return f"{head}: no model mode found near it ({band.get('how', 'no band')}) -> {_verdict(case)}"
    shift = band.get("shift_cm1")
    assignment = band_assignment(band) or "unassigned"
    shift_text = "n/a" if shift is None else f"{shift:+.1f} cm-1"
    where = f"{head}: mode {band.get('chosen_mode')} at {band['position_cm1']:.1f} cm-1 ({assignment})"
    if not tracking:
        return f"{where} shifts {shift_text} ({shift_word(shift)}; claim: red), {NO_TRACKING} -> {_verdict(case)}"
    overlap, minimum = tracking.get("overlap"), tracking.get("min_overlap")
    if band_untracked(case):
        return (f"{where} NOT TRACKED to high pressure: overlap {overlap:.2f} < minimum {minimum:g}, "
                f"its shift {shift_text} is not judged -> {_verdict(case)}")
    return (f"{where} shifts {shift_text} ({shift_word(shift)}; claim: red), tracked with overlap "
            f"{overlap:.2f} (minimum {minimum:g}) -> {_verdict(case)}")


def blue_fraction_line(case: Mapping[str, Any]) -> str:
    judgement = _judgement(case)
    value = case.get("value")
    threshold = judgement.get("threshold")
    limit = "" if threshold is None else f", needs >= {threshold:g}"
    value_text = "n/a" if value is None else f"{value:.2f}"
    tracking = case.get("tracking")
    if not tracking:
        return f"INS-weighted blue fraction: {value_text}{limit}, {NO_TRACKING} -> {_verdict(case)}"
    fraction = tracking.get("blue_fraction") or {}
    gate = tracking.get("gate") or {}
    share = fraction.get("untracked_weight_fraction", 0.0)
    untracked = (f"{share:.1%} of the INS weight in modes tracked with band overlap < {tracking.get('min_overlap'):g} "
                 f"(allowed {gate.get('threshold', float('nan')):.0%})")
    if gate.get("passed") is False:
        return (f"INS-weighted blue fraction: NOT JUDGED, {untracked}; it could be "
                f"{fraction.get('lower', float('nan')):.2f}..{fraction.get('upper', float('nan')):.2f} "
                f"-> {_verdict(case)}")
    note = f"; untracked: {untracked}, counted as neither blue nor red" if fraction.get("n_untracked") else ""
    return f"INS-weighted blue fraction: {value_text}{limit}{note} -> {_verdict(case)}"


def band_signs_line(cases: Iterable[Mapping[str, Any]]) -> str | None:
    signs = [c for c in cases if (c.get("item") or {}).get("check") == "band_sign"]
    if not signs:
        return None
    kinds = sorted({(c.get("item") or {}).get("reference_kind") or "?" for c in signs})
    agree = sum(bool(c.get("passed")) for c in signs)
    note = " (informational: reference is not measured)" if "measured" not in kinds else ""
    untracked = sum(band_untracked(c) for c in signs)
    unchecked = sum(not c.get("tracking") for c in signs)
    tracking = (f", {untracked} not tracked reliably (failed, not judged)" if untracked else "") + (
        f", {unchecked} {NO_TRACKING}" if unchecked else "")
    return f"band signs vs {'/'.join(kinds)}: {agree} of {len(signs)} agree{tracking}{note}"


#: the table's name of each pressure check's verdict (scripts/structure_sensitivity.py writes them)
BLUE_FRACTION_VERDICT = "blue_fraction"


def sensitivity_verdict_name(check: str, target_cm1: float | None) -> str | None:
    """The sensitivity table's name for a pressure item's verdict; None if tables never hold it."""
    if check == "blue_shift_fraction":
        return BLUE_FRACTION_VERDICT
    if check == "red_shift" and target_cm1 is not None:
        return f"red_shift_{target_cm1:g}_cm1"
    return None


def _structures(data: Mapping[str, Any]) -> tuple[dict[str, float], set[str]]:
    """A verdict's judged values and every structure it was run on (judged or refused by the gate)."""
    values = dict(data.get("values") or {})
    return values, set(values) | set(data.get("passed") or {})


def sensitivity_block(sensitivity: Mapping[str, Any] | None, model: str, verdict: str | None, *,
                      source: str = "") -> dict[str, Any]:
    """What a result record says about one verdict's structure sensitivity.

    ``assessed`` is False, with the ``reason``, when the fixture ships no table, the table has
    no row for ``model``, or no entry for ``verdict``. Otherwise: ``sensitive`` (pass/fail
    differs between structures), the ``spread`` of the judged values (min..max, with their
    ``unit``), how many structures, how many of them the tracking gate refused (``n_not_judged``,
    each a FAIL) and passed, the structures and the table's default structure.
    """
    models = sorted((sensitivity or {}).get("models") or {})
    out: dict[str, Any] = {"assessed": False, "sensitive": None, "verdict": verdict, "models_in_table": models,
                           "source": source}
    if not sensitivity:
        return {**out, "reason": "not assessed: the fixture ships no structure-sensitivity table"}
    data = ((sensitivity.get("models") or {}).get(model) or {}).get(verdict or "")
    if model not in models:
        return {**out, "reason": f"not assessed for {model}: the fixture's table has {', '.join(models) or 'none'}"}
    if verdict is None:
        return {**out, "reason": "not assessed: sensitivity tables hold the claimed red-shift band and the blue "
                                 "fraction, not this check"}
    if not data:
        return {**out, "reason": f"not assessed: the fixture's table has no {verdict} verdict for {model}"}
    values, structures = _structures(data)
    unit = "1" if verdict == BLUE_FRACTION_VERDICT else "cm-1"
    passed = data.get("passed") or {}
    return {**out, "assessed": True, "sensitive": bool(data.get("flips")),
            "spread": {"min": min(values.values()), "max": max(values.values()), "unit": unit} if values else None,
            "n_structures": len(structures), "n_not_judged": len(structures - set(values)),
            "n_passed": sum(bool(v) for v in passed.values()), "structures": sorted(structures),
            "default_structure": sensitivity.get("default_candidate")}


def sensitivity_marker(block: Mapping[str, Any] | None) -> str:
    """Short text for a verdict flagged structure-sensitive, e.g.
    "structure-sensitive (-32.6..+23.0 cm-1 over 4 structures)"; "" when it is not (or not assessed)."""
    if not block or not block.get("sensitive"):
        return ""
    spread = block.get("spread")
    n = block.get("n_structures")
    if spread is None:
        text = f"not judged on any of {n} structures"
    elif spread.get("unit") == "cm-1":
        text = f"{spread['min']:+.1f}..{spread['max']:+.1f} cm-1 over {n} structures"
    else:
        text = f"{spread['min']:.2f}..{spread['max']:.2f} over {n} structures"
    if spread is not None and block.get("n_not_judged"):
        text += f", not judged on {block['n_not_judged']}"
    return f"structure-sensitive ({text})"


def sensitivity_line(model: str, sensitivity: Mapping[str, Any] | None) -> str:
    """One line from a structure-sensitivity table (see :func:`sensitivity_verdicts`)."""
    if not sensitivity:
        return "structure sensitivity: not assessed (the fixture ships no sensitivity table)"
    entry = (sensitivity.get("models") or {}).get(model)
    if not entry:
        known = ", ".join(sorted(sensitivity.get("models") or {})) or "none"
        return f"structure sensitivity: not assessed for {model} (the fixture's table has: {known})"
    parts = []
    for verdict_name, data in sorted(entry.items()):
        values, structures = _structures(data)  # a verdict the tracking gate refused has no judged value
        if not structures:
            continue
        flag = "STRUCTURE-SENSITIVE" if data.get("flips") else "stable"
        text = f"{verdict_name} {flag} over {len(structures)} structures"
        if values:
            text += f" ({min(values.values()):+.2f}..{max(values.values()):+.2f})"
        not_judged = len(structures - set(values))
        if not_judged:
            text += f", not judged on {not_judged} (not tracked: FAIL)"
        assignments = data.get("assignments") or {}
        if assignments:
            labels = sorted(set(map(str, assignments.values())))
            text += (f", band kept as {labels[0]}" if len(labels) == 1
                     else f", band assignment NOT kept ({' / '.join(labels)})")
        overlaps = [v for v in (data.get("overlaps") or {}).values() if v is not None]
        if overlaps:
            text += f", tracking overlap >= {min(overlaps):.2f}"
        parts.append(text)
    return "structure sensitivity: " + ("; ".join(parts) if parts else f"no verdicts for {model}")


def sensitivity_verdicts(values: Mapping[str, float], passes: Mapping[str, bool], *,
                         assignments: Mapping[str, str | None] | None = None,
                         overlaps: Mapping[str, float | None] | None = None) -> dict[str, Any]:
    """A verdict's values and pass/fail per structure; ``flips`` when they disagree.

    For a band verdict, ``assignments`` (structure -> label of the chosen mode) and
    ``overlaps`` (structure -> eigenvector overlap of its tracking) say whether the band
    judged kept its identity across structures (``assignment_kept``) and how well it was
    followed to high pressure (``min_overlap``). Both may cover structures missing from
    ``values``: a band the tracking gate refused has an assignment and an overlap but no
    judged value (its pass/fail is in ``passes``).
    """
    out: dict[str, Any] = {"values": dict(values), "passed": dict(passes), "flips": len(set(passes.values())) > 1}
    if assignments:
        out["assignments"] = dict(assignments)
        out["assignment_kept"] = len(set(assignments.values())) == 1
    if overlaps:
        out["overlaps"] = dict(overlaps)
        known = [v for v in overlaps.values() if v is not None]
        out["min_overlap"] = min(known) if known else None
    return out


def self_reference(record: Mapping[str, Any]) -> bool:
    """True when any case (or the merged block) is marked self-reference."""
    merged = (record.get("comparability") or {}).get("self_reference")
    if merged is True or (isinstance(merged, list) and True in merged):
        return True
    return any(((c.get("comparability") or {}).get("self_reference") is True)
               for c in (record.get("cases") or {}).values())


def pressure_summary_lines(record: Mapping[str, Any], *, sensitivity: Mapping[str, Any] | None = None) -> list[str]:
    """The pressure verdicts of one record as terminal lines (header + indented items)."""
    model = (record.get("model") or {}).get("name", "?")
    reference = record.get("reference") or {}
    cases: dict[str, Mapping[str, Any]] = dict(record.get("cases") or {})
    pressures = next((c.get("pressures_gpa") for c in cases.values() if c.get("pressures_gpa")), None)
    span = f" | {pressures[0]:g} -> {pressures[-1]:g} GPa" if pressures else ""
    lines = [f"{model} | {record.get('system', '?')} {reference.get('version', '')}{span}".rstrip()]
    for case_id, case in sorted(cases.items()):
        if (case.get("item") or {}).get("check") == "red_shift":
            lines.append("  " + red_shift_line(case_id, case))
    for case in cases.values():
        if (case.get("item") or {}).get("check") == "blue_shift_fraction":
            lines.append("  " + blue_fraction_line(case))
    signs = band_signs_line(cases.values())
    if signs:
        lines.append("  " + signs)
    lines.append("  " + sensitivity_line(model, sensitivity))
    if self_reference(record):
        lines.append("  SELF-REFERENCE: the reference or the structure was made with this model; "
                     "shown, not ranked, not gated by default")
    return lines
