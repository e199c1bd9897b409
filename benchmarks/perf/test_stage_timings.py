"""Stage timings with the fast model (pytest-benchmark).

Run: ``pytest benchmarks/perf --benchmark-only`` (add ``--benchmark-save=NAME`` to keep a
baseline). Absolute times on shared machines are noisy: compare ratios, e.g. a cold
stage against its cache hit, or order 1 against order 1+2.
"""

from __future__ import annotations

import pytest

from insbench.workflows.cache import Cache
from insbench.models import resolve_mlip
from insbench.physics import phonons as ph
from insbench.physics.ins import INSSettings
from insbench.physics.relax import RelaxSettings, relax
from insbench.workflows.pipeline import ModelHandle, PipelineSettings, SpectralCase, ins_settings_for, run_spectral_case
from insbench.reference import load_fixture

FAST_MODEL = "mace-tiny"
SMALL_SUPERCELL = ph.PhononSettings(supercell_min_length_a=4.0)


@pytest.fixture(scope="module")
def hexane():
    return load_fixture("hexane")


@pytest.fixture(scope="module")
def model():
    return ModelHandle(resolve_mlip(FAST_MODEL))


@pytest.fixture(scope="module")
def relaxed(hexane, model):
    return relax(hexane.structure().atoms, model.calculator, RelaxSettings(cell_mode="measured-cell")).atoms


@pytest.fixture(scope="module")
def force_constants(relaxed, model, tmp_path_factory):
    phonon = ph.make_phonopy(relaxed, SMALL_SUPERCELL)
    ph.produce_force_constants(phonon, ph.displaced_forces(phonon, model.calculator))
    directory = tmp_path_factory.mktemp("fc")
    ph.save_phonopy(phonon, directory / "phonopy.yaml")
    return ph.load_force_constants(directory)


def test_relax_measured_cell(benchmark, hexane, model):
    result = benchmark.pedantic(
        relax, args=(hexane.structure().atoms, model.calculator, RelaxSettings(cell_mode="measured-cell")),
        rounds=1, iterations=1,
    )
    benchmark.extra_info["n_steps"] = result.n_steps
    assert result.converged


def test_phonon_forces_with_symmetry(benchmark, relaxed, model):
    phonon = ph.make_phonopy(relaxed, SMALL_SUPERCELL)
    forces = benchmark.pedantic(ph.displaced_forces, args=(phonon, model.calculator), rounds=1, iterations=1)
    benchmark.extra_info["n_displacements"] = len(forces)
    # P-1 halves the work: 20 atoms x 3 directions x 2 signs = 120 without symmetry
    assert len(forces) == 60


@pytest.mark.parametrize("orders", [(1,), (1, 2)], ids=["order1", "order1+2"])
def test_spectrum(benchmark, hexane, force_constants, orders):
    settings = ins_settings_for(hexane.conditions, PipelineSettings())
    settings = INSSettings(**{**settings.__dict__, "orders": orders})
    from insbench.physics.ins import simulate_ins

    result = benchmark.pedantic(simulate_ins, args=(force_constants, settings), rounds=3, iterations=1)
    assert result.spectrum.intensity.max() > 0


@pytest.mark.parametrize("state", ["cold", "cached"])
def test_whole_case_cold_vs_cached(benchmark, hexane, model, tmp_path, state):
    cache = Cache(tmp_path / "cache")
    settings = PipelineSettings(phonons=SMALL_SUPERCELL)
    case = SpectralCase("hexane", 0.0, "measured-cell")
    if state == "cached":
        run_spectral_case(model, hexane, case, cache, settings)
    run = benchmark.pedantic(run_spectral_case, args=(model, hexane, case, cache, settings),
                             rounds=1, iterations=1)
    assert all(stage.reused for stage in run.stages) == (state == "cached")
