"""Content-addressed disk cache for expensive stages.

An entry is a directory ``<root>/<stage>/<key[:2]>/<key>/`` holding the stage's files,
``meta.json`` (the inputs that made the key, timings, creation time) and
``sha256sums.json`` (the sha256 of every other file in the entry). The key is the
sha256 of the canonical JSON of the inputs, which callers build from everything that
changes the result (model identity, structure, settings, package versions), plus the
**code fingerprint** of the stage: a hash of the physics modules the stage runs
(:data:`STAGE_CODE`), so a change to the code that computes an entry makes a new key.
Workflow glue is not part of the fingerprint, so moving or rewiring files does not
invalidate anything; comments and docstrings are not part of it either.

Trust:

* every read verifies the entry against its ``sha256sums.json`` (every file, no file
  missing, none added) and checks that the stored inputs give the entry's key; an entry
  that fails is never used: it is recomputed, a :class:`CacheCorruptionWarning` says
  so, and the new entry's meta records ``recomputed_after_corruption``;
* an entry is built in a private ``.tmp-<key>-*`` directory and moved into place with
  one atomic ``os.rename``; readers never see half-written entries;
* a per-key lock (``filelock``) makes concurrent workers (pytest-xdist) wait for the
  one computing the entry instead of computing it twice. A complete, verified entry is
  read without any lock, so a read-only cache works;
* ``.tmp-*`` directories left by killed runs are removed once their key's lock is free
  (a live builder always holds it) and they are older than ``stale_after_s``;
  ``work_dir(stage, key)`` keeps checkpoints so an interrupted stage resumes; it is
  removed on success, or when unused for ``work_max_age_s``.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import filelock
import numpy as np

from insbench._io import canonical_json, save_npz_atomic, sha256_file, write_json_atomic  # noqa: F401  (re-exported)

ENV_VAR = "INSBENCH_CACHE_DIR"
META = "meta.json"
SUMS = "sha256sums.json"
TMP_PREFIX = ".tmp-"

#: The module each stage runs; its fingerprint covers it and every insbench module it
#: imports, transitively (found by reading the imports), except :data:`NOT_FINGERPRINTED`.
STAGE_CODE: dict[str, tuple[str, ...]] = {
    "relax": ("insbench.physics.relax",),
    "phonons": ("insbench.physics.phonons",),
    "spectrum": ("insbench.physics.ins",),
    "md": ("insbench.physics.md",),
    "gamma": ("insbench.physics.modes",),  # Gamma modes read from a phonon entry (workflows.modes_cache)
}
#: Modules that cannot change a stage's numbers, with the reason.
NOT_FINGERPRINTED: dict[str, str] = {
    "insbench.physics.progress": "progress reporting only",
    "insbench.models.errors": "exception classes only",
}


class CacheError(RuntimeError):
    """The cache cannot give a trustworthy entry (e.g. corrupted and not writable)."""


class CacheCorruptionWarning(UserWarning):
    """An entry failed verification; it was not used and is being recomputed."""


def default_cache_root() -> Path:
    """``$INSBENCH_CACHE_DIR`` if set, else ``~/.cache/insbench``."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "insbench"


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


# ---------------------------------------------------------------- code fingerprint
def module_file(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise CacheError(f"cannot fingerprint stage code: module {module!r} not found")
    return Path(spec.origin)


def source_fingerprint(source: str) -> str:
    """sha256 of the code of one module: its syntax tree without docstrings or comments."""
    return _parsed(source)[0]


@functools.lru_cache(maxsize=512)
def _parsed(source: str) -> tuple[str, frozenset[str]]:
    """(fingerprint, insbench imports) of one module's source, parsed once per process.

    Keyed by the source text itself, so an edited file is parsed again: every cache
    lookup fingerprints its stage's code, and parsing was most of a cached rerun's lookups.
    """
    tree = ast.parse(source)
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "insbench":
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if _is_module(sub) else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "insbench")
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.dump(tree, annotate_fields=False).encode()).hexdigest(), frozenset(found)


@functools.lru_cache(maxsize=1024)
def _is_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def insbench_imports(source: str) -> set[str]:
    """The insbench modules a module's source imports, anywhere in it (functions included)."""
    return set(_parsed(source)[1])


def stage_modules(stage: str, sources: Mapping[str, str] | None = None) -> dict[str, str]:
    """Module name -> source of every module ``stage``'s fingerprint covers."""
    if stage not in STAGE_CODE:
        raise CacheError(
            f"stage {stage!r} has no code fingerprint; add the physics module it runs to "
            f"insbench.workflows.cache.STAGE_CODE (known stages: {', '.join(sorted(STAGE_CODE))})"
        )
    found: dict[str, str] = {}
    todo = list(STAGE_CODE[stage])
    while todo:
        module = todo.pop()
        if module in found or module in NOT_FINGERPRINTED or module == "insbench":
            continue
        text = (sources or {}).get(module)
        found[module] = text if text is not None else module_file(module).read_text(encoding="utf-8")
        todo.extend(insbench_imports(found[module]))
    return found


def code_fingerprint(stage: str, sources: Mapping[str, str] | None = None) -> str:
    """Fingerprint of the code ``stage`` runs; ``sources`` (module -> text) overrides files."""
    digest = hashlib.sha256()
    for module, text in sorted(stage_modules(stage, sources).items()):
        digest.update(f"{module}:{source_fingerprint(text)}\n".encode())
    return digest.hexdigest()


# ---------------------------------------------------------------- entries
def _entry_files(path: Path) -> dict[str, Path]:
    return {p.relative_to(path).as_posix(): p for p in sorted(path.rglob("*"))
            if p.is_file() and p.name != SUMS}


def entry_problems(path: Path, key: str) -> list[str]:
    """Why the entry at ``path`` cannot be trusted for ``key`` (empty list: it verifies)."""
    try:
        sums = json.loads((path / SUMS).read_text())
        meta = json.loads((path / META).read_text())
    except (OSError, ValueError) as error:
        return [f"unreadable {SUMS} or {META}: {error}"]
    if not isinstance(sums, dict) or META not in sums:
        return [f"{SUMS} does not list {META}"]
    problems: list[str] = []
    files = _entry_files(path)
    for name in sorted(set(sums) - set(files)):
        problems.append(f"{name}: missing")
    for name in sorted(set(files) - set(sums)):
        problems.append(f"{name}: not in {SUMS} (added after the entry was made)")
    for name in sorted(set(sums) & set(files)):
        try:
            if sha256_file(files[name]) != sums[name]:
                problems.append(f"{name}: sha256 differs from the one recorded")
        except OSError as error:
            problems.append(f"{name}: unreadable ({error})")
    if not problems and meta.get("key") != key:
        problems.append(f"{META}: key {meta.get('key')!r} is not the entry's key")
    return problems


@dataclass(frozen=True)
class CacheHit:
    """An entry found or made: its directory, whether it was reused, and its metadata."""

    path: Path
    reused: bool
    meta: dict[str, Any]


class Cache:
    """A directory of content-addressed, verified entries; see the module docstring."""

    def __init__(self, root: Path | str | None = None, *, enabled: bool = True,
                 stale_after_s: float = 60.0, work_max_age_s: float = 14 * 86400.0,
                 stage_code: Mapping[str, Sequence[str]] | None = None) -> None:
        self.root = Path(root) if root is not None else default_cache_root()
        self.enabled = enabled
        self.stale_after_s = stale_after_s
        self.work_max_age_s = work_max_age_s
        self._stage_code = stage_code
        self._swept: set[str] = set()

    # -- keys
    def code(self, stage: str) -> str:
        if self._stage_code is not None and stage in self._stage_code:
            return hashlib.sha256(repr(tuple(self._stage_code[stage])).encode()).hexdigest()
        return code_fingerprint(stage)

    def key(self, stage: str, inputs: Mapping[str, Any]) -> str:
        return content_key({"inputs": inputs, "code": self.code(stage)})

    def entry_dir(self, stage: str, key: str) -> Path:
        return self.root / stage / key[:2] / key

    def work_dir(self, stage: str, key: str) -> Path:
        """Persistent scratch space for checkpoints of an unfinished entry."""
        path = self.root / stage / ".work" / key
        path.mkdir(parents=True, exist_ok=True)
        os.utime(path)
        return path

    def _lock_path(self, stage: str, key: str) -> Path:
        return self.root / stage / ".locks" / f"{key}.lock"

    @contextmanager
    def _lock(self, stage: str, key: str) -> Iterator[None]:
        path = self._lock_path(stage, key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            lock = filelock.FileLock(path)
            lock.acquire()
        except OSError as error:
            raise CacheError(
                f"cache {self.root}: cannot create the lock {path} ({error}). The cache is not "
                "writable and the entry needed is missing or failed verification; point "
                f"--insbench-cache-dir (or ${ENV_VAR}) at a writable directory, or run without the cache."
            ) from error
        try:
            yield
        finally:
            lock.release()

    # -- reads
    def _verified(self, stage: str, key: str) -> tuple[dict | None, list[str]]:
        path = self.entry_dir(stage, key)
        if not path.exists():
            return None, []
        problems = entry_problems(path, key)
        if problems:
            return None, problems
        return json.loads((path / META).read_text()), []

    def lookup(self, stage: str, inputs: Mapping[str, Any]) -> CacheHit | None:
        """The verified entry for ``inputs``, or None (absent or failing verification)."""
        if not self.enabled:
            return None
        key = self.key(stage, inputs)
        meta, problems = self._verified(stage, key)
        if problems:
            warnings.warn(CacheCorruptionWarning(self._corruption_text(stage, key, problems)), stacklevel=2)
        return None if meta is None else CacheHit(self.entry_dir(stage, key), True, meta)

    def _corruption_text(self, stage: str, key: str, problems: list[str]) -> str:
        return (f"cache entry {self.entry_dir(stage, key)} failed verification and is not used "
                f"({'; '.join(problems[:5])}{' ...' if len(problems) > 5 else ''}); recomputing {stage}")

    # -- writes
    def get_or_create(
        self,
        stage: str,
        inputs: Mapping[str, Any],
        build: Callable[[Path, Path], Mapping[str, Any] | None],
    ) -> CacheHit:
        """Return the verified entry for ``inputs``, building it with ``build(out_dir, work_dir)`` if absent.

        ``build`` writes its files into ``out_dir`` (a fresh temporary directory) and may
        keep checkpoints in ``work_dir``; it returns extra metadata to store.
        """
        key = self.key(stage, inputs)
        if not self.enabled:
            out = Path(tempfile.mkdtemp(prefix=f"insbench-{stage}-"))
            work = Path(tempfile.mkdtemp(prefix=f"insbench-{stage}-work-"))
            extra = build(out, work) or {}
            shutil.rmtree(work, ignore_errors=True)
            return CacheHit(out, False, {"stage": stage, "key": key, **extra})
        final = self.entry_dir(stage, key)
        meta, _ = self._verified(stage, key)
        if meta is not None:  # complete and verified: no lock, works on a read-only cache
            return CacheHit(final, True, meta)
        with self._lock(stage, key):
            meta, problems = self._verified(stage, key)
            if meta is not None:
                return CacheHit(final, True, meta)
            corruption = None
            if final.exists():
                problems = problems or ["incomplete entry"]
                warnings.warn(CacheCorruptionWarning(self._corruption_text(stage, key, problems)),
                              stacklevel=2)
                corruption = {"problems": problems,
                              "detected": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
                self._discard(final, key)
            for leftover in final.parent.glob(f"{TMP_PREFIX}{key}-*"):  # ours: we hold the lock
                shutil.rmtree(leftover, ignore_errors=True)
            self.sweep(stage)
            return self._build(stage, key, inputs, build, corruption)

    def _discard(self, path: Path, key: str) -> None:
        aside = path.parent / f"{TMP_PREFIX}{key}-corrupt-{os.getpid()}-{time.time_ns()}"
        os.rename(path, aside)
        shutil.rmtree(aside, ignore_errors=True)

    def _build(self, stage: str, key: str, inputs: Mapping[str, Any], build, corruption) -> CacheHit:
        final = self.entry_dir(stage, key)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{key}-", dir=final.parent))
        try:
            started = time.perf_counter()
            extra = build(tmp, self.work_dir(stage, key)) or {}
            meta = {
                "stage": stage,
                "key": key,
                "code_fingerprint": self.code(stage),
                "inputs": json.loads(canonical_json(inputs)),
                "build_seconds": time.perf_counter() - started,
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                **extra,
            }
            if corruption is not None:
                meta["recomputed_after_corruption"] = corruption
            (tmp / META).write_text(json.dumps(meta, indent=1, default=str))
            sums = {name: sha256_file(p) for name, p in _entry_files(tmp).items()}
            (tmp / SUMS).write_text(json.dumps(sums, indent=1, sort_keys=True))
            os.rename(tmp, final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        shutil.rmtree(self.root / stage / ".work" / key, ignore_errors=True)
        return CacheHit(final, False, json.loads((final / META).read_text()))

    # -- cleaning
    def _unlocked(self, stage: str, key: str) -> bool:
        """True if nobody holds ``key``'s lock (a live builder always does)."""
        lock = filelock.FileLock(self._lock_path(stage, key))
        try:
            lock.acquire(timeout=0)
        except (filelock.Timeout, OSError):
            return False
        lock.release()
        return True

    def sweep(self, stage: str, *, force: bool = False) -> list[Path]:
        """Remove ``.tmp-*`` directories and unused work left by killed runs; returns what went.

        Safe while other workers run: a directory is removed only if its key's lock is free
        (its builder is gone) and it is older than ``stale_after_s`` (work directories:
        ``work_max_age_s``, or immediately when their entry exists).
        """
        if stage in self._swept and not force:
            return []
        self._swept.add(stage)
        removed: list[Path] = []
        base = self.root / stage
        if not base.is_dir():
            return removed
        now = time.time()
        candidates: list[tuple[Path, str, float]] = []
        for tmp in base.glob(f"??/{TMP_PREFIX}*"):
            candidates.append((tmp, tmp.name[len(TMP_PREFIX):].split("-")[0], self.stale_after_s))
        for work in (base / ".work").glob("*") if (base / ".work").is_dir() else ():
            done = (self.entry_dir(stage, work.name) / META).is_file()
            candidates.append((work, work.name, 0.0 if done else self.work_max_age_s))
        for path, key, max_age_s in candidates:
            try:
                age_s = now - path.stat().st_mtime
            except OSError:
                continue
            if age_s >= max_age_s and len(key) == 64 and self._unlocked(stage, key):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
        return removed
