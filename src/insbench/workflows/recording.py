"""What every family's writer shares: the comparability block and the scoring-settings digest.

The families (evaluate, evaluate_pressure, md_pipeline, cost) build a
:class:`~insbench.results.records.CaseResult` with these and hand it to
:func:`~insbench.results.records.write_case`, the one writer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from insbench._io import canonical_json, sha256_bytes
from insbench.environment import package_versions
from insbench.results.records import Comparability, FixtureRef


def settings_digest(settings: Any) -> str:
    """sha256 of the canonical JSON of ``settings`` (dataclasses converted to dicts)."""
    return sha256_bytes(canonical_json(_plain(settings)).encode())


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def thresholds_digest(thresholds, system: str, windows: Iterable[str]) -> str:
    """Digest of the scoring settings and the thresholds that judged (system, each window)."""
    return settings_digest({
        window: {
            "scoring": thresholds.scoring_settings(system, window).to_dict(),
            "thresholds": thresholds.metrics(system, window),
        }
        for window in sorted(windows)
    })


def comparability(
    fixture,
    *,
    scoring_settings_sha256: str | None,
    md_level: str | None = None,
    supercell_min_length_a: float | None = None,
    cell_mode: str | None = None,
    multiphonon_orders: Iterable[int] | None = None,
    multiphonon_max_order: int | None = None,
    self_reference: bool = False,
) -> Comparability:
    return Comparability(
        md_level=md_level,
        supercell_min_length_a=None if supercell_min_length_a is None else float(supercell_min_length_a),
        cell_mode=cell_mode,
        fixture=FixtureRef(system=fixture.system, version=str(fixture.version)),
        scoring_settings_sha256=scoring_settings_sha256,
        insbench_version=package_versions(("insbench",))["insbench"],
        multiphonon_orders=None if multiphonon_orders is None else tuple(int(o) for o in multiphonon_orders),
        multiphonon_max_order=None if multiphonon_max_order is None else int(multiphonon_max_order),
        self_reference=self_reference,
    )
