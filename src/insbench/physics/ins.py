"""Simulated indirect-geometry INS spectrum (TOSCA-type) from force constants.

The recipe follows Abins (Mantid) as reimplemented by ISIS in abinslib:

1. phonon modes on a Monkhorst-Pack q-mesh (euphonic, acoustic sum rule imposed);
2. mode displacements B and the Debye-Waller tensor A at the sample temperature;
3. order 1 (fundamentals) in the almost-isotropic incoherent approximation, with the
   Q^2 of each mode fixed by the bank's kinematics (indirect geometry: fixed final
   energy and scattering angle);
4. order 2 (overtones and combinations) the way Abins does it (per q-point, Q at the
   bin centre, Debye-Waller applied after binning);
5. intensities weighted by each element's incoherent (or total) cross section;
6. each bank broadened with the instrument's resolution from resins, banks summed.

Energies in cm-1 throughout; intensities are in arbitrary units (scale-free scores).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

import numpy as np

from insbench.physics.progress import Progress, silent
from insbench.spectra import Spectrum1D
from insbench.units import CM1_PER_MEV


@dataclass(frozen=True)
class Bank:
    """One analyser bank: scattering angle (degrees) and final energy (meV)."""

    name: str
    angle_deg: float
    final_energy_mev: float


@dataclass(frozen=True)
class InstrumentSpec:
    """An instrument as resins describes it.

    Kinematics (each bank's scattering angle and final energy) come from the
    ``kinematics_model`` configuration of resins' ``name``/``kinematics_version``;
    Gaussian resolution widths from ``resolution_model`` of ``name``/``version``,
    multiplied by ``width_scale`` (1.0 unless a fixture declares an approximation).
    """

    name: str = "TOSCA"
    version: str = "TOSCA"
    resolution_model: str = "AbINS"
    width_scale: float = 1.0
    kinematics_version: str | None = None
    kinematics_model: str = "book"
    banks: tuple[str, ...] = ("Backward", "Forward")

    def bank_geometry(self) -> list[Bank]:
        from resins.instrument import Instrument

        instrument = Instrument.from_default(self.name, self.kinematics_version or self.version)
        geometry = []
        for bank in self.banks:
            data = instrument.get_model_data(self.kinematics_model, detector_bank=bank)
            geometry.append(Bank(bank, float(data.angles[0]), float(data.average_final_energy)))
        return geometry

    def sigma_cm1(self, energy_cm1: np.ndarray, bank: str) -> np.ndarray:
        """Gaussian resolution width (sigma, cm-1) at each energy transfer for one bank."""
        from resins.instrument import Instrument

        instrument = Instrument.from_default(self.name, self.version)
        options = instrument.possible_options_for_model(self.resolution_model)
        kwargs = {"detector_bank": bank} if "detector_bank" in options else {}
        model = instrument.get_resolution_function(self.resolution_model, **kwargs)
        points_mev = (np.asarray(energy_cm1, dtype=float) / CM1_PER_MEV)[:, None]
        sigma_mev = np.asarray(model.get_characteristics(points_mev)["sigma"], dtype=float)
        return sigma_mev * CM1_PER_MEV * self.width_scale

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class INSSettings:
    """Spectrum settings. ``q_spacing_inv_a`` sets the q-mesh: n_i = ceil(|b_i| / spacing),
    with |b_i| including the 2*pi; ``mesh`` overrides it."""

    instrument: InstrumentSpec = field(default_factory=InstrumentSpec)
    temperature_k: float = 10.0
    energy_max_cm1: float = 2000.0
    bin_width_cm1: float = 1.0
    q_spacing_inv_a: float = 0.35
    mesh: tuple[int, int, int] | None = None
    orders: tuple[int, ...] = (1, 2)
    cross_section: Literal["incoherent_cross_section", "scattering_cross_section"] = (
        "incoherent_cross_section"
    )
    frequency_min_cm1: float = 10.0

    def __post_init__(self) -> None:
        if not set(self.orders) <= {1, 2} or not self.orders:
            raise ValueError(f"orders must be a non-empty subset of (1, 2), got {self.orders}")
        if self.temperature_k < 0:
            raise ValueError(f"temperature_k must be >= 0, got {self.temperature_k}")
        if self.bin_width_cm1 <= 0 or self.energy_max_cm1 <= self.bin_width_cm1:
            raise ValueError("need 0 < bin_width_cm1 < energy_max_cm1")

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class INSResult:
    """The broadened total spectrum plus its parts (all on the same cm-1 grid)."""

    spectrum: Spectrum1D
    components: dict[str, np.ndarray]  # e.g. "Backward/order1" -> broadened intensity
    mesh: tuple[int, int, int]
    n_qpoints: int
    min_frequency_cm1: float
    n_imaginary_modes: int  # below -frequency_min_cm1 anywhere on the mesh


def q_mesh(cell_a: np.ndarray, spacing_inv_a: float) -> tuple[int, int, int]:
    """Monkhorst-Pack mesh with reciprocal-space spacing at most ``spacing_inv_a`` (1/Angstrom)."""
    reciprocal = 2 * np.pi * np.linalg.inv(np.asarray(cell_a, dtype=float)).T
    lengths = np.linalg.norm(reciprocal, axis=1)
    return tuple(int(max(1, np.ceil(length / spacing_inv_a))) for length in lengths)  # type: ignore[return-value]


def _indirect_q2(energy_cm1, bank: Bank):
    from abinslib.util import calculate_indirect_q2
    from euphonic import Quantity

    energy = Quantity(np.maximum(np.asarray(energy_cm1, dtype=float), 0.0), "1/cm")
    return calculate_indirect_q2(
        energy, np.deg2rad(bank.angle_deg), Quantity(bank.final_energy_mev, "meV")
    )


def _sum_weighted(spectra, cross_section: str) -> np.ndarray:
    from abinslib.util import apply_weights

    weighted = apply_weights(spectra, key=cross_section)
    return np.asarray(weighted.y_data.magnitude, dtype=float).sum(axis=0)


def _broaden(
    instrument: InstrumentSpec, bank: str, centres_cm1: np.ndarray, density: np.ndarray
) -> np.ndarray:
    """Area-preserving resolution broadening of a binned density (per cm-1)."""
    sigma = instrument.sigma_cm1(centres_cm1, bank)
    width = centres_cm1[1] - centres_cm1[0]
    # Gaussian kernels, one column per source bin; evaluated on the same grid.
    delta = centres_cm1[:, None] - centres_cm1[None, :]
    kernels = np.exp(-0.5 * (delta / sigma[None, :]) ** 2) / (np.sqrt(2 * np.pi) * sigma[None, :])
    return kernels @ (density * width)


def simulate_ins(force_constants, settings: INSSettings, progress: Progress = silent) -> INSResult:
    """Simulate the spectrum an indirect-geometry instrument would measure.

    ``force_constants`` is a euphonic ForceConstants object.
    """
    from abinslib.almost_isotropic_incoherent import (
        calculate_almost_isotropic_incoherent_spectra,
        mantid_like_combination_spectra,
    )
    from abinslib.displacements import Displacements
    from euphonic import Quantity
    from euphonic.util import mp_grid

    cell = force_constants.crystal.cell_vectors.to("angstrom").magnitude
    mesh = settings.mesh or q_mesh(cell, settings.q_spacing_inv_a)
    qpts = mp_grid(list(mesh))
    progress("spectrum", 0, 4, f"phonon modes on {mesh[0]}x{mesh[1]}x{mesh[2]} mesh")
    modes = force_constants.calculate_qpoint_phonon_modes(
        qpts, asr="reciprocal", reduce_qpts=False, weights=np.full(len(qpts), 1.0 / len(qpts))
    )
    frequencies_cm1 = modes.frequencies.to("1/cm").magnitude
    temperature = Quantity(settings.temperature_k, "K")
    displacements = Displacements.from_modes(
        modes, temperature, frequency_min=Quantity(settings.frequency_min_cm1, "1/cm")
    )
    atomic = displacements.to_atomic_displacements()

    edges = np.arange(0.0, settings.energy_max_cm1 + settings.bin_width_cm1 / 2, settings.bin_width_cm1)
    centres = 0.5 * (edges[1:] + edges[:-1])
    bins = Quantity(edges, "1/cm")
    components: dict[str, np.ndarray] = {}
    total = np.zeros_like(centres)
    for index, bank in enumerate(settings.instrument.bank_geometry()):
        progress("spectrum", index + 1, 4, f"{bank.name} bank")
        if 1 in settings.orders:
            order1 = calculate_almost_isotropic_incoherent_spectra(
                modes=modes,
                mode_displacements=displacements,
                atomic_displacements=atomic,
                nominal_q2=_indirect_q2(frequencies_cm1, bank),
                bins=bins,
            )
            density = _sum_weighted(order1, settings.cross_section)
            components[f"{bank.name}/order1"] = _broaden(settings.instrument, bank.name, centres, density)
        if 2 in settings.orders:
            order2 = mantid_like_combination_spectra(
                modes=modes,
                mode_displacements=displacements,
                atomic_displacements=atomic,
                nominal_q2=_indirect_q2(centres, bank),
                bins=bins,
            )
            density = _sum_weighted(order2, settings.cross_section)
            components[f"{bank.name}/order2"] = _broaden(settings.instrument, bank.name, centres, density)
        # broadening is linear, so the bank total is the sum of its broadened orders
        broadened = sum(components[f"{bank.name}/order{n}"] for n in settings.orders)
        components[f"{bank.name}/total"] = broadened
        total += broadened
    progress("spectrum", 4, 4, "done")
    spectrum = Spectrum1D(
        centres,
        total,
        None,
        label=f"simulated {settings.instrument.version}",
        metadata={"kind": "simulated", "settings": settings.to_dict(), "mesh": list(mesh)},
    )
    return INSResult(
        spectrum=spectrum,
        components=components,
        mesh=tuple(mesh),  # type: ignore[arg-type]
        n_qpoints=len(qpts),
        min_frequency_cm1=float(frequencies_cm1.min()),
        n_imaginary_modes=int(np.sum(frequencies_cm1 < -settings.frequency_min_cm1)),
    )
