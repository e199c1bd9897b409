"""One JSON record per (model, system, test family), merged case by case.

Layout: ``<results_dir>/<model>/<system>/<family>.json`` (schema below) with PNGs
beside it. Several pytest workers may add cases to the same record: every update is
a locked read-modify-write with an atomic replace.

Record schema (``schema_version`` 1)::

    {
      "schema": "insbench.result", "schema_version": 1,
      "model": {...MLIPSpec.identity()...}, "system": str, "family": str,
      "reference": {...Fixture.to_provenance()...},
      "machine": {...}, "versions": {...}, "updated": ISO-8601 UTC,
      "cases": {case_id: {...family-specific payload, "passed": bool...}},
      "passed": bool   # every case passed
    }

A record made by a different model identity (another file sha256 or package
versions) or a different fixture version is replaced, never mixed.
"""

from __future__ import annotations

import fcntl
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from insbench._io import write_json_atomic
from insbench.environment import machine_info, package_versions

RESULT_SCHEMA = "insbench.result"
RESULT_SCHEMA_VERSION = 1


def safe_name(name: str) -> str:
    """A file-system-safe version of a model or system name."""
    return re.sub(r"[^A-Za-z0-9_.+-]+", "_", name).strip("_") or "unnamed"


def record_path(results_dir: Path, model: str, system: str, family: str) -> Path:
    return Path(results_dir) / safe_name(model) / safe_name(system) / f"{safe_name(family)}.json"


def _same_origin(old: dict[str, Any], model: dict[str, Any], reference: dict[str, Any]) -> bool:
    return (
        old.get("schema_version") == RESULT_SCHEMA_VERSION
        and old.get("model") == model
        and old.get("reference", {}).get("version") == reference.get("version")
    )


class ResultsStore:
    """Writes result records under one directory."""

    def __init__(self, results_dir: Path | str) -> None:
        self.results_dir = Path(results_dir)

    @contextmanager
    def _locked(self, path: Path) -> Iterator[None]:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path.with_suffix(".lock"), "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def add_case(
        self,
        *,
        model: dict[str, Any],
        system: str,
        family: str,
        reference: dict[str, Any],
        case_id: str,
        payload: dict[str, Any],
        session_id: str,
        machine: dict[str, Any] | None = None,
        versions: dict[str, str] | None = None,
    ) -> Path:
        """Add (or replace) one case in the record and return the record's path.

        ``machine`` and ``versions`` default to this process's machine and packages.
        """
        path = record_path(self.results_dir, model["name"], system, family)
        with self._locked(path):
            record: dict[str, Any] | None = None
            if path.is_file():
                old = json.loads(path.read_text())
                # same model and fixture: merge cases; a stale record from an earlier
                # session is replaced as a whole so versions never mix
                if _same_origin(old, model, reference) and old.get("session_id") == session_id:
                    record = old
            if record is None:
                record = {
                    "schema": RESULT_SCHEMA,
                    "schema_version": RESULT_SCHEMA_VERSION,
                    "model": model,
                    "system": system,
                    "family": family,
                    "reference": reference,
                    "session_id": session_id,
                    "cases": {},
                }
            record["cases"][case_id] = payload
            record["machine"] = machine if machine is not None else machine_info()
            record["versions"] = versions if versions is not None else package_versions()
            record["updated"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            record["passed"] = all(c.get("passed", False) for c in record["cases"].values())
            write_json_atomic(path, record)
        return path

    def records(self) -> list[dict[str, Any]]:
        """Every record under the results directory."""
        found = []
        for path in sorted(self.results_dir.glob("*/*/*.json")):
            data = json.loads(path.read_text())
            if data.get("schema") == RESULT_SCHEMA:
                data["_path"] = str(path)
                found.append(data)
        return found
