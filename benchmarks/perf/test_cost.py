"""Model cost, measured with pytest-benchmark and written into the results as "cost" records.

    pytest --mlip=NAME benchmarks/perf/test_cost.py --insbench-results=DIR

* force call: one energy + forces + stress evaluation of each fixture's structure
  (the positions are rattled by 1e-4 Angstrom before every round, outside the timed
  part, so no calculator returns a cached result); reported as microseconds per atom
  (median round / number of atoms);
* MD: ``MD_STEPS`` velocity-Verlet steps (0.5 fs, NVE, from 20 K) per round; reported
  as steps per second.

Each test first runs the conformance check, so a model that cannot handle a system
is skipped with the reason. The numbers depend on the machine: the record keeps
``machine`` and the leaderboard shows it. With ``--benchmark-disable`` nothing is
timed and nothing is written.
"""

from __future__ import annotations

import numpy as np
import pytest

from insbench.models import UnsupportedElementError
from insbench.reference import list_fixtures, load_fixture
from insbench.results.cost import force_call_payload, md_payload

MD_STEPS = 5
MD_TIMESTEP_FS = 0.5
ROUNDS = 5


def _systems() -> list[str]:
    return sorted({s.system for s in list_fixtures() if s.problem is None})


def _stats(benchmark) -> dict[str, float] | None:
    """pytest-benchmark's statistics (seconds), or None when benchmarking is disabled."""
    stats = getattr(getattr(benchmark, "stats", None), "stats", None)
    if stats is None:
        return None
    return {name: float(getattr(stats, name)) for name in ("min", "max", "mean", "median", "stddev")} | {
        "rounds": int(stats.rounds)
    }


def _atoms_with_model(mlip, insbench, system):
    fixture = load_fixture(system)
    try:
        insbench.conformance(mlip, fixture)
    except UnsupportedElementError as error:
        pytest.skip(f"{mlip.name} cannot be benchmarked on {system}: {error}")
    atoms = fixture.structure().atoms
    atoms.calc = mlip.calculator
    return fixture, atoms


@pytest.mark.parametrize("system", _systems())
def test_force_call_cost(benchmark, mlip, insbench, system):
    fixture, atoms = _atoms_with_model(mlip, insbench, system)
    reference = atoms.get_positions()
    rng = np.random.default_rng(0)

    def rattle():
        atoms.set_positions(reference + rng.normal(scale=1e-4, size=reference.shape))
        return (), {}

    def force_call():
        atoms.get_potential_energy()
        atoms.get_forces()
        atoms.get_stress()

    benchmark.extra_info.update({"system": system, "n_atoms": len(atoms), "model": mlip.name})
    benchmark.pedantic(force_call, setup=rattle, rounds=ROUNDS, warmup_rounds=1, iterations=1)
    stats = _stats(benchmark)
    if stats is None:
        pytest.skip("benchmarking is disabled (--benchmark-disable): cost not recorded")
    forces = atoms.get_forces()
    assert np.all(np.isfinite(forces)), f"{mlip.name} returned non-finite forces on {system}"
    payload = force_call_payload(system, len(atoms), stats)
    insbench.write_cost(mlip, fixture, "force-call", payload)
    print(f"{mlip.name} | {system}: {payload['microseconds_per_atom']:.1f} us/atom per force call "
          f"({len(atoms)} atoms, median of {stats['rounds']})")


@pytest.mark.parametrize("system", _systems())
def test_md_steps_per_second(benchmark, mlip, insbench, system):
    from ase import units
    from ase.md.verlet import VelocityVerlet

    fixture, atoms = _atoms_with_model(mlip, insbench, system)
    start_positions = atoms.get_positions()
    rng = np.random.default_rng(0)

    masses = atoms.get_masses()[:, None]

    def reset():
        atoms.set_positions(start_positions)
        # Maxwell-Boltzmann momenta at 20 K: p = sqrt(m kB T) * N(0, 1)
        atoms.set_momenta(np.sqrt(masses * units.kB * 20.0) * rng.standard_normal((len(atoms), 3)))
        return (VelocityVerlet(atoms, timestep=MD_TIMESTEP_FS * units.fs),), {}

    def run(dynamics):
        dynamics.run(MD_STEPS)

    benchmark.extra_info.update({"system": system, "n_atoms": len(atoms), "md_steps": MD_STEPS})
    benchmark.pedantic(run, setup=reset, rounds=3, warmup_rounds=1, iterations=1)
    stats = _stats(benchmark)
    if stats is None:
        pytest.skip("benchmarking is disabled (--benchmark-disable): cost not recorded")
    assert np.all(np.isfinite(atoms.get_positions())), f"{mlip.name}: MD on {system} went non-finite"
    payload = md_payload(system, len(atoms), MD_STEPS, MD_TIMESTEP_FS, stats)
    insbench.write_cost(mlip, fixture, "md", payload)
    print(f"{mlip.name} | {system}: {payload['steps_per_second']:.2f} MD steps/s ({len(atoms)} atoms)")
