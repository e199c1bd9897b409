"""Synthetic-data helpers for tests of insbench.reference.

Everything written here is SYNTHETIC test data (file names start with
``synthetic_`` and headers say so); the only real data used is the shipped
hexane fixture, read from the repository.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
HEXANE_DIR = REPO / "reference_data" / "hexane" / "1.0.0"
RESOLUTION = {"instrument": "TOSCA", "version": "TOSCA", "model": "AbINS", "note": "synthetic test"}


def isis_text(x: np.ndarray, y: np.ndarray, e: np.ndarray, title: str = "synthetic test spectrum") -> str:
    """An ISIS INS database .dat file body (synthetic)."""
    rows = "".join(f"{a:15.6E}{b:15.6E}{c:15.6E}\n" for a, b, c in zip(x, y, e))
    return f" {title}\nC    (CM-1)         COUNTS           ERROR\n{rows}"


def mantid_text(x: np.ndarray, y: np.ndarray, e: np.ndarray, sep: str = ",", spectrum_id: bool = True) -> str:
    """A Mantid SaveAscii body (synthetic); if len(x) == len(y) + 1 it is histogram data."""
    lines = ["# synthetic test spectrum", "# X , Y , E"]
    if spectrum_id:
        lines.append("1")
    lines += [sep.join(repr(float(v)) for v in row) for row in zip(x, y, e)]
    if len(x) == len(y) + 1:
        lines.append(repr(float(x[-1])))
    return "\n".join(lines) + "\n"


def synthetic_arrays(n: int = 40, lo: float = 20.0, hi: float = 2000.0) -> tuple[np.ndarray, ...]:
    x = np.linspace(lo, hi, n)
    y = 1.0 + np.exp(-((x - 500.0) / 50.0) ** 2)
    return x, y, np.sqrt(y) * 0.01
