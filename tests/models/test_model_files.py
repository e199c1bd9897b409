"""Model files: one clear error naming the file; did-you-mean; `insbench models add`.

The "bad model files" here are SYNTHETIC garbage written by the tests.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from insbench.cli import main
from insbench.models import ModelError, ModelFileNotFoundError, UnknownModelError, resolve_mlip
from insbench.models.builtins import MACE_TINY_FILE
from insbench.models.cli import add_alias
from insbench.models.errors import ModelFileError


@pytest.mark.parametrize("suffix", [".model", ".pt", ".pth"])
@pytest.mark.parametrize("content, words", [
    (b"this is a log file, not a model\n", "is not a model file"),
    (b"", "is empty"),
    (b"PK\x03\x04garbage that only starts like a zip", "is not a model file"),
])
def test_garbage_model_file_is_one_clear_error_naming_it(tmp_path, suffix, content, words):
    """Before: 31 torch UnpicklingError tracebacks, none naming the file."""
    path = tmp_path / f"x{suffix}"
    path.write_bytes(content)
    with pytest.raises(ModelFileError) as info:
        resolve_mlip(str(path))
    message = str(info.value)
    assert str(path) in message and words in message and "fix:" in message
    assert "Unpickling" not in message


def test_zip_without_a_checkpoint_is_refused(tmp_path):
    import zipfile

    path = tmp_path / "notes.pt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "synthetic")
    with pytest.raises(ModelFileError, match="not a torch checkpoint"):
        resolve_mlip(str(path))


def test_directory_is_refused_naming_it(tmp_path):
    folder = tmp_path / "models.model"
    folder.mkdir()
    with pytest.raises(ModelFileError, match="is a directory"):
        resolve_mlip(str(folder))
    with pytest.raises(ModelFileError, match="is a directory"):
        resolve_mlip(str(tmp_path) + "/")


def test_unreadable_file_is_refused_naming_it_as_any_user(tmp_path, monkeypatch):
    path = tmp_path / "locked.model"
    shutil.copyfile(MACE_TINY_FILE, path)
    monkeypatch.setattr("insbench.models.files.os.access", lambda p, mode: False)
    with pytest.raises(ModelFileError, match=r"locked\.model.*cannot be read"):
        resolve_mlip(str(path))


def test_missing_file_keeps_its_message(tmp_path):
    with pytest.raises(ModelFileNotFoundError, match="does not exist"):
        resolve_mlip(str(tmp_path / "nope.model"))


def test_a_real_model_file_passes(tmp_path):
    path = tmp_path / "copy.model"
    shutil.copyfile(MACE_TINY_FILE, path)
    assert resolve_mlip(str(path)).path == str(path.resolve())


@pytest.mark.parametrize("typo, meant", [("mace-tny", "mace-tiny"), ("MACE-TINY", "mace-tiny"),
                                         ("SevenNet0", "sevennet-0"), ("chgnett", "chgnet")])
def test_near_miss_names_get_did_you_mean_case_insensitive(tmp_path, typo, meant):
    with pytest.raises(UnknownModelError) as info:
        resolve_mlip(typo, config_dir=tmp_path)
    assert f"Did you mean {meant!r}" in str(info.value)


def test_unknown_name_shows_the_alias_syntax_and_the_add_command(tmp_path):
    with pytest.raises(UnknownModelError) as info:
        resolve_mlip("zzz-nothing-like-it", config_dir=tmp_path)
    message = str(info.value)
    assert "Did you mean" not in message
    assert '[mlips]' in message and 'mace_ft = {kind = "mace", path = "models/ft.model"}' in message
    assert "insbench models add NAME PATH" in message


def test_models_add_writes_an_alias_that_resolves(tmp_path, monkeypatch, capsys):
    (tmp_path / "models").mkdir()
    shutil.copyfile(MACE_TINY_FILE, tmp_path / "models" / "ft.model")
    monkeypatch.chdir(tmp_path)
    assert main(["models", "add", "mace_ft", "models/ft.model"]) == 0
    assert "--mlip=mace_ft" in capsys.readouterr().out
    spec = resolve_mlip("mace_ft", config_dir=tmp_path)
    assert spec.kind == "mace" and Path(spec.path) == (tmp_path / "models" / "ft.model").resolve()
    # a second alias goes into the same [mlips] table, and the file stays valid TOML
    assert main(["models", "add", "mace_ft2", "models/ft.model", "--d3", "--description", 'a "quoted" one']) == 0
    assert resolve_mlip("mace_ft2", config_dir=tmp_path).d3
    assert (tmp_path / "insbench.toml").read_text().count("[mlips]") == 1


def test_models_add_then_pytest_mlip_resolves(pytester):
    (pytester.path / "ft.model").write_bytes(Path(MACE_TINY_FILE).read_bytes())
    assert main(["models", "add", "mace_ft", str(pytester.path / "ft.model"),
                 "--config-dir", str(pytester.path)]) == 0
    pytester.makepyfile(test_x="def test_x(mlip):\n    assert mlip.name == 'mace_ft'\n")
    result = pytester.runpytest_subprocess("test_x.py", "--mlip=mace_ft", "--collect-only", "-q", "-p", "no:cacheprovider")
    assert result.ret == 0, result.stderr.str()
    result.stdout.fnmatch_lines(["*test_x[[]mace_ft[]]*"])


@pytest.mark.parametrize("name, path, words", [
    ("mace-tiny", "ft.model", "already a model name"),
    ("bad name", "ft.model", "not usable"),
    ("mine", "garbage.model", "is not a model file"),
    ("mine", "absent.model", "does not exist"),
])
def test_models_add_refuses_and_leaves_the_config_alone(tmp_path, name, path, words):
    shutil.copyfile(MACE_TINY_FILE, tmp_path / "ft.model")
    (tmp_path / "garbage.model").write_text("synthetic garbage")
    (tmp_path / "insbench.toml").write_text("# mine\n")
    with pytest.raises(ModelError, match=words):
        add_alias(name, tmp_path / path, config_dir=tmp_path)
    assert (tmp_path / "insbench.toml").read_text() == "# mine\n"


def test_bad_model_file_is_a_usage_error_in_pytest(pytester):
    (pytester.path / "x.model").write_text("synthetic garbage, not a model")
    result = pytester.runpytest_subprocess("--mlip=./x.model", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*x.model*is not a model file*"])
    assert "Unpickling" not in result.stderr.str() + result.stdout.str()
