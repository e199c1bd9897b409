"""Versioned, checksummed reference fixtures: measured, computed and predicted data.

A fixture is ``<root>/<system>/<version>/manifest.json`` plus the data files it
lists, each labelled measured/computed/predicted with its source, licence and
sha256 (schema: ``docs/reference-schema.md``, validation: :mod:`.schema`).

Typical use::

    from insbench.reference import load_fixture
    fixture = load_fixture("hexane")          # newest version on the search path
    measured = fixture.spectrum(0.0)          # Spectrum1D in cm-1, or None
    atoms = fixture.structure().atoms         # a fresh ase.Atoms
    record["reference"] = fixture.to_provenance()

Modules, one job each: ``schema`` (manifest rules), ``checksums`` (sha256),
``semver`` (version order), ``locate`` (search path), ``parsers`` (ISIS .dat,
Mantid ASCII, structures), ``loader`` (Fixture), ``importer`` (new versions),
``cli`` (``insbench reference``).
"""

from insbench.reference.errors import (
    ChecksumError,
    FixtureExistsError,
    FixtureNotFoundError,
    MissingDataFileError,
    ReferenceDataError,
    ReferenceFormatError,
    ReferenceImportError,
    ReferenceSchemaError,
)
from insbench.reference.importer import import_fixture
from insbench.reference.loader import (
    ArtefactNotFoundError,
    Fixture,
    FixtureSummary,
    StructureRef,
    list_fixtures,
    load_fixture,
    load_fixture_dir,
)
from insbench.reference.locate import ENV_VAR, search_path
from insbench.reference.parsers import read_isis_dat, read_mantid_ascii, read_structure
from insbench.reference.schema import Artefact, Conditions, Manifest, Resolution, Slot, Source

__all__ = [
    "ENV_VAR",
    "Artefact",
    "ArtefactNotFoundError",
    "ChecksumError",
    "Conditions",
    "Fixture",
    "FixtureExistsError",
    "FixtureNotFoundError",
    "FixtureSummary",
    "MissingDataFileError",
    "Manifest",
    "ReferenceDataError",
    "ReferenceFormatError",
    "ReferenceImportError",
    "ReferenceSchemaError",
    "Resolution",
    "Source",
    "Slot",
    "StructureRef",
    "import_fixture",
    "list_fixtures",
    "load_fixture",
    "load_fixture_dir",
    "read_isis_dat",
    "read_mantid_ascii",
    "read_structure",
    "search_path",
]
