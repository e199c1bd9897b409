"""Read a declarative TOML file: the one shipped with insbench, or the user's own."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any


def read_declarative_toml(packaged_name: str, path: str | Path | None,
                          error: type[Exception]) -> tuple[dict[str, Any], str]:
    """``(data, source)`` of ``path``, or of ``insbench/<packaged_name>`` when path is None.

    Invalid TOML raises ``error`` naming the file, so each loader keeps its own error type.
    """
    if path is None:
        text = resources.files("insbench").joinpath(packaged_name).read_text(encoding="utf-8")
        source = f"insbench/{packaged_name} (packaged)"
    else:
        text, source = Path(path).read_text(encoding="utf-8"), str(path)
    try:
        return tomllib.loads(text), source
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{source}: not valid TOML: {exc}") from exc
