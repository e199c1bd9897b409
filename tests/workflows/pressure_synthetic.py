"""SYNTHETIC pressure analyses for the tracking-gate tests: hand-made modes, eigenvectors and
INS weights (random orthonormal eigenvectors, invented frequencies); no model was run and the
numbers describe no real crystal."""

from __future__ import annotations

import numpy as np
from ase import Atoms

from insbench.metrics.mode_tracking import ModeTracking, TrackedMode, track_modes
from insbench.physics.modes import ModeAssignment, ModeCharacter
from insbench.workflows.pressure import GammaModes, PressureAnalysis

N_ATOMS = 6
#: 18 modes; mode 9 (453 cm-1, "ring out-of-plane") plays the claimed red-shift band
FREQUENCIES_CM1 = np.array([15.0, 30.0, 48.0, 70.0, 95.0, 130.0, 210.0, 300.0, 380.0, 453.0,
                            520.0, 610.0, 700.0, 790.0, 880.0, 960.0, 1050.0, 1150.0])
LABELS = ["translation"] * 3 + ["libration"] * 3 + ["C-I in-plane bend", "C-I out-of-plane bend",
                                                    "ring stretch/deformation", "ring out-of-plane"] + [
    "ring stretch/deformation", "C-H out-of-plane bend", "ring stretch/deformation", "C-H out-of-plane bend",
    "ring stretch/deformation", "C-H in-plane bend", "ring stretch/deformation", "C-H in-plane bend"]
BAND_453 = 9


def orthonormal_modes(seed: int) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(3 * N_ATOMS, 3 * N_ATOMS)))
    return q.T.reshape(3 * N_ATOMS, N_ATOMS, 3)


def assignment(weights: np.ndarray | None = None) -> ModeAssignment:
    w = np.linspace(1.0, 2.0, FREQUENCIES_CM1.size) if weights is None else weights
    modes = tuple(
        ModeCharacter(i, float(f), "internal", 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, label, label, "", {label: 1.0},
                      float(w[i]))
        for i, (f, label) in enumerate(zip(FREQUENCIES_CM1, LABELS)))
    return ModeAssignment(modes, n_molecules=1)


def _gamma(frequencies: np.ndarray, eigenvectors: np.ndarray, cell_a: float) -> GammaModes:
    return GammaModes(Atoms("H6", positions=np.zeros((6, 3)), cell=np.eye(3) * cell_a, pbc=True),
                      frequencies, eigenvectors)


def well_tracked(shifts_cm1: np.ndarray, mixing_rad: float = 0.05, seed: int = 1) -> PressureAnalysis:
    """Modes followed through :func:`track_modes`: every P1 mode is its P0 mode, slightly mixed
    with its neighbour (overlap cos^2(mixing) ~ 0.998), shifted by ``shifts_cm1``."""
    e0 = orthonormal_modes(seed)
    e1 = e0.copy()
    c, s = np.cos(mixing_rad), np.sin(mixing_rad)
    for i in range(0, len(e0) - 1, 2):
        e1[i], e1[i + 1] = c * e0[i] + s * e0[i + 1], -s * e0[i] + c * e0[i + 1]
    f1 = FREQUENCIES_CM1 + shifts_cm1
    tracking = track_modes(FREQUENCIES_CM1, e0, f1, e1, labels=LABELS, pressure_p0_gpa=0.0, pressure_p1_gpa=1.5)
    return PressureAnalysis((0.0, 1.5), _gamma(FREQUENCIES_CM1, e0, 10.0), _gamma(f1, e1, 9.6), assignment(),
                            tracking)


def unconverged(overlaps: np.ndarray, shifts_cm1: np.ndarray, weights: np.ndarray | None = None,
                ) -> PressureAnalysis:
    """A tracking as an unconverged pair leaves it: pairs with the given overlaps and shifts
    (built from pairs, as a tracking read back from a mode table would be)."""
    pairs = tuple(TrackedMode(i, i, float(f), float(f + d), float(d), float(o), LABELS[i])
                  for i, (f, d, o) in enumerate(zip(FREQUENCIES_CM1, shifts_cm1, overlaps)))
    e0 = orthonormal_modes(2)
    f1 = FREQUENCIES_CM1 + shifts_cm1
    return PressureAnalysis((0.0, 1.5), _gamma(FREQUENCIES_CM1, e0, 10.0), _gamma(f1, e0, 9.0),
                            assignment(weights), ModeTracking(pairs, 0.0, 1.5))
