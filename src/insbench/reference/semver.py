"""Semantic version strings (https://semver.org) for fixture versions.

Fixture versions name data releases: bump MAJOR when a measured artefact is
replaced or removed, MINOR when artefacts are added (e.g. a new pressure), and
PATCH for metadata-only corrections. Only parsing and ordering live here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$"
)


@dataclass(frozen=True, order=False)
class SemVer:
    """A parsed semantic version; compare with :meth:`sort_key`."""

    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    build: str = ""

    def sort_key(self) -> tuple:
        """A key that orders versions by semver precedence (build ignored)."""
        # A release sorts after all of its pre-releases; numeric identifiers sort
        # before alphanumeric ones and compare as numbers.
        pre = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in self.prerelease)
        return (self.major, self.minor, self.patch, 0 if self.prerelease else 1, pre)


def is_semver(text: object) -> bool:
    """Whether ``text`` is a string in semver 2.0 form, e.g. ``"1.0.0"``."""
    return isinstance(text, str) and _SEMVER.match(text) is not None


def parse_semver(text: str) -> SemVer:
    """Parse ``"MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]"``.

    Raises:
        ValueError: ``text`` is not a semantic version.
    """
    match = _SEMVER.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{text!r} is not a semantic version like '1.0.0'")
    major, minor, patch, pre, build = match.groups()
    return SemVer(int(major), int(minor), int(patch), tuple(pre.split(".")) if pre else (), build or "")


def semver_key(text: str) -> tuple:
    """Sort key for a version string (see :meth:`SemVer.sort_key`)."""
    return parse_semver(text).sort_key()
