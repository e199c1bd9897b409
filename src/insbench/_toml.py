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


def validate_declarative(model: Any, data: Any, source: str, error: type[Exception]) -> Any:
    """``model.model_validate(data)`` (a pydantic v2 model), or ``error`` with one line per problem.

    Each line names the key path in ``source`` and what is wrong; an unknown key (models
    forbid extras) suggests the closest allowed key ("did you mean ...?").
    """
    import difflib

    from pydantic import BaseModel, ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = []
        for problem in exc.errors(include_url=False):
            path = ".".join(str(p) for p in problem["loc"]) or "(top level)"
            message = problem["msg"]
            if problem["type"] == "extra_forbidden":
                parent = model
                for part in problem["loc"][:-1]:  # walk to the table holding the unknown key
                    field = getattr(parent, "model_fields", {}).get(str(part))
                    annotation = field.annotation if field is not None else None
                    args = getattr(annotation, "__args__", ()) or ()
                    nested = [a for a in (annotation, *args) if isinstance(a, type) and issubclass(a, BaseModel)]
                    parent = nested[-1] if nested else parent
                allowed = sorted(getattr(parent, "model_fields", {}))
                close = difflib.get_close_matches(str(problem["loc"][-1]), allowed, n=1)
                message = "unknown key" + (f"; did you mean {close[0]!r}?" if close else
                                           f"; allowed: {', '.join(allowed)}")
            lines.append(f"  {path}: {message}")
        raise error(f"{source}: {len(lines)} problem(s):\n" + "\n".join(lines)) from None
