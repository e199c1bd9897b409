"""A fully cached case never loads the model; a cold one says how long it spent inside it."""

from __future__ import annotations

import pytest

from insbench.models import resolve_mlip
from insbench.physics import phonons as ph
from insbench.reference import load_fixture
from insbench.workflows import model_handle
from insbench.workflows.cache import Cache
from insbench.workflows.pipeline import ModelHandle, PipelineSettings, SpectralCase, run_spectral_case

SMALL = PipelineSettings(phonons=ph.PhononSettings(supercell_min_length_a=4.0))
CASE = SpectralCase("hexane", 0.0, "measured-cell")


class FactorySpy:
    """Wraps the factory ModelHandle uses and counts the models it builds."""

    def __init__(self, monkeypatch):
        self.calls = 0
        real = model_handle.make_calculator

        def spy(*args, **kwargs):
            self.calls += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(model_handle, "make_calculator", spy)


@pytest.fixture(scope="module")
def cold_run(tmp_path_factory):
    """One cold hexane case (small supercell) into a fresh cache."""
    cache = Cache(tmp_path_factory.mktemp("cache"))
    fixture = load_fixture("hexane")
    model = ModelHandle(resolve_mlip("mace-tiny"), device="cpu")
    model.check(fixture.structure().atoms, cache)
    return cache, fixture, run_spectral_case(model, fixture, CASE, cache, SMALL)


def test_cached_rerun_does_not_load_the_model(cold_run, monkeypatch):
    cache, fixture, cold = cold_run
    spy = FactorySpy(monkeypatch)
    model = ModelHandle(resolve_mlip("mace-tiny"), device="cpu")
    report = model.check(fixture.structure().atoms, cache)  # remembered verdict
    warm = run_spectral_case(model, fixture, CASE, cache, SMALL)
    assert spy.calls == 0 and not model.loaded
    assert report.formula == fixture.structure().atoms.get_chemical_formula()
    assert all(stage.reused for stage in warm.stages)
    assert warm.spectrum.intensity.tolist() == cold.spectrum.intensity.tolist()
    assert warm.model["runtime"]["model_loaded"] is False
    assert warm.model["runtime"]["device"] is None
    assert cold.model["runtime"]["device"] == "cpu"


def test_a_missing_stage_loads_the_model_once(cold_run, monkeypatch, tmp_path):
    _cache, fixture, _cold = cold_run
    spy = FactorySpy(monkeypatch)
    model = ModelHandle(resolve_mlip("mace-tiny"), device="cpu")
    model.check(fixture.structure().atoms, Cache(tmp_path))  # a cache that remembers nothing
    model.check(fixture.structure().atoms, Cache(tmp_path))  # now it does
    assert spy.calls == 1 and model.loaded


def test_conformance_verdict_is_keyed_on_the_structure(cold_run, monkeypatch):
    cache, fixture, _cold = cold_run
    spy = FactorySpy(monkeypatch)
    moved = fixture.structure().atoms
    moved.positions[0] += 0.05
    ModelHandle(resolve_mlip("mace-tiny"), device="cpu").check(moved, cache)
    assert spy.calls == 1  # another structure: checked again, with the model


def test_uncovered_elements_refused_without_loading(monkeypatch, tmp_path):
    from ase.build import bulk

    from insbench.models import UnsupportedElementError

    spy = FactorySpy(monkeypatch)
    with pytest.raises(UnsupportedElementError):
        ModelHandle(resolve_mlip("mace-tiny")).check(bulk("Fe"), Cache(tmp_path))
    assert spy.calls == 0


def test_cold_case_records_model_call_time_per_stage(cold_run):
    _cache, _fixture, cold = cold_run
    by_stage = {s.stage: s for s in cold.stages}
    for name in ("relax", "phonons"):
        stage = by_stage[name]
        assert 0 < stage.model_call_seconds <= stage.build_seconds
    assert by_stage["spectrum"].model_call_seconds is None  # no model in the spectrum stage


def test_md_starts_from_the_spectral_relaxation(cold_run, monkeypatch):
    """The MD start (positions relaxed in the measured cell at 0 GPa) is the measured-cell
    spectral case's relaxation: same cache entry, no second relaxation, no model loaded."""
    from insbench.physics.relax import RelaxSettings
    from insbench.workflows.pipeline import relax_stage

    cache, fixture, cold = cold_run
    spy = FactorySpy(monkeypatch)
    model = ModelHandle(resolve_mlip("mace-tiny"), device="cpu")
    _start, record = relax_stage(model, fixture.structure().atoms,
                                 RelaxSettings(pressure_gpa=0.0, cell_mode="measured-cell"), cache)
    assert record.reused and record.cache_key == cold.stage("relax").cache_key
    assert spy.calls == 0
