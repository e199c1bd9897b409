"""Third-party models through the ``insbench.mlips`` entry-point group."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from ase.calculators.emt import EMT

from insbench.models import MLIPSpec, PluginError, UnknownModelError, available_mlips, make_calculator, resolve_mlip
from insbench.models.guard import GuardedCalculator


def _install(monkeypatch: pytest.MonkeyPatch, hooks: dict[str, Callable[[], Any]]) -> list[str]:
    """Pretend packages registered ``hooks`` under ``insbench.mlips``; return what was loaded."""
    loaded: list[str] = []

    def entry(name: str, hook: Callable[[], Any]) -> SimpleNamespace:
        def load() -> Callable[[], Any]:
            loaded.append(name)
            return hook

        return SimpleNamespace(name=name, value=f"fake_pkg:{name}", group="insbench.mlips", load=load)

    fakes = [entry(name, hook) for name, hook in hooks.items()]

    def entry_points(**params: Any) -> list[SimpleNamespace]:
        return fakes if params.get("group") == "insbench.mlips" else []

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    return loaded


def test_factory_plugin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, small_cell) -> None:
    loaded = _install(monkeypatch, {"toy-emt": lambda: EMT, "other": lambda: EMT})
    assert available_mlips(config_dir=tmp_path)[-2:] == ["toy-emt", "other"]
    assert loaded == []  # listing imports nothing
    spec = resolve_mlip("toy-emt", config_dir=tmp_path)
    assert loaded == ["toy-emt"]
    assert spec.kind == "plugin" and spec.source == "plugin:fake_pkg:toy-emt"
    calc = make_calculator(spec)
    assert isinstance(calc, GuardedCalculator) and isinstance(calc.calc, EMT)
    atoms = small_cell.copy()
    atoms.calc = calc
    assert atoms.get_potential_energy() == pytest.approx(EMT().get_potential_energy(small_cell))
    assert resolve_mlip("toy-emt+d3", config_dir=tmp_path).d3


def test_spec_plugin_takes_the_entry_point_name(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _install(monkeypatch, {"their-chgnet": lambda: MLIPSpec(name="x", kind="chgnet")})
    spec = resolve_mlip("their-chgnet", config_dir=tmp_path)
    assert spec.name == "their-chgnet" and spec.kind == "chgnet"


def test_unknown_name_lists_plugins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _install(monkeypatch, {"toy-emt": lambda: EMT})
    with pytest.raises(UnknownModelError, match="toy-emt"):
        resolve_mlip("nope", config_dir=tmp_path)


@pytest.mark.parametrize(
    ("hook", "match"),
    [
        (lambda: EMT(), "calculator instance"),
        (lambda: 42, "returned a int"),
        ("not callable", "not callable"),
    ],
)
def test_contract_violations(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, hook: Any, match: str) -> None:
    _install(monkeypatch, {"broken": hook})
    with pytest.raises(PluginError, match=match):
        resolve_mlip("broken", config_dir=tmp_path)


def test_factory_returning_garbage_fails_at_build(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _install(monkeypatch, {"garbage": lambda: (lambda: "not a calculator")})
    with pytest.raises(PluginError, match="not an ASE Calculator"):
        make_calculator(resolve_mlip("garbage", config_dir=tmp_path))
