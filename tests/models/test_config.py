"""Aliases in ``insbench.toml``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from insbench.models import (
    DoubleDispersionError,
    ModelConfigError,
    ModelFileNotFoundError,
    available_mlips,
    resolve_mlip,
)
from insbench.models.builtins import MACE_TINY_FILE


def _config(tmp_path: Path, body: str) -> Path:
    (tmp_path / "insbench.toml").write_text("[mlips]\n" + body, encoding="utf-8")
    return tmp_path


def test_mace_alias_path_is_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    shutil.copyfile(MACE_TINY_FILE, tmp_path / "models" / "ft.model")
    _config(tmp_path, 'mace_ft = {kind = "mace", path = "models/ft.model"}\n')
    spec = resolve_mlip("mace_ft", config_dir=tmp_path)
    assert spec.kind == "mace" and not spec.d3
    assert Path(spec.path) == (tmp_path / "models" / "ft.model").resolve()
    assert spec.source.startswith("config:")
    assert "mace_ft" in available_mlips(config_dir=tmp_path)
    assert resolve_mlip("mace_ft+d3", config_dir=tmp_path).d3


def test_alias_with_d3_and_options(tmp_path: Path) -> None:
    _config(tmp_path, 'seven = {kind = "sevennet", checkpoint = "7net-0", d3 = true}\n'
                      'chg = {kind = "chgnet", version = "0.3.0"}\n')
    seven = resolve_mlip("seven", config_dir=tmp_path)
    assert seven.d3 and seven.name == "seven" and seven.option("checkpoint") == "7net-0"
    assert resolve_mlip("chg", config_dir=tmp_path).option("version") == "0.3.0"


def test_alias_to_missing_file(tmp_path: Path) -> None:
    _config(tmp_path, 'gone = {kind = "mace", path = "models/gone.model"}\n')
    with pytest.raises(ModelFileNotFoundError, match="gone.model") as info:
        resolve_mlip("gone", config_dir=tmp_path)
    assert "alias 'gone'" in str(info.value)


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ('bad = {kind = "lammps"}\n', "kind 'lammps' is not supported"),
        ('bad = {kind = "chgnet", colour = "red"}\n', "unknown key"),
        ('bad = {kind = "mace"}\n', "has no path"),
        ('bad = {kind = "xtb", path = "x"}\n', "has a path"),
        ('bad = {kind = "chgnet", d3 = "yes"}\n', "not a boolean"),
        ('chgnet = {kind = "chgnet"}\n', "redefines built-in"),
    ],
)
def test_invalid_alias_entries(tmp_path: Path, body: str, match: str) -> None:
    _config(tmp_path, body)
    with pytest.raises(ModelConfigError, match=match):
        resolve_mlip("bad" if "bad" in body else "anything", config_dir=tmp_path)


def test_xtb_alias_with_d3_is_refused(tmp_path: Path) -> None:
    _config(tmp_path, 'tb = {kind = "xtb", d3 = true}\n')
    with pytest.raises(DoubleDispersionError):
        resolve_mlip("tb", config_dir=tmp_path)


def test_broken_toml(tmp_path: Path) -> None:
    (tmp_path / "insbench.toml").write_text("[mlips\n", encoding="utf-8")
    with pytest.raises(ModelConfigError, match="not valid TOML"):
        resolve_mlip("anything", config_dir=tmp_path)
