"""``--insbench-device``: resolution, the error when cuda is missing, factories honour it.

CI has no GPU: the cuda paths are exercised here with recording stand-ins for the model
classes. The real cuda run was done once on an NVIDIA H200 (README, "GPU"): the main job on
cuda gave the CPU run's verdicts and scores.
"""

from __future__ import annotations

import dataclasses
import sys
import types

import pytest
import torch

from insbench.models import DeviceUnavailableError, make_calculator, resolve_device, resolve_mlip
from insbench.models import torch_env
from insbench.models.factories import effective_device
from insbench.models.provenance import device_changes_results, runtime_provenance
from insbench.workflows.model_handle import ModelHandle


def test_cpu_is_cpu_and_auto_follows_torch(monkeypatch):
    assert resolve_device("cpu") == "cpu"
    monkeypatch.setattr(torch_env, "cuda_available", lambda: False)
    assert resolve_device("auto") == "cpu"
    monkeypatch.setattr(torch_env, "cuda_available", lambda: True)
    assert resolve_device("auto") == "cuda"
    assert resolve_device("cuda") == "cuda"


def test_cuda_without_a_device_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(torch_env, "cuda_available", lambda: False)
    with pytest.raises(DeviceUnavailableError) as info:
        resolve_device("cuda")
    text = str(info.value)
    assert "--insbench-device=cuda" in text and "why:" in text and "fix:" in text
    assert ("CPU-only build" in text) == (torch.version.cuda is None)


def test_unknown_device_is_refused():
    with pytest.raises(ValueError, match="not one of auto, cpu, cuda"):
        resolve_device("tpu")
    with pytest.raises(ValueError, match="resolve 'auto' first"):
        make_calculator(resolve_mlip("mace-tiny"), device="auto")


class _Recorder:
    """Stands in for a model class: remembers the device it was built for."""

    built: list[dict] = []

    def __init__(self, *args, **kwargs):
        _Recorder.built.append(kwargs)
        self.implemented_properties = ["energy", "forces", "stress"]
        self.type_map = {6: 0, 1: 1}

    @classmethod
    def load(cls, **kwargs):
        return cls(**kwargs)

    from_file = classmethod(lambda cls, *args, **kwargs: cls(**kwargs))


@pytest.mark.parametrize(("name", "module", "attribute", "keyword"), [
    ("mace-tiny", "mace.calculators", "MACECalculator", "device"),
    ("sevennet-0", "sevenn.calculator", "SevenNetCalculator", "device"),
    ("chgnet", "chgnet.model.dynamics", "CHGNetCalculator", "use_device"),
])
def test_every_torch_factory_passes_the_device_on(monkeypatch, name, module, attribute, keyword):
    _Recorder.built = []
    fake = types.ModuleType(module)
    setattr(fake, attribute, _Recorder)
    monkeypatch.setitem(sys.modules, module, fake)
    if name == "chgnet":
        model_module = types.ModuleType("chgnet.model")
        model_module.CHGNet = _Recorder
        monkeypatch.setitem(sys.modules, "chgnet.model", model_module)
    make_calculator(resolve_mlip(name), device="cuda", guard=False)
    assert _Recorder.built and all(kwargs[keyword] == "cuda" for kwargs in _Recorder.built
                                   if keyword in kwargs)
    assert any(keyword in kwargs for kwargs in _Recorder.built)


def test_mace_tiny_really_runs_on_the_cpu():
    calc = make_calculator(resolve_mlip("mace-tiny"), device="cpu")
    network = calc.calc.models[0]
    assert {p.device.type for p in network.parameters()} == {"cpu"}


def test_d3_and_xtb_say_they_stay_on_the_cpu():
    assert effective_device(resolve_mlip("gfn2-xtb"), "cuda") == "cpu"
    assert effective_device(resolve_mlip("sevennet-0"), "cuda") == "cuda"
    runtime = runtime_provenance(resolve_mlip("sevennet-0+d3"), "cuda", 1)
    assert runtime == {"device": "cuda", "d3_device": "cpu", "torch_threads": 1}


def test_float64_models_share_cache_entries_across_devices():
    spec = resolve_mlip("mace-tiny")  # float64: CPU/GPU differ by ~1e-15 relative
    on_cpu, on_gpu = ModelHandle(spec, device="cpu"), ModelHandle(spec, device="cuda")
    assert on_cpu.identity == on_gpu.identity  # what the stage cache keys on
    assert "runtime" not in on_cpu.identity and "device" not in on_cpu.identity
    assert not on_cpu.loaded and not on_gpu.loaded  # asking for identity loads nothing
    assert on_gpu.provenance["runtime"]["device_requested"] == "cuda"
    assert on_cpu.provenance["runtime"]["device"] is None  # never built: nothing ran anywhere
    on_cpu.calculator
    assert on_cpu.provenance["runtime"]["device"] == "cpu"


def test_float32_models_are_cached_per_device(monkeypatch):
    monkeypatch.setattr(torch_env, "cuda_available", lambda: True)
    for name in ("sevennet-0", "sevennet-0+d3", "chgnet"):
        spec = resolve_mlip(name)
        on_cpu, on_gpu = ModelHandle(spec, device="cpu"), ModelHandle(spec, device="cuda")
        assert on_cpu.identity["device"] == "cpu" and on_gpu.identity["device"] == "cuda"
        assert not on_cpu.loaded and not on_gpu.loaded
    float32_mace = dataclasses.replace(resolve_mlip("mace-tiny"), options=(("default_dtype", "float32"),))
    assert device_changes_results(float32_mace)
    assert not device_changes_results(resolve_mlip("gfn2-xtb"))  # CPU only


def test_plugin_refuses_cuda_before_collecting(pytester, monkeypatch):
    monkeypatch.setattr(torch_env, "cuda_available", lambda: False)
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest_inprocess("--mlip=mace-tiny", "--insbench-device=cuda",
                                          f"--insbench-results={pytester.path / 'r'}", "test_nothing.py")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--insbench-device=cuda was requested*"])


def test_a_cpu_only_torch_is_known_without_importing_torch(monkeypatch):
    """A cached rerun resolves ``auto`` for float32 model identities; a ``+cpu`` torch build
    answers from its metadata (importing torch costs ~2 s), any other build asks torch."""
    import subprocess
    from importlib.metadata import version

    code = ("import sys; from insbench.models.torch_env import cuda_available; "
            "print(cuda_available(), 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    cpu_only = version("torch").endswith("+cpu")
    assert out == (["False", "False"] if cpu_only else [str(torch.cuda.is_available()), "True"])
    monkeypatch.setattr("importlib.metadata.version", lambda name: "2.13.0+cu128")  # a CUDA build: torch decides
    assert torch_env.cuda_available() is torch.cuda.is_available()
