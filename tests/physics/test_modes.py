"""Mode decomposition (insbench.physics.modes) on synthetic modes of a toy
two-molecule crystal, plus one check on the shipped GFN2-xTB phonons.

The toy crystal is two planar 2,5-diiodothiophene molecules (standard bond
lengths, not relaxed) in a 14 A cubic box; its "modes" are hand-made displacement
patterns, not eigenvectors of any Hamiltonian.
"""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from scipy.spatial.transform import Rotation

from insbench.physics.modes import (
    ModeAnalysisError,
    assign_modes,
    find_molecules,
    internal_coordinates,
    molecules_of,
)


def diiodothiophene() -> Atoms:
    """Planar C2v molecule, atom order S C2 C3 C4 C5 I2 I5 H3 H4 (synthetic geometry)."""
    s = np.array([0.0, 0.0, 0.0])
    c2 = np.array([1.241, -1.198, 0.0])
    c3 = np.array([0.71, -2.436, 0.0])
    m = np.array([-1.0, 1.0, 1.0])
    i2 = np.array([2.981, -0.105, 0.0])
    h3 = np.array([1.305, -3.343, 0.0])
    return Atoms("SCCCCIIHH", positions=[s, c2, c3, c3 * m, c2 * m, i2, i2 * m, h3, h3 * m])


@pytest.fixture(scope="module")
def crystal() -> Atoms:
    a = diiodothiophene()
    b = diiodothiophene()
    b.positions = Rotation.from_euler("xyz", [30, 50, 70], degrees=True).apply(b.positions)
    a.positions += [3.0, 4.0, 3.0]
    b.positions += [10.0, 9.0, 10.0]
    out = a + b
    out.cell = [14.0, 14.0, 14.0]
    out.pbc = True
    out.wrap()  # molecule b straddles nothing, but wrapping must not matter
    return out


def mass_weighted(atoms: Atoms, displacement: np.ndarray) -> np.ndarray:
    e = displacement * np.sqrt(atoms.get_masses())[:, None]
    return e / np.linalg.norm(e)


def remove_rigid(atoms: Atoms, e: np.ndarray) -> np.ndarray:
    """Project out all rigid-body motions (so a hand-made internal mode is purely internal)."""
    from insbench.physics.modes import rigid_body_vectors

    basis = []
    for mol in molecules_of(atoms):
        t, r = rigid_body_vectors(atoms, mol)
        basis.extend([*t, *r])
    flat = e.reshape(-1).copy()
    for v in basis:
        v = v.reshape(-1)
        if np.linalg.norm(v) > 0:
            flat -= (flat @ v) * v
    return (flat / np.linalg.norm(flat)).reshape(e.shape)


def test_finds_two_molecules(crystal):
    mols = find_molecules(crystal)
    assert sorted(len(m) for m in mols) == [9, 9]
    assert sorted(mols[0].tolist() + mols[1].tolist()) == list(range(18))


def test_pure_translation_is_translation(crystal):
    d = np.zeros((18, 3))
    d[:9] = [0.3, -0.2, 0.1]  # molecule a moves rigidly
    table = assign_modes(crystal, [42.0], mass_weighted(crystal, d)[None])
    mode = table.modes[0]
    assert mode.character == "translation"
    assert mode.label == "translation"
    assert mode.translation == pytest.approx(1.0, abs=1e-9)
    assert mode.internal == pytest.approx(0.0, abs=1e-9)


def test_rotation_about_normal_is_libration_about_normal(crystal):
    mol = next(m for m in molecules_of(crystal) if 9 in m.indices)
    normal = mol.principal_axes[2]
    d = np.zeros((18, 3))
    d[mol.indices] = np.cross(normal, mol.positions - mol.centre_of_mass) * 0.01
    mode = assign_modes(crystal, [60.0], mass_weighted(crystal, d)[None]).modes[0]
    assert mode.character == "libration"
    assert mode.libration == pytest.approx(1.0, abs=1e-6)
    assert mode.lib_normal == pytest.approx(1.0, abs=1e-6)
    # the normal of a planar molecule is the axis of largest moment of inertia
    ring = mol.positions[[0, 1, 2, 3, 4]]
    svd_normal = np.linalg.svd(ring - ring.mean(axis=0))[2][2]
    assert abs(svd_normal @ normal) == pytest.approx(1.0, abs=1e-6)


def test_long_axis_libration_is_about_the_iodine_axis(crystal):
    mol = next(m for m in molecules_of(crystal) if 0 in m.indices)
    ii = mol.positions[6] - mol.positions[5]
    assert abs(mol.principal_axes[0] @ ii / np.linalg.norm(ii)) > 0.95


def test_ch_stretch_and_oop_are_labelled(crystal):
    # H3 (atom 7) moves along its C3-H bond; C3 (atom 2) moves against it
    bond = crystal.positions[7] - crystal.positions[2]
    bond /= np.linalg.norm(bond)
    d = np.zeros((18, 3))
    d[7] = bond
    d[2] = -bond * crystal.get_masses()[7] / crystal.get_masses()[2]
    stretch = remove_rigid(crystal, mass_weighted(crystal, d))
    # H3 and H4 move out of the ring plane (z for molecule a) in phase
    d = np.zeros((18, 3))
    d[7] = d[8] = [0.0, 0.0, 1.0]
    oop = remove_rigid(crystal, mass_weighted(crystal, d))
    table = assign_modes(crystal, [3100.0, 850.0], np.stack([stretch, oop]))
    assert table.modes[0].character == "internal"
    assert table.modes[0].label == "C-H stretch"
    assert table.modes[1].label == "C-H out-of-plane bend"
    assert table.modes[0].label_fractions["C-H stretch"] > 0.5


def test_ins_weight_favours_hydrogen(crystal):
    d_h = np.zeros((18, 3))
    d_h[7] = [1.0, 0.0, 0.0]
    d_i = np.zeros((18, 3))
    d_i[5] = [1.0, 0.0, 0.0]
    table = assign_modes(crystal, [500.0, 100.0], np.stack([mass_weighted(crystal, d_h), mass_weighted(crystal, d_i)]))
    assert table.modes[0].ins_weight > 1000 * table.modes[1].ins_weight


def test_internal_coordinate_labels_cover_the_rules(crystal):
    mol = molecules_of(crystal)[0]
    labels = {c.label for c in internal_coordinates(mol)}
    assert {"C-H stretch", "C-I stretch", "C-S stretch", "ring stretch/deformation", "ring out-of-plane",
            "C-H in-plane bend", "C-H out-of-plane bend", "C-I in-plane bend", "C-I out-of-plane bend"} <= labels


def test_bad_shapes_raise_with_a_reason(crystal):
    with pytest.raises(ModeAnalysisError, match="expected"):
        assign_modes(crystal, [1.0], np.zeros((1, 17, 3)))
    with pytest.raises(ModeAnalysisError, match="normalised"):
        assign_modes(crystal, [1.0], np.ones((1, 18, 3)))


def test_gfn2_reference_phonons_are_classified_sensibly():
    """On the shipped GFN2-xTB Gamma modes: about 6 lattice modes per molecule, all
    below 200 cm-1; C-H stretches are internal and near 3000-3200 cm-1."""
    pytest.importorskip("phonopy")
    from insbench.reference import FixtureNotFoundError, load_fixture

    try:
        fixture = load_fixture("diiodothiophene", "1.0.0")  # the version with computed phonons
    except FixtureNotFoundError:
        pytest.skip("diiodothiophene fixture not installed")
    import phonopy

    from insbench.physics.modes import atoms_from_phonopy, gamma_modes_from_phonopy

    names = [a.name for a in fixture.artefacts(kind="computed") if a.format == "yaml" and a.pressure_gpa == 0.0]
    if not names:
        pytest.skip("fixture has no phonopy.yaml")
    phonon = phonopy.load(str(fixture.file_path(names[0])), produce_fc=True, log_level=0)
    atoms = atoms_from_phonopy(phonon)
    freqs, vecs = gamma_modes_from_phonopy(phonon)
    table = assign_modes(atoms, freqs, vecs)
    n_mol = table.n_molecules
    # 6 rigid-body degrees of freedom per molecule -> about 6 n_mol lattice modes, all low;
    # with two iodines the lowest internal modes (~90 cm-1) mix in among them
    lattice = [m for m in table.modes if m.character != "internal"]
    assert abs(len(lattice) - 6 * n_mol) <= 2
    assert all(m.frequency_cm1 < 200.0 for m in lattice)
    ch = [m for m in table.modes if m.label == "C-H stretch"]
    assert len(ch) == 2 * n_mol
    assert all(2900 < m.frequency_cm1 < 3300 for m in ch)
