"""`ModelHandle`: a resolved model whose calculator is built only when a force is needed.

A fully cached case never loads the model: every stage reads its entry, the identity
(file sha256, package versions) needs no torch, and the conformance verdict of a
(model, structure) pair is remembered next to the stage cache, so a cached rerun
does not build the calculator just to check it. The first stage that really calls the
model builds it, on the session's device, with the session's torch thread count.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from functools import cached_property
from typing import Any

from ase import Atoms

from insbench._io import write_json_atomic
from insbench.models import check_conformance, make_calculator, resolve_device, spec_identity
from insbench.models.conformance import ConformanceReport
from insbench.models.errors import UnsupportedElementError
from insbench.models.provenance import device_changes_results, runtime_provenance
from insbench.models.spec import MLIPSpec
from insbench.workflows.cache import Cache, atoms_fingerprint, content_key, source_fingerprint

#: Modules whose code decides a conformance verdict (their fingerprint is in its key).
_CONFORMANCE_CODE = ("insbench.models.conformance", "insbench.models.guard")
CONFORMANCE_DIR = "conformance"


class ModelHandle:
    """A resolved model: its spec, its identity (hashes, versions) and one lazily built calculator.

    Args:
        spec: the model.
        device: ``auto``, ``cpu`` or ``cuda`` (resolved when the model is first built).
        threads: torch threads to set when the model is built (``None``: torch's choice).
        batched: ``auto``/``on``/``off``: phonon displacements through the batched
            (torch-sim) path where the model has one (see :mod:`insbench.models.batching`).
    """

    def __init__(self, spec: MLIPSpec, *, device: str = "cpu", threads: int | None = None,
                 batched: str = "auto") -> None:
        self.spec = spec
        self.requested_device = device
        self.threads = threads
        self.batched = batched
        self._device: str | None = None
        self._calculator = None
        self._batch = {}

    @property
    def name(self) -> str:
        return self.spec.name

    @cached_property
    def identity(self) -> dict[str, Any]:
        """What the stage cache keys on: the device only for float32 models
        (see :func:`~insbench.models.provenance.device_changes_results`)."""
        identity = spec_identity(self.spec)
        if device_changes_results(self.spec):
            identity["device"] = self.device
        return identity

    @property
    def device(self) -> str:
        """``cpu`` or ``cuda`` (resolving ``auto`` imports torch, not the model)."""
        if self._device is None:
            self._device = resolve_device(self.requested_device)
        return self._device

    @property
    def provenance(self) -> dict[str, Any]:
        """The identity plus how the model ran in this session (for result records)."""
        runtime = runtime_provenance(self.spec, self._device or "cpu", self.threads)
        if self._device is None:  # never built: every stage came from the cache
            runtime["device"] = None
        return {**self.identity, "runtime": {"device_requested": self.requested_device, **runtime,
                                             "model_loaded": self.loaded}}

    @property
    def loaded(self) -> bool:
        return self._calculator is not None

    @property
    def calculator(self):
        if self._calculator is None:
            if self.threads is not None:
                import torch

                torch.set_num_threads(max(1, int(self.threads)))
            self._calculator = make_calculator(self.spec, device=self.device)
        return self._calculator

    @property
    def model_call_seconds(self) -> float:
        """Seconds spent inside the model so far (0 while it is not loaded)."""
        return float(getattr(self._calculator, "model_call_seconds", 0.0)) if self.loaded else 0.0

    def batched_forces(self, n_atoms: int):
        """The batched force path for ``n_atoms``-atom structures, or ``None`` (builds the model)."""
        from insbench.models.batching import batched_forces

        if n_atoms not in self._batch:
            self._batch[n_atoms] = batched_forces(self.calculator, device=self.device, n_atoms=n_atoms,
                                                  model_name=self.name, mode=self.batched)
        return self._batch[n_atoms]

    def check(self, atoms: Atoms, cache: Cache | None = None) -> ConformanceReport:
        """Conformance of the model on ``atoms`` (raises a ModelError subclass on failure).

        Elements are checked from the spec first (no load). With an enabled ``cache``, a
        passing verdict is remembered under ``<cache>/conformance/`` keyed by the model
        identity, the structure and the checking code, and reused without loading the model.
        """
        if self.spec.elements is not None:
            missing = set(atoms.get_chemical_symbols()) - set(self.spec.elements)
            if missing:
                raise UnsupportedElementError(self.name, missing, self.spec.elements,
                                              atoms.get_chemical_formula())
        if cache is None or not cache.enabled:
            return check_conformance(self.calculator, atoms, model_name=self.name)
        key = content_key({"model": self.identity, "structure": atoms_fingerprint(atoms),
                           "code": _conformance_code()})
        path = cache.root / CONFORMANCE_DIR / key[:2] / f"{key}.json"
        remembered = _read_report(path, key)
        if remembered is not None:
            return remembered
        report = check_conformance(self.calculator, atoms, model_name=self.name)
        write_json_atomic(path, {"key": key, "device": self.device, "report": asdict(report)})
        return report


def _conformance_code() -> str:
    from insbench.workflows.cache import module_file

    return content_key({m: source_fingerprint(module_file(m).read_text(encoding="utf-8"))
                        for m in _CONFORMANCE_CODE})


def _read_report(path, key: str) -> ConformanceReport | None:
    """The remembered report at ``path`` if it is readable and made for ``key``."""
    try:
        data = json.loads(path.read_text())
        if data.get("key") != key:
            return None
        report = dict(data["report"])
        if report.get("stress_shape") is not None:
            report["stress_shape"] = tuple(report["stress_shape"])
        return ConformanceReport(**report)
    except (OSError, ValueError, KeyError, TypeError):
        return None
