"""The insbench command line wires subcommands; each exits with a clear code."""

from __future__ import annotations

from insbench.cli import main


def test_help_lists_the_subcommands(capsys):
    assert main([]) == 2
    out = capsys.readouterr().out
    for command in ("run", "models", "reference"):
        assert command in out


def test_models_list_names_the_built_ins(capsys):
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert "sevennet-0" in out and "mace-tiny" in out and "+d3" in out


def test_reference_list_shows_hexane(capsys):
    assert main(["reference", "list"]) == 0
    assert "hexane" in capsys.readouterr().out


def test_run_passes_models_and_pytest_args(monkeypatch):
    seen = []
    monkeypatch.setattr("pytest.main", lambda args: seen.append(args) or 0)
    assert main(["run", "mace-tiny", "sevennet-0", "--", "-k", "hexane"]) == 0
    assert seen == [["--mlip=mace-tiny,sevennet-0", "-k", "hexane"]]
