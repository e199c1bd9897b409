"""Statistics of an MD run and their judgement against declared tolerances (pure numpy).

Never runs a calculator. The inputs are the arrays of an MD result (per-step energies,
temperature, stress; positions and cells every few steps) -- any object with the
``step_data``, ``frame_data``, ``numbers``, ``masses``, ``pbc`` and ``settings``
attributes of :class:`insbench.physics.md.MDResult`.

Every statistic leaves out the equilibration segment (``settings.equilibration_steps``):
times count from the start of production NVT. The checks follow the 300 K validation MD
of arXiv:2603.05442 (per-element MSD, stress and potential energy, early vs late RDFs)
plus an NVE segment:

========================================  ============================================
metric                                    what it measures
========================================  ============================================
``completed_fraction``                    steps done / steps planned (1: no blow-up)
``temperature_deviation_fraction``        |<T> - target| / target over production NVT
``min_distance_a``                        shortest interatomic distance after equilibration
``molecules_changed``                     molecules with a bond broken or formed
``msd_a2[El]``                            mean MSD over the last quarter of production
``msd_slope_a2_per_ps[El]``               MSD slope over the second half of production
``pe_drift_ev_per_atom_ps``               |slope| of the potential energy (drift)
``stress_drift_gpa_per_ps[c]``            |slope| of each stress component (drift)
``rdf_w1_a[A-B]``                         W1 between early and late normalised g(r)
``nve_drift_mev_per_atom_ps``             |slope| of the NVE total energy (drift)
``npt_volume_drift_percent_per_ps``       |slope| of the NPT volume, second half (drift)
========================================  ============================================

A drift is judged against the run's own noise (:mod:`insbench.metrics.md_series`):
``|slope| <= max(k_sigma x stderr, floor)``, both numbers in the verdict. An RDF pair
with fewer pair distances than the declared minimum in either window is *not judged*
(reported, with its count), never silently passed. Every RDF verdict also states its
sampling noise: the W1 between the RDFs of the two halves of each window.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any

import numpy as np

from insbench.physics.molecules import bonds_of_frame, components

from .distances import wasserstein1
from .md_series import SlopeFit, running_average, running_std, running_times, slope_with_error
from .md_tolerances import DriftTolerance, Tolerance
from .thresholds import Judgement

__all__ = ["VOIGT", "MDAnalysis", "MDEvaluation", "analyse_md", "check_names", "judge_md", "pair_distances",
           "rdf", "running_average", "running_std", "running_times"]

VOIGT = ("xx", "yy", "zz", "yz", "xz", "xy")
#: The codes of ``MDResult.step_data["segment"]`` (``insbench.physics.md.SEGMENTS``; a test keeps them equal).
SEGMENTS = ("equilibration", "nvt", "nve", "npt")
_EPS_PS = 1e-9


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


def rdf(frames: np.ndarray, cells: np.ndarray, pbc: Sequence[bool], numbers: np.ndarray, pair: tuple[int, int],
        r_max: float, bin_a: float) -> tuple[np.ndarray, np.ndarray, int]:
    """g(r) of element pair ``pair`` (atomic numbers) averaged over ``frames``: (r centres, g, count).

    ``count`` is the number of pair distances below ``r_max`` summed over the frames: the
    sample the curve is made of.
    """
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
        return centres, np.zeros_like(centres), 0
    shell = 4.0 / 3.0 * np.pi * (edges[1:] ** 3 - edges[:-1] ** 3)
    same = pair[0] == pair[1]
    norm = (len(a) / (2.0 if same else 1.0)) * (density_sum / len(frames)) * shell * len(frames)
    if same:  # counts hold each unordered pair once; len(b) includes the atom itself
        norm *= (len(b) - 1) / len(b) if len(b) > 1 else 1.0
    return centres, counts / norm, int(counts.sum())


def _split_half_w1(frames: np.ndarray, cells: np.ndarray, pbc, numbers, pair, r_max: float, bin_a: float) -> float:
    """W1 between the RDFs of the first and second half of a window's frames: its sampling noise
    (NaN with fewer than 2 frames or no distances)."""
    half = len(frames) // 2
    if half < 1:
        return float("nan")
    r, g_a, n_a = rdf(frames[:half], cells[:half], pbc, numbers, pair, r_max, bin_a)
    _, g_b, n_b = rdf(frames[half:], cells[half:], pbc, numbers, pair, r_max, bin_a)
    return wasserstein1(r, g_a, g_b, unit="Angstrom") if min(n_a, n_b) else float("nan")


def changed_bonds(frames: Sequence[tuple[np.ndarray, np.ndarray]], pbc: Sequence[bool], numbers: np.ndarray,
                  start_bonds: set[tuple[int, int]], *, break_scale: float, form_scale: float
                  ) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    """``(broken, formed)`` bonds that stay so in every one of ``frames`` ((positions, cell) pairs).

    A start bond is broken beyond ``break_scale`` x (sum of covalent radii); a pair not
    bonded at the start has formed a bond below ``form_scale`` x that sum. The gap between
    the two scales is a hysteresis: a bond vibrating or a close contact (I...I at 1.2 x)
    is neither.
    """
    broken: set[tuple[int, int]] | None = None
    formed: set[tuple[int, int]] | None = None
    for positions, cell in frames:
        still = bonds_of_frame(positions, cell, pbc, numbers, break_scale)
        close = bonds_of_frame(positions, cell, pbc, numbers, form_scale)
        b, f = start_bonds - still, close - start_bonds
        broken = b if broken is None else broken & b
        formed = f if formed is None else formed & f
    return broken or set(), formed or set()


# -- a whole run --------------------------------------------------------------------------
@dataclass
class MDAnalysis:
    """Every score of one run, the statistics behind them, and the curves the plots draw."""

    scores: dict[str, float]
    notes: dict[str, str]
    curves: dict[str, Any] = field(repr=False)
    drift: dict[str, SlopeFit] = field(default_factory=dict)
    rdf_pair_counts: dict[str, dict[str, int]] = field(default_factory=dict)
    rdf_sampling_w1: dict[str, dict[str, float]] = field(default_factory=dict)
    not_judged: dict[str, str] = field(default_factory=dict)


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
    """The checked numbers for a system with these elements (benchmark test ids)."""
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
    return np.flatnonzero((frame_time_ps >= window[0] - _EPS_PS) & (frame_time_ps <= window[1] + _EPS_PS))


def _drift(analysis: MDAnalysis, key: str, t: np.ndarray, y: np.ndarray, complete: bool, scale: float = 1.0) -> None:
    fit = slope_with_error(t, y * scale) if complete else slope_with_error(t[:0], y[:0])
    analysis.drift[key] = fit
    analysis.scores[key] = abs(fit.slope)


def analyse_md(
    result,
    *,
    early_window_ps: tuple[float, float],
    late_window_ps: tuple[float, float],
    running_average_ps: float,
    rdf_pairs: Sequence[str] = ("C-C", "H-H", "C-H", "I-I"),
    rdf_r_max_a: float = 6.0,
    rdf_bin_a: float = 0.02,
    rdf_min_pair_counts: int = 1,
    bond_scale: float = 1.1,
    bond_break_scale: float = 1.3,
    bond_form_scale: float = 1.0,
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
    n_equilibration = int(getattr(settings, "equilibration_steps", 0))
    t = (np.arange(1, n_done + 1) - n_equilibration) * dt_ps  # 0 = start of production NVT
    segment = np.asarray(steps["segment"])
    nvt, nve, npt = (segment == SEGMENTS.index(s) for s in ("nvt", "nve", "npt"))
    after_equilibration = segment != SEGMENTS.index("equilibration")
    nvt_end_ps = settings.nvt_steps * dt_ps
    half_ps = 0.5 * nvt_end_ps
    window = max(2, round(running_average_ps / dt_ps))
    curves: dict[str, Any] = {"t_ps": t, "segment": segment, "running_window_points": window}
    analysis = MDAnalysis({}, {}, curves)
    scores, notes = analysis.scores, analysis.notes

    planned = settings.total_steps
    scores["completed_fraction"] = n_done / planned if planned else float("nan")

    full_nvt_done = nvt.sum() >= settings.nvt_steps
    temperature = np.asarray(steps["temperature_k"])
    scores["temperature_deviation_fraction"] = (
        abs(float(temperature[nvt].mean()) - settings.temperature_k) / settings.temperature_k
        if full_nvt_done else float("nan"))
    distances = np.asarray(steps["min_distance_a"])[after_equilibration]
    scores["min_distance_a"] = float(np.min(distances)) if len(distances) else float("nan")

    # drifts: least-squares slopes with autocorrelation-aware errors, production only
    pe = np.asarray(steps["potential_ev"]) / n_atoms
    stress = np.asarray(steps["stress_gpa"]).reshape(-1, 6)
    curves["pe_ev_per_atom"], curves["stress_gpa"] = pe, stress
    _drift(analysis, "pe_drift_ev_per_atom_ps", t[nvt], pe[nvt], full_nvt_done)
    for k, c in enumerate(VOIGT):
        _drift(analysis, f"stress_drift_gpa_per_ps[{c}]", t[nvt], stress[nvt, k], full_nvt_done)
    if settings.nve_steps:
        etot = np.asarray(steps["total_ev"]) / n_atoms
        curves["total_ev_per_atom"] = etot
        _drift(analysis, "nve_drift_mev_per_atom_ps", t[nve], etot[nve], nve.sum() >= settings.nve_steps, 1e3)
    if settings.npt_steps:
        volume = np.asarray(steps["volume_a3"])
        npt_t = t[npt]
        late = npt_t >= npt_t[0] + 0.5 * settings.npt_steps * dt_ps if npt.any() else npt_t > 0
        _drift(analysis, "npt_volume_drift_percent_per_ps", npt_t[late], volume[npt][late],
               npt.sum() >= settings.npt_steps, 100.0 / volume[0] if len(volume) else 1.0)

    # MSD per element over production frames (from the first one, centre of mass removed)
    frame_t = (np.asarray(frames["frame_step"]) - n_equilibration) * dt_ps
    positions = np.asarray(frames["positions_a"])
    cells = np.asarray(frames["cells_a"])
    production = np.flatnonzero((frame_t >= -_EPS_PS) & (frame_t <= nvt_end_ps + _EPS_PS))
    elements = element_order(numbers)
    curves["msd_t_ps"] = frame_t[production]
    curves["msd_a2"] = {}
    if len(production):
        disp = positions[production] - positions[production[0]]
        com = (disp * masses[None, :, None]).sum(axis=1) / masses.sum()
        sq = ((disp - com[:, None, :]) ** 2).sum(axis=-1)
    tt = frame_t[production]
    for e in elements:
        if not len(production):
            scores[f"msd_a2[{e}]"] = scores[f"msd_slope_a2_per_ps[{e}]"] = float("nan")
            continue
        msd = sq[:, numbers == atomic_numbers[e]].mean(axis=1)
        curves["msd_a2"][e] = msd
        if full_nvt_done:
            scores[f"msd_a2[{e}]"] = float(msd[tt >= 0.75 * nvt_end_ps - _EPS_PS].mean())
            second = tt >= half_ps - _EPS_PS
            scores[f"msd_slope_a2_per_ps[{e}]"] = slope_with_error(tt[second], msd[second]).slope
        else:
            scores[f"msd_a2[{e}]"] = float(msd[-1])  # where it got to before stopping
            scores[f"msd_slope_a2_per_ps[{e}]"] = float("nan")

    # molecules: the start's covalent topology vs the last frames, with a hysteresis
    start_bonds = bonds_of_frame(positions[0], cells[0], pbc, numbers, bond_scale)
    start_molecules = components(n_atoms, start_bonds)
    curves["n_molecules"] = len(start_molecules)
    last = range(max(1, len(positions) - bond_persist_frames), len(positions))
    broken, formed = changed_bonds([(positions[f], cells[f]) for f in last], pbc, numbers, start_bonds,
                                   break_scale=bond_break_scale, form_scale=bond_form_scale)
    molecule_of = np.empty(n_atoms, dtype=int)
    for k, members in enumerate(start_molecules):
        molecule_of[members] = k
    changed = {int(molecule_of[a]) for pair in broken | formed for a in pair}
    scores["molecules_changed"] = float(len(changed)) if len(last) else float("nan")
    if changed:
        def name(k: int) -> str:
            return f"{_symbol(numbers[k])}{k}"

        parts = [f"{len(changed)} of {len(start_molecules)} molecules changed"]
        for word, found in (("broken", sorted(broken)), ("formed", sorted(formed))):
            if found:
                parts.append(f"{word}: " + ", ".join(f"{name(i)}-{name(j)}" for i, j in found[:6])
                             + (" ..." if len(found) > 6 else ""))
        notes["molecules_changed"] = "; ".join(parts)

    # RDFs: early vs late windows of production, judged only with enough pair distances
    curves["rdf"] = {}
    early, late = _frames_between(frame_t, early_window_ps), _frames_between(frame_t, late_window_ps)
    reached = len(frame_t) > 0 and frame_t[-1] >= late_window_ps[1] - _EPS_PS
    for pair in rdf_pairs_present(elements, rdf_pairs):
        key = f"rdf_w1_a[{pair}]"
        za, zb = (atomic_numbers[s] for s in pair.split("-"))
        if not (len(early) and len(late) and reached):
            scores[key] = float("nan")
            continue
        r, g_early, n_early = rdf(positions[early], cells[early], pbc, numbers, (za, zb), rdf_r_max_a, rdf_bin_a)
        _, g_late, n_late = rdf(positions[late], cells[late], pbc, numbers, (za, zb), rdf_r_max_a, rdf_bin_a)
        analysis.rdf_pair_counts[pair] = {"early": n_early, "late": n_late}
        curves["rdf"][pair] = (r, g_early, g_late)
        scores[key] = wasserstein1(r, g_early, g_late, unit="Angstrom") if min(n_early, n_late) else float("nan")
        halves = [_split_half_w1(positions[w], cells[w], pbc, numbers, (za, zb), rdf_r_max_a, rdf_bin_a)
                  for w in (early, late)]
        analysis.rdf_sampling_w1[pair] = {"early": halves[0], "late": halves[1]}
        notes[key] = (f"sampling noise: W1 between the halves of each window {halves[0]:.3g} (early), "
                      f"{halves[1]:.3g} (late) Angstrom; {min(n_early, n_late)} pair distances per window")
        if min(n_early, n_late) < rdf_min_pair_counts:
            analysis.not_judged[key] = (
                f"{key} not judged: {min(n_early, n_late)} {pair} pair distances < {rdf_r_max_a:g} Angstrom in "
                f"the {'early' if n_early <= n_late else 'late'} window, fewer than the declared minimum "
                f"{rdf_min_pair_counts} (W1 = {scores[key]:.3g} Angstrom, for information)")
    curves["early_window_ps"], curves["late_window_ps"] = early_window_ps, late_window_ps
    return analysis


# -- judgement ----------------------------------------------------------------------------
@dataclass
class MDEvaluation:
    """The scores, their judgements (key -> Judgement), what was not judged and why, the tolerances used."""

    scores: dict[str, float]
    judgements: dict[str, Judgement]
    tolerances: dict[str, dict[str, Any]]
    notes: dict[str, str]
    analysis: MDAnalysis = field(repr=False)
    not_judged: dict[str, str] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(j.passed for j in self.judgements.values())

    def statistics(self) -> dict[str, Any]:
        """The numbers behind the verdicts: each drift's slope, stderr, tau and n_effective; RDF pair counts."""
        return {
            "drift": {k: fit.to_dict() for k, fit in self.analysis.drift.items()},
            "rdf_pair_counts": dict(self.analysis.rdf_pair_counts),
            "rdf_sampling_w1_a": dict(self.analysis.rdf_sampling_w1),
            "not_judged": dict(self.not_judged),
        }

    def summary_line(self) -> str:
        """'17/19 passed; not judged: 1 pair (I-I)' style."""
        passed = sum(j.passed for j in self.judgements.values())
        line = f"{passed}/{len(self.judgements)} passed"
        if self.not_judged:
            pairs = [k.split("[", 1)[1].rstrip("]") for k in self.not_judged]
            line += f"; not judged: {len(pairs)} pair{'s' if len(pairs) > 1 else ''} ({', '.join(pairs)})"
        return line


def _base_metric(key: str) -> str:
    return key.split("[", 1)[0]


def judge_md(analysis: MDAnalysis, tolerances: Mapping[str, Tolerance], *, blew_up_at_step: int | None = None,
             reason: str | None = None) -> MDEvaluation:
    """Judge every score that has a tolerance.

    A drift is judged against this run's noise (``max(k_sigma x stderr, floor)``). An RDF
    pair with too few pair distances goes to ``not_judged`` with its reason. After a
    blow-up every check fails with the step and the reason (its numbers describe a wreck).
    """
    judgements: dict[str, Judgement] = {}
    used: dict[str, dict[str, Any]] = {}
    not_judged: dict[str, str] = {}
    for key, value in analysis.scores.items():
        base = tolerances.get(_base_metric(key))
        if base is None:
            continue
        tolerance = dataclasses.replace(base, metric=key)
        used[_base_metric(key)] = base.to_dict() if isinstance(base, DriftTolerance) else {
            "threshold": base.threshold, "unit": base.unit, "direction": base.direction, "rationale": base.rationale}
        if isinstance(tolerance, DriftTolerance):
            fit = analysis.drift.get(key)
            judgement = tolerance.judge(value, fit)
            if fit is not None and math.isfinite(fit.n_effective):
                judgement = dataclasses.replace(judgement, message=(
                    f"{judgement.message}; slope {fit.slope:.3g} over {fit.t_start_ps:.3g}-{fit.t_end_ps:.3g} ps, "
                    f"n_effective {fit.n_effective:.1f}" + ("" if fit.tau_reliable else " (the run is < 50 "
                                                           "correlation times: its stderr is a rough one)")))
        else:
            judgement = tolerance.judge(value)
        if blew_up_at_step is not None:
            why = f"the run blew up at step {blew_up_at_step}: {reason}"
            judgement = dataclasses.replace(
                judgement, passed=False,
                message=(f"{judgement.message}; {why}" if key == "completed_fraction"
                         else f"{key} not judged: {why}"))
        elif key in analysis.not_judged:
            not_judged[key] = analysis.not_judged[key]
            continue
        elif analysis.notes.get(key):
            judgement = dataclasses.replace(judgement, message=f"{judgement.message}; {analysis.notes[key]}")
        judgements[key] = judgement
    notes = {**analysis.notes, **not_judged}  # records keep the notes: a pair not judged is said there too
    return MDEvaluation(dict(analysis.scores), judgements, used, notes, analysis, not_judged)
