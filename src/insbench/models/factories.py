"""Build the ASE calculator for an :class:`MLIPSpec` (all heavy imports live here).

``device`` is ``"cpu"`` or ``"cuda"`` (resolve ``auto`` with
:func:`insbench.models.torch_env.resolve_device` first). MACE, SevenNet and CHGNet run on
it; D3 (``dftd3``) and GFN2-xTB (``tblite``) have no GPU path and always run on the CPU;
a plug-in factory chooses its own device (it takes no arguments).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from insbench.models.errors import PluginError, format_error
from insbench.models.torch_env import allow_pickled_checkpoints, full_precision_matmul

if TYPE_CHECKING:
    from ase.calculators.calculator import Calculator

    from insbench.models.spec import MLIPSpec

#: Kinds whose model runs on ``device``; the others run on the CPU whatever is asked.
DEVICE_AWARE_KINDS: tuple[str, ...] = ("mace", "sevennet", "chgnet")


def _mace(spec: MLIPSpec, device: str) -> Calculator:
    # sevenn and mace checkpoints hold pickled Python objects; torch>=2.6 refuses them
    # unless this is set. Set it here, where models are loaded.
    allow_pickled_checkpoints()
    from mace.calculators import MACECalculator

    return MACECalculator(
        model_paths=spec.path,
        device=device,
        default_dtype=spec.option("default_dtype", "float64"),
    )


def _sevennet(spec: MLIPSpec, device: str) -> Calculator:
    allow_pickled_checkpoints()
    from sevenn.calculator import SevenNetCalculator

    model = spec.path if spec.path is not None else spec.option("checkpoint", "7net-0")
    return SevenNetCalculator(model=model, device=device)


def _chgnet(spec: MLIPSpec, device: str) -> Calculator:
    from chgnet.model import CHGNet
    from chgnet.model.dynamics import CHGNetCalculator

    if spec.path is not None:
        model = CHGNet.from_file(spec.path, use_device=device, verbose=False)
    else:
        version = spec.option("version", "0.3.0")
        model = CHGNet.load(model_name=version, use_device=device, verbose=False)
    return CHGNetCalculator(model=model, use_device=device)


def _xtb(spec: MLIPSpec, _device: str) -> Calculator:  # tblite: CPU only
    from insbench.models.xtb import FreshXTBCalculator

    return FreshXTBCalculator(method=spec.option("method", "GFN2-xTB"))


def _plugin(spec: MLIPSpec, _device: str) -> Calculator:  # the factory picks its device
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


def effective_device(spec: MLIPSpec, device: str) -> str:
    """Where ``spec``'s model actually runs when ``device`` is asked for."""
    if spec.kind in DEVICE_AWARE_KINDS:
        return device
    return "cpu" if spec.kind == "xtb" else "plugin's choice"


def make_calculator(spec: MLIPSpec, *, guard: bool = True, device: str = "cpu") -> Calculator:
    """A fresh calculator for ``spec`` on ``device``: the model, plus D3 if asked, guarded if asked.

    With ``guard=True`` (the default) the calculator is wrapped in a
    :class:`~insbench.models.guard.GuardedCalculator`, so NaN/inf output raises
    :class:`~insbench.models.errors.NonFiniteOutputError`, uncovered elements raise
    :class:`~insbench.models.errors.UnsupportedElementError`, and the time spent
    inside the model is counted.
    """
    from insbench.models.d3 import SumCalculator, make_d3_calculator
    from insbench.models.elements import calculator_elements
    from insbench.models.guard import GuardedCalculator

    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda' (resolve 'auto' first), got {device!r}")
    full_precision_matmul(device)
    calc = _BUILDERS[spec.kind](spec, device)
    elements = spec.elements if spec.elements is not None else calculator_elements(calc)
    if spec.d3:
        calc = SumCalculator([calc, make_d3_calculator()])
    if guard:
        calc = GuardedCalculator(calc, model_name=spec.name, supported_elements=elements)
    return calc
