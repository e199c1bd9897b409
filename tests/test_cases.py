"""Benchmark cases derive from fixtures + thresholds; the two must agree on windows."""

from __future__ import annotations

import pytest

from insbench.workflows.cases import cell_modes_for, spectral_items
from insbench.metrics import load_thresholds
from insbench.reference import list_fixtures, load_fixture


def test_cell_modes():
    assert cell_modes_for(True, 0.0, 0.0) == ["relaxed-cell", "measured-cell"]
    assert cell_modes_for(True, 0.0, 1.5) == ["relaxed-cell"]  # a measured cell belongs to its pressure
    assert cell_modes_for(False, 0.0, 0.0) == ["relaxed-cell"]
    assert cell_modes_for(True, 0.0, 0.0, "measured-cell") == ["measured-cell"]


def test_hexane_items_cover_both_cell_modes_windows_and_metrics():
    items = spectral_items(load_fixture("hexane"), load_thresholds())
    assert {i.case.cell_mode for i in items} == {"relaxed-cell", "measured-cell"}
    assert {i.window for i in items} == {"lattice_lam", "fingerprint"}
    assert {i.metric for i in items} == {"w1_cm1", "cosine", "peak_mae_cm1"}
    assert len({i.id for i in items}) == len(items)


@pytest.mark.parametrize("system", sorted({s.system for s in list_fixtures() if s.problem is None}))
def test_thresholds_cover_every_fixture_window(system):
    fixture = load_fixture(system)
    thresholds = load_thresholds()
    for name, window in fixture.conditions.scoring_windows_cm1.items():
        assert thresholds.metrics(system, name), f"no thresholds for {system}.{name}"
        declared = thresholds.window_cm1(system, name)  # optional; if a file repeats it, it must agree
        assert declared is None or tuple(declared) == tuple(window), (
            f"thresholds.toml says {system}.{name} is {declared}, the fixture says {window}"
        )
