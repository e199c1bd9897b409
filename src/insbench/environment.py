"""Where a result was made: package versions and the machine (for every record and cache key).

The one place that asks which version of a package is installed: a package that is not
installed is reported as :data:`MISSING`, everywhere (records, model identities, bundles).
"""

from __future__ import annotations

import os
import platform
from importlib import metadata
from typing import Any

#: The version reported for a distribution that is not installed.
MISSING = "not installed"

_VERSIONED_PACKAGES = ("insbench", "ase", "phonopy", "spglib", "euphonic", "abinslib", "resins", "numpy")


def package_version(name: str) -> str:
    """The installed version of distribution ``name``, or :data:`MISSING`."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return MISSING


def package_versions(names: tuple[str, ...] = _VERSIONED_PACKAGES) -> dict[str, str]:
    return {name: package_version(name) for name in names}


def installed_distributions() -> dict[str, str]:
    """Every installed distribution and its version (like ``pip freeze``), sorted by name."""
    found: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name and name not in found:
            found[name] = dist.version
    return dict(sorted(found.items(), key=lambda kv: kv[0].lower()))


def machine_info() -> dict[str, Any]:
    return {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
    }
