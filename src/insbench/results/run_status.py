"""Was a run complete, and did it pass? Said once, from the records, for bundles and ``verify``.

A bundle made from a partial run (``-k``, a crash, a benchmark file not run) must not look
like a full submission. :func:`run_status` reads a model's result records and reports

* **missing**: a (family, system) insbench judges (thresholds.toml: spectra and pressure
  sections; MD stability for every system with spectral thresholds) with no record;
* **incomplete cases**: an MD run that stopped before its planned steps without blowing up,
  or a case with no verdict;
* **failed cases**: a case whose verdict is "failed" (including an MD run that blew up).

``complete`` means nothing missing and no incomplete case; ``passed`` means complete and no
failed case. :func:`insbench.results.submit.build_bundle` writes the status into the bundle's
MANIFEST.json and ``insbench verify`` recomputes it from the records and reports it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from insbench.results.gate_file import Declared, declared_metrics


@dataclass(frozen=True)
class RunStatus:
    missing: tuple[str, ...] = ()
    incomplete_cases: tuple[str, ...] = ()
    failed_cases: tuple[str, ...] = ()
    judged: tuple[str, ...] = field(default=())  # "family/system" of every record seen

    @property
    def complete(self) -> bool:
        return not self.missing and not self.incomplete_cases

    @property
    def passed(self) -> bool:
        return self.complete and not self.failed_cases

    def to_dict(self) -> dict[str, Any]:
        return {"complete": self.complete, "passed": self.passed, "missing": list(self.missing),
                "incomplete_cases": list(self.incomplete_cases), "failed_cases": list(self.failed_cases)}

    def lines(self) -> list[str]:
        """One summary line, then one line per reason."""
        if self.passed:
            return [f"run status: complete and passed ({len(self.judged)} records: {', '.join(self.judged)})"]
        head = []
        if not self.complete:
            head.append(f"INCOMPLETE ({len(self.missing)} missing, {len(self.incomplete_cases)} incomplete cases)")
        if self.failed_cases:
            head.append(f"FAILED ({len(self.failed_cases)} cases did not pass)")
        lines = [f"run status: {' and '.join(head)}"]
        lines += [f"  missing: {m}" for m in self.missing]
        lines += [f"  incomplete: {c}" for c in self.incomplete_cases]
        lines += [f"  failed: {c}" for c in self.failed_cases]
        return lines


def expected_records(declared: Declared) -> list[tuple[str, str]]:
    """(family, system) pairs the benchmark suite judges."""
    spectra = declared.systems("spectra")
    pairs = [("spectra", s) for s in spectra] + [("pressure", s) for s in declared.systems("pressure")]
    pairs += [("md", s) for s in spectra]
    return sorted(pairs)


def _case_problem(family: str, case: Mapping[str, Any]) -> tuple[str | None, bool]:
    """(why the case is incomplete or failed, failed?) or (None, False) for a passed case."""
    if "passed" not in case or not isinstance(case["passed"], bool):
        return "no verdict recorded", False
    if family == "md":
        blew_up, reason = case.get("blew_up_at_step"), case.get("reason")
        steps, planned = case.get("steps"), case.get("planned_steps")
        if blew_up is not None:
            return f"MD blew up at step {blew_up}" + (f": {reason}" if reason else ""), True
        if isinstance(steps, int) and isinstance(planned, int) and steps < planned:
            return f"MD stopped at step {steps} of {planned}" + (f": {reason}" if reason else ""), False
    if not case["passed"]:
        return "did not pass", True
    return None, False


def run_status(records: Iterable[Mapping[str, Any]], declared: Declared | None = None) -> RunStatus:
    """The status of one model's run from its records (record dicts, or objects with ``.data``)."""
    declared = declared if declared is not None else declared_metrics()
    seen: set[tuple[str, str]] = set()
    incomplete: list[str] = []
    failed: list[str] = []
    for item in records:
        record = getattr(item, "data", item)
        family, system = str(record.get("family")), str(record.get("system"))
        seen.add((family, system))
        if family == "cost":
            continue
        cases = record.get("cases") or {}
        if not cases:
            incomplete.append(f"{family}/{system}: the record holds no case")
        for case_id, case in sorted(cases.items()):
            why, is_failure = _case_problem(family, case)
            if why is not None:
                (failed if is_failure else incomplete).append(f"{family}/{system}/{case_id}: {why}")
    missing = [f"{family}/{system}: no result (the benchmark suite judges it; run "
               f"`pytest --mlip=NAME` without -k, or the {family} benchmark)"
               for family, system in expected_records(declared) if (family, system) not in seen]
    return RunStatus(tuple(missing), tuple(incomplete), tuple(failed),
                     tuple(f"{f}/{s}" for f, s in sorted(seen)))
