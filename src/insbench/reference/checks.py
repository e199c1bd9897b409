"""Physics and identity checks the importer makes before it writes a fixture version.

Syntax is the parsers' job; these ask whether the data can be what it claims to be:

* counts finite and non-negative (negative counts make peak metrics meaningless; a
  background-subtracted file may be accepted with ``allow_negative``, which is recorded);
* a structure with a 3-D cell (non-zero volume, periodic), known elements, and a
  composition that is a whole number of formula units of ``formula``;
* a version number that no fixture on the search path already has with other content
  (a published version is immutable).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from insbench.reference.errors import ReferenceImportError
from insbench.reference.semver import semver_key


def check_counts(spectrum, name: str, allow_negative: bool) -> dict[str, Any] | None:
    """Refuse non-finite or (unless ``allow_negative``) negative intensities.

    Returns what to record in the artefact when negative counts were allowed, else None.
    """
    y = np.asarray(spectrum.intensity, dtype=float)
    if not np.all(np.isfinite(y)):
        raise ReferenceImportError(f"{name}: counts contain NaN or infinite values; fix the file")
    negative = np.flatnonzero(y < 0)
    if negative.size == 0:
        return None
    first = int(negative[0])
    if not allow_negative:
        raise ReferenceImportError(
            f"{name}: {negative.size} of {y.size} counts are negative (first at "
            f"{spectrum.energy_cm1[first]:.6g} cm-1: {y[first]:.6g}). INS counts are >= 0; negative values "
            "usually mean a sign flip or an over-subtracted background, and they make peak metrics "
            "meaningless. Fix the file, or, if it is a background-subtracted spectrum whose small negative "
            "values are noise, import it with --allow-negative (allow_negative=True), which is recorded."
        )
    return {"n_negative_counts": int(negative.size), "most_negative_count": float(y.min()),
            "max_count": float(y.max())}


def formula_counts(formula: str) -> dict[str, int]:
    """Element -> count of a formula such as 'C6H14'; unknown elements are refused."""
    from ase.data import chemical_symbols
    from ase.formula import Formula

    try:
        counts = Formula(formula).count()
    except Exception as error:  # noqa: BLE001 - ASE raises several types for a bad formula
        raise ReferenceImportError(f"formula {formula!r} cannot be read ({error}); write it like 'C6H14'") from None
    unknown = sorted(s for s in counts if s not in chemical_symbols[1:])
    if unknown or not counts:
        raise ReferenceImportError(f"formula {formula!r}: unknown element(s) {', '.join(unknown) or '(none given)'}")
    return {s: int(n) for s, n in counts.items()}


def check_structure(atoms, name: str, formula: str) -> int:
    """Refuse a structure without a usable cell, with unknown elements, or whose composition
    is not a whole number of ``formula`` units; returns the number of formula units (Z)."""
    from ase.data import chemical_symbols

    unknown = sorted({s for s in atoms.get_chemical_symbols() if s not in chemical_symbols[1:]})
    if unknown:
        raise ReferenceImportError(f"{name}: unknown element(s) {', '.join(unknown)}")
    cell = np.asarray(atoms.cell, dtype=float)
    volume = abs(float(np.linalg.det(cell))) if cell.shape == (3, 3) else 0.0
    if not all(atoms.pbc) or volume < 1.0:
        raise ReferenceImportError(
            f"{name}: has no 3-D periodic cell (pbc {list(map(bool, atoms.pbc))}, volume {volume:.3g} A^3). "
            "A crystal benchmark needs the unit cell: give a CIF, POSCAR, extxyz with Lattice, or an "
            "FHI-aims file with lattice_vector lines."
        )
    want = formula_counts(formula)
    have: dict[str, int] = {}
    for symbol in atoms.get_chemical_symbols():
        have[symbol] = have.get(symbol, 0) + 1
    z = have.get(next(iter(want)), 0) / want[next(iter(want))]
    if set(have) != set(want) or z < 1 or not z.is_integer() or any(have[s] != want[s] * z for s in want):
        composition = "".join(f"{s}{n}" for s, n in sorted(have.items()))
        raise ReferenceImportError(
            f"{name}: composition {composition} is not a whole number of formula units of {formula!r}. "
            "Check that the structure is the right compound (and complete: hydrogens included), or "
            "correct --formula."
        )
    return int(z)


def _identity(manifest: Mapping[str, Any]) -> tuple:
    """What makes two manifests of one version the same content."""
    files = tuple(sorted(a["sha256"] for a in manifest.get("artefacts", [])))
    return files, manifest.get("formula"), repr(sorted((manifest.get("conditions") or {}).items()))


def check_version_is_free(system: str, version: str, manifest: Mapping[str, Any], target, existing) -> None:
    """Refuse ``version`` if a fixture on the search path has it with other content.

    ``existing`` is a list of ``(path, origin, manifest dict)`` of every copy of ``system``.
    """
    import os

    versions = [v for _, _, m in existing for v in [m.get("version")] if isinstance(v, str)]
    for path, origin, other in existing:
        if other.get("version") != version or os.path.realpath(path) == os.path.realpath(target):
            continue
        if _identity(other) != _identity(manifest):
            taken = sorted(set(versions), key=semver_key)
            major, minor = (int(p) for p in taken[-1].split("-")[0].split(".")[:2])
            raise ReferenceImportError(
                f"{system} {version} is already published at {path} [{origin}] with different content; a "
                f"published version is immutable and results name it. Import as a new version instead, e.g. "
                f"--version {major}.{minor + 1}.0 (versions taken: {', '.join(taken)})"
            )
