"""Fixtures for tests of insbench.reference (isolated search path, hexane copies)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from insbench.reference import locate

from .synthetic_data import HEXANE_DIR


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty search path: env root ``tmp/env``, cwd ``tmp/work``, no packaged data.

    Returns ``tmp_path``; fixtures put under ``tmp/env`` or ``tmp/work/reference_data``
    are the only ones visible.
    """
    (tmp_path / "env").mkdir()
    (tmp_path / "work").mkdir()
    monkeypatch.setenv(locate.ENV_VAR, str(tmp_path / "env"))
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setattr(locate, "packaged_root", lambda: None)
    return tmp_path


@pytest.fixture
def copy_hexane() -> Callable[[Path, str], Path]:
    """Copy the shipped hexane fixture to ``root/hexane/<version>`` (manifest version rewritten)."""

    def copy(root: Path, version: str = "1.0.0") -> Path:
        dest = root / "hexane" / version
        shutil.copytree(HEXANE_DIR, dest)
        manifest = json.loads((dest / "manifest.json").read_text())
        manifest["version"] = version
        (dest / "manifest.json").write_text(json.dumps(manifest, indent=2))
        return dest

    return copy


@pytest.fixture
def hexane_manifest() -> dict[str, Any]:
    """The shipped hexane manifest, decoded (a fresh copy per test)."""
    return json.loads((HEXANE_DIR / "manifest.json").read_text())
