"""Model-release gating: required metrics from a TOML gate file, judged on result records.

The file format and its validation live in :mod:`insbench.results.gate_file` (one pydantic
model; unknown keys and undeclared metrics are errors with a did-you-mean). Here:
:func:`load_gate` -> :class:`Gate`, :func:`evaluate_gate` -> :class:`GateOutcome` (one
:class:`GateCheck` per required metric per case: value, threshold, margin, pass/fail),
and the JUnit XML writer.

A requirement that matches no stored result fails ("missing"), so a crashed or skipped
run can never pass the gate. Scores against a self-made reference (``self_reference``
in the case's comparability block) are left out unless the gate opts in with
``include_self_reference = true``; if nothing else matches, the requirement fails and says
why. The *margin* is how far the judged value lies on the passing side of the threshold,
in the metric's unit (negative: missed by that much).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from insbench.metrics.bootstrap import DEFAULT_CONFIDENCE, BootstrapUnavailable, case_bootstrap
from insbench.results.gate_file import (
    Declared,
    GateFile,
    GateFileError,
    Requirement,
    declared_metrics,
    parse_gate_file,
    read_gate_toml,
)
from insbench.results.store_index import ResultsIndex

__all__ = ["Gate", "GateCheck", "GateFileError", "GateOutcome", "Requirement", "evaluate_gate", "judge_value",
           "junit_properties", "load_gate", "parse_gate", "write_junit_xml"]


@dataclass(frozen=True)
class Gate:
    """A validated gate file and the declared metrics it was checked against."""

    source: str
    file: GateFile
    declared: Declared

    @property
    def requirements(self) -> tuple[Requirement, ...]:
        return tuple(self.file.require)

    @property
    def confidence(self) -> float:
        return self.file.gate.confidence

    @property
    def n_resamples(self) -> int:
        return self.file.gate.n_resamples

    @property
    def seed(self) -> int:
        return self.file.gate.seed

    def use_interval(self, req: Requirement) -> bool:
        return self.file.gate.use_interval if req.use_interval is None else req.use_interval

    def include_self_reference(self, req: Requirement) -> bool:
        default = self.file.gate.include_self_reference
        return default if req.include_self_reference is None else req.include_self_reference


def parse_gate(data: Mapping[str, Any], source: str, declared: Declared | None = None) -> Gate:
    """Validate parsed TOML and build a :class:`Gate` (``source`` names the file in errors)."""
    declared = declared if declared is not None else declared_metrics()
    return Gate(source, parse_gate_file(data, source, declared), declared)


def load_gate(path: str | Path, declared: Declared | None = None) -> Gate:
    """Read and validate a gate file (raises :class:`GateFileError` naming the file and key)."""
    data, source = read_gate_toml(path)
    return parse_gate(data, source, declared)


# -- judging ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GateCheck:
    """One required metric of one model in one case: the verdict, the margin, and why."""

    model: str
    system: str
    family: str
    case_id: str
    window: str
    metric: str
    passed: bool
    message: str
    requirement: int = -1                # index of the [[require]] table (-1: none)
    value: float | None = None           # point estimate
    judged_value: float | None = None    # point, or the pessimistic interval bound
    interval: tuple[float, float] | None = None
    threshold: float | None = None
    direction: str | None = None
    unit: str = ""
    miss: float | None = None            # > 0: how far on the wrong side of the threshold
    self_reference: bool = False         # counted only because the gate opted in

    @property
    def name(self) -> str:
        return f"{self.model} | {self.system} | {self.case_id} | {self.window} | {self.metric}"

    @property
    def margin(self) -> float | None:
        """How far on the passing side of the threshold (negative: missed by that much)."""
        return None if self.miss is None else -self.miss

    def to_dict(self) -> dict[str, Any]:
        return {
            "requirement": self.requirement, "model": self.model, "system": self.system,
            "family": self.family, "case": self.case_id, "window": self.window, "metric": self.metric,
            "passed": self.passed, "value": self.value, "judged_value": self.judged_value,
            "interval": None if self.interval is None else list(self.interval),
            "threshold": self.threshold, "direction": self.direction, "unit": self.unit,
            "margin": self.margin, "miss": self.miss, "self_reference": self.self_reference,
            "message": self.message,
        }


@dataclass(frozen=True)
class GateOutcome:
    gate: str
    checks: tuple[GateCheck, ...]
    requirements: tuple[str, ...] = ()   # describe() of each [[require]], in file order

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def failures(self) -> list[GateCheck]:
        return [c for c in self.checks if not c.passed]

    def lines(self) -> list[str]:
        """The report: per requirement, one line per check with value, threshold, margin and
        PASS/FAIL (failures first), then the verdict."""
        lines: list[str] = []
        groups = sorted({c.requirement for c in self.checks})
        for index in groups:
            checks = sorted((c for c in self.checks if c.requirement == index), key=lambda c: c.passed)
            if 0 <= index < len(self.requirements):
                n_fail = sum(not c.passed for c in checks)
                lines.append(f"requirement {index + 1} of {len(self.requirements)}: {self.requirements[index]}"
                             f" -> {'PASS' if not n_fail else f'FAIL ({n_fail} of {len(checks)} missed)'}")
            lines += [f"  {'PASS' if c.passed else 'FAIL'}  {c.name}: {c.message}" for c in checks]
        n_fail = len(self.failures)
        verdict = ("gate PASSED" if self.passed
                   else f"gate FAILED: {n_fail} of {len(self.checks)} required metrics missed")
        lines.append(f"{verdict} ({self.gate})")
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {"gate": self.gate, "passed": self.passed, "requirements": list(self.requirements),
                "checks": [c.to_dict() for c in self.checks]}


def _fmt(value: float | None, unit: str, sign: str = "") -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:{sign}.4g}{'' if unit in ('1', '') else ' ' + unit}"


def _comparability(case: Mapping[str, Any]) -> Mapping[str, Any]:
    block = case.get("comparability")
    return block if isinstance(block, Mapping) else {}


def _case_matches(case: Mapping[str, Any], req: Requirement) -> bool:
    spec = case.get("case") if isinstance(case.get("case"), Mapping) else {}
    block = _comparability(case)
    cell_mode = spec.get("cell_mode", block.get("cell_mode"))
    if req.cell_mode is not None and cell_mode != req.cell_mode:
        return False
    if req.family == "md":
        level = block.get("md_level") or (case.get("level") or {}).get("name")
        return req.md_level is None or level == req.md_level
    if req.family != "spectra":
        return True
    if case.get("reference_kind", "measured") != req.reference_kind:
        return False
    return req.pressure_gpa is None or math.isclose(
        float(spec.get("pressure_gpa", math.nan)), req.pressure_gpa, abs_tol=1e-6
    )


def _judged_windows(case: Mapping[str, Any], family: str) -> dict[str, Mapping[str, Any]]:
    """Window -> payload with "judgements"; families judged per case use the window "-"."""
    if family == "spectra":
        windows = case.get("windows")
        return dict(windows) if isinstance(windows, Mapping) else {}
    return {"-": case} if isinstance(case.get("judgements"), Mapping) else {}


def judge_value(
    *, metric: str, value: float | None, threshold: float, direction: str, unit: str,
    interval: tuple[float, float] | None = None, confidence: float = DEFAULT_CONFIDENCE,
) -> tuple[bool, float | None, float | None, str]:
    """(passed, judged value, miss, message) for one metric; ``interval`` switches to its bound."""
    op_ok, op_bad = ("<=", ">") if direction == "max" else (">=", "<")
    judged: float | None
    if interval is not None:
        lo, hi = interval
        judged = hi if direction == "max" else lo
        what = f"{'upper' if direction == 'max' else 'lower'} {confidence:.0%} bound"
        detail = f" (point {_fmt(value, unit)}, interval [{_fmt(lo, unit)}, {_fmt(hi, unit)}])"
    else:
        judged, what, detail = value, "value", ""
    if judged is None or not math.isfinite(judged):
        return False, None, None, f"{metric} {what} is not a number{detail}; needs {op_ok} {_fmt(threshold, unit)}"
    miss = judged - threshold if direction == "max" else threshold - judged
    if miss <= 0:
        return True, judged, miss, (f"{metric} {what} {_fmt(judged, unit)} {op_ok} threshold "
                                    f"{_fmt(threshold, unit)}: margin {_fmt(-miss, unit, '+')}{detail}")
    return False, judged, miss, (f"{metric} {what} {_fmt(judged, unit)} {op_bad} threshold "
                                 f"{_fmt(threshold, unit)} (needs {op_ok}): margin {_fmt(-miss, unit, '+')}, "
                                 f"missed by {_fmt(miss, unit)}{detail}")


def evaluate_gate(
    gate: Gate,
    index: ResultsIndex,
    models: Iterable[str] | None = None,
    *,
    fixture_loader=None,
) -> GateOutcome:
    """Judge every requirement for every model (default: every model in ``index``)."""
    names = list(models) if models is not None else index.models()
    checks: list[GateCheck] = []
    if not names:
        checks.append(GateCheck("<none>", "", "", "", "", "", False,
                                f"no result records in {index.root}; nothing to gate"))
    memo: dict[tuple, Any] = {}
    for model in names:
        for number, req in enumerate(gate.requirements):
            found = _judge_requirement(gate, index, model, req, memo, fixture_loader)
            checks.extend(replace(c, requirement=number) for c in found)
    return GateOutcome(gate.source, tuple(checks), tuple(r.describe() for r in gate.requirements))


class _Judge:
    """The judging of one requirement for one model (keeps the bootstrap memo and the gate)."""

    def __init__(self, gate: Gate, req: Requirement, memo: dict, fixture_loader) -> None:
        self.gate, self.req, self.memo, self.fixture_loader = gate, req, memo, fixture_loader

    def intervals(self, record, case_id: str, window: str) -> tuple[dict | None, str | None]:
        if not self.gate.use_interval(self.req):
            return None, None
        key = (record.path, case_id)
        if key not in self.memo:
            try:
                self.memo[key] = case_bootstrap(record.data, case_id, n_resamples=self.gate.n_resamples,
                                                seed=self.gate.seed, confidence=self.gate.confidence,
                                                fixture_loader=self.fixture_loader)
            except BootstrapUnavailable as error:
                self.memo[key] = error
            except (ValueError, KeyError, TypeError) as error:  # stored settings this insbench cannot re-read
                self.memo[key] = BootstrapUnavailable(
                    f"the stored scoring settings cannot be re-used by this insbench ({error}); re-run the case")
        result = self.memo[key]
        if isinstance(result, BootstrapUnavailable):
            return None, str(result)
        if window not in result:
            return None, f"no interval for window {window}"
        return result[window].intervals, None

    def metric(self, base: GateCheck, payload: Mapping[str, Any], intervals, interval_problem) -> GateCheck:
        req, metric = self.req, base.metric
        judgement = payload.get("judgements", {}).get(metric)
        override = req.thresholds.get(metric)
        declared = self.gate.declared.metric(req.family, req.system, metric)
        if judgement is None:
            judged = ", ".join(payload.get("judgements", {})) or "nothing"
            return replace(base, message=f"missing: no result for {metric} in this case (judged: {judged})")
        direction = declared.direction if declared else judgement.get("direction")
        unit = declared.unit if declared else str(judgement.get("unit", ""))
        if declared and judgement.get("direction") not in (None, declared.direction):
            return replace(base, direction=direction, unit=unit, message=(
                f"{metric} was judged in the record with direction {judgement.get('direction')!r}, but insbench "
                f"declares {declared.direction!r}: the record was made with another thresholds file; re-run it"))
        value = payload.get("scores", {}).get(metric, judgement.get("value"))
        value = None if value is None or isinstance(value, bool) else float(value)
        threshold = override.threshold if override is not None else float(judgement.get("threshold", math.nan))
        now = self._declared_threshold(base.window, metric)
        if override is None and now is not None and not math.isclose(threshold, now, rel_tol=1e-9):
            return replace(base, value=value, threshold=threshold, direction=direction, unit=unit, message=(
                f"{metric}: the record was judged against threshold {threshold:g} but this insbench declares "
                f"{now:g} (thresholds.toml changed since the run): re-run the case, or state the threshold "
                "in the gate file (thresholds = {...})"))
        if interval_problem is not None:
            return replace(base, value=value, threshold=threshold, direction=direction, unit=unit,
                           message=f"{metric}: interval required but not available: {interval_problem}")
        interval = None
        if intervals is not None and metric in intervals:
            interval = (intervals[metric].lo, intervals[metric].hi)
        passed, judged_value, miss, message = judge_value(
            metric=metric, value=value, threshold=threshold, direction=direction or "max", unit=unit,
            interval=interval, confidence=self.gate.confidence)
        if override is not None:
            message += " [threshold from gate file]"
        if base.self_reference:
            message += " [self-reference: scored against a reference made with this model; counted by opt-in]"
        return replace(base, passed=passed, message=message, value=value, judged_value=judged_value,
                       interval=interval, threshold=threshold, direction=direction, unit=unit, miss=miss)


    def _declared_threshold(self, window: str, metric: str) -> float | None:
        """The threshold this insbench declares for the metric in this window (None: run-dependent)."""
        req, declared = self.req, self.gate.declared
        if req.family == "spectra":
            spec = declared.windows(req.family, req.system).get(window, {}).get(metric)
        else:
            spec = declared.metric(req.family, req.system, metric)
        return None if spec is None else spec.threshold


def _judge_requirement(gate, index, model, req, memo, fixture_loader) -> list[GateCheck]:
    record = index.get(model, req.system, req.family)
    missing = GateCheck(model, req.system, req.family, "", "", "", False, "")
    if record is None:
        return [replace(missing, message=f"missing: no {req.family} record of {model} on {req.system} "
                                         f"in {index.root} (required by: {req.describe()})")]
    matching = {cid: c for cid, c in record.cases.items() if _case_matches(c, req)}
    if not matching:
        return [replace(missing, message=f"missing: the {req.system} {req.family} record of {model} has no "
                                         f"case matching {req.describe()} (it has: {', '.join(record.cases)})")]
    include_self = gate.include_self_reference(req)
    self_made = sorted(cid for cid, c in matching.items() if _comparability(c).get("self_reference"))
    cases = {cid: c for cid, c in matching.items() if include_self or cid not in self_made}
    if not cases:
        return [replace(missing, case_id=", ".join(self_made), message=(
            f"missing: the only results matching {req.describe()} are self-reference scores (against a "
            f"reference made with {model} or on a structure it selected: {', '.join(self_made)}); gates leave "
            "them out. Score against an independent reference, or set include_self_reference = true in "
            "the gate file to count them"))]
    judge = _Judge(gate, req, memo, fixture_loader)
    out = []
    for case_id, case in sorted(cases.items()):
        windows = _judged_windows(case, req.family)
        base_case = replace(missing, case_id=case_id, self_reference=case_id in self_made)
        if not windows:
            out.append(replace(base_case, message=f"missing: case {case_id} holds no judged metrics"))
            continue
        for window in req.windows or tuple(windows):
            if window not in windows:
                out.append(replace(base_case, window=window, message=(
                    f"missing: case {case_id} has no window {window!r} (it has: {', '.join(windows)})")))
                continue
            payload = windows[window]
            intervals, interval_problem = judge.intervals(record, case_id, window)
            judged = payload.get("judgements", {}) if isinstance(payload.get("judgements"), Mapping) else {}
            for metric in req.metrics or tuple(judged):
                out.append(judge.metric(replace(base_case, window=window, metric=metric), payload, intervals,
                                        interval_problem))
    if not out:
        out.append(replace(missing, message=f"missing: nothing judged for {req.describe()}"))
    return out


from insbench.results.gate_junit import junit_properties, write_junit_xml  # noqa: E402  (public API)
