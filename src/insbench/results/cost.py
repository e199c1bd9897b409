"""The model's cost: force-call time per atom and MD steps per second, as "cost" records.

benchmarks/perf/test_cost.py measures with pytest-benchmark, builds a payload here and
records it with :func:`insbench.workflows.cost.write_cost_case` (the one writer is only
called from workflows); the leaderboard reads the records back with
:func:`cost_summary`. Cost depends on the machine, so every record carries
``machine`` and the leaderboard shows it.
"""

from __future__ import annotations

from typing import Any

COST_FAMILY = "cost"


def timing_stats(seconds: dict[str, float]) -> dict[str, float]:
    """The subset of pytest-benchmark statistics kept (seconds)."""
    return {k: float(seconds[k]) for k in ("min", "max", "mean", "median", "stddev") if k in seconds} | {
        "rounds": int(seconds.get("rounds", 0))
    }


def force_call_payload(system: str, n_atoms: int, stats: dict[str, float]) -> dict[str, Any]:
    """Payload of a "force-call" cost case: one energy+forces(+stress) evaluation."""
    median = float(stats["median"])
    return {
        "kind": "force_call",
        "system": system,
        "n_atoms": int(n_atoms),
        "seconds_per_call": median,
        "microseconds_per_atom": 1e6 * median / n_atoms,
        "stats_s": timing_stats(stats),
        "passed": True,  # cost is reported, not judged
    }


def md_payload(system: str, n_atoms: int, n_steps: int, timestep_fs: float,
               stats: dict[str, float]) -> dict[str, Any]:
    """Payload of an "md" cost case: ``n_steps`` velocity-Verlet steps per round."""
    median = float(stats["median"])
    return {
        "kind": "md",
        "system": system,
        "n_atoms": int(n_atoms),
        "n_steps": int(n_steps),
        "timestep_fs": float(timestep_fs),
        "steps_per_second": n_steps / median,
        "stats_s": timing_stats(stats),
        "passed": True,
    }


def cost_summary(records) -> dict[str, Any] | None:
    """One model's cost from its "cost" :class:`~insbench.results.store_index.Record` s.

    Returns the median over systems of microseconds per atom per force call and of MD
    steps per second, the per-system values and the machine, or None without records.
    """
    force: list[float] = []
    md: list[float] = []
    machines: list[dict[str, Any]] = []
    per_system: dict[str, dict[str, Any]] = {}
    for record in records:
        if record.family != COST_FAMILY:
            continue
        machines.append(record.data.get("machine", {}))
        for case in record.cases.values():
            entry = per_system.setdefault(record.system, {})
            if case.get("kind") == "force_call":
                force.append(float(case["microseconds_per_atom"]))
                entry["microseconds_per_atom"] = float(case["microseconds_per_atom"])
                entry["n_atoms"] = case.get("n_atoms")
            elif case.get("kind") == "md":
                md.append(float(case["steps_per_second"]))
                entry["md_steps_per_second"] = float(case["steps_per_second"])
    if not force and not md:
        return None

    def median(values):
        values = sorted(values)
        if not values:
            return None
        mid = len(values) // 2
        return values[mid] if len(values) % 2 else 0.5 * (values[mid - 1] + values[mid])

    machine = machines[0] if machines else {}
    return {
        "microseconds_per_atom": median(force),
        "md_steps_per_second": median(md),
        "per_system": per_system,
        "machine": machine,
    }
