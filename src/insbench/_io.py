"""Leaf helpers shared by every layer: atomic file writes, content hashes, JSON conversion.

Imports nothing of insbench, so physics, results and workflows can all use it
without creating an upward dependency.

Atomic writes go through a temporary file in the target directory and one
``os.replace``: a reader sees the old file or the new one, never half of one. The
file gets ordinary permissions (0666 minus the process umask, like ``open``), not
the 0600 that ``tempfile.mkstemp`` gives.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path | str, chunk_bytes: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(chunk_bytes), b""):
            digest.update(block)
    return digest.hexdigest()


def to_jsonable(value: Any, float_digits: int | None = None) -> Any:
    """``value`` as plain JSON types: numpy scalars and arrays, tuples, Paths and mappings converted.

    Mapping keys become strings, sorted. ``float_digits`` rounds floats (cache keys use 10,
    so that a last-bit difference does not change the key). Anything else JSON cannot
    hold becomes ``str(value)``.
    """
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v, float_digits) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v, float_digits) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist(), float_digits)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        number = float(value)
        return float(repr(round(number, float_digits))) if float_digits is not None else number
    if value is None or isinstance(value, str):
        return value
    return str(value)


def canonical_json(data: Any, float_digits: int | None = 10) -> str:
    """Deterministic JSON (sorted keys, no spaces, floats rounded): what content hashes are taken of."""
    return json.dumps(to_jsonable(data, float_digits), sort_keys=True, separators=(",", ":"))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _write_atomic(path: Path, write: Callable[[str], None], suffix: str = "") -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` as indented JSON, atomically, with ordinary permissions."""

    def write(tmp: str) -> None:
        with open(tmp, "w") as handle:
            json.dump(data, handle, indent=1, default=str)

    _write_atomic(path, write)


def write_text_atomic(path: Path, text: str) -> None:
    _write_atomic(path, lambda tmp: Path(tmp).write_text(text))


def save_npz_atomic(path: Path, **arrays: np.ndarray) -> None:
    _write_atomic(path, lambda tmp: np.savez(tmp, **arrays), suffix=".npz")


def write_netcdf_atomic(path: Path, dataset: Any) -> None:
    """Save an ``xarray.Dataset`` as NetCDF-4 (h5netcdf engine), atomically."""
    _write_atomic(path, lambda tmp: dataset.to_netcdf(tmp, engine="h5netcdf", invalid_netcdf=False),
                  suffix=".nc")
