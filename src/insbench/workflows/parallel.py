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
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


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
