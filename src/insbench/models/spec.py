"""`MLIPSpec`: one frozen, hashable description of an MLIP.

A spec is cheap to build and never loads a model. This module is a leaf of
:mod:`insbench.models` (it imports only the error types): building the calculator is
:func:`insbench.models.factories.make_calculator` and the provenance is
:func:`insbench.models.provenance.spec_identity`, both of which take a spec, so no
module imports back into this one at run time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from insbench.models.errors import DoubleDispersionError

#: Kinds of model that insbench knows how to load itself ("plugin" models
#: bring their own factory).
KINDS: tuple[str, ...] = ("mace", "sevennet", "chgnet", "xtb", "plugin")

#: The D3 variant added by ``+d3``: method (functional) and damping.
D3_METHOD = "PBE"
D3_DAMPING = "d3bj"


@dataclass(frozen=True)
class MLIPSpec:
    """A named recipe for an ASE calculator.

    Attributes:
        name: the name the user asked for (``"sevennet-0+d3"``, an alias, a path).
        kind: one of :data:`KINDS`.
        path: model file (absolute) when the model is a file the user points at.
        d3: add D3(BJ) dispersion (``dftd3``) on top of the model.
        options: extra settings as ``(key, value)`` pairs, e.g. ``(("checkpoint", "7net-0"),)``.
        description: one line for listings and reports.
        elements: chemical symbols the model covers, when known without loading it.
        dispersion: dispersion already inside the model (e.g. ``"D4 (part of GFN2-xTB)"``);
            such a model refuses ``+d3``.
        source: where the name came from: ``builtin``, ``config:<file>``,
            ``plugin:<entry point>`` or ``path``.
        factory: for ``kind="plugin"``, a zero-argument callable returning a
            fresh ASE calculator.
    """

    name: str
    kind: str
    path: str | None = None
    d3: bool = False
    options: tuple[tuple[str, Any], ...] = ()
    description: str = ""
    elements: tuple[str, ...] | None = field(default=None, repr=False)
    dispersion: str | None = None
    source: str = "builtin"
    factory: Callable[[], Any] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(
                f"MLIPSpec kind {self.kind!r} is not one of {', '.join(KINDS)}; "
                "use kind='plugin' with a factory for other calculators."
            )
        if self.kind == "plugin" and self.factory is None:
            raise ValueError(
                f"MLIPSpec {self.name!r} has kind='plugin' but no factory; pass "
                "factory=<callable returning an ASE calculator>."
            )
        if self.d3 and self.dispersion:
            raise DoubleDispersionError(self.name, self.dispersion)

    def option(self, key: str, default: Any = None) -> Any:
        """Value of option ``key`` (``default`` when it is not set)."""
        return dict(self.options).get(key, default)

    def with_d3(self) -> MLIPSpec:
        """This spec with D3(BJ) dispersion added and ``+d3`` appended to its name."""
        if self.dispersion:
            raise DoubleDispersionError(self.name, self.dispersion)
        name = self.name if self.d3 else f"{self.name}+d3"
        return dataclasses.replace(self, name=name, d3=True)
