"""Third-party models through the ``insbench.mlips`` entry-point group.

Contract. A package registers, in its ``pyproject.toml``::

    [project.entry-points."insbench.mlips"]
    my-model = "my_package.insbench_hook:my_model"

The entry point's name (``my-model``) is the name users pass to ``--mlip``.
Its value must be a **zero-argument callable**, called only when that name
is resolved (never at import or listing time), returning either

* an :class:`~insbench.models.spec.MLIPSpec` (any kind; its ``name`` is
  replaced by the entry-point name), or
* a **calculator factory**: a zero-argument callable that returns a *new*
  ``ase.calculators.calculator.Calculator`` on every call (insbench builds
  one calculator per benchmark case and may run cases in parallel).

Returning a calculator instance directly is rejected, because it would be
shared between cases. ``NAME+d3`` works for plug-ins too. Built-in names and
``insbench.toml`` aliases take precedence over a plug-in with the same name.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
from collections.abc import Callable
from typing import Any

from insbench.models.errors import PluginError, format_error
from insbench.models.spec import MLIPSpec

GROUP = "insbench.mlips"


def _entry_points() -> list[importlib.metadata.EntryPoint]:
    return list(importlib.metadata.entry_points(group=GROUP))


def plugin_names() -> list[str]:
    """Names of the installed ``insbench.mlips`` entry points (nothing is imported)."""
    return [ep.name for ep in _entry_points()]


def plugin_spec(name: str) -> MLIPSpec | None:
    """Load the plug-in called ``name`` and turn it into a spec (``None``: no such plug-in)."""
    for ep in _entry_points():
        if ep.name == name:
            return _spec_from(ep)
    return None


def _spec_from(ep: importlib.metadata.EntryPoint) -> MLIPSpec:
    hook = ep.load()
    where = f"entry point {ep.name!r} ({ep.value}) in group {GROUP!r}"
    if not callable(hook):
        raise _contract_error(where, f"its value is a {type(hook).__name__}, not callable")
    result: Any = hook()
    if isinstance(result, MLIPSpec):
        return dataclasses.replace(result, name=ep.name, source=f"plugin:{ep.value}")
    from ase.calculators.calculator import Calculator

    if isinstance(result, Calculator):
        raise _contract_error(
            where, "it returned a calculator instance, which would be shared between cases"
        )
    if callable(result):
        factory: Callable[[], Calculator] = result
        return MLIPSpec(
            name=ep.name,
            kind="plugin",
            description=(getattr(hook, "__doc__", None) or f"plug-in {ep.value}").strip().splitlines()[0],
            source=f"plugin:{ep.value}",
            factory=factory,
        )
    raise _contract_error(where, f"it returned a {type(result).__name__}")


def _contract_error(where: str, why: str) -> PluginError:
    return PluginError(
        format_error(
            f"The insbench MLIP plug-in {where} broke the plug-in contract.",
            f"{why}; the callable must return an MLIPSpec or a zero-argument "
            "factory returning a new ase Calculator.",
            "fix the plug-in (see the insbench.models.plugins docstring), or "
            "uninstall the package that registers it.",
        )
    )
