"""Batched (torch-sim) against sequential (ASE) force evaluation of phonon displacements.

    pytest benchmarks/perf/test_batched_forces.py --benchmark-only -s

Each test times the same displaced hexane supercells (120 atoms, the 8 Angstrom rule)
through both paths, interleaved round by round so machine load hits both alike,
and reports ``batched_over_sequential`` (< 1: the batched path is faster) in the
benchmark's ``extra_info`` and on stdout. pytest-benchmark's own statistics are for
the batched path. The forces of the two paths must agree within 1e-5 eV/Angstrom.

Only MACE models have a batched path (see ``insbench.models.batching``): SevenNet-0
does not (torch-sim-atomistic 0.3.0's wrapper cannot load sevenn 0.10 models), so it
is not measured here. On a GPU, set ``INSBENCH_BENCH_DEVICE=cuda``; there batches pay, so
give more structures and larger batches, e.g. ``INSBENCH_BENCH_N_STRUCTURES=34``
``INSBENCH_BENCH_BATCH_SIZES=1,4,16,34`` (34 x 120 atoms is the cuda default batch, see
``insbench.models.batching.CUDA_BATCH_ATOMS``).
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np
import pytest

from insbench.models import make_calculator, resolve_device, resolve_mlip
from insbench.models.batching import TorchSimForces, torchsim_model_for
from insbench.physics import phonons as ph

#: Displaced supercells timed per round, and structures per batched call (environment overrides).
N_STRUCTURES = int(os.environ.get("INSBENCH_BENCH_N_STRUCTURES", "8"))
BATCH_SIZES = [int(n) for n in os.environ.get("INSBENCH_BENCH_BATCH_SIZES", "1,2,4").split(",")]
ROUNDS = 3


@pytest.fixture(scope="module")
def displaced():
    from insbench.reference import load_fixture

    atoms = load_fixture("hexane").structure().atoms
    phonon = ph.make_phonopy(atoms, ph.PhononSettings())
    return [ph.to_ase_atoms(s) for s in phonon.supercells_with_displacements[:N_STRUCTURES]]


def _sequential(calc, structures):
    out = []
    for atoms in structures:
        atoms = atoms.copy()
        atoms.calc = calc
        out.append(np.asarray(atoms.get_forces()))
    return out


@pytest.mark.parametrize("batch_size", BATCH_SIZES)
def test_batched_over_sequential(benchmark, displaced, batch_size):
    device = resolve_device(os.environ.get("INSBENCH_BENCH_DEVICE", "cpu"))
    calc = make_calculator(resolve_mlip("mace-tiny"), device=device)
    batch = TorchSimForces(calc, torchsim_model_for(calc, device), model_name="mace-tiny",
                           batch_size=batch_size)
    reference, batched = _sequential(calc, displaced[:2]), batch(displaced[:2])  # warm both paths
    timings: dict[str, list[float]] = {"sequential": [], "batched": []}
    for _ in range(ROUNDS):
        for name, run in (("sequential", lambda: _sequential(calc, displaced)),
                          ("batched", lambda: batch(displaced))):
            started = time.perf_counter()
            forces = run()
            timings[name].append(time.perf_counter() - started)
    reference = _sequential(calc, displaced)
    batched = benchmark.pedantic(batch, args=(displaced,), rounds=ROUNDS, iterations=1)
    worst = max(float(np.abs(a - b).max()) for a, b in zip(batched, reference))
    assert worst < 1e-5, f"batched forces differ from sequential by {worst:.2e} eV/A"
    assert len(forces) == len(displaced)
    ratio = statistics.median(timings["batched"]) / statistics.median(timings["sequential"])
    benchmark.extra_info.update({
        "model": "mace-tiny", "device": device, "batch_size": batch_size,
        "n_structures": len(displaced), "n_atoms": len(displaced[0]),
        "sequential_median_s": statistics.median(timings["sequential"]),
        "batched_median_s": statistics.median(timings["batched"]),
        "batched_over_sequential": ratio, "max_force_difference_ev_a": worst,
        "loadavg_1min": os.getloadavg()[0],
    })
    print(f"mace-tiny {device} batch={batch_size}: batched/sequential = {ratio:.2f} "
          f"({len(displaced)} x {len(displaced[0])}-atom supercells; load {os.getloadavg()[0]:.1f})")
