"""The batched (torch-sim) force path gives the sequential path's forces, guarded and timed."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from ase.build import bulk

from insbench.models import (
    MLIPSpec,
    NonFiniteOutputError,
    UnsupportedElementError,
    make_calculator,
    resolve_mlip,
)
from insbench.models.batching import TorchSimForces, batch_size_for, batched_forces
from insbench.models.builtins import MACE_TINY_FILE
from insbench.physics import phonons as ph
from insbench.physics.batched import in_batches

TOLERANCE_EV_A = 1e-5  # the acceptance criterion: forces equal within 1e-5 eV/Angstrom


@pytest.fixture(scope="module")
def hexane_phonon():
    """The first 7 displaced supercells of hexane's phonon set (enough to fill 3+ batches)."""
    from types import SimpleNamespace

    from insbench.reference import load_fixture

    atoms = load_fixture("hexane").structure().atoms
    phonon = ph.make_phonopy(atoms, ph.PhononSettings(supercell_min_length_a=4.0))
    return SimpleNamespace(supercell=phonon.supercell,
                           supercells_with_displacements=phonon.supercells_with_displacements[:7])


def _sequential_and_batched(spec, phonon):
    calc = make_calculator(spec)
    sequential = ph.displaced_forces(phonon, calc)
    batch = batched_forces(calc, device="cpu", n_atoms=len(phonon.supercell), model_name=spec.name)
    assert batch is not None
    calls = calc.model_calls
    batched = ph.displaced_forces(phonon, calc, batch=batch)
    return calc, sequential, batched, calls


def test_mace_tiny_batched_forces_equal_sequential(hexane_phonon):
    calc, sequential, batched, calls_before = _sequential_and_batched(resolve_mlip("mace-tiny"), hexane_phonon)
    n = len(hexane_phonon.supercells_with_displacements)
    assert batched.shape == sequential.shape == (n, len(hexane_phonon.supercell), 3)
    assert np.abs(batched - sequential).max() < TOLERANCE_EV_A
    assert np.abs(sequential).max() > 0.01  # displaced: real forces, not zeros
    assert calc.model_calls - calls_before == n  # each structure of a batch counted once
    assert calc.model_call_seconds > 0


def test_batched_forces_with_d3_equal_sequential(hexane_phonon):
    # mace-tiny refuses +d3 (its training labels include D3), so use its file as a plain MACE model
    spec = MLIPSpec(name="tiny-file+d3", kind="mace", path=MACE_TINY_FILE, d3=True,
                    options=(("default_dtype", "float64"),), elements=("H", "C", "S", "I"))
    _calc, sequential, batched, _ = _sequential_and_batched(spec, hexane_phonon)
    plain = ph.displaced_forces(hexane_phonon, make_calculator(resolve_mlip("mace-tiny")))
    assert np.abs(batched - sequential).max() < TOLERANCE_EV_A
    assert np.abs(sequential - plain).max() > 1e-4  # D3 really was added on both paths


def test_checkpoints_after_each_batch_and_resumes(hexane_phonon):
    calc = make_calculator(resolve_mlip("mace-tiny"))
    ts_model = batched_forces(calc, device="cpu", n_atoms=1, model_name="mace-tiny").ts_model
    batch = TorchSimForces(calc, ts_model, model_name="mace-tiny", batch_size=3)
    seen: list[int] = []
    full = ph.displaced_forces(hexane_phonon, calc, batch=batch,
                               checkpoint=lambda _i, forces: seen.append(len(forces)))
    n = len(full)
    assert seen == sorted(seen) and seen[-1] == n
    assert all(b - a <= batch.batch_size for a, b in zip([0, *seen], seen))
    calls = calc.model_calls
    resumed = ph.displaced_forces(hexane_phonon, calc, batch=batch, done=list(full[:3]))
    assert calc.model_calls - calls == n - 3  # the three done supercells are not recomputed
    np.testing.assert_array_equal(resumed[:3], full[:3])


def test_no_batched_path_for_models_without_a_torchsim_wrapper():
    from ase.calculators.emt import EMT

    assert batched_forces(EMT(), device="cpu", n_atoms=8, model_name="emt") is None
    with pytest.raises(ValueError, match="no batched"):
        batched_forces(EMT(), device="cpu", n_atoms=8, model_name="emt", mode="on")
    calc = make_calculator(resolve_mlip("mace-tiny"))
    assert batched_forces(calc, device="cpu", n_atoms=8, model_name="mace-tiny", mode="off") is None
    with pytest.raises(ValueError, match="auto, on or off"):
        batched_forces(calc, device="cpu", n_atoms=8, model_name="mace-tiny", mode="fast")


def test_batch_size_rule():
    assert batch_size_for("cpu", 120) == 1
    assert batch_size_for("cuda", 120) == 4096 // 120
    assert batch_size_for("cuda", 10_000) == 1
    with pytest.raises(ValueError, match=">= 1"):
        in_batches([], lambda chunk: [], 0)


def test_batched_path_is_guarded_against_uncovered_elements():
    calc = make_calculator(resolve_mlip("mace-tiny"))
    batch = batched_forces(calc, device="cpu", n_atoms=2, model_name="mace-tiny")
    with pytest.raises(UnsupportedElementError, match="Fe"):
        batch([bulk("Fe", cubic=True)])


class _NaNModel:
    """Test-only torch-sim stand-in whose forces are NaN."""

    device = torch.device("cpu")
    dtype = torch.float64

    def __call__(self, state):
        return {"forces": torch.full_like(state.positions, float("nan"))}


def test_batched_path_is_guarded_against_nan(hexane_phonon):
    calc = make_calculator(resolve_mlip("mace-tiny"))
    batch = TorchSimForces(calc, _NaNModel(), model_name="mace-tiny", batch_size=2)
    with pytest.raises(NonFiniteOutputError):
        ph.displaced_forces(hexane_phonon, calc, batch=batch)
