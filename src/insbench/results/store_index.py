"""Read every result record under a results directory, checking the schema.

:func:`load_index` is what the leaderboard, the gate and the submission bundle read.
A record it cannot use is *reported* (``ResultsIndex.issues``), never silently
mixed in:

* a JSON file that is not valid JSON or not an insbench result record;
* a record of another ``schema_version`` than :data:`RESULT_SCHEMA_VERSION`
  (see docs/results-schema.md for what each version holds);
* a record missing a required field;
* a record whose model identity (model file sha256, package versions) differs
  from the newest record of the same model name: left over from an earlier
  version of the model. The newest identity wins; the older records are listed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from insbench.results.records import RESULT_SCHEMA, RESULT_SCHEMA_VERSION

#: Fields every version-2 record has (see docs/results-schema.md).
REQUIRED_FIELDS = ("model", "system", "family", "reference", "cases", "updated", "comparability")


@dataclass(frozen=True)
class RecordIssue:
    """A file under the results directory that was left out, and why."""

    path: Path
    problem: str

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


@dataclass(frozen=True)
class Record:
    """One validated result record: (model, system, family) with its cases."""

    path: Path
    data: dict[str, Any] = field(repr=False, compare=False)

    @property
    def model(self) -> str:
        return str(self.data["model"]["name"])

    @property
    def identity(self) -> dict[str, Any]:
        return self.data["model"]

    @property
    def system(self) -> str:
        return str(self.data["system"])

    @property
    def family(self) -> str:
        return str(self.data["family"])

    @property
    def cases(self) -> dict[str, dict[str, Any]]:
        return self.data["cases"]

    @property
    def reference_version(self) -> str | None:
        return self.data.get("reference", {}).get("version")

    @property
    def updated(self) -> str:
        return str(self.data.get("updated", ""))

    @property
    def directory(self) -> Path:
        return self.path.parent

    def png_files(self) -> list[tuple[str, Path]]:
        """(case id, path) of every PNG the record's cases name (``plot``, ``plots`` or any
        ``*.png`` string), resolved next to the record; existing files only, in order."""
        seen: dict[Path, str] = {}
        root = self.directory.resolve()
        for case_id, case in self.cases.items():
            for name in _png_names(case):
                candidate = (self.directory / name).resolve()
                if candidate.is_file() and root in candidate.parents:
                    seen.setdefault(candidate, case_id)
        return [(case_id, path) for path, case_id in seen.items()]


def _png_names(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if value.lower().endswith(".png"):
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _png_names(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _png_names(item)


def validate_record(data: Any) -> str | None:
    """Why ``data`` is not a usable result record of this schema version, or None if it is."""
    if not isinstance(data, dict) or data.get("schema") != RESULT_SCHEMA:
        return f"not an insbench result record (no \"schema\": \"{RESULT_SCHEMA}\")"
    version = data.get("schema_version")
    if version != RESULT_SCHEMA_VERSION:
        return (
            f"schema_version {version!r}, but this insbench reads version {RESULT_SCHEMA_VERSION} "
            "(docs/results-schema.md); re-run the model with this insbench, or read it with the "
            "insbench that wrote it"
        )
    missing = [name for name in REQUIRED_FIELDS if name not in data]
    if missing:
        return f"schema_version {RESULT_SCHEMA_VERSION} record without {', '.join(missing)}"
    if not isinstance(data["model"], dict) or not data["model"].get("name"):
        return "\"model\" must be an object with a \"name\""
    if not isinstance(data["cases"], dict):
        return "\"cases\" must be an object of case id -> payload"
    return None


@dataclass
class ResultsIndex:
    """Every usable record of a results directory plus the files that were left out."""

    root: Path
    records: list[Record]
    issues: list[RecordIssue]

    def models(self) -> list[str]:
        return sorted({r.model for r in self.records})

    def for_model(self, model: str, family: str | None = None) -> list[Record]:
        return [r for r in self.records if r.model == model and (family is None or r.family == family)]

    def get(self, model: str, system: str, family: str) -> Record | None:
        for record in self.records:
            if (record.model, record.system, record.family) == (model, system, family):
                return record
        return None

    def systems(self, family: str | None = None) -> list[str]:
        return sorted({r.system for r in self.records if family is None or r.family == family})


def _comparable_identity(identity: dict[str, Any]) -> dict[str, Any]:
    """The parts of a model identity that say which model it is (not where the file sits)."""
    model_file = identity.get("model_file") or {}
    return {
        "name": identity.get("name"),
        "kind": identity.get("kind"),
        "sha256": model_file.get("sha256") if isinstance(model_file, dict) else None,
        "options": identity.get("options"),
        "packages": identity.get("packages"),
        "d3": identity.get("d3"),
    }


def _is_companion(path: Path) -> bool:
    """``<family>-<what>.json`` next to its record ``<family>.json`` (e.g. ``pressure-modes.json``,
    the per-mode table of the pressure record) is that record's data file, not a record.
    Without the record beside it, it is read (and reported) like any other file."""
    family, dash, _ = path.stem.partition("-")
    return bool(dash) and (path.parent / f"{family}.json").is_file()


def load_index(results_dir: Path | str) -> ResultsIndex:
    """Read ``<results_dir>/<model>/<system>/<family>.json`` records (see module docstring).

    Raises FileNotFoundError if ``results_dir`` is not a directory.
    """
    root = Path(results_dir)
    if not root.is_dir():
        raise FileNotFoundError(
            f"results directory {root} does not exist; run `pytest --mlip=NAME "
            f"--insbench-results={root}` first"
        )
    usable: list[Record] = []
    issues: list[RecordIssue] = []
    for path in sorted(root.glob("*/*/*.json")):
        if _is_companion(path):
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            issues.append(RecordIssue(path, f"cannot be read as JSON ({error})"))
            continue
        problem = validate_record(data)
        if problem is not None:
            issues.append(RecordIssue(path, problem))
            continue
        usable.append(Record(path, data))

    kept, stale = keep_newest_identity(usable)
    issues.extend(stale)
    kept.sort(key=lambda r: (r.model, r.system, r.family))
    return ResultsIndex(root, kept, issues)


def keep_newest_identity(records: list[Record]) -> tuple[list[Record], list[RecordIssue]]:
    """One identity per model name: records made by the identity of the model's newest record
    are kept; the others (another model file or package versions) are reported, never mixed."""
    kept: list[Record] = []
    issues: list[RecordIssue] = []
    by_model: dict[str, list[Record]] = {}
    for record in records:
        by_model.setdefault(record.model, []).append(record)
    for model, group in sorted(by_model.items()):
        newest = max(group, key=lambda r: r.updated)
        want = _comparable_identity(newest.identity)
        for record in group:
            if _comparable_identity(record.identity) == want:
                kept.append(record)
            else:
                issues.append(RecordIssue(
                    record.path,
                    f"made by another identity of model {model!r} (model file or package versions "
                    f"differ from its newest record {newest.path} of {newest.updated}); left out. "
                    "Re-run the model on this system or delete the stale record",
                ))
    return kept, issues


def load_indexes(results_dirs: list[Path | str] | tuple[Path | str, ...]) -> ResultsIndex:
    """One index over several results directories (e.g. runs made on different machines).

    The identity rule of :func:`load_index` applies across directories; of two records for
    the same (model, system, family) the newer is kept and the older reported.
    """
    if len(results_dirs) == 1:
        return load_index(results_dirs[0])
    indexes = [load_index(d) for d in results_dirs]
    issues = [issue for index in indexes for issue in index.issues]
    by_key: dict[tuple[str, str, str], Record] = {}
    for record in sorted((r for index in indexes for r in index.records), key=lambda r: r.updated):
        key = (record.model, record.system, record.family)
        if key in by_key:
            issues.append(RecordIssue(by_key[key].path, f"superseded by the newer {record.path}"))
        by_key[key] = record
    merged = ResultsIndex(Path(results_dirs[0]), [], issues)
    # re-apply the one-identity-per-model rule over the merged records
    kept, stale = keep_newest_identity(list(by_key.values()))
    merged.issues.extend(stale)
    merged.records = sorted(kept, key=lambda r: (r.model, r.system, r.family))
    merged.root = Path(" + ".join(str(d) for d in results_dirs))
    return merged
