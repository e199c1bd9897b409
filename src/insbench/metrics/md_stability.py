"""Statistics of an MD run and their judgement against declared tolerances (pure numpy).

Never runs a calculator. The inputs are the arrays of an MD result (per-step energies,
temperature, stress; positions and cells every few steps) -- any object with the
``step_data``, ``frame_data``, ``numbers``, ``masses``, ``pbc`` and ``settings``
attributes of :class:`insbench.physics.md.MDResult`.

The checks follow the 300 K validation MD of arXiv:2603.05442 (per-element MSD, stress
and potential energy with running averages, early vs late RDFs) plus an NVE segment:

========================================  ============================================
metric                                    what it measures
========================================  ============================================
``completed_fraction``                    steps done / steps planned (1: no blow-up)
``temperature_deviation_fraction``        |<T> - target| / target, second half of NVT
``min_distance_a``                        shortest interatomic distance in the run
``molecules_changed``                     molecules whose bonded atom set changed
``msd_a2[El]``                            mean MSD over the last quarter of NVT
``msd_slope_a2_per_ps[El]``               MSD slope over the second half of NVT
``pe_drift_ev_per_atom_ps``               |slope| of the running-average potential energy
``stress_drift_gpa_per_ps[c]``            |slope| of each running-average stress component
``rdf_w1_a[A-B]``                         W1 between early and late normalised g(r)
``nve_drift_mev_per_atom_ps``             |slope| of the NVE total energy
``npt_volume_drift_percent_per_ps``       |slope| of the NPT volume (if NPT ran)
========================================  ============================================
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any

import numpy as np

from .thresholds import Judgement, Threshold

VOIGT = ("xx", "yy", "zz", "yz", "xz", "xy")
#: The codes of ``MDResult.step_data["segment"]`` (``insbench.physics.md.SEGMENTS``; a test keeps them equal).
_SEGMENTS = ("equilibration", "nvt", "nve", "npt")


# -- elementary statistics ----------------------------------------------------------------
def linear_slope(t: np.ndarray, y: np.ndarray) -> float:
    """Least-squares slope dy/dt; NaN with fewer than 2 points or a non-finite value."""
    t, y = np.asarray(t, dtype=float), np.asarray(y, dtype=float)
    if len(t) < 2 or not (np.isfinite(t).all() and np.isfinite(y).all()):
        return float("nan")
    tc = t - t.mean()
    denominator = float((tc * tc).sum())
    if denominator == 0.0:
        return float("nan")
    return float((tc * (y - y.mean())).sum() / denominator)


def running_average(y: np.ndarray, window: int) -> np.ndarray:
    """Mean over a sliding window of ``window`` points ('valid' part: len(y) - window + 1 values)."""
    y = np.asarray(y, dtype=float)
    window = max(1, min(int(window), len(y)))
    if len(y) == 0:
        return y.copy()
    c = np.cumsum(np.concatenate([[0.0], y - y[0]]))
    return (c[window:] - c[:-window]) / window + y[0]


def running_std(y: np.ndarray, window: int) -> np.ndarray:
    """Standard deviation over the same sliding windows as :func:`running_average`."""
    y = np.asarray(y, dtype=float)
    window = max(1, min(int(window), len(y)))
    if len(y) == 0:
        return y.copy()
    mean = running_average(y, window)
    mean_sq = running_average((y - y[0]) ** 2, window)
    return np.sqrt(np.maximum(mean_sq - (mean - y[0]) ** 2, 0.0))


def running_times(t: np.ndarray, window: int) -> np.ndarray:
    """Centre time of each running-average window."""
    return running_average(t, window)


def running_average_drift(t: np.ndarray, y: np.ndarray, window: int, t_from: float) -> float:
    """Slope of the running average of ``y`` over the windows centred at ``t >= t_from``."""
    avg, centres = running_average(y, window), running_times(t, window)
    keep = centres >= t_from
    return linear_slope(centres[keep], avg[keep])


def wasserstein1(x: np.ndarray, p: np.ndarray, q: np.ndarray) -> float:
    """W1 (in the units of ``x``) between two non-negative densities on the uniform grid ``x``.

    Each is normalised to unit area first; NaN if either has no weight.
    """
    x, p, q = (np.asarray(a, dtype=float) for a in (x, p, q))
    if p.sum() <= 0 or q.sum() <= 0:
        return float("nan")
    dx = float(x[1] - x[0]) if len(x) > 1 else 1.0
    cdf_p, cdf_q = np.cumsum(p / p.sum()), np.cumsum(q / q.sum())
    return float(np.abs(cdf_p - cdf_q).sum() * dx)


# -- structure ----------------------------------------------------------------------------
def _face_widths(cell: np.ndarray) -> np.ndarray:
    volume = abs(np.linalg.det(cell))
    areas = np.array([np.linalg.norm(np.cross(cell[(i + 1) % 3], cell[(i + 2) % 3])) for i in range(3)])
    return volume / areas


def _image_shifts(cell: np.ndarray, pbc: Sequence[bool], r_max: float) -> np.ndarray:
    reach = [math.ceil(r_max / w) if p else 0 for w, p in zip(_face_widths(cell), pbc)]
    return np.array(list(product(*(range(-n, n + 1) for n in reach))), dtype=int)


def pair_distances(positions: np.ndarray, cell: np.ndarray, pbc: Sequence[bool], a: np.ndarray,
                   b: np.ndarray, r_max: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distances < ``r_max`` between atoms ``a`` and atoms ``b``, over periodic images.

    Returns ``(i, j, d)``; a pair of the same atom in the same image is excluded, and
    when ``a`` and ``b`` are the same set each unordered pair is listed once per image.
    """
    a, b = np.asarray(a, dtype=int), np.asarray(b, dtype=int)
    cell = np.asarray(cell, dtype=float)
    shifts = _image_shifts(cell, pbc, r_max)
    delta = positions[b][None, :, :] - positions[a][:, None, :]  # (A, B, 3)
    out_i, out_j, out_d = [], [], []
    same = a.shape == b.shape and np.array_equal(a, b)
    for shift in shifts:
        d = np.linalg.norm(delta + shift @ cell, axis=-1)
        mask = d < r_max
        if same:
            mask &= d > 0  # self at zero shift
            if not shift.any():
                mask &= np.triu(np.ones_like(mask), k=1).astype(bool)
            elif tuple(shift) < tuple(-shift):  # count each image pair (i, j, S) ~ (j, i, -S) once
                continue
        i, j = np.nonzero(mask)
        out_i.append(a[i]), out_j.append(b[j]), out_d.append(d[i, j])
    if not out_d:
        return np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    return np.concatenate(out_i), np.concatenate(out_j), np.concatenate(out_d)


def bonds(positions: np.ndarray, cell: np.ndarray, pbc: Sequence[bool], numbers: np.ndarray,
          scale: float) -> set[tuple[int, int]]:
    """Pairs (i < j) closer than ``scale`` x the sum of their covalent radii (any image)."""
    from ase.data import covalent_radii  # a table, not a calculator

    radii = covalent_radii[np.asarray(numbers)]
    everyone = np.arange(len(numbers))
    i, j, d = pair_distances(positions, cell, pbc, everyone, everyone, scale * 2 * radii.max())
    keep = d < scale * (radii[i] + radii[j])
    return {(int(min(p, q)), int(max(p, q))) for p, q in zip(i[keep], j[keep]) if p != q}


def molecules(n_atoms: int, bond_set: Iterable[tuple[int, int]]) -> list[frozenset[int]]:
    """Connected components of the bond graph (union-find), sorted by their smallest atom."""
    parent = list(range(n_atoms))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for i, j in bond_set:
        parent[root(i)] = root(j)
    groups: dict[int, set[int]] = {}
    for k in range(n_atoms):
        groups.setdefault(root(k), set()).add(k)
    return sorted((frozenset(g) for g in groups.values()), key=min)


def rdf(frames: np.ndarray, cells: np.ndarray, pbc: Sequence[bool], numbers: np.ndarray, pair: tuple[int, int],
        r_max: float, bin_a: float) -> tuple[np.ndarray, np.ndarray]:
    """g(r) of element pair ``pair`` (atomic numbers) averaged over ``frames``: (r centres, g)."""
    edges = np.arange(0.0, r_max + 0.5 * bin_a, bin_a)
    centres = 0.5 * (edges[1:] + edges[:-1])
    a = np.flatnonzero(numbers == pair[0])
    b = np.flatnonzero(numbers == pair[1])
    counts = np.zeros(len(centres))
    density_sum = 0.0
    for positions, cell in zip(frames, cells):
        _, _, d = pair_distances(positions, cell, pbc, a, b, r_max)
        counts += np.histogram(d, bins=edges)[0]
        density_sum += len(b) / abs(np.linalg.det(cell))
    if len(frames) == 0 or len(a) == 0 or len(b) == 0:
        return centres, np.zeros_like(centres)
    shell = 4.0 / 3.0 * np.pi * (edges[1:] ** 3 - edges[:-1] ** 3)
    same = pair[0] == pair[1]
    norm = (len(a) / (2.0 if same else 1.0)) * (density_sum / len(frames)) * shell * len(frames)
    if same:  # counts hold each unordered pair once; len(b) includes the atom itself
        norm *= (len(b) - 1) / len(b) if len(b) > 1 else 1.0
    return centres, counts / norm


# -- a whole run --------------------------------------------------------------------------
@dataclass
class MDAnalysis:
    """Every score of one run, plus the curves the plots draw."""

    scores: dict[str, float]
    notes: dict[str, str]
    curves: dict[str, Any] = field(repr=False)


def _symbol(z: int) -> str:
    from ase.data import chemical_symbols

    return chemical_symbols[int(z)]


def element_order(numbers: Iterable[int]) -> list[str]:
    """Element symbols present, heaviest first (I, S, C, H)."""
    return [_symbol(z) for z in sorted({int(z) for z in numbers}, reverse=True)]


def rdf_pairs_present(symbols: Iterable[str], pairs: Iterable[str]) -> list[str]:
    present = set(symbols)
    return [p for p in pairs if set(p.split("-")) <= present]


def check_names(symbols: Iterable[str], rdf_pairs: Iterable[str], *, nve: bool, npt: bool) -> list[str]:
    """The judged numbers for a system with these elements (benchmark test ids)."""
    from ase.data import atomic_numbers

    elements = element_order(atomic_numbers[s] for s in set(symbols))
    names = ["completed_fraction", "temperature_deviation_fraction", "min_distance_a", "molecules_changed"]
    names += [f"msd_a2[{e}]" for e in elements] + [f"msd_slope_a2_per_ps[{e}]" for e in elements]
    names += ["pe_drift_ev_per_atom_ps"] + [f"stress_drift_gpa_per_ps[{c}]" for c in VOIGT]
    names += [f"rdf_w1_a[{p}]" for p in rdf_pairs_present(elements, rdf_pairs)]
    if nve:
        names.append("nve_drift_mev_per_atom_ps")
    if npt:
        names.append("npt_volume_drift_percent_per_ps")
    return names


def _frames_between(frame_time_ps: np.ndarray, window: tuple[float, float]) -> np.ndarray:
    return np.flatnonzero((frame_time_ps >= window[0] - 1e-9) & (frame_time_ps <= window[1] + 1e-9))


def analyse_md(
    result,
    *,
    early_window_ps: tuple[float, float],
    late_window_ps: tuple[float, float],
    running_average_ps: float,
    rdf_pairs: Sequence[str] = ("C-C", "H-H", "C-H", "I-I"),
    rdf_r_max_a: float = 6.0,
    rdf_bin_a: float = 0.02,
    bond_scale: float = 1.3,
    bond_persist_frames: int = 3,
) -> MDAnalysis:
    """Every metric in the module docstring (NaN where the run is too short to tell)."""
    from ase.data import atomic_numbers

    settings = result.settings
    dt_ps = settings.timestep_fs * 1e-3
    steps, frames = result.step_data, result.frame_data
    numbers, masses, pbc = np.asarray(result.numbers), np.asarray(result.masses), np.asarray(result.pbc)
    n_atoms = len(numbers)
    n_done = len(steps["potential_ev"])
    equilibration_steps = int(getattr(settings, "equilibration_steps", 0))
    t = (np.arange(1, n_done + 1) - equilibration_steps) * dt_ps  # 0 = start of production NVT
    segment = np.asarray(steps["segment"])
    nvt = segment == _SEGMENTS.index("nvt")
    nve = segment == _SEGMENTS.index("nve")
    npt = segment == _SEGMENTS.index("npt")
    nvt_end_ps = settings.nvt_steps * dt_ps
    half_ps = 0.5 * nvt_end_ps
    window = max(2, round(running_average_ps / dt_ps))
    scores: dict[str, float] = {}
    notes: dict[str, str] = {}
    curves: dict[str, Any] = {"t_ps": t, "segment": segment, "running_window_points": window}

    planned = equilibration_steps + settings.nvt_steps + settings.nve_steps + settings.npt_steps
    scores["completed_fraction"] = n_done / planned if planned else float("nan")

    second_half = nvt & (t >= half_ps)
    full_nvt_done = nvt.sum() >= settings.nvt_steps
    temperature = np.asarray(steps["temperature_k"])
    scores["temperature_deviation_fraction"] = (
        abs(float(temperature[second_half].mean()) - settings.temperature_k) / settings.temperature_k
        if full_nvt_done and second_half.any() else float("nan"))
    scores["min_distance_a"] = float(np.min(steps["min_distance_a"])) if n_done else float("nan")

    # energies and stress: running averages and their drift over the second half of NVT
    pe = np.asarray(steps["potential_ev"]) / n_atoms
    curves["pe_ev_per_atom"] = pe
    stress = np.asarray(steps["stress_gpa"]).reshape(-1, 6)
    curves["stress_gpa"] = stress
    if full_nvt_done:
        t_nvt = t[nvt]
        scores["pe_drift_ev_per_atom_ps"] = abs(running_average_drift(t_nvt, pe[nvt], window, half_ps))
        for k, c in enumerate(VOIGT):
            scores[f"stress_drift_gpa_per_ps[{c}]"] = abs(
                running_average_drift(t_nvt, stress[nvt, k], window, half_ps))
    else:
        scores["pe_drift_ev_per_atom_ps"] = float("nan")
        for c in VOIGT:
            scores[f"stress_drift_gpa_per_ps[{c}]"] = float("nan")
    if settings.nve_steps:
        etot = np.asarray(steps["total_ev"]) / n_atoms
        curves["total_ev_per_atom"] = etot
        scores["nve_drift_mev_per_atom_ps"] = (
            abs(linear_slope(t[nve], etot[nve])) * 1e3 if nve.sum() >= settings.nve_steps else float("nan"))
    if settings.npt_steps:
        volume = np.asarray(steps["volume_a3"])
        npt_t = t[npt]
        late = npt_t >= npt_t[0] + 0.5 * settings.npt_steps * dt_ps if npt.any() else npt_t > 0
        ok = npt.sum() >= settings.npt_steps
        scores["npt_volume_drift_percent_per_ps"] = (
            abs(linear_slope(npt_t[late], volume[npt][late])) / volume[0] * 100 if ok else float("nan"))

    # MSD per element over NVT frames (relative to the first frame, centre of mass removed)
    frame_t = (np.asarray(frames["frame_step"]) - equilibration_steps) * dt_ps
    positions = np.asarray(frames["positions_a"])
    cells = np.asarray(frames["cells_a"])
    nvt_frames = np.flatnonzero((frame_t >= -1e-9) & (frame_t <= nvt_end_ps + 1e-9))
    elements = element_order(numbers)
    curves["msd_t_ps"] = frame_t[nvt_frames]
    curves["msd_a2"] = {}
    if len(nvt_frames):
        disp = positions[nvt_frames] - positions[nvt_frames[0]]
        com = (disp * masses[None, :, None]).sum(axis=1) / masses.sum()
        disp -= com[:, None, :]
        sq = (disp ** 2).sum(axis=-1)
    for e in elements:
        mask = numbers == atomic_numbers[e]
        if not len(nvt_frames):
            scores[f"msd_a2[{e}]"] = scores[f"msd_slope_a2_per_ps[{e}]"] = float("nan")
            continue
        msd = sq[:, mask].mean(axis=1)
        curves["msd_a2"][e] = msd
        tt = frame_t[nvt_frames]
        if full_nvt_done:
            scores[f"msd_a2[{e}]"] = float(msd[tt >= 0.75 * nvt_end_ps - 1e-9].mean())
            scores[f"msd_slope_a2_per_ps[{e}]"] = linear_slope(tt[tt >= half_ps - 1e-9],
                                                               msd[tt >= half_ps - 1e-9])
        else:
            scores[f"msd_a2[{e}]"] = float(msd[-1])  # where it got to before stopping
            scores[f"msd_slope_a2_per_ps[{e}]"] = float("nan")

    # molecules: connectivity at the start vs the last frames
    start_bonds = bonds(positions[0], cells[0], pbc, numbers, bond_scale)
    start_molecules = molecules(n_atoms, start_bonds)
    last = list(range(max(1, len(positions) - bond_persist_frames), len(positions)))
    if last:
        end_bonds: set[tuple[int, int]] = set()
        for f in last:
            end_bonds |= bonds(positions[f], cells[f], pbc, numbers, bond_scale)
        end_molecules = set(molecules(n_atoms, end_bonds))
        changed = [m for m in start_molecules if m not in end_molecules]
        scores["molecules_changed"] = float(len(changed))
        broken = sorted(start_bonds - end_bonds)
        formed = sorted(end_bonds - start_bonds)
        if changed:
            def name(k: int) -> str:
                return f"{_symbol(numbers[k])}{k}"
            parts = [f"{len(changed)} of {len(start_molecules)} molecules changed"]
            if broken:
                parts.append("broken: " + ", ".join(f"{name(i)}-{name(j)}" for i, j in broken[:6])
                             + (" ..." if len(broken) > 6 else ""))
            if formed:
                parts.append("formed: " + ", ".join(f"{name(i)}-{name(j)}" for i, j in formed[:6])
                             + (" ..." if len(formed) > 6 else ""))
            notes["molecules_changed"] = "; ".join(parts)
    else:
        scores["molecules_changed"] = float("nan")
    curves["n_molecules"] = len(start_molecules)

    # RDFs: early vs late windows
    curves["rdf"] = {}
    early = _frames_between(frame_t, early_window_ps)
    late = _frames_between(frame_t, late_window_ps)
    for pair in rdf_pairs_present(elements, rdf_pairs):
        za, zb = (atomic_numbers[s] for s in pair.split("-"))
        if len(early) == 0 or len(late) == 0 or frame_t[-1] < late_window_ps[1] - 1e-9:
            scores[f"rdf_w1_a[{pair}]"] = float("nan")
            continue
        r, g_early = rdf(positions[early], cells[early], pbc, numbers, (za, zb), rdf_r_max_a, rdf_bin_a)
        _, g_late = rdf(positions[late], cells[late], pbc, numbers, (za, zb), rdf_r_max_a, rdf_bin_a)
        curves["rdf"][pair] = (r, g_early, g_late)
        scores[f"rdf_w1_a[{pair}]"] = wasserstein1(r, g_early, g_late)
    curves["early_window_ps"], curves["late_window_ps"] = early_window_ps, late_window_ps
    return MDAnalysis(scores, notes, curves)


# -- judgement ----------------------------------------------------------------------------
@dataclass
class MDEvaluation:
    """The scores, their judgements (key -> Judgement) and the tolerances used."""

    scores: dict[str, float]
    judgements: dict[str, Judgement]
    tolerances: dict[str, dict[str, Any]]
    notes: dict[str, str]
    analysis: MDAnalysis = field(repr=False)

    @property
    def passed(self) -> bool:
        return all(j.passed for j in self.judgements.values())


def _base_metric(key: str) -> str:
    return key.split("[", 1)[0]


def judge_md(analysis: MDAnalysis, tolerances: Mapping[str, Threshold], *, blew_up_at_step: int | None = None,
             reason: str | None = None) -> MDEvaluation:
    """Judge every score that has a tolerance. After a blow-up every check but
    ``completed_fraction`` fails with the step and the reason (its numbers describe a wreck)."""
    judgements: dict[str, Judgement] = {}
    used: dict[str, dict[str, Any]] = {}
    for key, value in analysis.scores.items():
        base = tolerances.get(_base_metric(key))
        if base is None:
            continue
        threshold = dataclasses.replace(base, metric=key)
        used[_base_metric(key)] = {"threshold": base.threshold, "unit": base.unit,
                                   "direction": base.direction, "rationale": base.rationale}
        judgement = threshold.judge(value)
        note = analysis.notes.get(key)
        if blew_up_at_step is not None:
            why = f"the run blew up at step {blew_up_at_step}: {reason}"
            judgement = dataclasses.replace(
                judgement, passed=False,
                message=(judgement.message if key == "completed_fraction"
                         else f"{key} not judged: {why}") + ("" if key != "completed_fraction" else f"; {why}"),
            )
        elif note:
            judgement = dataclasses.replace(judgement, message=f"{judgement.message}; {note}")
        judgements[key] = judgement
    return MDEvaluation(dict(analysis.scores), judgements, used, dict(analysis.notes), analysis)
