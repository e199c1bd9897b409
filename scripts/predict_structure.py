"""Crystal-structure prediction (CSP) of 2,5-diiodothiophene (C4H2I2S). PREDICTED, not measured.

The measured structure (Parker, Parker and Jura, J. Phys. Chem. C 2017,
doi:10.1021/acs.jpcc.7b03803) is not available to insbench. This script predicts
candidates; docs/structure-prediction.md declares the procedure and the selection
rule. Stages (each writes one file per candidate under ``--out-dir``; a rerun skips
what exists and resumes an interrupted relaxation from its last checkpoint):

1. ``molecule``: planar C2v molecule from standard bond lengths, relaxed in vacuum
   with SevenNet-0+D3(BJ); the same molecule relaxed with CHGNet+D3(BJ) gives the
   second model's isolated-molecule energy (lattice energies);
2. ``generate``: pyxtal rigid-molecule packings, seeded, over :data:`PLAN`
   (7 space groups, Z' = 1 and 2); packings with a contact shorter than
   ``MIN_CONTACT_RATIO`` x the van der Waals sum are redrawn; C-centred cells are
   reduced to primitive; the 1.0.0 fixture structure joins as candidate ``v100``;
3. ``prescreen``: short SevenNet-0+D3 FIRE relaxation (positions + cell, space group
   kept, fmax 0.05 eV/A, at most ``--prescreen-steps``), molecule-connectivity check,
   motif descriptors; its energy orders the candidates (mace-tiny was tried and
   dropped, see PRESCREEN_MODEL);
4. ``final``: candidates ordered by the pre-screen energy (duplicates
   dropped), and for each in turn a converged relaxation (BFGS, FrechetCellFilter,
   FixSymmetry, fmax ``--fmax`` eV/A including the cell) with SevenNet-0+D3 and then
   CHGNet+D3, both from the pre-screened geometry; stops starting new work after
   ``--stop-at`` (UTC, HH:MM);
5. ``summary``: after every candidate, ``summary.json`` and ``summary.md`` with the
   energies, descriptors and the structure selected by the declared rule.

Usage::

    OMP_NUM_THREADS=1 python scripts/predict_structure.py [--out-dir DIR] [--seed N] \
        [--n-final 20] [--stop-at 22:45]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from ase import Atoms  # noqa: E402
from ase.io import read, write  # noqa: E402

import csp_motifs as motifs  # noqa: E402
import csp_summary  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = Path(os.environ.get("INSBENCH_CACHE_DIR", Path.home() / ".cache" / "insbench")) / (
    "structure-prediction/diiodothiophene-v2")
INCUMBENT = REPO / "reference_data" / "diiodothiophene" / "1.0.0" / "predicted_structure.extxyz"
SEED = 20261125
#: mace-tiny was tried first and dropped: on random packings it pulls H...I contacts to ~2.0 A
#: (its training data had no intermolecular contact below 3.0 A) and fused the molecules of 4 of
#: the first 5 candidates. The pre-screen is therefore a short SevenNet-0+D3 relaxation.
PRESCREEN_MODEL = "sevennet-0+d3"
SINGLE_POINT_MODEL = "sevennet-0+d3"
FINAL_MODELS = ("sevennet-0+d3", "chgnet+d3")
#: pyxtal volume factor by Z'; 0.9 gives about 200 A^3 per molecule, near an iodo-aromatic
#: crystal; Z' = 2 packings are placed far more often (about 3x faster) at 1.0.
PYXTAL_VOLUME_FACTOR = {1: 0.9, 2: 1.0}
#: smallest intermolecular contact / van der Waals sum accepted from pyxtal (the pre-screen
#: relaxation resolves milder clashes; fused molecules are discarded after it)
MIN_CONTACT_RATIO = 0.72
GENERATION_ATTEMPTS = 12
#: (space group number, symbol, Z in the conventional cell, Z', number of seeds)
PLAN: tuple[tuple[int, str, int, int, int], ...] = (
    (14, "P2_1/c", 4, 1, 30), (14, "P2_1/c", 8, 2, 12),
    (2, "P-1", 2, 1, 20), (2, "P-1", 4, 2, 12),
    (19, "P2_12_12_1", 4, 1, 20), (19, "P2_12_12_1", 8, 2, 8),
    (15, "C2/c", 8, 1, 16), (15, "C2/c", 4, 1, 8),  # Z = 4: molecule on the 2-fold axis (Z' = 1/2)
    (61, "Pbca", 8, 1, 16),
    (33, "Pna2_1", 4, 1, 16), (33, "Pna2_1", 8, 2, 8),
    (4, "P2_1", 2, 1, 14), (4, "P2_1", 4, 2, 8),
)


def log(message: str) -> None:
    print(time.strftime("%H:%M:%S"), message, flush=True)


@dataclass(frozen=True)
class Candidate:
    ident: str
    sg_number: int
    sg_symbol: str
    z: int
    z_prime: int
    seed: int


def candidate_plan(seed: int) -> list[Candidate]:
    rng = np.random.default_rng(seed)
    out = []
    for number, symbol, z, z_prime, n_seeds in PLAN:
        for k in range(n_seeds):
            out.append(Candidate(f"sg{number:03d}-Z{z}-{k:02d}", number, symbol, z, z_prime,
                                 int(rng.integers(1, 2**31 - 1))))
    out.append(Candidate("v100", 15, "C2/c", 8, 1, 0))
    return out


def ideal_molecule() -> Atoms:
    """Planar C2v molecule (S, C2, C3, C4, C5, I2, I5, H3, H4) from standard bond lengths (A)."""
    r_cs, r_cc_double, r_ci, r_ch = 1.725, 1.37, 2.075, 1.08
    half_angle = np.deg2rad(92.0 / 2)
    s = np.zeros(3)
    c2 = np.array([r_cs * np.sin(half_angle), -r_cs * np.cos(half_angle), 0.0])
    c3x = 1.42 / 2
    c3 = np.array([c3x, c2[1] - np.sqrt(r_cc_double**2 - (c2[0] - c3x) ** 2), 0.0])
    mirror = np.array([-1.0, 1.0, 1.0])

    def outward(centre, a, b, length):
        v = (centre - a) / np.linalg.norm(centre - a) + (centre - b) / np.linalg.norm(centre - b)
        return centre + length * v / np.linalg.norm(v)

    i2 = outward(c2, s, c3, r_ci)
    h3 = outward(c3, c2, c3 * mirror, r_ch)
    return Atoms("SCCCCIIHH", positions=[s, c2, c3, c3 * mirror, c2 * mirror, i2, i2 * mirror, h3, h3 * mirror])


def molecule_energies(out: Path, calcs: dict) -> dict[str, float]:
    """Isolated-molecule energy (eV) per final model; the SevenNet one gives molecule.xyz."""
    path = out / "molecule.json"
    if path.is_file():
        return json.loads(path.read_text())
    from ase.optimize import BFGS

    energies = {}
    for name in FINAL_MODELS:
        mol = ideal_molecule()
        mol.center(vacuum=8.0)
        mol.calc = calcs[name]
        BFGS(mol, logfile=None).run(fmax=0.005, steps=300)
        energies[name] = float(mol.get_potential_energy())
        if name == "sevennet-0+d3":
            mol.calc = None
            mol.center()
            write(out / "molecule.xyz", mol, format="xyz")
    path.write_text(json.dumps(energies, indent=1))
    return energies


def to_primitive(atoms: Atoms) -> Atoms:
    import spglib

    cell = (np.asarray(atoms.cell), atoms.get_scaled_positions(), atoms.numbers)
    lattice, scaled, numbers = spglib.standardize_cell(cell, to_primitive=True, no_idealize=True, symprec=1e-3)
    return Atoms(numbers=numbers, cell=lattice, scaled_positions=scaled, pbc=True)


def space_group(atoms: Atoms, symprec: float = 1e-2) -> str:
    import spglib

    return str(spglib.get_spacegroup((np.asarray(atoms.cell), atoms.get_scaled_positions(), atoms.numbers),
                                     symprec=symprec))


def generate(cand: Candidate, out: Path) -> Atoms | None:
    path, fail = out / "generated" / f"{cand.ident}.extxyz", out / "generated" / f"{cand.ident}.failed"
    if path.is_file():
        return read(path)
    if fail.is_file():
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    if cand.ident == "v100":
        atoms = read(INCUMBENT)
        atoms.info.clear()
        write(path, atoms, format="extxyz")
        return atoms
    from pyxtal import pyxtal
    from pyxtal.molecule import pyxtal_molecule

    mol = pyxtal_molecule(str(out / "molecule.xyz"))
    rng = np.random.default_rng(cand.seed)
    errors: list[str] = []
    for attempt in range(GENERATION_ATTEMPTS):
        crystal = pyxtal(molecular=True)
        try:
            crystal.from_random(3, cand.sg_number, [mol], [cand.z], factor=PYXTAL_VOLUME_FACTOR[cand.z_prime],
                                seed=int(rng.integers(1, 2**31 - 1)))
        except Exception as exc:  # noqa: BLE001 - pyxtal raises assorted types when it cannot place
            errors.append(f"{type(exc).__name__}: {exc}")  # molecules; recorded, next attempt made
            continue
        if not crystal.valid:
            errors.append("invalid")
            continue
        trial = crystal.to_ase(resort=False)
        ratio = motifs.min_contact_ratio(trial)
        if ratio >= MIN_CONTACT_RATIO and motifs.molecules_intact(trial, len(trial) // 9)[0]:
            if cand.sg_symbol.startswith("C"):
                trial = to_primitive(trial)
            trial.info.update(attempt=attempt, min_contact_ratio=round(ratio, 3))
            write(path, trial, format="extxyz")
            return trial
        errors.append(f"min contact ratio {ratio:.2f}")
    fail.write_text(f"no acceptable packing in {GENERATION_ATTEMPTS} attempts: {errors[-3:]}\n")
    return None


def relax(atoms: Atoms, calc, *, steps: int, fmax: float, optimizer: str, log_file: Path,
          checkpoint: Path | None = None) -> tuple[Atoms, dict]:
    """Positions + cell relaxation at 0 GPa keeping the space group; resumable via ``checkpoint``."""
    from ase.constraints import FixSymmetry
    from ase.filters import FrechetCellFilter
    from ase.optimize import BFGS, FIRE

    done_steps = 0
    if checkpoint is not None and checkpoint.is_file():
        start = read(checkpoint)
        done_steps = int(start.info.get("steps_done", 0))
        log(f"  resuming from {checkpoint.name} after {done_steps} steps")
    else:
        start = atoms
    work = Atoms(start.numbers, positions=start.positions, cell=start.cell, pbc=True)
    work.calc = calc
    work.set_constraint(FixSymmetry(work, symprec=1e-3))
    target = FrechetCellFilter(work, scalar_pressure=0.0)
    opt_cls = FIRE if optimizer == "FIRE" else BFGS
    opt = opt_cls(target, logfile=str(log_file), maxstep=0.15 if optimizer == "FIRE" else 0.1)
    if checkpoint is not None:
        def save() -> None:
            if opt.nsteps and opt.nsteps % 20 == 0:
                snap = Atoms(work.numbers, positions=work.positions, cell=work.cell, pbc=True)
                snap.info["steps_done"] = done_steps + opt.nsteps
                write(checkpoint, snap, format="extxyz")
        opt.attach(save)
    started = time.perf_counter()
    converged = bool(opt.run(fmax=fmax, steps=max(0, steps - done_steps)))
    seconds = time.perf_counter() - started
    energy = float(work.get_potential_energy())
    fmax_final = float(np.sqrt((target.get_forces() ** 2).sum(axis=1).max()))
    relaxed = Atoms(work.numbers, positions=work.positions, cell=work.cell, pbc=True)
    return relaxed, {"energy_ev": energy, "steps": done_steps + int(opt.nsteps), "converged": converged,
                     "fmax_final_ev_a": fmax_final, "seconds": seconds}


ERRORS: tuple[type[BaseException], ...] = (RuntimeError, ValueError, FloatingPointError)


def prescreen(cand: Candidate, atoms: Atoms, calcs: dict, out: Path, steps: int) -> dict:
    path = out / "prescreen" / f"{cand.ident}.json"
    if path.is_file():
        return json.loads(path.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    n_mol = len(atoms) // 9
    record = asdict(cand) | {"n_atoms": len(atoms), "n_molecules_in_cell": n_mol,
                             "generated_volume_per_molecule_a3": atoms.get_volume() / n_mol}
    try:
        relaxed, info = relax(atoms, calcs[PRESCREEN_MODEL], steps=steps, fmax=0.05, optimizer="FIRE",
                              log_file=path.with_suffix(".log"))
        ok, why = motifs.molecules_intact(relaxed, n_mol)
        record.update({f"prescreen_{k}": v for k, v in info.items()}, status="ok" if ok else "discarded",
                      reason=why, e_prescreen_ev_per_molecule=info["energy_ev"] / n_mol,
                      volume_per_molecule_a3=relaxed.get_volume() / n_mol,
                      density_g_cm3=csp_summary.density_g_cm3(relaxed), space_group_relaxed=space_group(relaxed))
        if ok:
            record["descriptors"] = motifs.descriptors(relaxed)
            if SINGLE_POINT_MODEL == PRESCREEN_MODEL:
                record["e_single_point_ev_per_molecule"] = info["energy_ev"] / n_mol
            else:
                single = relaxed.copy()
                single.calc = calcs[SINGLE_POINT_MODEL]
                record["e_single_point_ev_per_molecule"] = float(single.get_potential_energy()) / n_mol
            write(path.with_suffix(".extxyz"), relaxed, format="extxyz")
    except ERRORS as exc:  # a random packing that blows up is a discarded candidate, with the reason
        record.update(status="failed", reason=f"{type(exc).__name__}: {exc}")
    path.write_text(json.dumps(record, indent=1))
    log(f"prescreen {cand.ident}: {record['status']} {record.get('reason')} "
        f"E_sp/mol {record.get('e_single_point_ev_per_molecule', float('nan')):.4f} "
        f"rho {record.get('density_g_cm3', float('nan')):.3f}")
    return record


def final_relax(ident: str, model: str, calc, out: Path, fmax: float, steps: int) -> dict:
    folder = out / "final" / model
    path = folder / f"{ident}.json"
    if path.is_file():
        return json.loads(path.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    start = read(out / "prescreen" / f"{ident}.extxyz")
    n_mol = len(start) // 9
    record: dict = {"ident": ident, "model": model, "fmax_target_ev_a": fmax, "max_steps": steps}
    try:
        relaxed, info = relax(start, calc, steps=steps, fmax=fmax, optimizer="BFGS",
                              log_file=path.with_suffix(".log"), checkpoint=folder / f"{ident}.partial.extxyz")
        ok, why = motifs.molecules_intact(relaxed, n_mol)
        record.update(info, status="ok" if ok else "discarded", reason=why,
                      energy_per_molecule_ev=info["energy_ev"] / n_mol,
                      volume_per_molecule_a3=relaxed.get_volume() / n_mol,
                      density_g_cm3=csp_summary.density_g_cm3(relaxed), space_group_relaxed=space_group(relaxed),
                      cell_lengths_a=[round(x, 4) for x in relaxed.cell.lengths()],
                      cell_angles_deg=[round(x, 3) for x in relaxed.cell.angles()])
        if ok:
            record["descriptors"] = motifs.descriptors(relaxed)
        write(path.with_suffix(".extxyz"), relaxed, format="extxyz")
    except ERRORS as exc:
        record.update(status="failed", reason=f"{type(exc).__name__}: {exc}")
    path.write_text(json.dumps(record, indent=1))
    log(f"final {model} {ident}: {record['status']} E/mol {record.get('energy_per_molecule_ev', float('nan')):.4f} "
        f"rho {record.get('density_g_cm3', float('nan')):.3f} steps {record.get('steps')} "
        f"converged {record.get('converged')} ({record.get('seconds', 0):.0f} s)")
    return record


def round_robin(plan: list[Candidate]) -> list[Candidate]:
    """Candidates interleaved over the (space group, Z) groups of the plan: the k-th of every
    group before the (k+1)-th of any; the 1.0.0 structure first."""
    groups: dict[tuple[int, int], list[Candidate]] = {}
    for c in plan:
        groups.setdefault((c.sg_number, c.z) if c.ident != "v100" else (0, 0), []).append(c)
    ordered = groups.pop((0, 0), [])
    depth = max((len(g) for g in groups.values()), default=0)
    for k in range(depth):
        ordered += [g[k] for g in groups.values() if k < len(g)]
    return ordered


def deadline(stop_at: str | None, now: dt.datetime | None = None) -> dt.datetime | None:
    """The next UTC time HH:MM after ``now`` (tomorrow's when today's has passed: a run started at
    23:40 with --stop-at 01:30 stops at 01:30 the next day, not at once)."""
    if not stop_at:
        return None
    now = now or dt.datetime.now(dt.timezone.utc)
    hh, mm = (int(x) for x in stop_at.split(":"))
    when = now.replace(hour=hh, minute=mm, second=0, microsecond=0)
    return when if when > now else when + dt.timedelta(days=1)


def past(when: dt.datetime | None) -> bool:
    return when is not None and dt.datetime.now(dt.timezone.utc) >= when


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--prescreen-steps", type=int, default=15)
    parser.add_argument("--n-final", type=int, default=20, help="candidates given converged final relaxations")
    parser.add_argument("--fmax", type=float, default=0.01, help="final force/stress target, eV/A")
    parser.add_argument("--final-steps", type=int, default=1000)
    parser.add_argument("--stop-at", default=None, help="UTC HH:MM after which no new relaxation starts")
    parser.add_argument("--prescreen-until", default=None,
                        help="UTC HH:MM after which no new pre-screen starts (the final stage begins)")
    args = parser.parse_args(argv)
    stop_at, prescreen_until = deadline(args.stop_at), deadline(args.prescreen_until)
    out = args.out_dir
    out.mkdir(parents=True, exist_ok=True)
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    from insbench.models import make_calculator, resolve_mlip

    calcs = {name: make_calculator(resolve_mlip(name)) for name in {PRESCREEN_MODEL, SINGLE_POINT_MODEL, *FINAL_MODELS}}
    timings = csp_summary.Timings(out / "timings.json")
    with timings.stage("molecule"):
        e_molecule = molecule_energies(out, calcs)
    plan = candidate_plan(args.seed)
    with timings.stage("generate"):
        generated = {c.ident: generate(c, out) for c in plan}
    log(f"generated {sum(a is not None for a in generated.values())} of {len(plan)} candidates")
    pre = {}
    with timings.stage("prescreen"):
        for c in round_robin(plan):  # a time cut leaves every (space group, Z) sampled alike
            if generated[c.ident] is None:
                continue
            done = (out / "prescreen" / f"{c.ident}.json").is_file()
            if not done and past(prescreen_until):
                continue
            pre[c.ident] = prescreen(c, generated[c.ident], calcs, out, args.prescreen_steps)
    skipped = [c.ident for c in plan if generated[c.ident] is not None and c.ident not in pre]
    if skipped:
        log(f"pre-screen stopped at {args.prescreen_until} UTC: {len(skipped)} generated candidates not "
            "pre-screened (rerun without --prescreen-until to finish them)")
    order = csp_summary.final_order(pre, args.n_final, always=("v100",))
    settings = vars(args) | {"out_dir": str(out), "plan": [asdict(c) for c in plan],
                             "prescreen_model": PRESCREEN_MODEL, "single_point_model": SINGLE_POINT_MODEL,
                             "final_models": list(FINAL_MODELS), "pyxtal_volume_factor": PYXTAL_VOLUME_FACTOR,
                             "min_contact_ratio": MIN_CONTACT_RATIO}
    final: dict[str, dict[str, dict]] = {m: {} for m in FINAL_MODELS}

    def summarise() -> None:
        csp_summary.write_summary(out, plan=plan, generated=generated, prescreen=pre, final=final, order=order,
                                  molecule_energy_ev=e_molecule, settings=settings, timings=timings.data)

    for name in FINAL_MODELS:  # pick up finished work of earlier runs
        for ident in order:
            if (out / "final" / name / f"{ident}.json").is_file():
                final[name][ident] = json.loads((out / "final" / name / f"{ident}.json").read_text())
    summarise()
    for ident in order:
        for name in FINAL_MODELS:
            if ident in final[name]:
                continue
            if past(stop_at):
                log(f"stop time {args.stop_at} UTC reached; summary written, rerun to continue")
                summarise()
                return 0
            with timings.stage(f"final:{name}"):
                final[name][ident] = final_relax(ident, name, calcs[name], out, args.fmax, args.final_steps)
            summarise()
    log("all planned final relaxations done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
