"""The one result writer: :class:`CaseResult` in, a merged JSON record out.

Layout: ``<results_dir>/<model>/<system>/<family>.json`` with each case's PNGs and
NetCDF spectra beside it. Every family (spectra, pressure, md, cost) goes through
:func:`write_case`, and only ``insbench.workflows`` calls it.

Record schema (``schema_version`` 2; docs/results-schema.md)::

    {
      "schema": "insbench.result", "schema_version": 2,
      "model": {...MLIPSpec.identity()...}, "system": str, "family": str,
      "reference": {...Fixture.to_provenance()...},
      "machine": {...}, "versions": {...}, "updated": ISO-8601 UTC,
      "comparability": {...fields of Comparability; a field the cases disagree on
                        holds the sorted list of their values...},
      "cases": {case_id: {...family payload..., "passed", "comparability", "plots",
                          "files", "provenance", "session_id", "updated"}},
      "passed": bool   # every merged case passed
    }

Merging (under a :mod:`filelock` lock per record, atomic replace): a case replaces only
the case of the same id; the other cases stay, whichever run or process wrote them.
A record made by another model identity (``runtime``, how a session ran the model, does
not count; each case keeps its own in ``provenance``) or fixture version is never mixed with new
cases: it is moved aside to ``<family>.json.superseded-<time>-<random>`` and a fresh record starts.
"""

from __future__ import annotations

import json
import re
import time
import uuid
import warnings
from pathlib import Path
from typing import Any, Literal

import filelock
from pydantic import BaseModel, ConfigDict, Field, field_validator

from insbench._io import write_json_atomic, write_netcdf_atomic
from insbench.environment import machine_info, package_versions

RESULT_SCHEMA = "insbench.result"
RESULT_SCHEMA_VERSION = 2
FAMILIES = ("spectra", "pressure", "md", "cost")
#: Seconds to wait for another process holding a record's lock before giving up.
LOCK_TIMEOUT_S = 600.0


class FixtureRef(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    system: str
    version: str


class Comparability(BaseModel):
    """What must be equal for two results to be ranked side by side."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    md_level: str | None  # None for the non-MD families
    supercell_min_length_a: float | None
    cell_mode: str | None
    fixture: FixtureRef
    scoring_settings_sha256: str | None  # sha256 of the scoring settings + thresholds used
    insbench_version: str
    multiphonon_orders: tuple[int, ...] | None = None  # INS orders computed explicitly (1, 2), if any
    multiphonon_max_order: int | None = None  # orders 3..N by autoconvolution (2 = none), if set
    self_reference: bool = False  # scored against a reference made by the same model


class CaseResult(BaseModel):
    """One judged case of one family, ready to be merged into its record."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    model: dict[str, Any]  # MLIPSpec.identity(); must have "name"
    system: str
    family: Literal["spectra", "pressure", "md", "cost"]
    case_id: str
    reference: dict[str, Any]  # Fixture.to_provenance()
    payload: dict[str, Any]  # family-specific, JSON-ready
    passed: bool
    comparability: Comparability
    session_id: str
    plots: tuple[str, ...] = ()  # PNG file names next to the record, drawn for this case
    files: tuple[str, ...] = ()  # other side files next to the record (JSON tables)
    provenance: dict[str, Any] = Field(default_factory=dict)  # e.g. thread limits in force
    #: labelled spectra (xarray.Dataset) saved as ``<family>-<case>-<name>.nc`` beside the record
    datasets: dict[str, Any] = Field(default_factory=dict, exclude=True)

    @field_validator("model")
    @classmethod
    def _model_named(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not value.get("name"):
            raise ValueError("model identity must have a non-empty 'name'")
        return value

    @field_validator("plots", "files")
    @classmethod
    def _plain_names(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for name in value:
            if Path(name).name != name or name in ("", ".", ".."):
                raise ValueError(f"{name!r} must be a file name next to the record, not a path")
        return value


def safe_name(name: str) -> str:
    """A file-system-safe version of a model or system name."""
    return re.sub(r"[^A-Za-z0-9_.+-]+", "_", name).strip("_") or "unnamed"


def record_path(results_dir: Path, model: str, system: str, family: str) -> Path:
    return Path(results_dir) / safe_name(model) / safe_name(system) / f"{safe_name(family)}.json"


def case_file(store: "ResultsStore", model: str, system: str, family: str, case_id: str,
              suffix: str) -> Path:
    """Where a side file of a case goes: ``<record dir>/<family>-<case><suffix>``."""
    record = record_path(store.results_dir, model, system, family)
    return record.parent / f"{safe_name(family)}-{safe_name(case_id)}{suffix}"


class ResultsStore:
    """A results directory. Write with :func:`write_case`; read with ``store_index.load_index``."""

    def __init__(self, results_dir: Path | str) -> None:
        self.results_dir = Path(results_dir)

    def records(self) -> list[dict[str, Any]]:
        """Every record under the results directory (raw JSON, with ``_path``)."""
        found = []
        for path in sorted(self.results_dir.glob("*/*/*.json")):
            data = json.loads(path.read_text())
            if data.get("schema") == RESULT_SCHEMA:
                data["_path"] = str(path)
                found.append(data)
        return found


class ResultsDirError(OSError):
    """The results directory cannot be created or written."""


class ResultsLockTimeout(TimeoutError):
    """Another process held a record's lock for longer than :data:`LOCK_TIMEOUT_S`."""


class ResultsWarning(UserWarning):
    """Something in the results directory was moved aside (never deleted) so a write could go on."""


def ensure_writable(results_dir: Path | str) -> Path:
    """Create ``results_dir`` if needed and prove a file can be written there, before any compute.

    Raises :class:`ResultsDirError` saying what, why and how to fix it.
    """
    root = Path(results_dir)
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe = root / f".insbench-write-probe-{uuid.uuid4().hex}"
        probe.write_text("")
        probe.unlink()
    except OSError as error:
        raise ResultsDirError(
            f"results directory {root} cannot be written ({error.strerror or error}); nothing was "
            "computed. Choose a writable folder with --insbench-results=DIR, or fix its permissions"
        ) from None
    return root


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def model_identity(model: dict[str, Any]) -> dict[str, Any]:
    """Which model it is: the identity without ``runtime`` (how one session ran it: device,
    threads, whether the model was loaded or every stage came from the cache)."""
    return {k: v for k, v in model.items() if k != "runtime"}


def _same_origin(old: dict[str, Any], result: CaseResult) -> bool:
    return (
        old.get("schema_version") == RESULT_SCHEMA_VERSION
        and model_identity(old.get("model") or {}) == model_identity(result.model)
        and old.get("reference", {}).get("version") == result.reference.get("version")
    )


def _case_entry(result: CaseResult, stamp: str) -> dict[str, Any]:
    entry = dict(result.payload)
    entry.update({
        "passed": result.passed,
        "comparability": result.comparability.model_dump(mode="json"),
        "plots": list(result.plots),
        "files": list(result.files),
        "provenance": {**result.provenance, **({"runtime": result.model["runtime"]}
                                               if "runtime" in result.model else {})},
        "session_id": result.session_id,
        "updated": stamp,
    })
    return entry


def _referenced_files(cases: dict[str, Any]) -> set[str]:
    return {name for case in cases.values() for name in [*case.get("plots", []), *case.get("files", [])]}


def merged_comparability(cases: dict[str, Any]) -> dict[str, Any]:
    """The record-level block: each field's value if every case agrees, else the sorted distinct values."""
    blocks = [case["comparability"] for case in cases.values() if "comparability" in case]
    merged: dict[str, Any] = {}
    for name in Comparability.model_fields:
        values = []
        for block in blocks:
            value = block.get(name)
            if value not in values:
                values.append(value)
        merged[name] = values[0] if len(values) == 1 else sorted(values, key=lambda v: json.dumps(v, sort_keys=True))
    return merged


def write_case(store: ResultsStore, result: CaseResult) -> Path:
    """Merge ``result`` into its record (locked read-modify-write) and return the record's path.

    Replaces only the case with the same id; removes the PNG/side files that the replaced
    case named and no remaining case names; ``passed`` is recomputed over all merged cases.
    """
    path = record_path(store.results_dir, result.model["name"], result.system, result.family)
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = _now()
    lock = filelock.FileLock(str(path) + ".lock", timeout=LOCK_TIMEOUT_S)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise ResultsLockTimeout(
            f"could not write {path}: another process has held {lock.lock_file} for {LOCK_TIMEOUT_S:g} s. "
            "If no other insbench run is writing to this results folder, delete the .lock file and re-run"
        ) from None
    try:
        return _merge(path, result, stamp)
    finally:
        lock.release()


def _read_or_move_aside(path: Path, stamp: str) -> dict[str, Any] | None:
    """The record at ``path``; an unreadable one is moved aside with a warning (never deleted)."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return data
    except (ValueError, UnicodeDecodeError) as error:
        aside = _aside(path, "unreadable", stamp)
        warnings.warn(ResultsWarning(
            f"{path} could not be read ({error}); it was moved to {aside.name} and a new record started"
        ), stacklevel=3)
        return None


def _aside(path: Path, why: str, stamp: str) -> Path:
    target = path.with_name(f"{path.name}.{why}-{stamp.replace(':', '')}-{uuid.uuid4().hex[:8]}")
    path.replace(target)
    return target


def _merge(path: Path, result: CaseResult, stamp: str) -> Path:
    """The read-modify-write of :func:`write_case`; the caller holds the lock."""
    record: dict[str, Any] | None = None
    orphans: set[str] = set()
    old = _read_or_move_aside(path, stamp)
    if old is not None:
        if _same_origin(old, result):
            record = old
        else:  # another model identity or fixture version: never mix, never lose
            orphans = _referenced_files(old.get("cases", {}))
            _aside(path, "superseded", stamp)
    if record is None:
        record = {
            "schema": RESULT_SCHEMA,
            "schema_version": RESULT_SCHEMA_VERSION,
            "model": result.model,
            "system": result.system,
            "family": result.family,
            "reference": result.reference,
            "cases": {},
        }
    previous = record["cases"].get(result.case_id)
    if previous is not None:
        orphans |= set(previous.get("plots", [])) | set(previous.get("files", []))
    entry = _case_entry(result, stamp)
    for name, dataset in result.datasets.items():
        nc_name = f"{safe_name(result.family)}-{safe_name(result.case_id)}-{safe_name(name)}.nc"
        write_netcdf_atomic(path.parent / nc_name, dataset)
        entry["files"].append(nc_name)
    record["cases"][result.case_id] = entry
    record["model"] = result.model  # same identity; the runtime of the latest writer (each case keeps its own)
    record["machine"] = machine_info()
    record["versions"] = package_versions()
    record["updated"] = stamp
    record["comparability"] = merged_comparability(record["cases"])
    record["passed"] = all(bool(c.get("passed", False)) for c in record["cases"].values())
    write_json_atomic(path, record)
    for name in orphans - _referenced_files(record["cases"]):
        if Path(name).name == name:  # only plain names next to the record, whatever a file on disk says
            (path.parent / name).unlink(missing_ok=True)
    return path


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    return value


def comparability_key(record: Any) -> tuple:
    """A hashable key: two records (or two cases) may be ranked together only if their keys are equal.

    ``record`` is a record dict, a case dict, a :class:`~insbench.results.store_index.Record`
    (anything with ``.data``) or a :class:`Comparability`. The key is a tuple of
    ``(field, value)`` pairs over every :class:`Comparability` field, in declaration
    order; a field the cases of a record disagree on has a tuple of the values. A
    record of an older schema without the block raises ValueError.
    """
    if isinstance(record, Comparability):
        block = record.model_dump(mode="json")
    else:
        data = getattr(record, "data", record)
        if not isinstance(data, dict) or not isinstance(data.get("comparability"), dict):
            raise ValueError(
                "this result has no 'comparability' block (written before schema_version "
                f"{RESULT_SCHEMA_VERSION}); re-run the model with this insbench"
            )
        block = data["comparability"]
    return tuple((name, _hashable(block.get(name))) for name in Comparability.model_fields)
