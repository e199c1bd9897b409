"""Forces on many structures per model call, through torch-sim (``torch-sim-atomistic``).

Pure functions over ``ase.Atoms`` and a torch-sim ``ModelInterface``; nothing here knows
which MLIP it runs (``insbench.models.batching`` builds the model and decides when this
path is used). The results equal one-structure-at-a-time ASE calls up to float rounding:
the same network, the same neighbour cut-off, one graph holding several disconnected
structures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np
from ase import Atoms


class BatchedForces(Protocol):
    """Forces (eV/Angstrom) of several structures at once: ``forces_of(structures)``."""

    batch_size: int

    def __call__(self, structures: Sequence[Atoms]) -> list[np.ndarray]: ...


def torchsim_forces(model, structures: Sequence[Atoms]) -> list[np.ndarray]:
    """One torch-sim model call on ``structures``; per-structure forces as float64 arrays.

    ``model`` is a torch-sim ``ModelInterface`` (it has ``device`` and ``dtype``); the
    structures may differ in size and composition but must share pbc.
    """
    import torch
    import torch_sim as ts

    if not structures:
        return []
    state = ts.io.atoms_to_state(list(structures), model.device, model.dtype)
    output = model(state)
    if "forces" not in output:
        raise ValueError(f"torch-sim model {type(model).__name__} returned no forces")
    forces = output["forces"].detach().to("cpu", torch.float64).numpy()
    total = sum(len(a) for a in structures)
    if forces.shape != (total, 3):
        raise ValueError(f"torch-sim model returned forces of shape {forces.shape}; expected ({total}, 3)")
    bounds = np.cumsum([len(a) for a in structures])[:-1]
    return [np.array(f) for f in np.split(forces, bounds)]


def in_batches(
    structures: Sequence[Atoms],
    forces_of: Callable[[Sequence[Atoms]], list[np.ndarray]],
    batch_size: int,
) -> list[np.ndarray]:
    """``forces_of`` over consecutive chunks of at most ``batch_size`` structures."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    out: list[np.ndarray] = []
    for start in range(0, len(structures), batch_size):
        out.extend(forces_of(structures[start:start + batch_size]))
    return out
