"""Where a result was made: package versions and the machine (for every record and cache key)."""

from __future__ import annotations

import os
import platform
from importlib.metadata import PackageNotFoundError, version
from typing import Any

_VERSIONED_PACKAGES = ("insbench", "ase", "phonopy", "spglib", "euphonic", "abinslib", "resins", "numpy")


def package_versions(names: tuple[str, ...] = _VERSIONED_PACKAGES) -> dict[str, str]:
    found = {}
    for name in names:
        try:
            found[name] = version(name)
        except PackageNotFoundError:
            found[name] = "not installed"
    return found


def machine_info() -> dict[str, Any]:
    return {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
    }


