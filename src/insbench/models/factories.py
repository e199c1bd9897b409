"""Build the ASE calculator for an :class:`MLIPSpec` (all heavy imports live here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from insbench.models.errors import PluginError, format_error
from insbench.models.torch_env import allow_pickled_checkpoints

if TYPE_CHECKING:
    from ase.calculators.calculator import Calculator

    from insbench.models.spec import MLIPSpec


def _allow_full_torch_load() -> None:
    # sevenn and mace checkpoints hold pickled Python objects; torch>=2.6
    # refuses them unless this is set. Set it here, where models are loaded,
    # instead of relying on `import mace` doing it as a side effect.
    allow_pickled_checkpoints()


def _mace(spec: MLIPSpec) -> Calculator:
    _allow_full_torch_load()
    from mace.calculators import MACECalculator

    return MACECalculator(
        model_paths=spec.path,
        device="cpu",
        default_dtype=spec.option("default_dtype", "float64"),
    )


def _sevennet(spec: MLIPSpec) -> Calculator:
    _allow_full_torch_load()
    from sevenn.calculator import SevenNetCalculator

    model = spec.path if spec.path is not None else spec.option("checkpoint", "7net-0")
    return SevenNetCalculator(model=model, device="cpu")


def _chgnet(spec: MLIPSpec) -> Calculator:
    from chgnet.model import CHGNet
    from chgnet.model.dynamics import CHGNetCalculator

    if spec.path is not None:
        model = CHGNet.from_file(spec.path, use_device="cpu", verbose=False)
    else:
        version = spec.option("version", "0.3.0")
        model = CHGNet.load(model_name=version, use_device="cpu", verbose=False)
    return CHGNetCalculator(model=model, use_device="cpu")


def _xtb(spec: MLIPSpec) -> Calculator:
    from insbench.models.xtb import FreshXTBCalculator

    return FreshXTBCalculator(method=spec.option("method", "GFN2-xTB"))


def _plugin(spec: MLIPSpec) -> Calculator:
    from ase.calculators.calculator import Calculator

    assert spec.factory is not None
    calc = spec.factory()
    if not isinstance(calc, Calculator):
        raise PluginError(
            format_error(
                f"The factory of MLIP {spec.name!r} returned {type(calc).__name__}, "
                "not an ASE Calculator.",
                "insbench attaches the result to ase.Atoms and calls "
                "get_potential_energy/get_forces/get_stress on it.",
                "make the factory return an ase.calculators.calculator.Calculator "
                "(a new one on every call).",
            )
        )
    return calc


_BUILDERS = {
    "mace": _mace,
    "sevennet": _sevennet,
    "chgnet": _chgnet,
    "xtb": _xtb,
    "plugin": _plugin,
}


def build_calculator(spec: MLIPSpec, *, guard: bool = True) -> Calculator:
    """A fresh calculator for ``spec``: the model, plus D3 if asked, guarded if asked."""
    from insbench.models.d3 import SumCalculator, make_d3_calculator
    from insbench.models.elements import calculator_elements
    from insbench.models.guard import GuardedCalculator

    calc = _BUILDERS[spec.kind](spec)
    elements = spec.elements if spec.elements is not None else calculator_elements(calc)
    if spec.d3:
        calc = SumCalculator([calc, make_d3_calculator()])
    if guard:
        calc = GuardedCalculator(calc, model_name=spec.name, supported_elements=elements)
    return calc
