"""The content-hash cache: keys, reuse, atomicity, concurrency, interruption, verification,
code fingerprints, read-only use and the cleaning of what killed runs leave behind."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import stat
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from insbench.workflows.cache import (
    NOT_FINGERPRINTED,
    STAGE_CODE,
    Cache,
    CacheCorruptionWarning,
    CacheError,
    atoms_fingerprint,
    canonical_json,
    code_fingerprint,
    content_key,
    module_file,
    stage_modules,
)
from tests.physics.toy import argon_fcc

TEST_STAGES = {"stage": ("test",), "shared": ("test",)}

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
    cache = Cache(tmp_path, stage_code=TEST_STAGES)
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
    cache = Cache(tmp_path, stage_code=TEST_STAGES)

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
    assert not (cache.root / "stage" / ".work" / cache.key("stage", {"a": 2})).exists()
    assert (hit.path / "done.txt").is_file()


def test_disabled_cache_always_builds(tmp_path):
    cache = Cache(tmp_path, enabled=False, stage_code=TEST_STAGES)
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

    Cache(root, stage_code=TEST_STAGES).get_or_create("shared", {"k": 1}, build)


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


def test_unknown_stage_is_refused_with_the_fix(tmp_path):
    with pytest.raises(CacheError, match="STAGE_CODE"):
        Cache(tmp_path).get_or_create("no-such-stage", {"a": 1}, lambda out, work: None)


# ---------------------------------------------------------------- verification on read
def _build_text(calls: list, text: str = "42"):
    def build(out: Path, work: Path):
        calls.append(1)
        (out / "x.txt").write_text(text)
        (out / "sub").mkdir()
        (out / "sub" / "y.npy").write_bytes(b"\x93NUMPY")
        return {"note": "built"}

    return build


@pytest.mark.parametrize("tamper, problem", [
    (lambda entry: (entry / "x.txt").write_text("41"), "x.txt: sha256 differs"),
    (lambda entry: (entry / "sub" / "y.npy").unlink(), "sub/y.npy: missing"),
    (lambda entry: (entry / "extra.txt").write_text("planted"), "extra.txt: not in sha256sums.json"),
    (lambda entry: (entry / "meta.json").write_text(
        (entry / "meta.json").read_text().replace('"note": "built"', '"note": "edited"')),
     "meta.json: sha256 differs"),
    (lambda entry: (entry / "sha256sums.json").unlink(), "unreadable sha256sums.json"),
])
def test_tampered_entry_is_recomputed_reported_and_never_used(tmp_path, tamper, problem):
    cache = Cache(tmp_path, stage_code=TEST_STAGES)
    calls: list = []
    first = cache.get_or_create("stage", {"a": 1}, _build_text(calls))
    tamper(first.path)
    with pytest.warns(CacheCorruptionWarning, match="failed verification and is not used"):
        assert cache.lookup("stage", {"a": 1}) is None
    with pytest.warns(CacheCorruptionWarning, match=problem.split(":")[0]):
        again = cache.get_or_create("stage", {"a": 1}, _build_text(calls))
    assert calls == [1, 1] and not again.reused
    assert (again.path / "x.txt").read_text() == "42"
    recorded = again.meta["recomputed_after_corruption"]["problems"]
    assert any(problem in p for p in recorded), recorded
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the rebuilt entry verifies: no warning, reused
        assert cache.get_or_create("stage", {"a": 1}, _build_text(calls)).reused
    assert not list(first.path.parent.glob(".tmp-*"))


def test_entry_moved_under_another_key_is_not_used(tmp_path):
    cache = Cache(tmp_path, stage_code=TEST_STAGES)
    calls: list = []
    a = cache.get_or_create("stage", {"a": 1}, _build_text(calls, "for a"))
    b_dir = cache.entry_dir("stage", cache.key("stage", {"a": 2}))
    b_dir.parent.mkdir(parents=True, exist_ok=True)
    os.rename(a.path, b_dir)  # an entry copied into the wrong place
    with pytest.warns(CacheCorruptionWarning, match="is not the entry's key"):
        b = cache.get_or_create("stage", {"a": 2}, _build_text(calls, "for b"))
    assert (b.path / "x.txt").read_text() == "for b"


# ---------------------------------------------------------------- code fingerprint
def test_fingerprints_cover_what_each_stage_imports():
    assert {"insbench.physics.relax", "insbench.units", "insbench._io"} <= set(stage_modules("relax"))
    assert {"insbench.physics.ins", "insbench.physics.multiphonon", "insbench.spectra"} <= set(
        stage_modules("spectrum"))
    assert "insbench.physics.phonons" in stage_modules("md")
    for stage in STAGE_CODE:
        assert not set(stage_modules(stage)) & set(NOT_FINGERPRINTED)
        # glue is never part of it, so moving workflow files keeps every key
        assert not any(m.startswith(("insbench.workflows", "insbench.results", "insbench.metrics"))
                       for m in stage_modules(stage))


@pytest.mark.parametrize("stage, module", [(s, m) for s in sorted(STAGE_CODE) for m in stage_modules(s)])
def test_a_code_change_changes_the_stage_key_a_comment_does_not(tmp_path, monkeypatch, stage, module):
    """Fails if the code of any module a stage runs can change without its cache key changing."""
    cache = Cache(tmp_path)
    inputs = {"settings": {"x": 1}}
    before = cache.key(stage, inputs)
    source = module_file(module).read_text()
    variants = {
        "comment": source + "\n# a comment\n",
        "docstring": source.replace('"""', '""" Reworded.', 1) if source.lstrip().startswith('"""') else source,
        "code": source + "\n\ndef _changed():\n    return 1\n",
        "new import": source + "\nimport insbench.spectra as _new\n",
    }
    keys = {}
    real = module_file
    for label, text in variants.items():
        copy = tmp_path / f"{label.replace(' ', '_')}.py"
        copy.write_text(text)
        monkeypatch.setattr("insbench.workflows.cache.module_file",
                            lambda name, _copy=copy: _copy if name == module else real(name))
        keys[label] = cache.key(stage, inputs)
        monkeypatch.undo()
    assert keys["comment"] == before and keys["docstring"] == before
    assert keys["code"] != before
    assert keys["new import"] != before
    assert code_fingerprint(stage) == code_fingerprint(stage)  # stable across calls


# ---------------------------------------------------------------- read-only cache
def _read_only_reader(root: str, result: str) -> None:
    if os.geteuid() == 0:  # root ignores permissions: read as nobody, as a user would
        os.setgid(65534)
        os.setuid(65534)

    def must_not_build(out: Path, work: Path):
        raise AssertionError("a complete cache must not be rebuilt")

    try:
        hit = Cache(root, stage_code=TEST_STAGES).get_or_create("stage", {"a": 1}, must_not_build)
        Path(result).write_text(f"ok {hit.reused} {(hit.path / 'x.txt').read_text()}")
    except BaseException as error:  # noqa: BLE001 - reported to the parent
        Path(result).write_text(f"error {type(error).__name__}: {error}")


def test_complete_read_only_cache_is_used_without_locks():
    base = Path(tempfile.mkdtemp(prefix="insbench-ro-"))
    try:
        os.chmod(base, 0o777)
        root = base / "cache"
        Cache(root, stage_code=TEST_STAGES).get_or_create("stage", {"a": 1}, _build_text([]))
        for path in [root, *root.rglob("*")]:
            path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) | 0o555
                       if path.is_dir() else 0o444)
        locks_before = sorted(root.rglob("*.lock"))
        result = base / "result.txt"
        child = multiprocessing.get_context("fork").Process(target=_read_only_reader,
                                                             args=(str(root), str(result)))
        child.start()
        child.join(60)
        assert result.read_text() == "ok True 42"
        assert sorted(root.rglob("*.lock")) == locks_before
        # a missing entry in a read-only cache: a clear error, not a traceback from the lock
        probe = base / "probe.txt"
        child = multiprocessing.get_context("fork").Process(target=_missing_in_read_only, args=(str(root), str(probe)))
        child.start()
        child.join(60)
        assert "not writable" in probe.read_text() and "--insbench-cache-dir" in probe.read_text()
    finally:
        for path in [base, *base.rglob("*")]:
            path.chmod(0o755 if path.is_dir() else 0o644)
        import shutil

        shutil.rmtree(base)


def _missing_in_read_only(root: str, result: str) -> None:
    if os.geteuid() == 0:
        os.setgid(65534)
        os.setuid(65534)
    try:
        Cache(root, stage_code=TEST_STAGES).get_or_create("stage", {"a": 99}, _build_text([]))
        Path(result).write_text("built")
    except CacheError as error:
        Path(result).write_text(str(error))


# ---------------------------------------------------------------- leftovers of killed runs
def _slow_builder(root: str, key_value: int, marker: str) -> None:
    def build(out: Path, work: Path):
        (work / "checkpoint.txt").write_text("partial")
        (out / "half.txt").write_text("half")
        Path(marker).write_text("started")
        time.sleep(120)

    Cache(root, stage_code=TEST_STAGES).get_or_create("stage", {"a": key_value}, build)


def _start_builder(root: Path, key_value: int, marker: Path):
    child = multiprocessing.get_context("spawn").Process(target=_slow_builder,
                                                         args=(str(root), key_value, str(marker)))
    child.start()
    deadline = time.time() + 60
    while not marker.exists() and time.time() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "builder did not start"
    return child


def test_sigkilled_build_leftovers_are_cleaned_live_ones_kept(tmp_path):
    root = tmp_path / "c"
    killed = _start_builder(root, 1, tmp_path / "m1")
    os.kill(killed.pid, signal.SIGKILL)
    killed.join(10)
    assert killed.exitcode == -signal.SIGKILL
    assert len(list(root.glob("stage/*/.tmp-*"))) == 1  # what SIGKILL leaves behind
    live = _start_builder(root, 2, tmp_path / "m2")
    try:
        cache = Cache(root, stage_code=TEST_STAGES, stale_after_s=0.0)
        hit = cache.get_or_create("stage", {"a": 3}, _build_text([]))  # another key: sweeps
        left = list(root.glob("stage/*/.tmp-*"))
        live_key = cache.key("stage", {"a": 2})
        assert [p.name.split("-")[1] for p in left] == [live_key], "only the live build's folder stays"
        assert (hit.path / "x.txt").is_file()
    finally:
        os.kill(live.pid, signal.SIGKILL)
        live.join(10)
    # the killed key's checkpoint is kept for a resume (young), then the resume cleans up
    killed_key = cache.key("stage", {"a": 1})
    assert (root / "stage" / ".work" / killed_key / "checkpoint.txt").read_text() == "partial"
    seen = []
    Cache(root, stage_code=TEST_STAGES).get_or_create(
        "stage", {"a": 1}, lambda out, work: seen.append((work / "checkpoint.txt").read_text()))
    assert seen == ["partial"]
    # old unfinished work of a dead run goes once it is older than work_max_age_s
    Cache(root, stage_code=TEST_STAGES, work_max_age_s=0.0, stale_after_s=0.0).sweep("stage")
    assert not (root / "stage" / ".work" / live_key).exists()
    assert not list(root.glob("stage/*/.tmp-*"))


def test_relax_stage_resumes_from_its_checkpoint_after_an_interrupt(tmp_path):
    """The pipeline's relax stage keeps its checkpoint in the entry's work dir (synthetic LJ argon)."""
    from ase.build import bulk

    from insbench.models.spec import MLIPSpec
    from insbench.physics.relax import RelaxSettings
    from insbench.workflows.pipeline import ModelHandle, relax_stage
    from tests.physics.test_relax_checkpoint import _Interrupting
    from tests.physics.toy import argon_lj

    def model(factory):
        return ModelHandle(MLIPSpec(name="lj-argon-synthetic", kind="plugin", factory=factory, elements=("Ar",)))

    atoms = bulk("Ar", "fcc", a=5.6, cubic=True)
    atoms.rattle(0.05, seed=3)
    settings = RelaxSettings(keep_symmetry=False, fmax_ev_a=1e-4, cell_mode="measured-cell")  # fast: no cell filter
    whole, whole_record = relax_stage(model(argon_lj), atoms, settings, Cache(tmp_path / "a"))
    cache = Cache(tmp_path / "b")
    with pytest.raises(KeyboardInterrupt):
        relax_stage(model(lambda: _Interrupting(argon_lj(), 8)), atoms, settings, cache)
    assert list((tmp_path / "b" / "relax" / ".work").glob("*/relax.npz"))
    resumed, record = relax_stage(model(argon_lj), atoms, settings, cache)
    assert record.summary["resumed_from_step"] > 0 and not record.reused
    assert record.summary["n_steps"] == whole_record.summary["n_steps"]
    assert np.allclose(resumed.positions, whole.positions, atol=1e-8)
    assert not (tmp_path / "b" / "relax" / ".work" / record.cache_key).exists()


def test_stage_code_is_parsed_once_per_process_and_again_when_edited(tmp_path, monkeypatch):
    """Every lookup fingerprints its stage's code; the parse is memoised by the source text."""
    from insbench.workflows import cache as cache_module

    code_fingerprint("relax")
    misses = cache_module._parsed.cache_info().misses
    first = code_fingerprint("relax")
    assert code_fingerprint("relax") == first
    assert cache_module._parsed.cache_info().misses == misses  # nothing parsed again
    module = "insbench.physics.relax"
    edited = tmp_path / "relax.py"
    edited.write_text(module_file(module).read_text() + "\n\ndef _edited():\n    return 2\n")
    real = module_file
    monkeypatch.setattr("insbench.workflows.cache.module_file", lambda name: edited if name == module else real(name))
    assert code_fingerprint("relax") != first
    assert cache_module._parsed.cache_info().misses == misses + 1
