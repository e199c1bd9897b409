"""Tests of `insbench reference list|verify|import` through plain argparse."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from insbench.reference.cli import register

from .synthetic_data import HEXANE_DIR, isis_text, synthetic_arrays


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="insbench")
    register(parser.add_subparsers(dest="command"))
    return parser.parse_args(["reference", *argv])


def _run(*argv: str) -> tuple[int, str]:
    args = _parse(*argv)
    out = io.StringIO()
    return args.func(args, out), out.getvalue()


def test_register_returns_the_reference_parser() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    assert register(sub).prog.endswith("reference")


def test_reference_needs_a_subcommand(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _parse()
    assert "list,verify,import" in capsys.readouterr().err


def test_list_prints_a_table(isolated: Path, copy_hexane) -> None:
    copy_hexane(isolated / "env")
    code, out = _run("list")
    header, row = out.splitlines()
    assert header.split() == ["system", "version", "kinds", "location"]
    assert row.split()[:3] == ["hexane", "1.0.0", "measured"]
    assert "[INSBENCH_REFERENCE_PATH]" in row and code == 0


def test_list_empty_and_invalid(isolated: Path, copy_hexane) -> None:
    assert "no reference fixtures" in _run("list")[1]
    dest = copy_hexane(isolated / "env")
    manifest = json.loads((dest / "manifest.json").read_text())
    del manifest["formula"]
    (dest / "manifest.json").write_text(json.dumps(manifest))
    code, out = _run("list")
    assert code == 1 and "INVALID" in out and "'formula'" in out


def test_verify_passes_and_fails(isolated: Path, copy_hexane) -> None:
    dest = copy_hexane(isolated / "env")
    code, out = _run("verify")
    assert code == 0 and out.startswith("ok   hexane 1.0.0 (2 files)")
    (dest / "geometry.in").write_text("edited\n")
    code, out = _run("verify", "hexane")
    assert code == 1 and "FAIL hexane" in out and "sha256" in out


def test_verify_unknown_system(isolated: Path) -> None:
    code, out = _run("verify", "nothing")
    assert code == 1 and "no reference fixture 'nothing'" in out


def test_spectrum_argument_parsing() -> None:
    args = _parse("import", "x", "--version", "1.0.0", "--instrument", "TOSCA", "--citation", "c",
                  "--licence", "l", "--spectrum", "a.dat", "--spectrum", "b@home.dat@1.5",
                  "--spectrum", "c.dat@-0.2")
    assert args.spectrum == [(Path("a.dat"), 0.0), (Path("b@home.dat"), 1.5), (Path("c.dat"), -0.2)]
    assert args.cell_measured is None


@pytest.mark.parametrize("bad", [["--spectrum", "a.dat@high"], ["--resolution", "TOSCA:book"],
                                 ["--settings", "[1]"], ["--settings", "{bad"],
                                 ["--cell-measured", "--cell-predicted"]])
def test_bad_import_arguments_exit(bad: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _parse("import", "x", "--version", "1.0.0", "--instrument", "T", "--citation", "c", "--licence", "l", *bad)


def test_import_through_cli(tmp_path: Path) -> None:
    x, y, e = synthetic_arrays()
    spectrum = tmp_path / "synthetic_0gpa.dat"
    spectrum.write_text(isis_text(x, y, e))
    dest = tmp_path / "rd"
    code, out = _run(
        "import", "synthetic", "--version", "0.1.0", "--spectrum", f"{spectrum}@0.5",
        "--structure", str(HEXANE_DIR / "geometry.in"), "--cell-measured", "--kind", "measured",
        "--instrument", "TOSCA", "--temperature-k", "10", "--citation", "synthetic test data",
        "--doi", "10.0000/synthetic", "--commit", "abcdef1", "--licence", "CC0",
        "--formula", "C6H14", "--resolution", "TOSCA:TOSCA:AbINS", "--dest", str(dest),
    )
    assert code == 0 and "imported synthetic 0.1.0" in out
    manifest = json.loads((dest / "synthetic" / "0.1.0" / "manifest.json").read_text())
    assert manifest["conditions"]["pressures_gpa"] == [0.5]
    assert manifest["conditions"]["resolution"]["model"] == "AbINS"
    assert manifest["artefacts"][0]["source"]["doi"] == "10.0000/synthetic"
    assert manifest["artefacts"][1]["cell_is_measured"] is True

    code, _ = _run("import", "synthetic", "--version", "0.1.0", "--spectrum", str(spectrum),
                   "--instrument", "TOSCA", "--temperature-k", "10", "--citation", "c", "--licence", "l",
                   "--formula", "C6H14", "--resolution", "TOSCA:TOSCA:AbINS", "--dest", str(dest))
    assert code == 2  # exists


def test_import_computed_through_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    x, y, e = synthetic_arrays()
    spectrum = tmp_path / "synthetic.dat"
    spectrum.write_text(isis_text(x, y, e))
    common = ["import", "synthetic", "--version", "0.1.0", "--spectrum", str(spectrum), "--kind", "computed",
              "--instrument", "TOSCA", "--citation", "c", "--licence", "l", "--formula", "C6H14",
              "--resolution", "TOSCA:TOSCA:AbINS", "--dest", str(tmp_path / "rd"),
              "--temperature-k", "5"]
    code, _ = _run(*common)
    assert code == 2
    err = capsys.readouterr().err
    assert "method" in err and "insbench reference import:" in err
    code, _ = _run(*common, "--method", "synthetic", "--settings", '{"mesh": [1, 1, 1]}')
    assert code == 0


def test_import_refuses_a_resolution_model_resins_cannot_evaluate(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Before: "TOSCA:TOSCA:book" was suggested and imported, then failed mid-benchmark."""
    x, y, e = synthetic_arrays()
    spectrum = tmp_path / "synthetic.dat"
    spectrum.write_text(isis_text(x, y, e))
    code, _ = _run("import", "synthetic", "--version", "0.1.0", "--spectrum", str(spectrum),
                   "--instrument", "TOSCA", "--temperature-k", "10", "--citation", "c", "--licence", "l",
                   "--formula", "C6H14", "--resolution", "TOSCA:TOSCA:book", "--dest", str(tmp_path / "rd"))
    assert code == 2
    err = capsys.readouterr().err
    assert "TOSCA:TOSCA:book" in err and "cannot be evaluated by resins" in err
    assert "--resolution TOSCA:TOSCA:AbINS" in err
    assert not (tmp_path / "rd" / "synthetic").exists()
    code, _ = _run("import", "synthetic", "--version", "0.1.0", "--spectrum", str(spectrum),
                   "--instrument", "TOSCA", "--temperature-k", "10", "--citation", "c", "--licence", "l",
                   "--formula", "C6H14", "--dest", str(tmp_path / "rd"))
    assert code == 2 and "--resolution TOSCA:TOSCA:AbINS" in capsys.readouterr().err  # the suggestion works
