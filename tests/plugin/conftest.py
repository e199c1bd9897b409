"""Shared by the plugin tests: one pytest run of a generated test file with mace-tiny, in a subprocess."""

from __future__ import annotations

import pytest


@pytest.fixture
def run_mace_tiny(pytester, tmp_path):
    """``run(test_file, *extra_args)``: a fresh results folder and cache under ``tmp_path``."""

    def run(test_file: str, *extra_args: str):
        return pytester.runpytest_subprocess(
            *extra_args, "--mlip=mace-tiny", f"--insbench-results={tmp_path / 'results'}",
            f"--insbench-cache-dir={tmp_path / 'cache'}", "-p", "no:cacheprovider", test_file)

    return run
