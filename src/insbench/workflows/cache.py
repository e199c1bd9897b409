"""Content-addressed disk cache for expensive stages.

An entry is a directory ``<root>/<stage>/<key[:2]>/<key>/`` holding the stage's files
and ``meta.json`` (the inputs that made the key, timings, creation time). Keys are
the sha256 of the canonical JSON of the inputs, which callers build from everything
that changes the result: model identity (file sha256, package versions), structure,
settings, insbench version.

Safety:

* an entry is built in a private temporary directory and moved into place with one
  atomic ``os.rename``; readers never see half-written entries;
* a per-key ``fcntl`` lock makes concurrent workers (pytest-xdist) wait for the one
  computing the entry instead of computing it twice;
* ``work_dir(stage, key)`` is a persistent scratch directory for checkpoints, so an
  interrupted stage resumes instead of restarting; it is removed on success.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from insbench._io import save_npz_atomic, write_json_atomic  # noqa: F401  (re-exported)

ENV_VAR = "INSBENCH_CACHE_DIR"


def default_cache_root() -> Path:
    """``$INSBENCH_CACHE_DIR`` if set, else ``~/.cache/insbench``."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "insbench"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (np.floating, float)):
        return float(repr(round(float(value), 10)))
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, Path):
        return str(value)
    return value


def canonical_json(inputs: Mapping[str, Any]) -> str:
    """Deterministic JSON: sorted keys, floats rounded to 10 significant decimals."""
    return json.dumps(_jsonable(inputs), sort_keys=True, separators=(",", ":"))


def content_key(inputs: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical_json(inputs).encode()).hexdigest()


def atoms_fingerprint(atoms) -> dict[str, Any]:
    """What identifies a structure for caching: numbers, positions, cell, pbc."""
    return {
        "numbers": [int(n) for n in atoms.numbers],
        "positions_a": np.round(atoms.positions, 8).tolist(),
        "cell_a": np.round(np.asarray(atoms.cell), 8).tolist(),
        "pbc": [bool(p) for p in atoms.pbc],
    }


@dataclass(frozen=True)
class CacheHit:
    """An entry found or made: its directory, whether it was reused, and its metadata."""

    path: Path
    reused: bool
    meta: dict[str, Any]


class Cache:
    """A directory of content-addressed entries; see the module docstring."""

    def __init__(self, root: Path | str | None = None, *, enabled: bool = True) -> None:
        self.root = Path(root) if root is not None else default_cache_root()
        self.enabled = enabled

    def entry_dir(self, stage: str, key: str) -> Path:
        return self.root / stage / key[:2] / key

    def work_dir(self, stage: str, key: str) -> Path:
        """Persistent scratch space for checkpoints of an unfinished entry."""
        path = self.root / stage / ".work" / key
        path.mkdir(parents=True, exist_ok=True)
        return path

    @contextmanager
    def _lock(self, stage: str, key: str) -> Iterator[None]:
        lock_dir = self.root / stage / ".locks"
        lock_dir.mkdir(parents=True, exist_ok=True)
        with open(lock_dir / f"{key}.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def lookup(self, stage: str, inputs: Mapping[str, Any]) -> CacheHit | None:
        if not self.enabled:
            return None
        path = self.entry_dir(stage, content_key(inputs))
        meta = path / "meta.json"
        if meta.is_file():
            return CacheHit(path, True, json.loads(meta.read_text()))
        return None

    def get_or_create(
        self,
        stage: str,
        inputs: Mapping[str, Any],
        build: Callable[[Path, Path], Mapping[str, Any] | None],
    ) -> CacheHit:
        """Return the entry for ``inputs``, building it with ``build(out_dir, work_dir)`` if absent.

        ``build`` writes its files into ``out_dir`` (a fresh temporary directory) and may
        keep checkpoints in ``work_dir``; it returns extra metadata to store.
        """
        key = content_key(inputs)
        if not self.enabled:
            out = Path(tempfile.mkdtemp(prefix=f"insbench-{stage}-"))
            work = Path(tempfile.mkdtemp(prefix=f"insbench-{stage}-work-"))
            extra = build(out, work) or {}
            shutil.rmtree(work, ignore_errors=True)
            return CacheHit(out, False, {"stage": stage, "key": key, **extra})
        final = self.entry_dir(stage, key)
        with self._lock(stage, key):
            if (final / "meta.json").is_file():
                return CacheHit(final, True, json.loads((final / "meta.json").read_text()))
            final.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{key[:12]}-", dir=final.parent))
            try:
                started = time.perf_counter()
                extra = build(tmp, self.work_dir(stage, key)) or {}
                meta = {
                    "stage": stage,
                    "key": key,
                    "inputs": json.loads(canonical_json(inputs)),
                    "build_seconds": time.perf_counter() - started,
                    "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    **extra,
                }
                (tmp / "meta.json").write_text(json.dumps(meta, indent=1, default=str))
                os.rename(tmp, final)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            shutil.rmtree(self.root / stage / ".work" / key, ignore_errors=True)
            return CacheHit(final, False, meta)
