"""Load fixtures from the search path, verifying schema and every checksum.

:func:`load_fixture` is the one entry point the rest of insbench uses; the
returned :class:`Fixture` holds parsed, checksum-verified data and hands out
fresh copies, so callers can mutate what they get without affecting others.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from insbench.reference.checksums import read_verified, sha256_bytes
from insbench.reference.errors import FixtureNotFoundError, ReferenceDataError, ReferenceSchemaError
from insbench.reference.locate import (
    FixtureDir,
    describe_search_path,
    find_fixture_dirs,
    first_per_version,
)
from insbench.reference.parsers import parse_spectrum, parse_structure
from insbench.reference.schema import (
    KINDS,
    MANIFEST_NAME,
    ROLES,
    Artefact,
    Conditions,
    Manifest,
    Slot,
    check_cited_claims,
    parse_manifest,
)
from insbench.reference.semver import is_semver, semver_key
from insbench.spectra import Spectrum1D


class ArtefactNotFoundError(ReferenceDataError, LookupError):
    """A fixture has no artefact with the requested name or role."""


@dataclass(frozen=True)
class StructureRef:
    """A structure artefact: a fresh ``ase.Atoms`` plus whether its cell was measured."""

    atoms: Any  # ase.Atoms; typed loosely so importing this module does not import ase
    cell_is_measured: bool
    artefact: Artefact


@dataclass(frozen=True)
class FixtureSummary:
    """One installed fixture as listed by :func:`list_fixtures` (not checksum-verified).

    ``problem`` is None for a valid manifest, else the schema error message.
    """

    system: str
    version: str
    path: Path
    origin: str
    kinds: tuple[str, ...]
    roles: tuple[str, ...]
    description: str
    problem: str | None = None


@dataclass(frozen=True)
class Fixture:
    """A loaded, verified fixture. Build it with :func:`load_fixture`."""

    manifest: Manifest = field(repr=False)
    root: Path
    origin: str
    manifest_sha256: str
    parsed: Mapping[str, Any] = field(repr=False, compare=False)

    @property
    def system(self) -> str:
        return self.manifest.system

    @property
    def version(self) -> str:
        return self.manifest.version

    @property
    def description(self) -> str:
        return self.manifest.description

    @property
    def formula(self) -> str:
        return self.manifest.formula

    @property
    def conditions(self) -> Conditions:
        """Instrument, temperatures, pressures, windows and resolution model."""
        return self.manifest.conditions

    @property
    def slots(self) -> tuple[Slot, ...]:
        """Data this fixture is known to lack (e.g. a measured spectrum not yet
        available), each with a hint how to add it in a new version."""
        return self.manifest.slots

    def artefact(self, name: str) -> Artefact:
        """The artefact called ``name``; the error lists the names there are."""
        for art in self.manifest.artefacts:
            if art.name == name:
                return art
        names = ", ".join(a.name for a in self.manifest.artefacts)
        raise ArtefactNotFoundError(f"fixture {self.system} {self.version} has no artefact {name!r}; "
                                    f"it has: {names}")

    def artefacts(self, role: str | None = None, kind: str | None = None) -> tuple[Artefact, ...]:
        """Artefacts filtered by role and/or kind (None means any)."""
        if role is not None and role not in ROLES:
            raise ValueError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
        if kind is not None and kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
        return tuple(a for a in self.manifest.artefacts
                     if (role is None or a.role == role) and (kind is None or a.kind == kind))

    def file_path(self, name: str) -> Path:
        """Absolute path of an artefact's file (already verified at load)."""
        return self.root / self.artefact(name).file

    def spectrum(self, pressure_gpa: float = 0.0, kind: str = "measured") -> Spectrum1D | None:
        """A fresh copy of the ``kind`` spectrum at ``pressure_gpa``, or None if there is none.

        Energies are in cm-1 whatever the file held; ``metadata`` records the
        artefact name, kind, instrument, temperature, pressure and provenance.
        """
        for art in self.artefacts(role="spectrum", kind=kind):
            assert art.pressure_gpa is not None
            if math.isclose(art.pressure_gpa, pressure_gpa, abs_tol=1e-6):
                return _copy_spectrum(self.parsed[art.name])
        return None

    def structure(self, pressure_gpa: float | None = None) -> StructureRef:
        """The structure (a fresh ``ase.Atoms`` each call).

        With ``pressure_gpa`` None the structure at the lowest pressure is returned
        (normally the only one, at ambient pressure).
        """
        candidates = self.artefacts(role="structure")
        if pressure_gpa is not None:
            candidates = tuple(a for a in candidates if a.pressure_gpa is not None
                               and math.isclose(a.pressure_gpa, pressure_gpa, abs_tol=1e-6))
        if not candidates:
            at = "" if pressure_gpa is None else f" at {pressure_gpa} GPa"
            raise ArtefactNotFoundError(
                f"fixture {self.system} {self.version} has no structure artefact{at}; add one with "
                f"`insbench reference import {self.system} --base-version {self.version} --structure ...`"
            )
        art = min(candidates, key=lambda a: (a.pressure_gpa is None, a.pressure_gpa or 0.0))
        assert art.cell_is_measured is not None
        return StructureRef(self.parsed[art.name].copy(), art.cell_is_measured, art)

    def checksums(self) -> dict[str, str]:
        """``{file: sha256}`` for every artefact (all verified at load)."""
        return {a.file: a.sha256 for a in self.manifest.artefacts}

    def to_provenance(self) -> dict[str, Any]:
        """What a result record should say about the reference data it used."""
        return {
            "system": self.system,
            "version": self.version,
            "root": str(self.root),
            "origin": self.origin,
            "manifest_sha256": self.manifest_sha256,
            "artefacts": {
                a.name: {
                    "file": a.file,
                    "role": a.role,
                    "kind": a.kind,
                    "source": a.source.to_dict(),
                    "licence": a.licence,
                    "sha256": a.sha256,
                }
                for a in self.manifest.artefacts
            },
        }


def _copy_spectrum(spectrum: Spectrum1D) -> Spectrum1D:
    return Spectrum1D(
        spectrum.energy_cm1.copy(),
        spectrum.intensity.copy(),
        None if spectrum.error is None else spectrum.error.copy(),
        spectrum.label,
        json.loads(json.dumps(spectrum.metadata)),
    )


def read_manifest(manifest_path: Path) -> tuple[Manifest, str]:
    """Read and validate a manifest file; returns it and its sha256.

    Raises:
        ReferenceSchemaError: the file is not valid JSON or breaks the schema.
    """
    data = manifest_path.read_bytes()
    try:
        decoded = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReferenceSchemaError(manifest_path, "<json>", f"is not valid UTF-8 JSON ({exc})") from exc
    return parse_manifest(decoded, manifest_path), sha256_bytes(data)


def load_fixture_dir(path: Path | str, origin: str = "path") -> Fixture:
    """Load the fixture in directory ``path`` (holding ``manifest.json``).

    Every artefact's sha256 is checked, spectra and structures are parsed.

    Raises:
        ReferenceSchemaError, ChecksumError, ReferenceFormatError.
    """
    root = Path(path).resolve()
    manifest_path = root / MANIFEST_NAME
    if not manifest_path.is_file():
        raise FixtureNotFoundError(f"{root} holds no {MANIFEST_NAME}; it is not a fixture directory")
    manifest, manifest_sha = read_manifest(manifest_path)
    parsed: dict[str, Any] = {}
    for art in manifest.artefacts:
        file = root / art.file
        data = read_verified(file, art.sha256, manifest_path)
        if art.role == "spectrum":
            spectrum = parse_spectrum(data, str(file), art.format, energy_unit=art.units["energy"])
            parsed[art.name] = Spectrum1D(
                spectrum.energy_cm1, spectrum.intensity, spectrum.error,
                label=f"{art.kind} {art.instrument or ''} {manifest.system} {art.pressure_gpa:g} GPa".replace("  ", " "),
                metadata=_spectrum_metadata(manifest, art, spectrum.metadata),
            )
        elif art.role == "structure":
            parsed[art.name] = parse_structure(data, str(file), art.format)
        if art.kind == "cited":
            check_cited_claims(data, file, manifest_path, art.name)
    return Fixture(manifest, root, origin, manifest_sha, parsed)


def _spectrum_metadata(manifest: Manifest, art: Artefact, from_file: Mapping[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "system": manifest.system,
        "fixture_version": manifest.version,
        "artefact": art.name,
        "file": art.file,
        "kind": art.kind,
        "instrument": art.instrument,
        "temperature_k": art.temperature_k,
        "pressure_gpa": art.pressure_gpa,
        "sha256": art.sha256,
        "licence": art.licence,
        "citation": art.source.citation,
        "doi": art.source.doi,
    }
    if art.temperature_note:
        meta["temperature_note"] = art.temperature_note
    if "title" in from_file:
        meta["title"] = from_file["title"]
    return meta


def _installed_text(dirs: list[FixtureDir]) -> str:
    if not dirs:
        return "  (no fixtures installed)"
    by_system: dict[str, list[str]] = {}
    for d in dirs:
        by_system.setdefault(d.system, []).append(d.version)
    return "\n".join(f"  - {s}: {', '.join(sorted(v, key=lambda x: semver_key(x) if is_semver(x) else (-1,)))}"
                     for s, v in sorted(by_system.items()))


def locate_fixture(system: str, version: str | None = None) -> FixtureDir:
    """The directory :func:`load_fixture` would load, without loading it.

    Raises:
        FixtureNotFoundError: listing installed fixtures and the search path.
    """
    dirs = first_per_version(find_fixture_dirs())
    matching = [d for d in dirs if d.system == system and is_semver(d.version)]
    if version is not None:
        matching = [d for d in matching if d.version == version]
    if not matching:
        wanted = system if version is None else f"{system} {version}"
        raise FixtureNotFoundError(
            f"no reference fixture {wanted!r} found.\nInstalled:\n{_installed_text(dirs)}\n"
            f"Searched (in order):\n{describe_search_path()}\n"
            "Fix: check the spelling, set INSBENCH_REFERENCE_PATH to a directory holding "
            "<system>/<version>/manifest.json, or create one with `insbench reference import`."
        )
    return max(matching, key=lambda d: semver_key(d.version))


def load_fixture(system: str, version: str | None = None) -> Fixture:
    """Load fixture ``system`` at ``version`` (the newest semver on the search path if None).

    Raises:
        FixtureNotFoundError: no such fixture (message lists what is installed and where it looked).
        ReferenceSchemaError: the manifest breaks the schema.
        ChecksumError: a data file differs from its recorded sha256.
        ReferenceFormatError: a data file cannot be parsed.
    """
    found = locate_fixture(system, version)
    return load_fixture_dir(found.path, origin=found.root.origin)


def list_fixtures() -> list[FixtureSummary]:
    """Every fixture on the search path (shadowed duplicates dropped), sorted by
    system then version. Manifests are schema-checked but data files are not
    read; a broken manifest is listed with its ``problem``."""
    summaries = []
    for d in first_per_version(find_fixture_dirs()):
        try:
            if not is_semver(d.version):
                raise ReferenceSchemaError(d.manifest, "version", f"directory name {d.version!r} is not semver")
            manifest = parse_manifest(json.loads(d.manifest.read_text("utf-8")), d.manifest)
        except (ReferenceDataError, ValueError, OSError) as exc:
            summaries.append(FixtureSummary(d.system, d.version, d.path, d.root.origin, (), (), "", str(exc)))
            continue
        kinds = tuple(k for k in KINDS if any(a.kind == k for a in manifest.artefacts))
        roles = tuple(r for r in ROLES if any(a.role == r for a in manifest.artefacts))
        summaries.append(FixtureSummary(d.system, d.version, d.path, d.root.origin, kinds, roles,
                                        manifest.description))
    return sorted(summaries, key=lambda s: (s.system, semver_key(s.version) if is_semver(s.version) else (-1,)))
