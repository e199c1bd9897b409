"""Fixtures for tests of insbench.results: copies of SYNTHETIC result records
(made by :mod:`results_synthetic`; model names start with ``synthetic-``)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .results_synthetic import SYNTHETIC_MODELS, write_synthetic


@pytest.fixture(scope="session")
def synthetic_results_master(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("synthetic-results")
    for name, stretch in SYNTHETIC_MODELS.items():
        write_synthetic(root, name, stretch)
    return root


@pytest.fixture
def synthetic_results(synthetic_results_master, tmp_path) -> Path:
    """A fresh copy of two SYNTHETIC models' records (safe to modify)."""
    target = tmp_path / "results"
    shutil.copytree(synthetic_results_master, target)
    return target
