"""models/spec.py is a leaf: it imports nothing of insbench but the error types (no cycle back)."""

from __future__ import annotations

import ast
from pathlib import Path

import insbench.models.errors
import insbench.models.spec


def _insbench_imports(module) -> set[str]:
    tree = ast.parse(Path(module.__file__).read_text())
    found = set()
    for node in ast.walk(tree):  # function-level imports count too
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("insbench"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("insbench"))
    return found


def test_spec_imports_only_the_error_types():
    assert _insbench_imports(insbench.models.spec) == {"insbench.models.errors"}
    assert _insbench_imports(insbench.models.errors) == set()


def test_spec_has_no_loading_methods():
    spec = insbench.models.spec.MLIPSpec
    assert not hasattr(spec, "make_calculator") and not hasattr(spec, "identity")
