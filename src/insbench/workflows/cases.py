"""Which benchmark cases exist: derived from the installed fixtures and the thresholds file.

A spectral case is (system, pressure, cell mode, reference kind, scoring window,
metric). Nothing here is hard-coded per system: a new fixture version with a measured
spectrum brings its own cases.
"""

from __future__ import annotations

from dataclasses import dataclass

from insbench.physics.relax import CELL_MODES
from insbench.workflows.pipeline import SpectralCase

REFERENCE_KINDS = ("measured", "computed")


def installed_fixtures() -> list:
    """The newest valid version of every installed system (the benchmark suite's systems)."""
    from insbench.reference import list_fixtures, load_fixture

    systems = sorted({summary.system for summary in list_fixtures() if summary.problem is None})
    return [load_fixture(system) for system in systems]


@dataclass(frozen=True)
class SpectralItem:
    """One judged number: a metric in a window of one case against one reference kind."""

    case: SpectralCase
    reference_kind: str
    window: str
    metric: str
    missing: str = ""  # non-empty: the reference is a declared but empty slot; says how to fill it

    @property
    def id(self) -> str:
        return f"{self.case.label}-vs-{self.reference_kind}-{self.window}-{self.metric}"


def cell_modes_for(structure_cell_is_measured: bool, structure_pressure_gpa: float,
                   pressure_gpa: float, option: str = "both") -> list[str]:
    """Cell modes that make sense: the measured cell only at the pressure it was measured at."""
    modes = ["relaxed-cell"]
    if structure_cell_is_measured and abs(pressure_gpa - structure_pressure_gpa) < 1e-9:
        modes.append("measured-cell")
    if option != "both":
        modes = [m for m in modes if m == option]
    return [m for m in CELL_MODES if m in modes]


def spectral_items(fixture, thresholds, cell_mode_option: str = "both") -> list[SpectralItem]:
    """Every judged number for one fixture (latest version of a system)."""
    structure = fixture.artefacts(role="structure")
    if not structure:
        return []
    cell_measured = bool(getattr(structure[0], "cell_is_measured", False))
    structure_pressure = float(structure[0].pressure_gpa or 0.0)
    items = []
    for kind in REFERENCE_KINDS:
        for artefact in fixture.artefacts(role="spectrum", kind=kind):
            pressure = float(artefact.pressure_gpa)
            for mode in cell_modes_for(cell_measured, structure_pressure, pressure, cell_mode_option):
                case = SpectralCase(fixture.system, pressure, mode)  # type: ignore[arg-type]
                for window in fixture.conditions.scoring_windows_cm1:
                    for metric in thresholds.metrics(fixture.system, window):
                        items.append(SpectralItem(case, kind, window, metric))
    for slot in getattr(fixture, "slots", ()):
        if slot.role != "spectrum" or slot.kind != "measured":
            continue
        case = SpectralCase(fixture.system, float(slot.pressure_gpa or 0.0), "relaxed-cell")
        message = (f"measured spectrum not bundled ({fixture.system} {fixture.version} declares the slot "
                   f"{slot.name!r} at {case.pressure_gpa:g} GPa); import it with: {slot.import_hint}")
        items.append(SpectralItem(case, "measured", "all", "all", missing=message))
    return items
