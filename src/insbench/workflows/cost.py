"""Record a model's measured cost (force calls, MD steps) through the one writer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from insbench._io import to_jsonable
from insbench.results.cost import COST_FAMILY
from insbench.results.records import CaseResult, ResultsStore, write_case
from insbench.workflows.recording import comparability


def write_cost_case(store: ResultsStore, *, model: dict[str, Any], fixture, case_id: str,
                    payload: dict[str, Any], session_id: str,
                    provenance: dict[str, Any] | None = None) -> Path:
    """Add one cost case (a payload of :mod:`insbench.results.cost`) to ``<results>/<model>/<system>/cost.json``.

    Cost is reported, not judged: the case passes unless the payload says otherwise.
    """
    body = {k: v for k, v in payload.items() if k != "passed"}
    return write_case(store, CaseResult(
        model=model, system=fixture.system, family=COST_FAMILY, case_id=case_id,
        reference=fixture.to_provenance(), payload=to_jsonable(body), passed=bool(payload.get("passed", True)),
        comparability=comparability(fixture, scoring_settings_sha256=None),
        session_id=session_id, provenance=dict(provenance or {}),
    ))
