"""Which tests must share a pytest-xdist worker.

Every test of one (model, system, case) goes to one worker, so the worker that
computes a stage is the one that judges it and no worker waits on another's stage
lock (measured before this: 2 workers were no faster than 1). Groups:

* spectral cases in the **relaxed cell**, together with the **pressure-shift** tests of
  the same (model, system): the pressure analysis needs the relaxed-cell spectra at
  every pressure, so splitting them would make one worker wait for the other;
* spectral cases in the **measured cell** (per pressure);
* the **MD** stability run (per model and system).

The plugin marks each test ``xdist_group(name)`` and, when pytest-xdist runs with
its default distribution, switches it to ``--dist loadgroup``.

**Order.** pytest-xdist hands out groups in collection order (by default it first sorts
them by their number of tests, which put the longest group of the smoke suite, the
diiodothiophene pressure pair with 3 tests, last: one worker computed it alone at the
end). Under loadgroup the plugin orders the groups longest first by an estimate of
their cost (:func:`estimated_cost`) and turns xdist's own re-sorting off, so a worker
that finishes early picks up the shortest groups last.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

#: The estimate's unit is one measured-cell spectral case (relax + phonons + spectrum); a
#: relaxed-cell case costs :data:`RELAXED_CELL_CASE`, and an MD run of ``steps`` steps of an
#: ``n``-atom cell ``steps * n / ATOM_STEPS_PER_CASE``. Measured with mace-tiny at the smoke
#: level on hexane (idle 2-core machine, 2026-11-25, stage build times): measured-cell case
#: 7.1 s, relaxed-cell case 9.4 s, MD run (250 steps x 80 atoms = 20 000 atom-steps) 8.3 s.
#: With a universal model the MD run weighs more than this says (the spectrum stage does not
#: grow with the model's cost), which only moves the MD groups earlier, where they belong.
RELAXED_CELL_CASE = 1.3
ATOM_STEPS_PER_CASE = 17_000.0


def xdist_group(params: Mapping[str, Any]) -> str | None:
    """The group name of a benchmark test from its parameters, or ``None`` (no model, no group)."""
    model = params.get("mlip")
    if not isinstance(model, str):
        return None
    if "spectral_item" in params:
        system, _version, item = params["spectral_item"]
        case = item.case
        if case.cell_mode == "relaxed-cell":
            return f"{model}|{system}|relaxed-cell"
        return f"{model}|{case.label}"
    if "pressure_item" in params:
        system = params["pressure_item"][0]
        return f"{model}|{system}|relaxed-cell"
    if "md_check" in params:
        system = params["md_check"][0]
        return f"{model}|{system}|md"
    return None


def estimated_cost(params_of_group: Sequence[Mapping[str, Any]], fixture: Callable[[str, str], Any],
                   md_level) -> float:
    """A group's cost in measured-cell spectral cases: its distinct (system, pressure, cell mode)
    cases plus its MD run (see :data:`ATOM_STEPS_PER_CASE`).

    ``fixture(system, version)`` gives a loaded fixture; ``md_level`` is the run's
    :class:`~insbench.physics.md_settings.MDLevel`. A fixture that cannot be loaded counts
    as two pressures and a one-case MD run: its tests report the problem, not the scheduling.
    """
    from insbench.reference import ReferenceDataError

    def loaded(system: str, version: str):
        try:
            return fixture(system, version)
        except ReferenceDataError:
            return None

    cases: set[tuple] = set()
    md_runs: set[tuple[str, str]] = set()
    for params in params_of_group:
        if "spectral_item" in params:
            system, _version, item = params["spectral_item"]
            cases.add((system, item.case.pressure_gpa, item.case.cell_mode))
        elif "pressure_item" in params:
            system, version = params["pressure_item"][:2]
            found = loaded(system, version)
            pressures = sorted(found.conditions.pressures_gpa) if found is not None else [0.0, 1.0]
            cases.update({(system, pressures[0], "relaxed-cell"), (system, pressures[-1], "relaxed-cell")})
        elif "md_check" in params:
            md_runs.add(tuple(params["md_check"][:2]))
    atom_steps = 0.0
    for system, version in md_runs:
        found = loaded(system, version)
        atom_steps += ATOM_STEPS_PER_CASE if found is None else md_atom_steps(found, md_level)
    weight = sum(RELAXED_CELL_CASE if case[2] == "relaxed-cell" else 1.0 for case in cases)
    return weight + atom_steps / ATOM_STEPS_PER_CASE


def md_atom_steps(fixture, level) -> float:
    """Steps x atoms of ``fixture``'s MD run at ``level`` (the MD cell: the rule of physics.md)."""
    import numpy as np

    from insbench.physics.md import choose_md_supercell

    atoms = fixture.structure().atoms
    repeats = choose_md_supercell(np.asarray(atoms.cell), level.supercell_min_length_a)
    steps = sum(level.steps(t) for t in (level.equilibration_ps, level.nvt_ps, level.nve_ps, level.npt_ps))
    return float(steps * len(atoms) * int(np.prod(repeats)))


def longest_groups_first(items: Sequence[Any], group_of: Callable[[Any], str | None],
                         cost_of: Callable[[str], float]) -> list[Any]:
    """``items`` with each group's items together, the groups by decreasing ``cost_of(group)``
    (ties: first collected first), items in a group in collection order; items without a
    group keep their order, after the groups."""
    first_seen: dict[str, int] = {}
    members: dict[str, list[Any]] = {}
    loose: list[Any] = []
    for index, item in enumerate(items):
        group = group_of(item)
        if group is None:
            loose.append(item)
            continue
        first_seen.setdefault(group, index)
        members.setdefault(group, []).append(item)
    costs = {group: cost_of(group) for group in members}
    ordered = sorted(members, key=lambda group: (-costs[group], first_seen[group]))
    return [item for group in ordered for item in members[group]] + loose


def loadgroup_order(items: Sequence[Any], fixture: Callable[[str, str], Any], level: str) -> list[Any]:
    """pytest items (with ``callspec.params``) in the order to hand their groups out:
    :func:`longest_groups_first` by :func:`estimated_cost` (``level``: the MD level's name)."""
    from insbench.physics.md_settings import load_md_run_config

    md_level = load_md_run_config().level(level)
    params_of: dict[str, list[Mapping[str, Any]]] = {}
    group_of_item: dict[int, str | None] = {}
    for item in items:
        callspec = getattr(item, "callspec", None)
        group = xdist_group(callspec.params) if callspec is not None else None
        group_of_item[id(item)] = group
        if group is not None:
            params_of.setdefault(group, []).append(callspec.params)
    costs = {group: estimated_cost(params, fixture, md_level) for group, params in params_of.items()}
    return longest_groups_first(items, lambda item: group_of_item[id(item)], costs.__getitem__)


def wants_loadgroup(dist: str | None, explicit_args: list[str]) -> bool:
    """True when pytest-xdist runs with its default ``load`` distribution the user did not ask for."""
    if dist != "load":
        return False
    return not any(str(arg).startswith(("--dist", "-d")) for arg in explicit_args)


def ensure_group_suffix(item) -> None:
    """Make sure a worker's test id ends in ``@group``, the way ``--dist loadgroup`` reads it.

    pytest-xdist 3.8 appends the suffix by setting ``item._nodeid``, which pytest >= 9.2 no
    longer reads (it keeps the id in ``item._id``), so without this every test would be
    its own group. Runs after xdist's own hook and does nothing where xdist succeeded.
    """
    names = sorted({str(m.args[0]) if m.args else str(m.kwargs.get("name", "default"))
                    for m in item.iter_markers("xdist_group")})
    if not names:
        return
    suffix = "@" + "_".join(names)
    if item.nodeid.endswith(suffix):
        return
    if hasattr(item, "_id"):
        from _pytest.nodeid import NodeId

        item._id = NodeId.parse(item.nodeid + suffix)
    else:  # pragma: no cover - older pytest, where xdist's own suffix works
        item._nodeid = item.nodeid + suffix
