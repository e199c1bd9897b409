"""The fixture manifest schema (schema_version 1), as pydantic v2 models.

A fixture is a directory ``<root>/<system>/<version>/`` holding ``manifest.json``
and the data files it lists. :func:`parse_manifest` validates the decoded JSON with
the models below (unknown keys are errors, with the closest allowed key) and returns
a :class:`Manifest`, or raises :class:`ReferenceSchemaError` naming the manifest and
the offending field (e.g. ``artefacts[1](structure).cell_is_measured``).

The full description with an example is in ``docs/reference-schema.md``. Kinds:
``measured``, ``computed`` (needs ``method`` and ``settings``), ``predicted`` (needs
``procedure``) and ``cited``: statements paraphrased from a paper (role ``claims``,
format ``json``, the paper's ``doi`` or ``url``), each statement with its exact source
(checked by :func:`check_cited_claims` when the fixture loads).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, ValidationInfo, model_validator

from insbench.reference.checksums import SHA256_PATTERN
from insbench.reference.cited import check_cited_claims  # noqa: F401  (re-exported)
from insbench.reference.errors import ReferenceSchemaError
from insbench.reference.schema_types import (
    Kind,
    OptNumber,
    OptText,
    Role,
    Text,
    Window,
    _bool,
    _number,
    _object,
    _Problem,
    _text,
)
from insbench.reference.semver import is_semver

SCHEMA_VERSION = 1
MANIFEST_NAME = "manifest.json"

from insbench.reference.schema_types import KINDS, ROLES  # noqa: E402,F401  (defined with the field types)
#: Formats a spectrum artefact may have (each has a parser in ``parsers.py``).
SPECTRUM_FORMATS = ("isis-dat", "mantid-ascii")
#: Formats for tables, claims and notes (read by whoever uses them).
GENERIC_FORMATS = ("json", "csv", "txt", "md", "toml", "yaml")
#: Energy units a spectrum file may be in; loaded spectra are always in cm-1.
SPECTRUM_ENERGY_UNITS = ("cm-1", "meV")
SOURCE_FIELDS = ("citation", "doi", "repository", "path", "commit", "url")
SYSTEM_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Resolution(_Strict):
    """Which resolution function the physics uses to broaden simulated spectra."""

    instrument: Text
    version: Text
    model: Text
    note: Text
    #: multiplies the model's Gaussian widths (an approximation the note must explain)
    width_scale: Annotated[float, BeforeValidator(_number)] = 1.0
    #: resins version and model whose detector banks give angle and final energy
    kinematics_version: OptText = None
    kinematics_model: Text = "book"
    banks: tuple[str, ...] = ("Backward", "Forward")

    @model_validator(mode="before")
    @classmethod
    def _shape(cls, data: Any) -> Any:
        data = _object(data)
        banks = data.get("banks", ["x"])
        if not isinstance(banks, list) or not banks or not all(isinstance(b, str) for b in banks):
            raise _Problem("banks", "must be a non-empty list of bank names")
        return data

    @model_validator(mode="after")
    def _scale(self) -> Resolution:
        if self.width_scale <= 0:
            raise _Problem("width_scale", f"must be > 0, got {self.width_scale}")
        return self


class Conditions(_Strict):
    """The experimental conditions a fixture's data belong to; drive physics settings."""

    instrument: Text
    temperature_k: OptNumber
    pressures_gpa: tuple[float, ...]
    energy_window_cm1: Window
    scoring_windows_cm1: dict[str, Window]
    resolution: Resolution
    temperature_note: OptText = None
    simulation_temperature_k: OptNumber = None
    simulation_temperature_note: OptText = None
    scoring_windows_note: OptText = None
    notes: OptText = None
    #: thresholds for this fixture's windows, {window: {metric: {threshold, unit, direction,
    #: rationale}}}; validated by insbench.metrics.thresholds (see docs/reference-schema.md)
    thresholds: dict[str, Any] | None = None

    @model_validator(mode="before")
    @classmethod
    def _lists(cls, data: Any) -> Any:
        data = _object(data)
        pressures = data.get("pressures_gpa")
        if "pressures_gpa" in data:
            if not isinstance(pressures, list) or not pressures:
                raise _Problem("pressures_gpa", "must be a non-empty list of numbers")
            for i, p in enumerate(pressures):
                try:
                    _number(p)
                except ValueError as error:
                    raise _Problem(f"pressures_gpa[{i}]", str(error)) from None
        windows = data.get("scoring_windows_cm1")
        if isinstance(windows, Mapping) and not windows:
            raise _Problem("scoring_windows_cm1", "must name at least one window")
        if "scoring_windows_cm1" in data and not isinstance(windows, Mapping):
            raise _Problem("scoring_windows_cm1", f"must be a JSON object, got {type(windows).__name__}")
        return data

    @model_validator(mode="after")
    def _rules(self) -> Conditions:
        if self.temperature_k is None and self.temperature_note is None:
            raise _Problem("temperature_note", "is required when temperature_k is null")
        if self.simulation_temperature_k is not None and self.simulation_temperature_note is None:
            raise _Problem("simulation_temperature_note",
                           "is required with simulation_temperature_k (say why that value was assumed)")
        if self.temperature_k is None and self.simulation_temperature_k is None:
            raise _Problem("simulation_temperature_k",
                           "is required when temperature_k is null (the physics needs a temperature)")
        for name in ("temperature_k", "simulation_temperature_k"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise _Problem(name, f"must be >= 0 K, got {value}")
        lo_e, hi_e = self.energy_window_cm1
        for name, (lo, hi) in self.scoring_windows_cm1.items():
            if lo < lo_e or hi > hi_e:
                raise _Problem(f"scoring_windows_cm1.{name}",
                               f"[{lo}, {hi}] lies outside energy_window_cm1 {[lo_e, hi_e]}")
        if self.thresholds is not None and not all(isinstance(v, Mapping) for v in self.thresholds.values()):
            raise _Problem("thresholds", "must map each window name to a table of metrics")
        return self

    @property
    def temperature_for_simulation_k(self) -> float:
        """The temperature to simulate at: the stated assumption if there is one,
        else the measured temperature (validation guarantees one exists)."""
        value = self.simulation_temperature_k
        if value is None:
            value = self.temperature_k
        assert value is not None
        return value


class Source(_Strict):
    """Where an artefact came from. Only ``citation`` is always set; every key is present."""

    citation: Text
    doi: OptText
    repository: OptText
    path: OptText
    commit: OptText
    url: OptText
    notes: OptText = None

    @model_validator(mode="after")
    def _commit(self) -> Source:
        if self.commit is not None and not re.fullmatch(r"[0-9a-f]{7,40}", self.commit):
            raise _Problem("commit", f"{self.commit!r} is not a git commit hash (7-40 hex digits)")
        return self

    def to_dict(self) -> dict[str, str | None]:
        out = {name: getattr(self, name) for name in SOURCE_FIELDS}
        if self.notes is not None:
            out["notes"] = self.notes
        return out


def _file(value: Any) -> str:
    text = _text(value)
    pure = PurePosixPath(text)
    if pure.is_absolute() or ".." in pure.parts or "\\" in text or text != str(pure):
        raise ValueError(f"{text!r} must be a plain relative path inside the fixture directory")
    return text


def _sha(value: Any) -> str:
    if not isinstance(value, str) or not SHA256_PATTERN.match(value):
        raise ValueError(f"{value!r} is not 64 lower-case hex digits")
    return value


class Artefact(_Strict):
    """One data file of a fixture, with its provenance."""

    name: Text
    file: Annotated[str, BeforeValidator(_file)]
    role: Role
    kind: Kind
    format: Text
    units: dict[str, Text]
    instrument: OptText
    temperature_k: OptNumber
    pressure_gpa: OptNumber
    source: Source
    licence: Text
    sha256: Annotated[str, BeforeValidator(_sha)]
    description: Text
    temperature_note: OptText = None
    pressure_note: OptText = None
    cell_is_measured: Annotated[bool | None, BeforeValidator(lambda v: None if v is None else _bool(v))] = None
    method: OptText = None
    settings: dict[str, Any] | None = None
    procedure: OptText = None
    notes: OptText = None
    #: recorded by ``insbench reference import --allow-negative``
    negative_counts_allowed: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _rules(self) -> Artefact:
        _check_format(self.format, self.role)
        if self.role == "spectrum":
            for key in ("energy", "intensity"):
                if key not in self.units:
                    raise _Problem(f"units.{key}", "is missing (required for spectra)")
            if self.units["energy"] not in SPECTRUM_ENERGY_UNITS:
                raise _Problem("units.energy", f"is {self.units['energy']!r}; must be one of "
                               f"{', '.join(SPECTRUM_ENERGY_UNITS)}")
            if self.pressure_gpa is None:
                raise _Problem("pressure_gpa", "must be a finite number, got None")
        if self.role == "structure" and self.units.get("length") != "angstrom":
            raise _Problem("units.length", "must be 'angstrom' for structures")
        if self.temperature_k is None and self.temperature_note is None:
            raise _Problem("temperature_note", "is required when temperature_k is null (say why)")
        if self.pressure_gpa is None and self.pressure_note is None:
            raise _Problem("pressure_note", "is required when pressure_gpa is null (say why)")
        if self.role == "structure":
            if self.cell_is_measured is None:
                raise _Problem("cell_is_measured", "is missing (required for structures)")
            if self.kind == "measured" and not self.cell_is_measured:
                raise _Problem("cell_is_measured", "is false, but a measured structure has a measured cell")
        elif self.cell_is_measured is not None:
            raise _Problem("cell_is_measured", "only applies to role 'structure'")
        if self.kind == "computed":
            if self.method is None:
                raise _Problem("method", "is required for computed artefacts")
            if self.settings is None:
                raise _Problem("settings", "is required for computed artefacts")
        if self.kind == "predicted" and self.procedure is None:
            raise _Problem("procedure", "is required for predicted artefacts")
        if self.kind == "cited":
            if self.role != "claims" or self.format != "json":
                raise _Problem("role", "a cited artefact holds statements paraphrased from a paper: role "
                               "'claims', format 'json' (never a spectrum, structure or table of data)")
            if self.source.doi is None and self.source.url is None:
                raise _Problem("source", "a cited artefact needs the paper's doi or url")
        return self


def _check_format(fmt: str, role: str) -> None:
    allowed: tuple[str, ...]
    if role == "spectrum":
        allowed = SPECTRUM_FORMATS
    elif role == "structure":
        allowed = structure_formats()
    else:
        allowed = GENERIC_FORMATS + SPECTRUM_FORMATS
    if fmt not in allowed:
        shown = ", ".join(allowed) if len(allowed) < 12 else "an ASE-readable format such as aims, cif, extxyz, vasp"
        raise _Problem("format", f"{fmt!r} is not a known format for role {role!r}; use {shown}")


class Slot(_Strict):
    """Data a fixture is known to lack: what it would be and how to add it (no file).

    Once an artefact with the same role, kind and pressure exists the slot must go.
    """

    name: Text
    role: Role
    kind: Kind
    pressure_gpa: OptNumber
    description: Text
    import_hint: Text
    notes: OptText = None


class _Document(_Strict):
    """The whole manifest as written."""

    schema_version: Any
    system: Text
    version: Text
    description: Text
    formula: Text
    conditions: Conditions
    artefacts: list[Artefact]
    notes: OptText = None
    slots: list[Slot] = []

    @model_validator(mode="before")
    @classmethod
    def _top(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            raise _Problem("<top level>", f"must be a JSON object, got {type(data).__name__}")
        version = data.get("schema_version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION or isinstance(version, bool):
            raise _Problem("schema_version", f"is {version!r}; this insbench reads schema_version "
                           f"{SCHEMA_VERSION} (upgrade insbench to read newer fixtures)")
        if "artefacts" in data and (not isinstance(data["artefacts"], list) or not data["artefacts"]):
            raise _Problem("artefacts", "must be a non-empty list of artefact objects")
        if "slots" in data and not isinstance(data["slots"], list):
            raise _Problem("slots", "must be a list of slot objects")
        return data

    @model_validator(mode="after")
    def _rules(self, info: ValidationInfo) -> _Document:
        if not SYSTEM_PATTERN.match(self.system):
            raise _Problem("system", f"{self.system!r} must match {SYSTEM_PATTERN.pattern}")
        if not is_semver(self.version):
            raise _Problem("version", f"{self.version!r} is not a semantic version like '1.0.0'")
        path = Path((info.context or {}).get("path", ""))
        if path.name == MANIFEST_NAME and path.parent.name and path.parent.parent.name:
            if path.parent.name != self.version:
                raise _Problem("version", f"is {self.version!r} but the directory is {path.parent.name!r}")
            if path.parent.parent.name != self.system:
                raise _Problem("system", f"is {self.system!r} but the directory is {path.parent.parent.name!r}")
        _check_consistency(self.artefacts, self.conditions)
        _check_slots(self.slots, self.artefacts, self.conditions)
        return self


def _where(i: int, name: str, prefix: str = "artefacts") -> str:
    return f"{prefix}[{i}]({name})"


def _check_consistency(artefacts: list[Artefact], conditions: Conditions) -> None:
    seen_names: dict[str, int] = {}
    seen_files: dict[str, int] = {}
    seen_spectra: dict[tuple[str, float], str] = {}
    seen_structures: dict[float | None, str] = {}
    for i, art in enumerate(artefacts):
        where = _where(i, art.name)
        if art.name in seen_names:
            raise _Problem(f"{where}.name", f"duplicates artefacts[{seen_names[art.name]}]")
        seen_names[art.name] = i
        if art.file in seen_files:
            raise _Problem(f"{where}.file", f"duplicates artefacts[{seen_files[art.file]}].file")
        seen_files[art.file] = i
        if art.role == "spectrum":
            assert art.pressure_gpa is not None
            key = (art.kind, art.pressure_gpa)
            if key in seen_spectra:
                raise _Problem(where, f"is a second {art.kind} spectrum at {art.pressure_gpa} GPa "
                               f"(first: {seen_spectra[key]}); keep one per kind and pressure")
            seen_spectra[key] = art.name
            if not any(math.isclose(art.pressure_gpa, p, abs_tol=1e-9) for p in conditions.pressures_gpa):
                raise _Problem(f"{where}.pressure_gpa",
                               f"{art.pressure_gpa} is not listed in conditions.pressures_gpa")
        if art.role == "structure":
            if art.pressure_gpa in seen_structures:
                raise _Problem(where, f"is a second structure at pressure {art.pressure_gpa} "
                               f"(first: {seen_structures[art.pressure_gpa]})")
            seen_structures[art.pressure_gpa] = art.name


def _check_slots(slots: list[Slot], artefacts: list[Artefact], conditions: Conditions) -> None:
    names = {a.name for a in artefacts}
    for i, slot in enumerate(slots):
        where = _where(i, slot.name, "slots")
        if slot.name in names:
            raise _Problem(f"{where}.name", "duplicates an artefact or another slot name")
        names.add(slot.name)
        pressure = slot.pressure_gpa
        if slot.role == "spectrum":
            if pressure is None:
                raise _Problem(f"{where}.pressure_gpa", "must be a finite number, got None")
            if not any(math.isclose(pressure, p, abs_tol=1e-9) for p in conditions.pressures_gpa):
                raise _Problem(f"{where}.pressure_gpa", f"{pressure} is not listed in conditions.pressures_gpa")
        for art in artefacts:
            same_pressure = (art.pressure_gpa is None and pressure is None) or (
                art.pressure_gpa is not None and pressure is not None
                and math.isclose(art.pressure_gpa, pressure, abs_tol=1e-9))
            if art.role == slot.role and art.kind == slot.kind and same_pressure:
                raise _Problem(where, f"is already filled by artefact {art.name!r}; remove the slot")


@dataclass(frozen=True)
class Manifest:
    """A validated manifest. ``raw`` is the decoded JSON it was made from."""

    path: Path
    system: str
    version: str
    description: str
    formula: str
    conditions: Conditions
    artefacts: tuple[Artefact, ...]
    raw: Mapping[str, Any] = field(repr=False, compare=False)
    notes: str | None = None
    slots: tuple[Slot, ...] = ()


# ---------------------------------------------------------------- errors -> ReferenceSchemaError
_NESTED: dict[str, type[BaseModel]] = {"conditions": Conditions, "resolution": Resolution, "artefacts": Artefact,
                                       "source": Source, "slots": Slot}


def _field_path(loc: tuple, data: Any) -> tuple[str, type[BaseModel]]:
    """``('artefacts', 0, 'sha256')`` -> ``artefacts[0](name).sha256``, and the model at the end."""
    parts: list[str] = []
    model: type[BaseModel] = _Document
    node = data
    for item in loc:
        if isinstance(item, int):
            name = node[item].get("name") if isinstance(node, list) and item < len(node) and isinstance(
                node[item], Mapping) else None
            parts[-1] += f"[{item}]" + (f"({name})" if isinstance(name, str) else "")
            node = node[item] if isinstance(node, list) and item < len(node) else None
            continue
        parts.append(str(item))
        model = _NESTED.get(str(item), model) if str(item) in model.model_fields else model
        node = node.get(item) if isinstance(node, Mapping) else None
    return ".".join(parts), model


def _explain(error: ValidationError, data: Any, manifest: Path) -> ReferenceSchemaError:
    problem = error.errors(include_url=False)[0]
    loc = tuple(p for p in problem["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    where, model = _field_path(loc, data)
    cause = (problem.get("ctx") or {}).get("error")
    kind = problem["type"]
    if isinstance(cause, _Problem):
        where = cause.field if not where or cause.field == "<top level>" else f"{where}.{cause.field}"
        message = str(cause)
    elif isinstance(cause, Exception):
        message = str(cause)
    elif kind == "missing":
        message = "is missing (required)"
    elif kind == "extra_forbidden":
        allowed = sorted(model.model_fields)
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        message = f"is not a known field; {hint}allowed here: {', '.join(allowed)}"
    elif kind in ("model_type", "dict_type", "model_attributes_type"):
        message = f"must be a JSON object, got {type(problem.get('input')).__name__}"
    elif kind in ("list_type", "tuple_type"):
        message = f"must be a list, got {problem.get('input')!r}"
    else:
        message = str(problem["msg"]).removeprefix("Value error, ")
    return ReferenceSchemaError(manifest, where or "<top level>", message)


def parse_manifest(data: Any, manifest_path: Path | str, *, check_files: bool = True) -> Manifest:
    """Validate decoded manifest JSON and return it as a :class:`Manifest`.

    ``manifest_path`` is used in error messages and, when ``check_files`` is true, to
    check that every artefact's file exists next to it. The directory layout
    ``<system>/<version>/manifest.json`` must agree with ``system`` and ``version``.

    Raises:
        ReferenceSchemaError: naming the manifest and the field at fault.
    """
    path = Path(manifest_path)
    if not isinstance(data, Mapping):
        raise ReferenceSchemaError(path, "<top level>", f"must be a JSON object, got {type(data).__name__}")
    try:
        document = _Document.model_validate(data, context={"path": str(path)})
    except ValidationError as error:
        raise _explain(error, data, path) from None
    for i, raw in enumerate(data["artefacts"]):  # keys present with a null value count as present
        art = document.artefacts[i]
        if "cell_is_measured" in raw and art.role != "structure":
            raise ReferenceSchemaError(path, f"{_where(i, art.name)}.cell_is_measured",
                                       "only applies to role 'structure'")
    if check_files:
        for i, art in enumerate(document.artefacts):
            if not (path.parent / art.file).is_file():
                raise ReferenceSchemaError(path, f"{_where(i, art.name)}.file",
                                           f"{art.file!r} does not exist in {path.parent}; restore it or fix "
                                           "the manifest")
    return Manifest(path=path, system=document.system, version=document.version,
                    description=document.description, formula=document.formula,
                    conditions=document.conditions, artefacts=tuple(document.artefacts), raw=data,
                    notes=document.notes, slots=tuple(document.slots))


def structure_formats() -> tuple[str, ...]:
    """Structure formats: every format ASE can read (e.g. aims, cif, extxyz, vasp)."""
    from ase.io.formats import ioformats  # lazy: ase is heavy to import

    return tuple(sorted(name for name, fmt in ioformats.items() if fmt.can_read))
