"""When and how a model's forces go through the batched (torch-sim) path.

Only MACE models have a batched path today: torch-sim-atomistic 0.3.0 wraps MACE,
and its SevenNet wrapper does not load sevenn 0.10 models (``AtomGraphSequential``
has no ``modal_map``); CHGNet has no torch-sim wrapper. Those, xtb and plug-ins stay
on the one-structure-at-a-time ASE path.

The batched model is built around the network already loaded for the ASE
calculator (no second load). D3, when asked for, is added per structure on the CPU
from the same ``dftd3`` calculator the sequential path uses. Time inside the model
and D3 is added to the :class:`~insbench.models.guard.GuardedCalculator`'s clock, and
every structure is checked for uncovered elements and NaN/inf like a guarded call.

Batch size (measured on a shared 2-core CPU, 1 torch thread, mace-tiny, 120-atom hexane
supercells, ``benchmarks/perf/test_batched_forces.py``, batched/sequential time):
1 structure per call 0.72-0.84, 2 per call 0.77-0.94, 4 per call 0.91-0.97, 8 per call
1.5. On the CPU the gain is the leaner torch-sim call (forces only, no stress, less
per-call overhead), not batching, so the CPU uses 1 structure per call. On cuda a
batch fills the device instead. Measured on one NVIDIA H200 (torch 2.11.0+cu130, the same
benchmark with 34 displaced 120-atom supercells, forces within 1e-5 eV/Angstrom of the
sequential path): 1 structure per call 0.61, 4 per call 0.24, 16 per call 0.13, 34 per call
(the 4096-atom budget below) 0.10, i.e. 10x faster than one ASE call per structure.
Larger budgets were not tried.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from ase import Atoms
from ase.calculators.calculator import Calculator

from insbench.models.guard import GuardedCalculator, check_finite

#: Structures per call on the CPU (measured, see the module docstring).
CPU_BATCH_STRUCTURES = 1
#: Atoms per call on cuda (measured on an H200: 34 x 120 atoms, the largest batch tried, was the
#: fastest, 0.10 of the sequential time; see the module docstring).
CUDA_BATCH_ATOMS = 4096


def batch_size_for(device: str, n_atoms: int) -> int:
    """Structures per batched call for ``n_atoms``-atom structures on ``device``."""
    if device == "cuda":
        return max(1, CUDA_BATCH_ATOMS // max(1, n_atoms))
    return CPU_BATCH_STRUCTURES


def _parts(calc: Calculator) -> tuple[GuardedCalculator | None, Calculator, list[Calculator]]:
    """(guard, model calculator, extra calculators summed on top, e.g. D3)."""
    from insbench.models.d3 import SumCalculator

    guard = calc if isinstance(calc, GuardedCalculator) else None
    inner = guard.calc if guard is not None else calc
    if isinstance(inner, SumCalculator):
        return guard, inner.calculators[0], list(inner.calculators[1:])
    return guard, inner, []


def torchsim_model_for(calc: Calculator, device: str) -> Any | None:
    """A torch-sim model sharing ``calc``'s network, or ``None`` when there is no batched path."""
    _guard, model_calc, _extra = _parts(calc)
    models = getattr(model_calc, "models", None)
    if type(model_calc).__name__ != "MACECalculator" or not models or len(models) != 1:
        return None
    import torch
    from torch_sim.models.mace import MaceModel

    network = models[0]
    dtype = next(network.parameters()).dtype
    return MaceModel(network, device=torch.device(device), dtype=dtype,
                     compute_forces=True, compute_stress=False)


class TorchSimForces:
    """Forces of several structures per call: the torch-sim model (+ D3), guarded and timed."""

    def __init__(self, calc: Calculator, ts_model: Any, *, model_name: str, batch_size: int) -> None:
        self.guard, _model_calc, self.extra = _parts(calc)
        self.ts_model = ts_model
        self.model_name = model_name
        self.batch_size = int(batch_size)

    def __call__(self, structures: Sequence[Atoms]) -> list[np.ndarray]:
        from insbench.physics.batched import in_batches, torchsim_forces

        if self.guard is not None:
            for atoms in structures:
                self.guard.check_elements(atoms)
        started = time.perf_counter()
        forces = in_batches(structures, lambda chunk: torchsim_forces(self.ts_model, chunk),
                            self.batch_size)
        for extra in self.extra:
            for index, atoms in enumerate(structures):
                forces[index] = forces[index] + np.asarray(extra.get_forces(atoms.copy()), dtype=float)
        if self.guard is not None:
            self.guard.add_model_time(time.perf_counter() - started, calls=len(structures))
        for f in forces:
            check_finite(self.model_name, "forces", f)
        return forces


def batched_forces(calc: Calculator, *, device: str, n_atoms: int, model_name: str,
                   mode: str = "auto") -> TorchSimForces | None:
    """The batched force path for ``calc``, or ``None`` to stay on the ASE path.

    ``mode``: ``"auto"`` (batched where a torch-sim wrapper exists: measured faster on
    the CPU, and the point of a GPU), ``"off"`` (always sequential) or ``"on"``
    (batched, error when the model has no batched path).
    """
    if mode not in ("auto", "on", "off"):
        raise ValueError(f"batched mode must be auto, on or off, got {mode!r}")
    if mode == "off":
        return None
    ts_model = torchsim_model_for(calc, device)
    if ts_model is None:
        if mode == "on":
            raise ValueError(f"model {model_name!r} has no batched (torch-sim) force path; "
                             "only MACE models have one (use batched='auto' or 'off')")
        return None
    return TorchSimForces(calc, ts_model, model_name=model_name,
                          batch_size=batch_size_for(device, n_atoms))
