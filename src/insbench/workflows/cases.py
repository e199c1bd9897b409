"""Which benchmark cases exist: derived from the installed fixtures and the thresholds file.

A spectral case is (system, pressure, cell mode, reference kind, scoring window,
metric). Nothing here is hard-coded per system: a new fixture version with a measured
spectrum brings its own cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from insbench.metrics.thresholds import MissingThresholdError
from insbench.physics.relax import CELL_MODES
from insbench.workflows.pipeline import SpectralCase

REFERENCE_KINDS = ("measured", "computed")


@dataclass(frozen=True)
class FixtureProblem:
    """A fixture on the search path that cannot be used: its system is not benchmarked, loudly.

    The plugin turns each into an ERROR test item (so the run exits non-zero); nothing is
    dropped without a word.
    """

    system: str
    version: str
    path: Path
    origin: str
    reason: str
    newest: bool = True  # the newest version of its system: then none of its tests run

    @property
    def message(self) -> str:
        consequence = (f"so no test of {self.system} was generated" if self.newest
                       else f"(an older version; the newest valid version of {self.system} is benchmarked)")
        return (f"reference fixture {self.system} {self.version} at {self.path} [{self.origin}] cannot be "
                f"used, {consequence}: {self.reason}")


def scan_fixtures() -> tuple[list, list[FixtureProblem]]:
    """``(fixtures, problems)``: the newest version of every installed system, loaded and
    verified (schema, every checksum, every file parsed); every version that fails is a problem.

    A broken newest version is a problem, never a silent fall-back to an older version.
    """
    from insbench.reference import ReferenceDataError
    from insbench.reference.loader import load_fixture_dir
    from insbench.reference.locate import find_fixture_dirs, first_per_version
    from insbench.reference.semver import is_semver, semver_key

    every = find_fixture_dirs()
    fixtures, problems = [], []
    by_system: dict[str, list] = {}
    for found in first_per_version(every):
        if not is_semver(found.version):
            problems.append(FixtureProblem(
                found.system, found.version, found.path, found.root.origin,
                f"its directory name {found.version!r} is not a version (MAJOR.MINOR.PATCH). Fix: rename "
                f"the directory, or move it out of {found.root.path}.", newest=False))
            continue
        by_system.setdefault(found.system, []).append(found)
    for system, dirs in sorted(by_system.items()):
        newest = max(dirs, key=lambda d: semver_key(d.version)).version
        for found in sorted(dirs, key=lambda d: semver_key(d.version)):
            try:
                fixture = load_fixture_dir(found.path, origin=found.root.origin)
            except (ReferenceDataError, OSError, ValueError) as error:
                reason = str(error)
                shadowed = [d for d in every if (d.system, d.version) == (system, found.version)
                            and d.path != found.path]
                if shadowed:
                    reason += (f" It shadows the copy at {shadowed[0].path} [{shadowed[0].root.origin}]: remove "
                               f"or repair {found.path} to use that one.")
                problems.append(FixtureProblem(system, found.version, found.path, found.root.origin, reason,
                                               newest=found.version == newest))
                continue
            if found.version == newest:
                fixtures.append(fixture)
    return fixtures, problems


def installed_fixtures() -> list:
    """The newest valid version of every installed system (the benchmark suite's systems).

    A system whose newest version is broken is not here: :func:`fixture_problems` names it
    and the plugin makes an ERROR item of it.
    """
    return scan_fixtures()[0]


def fixture_problems() -> list[FixtureProblem]:
    """Installed fixtures that cannot be used, each with the reason and the fix."""
    return scan_fixtures()[1]


@dataclass(frozen=True)
class SpectralItem:
    """One judged number: a metric in a window of one case against one reference kind."""

    case: SpectralCase
    reference_kind: str
    window: str
    metric: str
    missing: str = ""  # non-empty: the reference is a declared but empty slot; says how to fill it
    problem: str = ""  # non-empty: the item cannot be judged (e.g. no threshold); the test ERRORs with it

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
                    try:
                        metrics = list(thresholds.metrics(fixture.system, window))
                    except MissingThresholdError as error:  # this system only: the others still run
                        items.append(SpectralItem(case, kind, window, "thresholds", problem=str(error)))
                        continue
                    for metric in metrics:
                        items.append(SpectralItem(case, kind, window, metric))
    for slot in getattr(fixture, "slots", ()):
        if slot.role != "spectrum" or slot.kind != "measured":
            continue
        case = SpectralCase(fixture.system, float(slot.pressure_gpa or 0.0), "relaxed-cell")
        message = (f"measured spectrum not bundled ({fixture.system} {fixture.version} declares the slot "
                   f"{slot.name!r} at {case.pressure_gpa:g} GPa); import it with: {slot.import_hint}")
        items.append(SpectralItem(case, "measured", "all", "all", missing=message))
    return items
