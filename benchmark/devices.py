"""Where a run computes: ``--device auto|cpu|cuda|cuda:N`` and ``--extract-dtype fp32|bf16|fp16``.

The upstream, the featurizer and the head run on the chosen device; features are
stored on the CPU and in the cache as before, so one cache entry serves CPU and GPU
runs (extraction precision, which changes the features, is part of the cache key).
Heads always train in float32. See docs/upstreams.md (running on a GPU; precision
and determinism). Importing this module imports no torch.
"""

from __future__ import annotations

import platform
import re
from pathlib import Path
from typing import Any

from benchmark.errors import UserError

DEVICE_FORM = re.compile(r"auto|cpu|cuda(:\d+)?")
EXTRACT_DTYPES = ("fp32", "bf16", "fp16")


def check_device_options(device: str, dtype: str = "fp32", batch_seconds: float | None = None) -> None:
    """Refuse a bad ``--device``, ``--extract-dtype`` or ``--extract-batch-seconds`` (no torch import)."""
    if not DEVICE_FORM.fullmatch(device):
        raise UserError(f"--device {device!r}: expected auto, cpu, cuda or cuda:N")
    if dtype not in EXTRACT_DTYPES:
        raise UserError(f"--extract-dtype {dtype!r}: expected one of {', '.join(EXTRACT_DTYPES)}")
    if batch_seconds is not None and not 0 < batch_seconds < float("inf"):
        raise UserError(f"--extract-batch-seconds {batch_seconds}: must be a positive number of seconds")


def resolve_device(spec: str):
    """The :class:`torch.device` for ``spec``; ``auto`` is the first CUDA device when there is one.

    Raises:
        UserError: CUDA asked for on a machine without it, or a device index it lacks.
    """
    import torch

    check_device_options(spec)
    if spec == "auto":
        return torch.device("cuda:0" if torch.cuda.is_available() else "cpu")
    device = torch.device(spec)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise UserError(f"--device {spec}: this machine has no CUDA device (torch.cuda.is_available() is "
                            f"False); use --device cpu or auto")
        if device.index is None:
            device = torch.device("cuda", torch.cuda.current_device())
        if device.index >= torch.cuda.device_count():
            raise UserError(f"--device {spec}: this machine has CUDA devices 0..{torch.cuda.device_count() - 1}")
    return device


def seed_everything(seed: int) -> None:
    """Seed torch's CPU and every CUDA generator; cuDNN picks deterministic algorithms, no autotuning.

    Numpy draws (batch order) are seeded where they are made. What this does and does
    not make bit-identical is in docs/upstreams.md.
    """
    import torch

    torch.manual_seed(seed)  # every CUDA device too
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True


def describe_device(device) -> dict[str, Any]:
    """What the result JSON records of ``device``: its name, and for CUDA the settings that shape numbers."""
    import torch

    if device.type != "cuda":
        return {"device": str(device), "name": cpu_name()}
    return {"device": str(device), "name": torch.cuda.get_device_name(device), "cuda": torch.version.cuda,
            "cudnn": torch.backends.cudnn.version(), "cudnn_deterministic": torch.backends.cudnn.deterministic,
            "cudnn_benchmark": torch.backends.cudnn.benchmark,
            "tf32_matmul": torch.backends.cuda.matmul.allow_tf32, "tf32_cudnn": torch.backends.cudnn.allow_tf32}


def cpu_name() -> str:
    """The processor's model name (``/proc/cpuinfo``), else what :mod:`platform` knows."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor() or platform.machine()


def module_device(module) -> Any:
    """The device of ``module``'s first parameter or buffer (CPU when it has none)."""
    import torch

    for tensor in (*module.parameters(), *module.buffers()):
        return tensor.device
    return torch.device("cpu")


def autocast_dtype(name: str):
    """The autocast dtype for ``--extract-dtype`` ``name`` (``None`` for float32: no autocast)."""
    import torch

    return {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[name]


def is_out_of_memory(err: BaseException) -> bool:
    """True for a device out-of-memory error (CUDA's, MPS's, or the CPU allocator's)."""
    import torch

    message = str(err).lower()
    return isinstance(err, torch.OutOfMemoryError) or "out of memory" in message or "not enough memory" in message
