"""The layers of src/insbench, checked by walking every module's imports with ast.

reference -> physics -> metrics -> results, with workflows/ (orchestration) above them:
physics never imports metrics, results or workflows; metrics never imports results or
workflows and never runs a calculator; results never imports physics or workflows;
reference imports none of physics, metrics, results, workflows; models/ has no import
cycle and models/spec.py is a leaf; plugin.py and the CLI modules only wire (they import
the public API of workflows, results, models and reference, and no science library).

Every import counts, also one inside a function (a lazy import is still a dependency);
only imports under ``if TYPE_CHECKING:`` are left out.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

import insbench

ROOT = Path(insbench.__file__).parent
LEAVES = ("insbench.units", "insbench.spectra", "insbench._io", "insbench.environment", "insbench._toml",
          "insbench._paths")
#: modules that run a calculator (relaxation, finite displacements, MD) or build one
CALCULATOR_MODULES = ("insbench.models", "insbench.physics.relax", "insbench.physics.phonons", "insbench.physics.md",
                      "ase.calculators", "ase.optimize", "ase.md", "mace", "sevenn", "chgnet", "tblite", "dftd3",
                      "torch")
WIRING = ("insbench.plugin", "insbench.plugin_gate", "insbench.cli", "insbench.run_cli", "insbench.verify_cli")
WIRING_MAY_IMPORT = ("insbench.workflows", "insbench.results", "insbench.models", "insbench.reference")
SCIENCE_LIBRARIES = ("numpy", "scipy", "ase", "phonopy", "spglib", "euphonic", "abinslib", "resins", "torch",
                     "xarray", "matplotlib")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _type_checking_block(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _walk(node: ast.AST):
    for child in ast.iter_child_nodes(node):
        if _type_checking_block(child):
            continue
        yield child
        yield from _walk(child)


@cache
def imports_of(name: str) -> tuple[tuple[str, tuple[str, ...], int], ...]:
    """(imported module, names taken from it, line) for every import of module ``name``."""
    path = modules()[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in _walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, (), node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names = tuple(alias.name for alias in node.names)
            found.append((base, names, node.lineno))
            # "from insbench import _io" imports the module insbench._io
            found += [(f"{base}.{n}", (), node.lineno) for n in names if f"{base}.{n}" in modules()]
    return tuple(found)


def _under(module: str, prefixes) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def violations(importer_prefixes, forbidden_prefixes) -> list[str]:
    out = []
    for name in modules():
        if not _under(name, importer_prefixes):
            continue
        for target, _names, line in imports_of(name):
            if _under(target, forbidden_prefixes):
                out.append(f"{modules()[name].relative_to(ROOT.parent)}:{line} imports {target}")
    return out


@pytest.mark.parametrize("importers, forbidden", [
    (("insbench.physics",), ("insbench.metrics", "insbench.results", "insbench.workflows")),
    (("insbench.metrics",), ("insbench.results", "insbench.workflows") + CALCULATOR_MODULES),
    (("insbench.results",), ("insbench.physics", "insbench.workflows")),
    (("insbench.reference",), ("insbench.physics", "insbench.metrics", "insbench.results", "insbench.workflows")),
    (LEAVES, ("insbench",)),
], ids=["physics", "metrics", "results", "reference", "leaves"])
def test_layer_imports_only_downwards(importers, forbidden):
    importers_found = [m for m in modules() if _under(m, importers)]
    assert importers_found, f"no module under {importers}: the test would check nothing"
    assert violations(importers, forbidden) == []


def test_models_spec_is_a_leaf():
    """spec.py imports only modules that import nothing of insbench (e.g. models/errors.py)."""
    ours = [t for t, _n, _l in imports_of("insbench.models.spec") if _under(t, ("insbench",))]
    assert ours, "spec.py imports nothing of insbench: drop this exception list"
    not_leaves = {t: [u for u, _n, _l in imports_of(t) if _under(u, ("insbench",))] for t in ours if t in modules()}
    assert {t: u for t, u in not_leaves.items() if u} == {}
    assert all(t in modules() for t in ours), ours


def test_models_has_no_import_cycle():
    graph = {
        name: {t for t, _n, _l in imports_of(name) if _under(t, ("insbench.models",)) and t in modules() and t != name}
        for name in modules() if _under(name, ("insbench.models",))
    }
    state: dict[str, int] = {}  # 1 visiting, 2 done
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(trail[trail.index(nxt):] + [nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    assert [" -> ".join(c) for c in cycles] == []


@pytest.mark.parametrize("module", WIRING)
def test_plugin_and_cli_only_wire(module):
    if module not in modules():
        pytest.fail(f"{module} is listed as wiring but does not exist; update WIRING")
    problems = []
    for target, names, line in imports_of(module):
        if _under(target, SCIENCE_LIBRARIES):
            problems.append(f"line {line}: science library {target}")
        elif _under(target, ("insbench",)) and target != "insbench" and target not in WIRING:
            if not _under(target, WIRING_MAY_IMPORT):
                problems.append(f"line {line}: {target} (wiring imports only {', '.join(WIRING_MAY_IMPORT)})")
            private = [p for p in target.split(".") + list(names) if p.startswith("_") and p != "__future__"]
            if private:
                problems.append(f"line {line}: private {target} {names}")
    assert problems == []


def test_the_checker_catches_a_violation(tmp_path, monkeypatch):
    """The walker finds imports at module level, in functions and relative ones, and skips TYPE_CHECKING."""
    fake = ROOT / "physics" / "ins.py"
    source = ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from insbench.results import x\n"
              "def f():\n    from ..metrics import scoring\n    import insbench.workflows.session\n")
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: source if self == fake else _read(self))
    imports_of.cache_clear()
    try:
        found = [(t, line) for t, _n, line in imports_of("insbench.physics.ins")]
    finally:
        imports_of.cache_clear()
    assert ("insbench.metrics.scoring", 5) in found and ("insbench.workflows.session", 6) in found
    assert all(t != "insbench.results" for t, _ in found)


_read = Path.read_text
