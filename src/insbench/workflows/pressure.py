"""Pressure response: the same crystal relaxed at two pressures, modes tracked across them.

physics (two SpectralRuns) -> Gamma modes -> assignment at the lower pressure -> tracking
by eigenvector overlap -> per-mode shifts -> bands. A *band* is what a spectrum shows as
one peak: the Gamma modes within one resolution FWHM of a position, weighted by their INS
weight. How each band was chosen is recorded, because "the model's 453 cm-1 band" is a
choice, not a fact.

Every band carries its tracking overlap (the set overlap of its modes,
:meth:`insbench.metrics.mode_tracking.ModeTracking.set_overlap`), and every mode the
overlap of the band it belongs to: the verdicts (workflows/evaluate_pressure.py) do not
trust a shift whose band is tracked below the declared minimum.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from ase import Atoms

from insbench.metrics.mode_tracking import BlueFraction, ModeTracking, blue_fraction_with_tracking, track_modes
from insbench.physics.modes import (
    ModeAssignment,
    assign_modes,
    atoms_from_phonopy,
    gamma_modes_from_phonopy,
)


#: modes of one label within this of each other make one band (what a spectrum shows as one peak)
BAND_HALF_WIDTH_CM1 = 8.0


@dataclass(frozen=True)
class GammaModes:
    """Gamma-point modes of one relaxed structure (same atom order as the fixture)."""

    atoms: Atoms
    frequencies_cm1: np.ndarray
    eigenvectors: np.ndarray  # (n_modes, n_atoms, 3), mass-weighted, normalised


def gamma_modes(phonopy_yaml: Path) -> GammaModes:
    import phonopy

    phonon = phonopy.load(str(phonopy_yaml), log_level=0)
    frequencies, eigenvectors = gamma_modes_from_phonopy(phonon)
    return GammaModes(atoms_from_phonopy(phonon), np.asarray(frequencies), np.asarray(eigenvectors))


@dataclass(frozen=True)
class PressureAnalysis:
    """Modes at two pressures, the assignment at the first and the tracking between them."""

    pressures_gpa: tuple[float, float]
    low: GammaModes
    high: GammaModes
    assignment: ModeAssignment
    tracking: ModeTracking

    @property
    def frequencies_cm1(self) -> np.ndarray:
        return self.low.frequencies_cm1

    @property
    def shifts_cm1(self) -> np.ndarray:
        return self.tracking.shifts_cm1

    @property
    def ins_weights(self) -> np.ndarray:
        return np.array([m.ins_weight for m in self.assignment.modes])

    @property
    def volume_change_fraction(self) -> float:
        """(V_high - V_low) / V_low of the two relaxed cells."""
        return float(self.high.atoms.get_volume() / self.low.atoms.get_volume() - 1.0)

    def band_of(self, mode: int, band_half_width_cm1: float = BAND_HALF_WIDTH_CM1) -> list[int]:
        """The modes with ``mode``'s label within ``band_half_width_cm1`` of its frequency."""
        f, labels = self.frequencies_cm1, self.assignment.labels
        return [i for i in range(len(f)) if abs(f[i] - f[mode]) <= band_half_width_cm1 and labels[i] == labels[mode]]

    def band_overlap(self, modes: list[int] | tuple[int, ...]) -> float:
        """INS-weighted set overlap of a band's modes (how well the band is followed)."""
        return self.tracking.set_overlap(list(modes), self.ins_weights[list(modes)])

    def band_overlaps(self, band_half_width_cm1: float = BAND_HALF_WIDTH_CM1) -> np.ndarray:
        """Per mode: the overlap of the band it belongs to (:meth:`band_of`)."""
        return np.array([self.band_overlap(self.band_of(i, band_half_width_cm1))
                         for i in range(len(self.frequencies_cm1))])

    def blue_fraction(self, window_cm1: tuple[float, float], *, min_overlap: float,
                      tolerance_cm1: float = 0.0) -> BlueFraction:
        """INS-weighted fraction of modes in the window whose frequency goes up with pressure;
        a mode whose band overlap is below ``min_overlap`` is not trusted (see BlueFraction)."""
        f = self.frequencies_cm1
        keep = (f >= window_cm1[0]) & (f <= window_cm1[1])
        return blue_fraction_with_tracking(self.shifts_cm1[keep], self.ins_weights[keep],
                                           self.band_overlaps()[keep], min_overlap=min_overlap,
                                           tolerance_cm1=tolerance_cm1)

    def mode_rows(self) -> list[dict[str, Any]]:
        rows = []
        band_overlaps = self.band_overlaps()
        for character, tracked, band_overlap in zip(self.assignment.modes, self.tracking.modes, band_overlaps):
            rows.append({**character.to_row(), "frequency_high_cm1": tracked.frequency_p1_cm1,
                         "shift_cm1": tracked.shift_cm1, "overlap": tracked.overlap,
                         "band_overlap": float(band_overlap)})
        return rows


def analyse_pressure_pair(phonopy_low: Path, phonopy_high: Path, pressures_gpa: tuple[float, float],
                          modes=gamma_modes) -> PressureAnalysis:
    """``modes(phonopy_yaml)`` reads the Gamma modes (the session's reads them through the cache)."""
    low, high = modes(phonopy_low), modes(phonopy_high)
    assignment = assign_modes(low.atoms, low.frequencies_cm1, low.eigenvectors)
    tracking = track_modes(
        low.frequencies_cm1, low.eigenvectors, high.frequencies_cm1, high.eigenvectors,
        labels=assignment.labels,
        masses=low.atoms.get_masses(),
        cell_p0=np.asarray(low.atoms.cell), cell_p1=np.asarray(high.atoms.cell),
        numbers_p0=low.atoms.numbers, numbers_p1=high.atoms.numbers,
        pressure_p0_gpa=pressures_gpa[0], pressure_p1_gpa=pressures_gpa[1],
    )
    return PressureAnalysis(pressures_gpa, low, high, assignment, tracking)


@dataclass(frozen=True)
class BandChoice:
    """Which of the model's modes make up the band that corresponds to a reference peak."""

    target_cm1: float
    label: str | None
    chosen_mode: int | None
    position_cm1: float | None
    modes: tuple[int, ...]
    shift_cm1: float | None  # INS-weighted mean shift of the band's modes
    how: str
    candidates: list[dict[str, Any]] = field(default_factory=list)
    tracking_overlap: float | None = None  # INS-weighted set overlap of the band's modes (None: no band)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def choose_band(
    analysis: PressureAnalysis,
    target_cm1: float,
    *,
    label: str | None = None,
    search_half_width_cm1: float = 60.0,
    band_half_width_cm1: float = BAND_HALF_WIDTH_CM1,
) -> BandChoice:
    """The model's band for a reference peak at ``target_cm1``.

    Candidates are modes within ``search_half_width_cm1`` of the target; if a ``label``
    (the reference's assignment) is given and some candidates carry it, only those count.
    The chosen mode maximises INS weight x exp(-(f - target)^2 / (2 (w/2)^2)), i.e. what
    the ambient spectrum would show near the target. The band is the chosen mode plus
    the modes within ``band_half_width_cm1`` of it with the same label; its shift is their
    INS-weighted mean shift and its ``tracking_overlap`` their INS-weighted set overlap.
    The choice looks at the ambient spectrum only: a poorly tracked band is still the band
    a spectrum shows there, so it is chosen (and then not trusted by the verdict), never
    swapped silently for a better-tracked neighbour.
    """
    f, w, s = analysis.frequencies_cm1, analysis.ins_weights, analysis.shifts_cm1
    labels = analysis.assignment.labels
    near = np.flatnonzero(np.abs(f - target_cm1) <= search_half_width_cm1)
    if near.size == 0:
        return BandChoice(target_cm1, label, None, None, (), None,
                          f"no mode within {search_half_width_cm1:g} cm-1 of {target_cm1:g} cm-1")
    by_label = [i for i in near if label is not None and labels[i] == label]
    pool = np.array(by_label) if by_label else near
    sigma = search_half_width_cm1 / 2
    score = w[pool] * np.exp(-0.5 * ((f[pool] - target_cm1) / sigma) ** 2)
    chosen = int(pool[int(np.argmax(score))])
    band = [i for i in near if abs(f[i] - f[chosen]) <= band_half_width_cm1 and labels[i] == labels[chosen]]
    weights = w[band]
    shift = float(np.average(s[band], weights=weights)) if weights.sum() > 0 else float(np.mean(s[band]))
    tracking_overlap = analysis.band_overlap(band)
    how = (
        f"modes within {search_half_width_cm1:g} cm-1 of {target_cm1:g} cm-1"
        + (f" labelled {label!r}" if by_label else (f"; none labelled {label!r}, so all labels" if label else ""))
        + f"; highest INS weight x Gaussian(sigma {sigma:g} cm-1) -> mode {chosen} at {f[chosen]:.1f} cm-1 "
        f"({labels[chosen]}); band = {len(band)} mode(s) within {band_half_width_cm1:g} cm-1 with that label, "
        f"tracked to {analysis.pressures_gpa[1]:g} GPa with overlap {tracking_overlap:.2f}"
    )
    overlaps = analysis.tracking.overlaps
    candidates = [
        {"mode": int(i), "frequency_cm1": round(float(f[i]), 2), "label": labels[i],
         "ins_weight": round(float(w[i]), 6), "shift_cm1": round(float(s[i]), 3),
         "overlap": round(float(overlaps[i]), 4)}
        for i in near
    ]
    return BandChoice(target_cm1, label, chosen, float(f[chosen]), tuple(int(i) for i in band), shift, how,
                      candidates, tracking_overlap)


@dataclass(frozen=True)
class ReferenceBand:
    """A band the reference says moves with pressure: position, assignment, shift."""

    position_cm1: float
    label: str | None
    shift_cm1: float
    kind: str  # measured | computed
    source: str


def reference_bands(peaks: dict[str, Any], kind: str, source: str) -> list[ReferenceBand]:
    """Bands with a pressure shift from a fixture's peak table (``role: peaks``, JSON).

    Accepts entries with ``position_0gpa_cm1`` and either ``peak_shift_cm1`` (position
    difference of the peak at both pressures) or ``weighted_mean_shift_cm1`` (tracked
    modes under the peak), plus an optional ``dominant_label`` / ``assignment``.
    """
    bands = []
    for entry in peaks.get("peaks", []):
        shift = entry.get("peak_shift_cm1", entry.get("weighted_mean_shift_cm1"))
        position = entry.get("position_0gpa_cm1")
        if shift is None or position is None:
            continue
        label = entry.get("dominant_label") or entry.get("assignment")
        bands.append(ReferenceBand(float(position), label, float(shift), kind, source))
    return bands
