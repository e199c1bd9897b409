"""The torch settings insbench controls: pickled checkpoints, the device, matmul precision.

* MACE and SevenNet checkpoints are pickled Python objects; torch >= 2.6 refuses them
  (``weights_only=True`` by default) unless TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1. ``import
  mace`` happens to set it, but insbench never relies on import order: every code path that
  loads a checkpoint calls :func:`allow_pickled_checkpoints` first. Only load model files you
  trust.
* ``--insbench-device=auto|cpu|cuda`` is turned into ``"cpu"`` or ``"cuda"`` by
  :func:`resolve_device`; asking for cuda where torch sees none is an error, never a silent
  fall-back to the CPU.
* On cuda, TF32 matrix products are switched off (:func:`full_precision_matmul`): TF32 keeps
  10 mantissa bits, which would move forces by ~1e-3 relative, far more than the float
  rounding differences between a CPU and a GPU run (which cache keys ignore for float64
  models only: see :func:`insbench.models.provenance.device_changes_results`).
"""

from __future__ import annotations

import os

from insbench.models.errors import ModelError, format_error

#: Values of ``--insbench-device``.
DEVICE_CHOICES: tuple[str, ...] = ("auto", "cpu", "cuda")


class DeviceUnavailableError(ModelError):
    """``--insbench-device=cuda`` was asked for but torch sees no CUDA device."""

    def __init__(self, requested: str, reason: str) -> None:
        self.requested = requested
        super().__init__(
            format_error(
                f"--insbench-device={requested} was requested, but {reason}.",
                "insbench never falls back to the CPU silently: the results would say one "
                "device and the run would use another.",
                "install a CUDA build of torch (and check `nvidia-smi`), or use "
                "--insbench-device=auto (cuda when available, else cpu) or =cpu.",
            )
        )


def allow_pickled_checkpoints() -> None:
    os.environ.setdefault("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")


def cuda_available() -> bool:
    """Whether torch sees a CUDA device. A CPU-only torch build (version ``...+cpu``) never
    does: that is answered from its metadata, without importing torch (~2 s on a cached rerun)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        if version("torch").endswith("+cpu"):
            return False
    except PackageNotFoundError:
        pass
    import torch

    return bool(torch.cuda.is_available())


def resolve_device(requested: str) -> str:
    """``"cpu"`` or ``"cuda"`` for a ``--insbench-device`` value.

    ``auto`` is cuda when torch sees one, else cpu; ``cuda`` without a device raises
    :class:`DeviceUnavailableError`; anything else is a :class:`ValueError`.
    """
    if requested not in DEVICE_CHOICES:
        raise ValueError(
            f"device {requested!r} is not one of {', '.join(DEVICE_CHOICES)}"
        )
    if requested == "cpu":
        return "cpu"
    available = cuda_available()
    if requested == "cuda" and not available:
        import torch

        build = torch.version.cuda
        reason = ("this torch is a CPU-only build" if build is None
                  else f"torch (CUDA {build}) sees no CUDA device")
        raise DeviceUnavailableError(requested, reason)
    return "cuda" if available else "cpu"


def full_precision_matmul(device: str) -> None:
    """On cuda, switch TF32 off for matmul and cuDNN (a no-op on the CPU)."""
    if device != "cuda":
        return
    import torch

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
