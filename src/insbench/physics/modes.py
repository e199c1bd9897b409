"""What each Gamma-point phonon of a molecular crystal does: rigid-molecule
translation, libration, or internal vibration, and which internal motion.

Input: the crystal (``ase.Atoms``) and its Gamma-point modes as frequencies (cm-1)
and *mass-weighted* eigenvectors ``e`` of shape ``(n_modes, n_atoms, 3)``, each
normalised to 1 (phonopy's and euphonic's convention; the Cartesian displacement
of atom i is ``u_i = e_i / sqrt(m_i)`` up to a common factor).
:func:`gamma_modes_from_phonopy` and :func:`gamma_modes_from_euphonic` produce them.

Decomposition (projector method)
--------------------------------
Molecules are the connected components of the covalent bond graph (ASE natural
cutoffs x 1.1, periodic images followed; :mod:`insbench.physics.molecules`, the one
molecule finder). For each molecule with centre of mass R
and principal axes a_k of its inertia tensor, the six mass-weighted rigid-body
vectors are

* translation along Cartesian x, y, z:  t_k[i] = sqrt(m_i) x_k,
* rotation about a_k:                   r_k[i] = sqrt(m_i) a_k x (r_i - R),

each normalised. Within one molecule they are mutually orthogonal (centre of
mass and principal axes make them so) and vectors of different molecules do not
overlap, so the fractions

    translation = sum_k |<t_k|e>|^2,   libration = sum_k |<r_k|e>|^2,
    internal = 1 - translation - libration

add up to 1. ``character`` is the largest of the three. The libration fraction
is also split by axis: ``lib_long`` (smallest moment of inertia; for an
iodo-aromatic the axis through the heavy atoms), ``lib_mid`` and ``lib_normal``
(largest moment; perpendicular to a planar molecule).

Internal-motion labels (rule)
-----------------------------
The internal part of the displacement, ``u_int``, is converted to changes of a
redundant set of internal coordinates built from the bond graph (linearised
numerically, B-matrix by central differences), each expressed as a length:

* every bond: stretch (Angstrom). Labels: a bond to a terminal atom X from A
  gives ``A-X stretch`` (``C-H stretch``, ``C-I stretch``); a ring bond
  involving a heteroatom gives ``C-S stretch`` (``A-B stretch`` generally); a
  ring C-C bond gives ``ring stretch/deformation``;
* every ring angle times the mean ring bond length: ``ring stretch/deformation``;
* a terminal atom X on a ring atom A with ring neighbours B1, B2: the in-plane
  rock (angle X-A-B1 minus angle X-A-B2, over sqrt 2) and the out-of-plane wag
  (angle between A-X and the plane B1-A-B2), both times the A-X bond length:
  ``A-X in-plane bend`` / ``A-X out-of-plane bend``;
* every ring torsion times the mean ring bond length: ``ring out-of-plane``.

Each coordinate change is squared, summed per label and normalised over all
labels; ``label`` is the label with the largest share and ``label_fractions``
holds every share. This is a displacement (not potential-energy) distribution:
it needs no force field and is independent of the method that made the modes,
but redundant coordinates mean shares are indicative, not exact; modes of
mixed character get the label of the largest part, and the next one is kept
(``second_label``). Coordinates belonging to other molecule types (chains,
non-ring bonds between non-terminal atoms) fall back to ``A-B stretch``,
``skeletal bend`` and ``torsion``.

INS weight
----------
``ins_weight = sum_i sigma_inc(i) |e_i|^2 / m_i`` (barn/amu), sigma_inc from
Sears (1992) via abinslib. For an indirect-geometry instrument (Q^2 roughly
proportional to energy transfer) the fundamental's intensity is about
proportional to this number at low temperature, before the Debye-Waller factor:
hydrogen-rich modes are strong, iodine-only modes nearly invisible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from itertools import combinations

import numpy as np
from ase import Atoms

from insbench.physics.molecules import find_molecules  # noqa: F401  (the one molecule finder; re-exported)

CHARACTERS: tuple[str, ...] = ("translation", "libration", "internal")


class ModeAnalysisError(ValueError):
    """Eigenvectors and structure do not fit together."""


# --------------------------------------------------------------------------- molecules


def whole_molecule_positions(atoms: Atoms, indices: np.ndarray, scale: float = 1.1) -> np.ndarray:
    """Cartesian positions of one molecule made whole by walking its bonds across
    periodic boundaries (minimum-image unwrapping fails when a cell axis is shorter
    than the molecule, e.g. a ~4 A stacking axis)."""
    return _bond_graph(atoms, np.asarray(indices), scale)[0]


def _bond_graph(atoms: Atoms, indices: np.ndarray, scale: float) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Whole-molecule positions (periodic images unwrapped along bonds) and local bonds."""
    from ase.neighborlist import natural_cutoffs, neighbor_list

    sub = atoms[indices]
    i, j, shift = neighbor_list("ijS", sub, natural_cutoffs(sub, mult=scale))
    cell = np.asarray(sub.cell)
    positions = sub.positions.copy()
    placed = {0}
    frontier = [0]
    neighbours: dict[int, list[tuple[int, np.ndarray]]] = {}
    for a, b, s in zip(i, j, shift):
        neighbours.setdefault(int(a), []).append((int(b), s))
    while frontier:
        a = frontier.pop()
        for b, s in neighbours.get(a, []):
            if b not in placed:
                positions[b] = sub.positions[b] + s @ cell - sub.positions[a] + positions[a]
                placed.add(b)
                frontier.append(b)
    bonds = sorted({(int(min(a, b)), int(max(a, b))) for a, b in zip(i, j) if a != b})
    return positions, bonds


@dataclass(frozen=True)
class Molecule:
    """One molecule: atom indices (into the crystal), whole positions, bonds (local indices)."""

    indices: np.ndarray
    positions: np.ndarray
    symbols: tuple[str, ...]
    masses: np.ndarray
    bonds: tuple[tuple[int, int], ...]
    principal_axes: np.ndarray = field(repr=False)  # rows: smallest, middle, largest moment
    moments_amu_a2: np.ndarray = field(repr=False)

    @property
    def centre_of_mass(self) -> np.ndarray:
        return (self.masses[:, None] * self.positions).sum(axis=0) / self.masses.sum()


def molecules_of(atoms: Atoms, scale: float = 1.1) -> list[Molecule]:
    """Every molecule of the crystal with its bond graph and principal axes."""
    out = []
    masses = atoms.get_masses()
    symbols = atoms.get_chemical_symbols()
    for indices in find_molecules(atoms, scale):
        positions, bonds = _bond_graph(atoms, indices, scale)
        m = masses[indices]
        com = (m[:, None] * positions).sum(axis=0) / m.sum()
        r = positions - com
        inertia = sum(mi * (np.dot(ri, ri) * np.eye(3) - np.outer(ri, ri)) for mi, ri in zip(m, r))
        moments, vectors = np.linalg.eigh(inertia)
        out.append(Molecule(indices, positions, tuple(symbols[k] for k in indices), m, tuple(bonds),
                            vectors.T.copy(), moments))
    return out


# --------------------------------------------------------------------------- rigid-body projector


def rigid_body_vectors(atoms: Atoms, molecule: Molecule) -> tuple[np.ndarray, np.ndarray]:
    """Normalised mass-weighted translation (3) and rotation (<=3) vectors of one molecule,
    each of shape ``(n_atoms_crystal, 3)``; rotations are about the principal axes
    (rows ordered smallest, middle, largest moment). A rotation of zero norm (a
    linear molecule about its axis, a single atom) is returned as zeros."""
    n = len(atoms)
    sqrt_m = np.sqrt(molecule.masses)
    r = molecule.positions - molecule.centre_of_mass
    translations = np.zeros((3, n, 3))
    rotations = np.zeros((3, n, 3))
    for k in range(3):
        t = np.zeros((len(molecule.indices), 3))
        t[:, k] = sqrt_m
        translations[k, molecule.indices] = t / np.linalg.norm(t)
        rot = sqrt_m[:, None] * np.cross(molecule.principal_axes[k], r)
        norm = np.linalg.norm(rot)
        if norm > 1e-8:
            rotations[k, molecule.indices] = rot / norm
    return translations, rotations


# --------------------------------------------------------------------------- internal coordinates


@dataclass(frozen=True)
class InternalCoordinate:
    """A scalar function of one molecule's (local) positions, in Angstrom-like units."""

    label: str
    atoms: tuple[int, ...]  # local indices
    kind: str  # stretch | angle | rock | wag | torsion
    scale_a: float  # multiplies angles (radians) to give a length

    def value(self, x: np.ndarray) -> float:
        a = self.atoms
        if self.kind == "stretch":
            return float(np.linalg.norm(x[a[1]] - x[a[0]]))
        if self.kind == "angle":
            return self.scale_a * _angle(x[a[0]], x[a[1]], x[a[2]])
        if self.kind == "rock":  # terminal X=a0 on A=a1 with neighbours a2, a3
            return self.scale_a * (_angle(x[a[0]], x[a[1]], x[a[2]]) - _angle(x[a[0]], x[a[1]], x[a[3]])) / np.sqrt(2)
        if self.kind == "wag":
            normal = np.cross(x[a[2]] - x[a[1]], x[a[3]] - x[a[1]])
            bond = x[a[0]] - x[a[1]]
            return self.scale_a * float(np.arcsin(np.clip(normal @ bond / (np.linalg.norm(normal) * np.linalg.norm(bond)), -1, 1)))
        if self.kind == "torsion":
            return self.scale_a * _dihedral(x[a[0]], x[a[1]], x[a[2]], x[a[3]])
        raise ValueError(self.kind)


def _angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    u, v = a - b, c - b
    return float(np.arccos(np.clip(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)), -1.0, 1.0)))


def _dihedral(a, b, c, d) -> float:
    b0, b1, b2 = a - b, c - b, d - c
    b1n = b1 / np.linalg.norm(b1)
    v = b0 - (b0 @ b1n) * b1n
    w = b2 - (b2 @ b1n) * b1n
    return float(np.arctan2(np.cross(b1n, v) @ w, v @ w))


def _rings(n: int, bonds: Sequence[tuple[int, int]]) -> list[list[int]]:
    """Smallest rings through each ring bond (enough for fused or single small rings)."""
    adjacency: dict[int, set[int]] = {k: set() for k in range(n)}
    for a, b in bonds:
        adjacency[a].add(b)
        adjacency[b].add(a)
    rings: list[list[int]] = []
    for a, b in bonds:
        # shortest path a -> b avoiding the direct bond (BFS)
        previous = {a: -1}
        queue = [a]
        found = False
        while queue and not found:
            nxt = []
            for u in queue:
                for v in adjacency[u]:
                    if (u, v) in ((a, b), (b, a)) or v in previous:
                        continue
                    previous[v] = u
                    if v == b:
                        found = True
                        break
                    nxt.append(v)
                if found:
                    break
            queue = nxt
        if found:
            path = [b]
            while path[-1] != a:
                path.append(previous[path[-1]])
            if len(path) <= 8 and not any(set(path) == set(r) for r in rings):
                rings.append(path)
    return rings


def internal_coordinates(molecule: Molecule) -> list[InternalCoordinate]:
    """The labelled internal coordinates of the module docstring, for one molecule."""
    n = len(molecule.indices)
    bonds = molecule.bonds
    sym = molecule.symbols
    x = molecule.positions
    adjacency: dict[int, list[int]] = {k: [] for k in range(n)}
    for a, b in bonds:
        adjacency[a].append(b)
        adjacency[b].append(a)
    rings = _rings(n, bonds)
    ring_atoms = {k for r in rings for k in r}
    ring_bonds = {tuple(sorted((r[k], r[(k + 1) % len(r)]))) for r in rings for k in range(len(r))}
    mean_ring_bond = (np.mean([np.linalg.norm(x[a] - x[b]) for a, b in ring_bonds]) if ring_bonds else 1.5)
    coords: list[InternalCoordinate] = []
    for a, b in bonds:
        pair = "-".join(sorted((sym[a], sym[b]), key=lambda s: (s != "C", s)))
        if (a, b) in ring_bonds:
            label = "ring stretch/deformation" if sym[a] == sym[b] == "C" else f"{pair} stretch"
        elif len(adjacency[a]) == 1 or len(adjacency[b]) == 1:
            terminal, anchor = (a, b) if len(adjacency[a]) == 1 else (b, a)
            label = f"{sym[anchor]}-{sym[terminal]} stretch"
        else:
            label = f"{pair} stretch"
        coords.append(InternalCoordinate(label, (a, b), "stretch", 1.0))
    for r in rings:
        m = len(r)
        for k in range(m):
            coords.append(InternalCoordinate("ring stretch/deformation", (r[k - 1], r[k], r[(k + 1) % m]), "angle",
                                             float(mean_ring_bond)))
            coords.append(InternalCoordinate("ring out-of-plane", (r[k - 1], r[k], r[(k + 1) % m], r[(k + 2) % m]),
                                             "torsion", float(mean_ring_bond)))
    for t in range(n):
        if len(adjacency[t]) != 1:
            continue
        anchor = adjacency[t][0]
        others = [k for k in adjacency[anchor] if k != t]
        length = float(np.linalg.norm(x[t] - x[anchor]))
        name = f"{sym[anchor]}-{sym[t]}"
        if anchor in ring_atoms and len(others) == 2:
            b1, b2 = others
            coords.append(InternalCoordinate(f"{name} in-plane bend", (t, anchor, b1, b2), "rock", length))
            coords.append(InternalCoordinate(f"{name} out-of-plane bend", (t, anchor, b1, b2), "wag", length))
        else:
            for b1 in others:
                coords.append(InternalCoordinate(f"{name} bend", (t, anchor, b1), "angle", length))
    # non-ring skeletal angles and torsions (chains); not used for a single-ring molecule
    for centre in range(n):
        if centre in ring_atoms:
            continue
        heavy = [k for k in adjacency[centre] if len(adjacency[k]) > 1]
        for a, c in combinations(heavy, 2):
            coords.append(InternalCoordinate("skeletal bend", (a, centre, c), "angle", 1.5))
    for a, b in bonds:
        if (a, b) in ring_bonds or len(adjacency[a]) == 1 or len(adjacency[b]) == 1:
            continue
        for p in adjacency[a]:
            for q in adjacency[b]:
                if p not in (a, b) and q not in (a, b) and p != q:
                    coords.append(InternalCoordinate("torsion", (p, a, b, q), "torsion", 1.5))
    return coords


def b_matrix(molecule: Molecule, coords: Sequence[InternalCoordinate], step_a: float = 1e-5) -> np.ndarray:
    """d q / d x by central differences, shape ``(n_coords, n_atoms_molecule * 3)``."""
    x0 = molecule.positions
    n = len(x0)
    out = np.zeros((len(coords), 3 * n))
    for atom in range(n):
        for axis in range(3):
            plus = x0.copy()
            minus = x0.copy()
            plus[atom, axis] += step_a
            minus[atom, axis] -= step_a
            column = 3 * atom + axis
            for row, c in enumerate(coords):
                diff = c.value(plus) - c.value(minus)
                if c.kind == "torsion":  # wrap through +-pi
                    diff = (diff / c.scale_a + np.pi) % (2 * np.pi) - np.pi
                    diff *= c.scale_a
                out[row, column] = diff / (2 * step_a)
    return out


# --------------------------------------------------------------------------- assignment


@dataclass(frozen=True)
class ModeCharacter:
    """One mode's character. Fractions are of the mass-weighted eigenvector (sum to 1)."""

    index: int
    frequency_cm1: float
    character: str  # translation | libration | internal
    translation: float
    libration: float
    internal: float
    lib_long: float
    lib_mid: float
    lib_normal: float
    label: str  # dominant motion: "translation", "libration", or an internal-motion label
    internal_label: str  # dominant internal-motion label even for lattice modes
    second_label: str
    label_fractions: dict[str, float]
    ins_weight: float  # sum_i sigma_inc(i) |e_i|^2 / m_i, barn/amu

    def to_row(self) -> dict:
        row = asdict(self)
        row["label_fractions"] = {k: round(v, 4) for k, v in self.label_fractions.items()}
        return row


@dataclass(frozen=True)
class ModeAssignment:
    """The assignment table for all modes at one pressure."""

    modes: tuple[ModeCharacter, ...]
    n_molecules: int
    rule: str = "projector (rigid-body) + internal-coordinate displacement distribution; see insbench.physics.modes"

    def __len__(self) -> int:
        return len(self.modes)

    @property
    def frequencies_cm1(self) -> np.ndarray:
        return np.array([m.frequency_cm1 for m in self.modes])

    @property
    def labels(self) -> list[str]:
        return [m.label for m in self.modes]

    def rows(self) -> list[dict]:
        return [m.to_row() for m in self.modes]


def incoherent_cross_sections_barn(atoms: Atoms) -> np.ndarray:
    """Sears (1992) incoherent cross sections (barn) of each atom, via abinslib."""
    import logging

    from abinslib.util import sears_1992

    logging.disable(logging.INFO)  # abinslib logs every lookup at INFO
    try:
        cache: dict[tuple[str, float], float] = {}
        out = []
        for symbol, mass in zip(atoms.get_chemical_symbols(), atoms.get_masses()):
            key = (symbol, round(float(mass), 4))
            if key not in cache:
                cache[key] = float(sears_1992.get_value(symbol, float(mass), "incoherent_cross_section").magnitude)
            out.append(cache[key])
    finally:
        logging.disable(logging.NOTSET)
    return np.array(out)


def _check_eigenvectors(atoms: Atoms, frequencies_cm1: np.ndarray, eigenvectors: np.ndarray) -> np.ndarray:
    e = np.asarray(eigenvectors)
    n = len(atoms)
    if e.ndim == 2 and e.shape == (3 * n, 3 * n):
        raise ModeAnalysisError("pass eigenvectors as (n_modes, n_atoms, 3); for phonopy's (3N, 3N) "
                                "column matrix use gamma_modes_from_phonopy()")
    if e.ndim != 3 or e.shape[1:] != (n, 3):
        raise ModeAnalysisError(f"eigenvectors have shape {e.shape}; expected (n_modes, {n}, 3) for {n} atoms")
    if len(frequencies_cm1) != e.shape[0]:
        raise ModeAnalysisError(f"{len(frequencies_cm1)} frequencies for {e.shape[0]} eigenvectors")
    norms = np.sqrt((np.abs(e) ** 2).sum(axis=(1, 2)))
    if np.any(np.abs(norms - 1.0) > 1e-3):
        raise ModeAnalysisError(f"eigenvectors must be normalised (norms range {norms.min():.4f}-{norms.max():.4f})")
    return e


def assign_modes(
    atoms: Atoms,
    frequencies_cm1: Sequence[float],
    eigenvectors: np.ndarray,
    *,
    molecules: list[Molecule] | None = None,
    bond_scale: float = 1.1,
) -> ModeAssignment:
    """Classify every mode (see the module docstring for the rules).

    Args:
        atoms: the crystal the modes belong to (same atom order as the eigenvectors).
        frequencies_cm1: mode frequencies, cm-1 (imaginary as negative).
        eigenvectors: mass-weighted, normalised, shape ``(n_modes, n_atoms, 3)``;
            complex Gamma eigenvectors are accepted (their phase is removed).
        molecules: precomputed :func:`molecules_of` (else computed here).
    """
    freqs = np.asarray(frequencies_cm1, dtype=float)
    e = _check_eigenvectors(atoms, freqs, eigenvectors)
    e = _real_gamma(e)
    mols = molecules if molecules is not None else molecules_of(atoms, bond_scale)
    covered = np.concatenate([m.indices for m in mols])
    if sorted(covered.tolist()) != list(range(len(atoms))):
        raise ModeAnalysisError("molecules do not partition the atoms")
    trans_basis, rot_basis = [], []
    for mol in mols:
        t, r = rigid_body_vectors(atoms, mol)
        trans_basis.append(t)
        rot_basis.append(r)
    T = np.concatenate(trans_basis).reshape(-1, 3 * len(atoms))  # (3 n_mol, 3N)
    R = np.concatenate(rot_basis).reshape(-1, 3 * len(atoms))  # (3 n_mol, 3N), zero rows allowed
    flat = e.reshape(len(e), -1)
    c_t = flat @ T.T  # signed projections
    c_r = flat @ R.T
    trans = c_t**2
    rot = (c_r**2).reshape(len(e), len(mols), 3)
    masses = atoms.get_masses()
    sigma = incoherent_cross_sections_barn(atoms)
    ins_weight = (sigma[None, :] * (e**2).sum(axis=2) / masses[None, :]).sum(axis=1)

    coords = [internal_coordinates(m) for m in mols]
    bmats = [b_matrix(m, c) for m, c in zip(mols, coords)]
    labels_all = sorted({c.label for cs in coords for c in cs})
    out = []
    for k in range(len(e)):
        f_t = float(trans[k].sum())
        f_r = float(rot[k].sum())
        f_i = max(0.0, 1.0 - f_t - f_r)
        # internal displacement, Cartesian: remove rigid-body parts, un-mass-weight
        internal = flat[k] - c_t[k] @ T - c_r[k] @ R
        u = internal.reshape(-1, 3) / np.sqrt(masses)[:, None]
        shares = dict.fromkeys(labels_all, 0.0)
        for mol, cs, b in zip(mols, coords, bmats):
            dq = b @ u[mol.indices].reshape(-1)
            for c, value in zip(cs, dq):
                shares[c.label] += float(value**2)
        total = sum(shares.values())
        fractions = {key: (v / total if total > 0 else 0.0) for key, v in shares.items()}
        ordered = sorted(fractions, key=fractions.get, reverse=True)
        character = CHARACTERS[int(np.argmax([f_t, f_r, f_i]))]
        lib_axes = rot[k].sum(axis=0)
        label = (ordered[0] if ordered else "internal") if character == "internal" else character
        out.append(ModeCharacter(
            index=k,
            frequency_cm1=float(freqs[k]),
            character=character,
            translation=f_t,
            libration=f_r,
            internal=f_i,
            lib_long=float(lib_axes[0]),
            lib_mid=float(lib_axes[1]),
            lib_normal=float(lib_axes[2]),
            label=label,
            internal_label=ordered[0] if ordered else "",
            second_label=ordered[1] if len(ordered) > 1 else "",
            label_fractions=fractions,
            ins_weight=float(ins_weight[k]),
        ))
    return ModeAssignment(tuple(out), len(mols))


def _real_gamma(e: np.ndarray) -> np.ndarray:
    """Gamma eigenvectors are real up to a global phase per mode; remove it."""
    if not np.iscomplexobj(e):
        return e.astype(float)
    out = np.empty(e.shape, dtype=float)
    for k, vec in enumerate(e):
        flat = vec.reshape(-1)
        phase = np.angle(flat[np.argmax(np.abs(flat))])
        real = (flat * np.exp(-1j * phase)).real
        norm = np.linalg.norm(real)
        out[k] = (real / norm if norm > 0 else real).reshape(vec.shape)
    return out


# --------------------------------------------------------------------------- sources of modes


def gamma_modes_from_phonopy(phonon) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies (cm-1) and eigenvectors ``(n_modes, n_atoms, 3)`` at Gamma from a
    phonopy object with force constants (primitive cell atom order)."""
    from phonopy.physical_units import get_physical_units

    phonon.run_qpoints([[0.0, 0.0, 0.0]], with_eigenvectors=True)
    freqs = np.asarray(phonon.qpoints.frequencies[0]) * get_physical_units().THzToCm
    vecs = np.asarray(phonon.qpoints.eigenvectors[0])  # (3N, 3N), columns are modes
    n = vecs.shape[0] // 3
    return freqs, vecs.T.reshape(-1, n, 3)


def gamma_modes_from_euphonic(force_constants, asr: str | None = "reciprocal") -> tuple[np.ndarray, np.ndarray]:
    """Frequencies (cm-1) and eigenvectors ``(n_modes, n_atoms, 3)`` at Gamma from euphonic."""
    modes = force_constants.calculate_qpoint_phonon_modes(np.zeros((1, 3)), asr=asr)
    return modes.frequencies.to("1/cm").magnitude[0], np.asarray(modes.eigenvectors[0])


def atoms_from_phonopy(phonon) -> Atoms:
    """The primitive cell of a phonopy object as ase.Atoms (the eigenvectors' atom order)."""
    prim = phonon.primitive
    return Atoms(symbols=prim.symbols, cell=prim.cell, scaled_positions=prim.scaled_positions,
                 masses=prim.masses, pbc=True)


def summarise_characters(assignment: ModeAssignment, windows_cm1: dict[str, tuple[float, float]]) -> dict:
    """Counts of modes by character and label inside each window (for reports)."""
    out: dict[str, dict] = {}
    for name, (lo, hi) in windows_cm1.items():
        inside = [m for m in assignment.modes if lo <= m.frequency_cm1 <= hi]
        out[name] = {
            "n_modes": len(inside),
            "by_character": {c: sum(m.character == c for m in inside) for c in CHARACTERS},
            "by_label": {lab: sum(m.label == lab for m in inside) for lab in sorted({m.label for m in inside})},
        }
    return out
