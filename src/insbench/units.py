"""The one place insbench states its units and conversion factors.

Conventions used across the package (and in every field name):

* spectra: energy transfer in cm-1 (``energy_cm1``), intensity in arbitrary units;
* forces: eV/Angstrom; energies: eV; lengths: Angstrom;
* stress and pressure: GPa (``pressure_gpa``); ASE works in eV/Angstrom^3;
* temperature: K (``temperature_k``); time: fs or ps as named.
"""

from __future__ import annotations

from ase import units as _ase_units

#: 1 meV expressed in cm-1 (CODATA via ASE: 1 eV = 8065.54... cm-1).
CM1_PER_MEV: float = 1e-3 / (_ase_units.invcm)
#: 1 eV expressed in cm-1.
CM1_PER_EV: float = 1.0 / _ase_units.invcm
#: 1 GPa expressed in ASE's native pressure unit, eV/Angstrom^3.
EV_PER_A3_PER_GPA: float = _ase_units.GPa


def gpa_to_ev_per_a3(pressure_gpa: float) -> float:
    """Convert a pressure in GPa to eV/Angstrom^3 (ASE's unit)."""
    return pressure_gpa * EV_PER_A3_PER_GPA


def ev_per_a3_to_gpa(pressure_ev_per_a3: float) -> float:
    """Convert a pressure or stress in eV/Angstrom^3 to GPa."""
    return pressure_ev_per_a3 / EV_PER_A3_PER_GPA


def mev_to_cm1(energy_mev):
    """Convert energies in meV to cm-1 (works on scalars and numpy arrays)."""
    return energy_mev * CM1_PER_MEV


def cm1_to_mev(energy_cm1):
    """Convert energies in cm-1 to meV (works on scalars and numpy arrays)."""
    return energy_cm1 / CM1_PER_MEV
