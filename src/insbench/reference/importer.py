"""Make a new fixture version from data files: copy, checksum, describe, verify.

:func:`import_fixture` writes ``<dest_root>/<system>/<version>/`` with byte-for-byte
copies of the given files and a manifest. With ``base_version`` the base's
artefacts (files copied too) and conditions are carried over, so adding a
measured spectrum at a new pressure keeps the structure and claims; a new
spectrum replaces a base spectrum of the same kind and pressure, and a new
structure replaces the base's structures. The result is built in a temporary
directory, loaded with full checks, and only then moved into place.
"""

from __future__ import annotations

import copy
import json
import math
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from insbench.reference.checks import check_counts, check_structure, check_version_is_free, formula_counts
from insbench.reference.checksums import read_verified, sha256_bytes
from insbench.reference.errors import FixtureExistsError, FixtureNotFoundError, ReferenceImportError
from insbench.reference.loader import Fixture, load_fixture_dir, locate_fixture
from insbench.reference.parsers import (
    detect_spectrum_format,
    detect_structure_format,
    parse_spectrum,
    parse_structure,
)
from insbench.reference.schema import (
    KINDS,
    MANIFEST_NAME,
    SCHEMA_VERSION,
    SOURCE_FIELDS,
    SPECTRUM_ENERGY_UNITS,
    SYSTEM_PATTERN,
    parse_manifest,
)
from insbench.reference.resolution import SUGGESTED, check_resolution
from insbench.reference.semver import is_semver

_NOT_RECORDED = "not recorded at import; see the source"


def import_fixture(
    system: str,
    version: str,
    *,
    spectra: Sequence[tuple[Path | str, float]] = (),
    structure: Path | str | None = None,
    structure_cell_is_measured: bool | None = None,
    structure_pressure_gpa: float | None = None,
    kind: str = "measured",
    structure_kind: str | None = None,
    instrument: str,
    temperature_k: float | None,
    source: Mapping[str, str | None],
    licence: str,
    base_version: str | None = None,
    dest_root: Path | str = Path("reference_data"),
    overwrite: bool = False,
    description: str | None = None,
    formula: str | None = None,
    conditions: Mapping[str, Any] | None = None,
    artefact_fields: Mapping[str, Any] | None = None,
    spectrum_energy_unit: str = "cm-1",
    peaks: Path | str | None = None,
    allow_negative: bool = False,
) -> Path:
    """Create fixture ``system`` ``version`` under ``dest_root`` and return its directory.

    Args:
        spectra: ``(path, pressure_gpa)`` pairs; format (isis-dat or mantid-ascii)
            is detected from the content. All get ``kind`` and ``instrument``.
        structure: a structure file ASE reads (format detected by ASE), or None.
        structure_cell_is_measured: required with ``structure``.
        structure_pressure_gpa: pressure the structure belongs to (None: not recorded).
        kind: measured, computed or predicted, for the new spectra.
        structure_kind: kind of the new structure (defaults to ``kind``).
        temperature_k: measurement temperature, or None with ``artefact_fields
            ={"temperature_note": ...}``.
        source: ``citation`` (required), ``doi``, ``repository``, ``path``,
            ``commit``, ``url``; missing keys are recorded as null.
        base_version: carry over that version's artefacts and conditions.
        conditions: entries overriding/adding to the conditions (e.g. ``resolution``,
            ``scoring_windows_cm1``); needed for ``resolution`` without a base.
        artefact_fields: extra fields for every new artefact, e.g. ``method`` and
            ``settings`` (computed), ``procedure`` (predicted), ``temperature_note``.
        spectrum_energy_unit: unit of X in Mantid files, ``cm-1`` or ``meV``.

    Raises:
        FixtureExistsError: the version exists and ``overwrite`` is false.
        ReferenceImportError: the arguments cannot make a valid fixture.
        ReferenceSchemaError, ReferenceFormatError, ChecksumError: from validation.
    """
    _check_arguments(system, version, kind, spectra, structure, structure_cell_is_measured,
                     base_version, spectrum_energy_unit)
    dest_root = Path(dest_root)
    target = dest_root / system / version
    if target.exists() and not overwrite:
        raise FixtureExistsError(
            f"{target} already exists; fixture versions are immutable once published. "
            "Import under a new version (e.g. bump MINOR when adding data), or pass "
            "overwrite=True / --overwrite if this version was never shared."
        )
    base = _load_base(system, base_version, dest_root) if base_version else None
    if base is not None and base.root == target.resolve():
        raise ReferenceImportError(f"base version {base_version} is the version being written; "
                                   "choose a new version number")
    request = _Request(
        spectra=tuple((Path(path), float(p)) for path, p in spectra), structure=structure,
        cell_is_measured=structure_cell_is_measured, structure_pressure_gpa=structure_pressure_gpa,
        kind=kind, structure_kind=structure_kind or kind, instrument=instrument,
        temperature_k=temperature_k, source=dict(source), licence=licence, description=description,
        formula=formula, conditions=dict(conditions or {}), extra=dict(artefact_fields or {}),
        energy_unit=spectrum_energy_unit, peaks=None if peaks is None else Path(peaks),
        allow_negative=allow_negative,
    )
    dest_root.mkdir(parents=True, exist_ok=True)
    # Staged as <dest_root>/.import-XXXX/<system>/<version> so the directory names
    # already match the manifest, on the same filesystem so the final move is a rename.
    scratch = Path(tempfile.mkdtemp(prefix=".import-", dir=dest_root))
    staging = scratch / system / version
    staging.mkdir(parents=True)
    try:
        manifest = _build(system, version, staging, base, request)
        check_version_is_free(system, version, manifest, target, _published(system, dest_root))
        parse_manifest(manifest, target / MANIFEST_NAME, check_files=False)
        (staging / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        load_fixture_dir(staging)
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)  # only now: a refused import leaves nothing
        staging.rename(target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def _check_arguments(system: str, version: str, kind: str, spectra: Sequence[tuple[Path | str, float]],
                     structure: Path | str | None, cell: bool | None, base_version: str | None,
                     unit: str) -> None:
    if not SYSTEM_PATTERN.match(system):
        raise ReferenceImportError(f"system name {system!r} must match {SYSTEM_PATTERN.pattern}")
    for label, value in (("version", version), ("base_version", base_version)):
        if value is not None and not is_semver(value):
            raise ReferenceImportError(f"{label} {value!r} is not a semantic version like '1.0.0'")
    if kind not in KINDS:
        raise ReferenceImportError(f"kind {kind!r} must be one of {', '.join(KINDS)}")
    if unit not in SPECTRUM_ENERGY_UNITS:
        raise ReferenceImportError(f"spectrum_energy_unit {unit!r} must be one of {', '.join(SPECTRUM_ENERGY_UNITS)}")
    if not spectra and structure is None and base_version is None:
        raise ReferenceImportError("nothing to import: give at least one spectrum or a structure")
    if structure is not None and cell is None:
        raise ReferenceImportError("say whether the structure's cell was measured "
                                   "(structure_cell_is_measured=True/False, --cell-measured/--cell-predicted)")
    for path, pressure in spectra:
        if not Path(path).is_file():
            raise ReferenceImportError(f"spectrum file {path} does not exist")
        if isinstance(pressure, bool) or not isinstance(pressure, (int, float)) or not math.isfinite(pressure):
            raise ReferenceImportError(f"pressure for {path} must be a finite number in GPa, got {pressure!r}")
    if structure is not None and not Path(structure).is_file():
        raise ReferenceImportError(f"structure file {structure} does not exist")


def _load_base(system: str, base_version: str, dest_root: Path) -> Fixture:
    local = dest_root / system / base_version
    if (local / MANIFEST_NAME).is_file():
        return load_fixture_dir(local, origin="dest")
    try:
        found = locate_fixture(system, base_version)
    except FixtureNotFoundError as exc:
        raise ReferenceImportError(f"base version not found under {dest_root} or on the search path:\n{exc}") from exc
    return load_fixture_dir(found.path, origin=found.root.origin)


def _unique_file(name: str, taken: set[str], prefix: str) -> str:
    candidate = name if name not in taken and name != MANIFEST_NAME else f"{prefix}_{name}"
    counter = 2
    while candidate in taken:
        candidate = f"{prefix}{counter}_{name}"
        counter += 1
    taken.add(candidate)
    return candidate


@dataclass(frozen=True)
class _Request:
    """The caller's arguments, gathered once so helpers take one object."""

    spectra: tuple[tuple[Path, float], ...]
    structure: Path | str | None
    cell_is_measured: bool | None
    structure_pressure_gpa: float | None
    kind: str
    structure_kind: str
    instrument: str
    temperature_k: float | None
    source: dict[str, Any]
    licence: str
    description: str | None
    formula: str | None
    conditions: dict[str, Any]
    extra: dict[str, Any]
    energy_unit: str
    peaks: Path | None = None
    allow_negative: bool = False


def _carry_over(base: Fixture | None, req: _Request, staging: Path) -> list[dict[str, Any]]:
    """Copy the base's artefacts that the new ones do not replace; return their entries."""
    if base is None:
        return []
    new_spectra = {(req.kind, p) for _, p in req.spectra}
    carried = []
    for raw in base.manifest.raw["artefacts"]:
        if raw["role"] == "spectrum" and (raw["kind"], float(raw["pressure_gpa"])) in new_spectra:
            continue
        if raw["role"] == "structure" and req.structure is not None:
            continue
        if raw["role"] == "peaks" and req.peaks is not None and raw["kind"] == req.kind:
            continue
        data = read_verified(base.root / raw["file"], raw["sha256"], base.manifest.path)
        (staging / raw["file"]).parent.mkdir(parents=True, exist_ok=True)
        (staging / raw["file"]).write_bytes(data)
        carried.append(copy.deepcopy(raw))
    return carried


def _build(system: str, version: str, staging: Path, base: Fixture | None, req: _Request) -> dict[str, Any]:
    """Copy files into ``staging`` and return the manifest as a dict."""
    carried = _carry_over(base, req, staging)
    taken = {art["file"] for art in carried}
    names = {art["name"] for art in carried}
    source = {key: req.source.get(key) for key in SOURCE_FIELDS}
    source.update({k: v for k, v in req.source.items() if k not in SOURCE_FIELDS})
    new: list[dict[str, Any]] = []
    spans: list[tuple[float, float]] = []
    for path, pressure in req.spectra:
        data = path.read_bytes()
        fmt = detect_spectrum_format(data)
        spectrum = parse_spectrum(data, str(path), fmt, energy_unit=req.energy_unit)
        spans.append((float(spectrum.energy_cm1[0]), float(spectrum.energy_cm1[-1])))
        negative = check_counts(spectrum, str(path), req.allow_negative)
        file = _unique_file(path.name, taken, f"{req.kind}_{pressure:g}gpa")
        (staging / file).write_bytes(data)
        new.append({
            "name": _unique_name(f"spectrum_{req.kind}_{pressure:g}gpa", names), "file": file,
            "role": "spectrum", "kind": req.kind, "format": fmt,
            "units": {"energy": req.energy_unit, "intensity": "arbitrary", "error": "arbitrary"},
            "instrument": req.instrument, "temperature_k": req.temperature_k, "pressure_gpa": pressure,
            "source": dict(source), "licence": req.licence, "sha256": sha256_bytes(data),
            "description": (f"{req.kind} spectrum at {pressure:g} GPa, {spectrum.energy_cm1.size} points "
                            f"({spans[-1][0]:.6g} to {spans[-1][1]:.6g} cm-1), imported from "
                            f"{path.name} with insbench reference import"),
            **({"negative_counts_allowed": negative} if negative else {}),
            **req.extra,
        })
    formula = _formula(req.formula, base)
    formula_counts(formula)  # known elements, readable
    if req.structure is not None:
        new.append(_structure_entry(Path(req.structure), req, staging, taken, names, source, formula))
    if req.peaks is not None:
        new.append(_peaks_entry(req.peaks, req, staging, taken, names, source))
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "system": system,
        "version": version,
        "description": req.description or (base.description if base else f"{system}, imported with insbench"),
        "formula": formula,
        "conditions": _conditions(base, req, spans),
        "artefacts": carried + new,
    }
    slots = _open_slots(base, carried + new)
    if slots:
        manifest["slots"] = slots
    return manifest


def _open_slots(base: Fixture | None, artefacts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The base's declared slots that the new version still leaves empty."""
    if base is None:
        return []
    filled = {(a["role"], a["kind"], a.get("pressure_gpa")) for a in artefacts}
    return [copy.deepcopy(slot) for slot in base.manifest.raw.get("slots", [])
            if (slot["role"], slot["kind"], slot.get("pressure_gpa")) not in filled]


def _peaks_entry(path: Path, req: _Request, staging: Path, taken: set[str], names: set[str],
                 source: dict[str, Any]) -> dict[str, Any]:
    """A peak table: JSON with ``peaks``: [{position_0gpa_cm1, peak_shift_cm1?, dominant_label?}]."""
    import json

    if not path.is_file():
        raise ReferenceImportError(f"peak table {path} does not exist")
    data = path.read_bytes()
    try:
        table = json.loads(data)
        entries = table["peaks"]
        for i, entry in enumerate(entries):
            float(entry["position_0gpa_cm1"])
    except (ValueError, KeyError, TypeError) as error:
        raise ReferenceImportError(
            f"peak table {path}: expected JSON with a 'peaks' list whose entries have "
            f"'position_0gpa_cm1' (and optionally 'peak_shift_cm1', 'dominant_label'); {error!r}"
        ) from None
    file = _unique_file(path.name, taken, f"peaks_{req.kind}")
    (staging / file).write_bytes(data)
    # a peak table spans the fixture's pressures, so it carries pressure_gpa null (with a note)
    return {
        "name": _unique_name(f"peaks_{req.kind}", names), "file": file, "role": "peaks",
        "kind": req.kind, "format": "json", "units": {"energy": "cm-1"},
        "instrument": req.instrument, "temperature_k": req.temperature_k, "pressure_gpa": None,
        "pressure_note": "a peak table holds positions at every pressure of the fixture",
        "source": dict(source), "licence": req.licence, "sha256": sha256_bytes(data),
        "description": f"{req.kind} peak table ({len(entries)} peaks), imported from {path.name}",
        **req.extra,
    }


def _structure_entry(path: Path, req: _Request, staging: Path, taken: set[str], names: set[str],
                     source: dict[str, Any], formula: str) -> dict[str, Any]:
    fmt = detect_structure_format(path)
    data = path.read_bytes()
    atoms = parse_structure(data, str(path), fmt)
    check_structure(atoms, str(path), formula)
    file = _unique_file(path.name, taken, "structure")
    (staging / file).write_bytes(data)
    entry: dict[str, Any] = {
        "name": _unique_name("structure", names), "file": file, "role": "structure",
        "kind": req.structure_kind, "format": fmt, "units": {"length": "angstrom"},
        "instrument": None, "temperature_k": None, "temperature_note": _NOT_RECORDED,
        "pressure_gpa": req.structure_pressure_gpa, "cell_is_measured": bool(req.cell_is_measured),
        "source": dict(source), "licence": req.licence, "sha256": sha256_bytes(data),
        "description": (f"{atoms.get_chemical_formula()} structure, {len(atoms)} atoms per cell, "
                        f"imported from {path.name} with insbench reference import"),
    }
    if req.structure_pressure_gpa is None:
        entry["pressure_note"] = _NOT_RECORDED
    entry.update({k: v for k, v in req.extra.items() if k != "temperature_note"})
    return entry


def _published(system: str, dest_root: Path) -> list[tuple[Path, str, dict[str, Any]]]:
    """Every copy of ``system`` on the search path and under ``dest_root``: (dir, origin, manifest)."""
    from insbench.reference.locate import SearchRoot, find_fixture_dirs, search_path

    roots = [*search_path(), SearchRoot(dest_root, "dest")]
    found = []
    for item in find_fixture_dirs(roots):
        if item.system != system:
            continue
        try:
            found.append((item.path, item.root.origin, json.loads(item.manifest.read_text("utf-8"))))
        except (OSError, ValueError):
            continue  # a broken copy is reported by `insbench reference list`, not here
    return found


def _unique_name(name: str, names: set[str]) -> str:
    candidate, counter = name, 2
    while candidate in names:
        candidate = f"{name}_{counter}"
        counter += 1
    names.add(candidate)
    return candidate


def _formula(formula: str | None, base: Fixture | None) -> str:
    if formula:
        return formula
    if base is not None:
        return base.formula
    raise ReferenceImportError("formula is required for a new system (the molecular formula, e.g. 'C6H14')")


def _conditions(base: Fixture | None, req: _Request, spans: list[tuple[float, float]]) -> dict[str, Any]:
    """The base's conditions (or defaults from the new data), then the caller's
    overrides, with ``pressures_gpa`` extended by the new spectra's pressures."""
    if base is not None:
        cond = copy.deepcopy(dict(base.manifest.raw["conditions"]))
        if spans and cond.get("instrument") != req.instrument and "instrument" not in req.conditions:
            raise ReferenceImportError(
                f"base {base.version} was measured on {cond.get('instrument')}, the new spectra on "
                f"{req.instrument}; a different instrument needs its own resolution model: pass "
                "conditions={'instrument': ..., 'resolution': {...}} or import as a new system"
            )
    else:
        if "resolution" not in req.conditions:
            raise ReferenceImportError(
                "a new system needs a resolution model: pass conditions={'resolution': {'instrument': "
                "'TOSCA', 'version': 'TOSCA', 'model': 'AbINS', 'note': '...'}} (CLI: --resolution "
                f"{SUGGESTED}), or import on top of an existing version with base_version"
            )
        cond = {"instrument": req.instrument, "temperature_k": req.temperature_k}
        if req.temperature_k is None and "temperature_note" in req.extra:
            cond["temperature_note"] = req.extra["temperature_note"]
        if spans:
            window = [math.floor(min(lo for lo, _ in spans)), math.ceil(max(hi for _, hi in spans))]
            cond["energy_window_cm1"] = window
            cond["scoring_windows_cm1"] = {"full": list(window)}
    cond.update(copy.deepcopy(req.conditions))
    if "resolution" in req.conditions:
        check_resolution(cond["resolution"])
    pressures = [float(p) for p in cond.get("pressures_gpa", [])] + [p for _, p in req.spectra]
    unique: list[float] = []
    for p in sorted(pressures):
        if not any(math.isclose(p, q, abs_tol=1e-9) for q in unique):
            unique.append(p)
    cond["pressures_gpa"] = unique or [0.0]
    return cond
