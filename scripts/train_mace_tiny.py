"""Train ``mace-tiny``: a deliberately small MACE model for FAST CI plumbing runs.

``mace-tiny`` is NOT a physics model. It exists so that the whole insbench
pipeline (relax -> phonons -> INS spectrum -> scores) can run in CI in
seconds on a CPU. Its benchmark scores mean nothing physically.

What this script does (one command: ``python scripts/train_mace_tiny.py``):

1. builds a few hundred structures: the hexane crystal from
   ``geometry.in`` (rattled, C-H bonds stretched towards relaxed lengths,
   strained and compressed cells, 2x supercells) and 2,5-diiodothiophene
   (C4H2I2S, a planar molecule built from standard bond lengths) as
   isolated molecules and in simple periodic packings, rattled;
2. labels them with SevenNet-0 + D3(BJ) through insbench's own registry
   (``resolve_mlip("sevennet-0+d3")``): this is distillation, so mace-tiny
   inherits SevenNet-0's errors and D3(BJ) dispersion;
3. holds out 10 % as a test set and trains a tiny MACE with mace-torch
   (seeded, float64, CPU);
4. writes the model and a JSON of training metadata (data sha256, settings,
   held-out errors, wall times, package versions) next to it.

Usage::

    python scripts/train_mace_tiny.py [--out src/insbench/models/data/mace-tiny.model]
                                      [--data labelled.extxyz] [--work-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from ase import Atoms
from ase.io import read, write
from scipy.spatial.transform import Rotation

REPO = Path(__file__).resolve().parents[1]
HEXANE_GEOMETRY = Path(__file__).resolve().parents[1] / "reference_data" / "hexane" / "1.0.0" / "geometry.in"
DEFAULT_OUT = REPO / "src" / "insbench" / "models" / "data" / "mace-tiny.model"
SEED = 20240613
TEACHER = "sevennet-0+d3"

#: Tiny MACE settings: small enough to train in a few minutes on 2 CPU cores.
MACE_SETTINGS: dict[str, object] = {
    "model": "MACE",
    "num_channels": 16,
    "max_L": 0,
    "max_ell": 1,
    "r_max": 5.0,
    "correlation": 2,
    "num_interactions": 2,
    "num_radial_basis": 6,
    "MLP_irreps": "16x0e",
    "radial_MLP": "[16, 16]",
    "max_num_epochs": 200,
    "swa": True,
    "start_swa": 150,
    "swa_energy_weight": 1000.0,
    "swa_forces_weight": 100.0,
    "batch_size": 8,
    "valid_batch_size": 16,
    "lr": 0.01,
    "energy_weight": 1.0,
    "forces_weight": 100.0,
    "E0s": "average",
    "default_dtype": "float32",
    "device": "cpu",
    "valid_fraction": 0.1,
    "seed": SEED,
}


# ---------------------------------------------------------------- structures
def diiodothiophene() -> Atoms:
    """Planar 2,5-diiodothiophene from standard bond lengths (training data only).

    Ring: C-S 1.72, C2=C3 1.37, C3-C4 1.42 Angstrom; substituents C-I 2.07,
    C-H 1.08 Angstrom along the exterior bisector of each ring angle.
    """
    c_s, c_c_double, c_c_single, c_i, c_h = 1.72, 1.37, 1.42, 2.07, 1.08
    half_angle = np.radians(92.2 / 2)  # C-S-C angle of thiophene
    s = np.array([0.0, 0.0])
    c2 = np.array([-c_s * np.sin(half_angle), -c_s * np.cos(half_angle)])
    c5 = c2 * np.array([-1.0, 1.0])
    dx = -c_c_single / 2 - c2[0]
    c3 = np.array([-c_c_single / 2, c2[1] - np.sqrt(c_c_double**2 - dx**2)])
    c4 = c3 * np.array([-1.0, 1.0])

    def outward(atom: np.ndarray, n1: np.ndarray, n2: np.ndarray) -> np.ndarray:
        u = (n1 - atom) / np.linalg.norm(n1 - atom) + (n2 - atom) / np.linalg.norm(n2 - atom)
        return -u / np.linalg.norm(u)

    i2 = c2 + c_i * outward(c2, s, c3)
    i5 = c5 + c_i * outward(c5, s, c4)
    h3 = c3 + c_h * outward(c3, c2, c4)
    h4 = c4 + c_h * outward(c4, c5, c3)
    xy = np.array([s, c2, c3, c4, c5, i2, i5, h3, h4])
    positions = np.column_stack([xy, np.zeros(len(xy))])
    molecule = Atoms("SCCCCIIHH", positions=positions)
    molecule.positions -= molecule.get_center_of_mass()
    return molecule


def _stretch_ch(atoms: Atoms, rng: np.random.Generator, lo: float = 1.02, hi: float = 1.14) -> None:
    """Set each C-H bond to a random length in [lo, hi] (X-ray C-H bonds are too short)."""
    carbons = [i for i, z in enumerate(atoms.numbers) if z == 6]
    for h in (i for i, z in enumerate(atoms.numbers) if z == 1):
        vectors = [atoms.get_distance(h, c, mic=True, vector=True) for c in carbons]
        nearest = min(vectors, key=np.linalg.norm)  # from H to C
        length = np.linalg.norm(nearest)
        atoms.positions[h] += nearest * (1 - rng.uniform(lo, hi) / length)


def _strain(atoms: Atoms, eps: np.ndarray) -> Atoms:
    strained = atoms.copy()
    strained.set_cell(atoms.cell.array @ (np.eye(3) + eps), scale_atoms=True)
    return strained


def _random_strain(rng: np.random.Generator, size: float) -> np.ndarray:
    eps = rng.uniform(-size, size, (3, 3))
    return (eps + eps.T) / 2


def hexane_configs(rng: np.random.Generator, geometry: Path = HEXANE_GEOMETRY) -> list[Atoms]:
    """Hexane crystal variations (20 atoms, plus a few 40-atom supercells)."""
    base = read(geometry, format="aims")
    configs: list[Atoms] = []

    def tag(atoms: Atoms, kind: str) -> Atoms:
        atoms.info["config_type"] = f"hexane_{kind}"
        return atoms

    for _ in range(60):  # reference cell, rattled, C-H bonds varied
        atoms = base.copy()
        _stretch_ch(atoms, rng)
        atoms.rattle(rng.uniform(0.005, 0.04), seed=int(rng.integers(1 << 31)))
        configs.append(tag(atoms, "rattled"))
    for _ in range(45):  # random strains up to +-4 %
        atoms = _strain(base, _random_strain(rng, 0.04))
        _stretch_ch(atoms, rng)
        atoms.rattle(rng.uniform(0.005, 0.035), seed=int(rng.integers(1 << 31)))
        configs.append(tag(atoms, "strained"))
    for _ in range(20):  # compressed cells, up to ~2 GPa-like (-5 % linear, ~-14 % volume)
        eps = -rng.uniform(0.01, 0.05) * np.eye(3) + _random_strain(rng, 0.01)
        atoms = _strain(base, eps)
        _stretch_ch(atoms, rng)
        atoms.rattle(rng.uniform(0.005, 0.03), seed=int(rng.integers(1 << 31)))
        configs.append(tag(atoms, "compressed"))
    for repeat in [(2, 1, 1), (1, 2, 1), (1, 1, 2)] * 2:  # small supercells
        atoms = _strain(base, _random_strain(rng, 0.02)).repeat(repeat)
        _stretch_ch(atoms, rng)
        atoms.rattle(rng.uniform(0.005, 0.035), seed=int(rng.integers(1 << 31)))
        configs.append(tag(atoms, "supercell"))
    return configs


def _min_intermolecular(atoms: Atoms, n_per_molecule: int) -> float:
    distances = atoms.get_all_distances(mic=True)
    molecule = np.arange(len(atoms)) // n_per_molecule
    inter = molecule[:, None] != molecule[None, :]
    if len(atoms) == n_per_molecule:  # one molecule: distance to its periodic images
        cell_lengths = atoms.cell.lengths()
        shortest = np.inf
        for shift in np.ndindex(3, 3, 3):
            vector = (np.array(shift) - 1) @ atoms.cell.array
            if not np.any(np.array(shift) - 1):
                continue
            d = np.linalg.norm(atoms.positions[:, None] + vector - atoms.positions[None], axis=2)
            shortest = min(shortest, d.min())
        return float(min(shortest, cell_lengths.min()))
    return float(distances[inter].min())


def thiophene_configs(rng: np.random.Generator) -> list[Atoms]:
    """2,5-diiodothiophene: isolated molecules and simple periodic packings, rattled."""
    molecule = diiodothiophene()
    n = len(molecule)
    configs: list[Atoms] = []
    for _ in range(60):  # isolated molecules (no periodicity)
        atoms = molecule.copy()
        atoms.positions = Rotation.random(random_state=int(rng.integers(1 << 31))).apply(atoms.positions)
        atoms.rattle(rng.uniform(0.01, 0.05), seed=int(rng.integers(1 << 31)))
        atoms.center(vacuum=6.0)
        atoms.pbc = False
        atoms.info["config_type"] = "dit_molecule"
        configs.append(atoms)
    made = 0
    while made < 50:  # one or two molecules in a skewed cell, min contact >= 3.0 Angstrom
        n_mol = int(rng.integers(1, 3))
        parts = []
        for k in range(n_mol):
            part = molecule.copy()
            if k == 1:  # second molecule: flipped and shifted, as in a herringbone
                part.positions = Rotation.from_euler("z", 180, degrees=True).apply(part.positions)
                tilt = Rotation.from_euler("x", rng.uniform(20, 70), degrees=True)
                part.positions = tilt.apply(part.positions)
            parts.append(part)
        lengths = np.array([9.5, 8.0, 4.2 * n_mol]) * rng.uniform(0.92, 1.12, 3)
        cell = np.diag(lengths)
        cell[2, 0] = rng.uniform(-1.5, 1.5)
        cell[1, 0] = rng.uniform(-1.0, 1.0)
        atoms = Atoms(cell=cell, pbc=True)
        for k, part in enumerate(parts):
            part.positions += (k + 0.5) / n_mol * cell[2] + 0.5 * (cell[0] + cell[1]) * (1 if k == 0 else 0.9)
            atoms += part
        atoms.positions = Rotation.from_euler("z", rng.uniform(-15, 15), degrees=True).apply(
            atoms.positions - atoms.cell.array.sum(0) / 2
        ) + atoms.cell.array.sum(0) / 2
        atoms.wrap()
        if _min_intermolecular(atoms, n) < 3.0:
            continue
        atoms.rattle(rng.uniform(0.01, 0.04), seed=int(rng.integers(1 << 31)))
        atoms.info["config_type"] = f"dit_crystal_{n_mol}"
        configs.append(atoms)
        made += 1
    return configs


# ------------------------------------------------------------------ labelling
def label(configs: list[Atoms]) -> list[Atoms]:
    """Energies, forces (and stresses for periodic cells) from the teacher model."""
    from insbench.models import make_calculator, resolve_mlip

    calc = make_calculator(resolve_mlip(TEACHER))
    labelled = []
    start = time.perf_counter()
    for k, atoms in enumerate(configs):
        work = atoms.copy()
        work.calc = calc
        out = atoms.copy()
        out.info["REF_energy"] = float(work.get_potential_energy())
        out.arrays["REF_forces"] = np.array(work.get_forces())
        if atoms.pbc.all():
            out.info["REF_stress"] = np.array(work.get_stress(voigt=True))
        labelled.append(out)
        if (k + 1) % 10 == 0:
            elapsed = time.perf_counter() - start
            print(f"labelled {k + 1}/{len(configs)} in {elapsed:.0f} s", flush=True)
    return labelled


# ------------------------------------------------------------------- training
def _sha256(path: Path) -> str:
    from insbench.models.provenance import sha256_file

    return sha256_file(path)


def train(train_file: Path, work_dir: Path, name: str) -> Path:
    """Run mace-torch's trainer with :data:`MACE_SETTINGS`; return the final (SWA) model path."""
    os.environ.setdefault("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    from mace.cli.run_train import run
    from mace.tools import build_default_arg_parser

    argv = [f"--name={name}", f"--train_file={train_file}", f"--work_dir={work_dir}"]
    argv += [
        f"--{key}" if value is True else f"--{key}={value}" for key, value in MACE_SETTINGS.items()
    ]
    argv += [
        "--energy_key=REF_energy",
        "--forces_key=REF_forces",
        "--stress_key=REF_stress",
        "--loss=weighted",
        "--scheduler_patience=5",
        "--eval_interval=10",
        "--error_table=PerAtomRMSE",
        "--save_cpu",
        "--keep_checkpoints",
    ]
    args = build_default_arg_parser().parse_args(argv)
    run(args)
    # With SWA, mace writes the stage-two (SWA) model separately; that is the one we keep.
    stage_two = work_dir / f"{name}_stagetwo.model"
    return stage_two if stage_two.is_file() else work_dir / f"{name}.model"


def evaluate(model: Path, test: list[Atoms]) -> dict[str, float]:
    """Held-out errors of the trained model against the teacher labels."""
    os.environ.setdefault("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    from mace.calculators import MACECalculator

    calc = MACECalculator(model_paths=str(model), device="cpu", default_dtype="float64")
    de, df = [], []
    for atoms in test:
        work = atoms.copy()
        work.calc = calc
        de.append((work.get_potential_energy() - atoms.info["REF_energy"]) / len(atoms))
        df.append((work.get_forces() - atoms.arrays["REF_forces"]).ravel())
    de_arr, df_arr = np.array(de), np.concatenate(df)
    return {
        "n_test": len(test),
        "energy_mae_mev_per_atom": float(np.abs(de_arr).mean() * 1e3),
        "energy_rmse_mev_per_atom": float(np.sqrt((de_arr**2).mean()) * 1e3),
        "forces_mae_mev_per_a": float(np.abs(df_arr).mean() * 1e3),
        "forces_rmse_mev_per_a": float(np.sqrt((df_arr**2).mean()) * 1e3),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to write the model")
    parser.add_argument("--data", type=Path, help="reuse a labelled extxyz written by an earlier run")
    parser.add_argument(
        "--hexane", type=Path, default=HEXANE_GEOMETRY,
        help="FHI-aims geometry.in of the hexane crystal (the hexane-tfxa candidate)",
    )
    parser.add_argument(
        "--work-dir", type=Path, default=Path(tempfile.gettempdir()) / "insbench-mace-tiny",
        help="scratch directory for labelled data, checkpoints and logs",
    )
    parser.add_argument(
        "--threads", type=int, default=1,
        help="torch CPU threads (1: reproducible, and fastest on a shared 2-core machine)",
    )
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    torch.manual_seed(SEED)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    if args.data is None:
        rng = np.random.default_rng(SEED)
        configs = hexane_configs(rng, args.hexane) + thiophene_configs(rng)
        start = time.perf_counter()
        labelled = label(configs)
        timings["labelling_s"] = time.perf_counter() - start
        data_file = args.work_dir / "labelled.extxyz"
        write(data_file, labelled, format="extxyz")
    else:
        data_file = args.data
        labelled = read(data_file, index=":")

    order = np.random.default_rng(SEED + 1).permutation(len(labelled))
    n_test = max(1, len(labelled) // 10)
    test = [labelled[i] for i in order[:n_test]]
    train_set = [labelled[i] for i in order[n_test:]]
    train_file = args.work_dir / "train.extxyz"
    test_file = args.work_dir / "test.extxyz"
    write(train_file, train_set, format="extxyz")
    write(test_file, test, format="extxyz")

    start = time.perf_counter()
    model = train(train_file, args.work_dir, "mace-tiny")
    timings["training_s"] = time.perf_counter() - start
    args.out.parent.mkdir(parents=True, exist_ok=True)
    partial = args.out.with_name(args.out.name + ".partial")
    shutil.copyfile(model, partial)
    os.replace(partial, args.out)  # atomic: readers never see a half-written model
    errors = evaluate(args.out, test)

    from insbench.models import resolve_mlip, spec_identity
    from insbench.models.provenance import package_version

    counts: dict[str, int] = {}
    for atoms in labelled:
        key = atoms.info.get("config_type", "unknown")
        counts[key] = counts.get(key, 0) + 1
    metadata = {
        "model": "mace-tiny",
        "purpose": "plumbing model for fast CI runs; NOT a physics model, its scores mean nothing",
        "model_file": args.out.name,
        "model_sha256": _sha256(args.out),
        "model_bytes": args.out.stat().st_size,
        "elements": sorted({s for atoms in labelled for s in atoms.get_chemical_symbols()}),
        "teacher": spec_identity(resolve_mlip(TEACHER)),
        "data": {
            "file": data_file.name,
            "sha256": _sha256(data_file),
            "n_configs": len(labelled),
            "n_train_incl_valid": len(train_set),
            "n_test_held_out": len(test),
            "config_types": counts,
            "hexane_source": str(args.hexane),
        },
        "settings": {key: value for key, value in MACE_SETTINGS.items()},
        "held_out_errors": errors,
        "wall_time_s": {key: round(value, 1) for key, value in timings.items()},
        "machine": {
            "cpus": os.cpu_count(),
            "torch_threads": args.threads,
            "platform": platform.platform(),
            "python": sys.version.split()[0],
        },
        "packages": {
            name: package_version(name)
            for name in ("torch", "e3nn", "mace-torch", "sevenn", "dftd3", "ase")
        },
    }
    meta_file = args.out.with_suffix(".json")
    meta_file.write_text(json.dumps(metadata, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    print(json.dumps({"held_out_errors": errors, "wall_time_s": metadata["wall_time_s"]}, indent=2))


if __name__ == "__main__":
    main()
