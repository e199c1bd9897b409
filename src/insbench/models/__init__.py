"""MLIP registry: a model name becomes a frozen :class:`MLIPSpec`, which builds an ASE calculator.

Nothing heavy is imported here; torch and the model packages load only in
:meth:`MLIPSpec.make_calculator` (and :meth:`MLIPSpec.identity`).
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
from insbench.models.guard import GuardedCalculator
from insbench.models.registry import available_mlips, parse_mlip_option, resolve_mlip
from insbench.models.spec import MLIPSpec

__all__ = [
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
    "parse_mlip_option",
    "resolve_mlip",
    "supported_elements",
]
