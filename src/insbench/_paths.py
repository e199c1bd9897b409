"""Where the directories insbench ships (reference data, benchmark suite) live.

A wheel force-includes them under ``insbench/_data/<name>``; an editable or source
checkout keeps them at ``<repo>/<name>`` next to ``src/``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def shipped_dir(name: str) -> Path | None:
    """The shipped directory ``name`` ("reference_data" or "benchmarks"), or None."""
    wheel_data = resources.files("insbench").joinpath("_data", name)
    if isinstance(wheel_data, Path) and wheel_data.is_dir():
        return wheel_data
    checkout = Path(__file__).resolve().parents[2] / name
    if checkout.is_dir() and (checkout.parent / "src" / "insbench").is_dir():
        return checkout
    return None
