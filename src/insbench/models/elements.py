"""Which chemical elements a model covers."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from ase.data import chemical_symbols

from insbench.models.torch_env import allow_pickled_checkpoints

if TYPE_CHECKING:
    from ase.calculators.calculator import Calculator

    from insbench.models.spec import MLIPSpec


def symbols(numbers: Iterable[int]) -> tuple[str, ...]:
    """Chemical symbols for atomic numbers, sorted by atomic number."""
    return tuple(chemical_symbols[z] for z in sorted(set(int(z) for z in numbers)))


#: SevenNet-0 (11Jul2024) type map: Z 1-83 and 89-94 (checked against the checkpoint in tests).
SEVENNET_0_ELEMENTS = symbols([*range(1, 84), *range(89, 95)])
#: CHGNet 0.3.0 atom embedding: Z 1-94.
CHGNET_ELEMENTS = symbols(range(1, 95))
#: GFN2-xTB parametrisation: H-Rn (Z 1-86).
GFN2_XTB_ELEMENTS = symbols(range(1, 87))


def _mace_file_elements(path: str) -> tuple[str, ...]:
    allow_pickled_checkpoints()
    import torch

    model = torch.load(path, map_location="cpu", weights_only=False)
    return symbols(int(z) for z in model.atomic_numbers)


def _sevennet_file_elements(path: str) -> tuple[str, ...]:
    allow_pickled_checkpoints()
    import torch

    checkpoint = torch.load(path, map_location="cpu", weights_only=False)
    return symbols(checkpoint["config"]["_type_map"])


def supported_elements(spec: MLIPSpec) -> tuple[str, ...] | None:
    """Elements ``spec`` covers, or ``None`` when that cannot be known cheaply.

    Built-ins carry their list; a MACE or SevenNet file is opened (a fraction
    of a second for small models, no calculator is built); plug-ins return
    ``None`` unless their spec lists ``elements``.
    """
    if spec.elements is not None:
        return spec.elements
    if spec.path is not None and spec.kind == "mace":
        return _mace_file_elements(spec.path)
    if spec.path is not None and spec.kind == "sevennet":
        return _sevennet_file_elements(spec.path)
    if spec.kind == "chgnet":
        return CHGNET_ELEMENTS
    if spec.kind == "xtb":
        return GFN2_XTB_ELEMENTS
    return None


def calculator_elements(calc: Calculator) -> tuple[str, ...] | None:
    """Elements a live calculator covers, read from the loaded model where possible."""
    declared = getattr(calc, "supported_elements", None)
    if declared is not None:
        return tuple(declared)
    z_table = getattr(calc, "z_table", None)  # MACECalculator
    if z_table is not None:
        return symbols(z_table.zs)
    type_map = getattr(calc, "type_map", None)  # SevenNetCalculator
    if isinstance(type_map, dict):
        return symbols(type_map)
    return None
