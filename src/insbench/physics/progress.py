"""A tiny progress-callback protocol shared by the long physics stages."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Called as ``progress(stage, done, total, detail)``; total may be 0 if unknown."""

    def __call__(self, stage: str, done: int, total: int, detail: str = "") -> None: ...


def silent(stage: str, done: int, total: int, detail: str = "") -> None:
    """A progress callback that reports nothing."""
