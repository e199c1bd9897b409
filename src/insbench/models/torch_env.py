"""The one place insbench lets torch unpickle model checkpoints.

MACE and SevenNet checkpoints are pickled Python objects; torch >= 2.6 refuses them
(``weights_only=True`` by default) unless TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1. ``import
mace`` happens to set it, but insbench never relies on import order: every code path that
loads a checkpoint calls :func:`allow_pickled_checkpoints` first. Only load model files you
trust.
"""

from __future__ import annotations

import os


def allow_pickled_checkpoints() -> None:
    os.environ.setdefault("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
