"""Submission bundles: pack one model's results with their provenance, and verify them.

``insbench submit RESULTS_DIR --model NAME --out bundle.tar.gz`` writes a gzipped tar::

    MANIFEST.json            schema "insbench.bundle" v1: sha256 + size of every other member
    results/<model>/<system>/<family>.json and the PNGs and side files (NetCDF spectra) next to them
    identity.json            the model identity (file sha256, package versions, d3) from the records
    environment.json         python, platform, machine, every installed distribution and version
    reference.json           per system: fixture version, manifest sha256, artefact checksums
    settings.json            per record and case: pipeline settings and scoring settings
    logs/...                 *.log files under the model's results folder, and --log files

``insbench verify bundle.tar.gz`` checks every member against MANIFEST.json (a
changed, missing or extra member is named and the exit status is non-zero) and
re-validates the records; with ``--mlip NAME --rerun-sample N`` it re-runs N cases
through the pipeline (:mod:`insbench.workflows.rerun`, passed in as a runner: results
never runs a model) and compares the scores within a tolerance.

The manifest protects against accidental and casual change, not against someone
who rewrites the manifest too: publish the bundle's own sha256 (printed by submit)
through a separate channel if that matters.
"""

from __future__ import annotations

import io
import json
import math
import platform
import random
import tarfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from insbench._io import sha256_bytes
from insbench.results.records import safe_name
from insbench.results.run_status import RunStatus, run_status
from insbench.results.store_index import Record, load_index, validate_record

BUNDLE_SCHEMA = "insbench.bundle"
BUNDLE_SCHEMA_VERSION = 1
MANIFEST = "MANIFEST.json"

#: Default tolerances of a re-run: |rerun - submitted| <= abs + rel * |submitted| per metric.
DEFAULT_TOLERANCE = {
    "w1_cm1": (1.0, 0.05),
    "cosine": (0.02, 0.0),
    "peak_mae_cm1": (1.0, 0.05),
}


class BundleError(ValueError):
    """The bundle cannot be made or read; the message says which file and why."""


def environment_info() -> dict[str, Any]:
    from insbench.environment import installed_distributions, machine_info

    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": machine_info(),
        "distributions": installed_distributions(),
    }


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, indent=1, sort_keys=True, default=str) + "\n").encode("utf-8")


def _settings_of(record: Record) -> dict[str, Any]:
    out = {}
    for case_id, case in record.cases.items():
        entry: dict[str, Any] = {}
        if "settings" in case:
            entry["pipeline"] = case["settings"]
        windows = case.get("windows")
        if isinstance(windows, dict):
            entry["scoring"] = {w: p.get("scores", {}).get("settings") for w, p in windows.items()}
        out[case_id] = entry
    return out


@dataclass(frozen=True)
class BundleSummary:
    path: Path
    sha256: str
    members: dict[str, str]  # name -> sha256
    status: RunStatus | None = None  # complete? passed? (results/run_status.py)


def build_bundle(
    results_dir: Path | str,
    model: str,
    out: Path | str,
    *,
    logs: Iterable[Path | str] = (),
) -> BundleSummary:
    """Pack ``model``'s records (see the module docstring). Raises BundleError when the model
    has no usable record or its records disagree on the model identity."""
    index = load_index(results_dir)
    records = index.for_model(model)
    if not records:
        left_out = [str(i) for i in index.issues if f"/{safe_name(model)}/" in str(i.path)]
        hint = f"; left out: {'; '.join(left_out)}" if left_out else f"; models there: {', '.join(index.models()) or 'none'}"
        raise BundleError(f"no usable result records of model {model!r} in {index.root}{hint}")
    members: dict[str, bytes] = {}
    root = Path(results_dir)
    for record in records:
        rel = record.path.relative_to(root).as_posix()
        members[f"results/{rel}"] = record.path.read_bytes()
        for _case, png in record.png_files():
            members[f"results/{png.relative_to(root.resolve()).as_posix()}"] = png.read_bytes()
        for case in record.cases.values():  # the case's side files: NetCDF spectra, mode tables
            for name in case.get("files", []):
                side = record.directory / name
                if isinstance(name, str) and Path(name).name == name and side.is_file():
                    members[f"results/{side.relative_to(root).as_posix()}"] = side.read_bytes()
    identity = records[0].identity
    model_dir = root / safe_name(model)
    for log in sorted(model_dir.rglob("*.log")):
        members[f"logs/{log.relative_to(model_dir).as_posix()}"] = log.read_bytes()
    for extra in map(Path, logs):
        members[f"logs/{extra.name}"] = extra.read_bytes()
    members["identity.json"] = _json_bytes(identity)
    members["environment.json"] = _json_bytes(environment_info())
    members["reference.json"] = _json_bytes({
        record.system: {
            "version": record.data["reference"].get("version"),
            "manifest_sha256": record.data["reference"].get("manifest_sha256"),
            "checksums": {a.get("file", n): a.get("sha256")
                          for n, a in record.data["reference"].get("artefacts", {}).items()},
        }
        for record in records
    })
    members["settings.json"] = _json_bytes({
        f"{record.system}/{record.family}": _settings_of(record) for record in records
    })
    files = {name: {"sha256": sha256_bytes(data), "bytes": len(data)} for name, data in sorted(members.items())}
    status = run_status(records)  # an incomplete or failed run says so in the manifest
    manifest: dict[str, Any] = {
        "schema": BUNDLE_SCHEMA,
        "schema_version": BUNDLE_SCHEMA_VERSION,
        "model": model,
        "model_sha256": (identity.get("model_file") or {}).get("sha256"),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "complete": status.complete,
        "run_status": status.to_dict(),
        "files": files,
    }
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".partial")
    with tarfile.open(tmp, "w:gz") as tar:
        for name, data in [(MANIFEST, _json_bytes(manifest)), *sorted(members.items())]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0  # reproducible member metadata
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    tmp.replace(out)
    return BundleSummary(out, sha256_bytes(out.read_bytes()), {n: str(m["sha256"]) for n, m in files.items()},
                         status)


# -- verification ------------------------------------------------------------------------------


@dataclass
class VerifyReport:
    bundle: Path
    problems: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)
    status: RunStatus | None = None  # recomputed from the bundle's records

    @property
    def ok(self) -> bool:
        return not self.problems


def _safe_member(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts


def read_bundle(path: Path | str) -> tuple[dict[str, Any] | None, dict[str, bytes], list[str]]:
    """(manifest, members, problems) of a bundle; only regular files are read."""
    problems: list[str] = []
    members: dict[str, bytes] = {}
    try:
        with tarfile.open(path, "r:gz") as tar:
            for info in tar.getmembers():
                if not _safe_member(info.name):
                    problems.append(f"member {info.name!r}: unsafe path (absolute or with '..')")
                    continue
                if not info.isfile():
                    problems.append(f"member {info.name!r}: not a regular file ({'link' if info.issym() or info.islnk() else 'other'})")
                    continue
                if info.name in members:
                    problems.append(f"member {info.name!r}: appears more than once")
                handle = tar.extractfile(info)
                members[info.name] = handle.read() if handle is not None else b""
    except (OSError, tarfile.TarError, EOFError) as error:
        return None, {}, [f"{path}: not a readable .tar.gz ({error})"]
    raw = members.pop(MANIFEST, None)
    if raw is None:
        return None, members, problems + [f"{path}: no {MANIFEST}; not an insbench submission bundle"]
    try:
        manifest = json.loads(raw)
    except json.JSONDecodeError as error:
        return None, members, problems + [f"{MANIFEST}: not valid JSON ({error})"]
    if manifest.get("schema") != BUNDLE_SCHEMA or manifest.get("schema_version") != BUNDLE_SCHEMA_VERSION:
        return None, members, [*problems, (
            f"{MANIFEST}: schema {manifest.get('schema')!r} v{manifest.get('schema_version')!r}, "
            f"expected {BUNDLE_SCHEMA!r} v{BUNDLE_SCHEMA_VERSION}")]
    return manifest, members, problems


def check_integrity(manifest: dict[str, Any], members: dict[str, bytes]) -> list[str]:
    """Every member against the manifest: changed, missing and extra members are named."""
    problems = []
    listed = manifest.get("files", {})
    for name, entry in sorted(listed.items()):
        if name not in members:
            problems.append(f"member {name}: listed in {MANIFEST} but missing from the bundle")
            continue
        digest = sha256_bytes(members[name])
        if digest != entry.get("sha256"):
            problems.append(f"member {name}: sha256 {digest[:16]}… differs from {MANIFEST} "
                            f"({str(entry.get('sha256'))[:16]}…): tampered with or corrupted")
    for name in sorted(set(members) - set(listed)):
        problems.append(f"member {name}: not listed in {MANIFEST} (added after packing?)")
    return problems


#: A runner re-scores one case: (model name, record data, case id) -> {window: {metric: value}}.
CaseRunner = Callable[[str, dict[str, Any], str], dict[str, dict[str, float]]]


def compare_scores(submitted: dict[str, Any], rerun: dict[str, dict[str, float]],
                   tolerance: dict[str, tuple[float, float]] | None = None) -> list[str]:
    """Differences beyond tolerance between a case's submitted windows and a re-run."""
    tolerance = tolerance or DEFAULT_TOLERANCE
    problems = []
    for window, payload in submitted.get("windows", {}).items():
        scores = payload.get("scores", {})
        for metric, (abs_tol, rel_tol) in tolerance.items():
            if metric not in scores:
                continue
            old = scores[metric]
            new = rerun.get(window, {}).get(metric)
            if new is None:
                problems.append(f"{window} {metric}: not produced by the re-run")
                continue
            if old is None or not (math.isfinite(old) and math.isfinite(new)) or \
                    abs(new - old) > abs_tol + rel_tol * abs(old):
                problems.append(f"{window} {metric}: submitted {old:.4g}, re-run {new:.4g} "
                                f"(tolerance {abs_tol:g} + {rel_tol:g} x |submitted|)")
    return problems


def verify_bundle(
    path: Path | str,
    *,
    mlip: str | None = None,
    rerun_sample: int = 0,
    seed: int = 0,
    runner: CaseRunner | None = None,
    tolerance: dict[str, tuple[float, float]] | None = None,
) -> VerifyReport:
    """Integrity, record schema, identity consistency and (optionally) a re-run sample.

    A re-run needs ``runner`` (:func:`insbench.workflows.rerun.pipeline_runner` is the real
    one; results never runs a model itself).
    """
    report = VerifyReport(Path(path))
    manifest, members, problems = read_bundle(path)
    report.problems += problems
    if manifest is None:
        return report
    report.manifest = manifest
    report.problems += check_integrity(manifest, members)
    report.lines.append(f"{len(manifest.get('files', {}))} members listed in {MANIFEST}; "
                        f"model {manifest.get('model')!r}, created {manifest.get('created')}")
    records: dict[str, dict[str, Any]] = {}
    for name, data in sorted(members.items()):
        if name.startswith("results/") and name.endswith(".json"):
            try:
                record = json.loads(data)
            except json.JSONDecodeError as error:
                report.problems.append(f"member {name}: not valid JSON ({error})")
                continue
            problem = validate_record(record)
            if problem:
                report.problems.append(f"member {name}: {problem}")
                continue
            if record["model"].get("name") != manifest.get("model"):
                report.problems.append(f"member {name}: record of model {record['model'].get('name')!r}, "
                                       f"bundle is for {manifest.get('model')!r}")
            records[name] = record
    if not records:
        report.problems.append("the bundle holds no result record")
    identity = json.loads(members.get("identity.json", b"{}") or b"{}")
    for name, record in records.items():  # "runtime" says how a session ran it (device, cached), not which model
        if {k: v for k, v in record["model"].items() if k != "runtime"} != \
                {k: v for k, v in identity.items() if k != "runtime"}:
            report.problems.append(f"member {name}: model identity differs from identity.json")
    if report.problems:
        return report
    report.lines.append(f"integrity OK: every member matches its sha256; {len(records)} records valid")
    report.status = run_status(records.values())
    report.lines += report.status.lines()
    claimed = manifest.get("run_status")
    if not isinstance(claimed, dict):
        report.lines.append(f"{MANIFEST} states no run status (an older bundle): the status is from its records")
    elif (claimed.get("complete"), claimed.get("passed")) != (report.status.complete, report.status.passed):
        report.problems.append(f"{MANIFEST}: states complete={claimed.get('complete')}, passed={claimed.get('passed')}"
                               f", but its records give complete={report.status.complete}, passed="
                               f"{report.status.passed}: edited after packing, or packed by an insbench that judges other systems")

    if mlip and rerun_sample > 0:
        if runner is None:
            raise ValueError("a re-run needs a runner: pass insbench.workflows.rerun.pipeline_runner()")
        report.lines += _rerun(report, records, mlip, rerun_sample, seed, runner, tolerance)
    return report


def _rerun(report: VerifyReport, records: dict[str, dict[str, Any]], mlip: str, sample: int, seed: int,
           runner: CaseRunner, tolerance) -> list[str]:
    lines: list[str] = []
    cases = sorted((name, case_id) for name, record in records.items()
                   if record.get("family") == "spectra" for case_id in record["cases"])
    if not cases:
        report.problems.append("re-run requested but the bundle has no spectra cases")
        return lines
    chosen = random.Random(seed).sample(cases, min(sample, len(cases)))
    for name, case_id in chosen:
        record = records[name]
        try:
            rerun = runner(mlip, record, case_id)
        # any failure of the model or pipeline is reported (verification fails), never hidden
        except Exception as error:  # noqa: BLE001
            report.problems.append(f"re-run of {case_id} ({name}) failed: {type(error).__name__}: {error}")
            continue
        differences = compare_scores(record["cases"][case_id], rerun, tolerance)
        if differences:
            report.problems += [f"re-run of {case_id}: {d}" for d in differences]
        else:
            lines.append(f"re-run of {case_id} with {mlip}: scores agree within tolerance")
    return lines
