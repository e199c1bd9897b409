"""What a session shows of the pressure verdicts: the paper-style figure and the summary lines.

Glue between a fixture + pressure analysis (workflows) and the drawing / wording
(results.pressure_figure, results.summary_pressure), which never see a fixture.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from insbench.results.pressure_figure import BandShift, PressurePanel, plot_pressure_figure
from insbench.results.summary_pressure import pressure_summary_lines

SENSITIVITY_ARTEFACT = "structure_sensitivity"


def reference_panel(fixture, pressures_gpa, claimed_cm1: list[float], bands) -> PressurePanel:
    """Reference spectra at both pressures (measured if any, else computed) and their band shifts."""
    for kind in ("measured", "computed"):
        spectra = {p: fixture.spectrum(pressure_gpa=p, kind=kind) for p in pressures_gpa}
        if all(s is not None for s in spectra.values()):
            shifts = []
            for target in claimed_cm1:  # the reference band nearest each claimed band (within 30 cm-1)
                near = [b for b in bands if b.kind == kind and abs(b.position_cm1 - target) <= 30.0]
                if near:
                    b = min(near, key=lambda b: abs(b.position_cm1 - target))
                    shifts.append(BandShift(b.position_cm1, b.shift_cm1, f"{b.label or ''} ({target:g})".strip()))
            return PressurePanel(f"reference: {kind} ({fixture.system} {fixture.version})",
                                 {p: (s.energy_cm1, s.intensity) for p, s in spectra.items()},
                                 tuple(shifts), is_reference=True)
    return PressurePanel(f"reference ({fixture.system} {fixture.version})", {},
                         note=f"no measured or computed spectrum at {' and '.join(f'{p:g}' for p in pressures_gpa)} "
                              f"GPa in fixture {fixture.system} {fixture.version}", is_reference=True)


def draw_pressure_figure(png: Path, *, title: str, model_name: str, fixture, runs: dict[float, Any],
                         marked: list[dict], claimed_cm1: list[float], bands, window_cm1) -> Path:
    """Reference panel on top, the model's panel below, ambient and high pressure overlaid."""
    model = PressurePanel(
        model_name, {p: (r.spectrum.energy_cm1, r.spectrum.intensity) for p, r in runs.items()},
        tuple(BandShift(m["position_cm1"], m["shift_cm1"], m["label"]) for m in marked
              if m.get("position_cm1") is not None and m.get("shift_cm1") is not None))
    plot_pressure_figure(png, title=title, panels=[reference_panel(fixture, sorted(runs), claimed_cm1, bands), model],
                         window_cm1=tuple(window_cm1))
    return png


def sensitivity_table(fixture) -> dict[str, Any] | None:
    """The fixture's structure-sensitivity table (an ``other`` JSON artefact), if it ships one."""
    for artefact in fixture.artefacts(role="other"):
        if artefact.name == SENSITIVITY_ARTEFACT:
            return json.loads(fixture.file_path(artefact.name).read_text())
    return None


def pressure_lines(records: list[tuple[Path, Any]]) -> list[str]:
    """Summary lines for each (pressure record path, fixture) written in a session."""
    lines: list[str] = []
    for path, fixture in records:
        if not path.is_file():
            continue
        record = json.loads(path.read_text())
        lines += pressure_summary_lines(record, sensitivity=sensitivity_table(fixture))
    if lines:
        lines.insert(0, "pressure verdicts (ambient -> high pressure; modes tracked by eigenvector overlap)")
    return lines
