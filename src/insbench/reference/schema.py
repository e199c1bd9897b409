"""The fixture manifest schema (schema_version 1) and its strict validation.

A fixture is a directory ``<root>/<system>/<version>/`` holding ``manifest.json``
and the data files it lists. :func:`parse_manifest` turns the decoded JSON into
frozen dataclasses, or raises :class:`ReferenceSchemaError` naming the manifest
and the offending field (e.g. ``artefacts[1](structure).cell_is_measured``).

The full description with an example is in ``docs/reference-schema.md``;
the rules enforced here are:

* top level: ``schema_version`` (== 1), ``system``, ``version`` (semver),
  ``description``, ``formula``, ``conditions``, ``artefacts`` (non-empty);
  optional ``notes`` and ``slots`` (data the fixture lacks: ``name, role, kind,
  pressure_gpa, description, import_hint``, optional ``notes``; no file; a slot
  whose role, kind and pressure an artefact already fills is an error). Unknown keys are errors (they are usually typos).
* ``conditions``: ``instrument``, ``temperature_k`` (number, or null with a
  ``temperature_note``), ``pressures_gpa`` (non-empty list), ``energy_window_cm1``
  ``[lo, hi]``, ``scoring_windows_cm1`` ``{name: [lo, hi]}`` inside the energy
  window, ``resolution {instrument, version, model, note}``; optional
  ``simulation_temperature_k`` (needs ``simulation_temperature_note``: it is an
  assumption), ``scoring_windows_note``, ``notes``. At least one of
  ``temperature_k`` / ``simulation_temperature_k`` must be a number.
* each artefact: ``name, file, role, kind, format, units, instrument,
  temperature_k, pressure_gpa, source {citation, doi, repository, path, commit,
  url}, licence, sha256, description``; null ``temperature_k`` / ``pressure_gpa``
  need a ``temperature_note`` / ``pressure_note``. ``role`` is one of
  :data:`ROLES`, ``kind`` one of :data:`KINDS`. Structures need
  ``cell_is_measured``; computed artefacts need ``method`` and ``settings``;
  predicted ones need ``procedure``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from insbench.reference.checksums import SHA256_PATTERN
from insbench.reference.errors import ReferenceSchemaError
from insbench.reference.semver import is_semver

SCHEMA_VERSION = 1
MANIFEST_NAME = "manifest.json"

ROLES = ("spectrum", "structure", "peaks", "claims", "other")
KINDS = ("measured", "computed", "predicted")
#: Formats a spectrum artefact may have (each has a parser in ``parsers.py``).
SPECTRUM_FORMATS = ("isis-dat", "mantid-ascii")
#: Formats for tables, claims and notes (read by whoever uses them).
GENERIC_FORMATS = ("json", "csv", "txt", "md", "toml", "yaml")
#: Energy units a spectrum file may be in; loaded spectra are always in cm-1.
SPECTRUM_ENERGY_UNITS = ("cm-1", "meV")
SOURCE_FIELDS = ("citation", "doi", "repository", "path", "commit", "url")
SYSTEM_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")

_TOP_REQUIRED = ("schema_version", "system", "version", "description", "formula",
                 "conditions", "artefacts")
_TOP_OPTIONAL = ("notes", "slots")
_COND_REQUIRED = ("instrument", "temperature_k", "pressures_gpa", "energy_window_cm1",
                  "scoring_windows_cm1", "resolution")
_COND_OPTIONAL = ("temperature_note", "simulation_temperature_k",
                  "simulation_temperature_note", "scoring_windows_note", "notes")
_SLOT_REQUIRED = ("name", "role", "kind", "pressure_gpa", "description", "import_hint")
_SLOT_OPTIONAL = ("notes",)
_RES_REQUIRED = ("instrument", "version", "model", "note")
_RES_OPTIONAL = ("width_scale", "kinematics_version", "kinematics_model", "banks")
_ART_REQUIRED = ("name", "file", "role", "kind", "format", "units", "instrument",
                 "temperature_k", "pressure_gpa", "source", "licence", "sha256", "description")
_ART_OPTIONAL = ("temperature_note", "pressure_note", "cell_is_measured", "method",
                 "settings", "procedure", "notes", "negative_counts_allowed")


@dataclass(frozen=True)
class Resolution:
    """Which resolution function the physics uses to broaden simulated spectra."""

    instrument: str
    version: str
    model: str
    note: str
    #: multiplies the model's Gaussian widths (an approximation for an instrument resins
    #: cannot evaluate; the note must say why)
    width_scale: float = 1.0
    #: resins version and model whose detector-bank configuration gives angle and final
    #: energy (defaults: ``version`` and "book")
    kinematics_version: str | None = None
    kinematics_model: str = "book"
    banks: tuple[str, ...] = ("Backward", "Forward")


@dataclass(frozen=True)
class Conditions:
    """The experimental conditions a fixture's data belong to; drive physics settings."""

    instrument: str
    temperature_k: float | None
    pressures_gpa: tuple[float, ...]
    energy_window_cm1: tuple[float, float]
    scoring_windows_cm1: Mapping[str, tuple[float, float]]
    resolution: Resolution
    temperature_note: str | None = None
    simulation_temperature_k: float | None = None
    simulation_temperature_note: str | None = None
    scoring_windows_note: str | None = None
    notes: str | None = None

    @property
    def temperature_for_simulation_k(self) -> float:
        """The temperature to simulate at: the stated assumption if there is one,
        else the measured temperature (validation guarantees one exists)."""
        value = self.simulation_temperature_k
        if value is None:
            value = self.temperature_k
        assert value is not None  # guaranteed by parse_manifest
        return value


@dataclass(frozen=True)
class Source:
    """Where an artefact came from. Only ``citation`` is always set."""

    citation: str
    doi: str | None
    repository: str | None
    path: str | None
    commit: str | None
    url: str | None
    notes: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        out = {name: getattr(self, name) for name in SOURCE_FIELDS}
        if self.notes is not None:
            out["notes"] = self.notes
        return out


@dataclass(frozen=True)
class Artefact:
    """One data file of a fixture, with its provenance."""

    name: str
    file: str
    role: str
    kind: str
    format: str
    units: Mapping[str, str]
    instrument: str | None
    temperature_k: float | None
    pressure_gpa: float | None
    source: Source
    licence: str
    sha256: str
    description: str
    temperature_note: str | None = None
    pressure_note: str | None = None
    cell_is_measured: bool | None = None
    method: str | None = None
    settings: Mapping[str, Any] | None = None
    procedure: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class Slot:
    """Data a fixture is known to lack: what it would be and how to add it.

    A slot holds no file. ``import_hint`` is the command (or step) that fills it
    in a new fixture version; once an artefact with the same role, kind and
    pressure exists, the slot must be removed (validation enforces it).
    """

    name: str
    role: str
    kind: str
    pressure_gpa: float | None
    description: str
    import_hint: str
    notes: str | None = None


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


class _Check:
    """Small helpers that raise ReferenceSchemaError naming manifest and field."""

    def __init__(self, manifest: Path) -> None:
        self.manifest = manifest

    def fail(self, where: str, problem: str) -> ReferenceSchemaError:
        return ReferenceSchemaError(self.manifest, where, problem)

    def mapping(self, value: Any, where: str) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(where, f"must be a JSON object, got {type(value).__name__}")
        return value

    def keys(self, obj: Mapping[str, Any], where: str, required: tuple[str, ...],
             optional: tuple[str, ...] = ()) -> None:
        prefix = f"{where}." if where else ""
        for key in required:
            if key not in obj:
                raise self.fail(f"{prefix}{key}", "is missing (required)")
        allowed = set(required) | set(optional)
        for key in obj:
            if key not in allowed:
                raise self.fail(
                    f"{prefix}{key}",
                    f"is not a known field; allowed here: {', '.join(sorted(allowed))}",
                )

    def text(self, value: Any, where: str, *, nullable: bool = False) -> str | None:
        if value is None and nullable:
            return None
        if not isinstance(value, str) or not value.strip():
            kind = "a non-empty string or null" if nullable else "a non-empty string"
            raise self.fail(where, f"must be {kind}, got {value!r}")
        return value

    def number(self, value: Any, where: str, *, nullable: bool = False) -> float | None:
        if value is None and nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            kind = "a finite number or null" if nullable else "a finite number"
            raise self.fail(where, f"must be {kind}, got {value!r}")
        return float(value)

    def window(self, value: Any, where: str) -> tuple[float, float]:
        if not isinstance(value, list) or len(value) != 2:
            raise self.fail(where, f"must be a list [lo, hi] of two numbers, got {value!r}")
        lo = self.number(value[0], f"{where}[0]")
        hi = self.number(value[1], f"{where}[1]")
        assert lo is not None and hi is not None
        if not lo < hi:
            raise self.fail(where, f"needs lo < hi, got [{lo}, {hi}]")
        return lo, hi

    def one_of(self, value: Any, where: str, allowed: tuple[str, ...]) -> str:
        if value not in allowed:
            raise self.fail(where, f"is {value!r}; must be one of {', '.join(allowed)}")
        return value


def parse_manifest(data: Any, manifest_path: Path | str, *, check_files: bool = True) -> Manifest:
    """Validate decoded manifest JSON and return it as a :class:`Manifest`.

    ``manifest_path`` is used in error messages and, when ``check_files`` is true,
    to check that every artefact's file exists next to it. The directory layout
    ``<system>/<version>/manifest.json`` must agree with the ``system`` and
    ``version`` fields (checked when the path has that shape).

    Raises:
        ReferenceSchemaError: naming the manifest and the field at fault.
    """
    path = Path(manifest_path)
    check = _Check(path)
    top = check.mapping(data, "<top level>")
    check.keys(top, "", _TOP_REQUIRED, _TOP_OPTIONAL)
    if top["schema_version"] != SCHEMA_VERSION or isinstance(top["schema_version"], bool):
        raise check.fail(
            "schema_version",
            f"is {top['schema_version']!r}; this insbench reads schema_version {SCHEMA_VERSION} "
            "(upgrade insbench to read newer fixtures)",
        )
    system = str(check.text(top["system"], "system"))
    if not SYSTEM_PATTERN.match(system):
        raise check.fail("system", f"{system!r} must match {SYSTEM_PATTERN.pattern}")
    version = str(check.text(top["version"], "version"))
    if not is_semver(version):
        raise check.fail("version", f"{version!r} is not a semantic version like '1.0.0'")
    if path.name == MANIFEST_NAME and path.parent.name and path.parent.parent.name:
        if path.parent.name != version:
            raise check.fail("version", f"is {version!r} but the directory is {path.parent.name!r}")
        if path.parent.parent.name != system:
            raise check.fail("system", f"is {system!r} but the directory is {path.parent.parent.name!r}")
    conditions = _parse_conditions(check, top["conditions"])
    raw_artefacts = top["artefacts"]
    if not isinstance(raw_artefacts, list) or not raw_artefacts:
        raise check.fail("artefacts", "must be a non-empty list of artefact objects")
    artefacts = tuple(
        _parse_artefact(check, item, f"artefacts[{i}]") for i, item in enumerate(raw_artefacts)
    )
    _check_consistency(check, artefacts, conditions)
    slots = _parse_slots(check, top.get("slots", []), artefacts, conditions)
    if check_files:
        for i, art in enumerate(artefacts):
            if not (path.parent / art.file).is_file():
                raise check.fail(
                    f"artefacts[{i}]({art.name}).file",
                    f"{art.file!r} does not exist in {path.parent}; restore it or fix the manifest",
                )
    return Manifest(
        path=path,
        system=system,
        version=version,
        description=str(check.text(top["description"], "description")),
        formula=str(check.text(top["formula"], "formula")),
        conditions=conditions,
        artefacts=artefacts,
        raw=data,
        notes=check.text(top.get("notes"), "notes", nullable=True),
        slots=slots,
    )


def _parse_slots(check: _Check, value: Any, artefacts: tuple[Artefact, ...],
                 conditions: Conditions) -> tuple[Slot, ...]:
    """Optional top-level ``slots``: data the fixture lacks (no file, no checksum)."""
    if not isinstance(value, list):
        raise check.fail("slots", "must be a list of slot objects")
    names = {a.name for a in artefacts}
    out: list[Slot] = []
    for i, item in enumerate(value):
        where = f"slots[{i}]"
        slot = check.mapping(item, where)
        if isinstance(slot.get("name"), str):
            where = f"{where}({slot['name']})"
        check.keys(slot, where, _SLOT_REQUIRED, _SLOT_OPTIONAL)
        name = str(check.text(slot["name"], f"{where}.name"))
        if name in names:
            raise check.fail(f"{where}.name", "duplicates an artefact or another slot name")
        names.add(name)
        role = check.one_of(slot["role"], f"{where}.role", ROLES)
        kind = check.one_of(slot["kind"], f"{where}.kind", KINDS)
        pressure = check.number(slot["pressure_gpa"], f"{where}.pressure_gpa", nullable=role != "spectrum")
        if role == "spectrum" and not any(
            math.isclose(pressure or 0.0, p, abs_tol=1e-9) for p in conditions.pressures_gpa
        ):
            raise check.fail(f"{where}.pressure_gpa", f"{pressure} is not listed in conditions.pressures_gpa")
        for art in artefacts:
            same_pressure = (art.pressure_gpa is None and pressure is None) or (
                art.pressure_gpa is not None and pressure is not None
                and math.isclose(art.pressure_gpa, pressure, abs_tol=1e-9))
            if art.role == role and art.kind == kind and same_pressure:
                raise check.fail(where, f"is already filled by artefact {art.name!r}; remove the slot")
        out.append(Slot(
            name=name, role=role, kind=kind, pressure_gpa=pressure,
            description=str(check.text(slot["description"], f"{where}.description")),
            import_hint=str(check.text(slot["import_hint"], f"{where}.import_hint")),
            notes=check.text(slot.get("notes"), f"{where}.notes", nullable=True),
        ))
    return tuple(out)


def _parse_conditions(check: _Check, value: Any) -> Conditions:
    cond = check.mapping(value, "conditions")
    check.keys(cond, "conditions", _COND_REQUIRED, _COND_OPTIONAL)
    temperature = check.number(cond["temperature_k"], "conditions.temperature_k", nullable=True)
    temperature_note = check.text(cond.get("temperature_note"), "conditions.temperature_note", nullable=True)
    if temperature is None and temperature_note is None:
        raise check.fail("conditions.temperature_note", "is required when temperature_k is null")
    sim_t = check.number(cond.get("simulation_temperature_k"), "conditions.simulation_temperature_k",
                         nullable=True)
    sim_note = check.text(cond.get("simulation_temperature_note"),
                          "conditions.simulation_temperature_note", nullable=True)
    if sim_t is not None and sim_note is None:
        raise check.fail("conditions.simulation_temperature_note",
                         "is required with simulation_temperature_k (say why that value was assumed)")
    if temperature is None and sim_t is None:
        raise check.fail("conditions.simulation_temperature_k",
                         "is required when temperature_k is null (the physics needs a temperature)")
    for name, t in (("temperature_k", temperature), ("simulation_temperature_k", sim_t)):
        if t is not None and t < 0:
            raise check.fail(f"conditions.{name}", f"must be >= 0 K, got {t}")
    pressures = cond["pressures_gpa"]
    if not isinstance(pressures, list) or not pressures:
        raise check.fail("conditions.pressures_gpa", "must be a non-empty list of numbers")
    pressures_gpa = tuple(
        float(check.number(p, f"conditions.pressures_gpa[{i}]") or 0.0) for i, p in enumerate(pressures)
    )
    energy_window = check.window(cond["energy_window_cm1"], "conditions.energy_window_cm1")
    windows_raw = check.mapping(cond["scoring_windows_cm1"], "conditions.scoring_windows_cm1")
    if not windows_raw:
        raise check.fail("conditions.scoring_windows_cm1", "must name at least one window")
    windows: dict[str, tuple[float, float]] = {}
    for name, window in windows_raw.items():
        where = f"conditions.scoring_windows_cm1.{name}"
        lo, hi = check.window(window, where)
        if lo < energy_window[0] or hi > energy_window[1]:
            raise check.fail(where, f"[{lo}, {hi}] lies outside energy_window_cm1 {list(energy_window)}")
        windows[name] = (lo, hi)
    res = check.mapping(cond["resolution"], "conditions.resolution")
    check.keys(res, "conditions.resolution", _RES_REQUIRED, _RES_OPTIONAL)
    fields: dict[str, Any] = {
        k: str(check.text(res[k], f"conditions.resolution.{k}")) for k in _RES_REQUIRED
    }
    if "width_scale" in res:
        scale = check.number(res["width_scale"], "conditions.resolution.width_scale")
        if scale is None or scale <= 0:
            raise check.fail("conditions.resolution.width_scale", f"must be > 0, got {scale}")
        fields["width_scale"] = float(scale)
    for key in ("kinematics_version", "kinematics_model"):
        if key in res:
            fields[key] = str(check.text(res[key], f"conditions.resolution.{key}"))
    if "banks" in res:
        banks = res["banks"]
        if not isinstance(banks, list) or not banks or not all(isinstance(b, str) for b in banks):
            raise check.fail("conditions.resolution.banks", "must be a non-empty list of bank names")
        fields["banks"] = tuple(banks)
    resolution = Resolution(**fields)
    return Conditions(
        instrument=str(check.text(cond["instrument"], "conditions.instrument")),
        temperature_k=temperature,
        pressures_gpa=pressures_gpa,
        energy_window_cm1=energy_window,
        scoring_windows_cm1=windows,
        resolution=resolution,
        temperature_note=temperature_note,
        simulation_temperature_k=sim_t,
        simulation_temperature_note=sim_note,
        scoring_windows_note=check.text(cond.get("scoring_windows_note"),
                                        "conditions.scoring_windows_note", nullable=True),
        notes=check.text(cond.get("notes"), "conditions.notes", nullable=True),
    )


def _parse_source(check: _Check, value: Any, where: str) -> Source:
    src = check.mapping(value, where)
    check.keys(src, where, SOURCE_FIELDS, ("notes",))
    values = {k: check.text(src[k], f"{where}.{k}", nullable=True) for k in SOURCE_FIELDS}
    commit = values["commit"]
    if commit is not None and not re.fullmatch(r"[0-9a-f]{7,40}", commit):
        raise check.fail(f"{where}.commit", f"{commit!r} is not a git commit hash (7-40 hex digits)")
    return Source(
        citation=str(check.text(src["citation"], f"{where}.citation")),
        doi=values["doi"], repository=values["repository"], path=values["path"],
        commit=commit, url=values["url"],
        notes=check.text(src.get("notes"), f"{where}.notes", nullable=True),
    )


def _parse_file(check: _Check, value: Any, where: str) -> str:
    text = str(check.text(value, where))
    pure = PurePosixPath(text)
    if pure.is_absolute() or ".." in pure.parts or "\\" in text or text != str(pure):
        raise check.fail(where, f"{text!r} must be a plain relative path inside the fixture directory")
    return text


def _parse_artefact(check: _Check, value: Any, where: str) -> Artefact:
    art = check.mapping(value, where)
    if isinstance(art.get("name"), str):
        where = f"{where}({art['name']})"
    check.keys(art, where, _ART_REQUIRED, _ART_OPTIONAL)
    name = str(check.text(art["name"], f"{where}.name"))
    role = check.one_of(art["role"], f"{where}.role", ROLES)
    kind = check.one_of(art["kind"], f"{where}.kind", KINDS)
    fmt = str(check.text(art["format"], f"{where}.format"))
    _check_format(check, fmt, role, f"{where}.format")
    units_raw = check.mapping(art["units"], f"{where}.units")
    units = {str(k): str(check.text(v, f"{where}.units.{k}")) for k, v in units_raw.items()}
    if role == "spectrum":
        for key in ("energy", "intensity"):
            if key not in units:
                raise check.fail(f"{where}.units.{key}", "is missing (required for spectra)")
        check.one_of(units["energy"], f"{where}.units.energy", SPECTRUM_ENERGY_UNITS)
    if role == "structure" and units.get("length") != "angstrom":
        raise check.fail(f"{where}.units.length", "must be 'angstrom' for structures")
    temperature = check.number(art["temperature_k"], f"{where}.temperature_k", nullable=True)
    temperature_note = check.text(art.get("temperature_note"), f"{where}.temperature_note", nullable=True)
    if temperature is None and temperature_note is None:
        raise check.fail(f"{where}.temperature_note", "is required when temperature_k is null (say why)")
    pressure = check.number(art["pressure_gpa"], f"{where}.pressure_gpa", nullable=role != "spectrum")
    pressure_note = check.text(art.get("pressure_note"), f"{where}.pressure_note", nullable=True)
    if pressure is None and pressure_note is None:
        raise check.fail(f"{where}.pressure_note", "is required when pressure_gpa is null (say why)")
    sha = art["sha256"]
    if not isinstance(sha, str) or not SHA256_PATTERN.match(sha):
        raise check.fail(f"{where}.sha256", f"{sha!r} is not 64 lower-case hex digits")
    cell = art.get("cell_is_measured")
    if role == "structure":
        if "cell_is_measured" not in art:
            raise check.fail(f"{where}.cell_is_measured", "is missing (required for structures)")
        if not isinstance(cell, bool):
            raise check.fail(f"{where}.cell_is_measured", f"must be true or false, got {cell!r}")
        if kind == "measured" and not cell:
            raise check.fail(f"{where}.cell_is_measured",
                             "is false, but a measured structure has a measured cell")
    elif "cell_is_measured" in art:
        raise check.fail(f"{where}.cell_is_measured", "only applies to role 'structure'")
    method = check.text(art.get("method"), f"{where}.method", nullable=True)
    settings = art.get("settings")
    if settings is not None:
        settings = check.mapping(settings, f"{where}.settings")
    procedure = check.text(art.get("procedure"), f"{where}.procedure", nullable=True)
    if kind == "computed":
        if method is None:
            raise check.fail(f"{where}.method", "is required for computed artefacts")
        if settings is None:
            raise check.fail(f"{where}.settings", "is required for computed artefacts")
    if kind == "predicted" and procedure is None:
        raise check.fail(f"{where}.procedure", "is required for predicted artefacts")
    return Artefact(
        name=name,
        file=_parse_file(check, art["file"], f"{where}.file"),
        role=role,
        kind=kind,
        format=fmt,
        units=units,
        instrument=check.text(art["instrument"], f"{where}.instrument", nullable=True),
        temperature_k=temperature,
        pressure_gpa=pressure,
        source=_parse_source(check, art["source"], f"{where}.source"),
        licence=str(check.text(art["licence"], f"{where}.licence")),
        sha256=sha,
        description=str(check.text(art["description"], f"{where}.description")),
        temperature_note=temperature_note,
        pressure_note=pressure_note,
        cell_is_measured=cell,
        method=method,
        settings=settings,
        procedure=procedure,
        notes=check.text(art.get("notes"), f"{where}.notes", nullable=True),
    )


def structure_formats() -> tuple[str, ...]:
    """Structure formats: every format ASE can read (e.g. aims, cif, extxyz, vasp)."""
    from ase.io.formats import ioformats  # lazy: ase is heavy to import

    return tuple(sorted(name for name, fmt in ioformats.items() if fmt.can_read))


def _check_format(check: _Check, fmt: str, role: str, where: str) -> None:
    allowed: tuple[str, ...]
    if role == "spectrum":
        allowed = SPECTRUM_FORMATS
    elif role == "structure":
        allowed = structure_formats()
    else:
        allowed = GENERIC_FORMATS + SPECTRUM_FORMATS
    if fmt not in allowed:
        shown = ", ".join(allowed) if len(allowed) < 12 else "an ASE-readable format such as aims, cif, extxyz, vasp"
        raise check.fail(where, f"{fmt!r} is not a known format for role {role!r}; use {shown}")


def _check_consistency(check: _Check, artefacts: tuple[Artefact, ...], conditions: Conditions) -> None:
    seen_names: dict[str, int] = {}
    seen_files: dict[str, int] = {}
    seen_spectra: dict[tuple[str, float], str] = {}
    seen_structures: dict[float | None, str] = {}
    for i, art in enumerate(artefacts):
        where = f"artefacts[{i}]({art.name})"
        if art.name in seen_names:
            raise check.fail(f"{where}.name", f"duplicates artefacts[{seen_names[art.name]}]")
        seen_names[art.name] = i
        if art.file in seen_files:
            raise check.fail(f"{where}.file", f"duplicates artefacts[{seen_files[art.file]}].file")
        seen_files[art.file] = i
        if art.role == "spectrum":
            assert art.pressure_gpa is not None
            key = (art.kind, art.pressure_gpa)
            if key in seen_spectra:
                raise check.fail(
                    where, f"is a second {art.kind} spectrum at {art.pressure_gpa} GPa "
                    f"(first: {seen_spectra[key]}); keep one per kind and pressure"
                )
            seen_spectra[key] = art.name
            if not any(math.isclose(art.pressure_gpa, p, abs_tol=1e-9) for p in conditions.pressures_gpa):
                raise check.fail(f"{where}.pressure_gpa",
                                 f"{art.pressure_gpa} is not listed in conditions.pressures_gpa")
        if art.role == "structure":
            if art.pressure_gpa in seen_structures:
                raise check.fail(where, f"is a second structure at pressure {art.pressure_gpa} "
                                 f"(first: {seen_structures[art.pressure_gpa]})")
            seen_structures[art.pressure_gpa] = art.name
