"""Provenance of a model: which file (and its sha256) and which package versions."""

from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from insbench import _io
from insbench.environment import package_version
from insbench.models.spec import D3_DAMPING, D3_METHOD
from insbench.models.torch_env import allow_pickled_checkpoints

if TYPE_CHECKING:
    from insbench.models.spec import MLIPSpec

#: Distribution names whose versions matter for each kind of model.
_PACKAGES: dict[str, tuple[str, ...]] = {
    "mace": ("torch", "e3nn", "mace-torch"),
    "sevennet": ("torch", "e3nn", "sevenn"),
    "chgnet": ("torch", "chgnet"),
    "xtb": ("tblite",),
    "plugin": (),
}


def sha256_file(path: str | Path, chunk_bytes: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks (remembered per process while the file is unchanged)."""
    stat = os.stat(path)
    return _sha256_file(str(path), stat.st_size, stat.st_mtime_ns, chunk_bytes)


@functools.lru_cache(maxsize=64)
def _sha256_file(path: str, _size: int, _mtime_ns: int, chunk_bytes: int) -> str:
    return _io.sha256_file(path, chunk_bytes)


def _package_dir(module: str) -> Path | None:
    found = importlib.util.find_spec(module)
    if found is None or not found.submodule_search_locations:
        return None
    return Path(next(iter(found.submodule_search_locations)))


def chgnet_weight_file(version: str) -> Path | None:
    """The CHGNet weight file shipped in the chgnet wheel for ``version`` (no import)."""
    root = _package_dir("chgnet")
    if root is None:
        return None
    matches = sorted((root / "pretrained" / version).glob("*.pth.tar"))
    return matches[0] if matches else None


#: sevenn's pretrained names -> checkpoint path inside the sevenn package (as in
#: ``sevenn.util.pretrained_name_to_path``), so the identity of ``sevennet-0`` does not
#: import sevenn (and torch, ~2 s) on a fully cached run.
_SEVENNET_PRETRAINED: dict[str, str] = {
    **{name: "SevenNet_0__11Jul2024/checkpoint_sevennet_0.pth"
       for name in ("7net-0", "sevennet-0", "7net-0_11jul2024", "sevennet-0_11jul2024",
                    "7net-0_11july2024", "sevennet-0_11july2024")},
    **{name: "SevenNet_0__22May2024/checkpoint_sevennet_0.pth"
       for name in ("7net-0_22may2024", "sevennet-0_22may2024")},
    **{name: "SevenNet_l3i5/checkpoint_l3i5.pth" for name in ("7net-l3i5", "sevennet-l3i5")},
}


def sevennet_weight_file(checkpoint: str) -> Path:
    """The SevenNet checkpoint file for a pretrained name such as ``7net-0``."""
    root = _package_dir("sevenn")
    relative = _SEVENNET_PRETRAINED.get(checkpoint.lower())
    if root is not None and relative is not None and (root / "pretrained_potentials" / relative).is_file():
        return root / "pretrained_potentials" / relative
    allow_pickled_checkpoints()  # before the import: e3nn unpickles its constants on import
    from sevenn.util import pretrained_name_to_path

    return Path(pretrained_name_to_path(checkpoint))


def model_file(spec: MLIPSpec) -> Path | None:
    """The weight file behind ``spec``, if there is one."""
    if spec.path is not None:
        return Path(spec.path)
    if spec.kind == "sevennet":
        return sevennet_weight_file(spec.option("checkpoint", "7net-0"))
    if spec.kind == "chgnet":
        return chgnet_weight_file(spec.option("version", "0.3.0"))
    return None


def spec_identity(spec: MLIPSpec) -> dict[str, Any]:
    """Provenance of a model: name, kind, file + sha256, package versions, D3 settings.

    This is what the stage cache keys on. It leaves out the device the model runs on:
    see :func:`runtime_provenance`.
    """
    packages = {name: package_version(name) for name in _PACKAGES[spec.kind]}
    d3: dict[str, Any] | None = None
    if spec.d3:
        d3 = {"method": D3_METHOD, "damping": D3_DAMPING, "package": "dftd3"}
        packages["dftd3"] = package_version("dftd3")
    packages["ase"] = package_version("ase")
    path = model_file(spec)
    file_info = None
    if path is not None and path.is_file():
        file_info = {"path": str(path), "sha256": sha256_file(path)}
    return {
        "name": spec.name,
        "kind": spec.kind,
        "source": spec.source,
        "description": spec.description,
        "model_file": file_info,
        "options": {key: value for key, value in spec.options},
        "packages": packages,
        "d3": d3,
        "dispersion_included": spec.dispersion,
    }


#: Kinds whose built-in models compute in float32 (SevenNet, CHGNet) or whose precision
#: insbench cannot see (plug-ins).
_FLOAT32_OR_UNKNOWN = ("sevennet", "chgnet", "plugin")


def device_changes_results(spec: MLIPSpec) -> bool:
    """Whether the device goes into ``spec``'s cache keys.

    A CPU and a GPU evaluate the same network with different reduction orders, so their
    forces differ at the model's float rounding. In float64 (mace-tiny, MACE files with
    ``default_dtype = "float64"``) that is ~1e-15 relative: far below anything a score can
    see, so stages cached on one device are reused on the other. In float32 it is ~1e-7
    relative, and a perturbation of that size does move scores: measured with mace-tiny run
    in float32 instead of float64 (hexane, measured cell, 8 Angstrom supercell), W1 moved by
    0.3-2 %, cosine by 0.03-0.2 %, peak MAE by up to 1.2 % -- enough to flip a verdict near
    its threshold. So float32 models (SevenNet, CHGNet) and plug-ins (precision unknown) are
    cached per device. GFN2-xTB runs on the CPU only.
    """
    if spec.kind == "xtb":
        return False
    if spec.kind == "mace":
        return spec.option("default_dtype", "float64") != "float64"
    return spec.kind in _FLOAT32_OR_UNKNOWN


def runtime_provenance(spec: MLIPSpec, device: str, torch_threads: int | None) -> dict[str, Any]:
    """Where and how the model ran, recorded with results (each cache entry also says which
    device built it). The device is part of a cache key only where it can change results:
    see :func:`device_changes_results`.
    """
    from insbench.models.factories import effective_device

    return {
        "device": effective_device(spec, device),
        "d3_device": "cpu" if spec.d3 else None,
        "torch_threads": torch_threads,
    }
