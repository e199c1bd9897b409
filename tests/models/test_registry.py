"""Name resolution: built-ins, +d3, paths, unknown names."""

from __future__ import annotations

from pathlib import Path

import pytest

from insbench.models import (
    DoubleDispersionError,
    MLIPSpec,
    ModelError,
    ModelFileNotFoundError,
    UnknownModelError,
    available_mlips,
    resolve_mlip,
    spec_identity,
)
from insbench.models.builtins import MACE_TINY_FILE

BUILTINS = ["sevennet-0", "chgnet", "mace-tiny", "gfn2-xtb"]


def test_builtins_are_available(tmp_path: Path) -> None:
    assert available_mlips(config_dir=tmp_path)[:4] == BUILTINS


@pytest.mark.parametrize("name", BUILTINS)
def test_resolving_a_builtin_loads_nothing(name: str, tmp_path: Path) -> None:
    spec = resolve_mlip(name, config_dir=tmp_path)
    assert isinstance(spec, MLIPSpec)
    assert spec.name == name and not spec.d3
    assert spec.description


def test_unknown_name_lists_every_valid_name_and_the_d3_rule(tmp_path: Path) -> None:
    (tmp_path / "insbench.toml").write_text('[mlips]\nmy_alias = {kind = "chgnet"}\n')
    with pytest.raises(UnknownModelError) as info:
        resolve_mlip("sevennet-O", config_dir=tmp_path)
    message = str(info.value)
    assert "'sevennet-O'" in message
    for name in [*BUILTINS, "my_alias"]:
        assert name in message
    assert "+d3" in message and "gfn2-xtb" in message
    assert isinstance(info.value, ModelError)


@pytest.mark.parametrize("base", ["sevennet-0", "chgnet"])
def test_plus_d3_adds_dispersion(base: str, tmp_path: Path) -> None:
    spec = resolve_mlip(f"{base}+d3", config_dir=tmp_path)
    assert spec.d3 and spec.name == f"{base}+d3" and spec.kind == resolve_mlip(base).kind
    assert spec_identity(spec)["d3"] == {"method": "PBE", "damping": "d3bj", "package": "dftd3"}


@pytest.mark.parametrize("name", ["gfn2-xtb+d3", "mace-tiny+d3"])
def test_plus_d3_is_refused_when_dispersion_is_built_in(name: str, tmp_path: Path) -> None:
    with pytest.raises(DoubleDispersionError, match="count it twice"):
        resolve_mlip(name, config_dir=tmp_path)


def test_missing_model_file_names_path_and_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelFileNotFoundError) as info:
        resolve_mlip("models/nothing-here.model", config_dir=tmp_path)
    message = str(info.value)
    assert "models/nothing-here.model" in message
    assert str(tmp_path) in message and "fix:" in message
    assert isinstance(info.value, FileNotFoundError)


def test_existing_model_file_is_a_mace_spec(tmp_path: Path) -> None:
    spec = resolve_mlip(MACE_TINY_FILE, config_dir=tmp_path)
    assert spec.kind == "mace" and spec.source == "path"
    assert Path(spec.path).is_file()
    resolved_d3 = resolve_mlip(MACE_TINY_FILE + "+d3", config_dir=tmp_path)
    assert resolved_d3.d3  # a user file is not known to contain dispersion


def test_identity_of_a_file_model_has_sha256(tmp_path: Path) -> None:
    identity = spec_identity(resolve_mlip("mace-tiny", config_dir=tmp_path))
    assert identity["model_file"]["path"] == MACE_TINY_FILE
    assert len(identity["model_file"]["sha256"]) == 64
    assert identity["packages"]["mace-torch"] == "0.3.16"
    assert identity["d3"] is None and identity["dispersion_included"]


def test_spec_is_frozen_and_hashable() -> None:
    spec = resolve_mlip("chgnet")
    with pytest.raises(AttributeError):
        spec.name = "other"  # type: ignore[misc]
    assert {spec: 1}[resolve_mlip("chgnet")] == 1


def test_spec_rejects_unknown_kind() -> None:
    with pytest.raises(ValueError, match="kind"):
        MLIPSpec(name="x", kind="lammps")
