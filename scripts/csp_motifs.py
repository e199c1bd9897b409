"""Packing-motif descriptors of molecular crystals, for scripts/predict_structure.py.

Pure functions of an ``ase.Atoms`` crystal of one kind of planar molecule (here
2,5-diiodothiophene, C4H2I2S). No calculator is run. The definitions are declared
in docs/structure-prediction.md and repeated here:

* **plane normal** of a molecule: smallest singular vector of its ring atoms
  (C and S), molecule made whole across periodic boundaries by walking bonds;
* **neighbour pairs**: molecules whose centroids lie within
  :data:`NEIGHBOUR_CUTOFF_A` (periodic images included), each pair once;
* **herringbone angle**: the largest angle between the plane normals of a
  neighbour pair, folded into [0, 90] deg; 0 means all neighbours are parallel;
  **herringbone** when it is at least :data:`HERRINGBONE_MIN_ANGLE_DEG`;
* **layering**: for each lattice plane (hkl) with |h|, |k|, |l| <= 1, centroid
  heights along the plane normal modulo d_hkl; centroids within
  :data:`SAME_LAYER_A` share a layer. A plane is a **bilayer** plane when it has
  an even number of layers per period whose gaps alternate short/long (every
  short gap < :data:`BILAYER_GAP_RATIO` x every long gap), i.e. layers come in
  pairs;
* **contacts**: shortest intermolecular I...I, I...S and H...I (the C-H...I
  contact) distances in Angstrom, up to :data:`CONTACT_CUTOFF_A`.
"""

from __future__ import annotations

import numpy as np
from ase import Atoms

NEIGHBOUR_CUTOFF_A = 7.5
HERRINGBONE_MIN_ANGLE_DEG = 30.0
SAME_LAYER_A = 2.0
BILAYER_GAP_RATIO = 0.6
CONTACT_CUTOFF_A = 5.0
MOLECULE_FORMULA = "C4H2I2S"

#: Bondi van der Waals radii (Angstrom), for the overlap test of generated packings.
VDW_RADII_A = {"H": 1.20, "C": 1.70, "S": 1.80, "I": 1.98}


def find_molecules(atoms: Atoms, scale: float = 1.1) -> list[np.ndarray]:
    """Atom indices of each covalently bonded molecule (ASE natural cutoffs x ``scale``)."""
    from insbench.physics.modes import find_molecules as _find

    return _find(atoms, scale)


def whole_positions(atoms: Atoms, indices: np.ndarray) -> np.ndarray:
    """Positions of one molecule made whole across periodic boundaries (bond walk)."""
    from insbench.physics.modes import whole_molecule_positions

    return whole_molecule_positions(atoms, indices)


def molecules_intact(atoms: Atoms, n_molecules: int) -> tuple[bool, str]:
    """True when the cell holds exactly ``n_molecules`` whole C4H2I2S molecules."""
    mols = find_molecules(atoms)
    if len(mols) != n_molecules:
        return False, f"{len(mols)} covalent fragments instead of {n_molecules} molecules"
    for m in mols:
        formula = atoms[m].get_chemical_formula(mode="hill")
        if formula != MOLECULE_FORMULA:
            return False, f"fragment {formula} is not {MOLECULE_FORMULA}"
    return True, "ok"


def molecule_frames(atoms: Atoms) -> tuple[np.ndarray, np.ndarray]:
    """Centroids (n, 3) and unit plane normals (n, 3) of every molecule."""
    symbols = np.array(atoms.get_chemical_symbols())
    centroids, normals = [], []
    for m in find_molecules(atoms):
        pos = whole_positions(atoms, m)
        ring = pos[np.isin(symbols[m], ("C", "S"))]
        if len(ring) < 3:
            raise ValueError(f"molecule {atoms[m].get_chemical_formula()} has fewer than 3 ring atoms")
        centre = ring.mean(axis=0)
        normals.append(np.linalg.svd(ring - centre)[2][2])
        centroids.append(pos.mean(axis=0))
    return np.array(centroids), np.array(normals)


def _angle_deg(u: np.ndarray, v: np.ndarray) -> float:
    """Angle between two lines (not vectors), in [0, 90] degrees."""
    return float(np.degrees(np.arccos(min(1.0, abs(float(u @ v))))))


def neighbour_pairs(atoms: Atoms, cutoff_a: float = NEIGHBOUR_CUTOFF_A) -> list[dict]:
    """Molecule pairs with centroid distance below ``cutoff_a``, nearest first."""
    centroids, normals = molecule_frames(atoms)
    cell = np.asarray(atoms.cell)
    reach = [int(np.ceil(cutoff_a / max(h, 1e-9))) for h in _plane_spacings(cell)]
    shifts = np.array([[i, j, k] for i in range(-reach[0], reach[0] + 1)
                       for j in range(-reach[1], reach[1] + 1) for k in range(-reach[2], reach[2] + 1)])
    pairs = []
    for a in range(len(centroids)):
        for b in range(a, len(centroids)):
            for s in shifts:
                if a == b and tuple(s) <= (0, 0, 0):
                    continue  # each self-image pair once, never the molecule itself
                dist = float(np.linalg.norm(centroids[b] + s @ cell - centroids[a]))
                if dist < cutoff_a:
                    pairs.append({"a": a, "b": b, "shift": s.tolist(), "centroid_distance_a": round(dist, 3),
                                  "plane_angle_deg": round(_angle_deg(normals[a], normals[b]), 1)})
    pairs.sort(key=lambda p: p["centroid_distance_a"])
    return pairs


def _plane_spacings(cell: np.ndarray) -> np.ndarray:
    """Distances between opposite faces of the cell (Angstrom), one per axis."""
    reciprocal = np.linalg.inv(cell).T
    return 1.0 / np.linalg.norm(reciprocal, axis=1)


def layering(atoms: Atoms) -> list[dict]:
    """Layers of molecular centroids along every lattice plane with |h|,|k|,|l| <= 1."""
    centroids, _ = molecule_frames(atoms)
    reciprocal = np.linalg.inv(np.asarray(atoms.cell)).T
    planes = []
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
                layer_gaps = np.sort(gaps[gaps > SAME_LAYER_A])
                n_layers = max(1, int(layer_gaps.size))
                bilayer = bool(n_layers >= 2 and n_layers % 2 == 0
                               and layer_gaps[: n_layers // 2].max()
                               < BILAYER_GAP_RATIO * layer_gaps[n_layers // 2:].min())
                planes.append({"hkl": hkl.tolist(), "d_spacing_a": round(d_spacing, 3),
                               "n_layers_per_period": n_layers,
                               "interlayer_gaps_a": [round(float(x), 3) for x in layer_gaps],
                               "bilayer": bilayer})
    return planes


def intermolecular_contacts(atoms: Atoms, cutoff_a: float = CONTACT_CUTOFF_A):
    """Yield (i, j, distance) for atom pairs closer than ``cutoff_a`` in different
    molecules or in periodic images of one molecule (recognised by the vector: an
    intramolecular pair has the vector of the whole molecule)."""
    from ase.neighborlist import neighbor_list

    label = np.empty(len(atoms), dtype=int)
    whole = atoms.positions.copy()
    for k, m in enumerate(find_molecules(atoms)):
        label[m] = k
        whole[m] = whole_positions(atoms, m)
    i, j, d, vectors = neighbor_list("ijdD", atoms, cutoff_a)
    for a, b, dist, vec in zip(i, j, d, vectors):
        if label[a] == label[b] and np.allclose(vec, whole[b] - whole[a], atol=1e-4):
            continue
        yield int(a), int(b), float(dist)


def shortest_contacts(atoms: Atoms, cutoff_a: float = CONTACT_CUTOFF_A) -> dict[str, float]:
    """Shortest intermolecular distance per element pair, e.g. ``{"I...I": 3.9}``."""
    symbols = np.array(atoms.get_chemical_symbols())
    out: dict[str, float] = {}
    for a, b, dist in intermolecular_contacts(atoms, cutoff_a):
        key = "...".join(sorted((str(symbols[a]), str(symbols[b]))))
        if key not in out or dist < out[key]:
            out[key] = round(dist, 3)
    return dict(sorted(out.items()))


def min_contact_ratio(atoms: Atoms) -> float:
    """Smallest intermolecular distance / sum of van der Waals radii (10 when none within 4.5 A)."""
    symbols = atoms.get_chemical_symbols()
    ratios = [dist / (VDW_RADII_A[symbols[a]] + VDW_RADII_A[symbols[b]])
              for a, b, dist in intermolecular_contacts(atoms, 4.5)]
    return float(min(ratios)) if ratios else 10.0


def descriptors(atoms: Atoms) -> dict:
    """All motif descriptors of one crystal, as a JSON-ready dict."""
    pairs = neighbour_pairs(atoms)
    planes = layering(atoms)
    contacts = shortest_contacts(atoms)
    angle = max((p["plane_angle_deg"] for p in pairs), default=0.0)
    bilayer_planes = [p for p in planes if p["bilayer"]]
    return {
        "n_molecules": len(find_molecules(atoms)),
        "herringbone_angle_deg": angle,
        "herringbone": bool(angle >= HERRINGBONE_MIN_ANGLE_DEG),
        "bilayer": bool(bilayer_planes),
        "bilayer_planes_hkl": [p["hkl"] for p in bilayer_planes],
        "n_neighbour_pairs": len(pairs),
        "nearest_centroid_distance_a": pairs[0]["centroid_distance_a"] if pairs else None,
        "shortest_i_i_a": contacts.get("I...I"),
        "shortest_i_s_a": contacts.get("I...S"),
        "shortest_h_i_a": contacts.get("H...I"),
        "shortest_contacts_a": contacts,
    }


def group_by_molecule(atoms: Atoms) -> Atoms:
    """Reorder atoms molecule by molecule (S, C, C, C, C, I, I, H, H within each,
    ring carbons in ring order), molecules made whole, so atom order is fixed."""
    mols = find_molecules(atoms)
    order = []
    symbols = np.array(atoms.get_chemical_symbols())
    for m in mols:
        pos = whole_positions(atoms, m)
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
        new.positions[idx] = whole_positions(new, idx)
    return new
