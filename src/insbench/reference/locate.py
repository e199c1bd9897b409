"""Where fixtures are looked for, and which fixture directories exist there.

The search path, first match wins for a given system and version:

1. every directory in ``$INSBENCH_REFERENCE_PATH`` (``os.pathsep``-separated);
2. ``./reference_data`` under the current working directory;
3. the data shipped with insbench: ``insbench/_data/reference_data`` inside an
   installed wheel, or ``<repo>/reference_data`` in a source/editable checkout.

Nothing is read at import time; each call looks again.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from insbench._paths import shipped_dir
from insbench.reference.schema import MANIFEST_NAME

ENV_VAR = "INSBENCH_REFERENCE_PATH"


@dataclass(frozen=True)
class SearchRoot:
    """One directory on the search path and why it is there."""

    path: Path
    origin: str  # "INSBENCH_REFERENCE_PATH", "cwd" or "package"

    @property
    def exists(self) -> bool:
        return self.path.is_dir()


@dataclass(frozen=True)
class FixtureDir:
    """A ``<root>/<system>/<version>/manifest.json`` found on the search path."""

    system: str
    version: str
    path: Path
    root: SearchRoot

    @property
    def manifest(self) -> Path:
        return self.path / MANIFEST_NAME


def packaged_root() -> Path | None:
    """The reference data shipped with insbench, or None if there is none."""
    return shipped_dir("reference_data")


def search_path() -> list[SearchRoot]:
    """The directories searched for fixtures, in order, without duplicates.

    Directories that do not exist are kept (so "where it looked" can be reported)
    but contribute no fixtures.
    """
    roots: list[SearchRoot] = []
    for entry in os.environ.get(ENV_VAR, "").split(os.pathsep):
        if entry.strip():
            roots.append(SearchRoot(Path(entry).expanduser(), ENV_VAR))
    roots.append(SearchRoot(Path.cwd() / "reference_data", "cwd"))
    packaged = packaged_root()
    if packaged is not None:
        roots.append(SearchRoot(packaged, "package"))
    unique: list[SearchRoot] = []
    seen: set[Path] = set()
    for root in roots:
        key = root.path.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(root)
    return unique


def find_fixture_dirs(roots: list[SearchRoot] | None = None) -> list[FixtureDir]:
    """Every ``<system>/<version>`` directory holding a manifest, in search-path order.

    The same system and version may appear under several roots; callers take the
    first (see :func:`first_per_version`).
    """
    found: list[FixtureDir] = []
    for root in search_path() if roots is None else roots:
        if not root.exists:
            continue
        for system_dir in sorted(p for p in root.path.iterdir() if _visible_dir(p)):
            for version_dir in sorted(p for p in system_dir.iterdir() if _visible_dir(p)):
                if (version_dir / MANIFEST_NAME).is_file():
                    found.append(FixtureDir(system_dir.name, version_dir.name, version_dir, root))
    return found


def _visible_dir(path: Path) -> bool:
    """Directories starting with "." (e.g. an import being staged) are not fixtures."""
    return path.is_dir() and not path.name.startswith(".")


def first_per_version(dirs: list[FixtureDir]) -> list[FixtureDir]:
    """Drop fixture directories shadowed by an earlier one with the same system and version."""
    seen: set[tuple[str, str]] = set()
    kept: list[FixtureDir] = []
    for item in dirs:
        key = (item.system, item.version)
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


def describe_search_path(roots: list[SearchRoot] | None = None) -> str:
    """A multi-line description of the search path for error messages."""
    lines = []
    for root in search_path() if roots is None else roots:
        state = "" if root.exists else " (does not exist)"
        lines.append(f"  - {root.path} [{root.origin}]{state}")
    return "\n".join(lines) if lines else "  (empty)"
