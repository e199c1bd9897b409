"""Seconds per force call of the built-in models, on the CPU and (where torch sees one) on cuda.

    pytest benchmarks/perf/test_device_calls.py --benchmark-only -s

The structures are the ones the main job evaluates most: hexane's phonon supercell
(120 atoms, the 8 Angstrom rule) and diiodothiophene's default predicted cell and its
phonon supercell. Each call moves the atoms slightly (1e-4 Angstrom) so no calculator can
answer from its last result. The median of ``CALLS`` calls after two warm-up calls is
reported in ``extra_info`` (``seconds_per_call``) and on stdout, with torch's thread count:
compare cpu against cuda within one run, since machines differ. cuda rows are skipped where
torch sees no CUDA device (a GPU cannot be installed by the README's set-up).
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np
import pytest

from insbench.models import make_calculator, resolve_mlip
from insbench.models.torch_env import cuda_available
from insbench.physics import phonons as ph
from insbench.reference import load_fixture

CALLS = int(os.environ.get("INSBENCH_BENCH_CALLS", "5"))
MODELS = os.environ.get("INSBENCH_BENCH_MODELS", "mace-tiny,sevennet-0,sevennet-0+d3").split(",")
DEVICES = [pytest.param("cpu"),
           pytest.param("cuda", marks=pytest.mark.skipif(not cuda_available(), reason="torch sees no CUDA device"))]


def _supercell(atoms):
    phonon = ph.make_phonopy(atoms, ph.PhononSettings())
    return ph.to_ase_atoms(phonon.supercells_with_displacements[0])


@pytest.fixture(scope="module")
def structures():
    hexane = load_fixture("hexane").structure().atoms
    diiodo = load_fixture("diiodothiophene").structure().atoms
    return {"hexane-supercell": _supercell(hexane), "diiodothiophene-cell": diiodo,
            "diiodothiophene-supercell": _supercell(diiodo)}


def _seconds_per_call(calc, atoms) -> tuple[float, np.ndarray]:
    atoms = atoms.copy()
    atoms.calc = calc
    rng = np.random.default_rng(0)
    timings, forces = [], None
    for call in range(CALLS + 2):
        atoms.positions = atoms.positions + rng.normal(scale=1e-4, size=atoms.positions.shape)
        started = time.perf_counter()
        forces = np.asarray(atoms.get_forces())
        if call >= 2:  # two warm-up calls: first-call compilation and allocation are not per-call cost
            timings.append(time.perf_counter() - started)
    return statistics.median(timings), forces


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("model_name", MODELS)
@pytest.mark.parametrize("structure", ["hexane-supercell", "diiodothiophene-cell", "diiodothiophene-supercell"])
def test_seconds_per_call(benchmark, structures, model_name, device, structure):
    import torch

    atoms = structures[structure]
    calc = make_calculator(resolve_mlip(model_name), device=device)
    seconds, forces = benchmark.pedantic(_seconds_per_call, args=(calc, atoms), rounds=1, iterations=1)
    assert forces.shape == (len(atoms), 3) and np.isfinite(forces).all()
    benchmark.extra_info.update({
        "model": model_name, "device": device, "structure": structure, "n_atoms": len(atoms),
        "seconds_per_call": seconds, "calls": CALLS, "torch_threads": torch.get_num_threads(),
        "loadavg_1min": os.getloadavg()[0],
    })
    print(f"{model_name} {device} {structure} ({len(atoms)} atoms): {seconds * 1e3:.1f} ms per call "
          f"(median of {CALLS}; torch threads {torch.get_num_threads()}; load {os.getloadavg()[0]:.1f})")
