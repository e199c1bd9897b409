"""MLIP registry: a model name becomes a frozen :class:`MLIPSpec`, which builds an ASE calculator.

Nothing heavy is imported here; torch and the model packages load only in
:func:`make_calculator` (and, for a few model files, :func:`spec_identity`).
"""

from insbench.models.conformance import ConformanceReport, check_conformance
from insbench.models.elements import supported_elements
from insbench.models.errors import (
    AtomsMutatedError,
    ConformanceError,
    DoubleDispersionError,
    ModelConfigError,
    ModelError,
    ModelFileNotFoundError,
    NonFiniteOutputError,
    PluginError,
    SCFConsistencyError,
    UnknownModelError,
    UnsupportedElementError,
)
from insbench.models.factories import make_calculator
from insbench.models.guard import GuardedCalculator
from insbench.models.provenance import spec_identity
from insbench.models.registry import available_mlips, parse_mlip_option, resolve_mlip
from insbench.models.spec import MLIPSpec
from insbench.models.torch_env import DEVICE_CHOICES, DeviceUnavailableError, resolve_device

__all__ = [
    "DEVICE_CHOICES",
    "DeviceUnavailableError",
    "AtomsMutatedError",
    "ConformanceError",
    "ConformanceReport",
    "DoubleDispersionError",
    "GuardedCalculator",
    "MLIPSpec",
    "ModelConfigError",
    "ModelError",
    "ModelFileNotFoundError",
    "NonFiniteOutputError",
    "PluginError",
    "SCFConsistencyError",
    "UnknownModelError",
    "UnsupportedElementError",
    "available_mlips",
    "check_conformance",
    "make_calculator",
    "parse_mlip_option",
    "resolve_device",
    "resolve_mlip",
    "spec_identity",
    "supported_elements",
]
