"""The content-hash cache: keys, reuse, atomicity, concurrency, interruption."""

from __future__ import annotations

import json
import multiprocessing
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from insbench.workflows.cache import Cache, atoms_fingerprint, canonical_json, content_key
from tests.physics.toy import argon_fcc

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_key_ignores_key_order(inputs):
    reordered = dict(reversed(list(inputs.items())))
    assert content_key(inputs) == content_key(reordered)
    json.loads(canonical_json(inputs))  # always valid JSON


def test_key_changes_with_any_input():
    base = {"model": {"sha256": "a"}, "settings": {"fmax": 0.002}}
    assert content_key(base) != content_key({**base, "settings": {"fmax": 0.001}})
    assert content_key(base) != content_key({**base, "model": {"sha256": "b"}})


def test_structure_fingerprint_sees_a_moved_atom():
    atoms = argon_fcc()
    moved = atoms.copy()
    moved.positions[0, 0] += 1e-6
    assert content_key(atoms_fingerprint(atoms)) != content_key(atoms_fingerprint(moved))


def test_entry_is_built_once_then_reused(tmp_path):
    cache = Cache(tmp_path)
    calls = []

    def build(out: Path, work: Path):
        calls.append(1)
        (out / "x.txt").write_text("42")
        return {"note": "built"}

    first = cache.get_or_create("stage", {"a": 1}, build)
    second = cache.get_or_create("stage", {"a": 1}, build)
    assert calls == [1]
    assert not first.reused and second.reused
    assert (second.path / "x.txt").read_text() == "42"
    assert second.meta["note"] == "built" and second.meta["inputs"] == {"a": 1}


def test_failed_build_leaves_no_entry_but_keeps_checkpoints(tmp_path):
    cache = Cache(tmp_path)

    def failing(out: Path, work: Path):
        (work / "checkpoint.npy").write_text("partial")
        (out / "half.txt").write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cache.get_or_create("stage", {"a": 2}, failing)
    assert cache.lookup("stage", {"a": 2}) is None
    seen = []

    def resuming(out: Path, work: Path):
        seen.append((work / "checkpoint.npy").read_text())
        (out / "done.txt").write_text("ok")

    hit = cache.get_or_create("stage", {"a": 2}, resuming)
    assert seen == ["partial"]
    assert not (cache.root / "stage" / ".work" / content_key({"a": 2})).exists()
    assert (hit.path / "done.txt").is_file()


def test_disabled_cache_always_builds(tmp_path):
    cache = Cache(tmp_path, enabled=False)
    calls = []
    for _ in range(2):
        cache.get_or_create("stage", {"a": 3}, lambda out, work: calls.append(1))
    assert len(calls) == 2 and not any(tmp_path.iterdir())


def _worker(root: str, counter: str) -> None:
    def build(out: Path, work: Path):
        with open(counter, "a") as handle:
            handle.write("x")
        time.sleep(0.5)
        np.save(out / "value.npy", np.arange(3))

    Cache(root).get_or_create("shared", {"k": 1}, build)


def test_concurrent_workers_build_once(tmp_path):
    counter = tmp_path / "counter.txt"
    processes = [
        multiprocessing.get_context("spawn").Process(target=_worker, args=(str(tmp_path / "c"), str(counter)))
        for _ in range(3)
    ]
    for p in processes:
        p.start()
    for p in processes:
        p.join(60)
    assert all(p.exitcode == 0 for p in processes)
    assert counter.read_text() == "x"
