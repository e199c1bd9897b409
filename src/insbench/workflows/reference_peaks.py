"""Which reference peaks a spectral score matches against: a fixture's peak table, or picked.

A fixture may ship a peak table (an artefact with ``role: peaks``, JSON). It is used for
peak matching only against a reference spectrum of the **same kind**: a computed peak table
is never presented as the peaks of a measured spectrum, and vice versa. Without such a table
(or when it has no peak in a scoring window) the peaks are picked from the reference spectrum
itself with the scoring settings' parameters. Either way the record says which was used.

Peak table formats read (both are what ``insbench reference import --peaks`` and the shipped
tables hold):

* ``peaks_<P>gpa_cm1``: ``{"positions_cm1": [...]}``, the whole peak list at pressure P
  (P written as ``f"{P:g}"``: ``peaks_0gpa_cm1``, ``peaks_1.5gpa_cm1``); preferred when present;
* ``peaks``: ``[{"position_0gpa_cm1": x, "position_<P>gpa_cm1": y?, "peak_shift_cm1": d?}, ...]``:
  at P = 0 the ``position_0gpa_cm1``; at another P ``position_<P>gpa_cm1``, else
  ``position_0gpa_cm1 + peak_shift_cm1`` when the fixture has exactly two pressures and P is
  the higher one (``peak_shift_cm1`` is the shift between them).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

PICKED = "picked from the reference spectrum"
TABLE = "fixture peak table"


class PeakTableError(ValueError):
    """A fixture's peak table cannot be read as peak positions (bad reference data)."""


@dataclass(frozen=True)
class ReferencePeakSource:
    """Where one window's reference peaks come from.

    ``source`` is :data:`TABLE` (then ``positions_cm1`` holds the table's positions at the
    case's pressure inside the window, and ``artefact``/``file``/``sha256``/``kind`` name the
    table) or :data:`PICKED` (``positions_cm1`` is None; ``note`` says why no table was used).
    """

    source: str
    positions_cm1: tuple[float, ...] | None = None
    artefact: str | None = None
    file: str | None = None
    sha256: str | None = None
    kind: str | None = None
    note: str = ""

    @property
    def description(self) -> str:
        if self.source == TABLE:
            return f"{self.kind} {TABLE} {self.file}, sha256 {self.sha256}"
        return PICKED + (f" ({self.note})" if self.note else "")

    def in_window(self, window_cm1: tuple[float, float]) -> ReferencePeakSource:
        """The same source restricted to ``window_cm1``; picked when the table has no peak there."""
        if self.positions_cm1 is None:
            return self
        lo, hi = float(window_cm1[0]), float(window_cm1[1])
        inside = tuple(p for p in self.positions_cm1 if lo <= p <= hi)
        if inside:
            return replace(self, positions_cm1=inside)
        return ReferencePeakSource(
            PICKED, note=f"the {self.kind} peak table {self.file} has no peak in {lo:g}-{hi:g} cm-1")

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "description": self.description,
            "positions_cm1": None if self.positions_cm1 is None else list(self.positions_cm1),
            "artefact": self.artefact,
            "file": self.file,
            "sha256": self.sha256,
            "kind": self.kind,
            "note": self.note,
        }


def _key(pressure_gpa: float) -> str:
    return f"{pressure_gpa:g}gpa_cm1"


def _finite(values: Any, where: str) -> tuple[float, ...]:
    try:
        positions = tuple(float(v) for v in values)
    except (TypeError, ValueError) as error:
        raise PeakTableError(f"{where}: peak positions must be numbers in cm-1 ({error})") from None
    if not all(math.isfinite(p) and p > 0.0 for p in positions):
        raise PeakTableError(f"{where}: peak positions must be finite and positive (cm-1), got {positions}")
    return positions


def table_positions(data: dict[str, Any], pressure_gpa: float, pressures_gpa, where: str) -> tuple[float, ...]:
    """Peak positions (cm-1, ascending) of a peak table at ``pressure_gpa``; empty if it has none there."""
    whole = data.get(f"peaks_{_key(pressure_gpa)}")
    if isinstance(whole, dict) and "positions_cm1" in whole:
        return tuple(sorted(_finite(whole["positions_cm1"], f"{where} peaks_{_key(pressure_gpa)}")))
    pressures = sorted(float(p) for p in pressures_gpa)
    shifted = len(pressures) == 2 and math.isclose(pressure_gpa, pressures[1]) and pressure_gpa != 0.0
    found = []
    for i, entry in enumerate(data.get("peaks", [])):
        if not isinstance(entry, dict):
            raise PeakTableError(f"{where}: peaks[{i}] is not an object")
        value = entry.get("position_0gpa_cm1") if pressure_gpa == 0.0 else entry.get(f"position_{_key(pressure_gpa)}")
        if value is None and shifted and entry.get("peak_shift_cm1") is not None:
            value = _finite([entry.get("position_0gpa_cm1")], f"{where} peaks[{i}]")[0] + float(entry["peak_shift_cm1"])
        if value is not None:
            found.append(value)
    return tuple(sorted(_finite(found, f"{where} peaks")))


def reference_peak_source(fixture, pressure_gpa: float, reference_kind: str) -> ReferencePeakSource:
    """The peak table of ``reference_kind`` the fixture ships for ``pressure_gpa``, or "picked".

    Raises :class:`PeakTableError` when the fixture has more than one such table (which one
    is meant is not said) or a table that cannot be read.
    """
    tables = [a for a in fixture.artefacts(role="peaks", kind=reference_kind)
              if a.pressure_gpa is None or math.isclose(a.pressure_gpa, pressure_gpa, abs_tol=1e-6)]
    label = f"{fixture.system} {fixture.version}"
    if not tables:
        others = sorted({a.kind for a in fixture.artefacts(role="peaks")})
        extra = (f"; its {'/'.join(others)} peak table is not used against a {reference_kind} spectrum"
                 if others else "")
        return ReferencePeakSource(PICKED, note=f"{label} ships no {reference_kind} peak table{extra}")
    if len(tables) > 1:
        names = ", ".join(a.name for a in tables)
        raise PeakTableError(f"{label} has {len(tables)} {reference_kind} peak tables at {pressure_gpa:g} GPa "
                             f"({names}); a new fixture version must keep one")
    art = tables[0]
    where = f"{label} {art.file}"
    if not str(art.file).endswith(".json"):
        raise PeakTableError(f"{where}: a peak table must be JSON")
    try:
        data = json.loads(fixture.file_path(art.name).read_text())
    except json.JSONDecodeError as error:
        raise PeakTableError(f"{where}: not valid JSON ({error})") from None
    positions = table_positions(data, pressure_gpa, fixture.conditions.pressures_gpa, where)
    if not positions:
        return ReferencePeakSource(PICKED, note=f"the {art.kind} peak table {art.file} has no positions "
                                   f"at {pressure_gpa:g} GPa")
    return ReferencePeakSource(TABLE, positions, art.name, art.file, art.sha256, art.kind)


def positions_array(source: ReferencePeakSource) -> np.ndarray | None:
    """``reference_peaks_cm1`` for :func:`insbench.metrics.score_spectrum` (None: pick)."""
    return None if source.positions_cm1 is None else np.asarray(source.positions_cm1, dtype=float)
