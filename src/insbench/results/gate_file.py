"""The release-gate file: one pydantic v2 model, then a check against the declared metrics.

Schema (``schema_version = 1``; examples/gate.toml, docs/leaderboard.md)::

    schema_version = 1

    [gate]                          # defaults for every requirement (all optional)
    use_interval = false            # judge the pessimistic end of the bootstrap interval
    confidence = 0.95               # of the interval
    n_resamples = 200               # bootstrap resamples
    seed = 20240501                 # bootstrap seed
    include_self_reference = false  # count scores against a reference made by the same model

    [[require]]                     # one or more
    system = "hexane"
    family = "spectra"              # spectra (default) | pressure | md
    reference_kind = "measured"     # measured (default) | computed   (spectra only)
    cell_mode = "relaxed-cell"      # optional: relaxed-cell | measured-cell
    pressure_gpa = 0.0              # optional (spectra only)
    md_level = "standard"           # optional (md only): smoke | standard | paper
    windows = ["fingerprint"]       # optional (spectra only): default every window
    metrics = ["w1_cm1"]            # optional: default every judged metric
    use_interval = true             # optional: overrides [gate]
    include_self_reference = false  # optional: overrides [gate]
    thresholds = { w1_cm1 = 35.0 }  # optional; or { w1_cm1 = { threshold = 35.0, direction = "max" } }

Two layers of checks, both naming the file and the key path:

1. :class:`GateFile` (pydantic, ``extra="forbid"`` everywhere): types, ranges, allowed
   values; an unknown key gets a did-you-mean (:mod:`difflib`) and the list of valid keys.
2. :func:`check_declared`: every system, window, metric, MD level and threshold direction
   the file names must be one insbench declares (``thresholds.toml`` through
   :func:`insbench.metrics.load_thresholds`, ``md_tolerances.toml`` through
   :func:`insbench.metrics.md_tolerances.load_md_config`). So ``thresholds = { w1_cm = 5.0 }``
   is an error ("did you mean w1_cm1?"), never a silently ignored override.
"""

from __future__ import annotations

import difflib
import tomllib
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from insbench.metrics.bootstrap import DEFAULT_CONFIDENCE, DEFAULT_N_RESAMPLES, DEFAULT_SEED

GATE_SCHEMA_VERSION = 1
#: the thresholds.toml section that holds the pressure family's metrics
#: (insbench.workflows.evaluate_pressure.PRESSURE_WINDOW; results may not import workflows)
PRESSURE_SECTION = "pressure"

FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
Name = Annotated[str, Field(min_length=1)]


class GateFileError(ValueError):
    """The gate file is malformed; the message names the file, the key path and the fix."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class GateDefaults(_Strict):
    """``[gate]``: defaults for every ``[[require]]``."""

    use_interval: bool = False
    confidence: Annotated[float, Field(gt=0.0, lt=1.0)] = DEFAULT_CONFIDENCE
    n_resamples: Annotated[int, Field(ge=1)] = DEFAULT_N_RESAMPLES
    seed: Annotated[int, Field(ge=0)] = DEFAULT_SEED
    include_self_reference: bool = False


class ThresholdOverride(_Strict):
    """One metric's threshold in a requirement; a bare number means ``{threshold = number}``."""

    threshold: FiniteFloat
    direction: Literal["max", "min"] | None = None  # if given, must equal the declared one

    @model_validator(mode="before")
    @classmethod
    def _bare_number(cls, value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return {"threshold": value}
        if not isinstance(value, dict):
            raise ValueError(
                f"must be a number (the threshold) or a table {{ threshold = ..., direction = "
                f"\"max\" | \"min\" }}, got {value!r}"
            )
        return value


class Requirement(_Strict):
    """One ``[[require]]``: which results must meet which thresholds."""

    system: Name
    family: Literal["spectra", "pressure", "md"] = "spectra"
    reference_kind: Literal["measured", "computed"] = "measured"
    cell_mode: Literal["relaxed-cell", "measured-cell"] | None = None
    pressure_gpa: FiniteFloat | None = None
    md_level: Name | None = None
    windows: Annotated[list[Name], Field(min_length=1)] | None = None
    metrics: Annotated[list[Name], Field(min_length=1)] | None = None
    use_interval: bool | None = None
    include_self_reference: bool | None = None
    thresholds: dict[str, ThresholdOverride] = Field(default_factory=dict)

    def describe(self) -> str:
        parts = [self.system, self.family]
        if self.family == "spectra":
            parts.append(f"vs {self.reference_kind}")
        if self.cell_mode:
            parts.append(self.cell_mode)
        if self.pressure_gpa is not None:
            parts.append(f"{self.pressure_gpa:g} GPa")
        if self.md_level:
            parts.append(f"MD level {self.md_level}")
        if self.windows:
            parts.append("windows " + ",".join(self.windows))
        if self.metrics:
            parts.append("metrics " + ",".join(self.metrics))
        return " ".join(parts)


class GateFile(_Strict):
    """The whole gate file."""

    schema_version: Literal[1]
    gate: GateDefaults = Field(default_factory=GateDefaults)
    require: Annotated[list[Requirement], Field(min_length=1)]


# -- the declared metrics ------------------------------------------------------------------------


@dataclass(frozen=True)
class DeclaredMetric:
    metric: str
    direction: str
    unit: str
    threshold: float | None = None  # None where it depends on the run (MD: per level, noise-aware)


@dataclass(frozen=True)
class Declared:
    """What insbench declares: (family, system) -> window -> metric; MD levels; where from."""

    sections: dict[tuple[str, str], dict[str, dict[str, DeclaredMetric]]]
    md_levels: tuple[str, ...]
    sources: str

    def systems(self, family: str) -> list[str]:
        return sorted(system for fam, system in self.sections if fam == family)

    def windows(self, family: str, system: str) -> dict[str, dict[str, DeclaredMetric]]:
        return self.sections.get((family, system), {})

    def metric(self, family: str, system: str, metric: str) -> DeclaredMetric | None:
        for metrics in self.windows(family, system).values():
            if metric in metrics:
                return metrics[metric]
        return None


def declared_metrics(thresholds_path: str | Path | None = None,
                     md_tolerances_path: str | Path | None = None) -> Declared:
    """Every thresholded metric insbench declares, read through the public loaders."""
    from insbench.metrics import load_thresholds
    from insbench.metrics.md_tolerances import load_md_config

    thresholds = load_thresholds(thresholds_path)
    md = load_md_config(md_tolerances_path)
    sections: dict[tuple[str, str], dict[str, dict[str, DeclaredMetric]]] = {}
    for system, windows in thresholds.entries.items():
        for window in windows:
            family = "pressure" if window == PRESSURE_SECTION else "spectra"
            sections.setdefault((family, system), {})[window] = {
                name: DeclaredMetric(name, t.direction, t.unit, t.threshold)
                for name, t in thresholds.metrics(system, window).items()
            }
    md_metrics: dict[str, DeclaredMetric] = {}
    for level in md.levels:  # every level judges the same metrics; levels override thresholds only
        for name, tolerance in md.tolerances_for("-", level).items():
            # a drift tolerance (|slope| <= noise-aware allowance) has no direction field: it is "max"
            md_metrics.setdefault(name, DeclaredMetric(name, getattr(tolerance, "direction", "max"), tolerance.unit))
    for system in {s for _f, s in sections}:
        sections[("md", system)] = {"-": md_metrics}
    return Declared(sections, tuple(md.levels), f"{thresholds.source}; {md.source}")


# -- messages ------------------------------------------------------------------------------------


def did_you_mean(name: str, valid: Iterable[str]) -> str:
    """' did you mean X?' for the closest valid name (empty if none is close)."""
    close = difflib.get_close_matches(str(name), [str(v) for v in valid], n=1, cutoff=0.6)
    return f" did you mean {close[0]}?" if close else ""


def _path(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        else:
            return annotation


def _walk(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    current: Any = GateFile
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part))
            if field is None:
                return None
            current = field.annotation
        elif typing.get_origin(current) in (list, dict):
            current = typing.get_args(current)[-1]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


_SECTION_NAMES = {GateFile: "the file's top level", GateDefaults: "[gate]", Requirement: "[[require]]",
                  ThresholdOverride: "a threshold table"}


def _message(error: dict[str, Any]) -> str:
    loc = tuple(error["loc"])
    where = _path(loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        model = _walk(loc[:-1])
        valid = list(model.model_fields) if model else []
        section = _SECTION_NAMES.get(model, _path(loc[:-1])) if model else _path(loc[:-1])
        return (f"{where}: unknown key {loc[-1]} in {section};{did_you_mean(loc[-1], valid)} "
                f"valid keys: {', '.join(valid)}")
    if kind == "missing" and loc == ("require",) or kind == "too_short" and loc[:1] == ("require",):
        return "needs at least one [[require]] table (system = \"...\" and what it must meet)"
    if kind == "missing":
        return f"{where}: required key missing"
    if kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        choices = [c.strip(" '") for c in expected.replace(" or ", ",").split(",") if c.strip(" '")]
        return (f"{where} = {error['input']!r}: must be one of {expected};"
                f"{did_you_mean(error['input'], choices)}").rstrip(";")
    if kind == "value_error":
        return f"{where}: {error['ctx']['error']}" if "ctx" in error else f"{where}: {error['msg']}"
    return f"{where}: {error['msg'].lower()} (got {error['input']!r})"


# -- loading -------------------------------------------------------------------------------------


def parse_gate_file(data: Any, source: str, declared: Declared | None = None) -> GateFile:
    """Validate parsed TOML (schema, then the declared metrics); ``source`` names the file."""
    if isinstance(data, dict) and data.get("schema_version") not in (None, GATE_SCHEMA_VERSION):
        raise GateFileError(f"{source}: schema_version is {data['schema_version']!r}, this insbench reads "
                            f"gate files of schema_version {GATE_SCHEMA_VERSION}")
    try:
        model = GateFile.model_validate(data)
    except ValidationError as error:
        problems = [_message(e) for e in error.errors()]
        raise GateFileError(_join(source, problems)) from None
    problems = check_declared(model, declared if declared is not None else declared_metrics())
    if problems:
        raise GateFileError(_join(source, problems))
    return model


def _join(source: str, problems: list[str]) -> str:
    if len(problems) == 1:
        return f"{source}: {problems[0]}"
    return f"{source}: {len(problems)} problems:\n" + "\n".join(f"  - {p}" for p in problems)


def read_gate_toml(path: str | Path) -> tuple[dict[str, Any], str]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GateFileError(f"gate file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise GateFileError(f"gate file {path} cannot be read: {error}") from None
    try:
        return tomllib.loads(text), str(path)
    except tomllib.TOMLDecodeError as error:
        raise GateFileError(f"{path}: not valid TOML: {error}") from None


# -- the declared-metrics check ------------------------------------------------------------------


def check_declared(gate: GateFile, declared: Declared) -> list[str]:
    """Every name in ``gate`` that insbench does not declare, as one message each."""
    problems: list[str] = []
    for i, req in enumerate(gate.require):
        where = f"require[{i}]"
        systems = declared.systems(req.family)
        if req.system not in systems:
            problems.append(f"{where}.system = {req.system!r}: no {req.family} thresholds are declared for "
                            f"it;{did_you_mean(req.system, systems)} declared: {', '.join(systems)} "
                            f"({declared.sources})")
            continue
        windows = declared.windows(req.family, req.system)
        if req.family != "spectra":
            for key, value in (("reference_kind", req.reference_kind != "measured"),
                               ("pressure_gpa", req.pressure_gpa is not None),
                               ("windows", req.windows is not None)):
                if value:
                    problems.append(f"{where}.{key}: applies to family \"spectra\" only, this requirement "
                                    f"is family {req.family!r}; remove it")
        if req.md_level is not None:
            if req.family != "md":
                problems.append(f"{where}.md_level: applies to family \"md\" only; remove it or set "
                                "family = \"md\"")
            elif req.md_level not in declared.md_levels:
                problems.append(f"{where}.md_level = {req.md_level!r}: not a declared MD level;"
                                f"{did_you_mean(req.md_level, declared.md_levels)} levels: "
                                f"{', '.join(declared.md_levels)}")
        for name in req.windows or ():
            if name not in windows:
                problems.append(f"{where}.windows: unknown window {name} for {req.system};"
                                f"{did_you_mean(name, windows)} valid windows: {', '.join(windows)}")
        in_scope = [w for w in (req.windows or windows) if w in windows] or list(windows)
        allowed = sorted({m for w in in_scope for m in windows[w]})
        scope = (f"{req.system} {req.family}" + (f" windows {', '.join(in_scope)}"
                                                if req.family == "spectra" else ""))
        for key, names in (("metrics", req.metrics or ()), ("thresholds", req.thresholds)):
            for name in names:
                if name not in allowed:
                    problems.append(f"{where}.{key}: unknown metric {name} for {scope};"
                                    f"{did_you_mean(name, allowed)} valid keys: {', '.join(allowed)}")
        if req.metrics:
            for name in req.thresholds:
                if name in allowed and name not in req.metrics:
                    problems.append(f"{where}.thresholds.{name}: overrides a metric this requirement does "
                                    f"not judge (metrics = {list(req.metrics)}); add it to metrics or "
                                    "remove the override")
        for name, override in req.thresholds.items():
            spec = declared.metric(req.family, req.system, name)
            if spec is not None and override.direction is not None and override.direction != spec.direction:
                sense = "value <= threshold passes" if spec.direction == "max" else "value >= threshold passes"
                problems.append(f"{where}.thresholds.{name}.direction = {override.direction!r}: insbench "
                                f"declares {name} direction {spec.direction!r} ({sense}); a gate cannot "
                                "flip it. Remove direction or set it to "
                                f"{spec.direction!r}")
    return problems

