"""The models insbench knows by name without any configuration."""

from __future__ import annotations

from importlib.resources import files

from insbench.models.elements import CHGNET_ELEMENTS, GFN2_XTB_ELEMENTS, SEVENNET_0_ELEMENTS
from insbench.models.spec import MLIPSpec

#: The committed plumbing model (see ``models/data/MACE_TINY.md``).
MACE_TINY_FILE = str(files("insbench.models") / "data" / "mace-tiny.model")


def builtin_specs() -> dict[str, MLIPSpec]:
    """Name -> spec for every built-in model (cheap: nothing is loaded)."""
    specs = [
        MLIPSpec(
            name="sevennet-0",
            kind="sevennet",
            options=(("checkpoint", "7net-0"),),
            description=(
                "SevenNet-0 (11Jul2024), universal MPtrj/PBE potential; "
                "weights ship in the sevenn wheel."
            ),
            elements=SEVENNET_0_ELEMENTS,
        ),
        MLIPSpec(
            name="chgnet",
            kind="chgnet",
            options=(("version", "0.3.0"),),
            description="CHGNet 0.3.0, universal MPtrj/PBE potential; weights ship in the chgnet wheel.",
            elements=CHGNET_ELEMENTS,
        ),
        MLIPSpec(
            name="mace-tiny",
            kind="mace",
            path=MACE_TINY_FILE,
            options=(("default_dtype", "float64"),),
            description=(
                "Tiny MACE distilled from SevenNet-0+D3(BJ) for fast CI plumbing runs; "
                "NOT a physics model, its scores mean nothing."
            ),
            elements=("H", "C", "S", "I"),
            dispersion="D3(BJ), inherited from its SevenNet-0+D3(BJ) training labels",
        ),
        MLIPSpec(
            name="gfn2-xtb",
            kind="xtb",
            options=(("method", "GFN2-xTB"),),
            description="GFN2-xTB tight binding (tblite), fresh SCF per geometry.",
            elements=GFN2_XTB_ELEMENTS,
            dispersion="D4, part of GFN2-xTB",
        ),
    ]
    return {spec.name: spec for spec in specs}
