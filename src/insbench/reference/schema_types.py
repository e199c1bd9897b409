"""Field types of the manifest schema: pydantic annotated types whose messages say what is wrong.

Each raises ``ValueError`` with the message users see (e.g. "must be a finite number, got
nan"); :class:`_Problem` carries the field a cross-field rule is about.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BeforeValidator

ROLES = ("spectrum", "structure", "peaks", "claims", "other")
KINDS = ("measured", "computed", "predicted", "cited")


class _Problem(ValueError):
    """A rule broken at ``field`` (relative to the object being validated)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


# ---------------------------------------------------------------- field types (messages as before)
def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"must be a non-empty string, got {value!r}")
    return value


def _opt_text(value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ValueError(f"must be a non-empty string or null, got {value!r}")
    return value


def _number(value: Any, nullable: bool = False) -> float | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"must be a finite number{' or null' if nullable else ''}, got {value!r}")
    return float(value)


def _window(value: Any) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) != 2:
        raise ValueError(f"must be a list [lo, hi] of two numbers, got {value!r}")
    lo, hi = (_number(v) for v in value)
    if not lo < hi:  # type: ignore[operator]
        raise ValueError(f"needs lo < hi, got [{lo}, {hi}]")
    return lo, hi  # type: ignore[return-value]


def _one_of(allowed: tuple[str, ...]):
    def check(value: Any) -> str:
        if value not in allowed:
            raise ValueError(f"is {value!r}; must be one of {', '.join(allowed)}")
        return value
    return check


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, got {value!r}")
    return value


def _object(value: Any) -> Any:
    if not isinstance(value, Mapping):
        raise ValueError(f"must be a JSON object, got {type(value).__name__}")
    return value


Text = Annotated[str, BeforeValidator(_text)]
OptText = Annotated[str | None, BeforeValidator(_opt_text)]
Number = Annotated[float, BeforeValidator(_number)]
OptNumber = Annotated[float | None, BeforeValidator(lambda v: _number(v, nullable=True))]
Window = Annotated[tuple[float, float], BeforeValidator(_window)]
Role = Annotated[str, BeforeValidator(_one_of(ROLES))]
Kind = Annotated[str, BeforeValidator(_one_of(KINDS))]
