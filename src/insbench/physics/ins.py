"""Simulated indirect-geometry INS spectrum (TOSCA-type) from force constants.

The recipe follows Abins (Mantid) as reimplemented by ISIS in abinslib:

1. phonon modes on a Monkhorst-Pack q-mesh (euphonic, acoustic sum rule imposed);
2. mode displacements B and the Debye-Waller tensor A at the sample temperature;
3. order 1 (fundamentals) in the almost-isotropic incoherent approximation, with the
   Q^2 of each mode fixed by the bank's kinematics (indirect geometry: fixed final
   energy and scattering angle);
4. order 2 (overtones and combinations) the way Abins does it (per q-point, Q at the
   bin centre, Debye-Waller applied after binning);
5. orders 3..N (N = ``multiphonon_max_order``, 10 by default as in Mantid Abins) by
   autoconvolution of the one-phonon spectrum, per bank, with Q^(2n)/n! at each
   bin's Q and the isotropic Debye-Waller factor (:mod:`insbench.physics.multiphonon`);
6. intensities weighted by each element's incoherent (or total) cross section;
7. each bank broadened with the instrument's resolution from resins, banks summed.

Energies in cm-1 throughout; intensities are in arbitrary units (scale-free scores).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

from insbench.physics import multiphonon
from insbench.physics.progress import Progress, silent
from insbench.spectra import Spectrum1D
from insbench.units import CM1_PER_MEV


FWHM_PER_SIGMA = 2.0 * np.sqrt(2.0 * np.log(2.0))


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
    with |b_i| including the 2*pi; ``mesh`` overrides it.  ``orders`` are computed
    explicitly (abinslib); orders 3..``multiphonon_max_order`` by autoconvolution
    (2 switches them off)."""

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
    multiphonon_max_order: int = multiphonon.DEFAULT_MAX_ORDER

    def __post_init__(self) -> None:
        if not set(self.orders) <= {1, 2} or not self.orders:
            raise ValueError(
                f"orders must be a non-empty subset of (1, 2), got {self.orders}; "
                "orders 3 and above come from multiphonon_max_order"
            )
        top = multiphonon.LIMIT_MAX_ORDER
        if (
            isinstance(self.multiphonon_max_order, bool)
            or not isinstance(self.multiphonon_max_order, int)
            or not 2 <= self.multiphonon_max_order <= top
        ):
            raise ValueError(
                f"multiphonon_max_order must be an integer in 2..{top} (2 = no orders beyond "
                f"the explicit ones), got {self.multiphonon_max_order!r}"
            )
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
    # e.g. "Backward/order1", "Backward/order2", "Backward/orders3-10" -> broadened intensity
    components: dict[str, np.ndarray]
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


def _multiphonon_terms(setup: "_Setup", max_order: int, min_order: int = 3):
    """Per-atom g^{*n}/n! for min_order <= n <= max_order and u2 = 2 tr(A)/3 (bohr units)."""
    traces = np.einsum("ijkll->ijk", setup.displacements.n_plus_one.to("bohr**2").magnitude) / 3.0
    density = multiphonon.one_phonon_density(
        setup.modes.frequencies.to("1/cm").magnitude, setup.modes.weights, traces, setup.edges
    )
    width = float(setup.edges[1] - setup.edges[0])
    terms = multiphonon.autoconvolved_orders(density, width, max_order)
    u2 = 2.0 * np.einsum("kll->k", setup.atomic.to("bohr**2").magnitude) / 3.0
    return {n: t for n, t in terms.items() if n >= min_order}, u2


def _autoconvolved_density(setup: "_Setup", terms, u2, bank: Bank, cross_section: str) -> np.ndarray:
    """Cross-section weighted density (per cm-1, unbroadened) of the given autoconvolved orders."""
    q2 = _indirect_q2(setup.centres, bank).to("bohr**-2").magnitude
    per_atom = sum(multiphonon.order_intensity(t, n, q2, u2) for n, t in terms.items())
    return _weighted_atoms(setup.modes, per_atom, setup.bins, cross_section)


def _weighted_atoms(modes, per_atom: np.ndarray, bins, cross_section: str) -> np.ndarray:
    """Cross-section weighted sum over atoms of a (atom, bin) array."""
    from abinslib.util import iter_atom_info
    from euphonic import Quantity
    from euphonic.spectra import Spectrum1DCollection

    collection = Spectrum1DCollection(
        x_data=bins,
        y_data=Quantity(per_atom, "dimensionless"),
        metadata={"line_data": list(iter_atom_info(modes.crystal))},
    )
    return _sum_weighted(collection, cross_section)


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


@dataclass(frozen=True)
class _Setup:
    """Phonon modes, displacements and the energy bins one spectrum is built from."""

    mesh: tuple[int, int, int]
    modes: Any
    displacements: Any
    atomic: Any
    edges: np.ndarray
    centres: np.ndarray
    bins: Any


def _setup(force_constants, settings: INSSettings, progress: Progress = silent) -> _Setup:
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
    displacements = Displacements.from_modes(
        modes,
        Quantity(settings.temperature_k, "K"),
        frequency_min=Quantity(settings.frequency_min_cm1, "1/cm"),
    )
    edges = np.arange(0.0, settings.energy_max_cm1 + settings.bin_width_cm1 / 2, settings.bin_width_cm1)
    return _Setup(
        mesh=tuple(mesh),  # type: ignore[arg-type]
        modes=modes,
        displacements=displacements,
        atomic=displacements.to_atomic_displacements(),
        edges=edges,
        centres=0.5 * (edges[1:] + edges[:-1]),
        bins=Quantity(edges, "1/cm"),
    )


def multiphonon_terms(
    force_constants, settings: INSSettings, max_order: int
) -> tuple[np.ndarray, dict[int, np.ndarray], np.ndarray]:
    """Energy bin centres (cm-1), per-atom g^{*n}/n! for n = 1..max_order, and u2 (bohr^2).

    The Q-independent ingredients of :mod:`insbench.physics.multiphonon` for these
    force constants and settings (for validation: sum rules, order-2 comparison).
    """
    setup = _setup(force_constants, settings)
    terms, u2 = _multiphonon_terms(setup, max_order, min_order=1)
    return setup.centres, terms, u2


def autoconvolved_densities(
    force_constants, settings: INSSettings, orders: tuple[int, ...]
) -> dict[str, dict[int, np.ndarray]]:
    """Unbroadened, cross-section weighted densities of the given orders by autoconvolution.

    For validation (e.g. order 2 by autoconvolution against abinslib's explicit order 2):
    ``{bank name: {order: density per cm-1 on the bin centres}}``.
    """
    setup = _setup(force_constants, settings)
    terms, u2 = _multiphonon_terms(setup, max(orders), min_order=1)
    out: dict[str, dict[int, np.ndarray]] = {}
    for bank in settings.instrument.bank_geometry():
        out[bank.name] = {
            n: _autoconvolved_density(setup, {n: terms[n]}, u2, bank, settings.cross_section)
            for n in orders
        }
    return out


def simulate_ins(force_constants, settings: INSSettings, progress: Progress = silent) -> INSResult:
    """Simulate the spectrum an indirect-geometry instrument would measure.

    ``force_constants`` is a euphonic ForceConstants object.
    """
    from abinslib.almost_isotropic_incoherent import (
        calculate_almost_isotropic_incoherent_spectra,
        mantid_like_combination_spectra,
    )

    setup = _setup(force_constants, settings, progress)
    modes, displacements, atomic = setup.modes, setup.displacements, setup.atomic
    centres, bins, mesh = setup.centres, setup.bins, setup.mesh
    frequencies_cm1 = modes.frequencies.to("1/cm").magnitude
    components: dict[str, np.ndarray] = {}
    total = np.zeros_like(centres)
    high_orders = None
    if settings.multiphonon_max_order >= 3:
        high_orders = _multiphonon_terms(setup, settings.multiphonon_max_order)
    fwhm = np.zeros_like(centres)
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
        parts = [f"{bank.name}/order{n}" for n in settings.orders]
        if high_orders is not None:
            density = _autoconvolved_density(setup, *high_orders, bank, settings.cross_section)
            name = f"{bank.name}/orders3-{settings.multiphonon_max_order}"
            components[name] = _broaden(settings.instrument, bank.name, centres, density)
            parts.append(name)
        # broadening is linear, so the bank total is the sum of its broadened orders
        broadened = sum(components[part] for part in parts)
        components[f"{bank.name}/total"] = broadened
        total += broadened
        fwhm += FWHM_PER_SIGMA * settings.instrument.sigma_cm1(centres, bank.name)
    progress("spectrum", 4, 4, "done")
    spectrum = Spectrum1D(
        centres,
        total,
        None,
        label=f"simulated {settings.instrument.version}",
        metadata={
            "kind": "simulated",
            "settings": settings.to_dict(),
            "mesh": list(mesh),
            # mean over banks; peak matching gates on it (insbench.metrics.match_peaks)
            "resolution_fwhm_cm1": (fwhm / len(settings.instrument.banks)).tolist(),
        },
    )
    return INSResult(
        spectrum=spectrum,
        components=components,
        mesh=tuple(mesh),  # type: ignore[arg-type]
        n_qpoints=int(modes.frequencies.shape[0]),
        min_frequency_cm1=float(frequencies_cm1.min()),
        n_imaginary_modes=int(np.sum(frequencies_cm1 < -settings.frequency_min_cm1)),
    )
