"""Predict a crystal structure of 2,5-diiodothiophene (C4H2I2S) by a small random search.

The measured structure (Parker, Parker and Jura, J. Phys. Chem. C 2017,
doi:10.1021/acs.jpcc.7b03803, CCDC) is not available to insbench, so the
diiodothiophene fixture ships a PREDICTED structure made by this script. Nothing
here is measured. Procedure (one command, fixed seed, resumable):

1. build a planar C2v molecule from standard bond lengths (C-S 1.725, C=C 1.37,
   C-C 1.42, C-I 2.075, C-H 1.08 Angstrom) and relax it in vacuum with
   SevenNet-0+D3(BJ) (``molecule.xyz``);
2. generate random packings with pyxtal (rigid molecule, ``from_random``) in the
   common organic space groups and Z values of :data:`PLAN`, one seed each
   (seeds derived from ``--seed``); centred cells are reduced to primitive cells;
3. pre-screen: a short positions+cell FIRE relaxation of each candidate with
   SevenNet-0+D3 keeping its space group (FixSymmetry); candidates whose
   molecules break or fuse (connectivity check) are discarded;
4. fully relax the best ``--n-full`` with SevenNet-0+D3 (BFGS, FrechetCellFilter,
   FixSymmetry, ``--fmax`` eV/A);
5. re-rank the fully relaxed ones with GFN2-xTB (tblite) single points at the
   SevenNet geometries and pick the lowest GFN2 energy per molecule as the winner
   (GFN2 is the non-ML method, and the computed reference is made with it);
6. write the candidate table (CSV + Markdown), the winner (extxyz) and a packing
   analysis (angles between molecular planes, layering) to ``--out-dir``.

Every stage writes its result per candidate to ``--out-dir`` and is skipped on a
rerun when the file exists, so an interrupted run resumes where it stopped.

Usage::

    python scripts/predict_structure.py [--out-dir DIR] [--seed N] [--n-full 5]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.io import read, write

DEFAULT_OUT = Path(os.environ.get("INSBENCH_CACHE_DIR", Path.home() / ".cache" / "insbench")) / (
    "structure-prediction/diiodothiophene"
)
SEED = 20260306
FORMULA = "C4H2I2S"
MOLAR_MASS_G_MOL = None  # computed from ASE masses
AVOGADRO = 6.02214076e23

#: pyxtal's volume factor (cell volume / its estimate of the molecular volumes). The
#: default 1.1 gives ~250 A^3 per molecule here, far looser than an iodo-aromatic
#: crystal (~190-200 A^3); 0.9 gives ~204 A^3 and saves pre-screen steps.
PYXTAL_VOLUME_FACTOR = 0.9
#: Accept a generated packing only if no intermolecular contact is shorter than this
#: fraction of the sum of van der Waals radii (pyxtal's own check lets clashes through).
MIN_CONTACT_RATIO = 0.78
GENERATION_ATTEMPTS = 30

#: (space group number, symbol, Z in the conventional cell, number of seeds)
PLAN: tuple[tuple[int, str, int, int], ...] = (
    (14, "P2_1/c", 4, 3),
    (2, "P-1", 2, 2),
    (19, "P2_12_12_1", 4, 2),
    (15, "C2/c", 4, 2),
    (15, "C2/c", 8, 1),
    (61, "Pbca", 8, 1),
    (4, "P2_1", 2, 2),
)


def log(message: str) -> None:
    print(time.strftime("%H:%M:%S"), message, flush=True)


# --------------------------------------------------------------------------- molecule


def ideal_molecule() -> Atoms:
    """Planar C2v 2,5-diiodothiophene from standard bond lengths (Angstrom).

    Atom order: S1, C2, C3, C4, C5, I(C2), I(C5), H(C3), H(C4). The ring is in
    the xy plane with the C2 axis along y.
    """
    r_cs, r_cc_double, r_ci, r_ch = 1.725, 1.37, 2.075, 1.08
    half_angle = np.deg2rad(92.0 / 2)  # C-S-C angle of thiophene
    s = np.array([0.0, 0.0, 0.0])
    c2 = np.array([r_cs * np.sin(half_angle), -r_cs * np.cos(half_angle), 0.0])
    # C3 at x = r_cc_single / 2 so that C3-C4 = 1.42, and C2=C3 = 1.37
    c3x = 1.42 / 2
    dy = np.sqrt(r_cc_double**2 - (c2[0] - c3x) ** 2)
    c3 = np.array([c3x, c2[1] - dy, 0.0])
    mirror = np.array([-1.0, 1.0, 1.0])

    def outward(centre, a, b, length):
        v = (centre - a) / np.linalg.norm(centre - a) + (centre - b) / np.linalg.norm(centre - b)
        return centre + length * v / np.linalg.norm(v)

    i2 = outward(c2, s, c3, r_ci)
    h3 = outward(c3, c2, c3 * mirror, r_ch)
    positions = [s, c2, c3, c3 * mirror, c2 * mirror, i2, i2 * mirror, h3, h3 * mirror]
    return Atoms("SCCCCIIHH", positions=positions)


def relaxed_molecule(out_dir: Path, calc, costs: dict) -> Atoms:
    path = out_dir / "molecule.xyz"
    if path.is_file():
        return read(path)
    from ase.optimize import BFGS

    mol = ideal_molecule()
    mol.center(vacuum=8.0)
    mol.calc = calc
    started = time.perf_counter()
    opt = BFGS(mol, logfile=None)
    opt.run(fmax=0.005, steps=200)
    costs["molecule_relax_s"] = time.perf_counter() - started
    mol.info["energy_ev"] = float(mol.get_potential_energy())
    mol.info["method"] = "SevenNet-0+D3(BJ), BFGS fmax 0.005 eV/A, vacuum 8 A"
    mol.calc = None
    mol.center()
    write(path, mol, format="extxyz")
    log(f"molecule relaxed in {opt.nsteps} steps, E = {mol.info['energy_ev']:.4f} eV")
    return mol


# --------------------------------------------------------------------------- analysis


def find_molecules(atoms: Atoms, scale: float = 1.1) -> list[np.ndarray]:
    """Atom indices of each covalently bonded molecule (ASE natural cutoffs x ``scale``)."""
    from insbench.physics.modes import find_molecules as _find

    return _find(atoms, scale)


def molecules_intact(atoms: Atoms, z: int) -> tuple[bool, str]:
    mols = find_molecules(atoms)
    if len(mols) != z:
        return False, f"{len(mols)} covalent fragments instead of {z} molecules"
    for m in mols:
        formula = atoms[m].get_chemical_formula(mode="hill")
        if formula != "C4H2I2S":
            return False, f"fragment {formula} is not C4H2I2S"
    return True, "ok"


def unwrapped_molecule_positions(atoms: Atoms, indices: np.ndarray) -> np.ndarray:
    """Cartesian positions of one molecule made whole across periodic boundaries
    (by walking bonds, not by minimum image, which fails for short cell axes)."""
    from insbench.physics.modes import whole_molecule_positions

    return whole_molecule_positions(atoms, indices)


def density_g_cm3(atoms: Atoms) -> float:
    return float(atoms.get_masses().sum() / AVOGADRO / (atoms.get_volume() * 1e-24))


def packing_analysis(atoms: Atoms) -> dict:
    """Angles between molecular planes of neighbouring molecules, and layering.

    * plane normal of each molecule from the SVD of its five ring atoms;
    * neighbours: molecules whose centroids are within 7.5 A (periodic images
      included), each pair once; the angle between planes is in [0, 90] deg;
      herringbone (edge-to-face) contacts have 40-90 deg, parallel stacking ~0;
    * layering: for every lattice plane (hkl) with |h|,|k|,|l| <= 1, molecular
      centroids are projected on the plane normal modulo d_hkl; centroids within
      2 A in height (less than the ~3.5 A thickness of an aromatic layer) form one
      layer. ``layering`` reports the plane with the
      longest period that has >= 2 layers per period; a plane is a "bilayer" plane
      when it has an even number of layers per period whose gaps alternate
      (every short gap < 0.6 x every long gap), i.e. layers come in pairs.
    """
    mols = find_molecules(atoms)
    centroids, normals, axes = [], [], []
    for m in mols:
        pos = unwrapped_molecule_positions(atoms, m)
        symbols = np.array(atoms.get_chemical_symbols())[m]
        ring = pos[(symbols == "C") | (symbols == "S")]
        centre = ring.mean(axis=0)
        _, _, vt = np.linalg.svd(ring - centre)
        normals.append(vt[2])
        iodines = pos[symbols == "I"]
        long_axis = iodines[1] - iodines[0]
        axes.append(long_axis / np.linalg.norm(long_axis))
        centroids.append(pos.mean(axis=0))
    centroids = np.array(centroids)
    normals = np.array(normals)
    axes = np.array(axes)
    cell = np.asarray(atoms.cell)
    pairs = []
    shifts = np.array([[i, j, k] for i in (-2, -1, 0, 1, 2) for j in (-2, -1, 0, 1, 2) for k in (-2, -1, 0, 1, 2)])
    for a in range(len(mols)):
        for b in range(len(mols)):
            for s in shifts:
                if a == b and not s.any():
                    continue
                d = centroids[b] + s @ cell - centroids[a]
                dist = float(np.linalg.norm(d))
                if dist < 7.5 and (a < b or (a == b and tuple(s) > (0, 0, 0))):
                    cosine = abs(float(normals[a] @ normals[b]))
                    cos_axis = abs(float(axes[a] @ axes[b]))
                    pairs.append(
                        {
                            "a": a,
                            "b": b,
                            "shift": s.tolist(),
                            "centroid_distance_a": round(dist, 3),
                            "plane_angle_deg": round(float(np.degrees(np.arccos(min(1.0, cosine)))), 1),
                            "long_axis_angle_deg": round(float(np.degrees(np.arccos(min(1.0, cos_axis)))), 1),
                        }
                    )
    pairs.sort(key=lambda p: p["centroid_distance_a"])
    orientations = []
    for n in normals:
        if not any(abs(n @ o) > 0.97 for o in orientations):
            orientations.append(n)
    inter_plane = [
        round(float(np.degrees(np.arccos(min(1.0, abs(orientations[i] @ orientations[j]))))), 1)
        for i in range(len(orientations))
        for j in range(i + 1, len(orientations))
    ]
    # layering: molecular layers along low-index lattice planes
    layer_planes = []
    reciprocal = np.linalg.inv(cell).T
    for h in (-1, 0, 1):
        for k in (-1, 0, 1):
            for l in (-1, 0, 1):
                hkl = np.array([h, k, l])
                if not hkl.any() or tuple(-hkl) > tuple(hkl):
                    continue
                g = hkl @ reciprocal
                d_spacing = float(1.0 / np.linalg.norm(g))
                heights = np.sort(((centroids @ g) % 1.0) * d_spacing)
                gaps = np.diff(np.concatenate([heights, [heights[0] + d_spacing]]))
                layer_gaps = np.sort(gaps[gaps > 2.0])  # centroids within 2 A in height share a layer
                n_layers = max(1, int(layer_gaps.size))
                bilayer = bool(
                    n_layers >= 2 and n_layers % 2 == 0
                    and layer_gaps[: n_layers // 2].max() < 0.6 * layer_gaps[n_layers // 2:].min()
                )
                layer_planes.append({
                    "hkl": hkl.tolist(), "d_spacing_a": round(d_spacing, 3), "n_layers_per_period": n_layers,
                    "interlayer_gaps_a": [round(float(x), 3) for x in layer_gaps], "bilayer": bilayer,
                })
    layered = [p for p in layer_planes if p["n_layers_per_period"] >= 2]
    layer = max(layered, key=lambda p: p["d_spacing_a"]) if layered else {}
    bilayer_planes = [p for p in layer_planes if p["bilayer"]]
    nearest = pairs[: max(1, min(len(pairs), 2 * len(mols) * 3))]
    herring = [p for p in pairs[:12] if 40.0 <= p["plane_angle_deg"] <= 90.0]
    return {
        "n_molecules": len(mols),
        "distinct_plane_orientations": len(orientations),
        "angles_between_distinct_planes_deg": inter_plane,
        "nearest_pairs": nearest,
        "n_herringbone_contacts_among_12_nearest": len(herring),
        "layering": layer,
        "bilayer_planes": bilayer_planes,
        "bilayer": bool(bilayer_planes),
        "short_contacts": short_contacts(atoms),
    }


def _intermolecular_pairs(atoms: Atoms, cutoff: float):
    """Pairs (i, j, distance) closer than ``cutoff`` that are not intramolecular.

    A pair inside one molecule is recognised by its vector, not by the periodic
    shift: a molecule split by the cell boundary has bonds with a non-zero shift,
    while a contact between a molecule and its own periodic image (a short stacking
    axis) has a vector different from any intramolecular one.
    """
    from ase.neighborlist import neighbor_list

    mols = find_molecules(atoms)
    label = np.empty(len(atoms), dtype=int)
    whole = atoms.positions.copy()
    for k, m in enumerate(mols):
        label[m] = k
        whole[m] = unwrapped_molecule_positions(atoms, m)
    i, j, d, vectors = neighbor_list("ijdD", atoms, cutoff)
    for a, b, dist, vec in zip(i, j, d, vectors):
        if label[a] == label[b] and np.allclose(vec, whole[b] - whole[a], atol=1e-4):
            continue
        yield int(a), int(b), float(dist)


def short_contacts(atoms: Atoms, cutoff: float = 4.2) -> dict:
    """Shortest intermolecular contacts by element pair (A), e.g. I...I, I...S."""
    symbols = np.array(atoms.get_chemical_symbols())
    out: dict[str, float] = {}
    for a, b, dist in _intermolecular_pairs(atoms, cutoff):
        key = "...".join(sorted((symbols[a], symbols[b])))
        if key not in out or dist < out[key]:
            out[key] = round(dist, 3)
    return dict(sorted(out.items()))


# --------------------------------------------------------------------------- stages


@dataclass(frozen=True)
class Candidate:
    ident: str
    sg_number: int
    sg_symbol: str
    z: int
    seed: int


def candidate_plan(seed: int) -> list[Candidate]:
    rng = np.random.default_rng(seed)
    out = []
    for number, symbol, z, n_seeds in PLAN:
        for k in range(n_seeds):
            s = int(rng.integers(1, 2**31 - 1))
            out.append(Candidate(f"sg{number:03d}-Z{z}-{k}", number, symbol, z, s))
    return out


def to_primitive(atoms: Atoms) -> Atoms:
    import spglib

    cell = (np.asarray(atoms.cell), atoms.get_scaled_positions(), atoms.numbers)
    lattice, scaled, numbers = spglib.standardize_cell(cell, to_primitive=True, no_idealize=True, symprec=1e-3)
    return Atoms(numbers=numbers, cell=lattice, scaled_positions=scaled, pbc=True)


def space_group(atoms: Atoms, symprec: float = 1e-2) -> str:
    import spglib

    result = spglib.get_spacegroup((np.asarray(atoms.cell), atoms.get_scaled_positions(), atoms.numbers), symprec=symprec)
    return str(result)


def group_by_molecule(atoms: Atoms) -> Atoms:
    """Reorder atoms molecule by molecule (S, C, C, C, C, I, I, H, H within each,
    ring carbons in ring order), molecules made whole, so atom order is fixed."""
    mols = find_molecules(atoms)
    order = []
    symbols = np.array(atoms.get_chemical_symbols())
    for m in mols:
        pos = unwrapped_molecule_positions(atoms, m)
        sym = symbols[m]
        s = m[sym == "S"][0]
        s_pos = pos[sym == "S"][0]
        carbons = m[sym == "C"]
        c_pos = pos[sym == "C"]
        d_s = np.linalg.norm(c_pos - s_pos, axis=1)
        alpha = carbons[np.argsort(d_s)[:2]]
        beta = carbons[np.argsort(d_s)[2:]]
        a_pos = {int(c): pos[list(m).index(c)] for c in carbons}
        c2 = int(alpha[0])
        c5 = int(alpha[1])
        c3 = int(min(beta, key=lambda c: np.linalg.norm(a_pos[int(c)] - a_pos[c2])))
        c4 = int(next(c for c in beta if int(c) != c3))
        iodines = m[sym == "I"]
        i_pos = {int(x): pos[list(m).index(x)] for x in iodines}
        i2 = int(min(iodines, key=lambda x: np.linalg.norm(i_pos[int(x)] - a_pos[c2])))
        i5 = int(next(x for x in iodines if int(x) != i2))
        hydrogens = m[sym == "H"]
        h_pos = {int(x): pos[list(m).index(x)] for x in hydrogens}
        h3 = int(min(hydrogens, key=lambda x: np.linalg.norm(h_pos[int(x)] - a_pos[c3])))
        h4 = int(next(x for x in hydrogens if int(x) != h3))
        order.extend([int(s), c2, c3, c4, c5, i2, i5, h3, h4])
    new = atoms[order]
    # make each molecule whole (positions may leave the cell; that is fine for extxyz)
    for k in range(len(mols)):
        idx = np.arange(9 * k, 9 * k + 9)
        new.positions[idx] = unwrapped_molecule_positions(new, idx)
    return new


def generate(cand: Candidate, mol_file: Path, out_dir: Path) -> Atoms | None:
    path = out_dir / "generated" / f"{cand.ident}.extxyz"
    fail = out_dir / "generated" / f"{cand.ident}.failed"
    if path.is_file():
        return read(path)
    if fail.is_file():
        return None
    from pyxtal import pyxtal
    from pyxtal.molecule import pyxtal_molecule

    path.parent.mkdir(parents=True, exist_ok=True)
    mol = pyxtal_molecule(str(mol_file))
    rng = np.random.default_rng(cand.seed)
    errors = []
    atoms = None
    for attempt in range(GENERATION_ATTEMPTS):
        crystal = pyxtal(molecular=True)
        try:
            crystal.from_random(3, cand.sg_number, [mol], [cand.z], factor=PYXTAL_VOLUME_FACTOR,
                                seed=int(rng.integers(1, 2**31 - 1)))
        except Exception as exc:  # noqa: BLE001 - pyxtal raises assorted error types when it cannot place
            # molecules; each failure is recorded and the next random attempt made
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        if not crystal.valid:
            errors.append("invalid")
            continue
        trial = crystal.to_ase(resort=False)
        ratio = min_contact_ratio(trial)
        if ratio >= MIN_CONTACT_RATIO and molecules_intact(trial, len(trial) // 9)[0]:
            atoms = trial
            atoms.info["attempt"] = attempt
            atoms.info["min_contact_ratio"] = round(ratio, 3)
            break
        errors.append(f"min contact ratio {ratio:.2f}")
    if atoms is None:
        fail.write_text(f"no acceptable packing in {GENERATION_ATTEMPTS} attempts: {errors[-3:]}\n")
        log(f"{cand.ident}: pyxtal gave no acceptable packing")
        return None
    if cand.sg_symbol.startswith("C"):
        info = dict(atoms.info)
        atoms = to_primitive(atoms)
        atoms.info.update(info)
    atoms.info["pyxtal_space_group"] = cand.sg_symbol
    write(path, atoms, format="extxyz")
    return atoms


#: Bondi van der Waals radii (Angstrom) for the overlap test of generated packings.
VDW_RADII_A = {"H": 1.20, "C": 1.70, "S": 1.80, "I": 1.98}


def min_contact_ratio(atoms: Atoms) -> float:
    """Smallest intermolecular distance / (sum of van der Waals radii)."""
    symbols = atoms.get_chemical_symbols()
    ratios = [dist / (VDW_RADII_A[symbols[a]] + VDW_RADII_A[symbols[b]])
              for a, b, dist in _intermolecular_pairs(atoms, 4.5)]
    return float(min(ratios)) if ratios else 10.0


def _relax(atoms: Atoms, calc, *, steps: int, fmax: float, optimizer: str, log_file: Path) -> tuple[Atoms, dict]:
    from ase.constraints import FixSymmetry
    from ase.filters import FrechetCellFilter
    from ase.optimize import BFGS, FIRE

    work = atoms.copy()
    work.calc = calc
    work.set_constraint(FixSymmetry(work, symprec=1e-3))
    target = FrechetCellFilter(work, scalar_pressure=0.0)
    opt = (FIRE(target, logfile=str(log_file), maxstep=0.15) if optimizer == "FIRE"
           else BFGS(target, logfile=str(log_file), maxstep=0.15))
    started = time.perf_counter()
    converged = bool(opt.run(fmax=fmax, steps=steps))
    seconds = time.perf_counter() - started
    energy = float(work.get_potential_energy())
    fmax_final = float(np.sqrt((target.get_forces() ** 2).sum(axis=1).max()))
    relaxed = work.copy()
    relaxed.set_constraint()
    relaxed.calc = None
    return relaxed, {
        "energy_ev": energy,
        "steps": int(opt.nsteps),
        "converged": converged,
        "fmax_final_ev_a": fmax_final,
        "seconds": seconds,
    }


def prescreen(cand: Candidate, atoms: Atoms, calc, out_dir: Path, steps: int) -> dict:
    path = out_dir / "prescreen" / f"{cand.ident}.json"
    if path.is_file():
        return json.loads(path.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    from insbench.models import ModelError

    n_mol = len(atoms) // 9
    record = {"ident": cand.ident, "sg": cand.sg_symbol, "sg_number": cand.sg_number, "Z": cand.z,
              "seed": cand.seed, "n_atoms": len(atoms), "n_molecules_in_cell": n_mol,
              "generated_volume_per_molecule_a3": atoms.get_volume() / n_mol}
    record["generated_min_contact_ratio"] = atoms.info.get("min_contact_ratio")
    try:
        relaxed, info = _relax(atoms, calc, steps=steps, fmax=0.05, optimizer="FIRE",
                               log_file=path.with_suffix(".log"))
    except (RuntimeError, ValueError, FloatingPointError, ModelError) as exc:
        # a random packing that blows up (non-finite output, SCF trouble) is a discarded
        # candidate, recorded with the reason
        record.update(status="failed", reason=f"{type(exc).__name__}: {exc}")
        path.write_text(json.dumps(record, indent=1))
        return record
    ok, why = molecules_intact(relaxed, n_mol)
    record.update(info)
    record.update(
        status="ok" if ok else "discarded",
        reason=why,
        energy_per_molecule_ev=info["energy_ev"] / n_mol,
        volume_per_molecule_a3=relaxed.get_volume() / n_mol,
        density_g_cm3=density_g_cm3(relaxed),
    )
    write(path.with_suffix(".extxyz"), relaxed, format="extxyz")
    path.write_text(json.dumps(record, indent=1))
    log(f"prescreen {cand.ident}: {record['status']} E/mol {record['energy_per_molecule_ev']:.4f} eV "
        f"rho {record['density_g_cm3']:.3f} ({info['steps']} steps, {info['seconds']:.0f} s)")
    return record


def full_relax(ident: str, out_dir: Path, calc, fmax: float, steps: int) -> dict:
    path = out_dir / "full" / f"{ident}.json"
    if path.is_file():
        return json.loads(path.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    start = read(out_dir / "prescreen" / f"{ident}.extxyz")
    n_mol = len(start) // 9
    relaxed, info = _relax(start, calc, steps=steps, fmax=fmax, optimizer="BFGS", log_file=path.with_suffix(".log"))
    ok, why = molecules_intact(relaxed, n_mol)
    record = dict(info, ident=ident, status="ok" if ok else "discarded", reason=why,
                  energy_per_molecule_ev=info["energy_ev"] / n_mol,
                  volume_per_molecule_a3=relaxed.get_volume() / n_mol,
                  density_g_cm3=density_g_cm3(relaxed),
                  space_group_after=space_group(relaxed))
    write(path.with_suffix(".extxyz"), relaxed, format="extxyz")
    path.write_text(json.dumps(record, indent=1))
    log(f"full {ident}: E/mol {record['energy_per_molecule_ev']:.4f} eV rho {record['density_g_cm3']:.3f} "
        f"{record['space_group_after']} ({info['steps']} steps, converged {info['converged']}, {info['seconds']:.0f} s)")
    return record


def gfn2_single_point(ident: str, out_dir: Path) -> dict:
    path = out_dir / "gfn2" / f"{ident}.json"
    if path.is_file():
        return json.loads(path.read_text())
    from insbench.models import resolve_mlip

    path.parent.mkdir(parents=True, exist_ok=True)
    atoms = read(out_dir / "full" / f"{ident}.extxyz")
    atoms.calc = resolve_mlip("gfn2-xtb").make_calculator()  # fresh SCF per geometry
    started = time.perf_counter()
    energy = float(atoms.get_potential_energy())
    stress = atoms.get_stress(voigt=True)
    seconds = time.perf_counter() - started
    from insbench.units import ev_per_a3_to_gpa

    record = {"ident": ident, "energy_ev": energy, "energy_per_molecule_ev": energy / (len(atoms) // 9),
              "pressure_gpa": float(-ev_per_a3_to_gpa(stress[:3].mean())), "seconds": seconds}
    path.write_text(json.dumps(record, indent=1))
    log(f"gfn2 {ident}: E/mol {record['energy_per_molecule_ev']:.4f} eV, P {record['pressure_gpa']:.2f} GPa ({seconds:.0f} s)")
    return record


def gfn2_molecule(out_dir: Path) -> dict:
    path = out_dir / "gfn2" / "molecule.json"
    if path.is_file():
        return json.loads(path.read_text())
    from insbench.models import resolve_mlip

    path.parent.mkdir(parents=True, exist_ok=True)
    mol = read(out_dir / "molecule.xyz")
    mol.pbc = False
    mol.calc = resolve_mlip("gfn2-xtb").make_calculator()
    record = {"energy_ev": float(mol.get_potential_energy()),
              "note": "GFN2-xTB single point of the SevenNet-0+D3 relaxed molecule (not GFN2-relaxed)"}
    path.write_text(json.dumps(record, indent=1))
    return record


# --------------------------------------------------------------------------- tables


def write_tables(out_dir: Path, rows: list[dict]) -> None:
    fields = ["rank", "candidate", "space_group_generated", "space_group_relaxed", "Z", "n_atoms",
              "density_g_cm3", "volume_per_molecule_a3", "e_sevennet_d3_rel_mev_per_molecule",
              "e_gfn2_rel_mev_per_molecule", "lattice_energy_sevennet_d3_ev_per_molecule",
              "stage", "note"]
    with open(out_dir / "candidates.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: row.get(k, "") for k in fields})
    header = ("| rank | candidate | SG (generated) | SG (relaxed) | Z | density g/cm3 | V/molecule A3 | "
              "E SevenNet-0+D3 meV/mol | E GFN2-xTB meV/mol | E_latt SevenNet-0+D3 eV/mol | stage |")
    lines = [
        "# Predicted crystal structures of 2,5-diiodothiophene (PREDICTED, not measured)",
        "",
        ("Made by `scripts/predict_structure.py` (random search with pyxtal, SevenNet-0+D3(BJ) relaxations, "
         "GFN2-xTB single points at the SevenNet geometries). Energies per molecule relative to the lowest "
         "of each method among the candidates it was evaluated on; pre-screen energies are after a short, "
         "unconverged relaxation and are not comparable with the fully relaxed ones. Lattice energy = "
         "E(crystal)/Z - E(isolated relaxed molecule), SevenNet-0+D3."),
        "",
        header,
        "|" + "---|" * 11,
    ]

    def fmt(value, spec):
        return "" if value in ("", None) else format(value, spec)

    for row in rows:
        lines.append(
            f"| {row.get('rank', '')} | {row['candidate']} | {row['space_group_generated']} | "
            f"{row.get('space_group_relaxed', '')} | {row['Z']} | {fmt(row.get('density_g_cm3'), '.3f')} | "
            f"{fmt(row.get('volume_per_molecule_a3'), '.1f')} | {fmt(row.get('e_sevennet_d3_rel_mev_per_molecule'), '.1f')} | "
            f"{fmt(row.get('e_gfn2_rel_mev_per_molecule'), '.1f')} | {fmt(row.get('lattice_energy_sevennet_d3_ev_per_molecule'), '.3f')} | "
            f"{row['stage']} |"
        )
    (out_dir / "candidates.md").write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--prescreen-steps", type=int, default=30)
    parser.add_argument("--n-full", type=int, default=5)
    parser.add_argument("--max-atoms", type=int, default=10**6,
                        help="do not pre-screen candidates with more atoms per cell (cost cap)")
    parser.add_argument("--n-gfn2", type=int, default=5)
    parser.add_argument("--fmax", type=float, default=0.02)
    parser.add_argument("--full-steps", type=int, default=250)
    args = parser.parse_args(argv)
    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    costs_path = out / "costs.json"
    costs = json.loads(costs_path.read_text()) if costs_path.is_file() else {}
    started = time.perf_counter()

    import torch

    torch.manual_seed(args.seed)
    from insbench.models import resolve_mlip

    spec = resolve_mlip("sevennet-0+d3")
    calc = spec.make_calculator()
    mol = relaxed_molecule(out, calc, costs)
    e_molecule = float(mol.info["energy_ev"])

    plan = candidate_plan(args.seed)
    t0 = time.perf_counter()
    generated = {c.ident: generate(c, out / "molecule.xyz", out) for c in plan}
    costs["generate_s"] = costs.get("generate_s", 0.0) + time.perf_counter() - t0

    t0 = time.perf_counter()
    pre = {}
    skipped = []
    for c in plan:
        if generated[c.ident] is None:
            continue
        if len(generated[c.ident]) > args.max_atoms and not (out / "prescreen" / f"{c.ident}.json").is_file():
            skipped.append(c.ident)
            continue
        pre[c.ident] = prescreen(c, generated[c.ident], calc, out, args.prescreen_steps)
    costs["prescreen_s_this_run"] = time.perf_counter() - t0

    ok = sorted((r for r in pre.values() if r["status"] == "ok"), key=lambda r: r["energy_per_molecule_ev"])
    chosen = [r["ident"] for r in ok[: args.n_full]]
    t0 = time.perf_counter()
    full = {ident: full_relax(ident, out, calc, args.fmax, args.full_steps) for ident in chosen}
    costs["full_relax_s_this_run"] = time.perf_counter() - t0

    good_full = sorted((r for r in full.values() if r["status"] == "ok"), key=lambda r: r["energy_per_molecule_ev"])
    t0 = time.perf_counter()
    gfn2 = {r["ident"]: gfn2_single_point(r["ident"], out) for r in good_full[: args.n_gfn2]}
    gfn2_mol = gfn2_molecule(out)
    costs["gfn2_s_this_run"] = time.perf_counter() - t0
    costs["total_s_this_run"] = time.perf_counter() - started
    # cumulative compute time from the per-candidate records (robust to resumption)
    costs["cumulative"] = {
        "prescreen_s": sum(r.get("seconds", 0.0) for r in pre.values()),
        "full_relax_s": sum(r.get("seconds", 0.0) for r in full.values()),
        "gfn2_s": sum(r.get("seconds", 0.0) for r in gfn2.values()),
    }
    costs["machine"] = {"cpus": os.cpu_count(), "platform": platform.platform(), "torch_threads": torch.get_num_threads()}

    winner = min(gfn2, key=lambda k: gfn2[k]["energy_per_molecule_ev"])
    e_best_sev = good_full[0]["energy_per_molecule_ev"]
    e_best_gfn = gfn2[winner]["energy_per_molecule_ev"]
    rows = []
    ranked = sorted(good_full, key=lambda r: gfn2.get(r["ident"], {"energy_per_molecule_ev": 1e9})["energy_per_molecule_ev"])
    by_ident = {c.ident: c for c in plan}
    for rank, r in enumerate(ranked, start=1):
        c = by_ident[r["ident"]]
        rows.append({
            "rank": rank, "candidate": c.ident, "space_group_generated": c.sg_symbol,
            "space_group_relaxed": r["space_group_after"], "Z": c.z, "n_atoms": pre[c.ident]["n_atoms"],
            "density_g_cm3": round(r["density_g_cm3"], 4),
            "volume_per_molecule_a3": round(r["volume_per_molecule_a3"], 2),
            "e_sevennet_d3_rel_mev_per_molecule": round(1000 * (r["energy_per_molecule_ev"] - e_best_sev), 1),
            "e_gfn2_rel_mev_per_molecule": (round(1000 * (gfn2[c.ident]["energy_per_molecule_ev"] - e_best_gfn), 1)
                                            if c.ident in gfn2 else ""),
            "lattice_energy_sevennet_d3_ev_per_molecule": round(r["energy_per_molecule_ev"] - e_molecule, 3),
            "stage": "full relax" + (" + GFN2 single point" if c.ident in gfn2 else ""),
            "note": "WINNER" if c.ident == winner else "",
        })
    e_best_pre = ok[0]["energy_per_molecule_ev"] if ok else 0.0
    for r in sorted(pre.values(), key=lambda r: r.get("energy_per_molecule_ev", 1e9)):
        if r["ident"] in full:
            continue
        c = by_ident[r["ident"]]
        rows.append({
            "candidate": c.ident, "space_group_generated": c.sg_symbol, "Z": c.z, "n_atoms": r["n_atoms"],
            "density_g_cm3": round(r["density_g_cm3"], 4) if "density_g_cm3" in r else "",
            "volume_per_molecule_a3": round(r["volume_per_molecule_a3"], 2) if "volume_per_molecule_a3" in r else "",
            "e_sevennet_d3_rel_mev_per_molecule": (round(1000 * (r["energy_per_molecule_ev"] - e_best_pre), 1)
                                                  if "energy_per_molecule_ev" in r else ""),
            "stage": f"pre-screen only ({r['status']}; {args.prescreen_steps} FIRE steps; energy vs best pre-screen)",
            "note": r.get("reason", ""),
        })
    for c in plan:
        if c.ident in skipped:
            rows.append({"candidate": c.ident, "space_group_generated": c.sg_symbol, "Z": c.z,
                         "n_atoms": len(generated[c.ident]),
                         "stage": f"generated, not pre-screened (more than --max-atoms {args.max_atoms} atoms)",
                         "note": "cost cap on the shared machine"})
        if generated[c.ident] is None:
            rows.append({"candidate": c.ident, "space_group_generated": c.sg_symbol, "Z": c.z,
                         "stage": "not generated", "note": (out / "generated" / f"{c.ident}.failed").read_text().strip()})
    write_tables(out, rows)

    best = read(out / "full" / f"{winner}.extxyz")
    best = group_by_molecule(best)
    best.info.clear()
    best.info["kind"] = "predicted"
    best.info["candidate"] = winner
    best.info["space_group"] = space_group(best)
    write(out / "predicted_structure.extxyz", best, format="extxyz")
    analysis = {"winner": winner, "space_group": space_group(best), "density_g_cm3": density_g_cm3(best),
                "packing": packing_analysis(best),
                "gfn2_lattice_energy_ev_per_molecule": e_best_gfn - gfn2_mol["energy_ev"],
                "sevennet_lattice_energy_ev_per_molecule": next(r for r in good_full if r["ident"] == winner)["energy_per_molecule_ev"] - e_molecule}
    analysis["packing_by_candidate"] = {}
    for r in good_full:
        atoms = read(out / "full" / f"{r['ident']}.extxyz")
        p = packing_analysis(atoms)
        analysis["packing_by_candidate"][r["ident"]] = {
            "distinct_plane_orientations": p["distinct_plane_orientations"],
            "angles_between_distinct_planes_deg": p["angles_between_distinct_planes_deg"],
            "n_herringbone_contacts_among_12_nearest": p["n_herringbone_contacts_among_12_nearest"],
            "bilayer": p["bilayer"],
            "bilayer_planes": [q["hkl"] for q in p["bilayer_planes"]],
            "short_contacts": p["short_contacts"],
        }
    (out / "packing.json").write_text(json.dumps(analysis, indent=1))
    costs["settings"] = vars(args) | {"out_dir": str(out), "plan": [c.__dict__ for c in plan]}
    costs_path.write_text(json.dumps(costs, indent=1, default=str))
    log(f"winner {winner}: {analysis['space_group']}, density {analysis['density_g_cm3']:.3f} g/cm3")
    log(json.dumps(analysis["packing"]["layering"]))
    log(f"costs: {json.dumps(costs['cumulative'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
