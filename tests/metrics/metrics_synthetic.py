"""Synthetic and real test spectra for tests/metrics (synthetic data is made here and says so).

Hexane.dat is the real measured TFXA spectrum of n-hexane (ISIS INS database,
Braden et al. 1999), read here with a tiny numpy loader so these tests do not
depend on insbench.reference.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from insbench.spectra import Spectrum1D

#: The measured spectrum as shipped in the hexane fixture (measured, see its manifest).
HEXANE_DAT = Path(__file__).resolve().parents[2] / "reference_data" / "hexane" / "1.0.0" / "Hexane.dat"
LATTICE = (20.0, 400.0)
FINGERPRINT = (400.0, 1600.0)


def load_isis_dat(path: Path = HEXANE_DAT) -> Spectrum1D:
    """ISIS INS database DAT: 2 header lines, then energy (cm-1), counts, error."""
    data = np.loadtxt(path, skiprows=2)
    return Spectrum1D(data[:, 0], data[:, 1], data[:, 2], label="measured TFXA hexane")


def uneven_grid(
    lo: float = 10.0, hi: float = 2000.0, ratio: float = 1.01
) -> np.ndarray:
    """Geometric grid (spacing grows with energy), like ISIS database files."""
    n = int(np.log(hi / lo) / np.log(ratio)) + 1
    return lo * ratio ** np.arange(n)


def gaussians(
    x: np.ndarray, centres_cm1, heights=None, fwhm_cm1: float = 8.0
) -> np.ndarray:
    """Sum of Gaussian peaks (synthetic)."""
    heights = (
        np.ones(len(centres_cm1)) if heights is None else np.asarray(heights, float)
    )
    sigma = fwhm_cm1 / 2.3548200450309493
    y = np.zeros_like(x, dtype=float)
    for c, h in zip(centres_cm1, heights):
        y += h * np.exp(-0.5 * ((x - c) / sigma) ** 2)
    return y


def synthetic_pair(shift_cm1: float = 0.0, background: bool = True):
    """(simulated, measured): synthetic peaks 60-380 cm-1; measured = 2.5 x peaks (+ a line)."""
    x = np.linspace(5.0, 450.0, 1500)
    centres = [60.0, 95.0, 140.0, 190.0, 250.0, 320.0, 380.0]
    heights = [1.0, 0.6, 0.9, 0.4, 0.7, 0.5, 0.8]
    peaks = gaussians(x, centres, heights)
    xm = uneven_grid(10.0, 440.0, 1.004)
    bg = 0.3 + 0.001 * xm if background else np.zeros_like(xm)
    measured_y = 2.5 * gaussians(xm, centres, heights) + bg
    measured = Spectrum1D(
        xm, measured_y, np.full_like(xm, 0.01), label="synthetic measured"
    )
    simulated = Spectrum1D(
        x + shift_cm1, peaks, label=f"synthetic simulated shift {shift_cm1}"
    )
    return simulated, measured
