"""Model-release gating: required metrics from a TOML gate file, judged on result records.

Gate file (``schema_version = 1``; see examples/gate.toml and docs/leaderboard.md)::

    schema_version = 1

    [gate]                      # defaults for every requirement (all optional)
    use_interval = false        # judge the pessimistic end of the bootstrap interval
    confidence = 0.95           # of the interval
    n_resamples = 200           # bootstrap resamples
    seed = 20240501             # bootstrap seed

    [[require]]                 # one or more
    system = "hexane"
    family = "spectra"          # default "spectra"
    reference_kind = "measured" # default "measured"; or "computed"
    cell_mode = "relaxed-cell"  # optional: default every cell mode in the record
    pressure_gpa = 0.0          # optional: default every pressure in the record
    windows = ["fingerprint"]   # optional: default every window in the record
    metrics = ["w1_cm1"]        # optional: default every thresholded metric
    use_interval = true         # optional: overrides [gate]
    thresholds = { w1_cm1 = 35.0 }   # optional: overrides of the record's thresholds

A requirement that matches no stored result fails ("missing"), so a crashed or
skipped run can never pass the gate. A metric "misses by" how far its judged value
lies on the wrong side of the threshold, in the metric's unit.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from insbench.results.bootstrap import (
    DEFAULT_CONFIDENCE,
    DEFAULT_N_RESAMPLES,
    DEFAULT_SEED,
    BootstrapUnavailable,
    case_bootstrap,
)
from insbench.results.store_index import ResultsIndex

GATE_SCHEMA_VERSION = 1
_GATE_KEYS = {"use_interval", "confidence", "n_resamples", "seed"}
_REQUIRE_KEYS = {
    "system", "family", "reference_kind", "cell_mode", "pressure_gpa", "windows", "metrics",
    "use_interval", "thresholds",
}


class GateFileError(ValueError):
    """The gate file is malformed; the message names the key."""


@dataclass(frozen=True)
class Requirement:
    system: str
    family: str = "spectra"
    reference_kind: str = "measured"
    cell_mode: str | None = None
    pressure_gpa: float | None = None
    windows: tuple[str, ...] | None = None
    metrics: tuple[str, ...] | None = None
    use_interval: bool = False
    thresholds: Mapping[str, float] = field(default_factory=dict)

    def describe(self) -> str:
        parts = [self.system, self.family, f"vs {self.reference_kind}"]
        if self.cell_mode:
            parts.append(self.cell_mode)
        if self.pressure_gpa is not None:
            parts.append(f"{self.pressure_gpa:g} GPa")
        if self.windows:
            parts.append("windows " + ",".join(self.windows))
        if self.metrics:
            parts.append("metrics " + ",".join(self.metrics))
        return " ".join(parts)


@dataclass(frozen=True)
class Gate:
    source: str
    requirements: tuple[Requirement, ...]
    confidence: float = DEFAULT_CONFIDENCE
    n_resamples: int = DEFAULT_N_RESAMPLES
    seed: int = DEFAULT_SEED


def _bool(where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise GateFileError(f"{where} must be true or false, got {value!r}")
    return value


def _names(where: str, value: Any) -> tuple[str, ...]:
    if not (isinstance(value, list) and value and all(isinstance(v, str) and v for v in value)):
        raise GateFileError(f"{where} must be a non-empty list of names, got {value!r}")
    return tuple(value)


def parse_gate(data: Mapping[str, Any], source: str) -> Gate:
    """Validate parsed TOML and build a :class:`Gate` (``source`` names the file in errors)."""
    if data.get("schema_version") != GATE_SCHEMA_VERSION:
        raise GateFileError(
            f"{source}: schema_version is {data.get('schema_version')!r}, expected {GATE_SCHEMA_VERSION}"
        )
    unknown = sorted(set(data) - {"schema_version", "gate", "require"})
    if unknown:
        raise GateFileError(f"{source}: unknown top-level key(s) {', '.join(unknown)}; "
                            "allowed: schema_version, [gate], [[require]]")
    defaults = data.get("gate", {})
    if not isinstance(defaults, dict):
        raise GateFileError(f"{source}: [gate] must be a table")
    bad = sorted(set(defaults) - _GATE_KEYS)
    if bad:
        raise GateFileError(f"{source}: [gate] has unknown key(s) {', '.join(bad)}; "
                            f"allowed: {', '.join(sorted(_GATE_KEYS))}")
    use_interval = _bool(f"{source}: gate.use_interval", defaults.get("use_interval", False))
    confidence = defaults.get("confidence", DEFAULT_CONFIDENCE)
    if isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 < confidence < 1:
        raise GateFileError(f"{source}: gate.confidence must be a number in (0, 1), got {confidence!r}")
    n_resamples = defaults.get("n_resamples", DEFAULT_N_RESAMPLES)
    seed = defaults.get("seed", DEFAULT_SEED)
    for key, value in (("n_resamples", n_resamples), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, int) or value < (1 if key == "n_resamples" else 0):
            raise GateFileError(f"{source}: gate.{key} must be a {'positive' if key == 'n_resamples' else 'non-negative'} integer, got {value!r}")
    raw_requirements = data.get("require")
    if not isinstance(raw_requirements, list) or not raw_requirements:
        raise GateFileError(f"{source}: needs at least one [[require]] table")
    requirements = []
    for i, raw in enumerate(raw_requirements):
        where = f"{source}: require[{i}]"
        if not isinstance(raw, dict):
            raise GateFileError(f"{where} must be a table")
        bad = sorted(set(raw) - _REQUIRE_KEYS)
        if bad:
            raise GateFileError(f"{where} has unknown key(s) {', '.join(bad)}; "
                                f"allowed: {', '.join(sorted(_REQUIRE_KEYS))}")
        if not isinstance(raw.get("system"), str) or not raw["system"]:
            raise GateFileError(f"{where} needs system = \"<name>\"")
        overrides = raw.get("thresholds", {})
        if not isinstance(overrides, dict) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for v in overrides.values()
        ):
            raise GateFileError(f"{where}.thresholds must map metric names to finite numbers")
        pressure = raw.get("pressure_gpa")
        if pressure is not None and (isinstance(pressure, bool) or not isinstance(pressure, (int, float))):
            raise GateFileError(f"{where}.pressure_gpa must be a number, got {pressure!r}")
        for key in ("family", "reference_kind", "cell_mode"):
            if key in raw and not (isinstance(raw[key], str) and raw[key]):
                raise GateFileError(f"{where}.{key} must be a non-empty string")
        requirements.append(Requirement(
            system=raw["system"],
            family=raw.get("family", "spectra"),
            reference_kind=raw.get("reference_kind", "measured"),
            cell_mode=raw.get("cell_mode"),
            pressure_gpa=None if pressure is None else float(pressure),
            windows=_names(f"{where}.windows", raw["windows"]) if "windows" in raw else None,
            metrics=_names(f"{where}.metrics", raw["metrics"]) if "metrics" in raw else None,
            use_interval=_bool(f"{where}.use_interval", raw.get("use_interval", use_interval)),
            thresholds={k: float(v) for k, v in overrides.items()},
        ))
    return Gate(source, tuple(requirements), float(confidence), int(n_resamples), int(seed))


def load_gate(path: str | Path) -> Gate:
    """Read and validate a gate file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise GateFileError(f"gate file {path} does not exist") from None
    except tomllib.TOMLDecodeError as error:
        raise GateFileError(f"{path}: not valid TOML: {error}") from error
    return parse_gate(data, str(path))


# -- judging ------------------------------------------------------------------------------


@dataclass(frozen=True)
class GateCheck:
    """One required metric of one model: the verdict and by how much it missed."""

    model: str
    system: str
    family: str
    case_id: str
    window: str
    metric: str
    passed: bool
    message: str
    value: float | None = None          # point estimate
    judged_value: float | None = None   # point, or the pessimistic interval bound
    interval: tuple[float, float] | None = None
    threshold: float | None = None
    direction: str | None = None
    unit: str = ""
    miss: float | None = None           # > 0: how far on the wrong side of the threshold

    @property
    def name(self) -> str:
        return f"{self.model} | {self.system} | {self.case_id} | {self.window} | {self.metric}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model, "system": self.system, "family": self.family, "case": self.case_id,
            "window": self.window, "metric": self.metric, "passed": self.passed,
            "value": self.value, "judged_value": self.judged_value,
            "interval": None if self.interval is None else list(self.interval),
            "threshold": self.threshold, "direction": self.direction, "unit": self.unit,
            "miss": self.miss, "message": self.message,
        }


@dataclass(frozen=True)
class GateOutcome:
    gate: str
    checks: tuple[GateCheck, ...]

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def failures(self) -> list[GateCheck]:
        return [c for c in self.checks if not c.passed]

    def lines(self) -> list[str]:
        """A human summary: one line per check, failures first, then the verdict."""
        ordered = sorted(self.checks, key=lambda c: c.passed)
        lines = [f"{'PASS' if c.passed else 'FAIL'}  {c.name}: {c.message}" for c in ordered]
        n_fail = len(self.failures)
        verdict = ("gate PASSED" if self.passed
                   else f"gate FAILED: {n_fail} of {len(self.checks)} required metrics missed")
        lines.append(f"{verdict} ({self.gate})")
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {"gate": self.gate, "passed": self.passed, "checks": [c.to_dict() for c in self.checks]}


def _fmt(value: float | None, unit: str) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.4g}{'' if unit in ('1', '') else ' ' + unit}"


def _case_matches(case: Mapping[str, Any], req: Requirement) -> bool:
    spec = case.get("case", {})
    if case.get("reference_kind", "measured") != req.reference_kind:
        return False
    if req.cell_mode is not None and spec.get("cell_mode") != req.cell_mode:
        return False
    return req.pressure_gpa is None or math.isclose(
        float(spec.get("pressure_gpa", math.nan)), req.pressure_gpa, abs_tol=1e-6
    )


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
        return True, judged, miss, (f"{metric} {what} {_fmt(judged, unit)} {op_ok} {_fmt(threshold, unit)} "
                                    f"(margin {_fmt(-miss, unit)}){detail}")
    return False, judged, miss, (f"{metric} {what} {_fmt(judged, unit)} {op_bad} {_fmt(threshold, unit)}: "
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
    bootstrap_memo: dict[tuple, Any] = {}
    for model in names:
        for req in gate.requirements:
            checks.extend(_judge_requirement(gate, index, model, req, bootstrap_memo, fixture_loader))
    return GateOutcome(gate.source, tuple(checks))


def _judge_requirement(gate, index, model, req, memo, fixture_loader) -> list[GateCheck]:
    record = index.get(model, req.system, req.family)
    missing = GateCheck(model, req.system, req.family, "", "", "", False, "")
    if record is None:
        return [_replace(missing, message=f"missing: no {req.family} record of {model} on {req.system} "
                                          f"in {index.root} (required by: {req.describe()})")]
    cases = {cid: c for cid, c in record.cases.items() if _case_matches(c, req)}
    if not cases:
        return [_replace(missing, message=f"missing: the {req.system} record of {model} has no case "
                                          f"matching {req.describe()} (it has: {', '.join(record.cases)})")]
    out = []
    for case_id, case in sorted(cases.items()):
        windows = case.get("windows", {})
        wanted_windows = req.windows or tuple(windows)
        for window in wanted_windows:
            if window not in windows:
                out.append(_replace(missing, case_id=case_id, window=window,
                                    message=f"missing: case {case_id} has no window {window!r} "
                                            f"(it has: {', '.join(windows)})"))
                continue
            payload = windows[window]
            judgements = payload.get("judgements", {})
            scores = payload.get("scores", {})
            wanted_metrics = req.metrics or tuple(judgements)
            intervals = None
            interval_problem = None
            if req.use_interval:
                key = (record.path, case_id)
                if key not in memo:
                    try:
                        memo[key] = case_bootstrap(record.data, case_id, n_resamples=gate.n_resamples,
                                                   seed=gate.seed, confidence=gate.confidence,
                                                   fixture_loader=fixture_loader)
                    except BootstrapUnavailable as error:
                        memo[key] = error
                result = memo[key]
                if isinstance(result, BootstrapUnavailable):
                    interval_problem = str(result)
                else:
                    intervals = result[window].intervals
            for metric in wanted_metrics:
                base = GateCheck(model, req.system, req.family, case_id, window, metric, False, "")
                judgement = judgements.get(metric)
                if judgement is None and metric not in req.thresholds:
                    out.append(_replace(base, message=f"missing: no threshold or judgement for {metric} "
                                                      f"(judged: {', '.join(judgements)})"))
                    continue
                value = scores.get(metric, None if judgement is None else judgement.get("value"))
                direction = (judgement or {}).get("direction") or _default_direction(metric)
                unit = (judgement or {}).get("unit") or ("cm-1" if metric.endswith("_cm1") else "1")
                threshold = float(req.thresholds.get(metric, (judgement or {}).get("threshold", math.nan)))
                if interval_problem is not None:
                    out.append(_replace(base, value=value, threshold=threshold, direction=direction, unit=unit,
                                        message=f"{metric}: interval required but not available: {interval_problem}"))
                    continue
                interval = None
                if intervals is not None and metric in intervals:
                    iv = intervals[metric]
                    interval = (iv.lo, iv.hi)
                passed, judged, miss, message = judge_value(
                    metric=metric, value=value, threshold=threshold, direction=direction, unit=unit,
                    interval=interval, confidence=gate.confidence,
                )
                if metric in req.thresholds:
                    message += " [threshold from gate file]"
                out.append(_replace(base, passed=passed, message=message, value=value, judged_value=judged,
                                    interval=interval, threshold=threshold, direction=direction, unit=unit,
                                    miss=miss))
    return out


def _default_direction(metric: str) -> str:
    return "min" if metric in ("cosine", "peak_recall") else "max"


def _replace(check: GateCheck, **changes: Any) -> GateCheck:
    from dataclasses import replace

    return replace(check, **changes)


# -- JUnit XML ---------------------------------------------------------------------------


def junit_properties(outcome: GateOutcome) -> list[tuple[str, str]]:
    """(name, value) pairs of every check's scores, for JUnit ``<property>`` elements."""
    props: list[tuple[str, str]] = [("insbench_gate.passed", str(outcome.passed).lower()),
                                    ("insbench_gate.file", outcome.gate)]
    for check in outcome.checks:
        stem = f"insbench_gate.{check.model}.{check.system}.{check.case_id}.{check.window}.{check.metric}"
        props.append((f"{stem}.passed", str(check.passed).lower()))
        for name, value in (("value", check.value), ("judged_value", check.judged_value),
                            ("threshold", check.threshold), ("miss", check.miss)):
            if value is not None:
                props.append((f"{stem}.{name}", f"{value:.6g}"))
        if check.interval is not None:
            props.append((f"{stem}.interval", f"{check.interval[0]:.6g},{check.interval[1]:.6g}"))
        if check.unit:
            props.append((f"{stem}.unit", check.unit))
    return props


def write_junit_xml(outcome: GateOutcome, path: str | Path) -> Path:
    """A JUnit XML file: one <testcase> per check (failures carry the message), scores as properties."""
    suite = ET.Element("testsuite", name="insbench-gate", tests=str(len(outcome.checks)),
                       failures=str(len(outcome.failures)), errors="0", skipped="0")
    props = ET.SubElement(suite, "properties")
    for name, value in (("insbench_gate.passed", str(outcome.passed).lower()),
                        ("insbench_gate.file", outcome.gate)):
        ET.SubElement(props, "property", name=name, value=value)
    for check in outcome.checks:
        case = ET.SubElement(suite, "testcase", classname=f"insbench.gate.{check.model}",
                             name=f"{check.system}|{check.case_id}|{check.window}|{check.metric}")
        case_props = ET.SubElement(case, "properties")
        for name, number in (("value", check.value), ("judged_value", check.judged_value),
                             ("threshold", check.threshold), ("miss", check.miss)):
            if number is not None:
                ET.SubElement(case_props, "property", name=name, value=f"{number:.6g}")
        if check.interval is not None:
            ET.SubElement(case_props, "property", name="interval_lo", value=f"{check.interval[0]:.6g}")
            ET.SubElement(case_props, "property", name="interval_hi", value=f"{check.interval[1]:.6g}")
        for name, text in (("direction", check.direction), ("unit", check.unit)):
            if text:
                ET.SubElement(case_props, "property", name=name, value=text)
        if not check.passed:
            failure = ET.SubElement(case, "failure", message=check.message)
            failure.text = check.message
    suites = ET.Element("testsuites")
    suites.append(suite)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)
    return path
