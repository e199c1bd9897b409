"""Computed GFN2-xTB reference for 2,5-diiodothiophene at 0 and 1.5 GPa, and the fixture.

Everything this script makes is COMPUTED (GFN2-xTB on a PREDICTED structure); it
is a reference for how the physics pipeline behaves on this system, not a
measurement. Stages (one command; each stage checkpoints in ``--work-dir`` and is
skipped on a rerun when its output exists):

1. relax the predicted structure (``scripts/predict_structure.py``) with GFN2-xTB
   (tblite, registry name ``gfn2-xtb``: a fresh SCF per geometry) at 0 GPa, then
   the 0 GPa result at 1.5 GPa (same energy basin, so modes can be tracked); cell and positions free (FrechetCellFilter), space
   group kept (FixSymmetry), BFGS in chunks of ``--chunk`` steps with the structure
   saved after each chunk;
2. phonopy finite displacements with symmetry at each pressure, forces saved after
   every displaced cell; force constants written as ``phonopy_<P>gpa.yaml``;
3. TOSCA spectra at 10 K with ``insbench.physics.ins.simulate_ins`` (abinslib almost-
   isotropic incoherent approximation, orders 1+2, resins TOSCA AbINS resolution,
   both banks), written as Mantid-ASCII-like text (X, Y, E with E = 0);
4. Gamma-mode analysis (``insbench.physics.modes``), mode tracking 0 -> 1.5 GPa
   (``insbench.metrics.mode_tracking``) and a computed peak table;
5. the fixture ``reference_data/diiodothiophene/1.0.0``: files copied, manifest
   written with sha256 checksums and validated with the strict loader.

Usage::

    python scripts/compute_reference_diiodothiophene.py \\
        --prediction-dir ~/.cache/insbench/structure-prediction/diiodothiophene \\
        [--work-dir DIR] [--fixture-dir reference_data/diiodothiophene/1.0.0] \\
        [--supercell 1 1 1] [--fmax 0.01] [--only relax|phonons|spectra|analysis|fixture]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

import numpy as np
from ase.io import read, write

REPO = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("INSBENCH_CACHE_DIR", Path.home() / ".cache" / "insbench"))
DEFAULT_PREDICTION = CACHE / "structure-prediction" / "diiodothiophene"
DEFAULT_WORK = CACHE / "reference-diiodothiophene"
DEFAULT_FIXTURE = REPO / "reference_data" / "diiodothiophene" / "1.0.0"
PRESSURES_GPA = (0.0, 1.5)
TEMPERATURE_K = 10.0
ENERGY_WINDOW_CM1 = (10.0, 1200.0)
SCORING_WINDOWS_CM1 = {"lattice": (10.0, 200.0), "internal": (200.0, 1200.0)}
ARXIV = "arXiv:2603.05442"
ARXIV_CITATION = ("J. Armstrong, A. Jackson, A. Elena, 'High-Pressure Inelastic Neutron Spectroscopy: "
                  "A true test of Machine-Learned Interatomic Potential energy landscapes', "
                  "arXiv:2603.05442 (2026)")
PARKER_CITATION = ("S. F. Parker, J. L. Parker, M. Jura, 'Structure and Vibrational Spectra of "
                   "2,5-Diiodothiophene: A Model for Polythiophene', J. Phys. Chem. C 121 (2017)")


def log(message: str) -> None:
    print(time.strftime("%H:%M:%S"), message, flush=True)


def ptag(pressure_gpa: float) -> str:
    return f"{pressure_gpa:g}gpa"


def write_json(path: Path, data) -> None:
    from insbench._io import write_json_atomic

    write_json_atomic(path, data)


# --------------------------------------------------------------------------- 1. relax


def relax_stage(start_file: Path, pressure: float, work: Path, fmax: float, chunk: int, max_steps: int,
                model: str = "gfn2-xtb") -> Path:
    from insbench.models import make_calculator, resolve_mlip
    from insbench.physics.relax import RelaxSettings, relax

    out = work / f"relax_{ptag(pressure)}"
    done = out / "relaxed.extxyz"
    if done.is_file():
        return done
    out.mkdir(parents=True, exist_ok=True)
    progress_file = out / "progress.json"
    progress = json.loads(progress_file.read_text()) if progress_file.is_file() else {
        "chunks": [], "steps": 0, "seconds": 0.0}
    current = out / "current.extxyz"
    atoms = read(current if current.is_file() else start_file)
    volume_start = progress.get("volume_start_a3", atoms.get_volume())
    progress["volume_start_a3"] = volume_start
    settings = RelaxSettings(pressure_gpa=pressure, cell_mode="relaxed-cell", fmax_ev_a=fmax, max_steps=chunk,
                             optimizer="BFGS", keep_symmetry=True, symprec_a=1e-3)
    while progress["steps"] < max_steps:
        calc = make_calculator(resolve_mlip(model))
        started = time.perf_counter()
        result = relax(atoms, calc, settings)
        seconds = time.perf_counter() - started
        atoms = result.atoms
        write(current, atoms, format="extxyz")
        progress["steps"] += result.n_steps
        progress["seconds"] += seconds
        progress["chunks"].append({**result.summary(), "seconds": seconds})
        write_json(progress_file, progress)
        log(f"relax {pressure:g} GPa: {progress['steps']} steps, fmax {result.fmax_final_ev_a:.4f} eV/A, "
            f"V {result.volume_a3:.2f} A3, {seconds:.0f} s this chunk")
        if result.converged:
            break
    summary = {**progress["chunks"][-1], "pressure_gpa": pressure, "total_steps": progress["steps"],
               "total_seconds": progress["seconds"], "volume_start_a3": volume_start,
               "converged": bool(progress["chunks"][-1]["converged"]), "settings": settings.to_dict()}
    write_json(out / "relax.json", summary)
    write(done, atoms, format="extxyz")
    return done


# --------------------------------------------------------------------------- 2. phonons


def phonon_stage(structure_file: Path, pressure: float, work: Path, supercell: tuple[int, int, int],
                 displacement: float, model: str = "gfn2-xtb") -> Path:
    from insbench.models import make_calculator, resolve_mlip
    from insbench.physics.phonons import (
        PhononSettings,
        displaced_forces,
        make_phonopy,
        produce_force_constants,
        save_phonopy,
        summarise,
    )

    out = work / f"phonons_{ptag(pressure)}"
    yaml = out / f"phonopy_{ptag(pressure)}.yaml"
    if yaml.is_file():
        return yaml
    out.mkdir(parents=True, exist_ok=True)
    atoms = read(structure_file)
    settings = PhononSettings(supercell_diagonal=supercell, displacement_a=displacement, symprec_a=1e-3,
                              plus_minus=True)
    phonon = make_phonopy(atoms, settings)
    checkpoint = out / "forces.npz"
    done = list(np.load(checkpoint)["forces"]) if checkpoint.is_file() else []
    n_total = len(phonon.supercells_with_displacements)
    log(f"phonons {pressure:g} GPa: {n_total} displaced cells of {len(phonon.supercell)} atoms, "
        f"{len(done)} done; space group {phonon.symmetry.get_international_table()}")
    timing_file = out / "timing.json"
    timing = json.loads(timing_file.read_text()) if timing_file.is_file() else {"seconds": 0.0}
    last = [time.perf_counter()]

    def save(index: int, forces: np.ndarray) -> None:
        from insbench._io import save_npz_atomic

        save_npz_atomic(checkpoint, forces=forces)
        now = time.perf_counter()
        timing["seconds"] += now - last[0]
        last[0] = now
        write_json(timing_file, timing)
        if (index + 1) % 6 == 0 or index + 1 == n_total:
            log(f"phonons {pressure:g} GPa: {index + 1}/{n_total} displaced cells")

    # one calculator for all cells: FreshXTBCalculator runs a fresh SCF per geometry
    # and rechecks any energy jump with a second initial guess
    calc = make_calculator(resolve_mlip(model))
    forces = displaced_forces(phonon, calc, done=done, checkpoint=save)
    produce_force_constants(phonon, forces)
    summary = summarise(phonon, n_reused=len(done)).to_dict()
    summary.update(settings=settings.to_dict(), force_seconds=timing["seconds"], pressure_gpa=pressure)
    write_json(out / "phonons.json", summary)
    save_phonopy(phonon, yaml)
    log(f"phonons {pressure:g} GPa: Gamma lowest {sorted(summary['gamma_frequencies_cm1'])[:6]} cm-1, "
        f"{summary['n_imaginary_gamma_modes']} imaginary")
    return yaml


# --------------------------------------------------------------------------- 3. spectra


def ins_settings(mesh: tuple[int, int, int] | None = None):
    """TOSCA at 10 K; ``mesh`` None means the q-spacing rule of insbench.physics.ins."""
    from insbench.physics.ins import INSSettings, InstrumentSpec

    return INSSettings(mesh=mesh, instrument=InstrumentSpec(name="TOSCA", version="TOSCA", resolution_model="AbINS",
                                                 banks=("Backward", "Forward")),
                       temperature_k=TEMPERATURE_K, energy_max_cm1=1300.0, bin_width_cm1=1.0,
                       q_spacing_inv_a=0.35, orders=(1, 2))


def spectrum_stage(yaml: Path, pressure: float, work: Path, mesh: tuple[int, int, int] | None) -> Path:
    from insbench.physics.ins import simulate_ins
    from insbench.physics.phonons import load_force_constants

    out = work / f"spectrum_{ptag(pressure)}"
    target = out / f"spectrum_computed_{ptag(pressure)}.txt"
    if target.is_file():
        return target
    out.mkdir(parents=True, exist_ok=True)
    fc = load_force_constants(yaml.parent, yaml.name)
    settings = ins_settings(mesh)
    started = time.perf_counter()
    result = simulate_ins(fc, settings)
    seconds = time.perf_counter() - started
    s = result.spectrum.window(*ENERGY_WINDOW_CM1)
    lines = [
        "# COMPUTED (not measured): simulated TOSCA INS spectrum of 2,5-diiodothiophene",
        f"# pressure_gpa {pressure:g}, temperature_k {TEMPERATURE_K:g}; GFN2-xTB (tblite) force constants on a",
        "# PREDICTED crystal structure; abinslib almost-isotropic incoherent approximation, orders 1+2,",
        "# resins TOSCA AbINS resolution, Backward + Forward banks summed. Intensity arbitrary; E column is 0.",
        f"# q-mesh {list(result.mesh)}, min frequency on mesh {result.min_frequency_cm1:.2f} cm-1",
        "# X (energy transfer, cm-1), Y (intensity, arbitrary), E (0)",
    ]
    lines += [f"{x:.2f}, {y:.8e}, 0" for x, y in zip(s.energy_cm1, s.intensity)]
    target.write_text("\n".join(lines) + "\n")
    write_json(out / "spectrum.json", {"seconds": seconds, "mesh": list(result.mesh), "n_qpoints": result.n_qpoints,
                                       "min_frequency_cm1": result.min_frequency_cm1,
                                       "n_imaginary_modes": result.n_imaginary_modes,
                                       "settings": settings.to_dict(),
                                       "components": {k: v.tolist() for k, v in result.components.items()},
                                       "energy_cm1": result.spectrum.energy_cm1.tolist()})
    log(f"spectrum {pressure:g} GPa: mesh {result.mesh}, {seconds:.0f} s, "
        f"{result.n_imaginary_modes} imaginary mode-q points")
    return target


# --------------------------------------------------------------------------- 4. analysis


def analysis_stage(yamls: dict[float, Path], spectra: dict[float, Path], work: Path) -> dict:
    import phonopy

    from insbench.metrics.mode_tracking import blue_shift_fraction, track_modes
    from insbench.metrics.peaks import pick_peaks
    from insbench.physics.ins import InstrumentSpec
    from insbench.physics.modes import assign_modes, atoms_from_phonopy, gamma_modes_from_phonopy
    from insbench.reference.parsers import read_mantid_ascii

    out = work / "analysis"
    out.mkdir(parents=True, exist_ok=True)
    p0, p1 = PRESSURES_GPA
    data = {}
    for p in PRESSURES_GPA:
        phonon = phonopy.load(str(yamls[p]), produce_fc=True, log_level=0)
        atoms = atoms_from_phonopy(phonon)
        freqs, vecs = gamma_modes_from_phonopy(phonon)
        data[p] = (atoms, freqs, vecs, assign_modes(atoms, freqs, vecs))
    a0, f0, e0, t0 = data[p0]
    a1, f1, e1, t1 = data[p1]
    tracking = track_modes(f0, e0, f1, e1, labels=t0.labels, masses=a0.get_masses(), cell_p0=np.asarray(a0.cell),
                           cell_p1=np.asarray(a1.cell), numbers_p0=a0.numbers, numbers_p1=a1.numbers,
                           pressure_p0_gpa=p0, pressure_p1_gpa=p1)
    rows = []
    for mode, tr in zip(t0.modes, tracking.modes):
        m1 = t1.modes[tr.index_p1]
        rows.append({
            "mode": mode.index, "frequency_0gpa_cm1": round(mode.frequency_cm1, 2),
            "frequency_1.5gpa_cm1": round(m1.frequency_cm1, 2), "shift_cm1": round(tr.shift_cm1, 2),
            "overlap": round(tr.overlap, 4), "character": mode.character, "label": mode.label,
            "second_label": mode.second_label if mode.character == "internal" else mode.internal_label,
            "translation": round(mode.translation, 3), "libration": round(mode.libration, 3),
            "internal": round(mode.internal, 3), "lib_long": round(mode.lib_long, 3), "lib_mid": round(mode.lib_mid, 3),
            "lib_normal": round(mode.lib_normal, 3), "ins_weight_barn_per_amu": round(mode.ins_weight, 5),
            "label_1.5gpa": m1.label,
        })
    with open(out / "modes_computed.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    # peaks of the computed spectra, each attributed to the Gamma modes under it
    instrument = InstrumentSpec()
    peak_tables = {}
    for p in PRESSURES_GPA:
        spectrum = read_mantid_ascii(spectra[p])
        peak_tables[p] = pick_peaks(spectrum, ENERGY_WINDOW_CM1, prominence_fraction=0.02, min_separation_cm1=4.0)
    peaks = []
    weights = np.array([m.ins_weight for m in t0.modes])
    shifts = tracking.shifts_cm1
    freq0 = np.array([m.frequency_cm1 for m in t0.modes])
    pos1 = peak_tables[p1].positions_cm1
    for position, height, prominence in zip(peak_tables[p0].positions_cm1, peak_tables[p0].heights,
                                           peak_tables[p0].relative_prominences):
        sigma = float(np.mean([instrument.sigma_cm1(np.array([position]), b)[0] for b in instrument.banks]))
        half = max(3.0, 2.355 * sigma)  # modes within one FWHM of the peak
        under = np.flatnonzero(np.abs(freq0 - position) <= half)
        entry = {"position_0gpa_cm1": round(float(position), 1), "relative_prominence_0gpa": round(float(prominence), 3),
                 "resolution_fwhm_cm1": round(2.355 * sigma, 1), "gamma_modes": []}
        if under.size and weights[under].sum() > 0:
            w = weights[under]
            mean_shift = float((w * shifts[under]).sum() / w.sum())
            dominant = int(under[np.argmax(w)])
            entry.update(
                dominant_mode=dominant, dominant_label=t0.modes[dominant].label,
                dominant_character=t0.modes[dominant].character,
                dominant_shift_cm1=round(float(shifts[dominant]), 2),
                weighted_mean_shift_cm1=round(mean_shift, 2),
                gamma_modes=[{"mode": int(k), "frequency_cm1": round(float(freq0[k]), 1), "label": t0.modes[k].label,
                              "ins_weight": round(float(weights[k]), 5), "shift_cm1": round(float(shifts[k]), 2),
                              "overlap": round(float(tracking.modes[k].overlap), 3)} for k in under],
            )
            if pos1.size:
                expected = position + mean_shift
                nearest = float(pos1[np.argmin(np.abs(pos1 - expected))])
                if abs(nearest - expected) <= half:
                    entry["position_1.5gpa_cm1"] = round(nearest, 1)
                    entry["peak_shift_cm1"] = round(nearest - float(position), 1)
        else:
            entry["note"] = ("no Gamma mode within one FWHM: the peak comes from dispersion away from Gamma "
                             "or from order-2 (overtone/combination) intensity")
        peaks.append(entry)
    window = (200.0, 1200.0)
    in_window = (freq0 >= window[0]) & (freq0 <= window[1])
    near_453 = [r for r in rows if 380.0 <= r["frequency_0gpa_cm1"] <= 520.0]
    summary = {
        "kind": "computed",
        "note": ("COMPUTED with GFN2-xTB on a PREDICTED structure; positions are not measured. Peak positions "
                 "are maxima of the simulated TOSCA spectra (pick_peaks: prominence >= 2% of range, 4 cm-1 "
                 "separation); 'gamma_modes' are Gamma-point modes within one resolution FWHM of the peak, "
                 "with their 0 -> 1.5 GPa shift from eigenvector-overlap tracking."),
        "peaks_0gpa_cm1": peak_tables[p0].to_dict(),
        "peaks_1.5gpa_cm1": peak_tables[p1].to_dict(),
        "peaks": peaks,
        "gamma_modes_380_520_cm1": near_453,
        "blue_shift_fraction": {
            "all_modes_above_10_cm1": blue_shift_fraction(shifts[freq0 > 10.0]),
            "ins_weighted_200_1200_cm1": blue_shift_fraction(shifts[in_window], weights[in_window]),
            "ins_weighted_10_1200_cm1": blue_shift_fraction(shifts[(freq0 > 10) & (freq0 <= 1200)],
                                                            weights[(freq0 > 10) & (freq0 <= 1200)]),
        },
        "tracking_overlap": {"min": float(tracking.overlaps.min()), "median": float(np.median(tracking.overlaps)),
                             "n_below_0.5": int((tracking.overlaps < 0.5).sum())},
    }
    write_json(out / "peaks_computed.json", summary)
    log(f"blue-shift fractions: {summary['blue_shift_fraction']}")
    for r in near_453:
        log(f"  mode {r['mode']}: {r['frequency_0gpa_cm1']} -> {r['frequency_1.5gpa_cm1']} cm-1 "
            f"({r['shift_cm1']:+.2f}), {r['label']}, w={r['ins_weight_barn_per_amu']}, overlap {r['overlap']}")
    return summary


# --------------------------------------------------------------------------- 5. fixture


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def package_versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("tblite", "phonopy", "euphonic", "abinslib", "resins", "ase", "spglib", "pyxtal", "sevenn",
                 "torch", "dftd3", "numpy", "scipy"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def write_claims(path: Path) -> None:
    claims = {
        "kind_note": ("Statements about MEASURED data, paraphrased from the abstract of arXiv:2603.05442 (v1, "
                      "5 Mar 2026). They are the authors' claims, not data: the measured spectra and peak "
                      "tables are not available to insbench. Numbers appear only where the abstract states them."),
        "source": {"citation": ARXIV_CITATION, "arxiv": ARXIV, "url": "https://arxiv.org/abs/2603.05442",
                   "part": "abstract"},
        "claims": [
            {"id": "conditions", "statement": "INS spectra of crystalline 2,5-diiodothiophene were measured at "
             "10 K at ambient pressure and at 1.5 GPa (TOSCA, ISIS; high-pressure clamp cell).",
             "temperature_k": 10, "pressures_gpa": [0.0, 1.5], "source": f"{ARXIV} abstract"},
            {"id": "energy_range", "statement": "The spectra compared cover 0-1200 cm-1 at both pressures.",
             "energy_range_cm1": [0, 1200], "source": f"{ARXIV} abstract"},
            {"id": "blue_shifts", "statement": "Pressure induces systematic blue shifts (attributed by the "
             "authors to steric stiffening).", "sign": "blue (predominant)", "source": f"{ARXIV} abstract"},
            {"id": "red_shift_453", "statement": "The band at 453 cm-1 shows an anomalous red shift at 1.5 GPa "
             "(attributed by the authors to pressure-modified intermolecular interactions).",
             "band_cm1": 453, "sign": "red", "magnitude_cm1": None,
             "magnitude_note": "not stated in the abstract", "source": f"{ARXIV} abstract"},
            {"id": "packing", "statement": "The paper describes the crystal as a bilayer, herringbone packing.",
             "source": f"{ARXIV} (as summarised in insbench issue 3; not checked against the full text)"},
        ],
    }
    path.write_text(json.dumps(claims, indent=1) + "\n")


def fixture_stage(pred: Path, work: Path, fixture: Path, yamls: dict, spectra: dict, args) -> None:
    from insbench.reference import load_fixture_dir

    if (fixture / "manifest.json").is_file():
        raise SystemExit(f"{fixture} is a published fixture version and never changes; pass --fixture-dir "
                         "with a new version (e.g. reference_data/diiodothiophene/3.1.0)")
    fixture.mkdir(parents=True, exist_ok=True)
    files = {
        "predicted_structure.extxyz": pred / "predicted_structure.extxyz",
        "candidates.csv": pred / "candidates.csv",
        "candidates.md": pred / "candidates.md",
        "packing.json": pred / "packing.json",
        "modes_computed.csv": work / "analysis" / "modes_computed.csv",
        "peaks_computed.json": work / "analysis" / "peaks_computed.json",
    }
    for p in PRESSURES_GPA:
        files[f"phonopy_{ptag(p)}.yaml"] = yamls[p]
        files[f"spectrum_computed_{ptag(p)}.txt"] = spectra[p]
    for name, src in files.items():
        shutil.copyfile(src, fixture / name)
    write_claims(fixture / "claims.json")
    pred_costs = json.loads((pred / "costs.json").read_text())
    packing = json.loads((pred / "packing.json").read_text())
    relax_info = {p: json.loads((work / f"relax_{ptag(p)}" / "relax.json").read_text()) for p in PRESSURES_GPA}
    phonon_info = {p: json.loads((work / f"phonons_{ptag(p)}" / "phonons.json").read_text()) for p in PRESSURES_GPA}
    spectrum_info = {p: json.loads((work / f"spectrum_{ptag(p)}" / "spectrum.json").read_text()) for p in PRESSURES_GPA}
    versions = package_versions()
    method = (f"GFN2-xTB (tblite {versions['tblite']}), phonopy {versions['phonopy']} finite displacements, "
              f"abinslib {versions['abinslib']} almost-isotropic incoherent order 1+2, resins {versions['resins']} "
              "TOSCA AbINS resolution")
    ins = ins_settings(args.mesh).to_dict()
    procedure = (
        "Crystal structure prediction, scripts/predict_structure.py (seed "
        f"{pred_costs['settings']['seed']}): planar C2v molecule from standard bond lengths relaxed in vacuum "
        "with SevenNet-0+D3(BJ); random packings from pyxtal (rigid molecule, volume factor 0.9) in P2_1/c, P-1, "
        "P2_12_12_1, C2/c, Pbca, P2_1 with Z = 2, 4, 8; pre-screen by a short SevenNet-0+D3 FIRE positions+cell "
        f"relaxation ({pred_costs['settings']['prescreen_steps']} steps, symmetry kept); the "
        f"{pred_costs['settings']['n_full']} lowest fully relaxed with SevenNet-0+D3 (BFGS, FrechetCellFilter, "
        f"FixSymmetry, fmax {pred_costs['settings']['fmax']} eV/A); re-ranked by GFN2-xTB (tblite) single points "
        "at the SevenNet geometries; lowest GFN2 energy per molecule chosen. Atoms ordered molecule by molecule "
        "(S, C2, C3, C4, C5, I2, I5, H3, H4). Not compared with any measured structure."
    )
    source_insbench = {"citation": "insbench, this repository (computed/predicted here)", "doi": None,
                       "repository": None, "path": None, "commit": None, "url": None}
    licence = "Same licence as insbench (generated by insbench scripts; no third-party data)"

    def art(name, file, role, kind, fmt, description, **extra):
        entry = {"name": name, "file": file, "role": role, "kind": kind, "format": fmt,
                 "units": extra.pop("units", {}), "instrument": extra.pop("instrument", None),
                 "temperature_k": extra.pop("temperature_k", None), "pressure_gpa": extra.pop("pressure_gpa", None),
                 "source": extra.pop("source", source_insbench), "licence": extra.pop("licence", licence),
                 "sha256": sha256_file(fixture / file), "description": description}
        entry.update(extra)
        if entry["temperature_k"] is None and "temperature_note" not in entry:
            entry["temperature_note"] = "Not applicable: a static (0 K) calculation or a table without temperature."
        if entry["pressure_gpa"] is None and "pressure_note" not in entry:
            entry["pressure_note"] = "Covers both pressures or none; see the description."
        return entry

    winner = packing["winner"]
    settings_common = {
        "relax": {ptag(p): {k: relax_info[p][k] for k in ("total_steps", "converged", "fmax_final_ev_a", "volume_a3",
                                                           "volume_start_a3", "stress_gpa", "energy_ev")}
                  | {"pressure_gpa": p, "optimizer": "BFGS (Hessian reset at every chunk)",
                     "chunk_steps_history": [c["n_steps"] for c in json.loads(
                         (work / f"relax_{ptag(p)}" / "progress.json").read_text())["chunks"]],
                     "start": ("predicted structure" if p == PRESSURES_GPA[0]
                               else f"GFN2-xTB structure relaxed at {PRESSURES_GPA[0]:g} GPa"),
                     "fmax_ev_a": args.fmax, "filter": "FrechetCellFilter", "keep_symmetry": "FixSymmetry symprec 1e-3"}
                  for p in PRESSURES_GPA},
        "phonons": {"supercell_diagonal": list(args.supercell), "displacement_a": args.displacement,
                    "plus_minus": True, "symprec_a": 1e-3,
                    "n_displacements": phonon_info[PRESSURES_GPA[0]]["n_displacements"],
                    "supercell_note": args.supercell_note},
        "xtb": {"method": "GFN2-xTB", "electronic_temperature_k": 300.0, "fresh_scf_per_geometry": True,
                "calculator": "insbench.models.xtb.FreshXTBCalculator (registry name gfn2-xtb)"},
        "ins": ins | {"q_mesh": spectrum_info[PRESSURES_GPA[0]]["mesh"],
                      "output_window_cm1": list(ENERGY_WINDOW_CM1)},
        "packages": versions,
    }
    artefacts = [
        art("structure_predicted", "predicted_structure.extxyz", "structure", "predicted", "extxyz",
            f"PREDICTED crystal structure of 2,5-diiodothiophene (candidate {winner}, {packing['space_group']}, "
            f"{packing['packing']['n_molecules']} molecules / {9 * packing['packing']['n_molecules']} atoms per cell, "
            f"density {packing['density_g_cm3']:.3f} g/cm3) from a random structure search relaxed with "
            "SevenNet-0+D3(BJ) at 0 GPa. Not the measured (CCDC) structure, which insbench does not have.",
            units={"length": "angstrom"}, pressure_gpa=0.0,
            pressure_note="Relaxed at 0 GPa (static, no zero-point or thermal expansion).",
            temperature_note="Static lattice (0 K, no zero-point energy).",
            cell_is_measured=False, procedure=procedure),
        art("candidates_csv", "candidates.csv", "other", "predicted", "csv",
            "Candidate table of the structure search: space group, Z, density, volume and energy per molecule "
            "(SevenNet-0+D3 and GFN2-xTB single points, relative to the best).",
            procedure=procedure),
        art("candidates_md", "candidates.md", "other", "predicted", "md",
            "The candidate table as Markdown.", procedure=procedure),
        art("packing_predicted", "packing.json", "other", "predicted", "json",
            "Packing analysis of the predicted structure (angles between molecular planes of neighbouring "
            "molecules, layering along low-index lattice planes, short contacts) and of the other fully relaxed "
            "candidates.", procedure=procedure),
        art("claims_arxiv_2603_05442", "claims.json", "claims", "measured", "json",
            "Claims about the MEASURED spectra, paraphrased from the arXiv:2603.05442 abstract with their source: "
            "10 K, ambient and 1.5 GPa, 0-1200 cm-1, predominantly blue shifts, a red shift of the band at "
            "453 cm-1. Not data: kind 'measured' because the claims are about measurements; the file holds no "
            "spectrum and no number the abstract does not state.",
            instrument="TOSCA", temperature_k=TEMPERATURE_K, pressure_note="Claims cover 0 and 1.5 GPa.",
            source={"citation": ARXIV_CITATION, "doi": None, "repository": None, "path": None, "commit": None,
                    "url": "https://arxiv.org/abs/2603.05442", "notes": "abstract of v1 (5 Mar 2026)"},
            licence="Paraphrased claims with citation; arXiv.org perpetual non-exclusive licence for the paper"),
    ]
    def imaginary_note(p: float) -> str:
        imaginary = [f for f in phonon_info[p]["gamma_frequencies_cm1"] if f < -5.0]
        if not imaginary:
            return " All Gamma modes are real."
        listed = ", ".join(f"{f:.1f}" for f in imaginary)
        return (f" {len(imaginary)} Gamma mode(s) imaginary ({listed} cm-1): GFN2-xTB finds this C2/c structure "
                "unstable against a symmetry-lowering distortion at this pressure; such modes are left out of "
                "the spectrum (below 10 cm-1) and their tracked shifts are meaningless.")

    for p in PRESSURES_GPA:
        artefacts.append(art(
            f"spectrum_computed_{ptag(p)}", f"spectrum_computed_{ptag(p)}.txt", "spectrum", "computed", "mantid-ascii",
            f"COMPUTED TOSCA INS spectrum at {p:g} GPa and 10 K from GFN2-xTB force constants of the predicted "
            "structure relaxed at this pressure; Gamma-point modes only (1x1x1 force constants); 1 cm-1 bins, "
            "10-1200 cm-1, error column 0." + imaginary_note(p),
            units={"energy": "cm-1", "intensity": "arbitrary", "error": "arbitrary"}, instrument="TOSCA",
            temperature_k=TEMPERATURE_K, pressure_gpa=p, method=method, settings=settings_common))
        artefacts.append(art(
            f"phonopy_computed_{ptag(p)}", f"phonopy_{ptag(p)}.yaml", "other", "computed", "yaml",
            f"phonopy.yaml (unit cell, supercell, force constants) of GFN2-xTB at {p:g} GPa: the structure relaxed "
            "at this pressure (same atom order as the predicted structure) and its force constants; load with "
            "phonopy.load(..., produce_fc=True) or insbench.physics.phonons.load_force_constants."
            + imaginary_note(p),
            pressure_gpa=p, method=method, settings=settings_common,
            temperature_note="Static lattice (0 K); force constants do not depend on temperature."))
    artefacts.append(art(
        "modes_computed", "modes_computed.csv", "other", "computed", "csv",
        "Gamma-point modes at 0 and 1.5 GPa (GFN2-xTB): frequencies, mode-tracked shift and eigenvector overlap, "
        "character (translation/libration/internal fractions), dominant motion label and INS weight "
        "(insbench.physics.modes, insbench.metrics.mode_tracking).",
        method=method, settings=settings_common, pressure_note="Columns for 0 and 1.5 GPa."))
    artefacts.append(art(
        "peaks_computed", "peaks_computed.json", "peaks", "computed", "json",
        "Peaks of the COMPUTED spectra at 0 and 1.5 GPa with the Gamma modes under each (assignment, INS "
        "weight, mode-tracked shift), the modes near the 453 cm-1 region, and blue-shift fractions.",
        method=method, settings=settings_common, pressure_note="Peaks at 0 and 1.5 GPa."))
    major, minor, _patch = (int(x) for x in fixture.name.split("-")[0].split("."))
    import_cmd = (f"insbench reference import diiodothiophene --version {major}.{minor + 1}.0 "
                  f"--base-version {fixture.name}")
    manifest = {
        "schema_version": 1,
        "system": "diiodothiophene",
        "version": fixture.name,
        "description": (
            "Crystalline 2,5-diiodothiophene at 10 K, ambient and 1.5 GPa (TOSCA; Armstrong, Jackson, Elena, "
            "arXiv:2603.05442). The measured spectra and the measured (CCDC) structure are NOT in this version: "
            "it holds a PREDICTED structure, a COMPUTED GFN2-xTB reference (spectra, force constants, mode "
            "assignments, peak table) and the abstract's claims. Empty slots say what a later version should add."),
        "formula": "C4H2I2S",
        "conditions": {
            "instrument": "TOSCA",
            "temperature_k": TEMPERATURE_K,
            "pressures_gpa": list(PRESSURES_GPA),
            "energy_window_cm1": list(ENERGY_WINDOW_CM1),
            "scoring_windows_cm1": {k: list(v) for k, v in SCORING_WINDOWS_CM1.items()},
            "scoring_windows_note": (
                "The paper compares spectra over 0-1200 cm-1; simulation starts at 10 cm-1 because the window must "
                "have lo > 0 to be useful (the elastic line and acoustic modes below ~10 cm-1 are not modelled). "
                "Two windows separate different physics: 10-200 cm-1 holds the lattice modes (molecular "
                "translations and librations, which with two iodines per molecule reach high) and the lowest "
                "internal modes, and is most sensitive to intermolecular forces and pressure; 200-1200 cm-1 holds "
                "the internal modes (C-I stretches and bends, ring deformations, C-H out-of-plane and in-plane "
                "bends), including the 453 cm-1 band. The 200 cm-1 border is a round number in the gap between the "
                "lattice and internal regions of the computed reference; it is a choice, not a measured feature."),
            "resolution": {
                "instrument": "TOSCA", "version": "TOSCA", "model": "AbINS", "banks": ["Backward", "Forward"],
                "note": ("TOSCA's AbINS resolution polynomial (Dymkowski et al. 2018) as implemented in resins, "
                         "for both analyser banks, whose broadened spectra are summed; kinematics (angle, final "
                         "energy) from resins' TOSCA 'book' model. The high-pressure clamp cell of the measurement "
                         "is not modelled (no background or attenuation)."),
            },
        },
        "artefacts": artefacts,
        "notes": (
            "Nothing here is measured except what claims.json quotes as the authors' claims. Slots to fill in a "
            f"later version ({import_cmd} ...): "
            "measured TOSCA spectra at 0.0 and 1.5 GPa (10 K), a measured peak table with assignments, and the "
            "measured crystal structure (Parker, Parker and Jura, J. Phys. Chem. C 2017, doi:10.1021/acs.jpcc.7b03803)."),
    }
    if args.slots:
        manifest["slots"] = [
            {"name": f"spectrum_measured_{ptag(p)}", "role": "spectrum", "kind": "measured", "pressure_gpa": p,
             "description": f"Measured TOSCA INS spectrum of 2,5-diiodothiophene at 10 K and {p:g} GPa "
                            f"({ARXIV}); not available to insbench yet.",
             "import_hint": (f"{import_cmd} "
                             f"--spectrum FILE@{p:g} --kind measured --instrument TOSCA --temperature-k 10 "
                             f"--citation '{ARXIV}' --licence '...'")}
            for p in PRESSURES_GPA
        ] + [
            {"name": "peaks_measured", "role": "peaks", "kind": "measured", "pressure_gpa": None,
             "description": "Measured peak positions at 0 and 1.5 GPa with the authors' assignments (arXiv:2603.05442).",
             "import_hint": f"{import_cmd} --peaks PEAKS.json --kind measured --instrument TOSCA --temperature-k 10 --citation 'arXiv:2603.05442' --licence '...'"},
            {"name": "structure_measured", "role": "structure", "kind": "measured", "pressure_gpa": 0.0,
             "description": "Measured crystal structure (Parker, Parker and Jura 2017, CCDC deposition), which "
                            "would replace the predicted one.",
             "import_hint": f"{import_cmd} "
                            "--structure FILE.cif --cell-measured --structure-pressure-gpa 0"},
        ]
    (fixture / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    loaded = load_fixture_dir(fixture)
    log(f"fixture written and validated: {loaded}")


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prediction-dir", type=Path, default=DEFAULT_PREDICTION)
    parser.add_argument("--work-dir", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--fixture-dir", type=Path, default=DEFAULT_FIXTURE)
    parser.add_argument("--fmax", type=float, default=0.01)
    parser.add_argument("--chunk", type=int, default=100)
    parser.add_argument("--max-steps", type=int, default=800)
    parser.add_argument("--supercell", type=int, nargs=3, default=(1, 1, 1))
    parser.add_argument("--supercell-note", default=(
        "1x1x1: the unit cell is used as the phonopy supercell because GFN2-xTB on the next larger supercell "
        "would exceed the cost budget (~16 s per 36-atom force call on the shared, heavily loaded 2-core "
        "machine; a 72-atom cell costs several times more). Force constants of a 1x1x1 cell are exact only at "
        "Gamma, so the spectrum is simulated from Gamma-point modes only (q-mesh 1x1x1): no dispersion of the "
        "lattice modes, and the Debye-Waller factor lacks the acoustic modes. Internal modes (>200 cm-1) of a "
        "molecular crystal disperse little, so the internal window is affected least."))
    parser.add_argument("--q-mesh", type=int, nargs=3, default=None,
                        help="q-mesh for the spectrum (default: Gamma only with a 1x1x1 supercell, else the "
                             "0.35 1/A spacing rule)")
    parser.add_argument("--displacement", type=float, default=0.01)
    parser.add_argument("--pressure", type=float, choices=PRESSURES_GPA, default=None,
                        help="relax and compute phonons at this pressure only, then stop (1.5 GPa needs the "
                             "0 GPa relaxation; its phonons can run alongside 1.5 GPa; a final run without "
                             "--pressure does the rest)")
    parser.add_argument("--only", choices=("relax", "phonons", "spectra", "analysis", "fixture"), default=None)
    parser.add_argument("--model", default="gfn2-xtb",
                        help="registry name of the calculator; anything but gfn2-xtb is for debugging the "
                             "script only (the fixture's method string names GFN2-xTB)")
    parser.add_argument("--slots", action="store_true",
                        help="write the top-level 'slots' list (needs the schema extension)")
    args = parser.parse_args(argv)
    args.supercell = tuple(args.supercell)
    # force constants of a 1x1x1 "supercell" are exact only at Gamma: simulate with Gamma only
    if args.q_mesh is not None:
        args.mesh = tuple(args.q_mesh)
    else:
        args.mesh = (1, 1, 1) if args.supercell == (1, 1, 1) else None
    work = args.work_dir
    work.mkdir(parents=True, exist_ok=True)
    log(f"machine: {os.cpu_count()} cpus, {platform.platform()}; work dir {work}")
    start = args.prediction_dir / "predicted_structure.extxyz"
    if not start.is_file():
        raise SystemExit(f"{start} does not exist; run scripts/predict_structure.py first "
                         f"(or pass --prediction-dir)")
    pressures = PRESSURES_GPA if args.pressure is None else (args.pressure,)
    # 0 GPa starts from the predicted structure; every higher pressure from the 0 GPa
    # result, so that both are in the same energy basin (mode tracking needs that)
    relaxed = {}
    for p in pressures:
        if p == PRESSURES_GPA[0]:
            begin = start
        else:
            begin = work / f"relax_{ptag(PRESSURES_GPA[0])}" / "relaxed.extxyz"
            if not begin.is_file():
                raise SystemExit(f"{begin} does not exist: relax at {PRESSURES_GPA[0]:g} GPa first "
                                 f"(--pressure {PRESSURES_GPA[0]:g}), then at {p:g} GPa")
        relaxed[p] = relax_stage(begin, p, work, args.fmax, args.chunk, args.max_steps, args.model)
    if args.only == "relax":
        return 0
    yamls = {p: phonon_stage(relaxed[p], p, work, args.supercell, args.displacement, args.model)
             for p in pressures}
    if args.only == "phonons" or args.pressure is not None:
        return 0
    spectra = {p: spectrum_stage(yamls[p], p, work, args.mesh) for p in PRESSURES_GPA}
    if args.only == "spectra":
        return 0
    analysis_stage(yamls, spectra, work)
    if args.only == "analysis":
        return 0
    fixture_stage(args.prediction_dir, work, args.fixture_dir, yamls, spectra, args)
    costs = {
        "relax_s": {ptag(p): json.loads((work / f"relax_{ptag(p)}" / "relax.json").read_text())["total_seconds"]
                    for p in PRESSURES_GPA},
        "phonon_force_s": {ptag(p): json.loads((work / f"phonons_{ptag(p)}" / "phonons.json").read_text())["force_seconds"]
                           for p in PRESSURES_GPA},
        "spectrum_s": {ptag(p): json.loads((work / f"spectrum_{ptag(p)}" / "spectrum.json").read_text())["seconds"]
                       for p in PRESSURES_GPA},
    }
    write_json(work / "costs.json", costs)
    log(f"costs: {json.dumps(costs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
