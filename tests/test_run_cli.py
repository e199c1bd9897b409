"""``insbench run``: --mlip, shared --insbench-* options, and the Dask entry's refusals."""

from __future__ import annotations

import pytest

from insbench.cli import main


@pytest.fixture
def pytest_args(monkeypatch):
    seen: list[list[str]] = []
    monkeypatch.setattr("pytest.main", lambda args: seen.append(args) or 0)
    return seen


def test_mlip_option_and_shared_options_reach_pytest(pytest_args):
    assert main(["run", "--mlip", "mace-tiny,chgnet", "--mlip", "sevennet-0", "--insbench-device", "cpu",
                 "--insbench-level", "smoke", "--", "-n", "2"]) == 0
    assert pytest_args == [["--mlip=mace-tiny,chgnet,sevennet-0", "--insbench-level=smoke",
                            "--insbench-device=cpu", "-n", "2"]]


def test_no_model_is_a_usage_error(pytest_args, capsys):
    assert main(["run"]) == 2
    assert "name at least one model" in capsys.readouterr().out and not pytest_args


def test_dask_refuses_pytest_arguments(capsys):
    assert main(["run", "--mlip", "mace-tiny", "--dask-scheduler", "tcp://nowhere:1", "--", "-k", "x"]) == 2
    assert "do not apply to a Dask run" in capsys.readouterr().out


def test_dask_cluster_file_is_checked_before_anything_runs(tmp_path, capsys):
    spec = tmp_path / "cluster.yaml"
    spec.write_text("kind: slurm\nqueue: short\n")  # queue belongs under options
    code = main(["run", "--mlip", "mace-tiny", "--dask-cluster", str(spec),
                 "--insbench-results", str(tmp_path / "r")])
    out = capsys.readouterr().out
    assert code == 2 and "queue" in out and "docs/distributed.md" in out


def test_scheduler_and_cluster_are_exclusive(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--mlip", "mace-tiny", "--dask-scheduler", "tcp://x:1", "--dask-cluster", "c.yaml"])


def test_unknown_model_is_reported(capsys):
    assert main(["run", "--mlip", "no-such-model", "--dask-scheduler", "tcp://x:1"]) == 2
    assert "no-such-model" in capsys.readouterr().out


def test_unreachable_scheduler_is_reported(capsys, monkeypatch, tmp_path):
    import distributed

    def refuse(*_args, **_kwargs):
        raise OSError("Timed out trying to connect to tcp://x:1 after 1 s")

    monkeypatch.setattr(distributed, "Client", refuse)
    assert main(["run", "--mlip", "mace-tiny", "--dask-scheduler", "tcp://x:1",
                 "--insbench-results", str(tmp_path / "r")]) == 2
    assert "cannot reach the Dask scheduler tcp://x:1" in capsys.readouterr().out
