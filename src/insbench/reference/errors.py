"""The exceptions raised by :mod:`insbench.reference`.

Every message says what went wrong, where (manifest, file, line, field) and how
to fix it. All of them derive from :class:`ReferenceDataError`, so a caller can
catch "anything wrong with reference data" in one clause.
"""

from __future__ import annotations

from pathlib import Path


class ReferenceDataError(Exception):
    """Base class: something is wrong with reference data or a request for it."""


class ReferenceSchemaError(ReferenceDataError, ValueError):
    """A manifest does not follow the schema (missing or bad field)."""

    def __init__(self, manifest: Path | str, field: str, problem: str) -> None:
        self.manifest = str(manifest)
        self.field = field
        self.problem = problem
        super().__init__(
            f"{self.manifest}: field {field!r}: {problem}. "
            "See docs/reference-schema.md for the manifest schema."
        )


class ChecksumError(ReferenceDataError):
    """A data file's sha256 does not match the one its manifest records."""

    def __init__(self, file: Path | str, expected: str, actual: str, manifest: Path | str) -> None:
        self.file = str(file)
        self.expected = expected
        self.actual = actual
        self.manifest = str(manifest)
        super().__init__(
            f"{self.file}: sha256 is {actual} but {self.manifest} expects {expected}; "
            "the file was edited or corrupted after it was imported. Fix: restore the "
            "original file (e.g. `git checkout -- <file>` or reinstall insbench), or, if the "
            "change is intended, import the new file as a new fixture version with "
            "`insbench reference import ... --base-version <version>`."
        )


class MissingDataFileError(ReferenceDataError, FileNotFoundError):
    """A data file its manifest lists is not there."""

    def __init__(self, file: Path | str, expected: str, manifest: Path | str) -> None:
        self.file = str(file)
        self.expected = expected
        self.manifest = str(manifest)
        super().__init__(
            f"{self.file}: missing, but {self.manifest} lists it (sha256 {expected}). Fix: restore "
            "the file (e.g. `git checkout -- <file>` or reinstall insbench), or remove the fixture "
            "directory if it is a stray copy."
        )


class FixtureNotFoundError(ReferenceDataError, LookupError):
    """No fixture with the requested system (and version) is on the search path."""


class FixtureExistsError(ReferenceDataError, FileExistsError):
    """An import would overwrite an existing fixture version."""


class ReferenceFormatError(ReferenceDataError, ValueError):
    """A data file cannot be parsed in the format it claims to have."""

    def __init__(self, file: Path | str, line: int | None, problem: str, expected: str) -> None:
        self.file = str(file)
        self.line = line
        self.problem = problem
        self.expected = expected
        where = self.file if line is None else f"{self.file}, line {line}"
        super().__init__(f"{where}: {problem}; expected {expected}")


class ReferenceImportError(ReferenceDataError, ValueError):
    """The arguments given to the importer cannot make a valid fixture."""
