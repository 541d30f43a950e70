"""Where a run computes: ``--device auto|cpu|cuda|cuda:N`` and ``--extract-dtype fp32|bf16|fp16``.

The upstream, the featurizer and the head run on the chosen device; features are
stored on the CPU and in the cache as before, so one cache entry serves CPU and GPU
runs (extraction precision, which changes the features, is part of the cache key).
"""

from __future__ import annotations

import platform
import re
from typing import Any

from benchmark.errors import UserError

DEVICE_FORM = re.compile(r"auto|cpu|cuda(:\d+)?")
EXTRACT_DTYPES = ("fp32", "bf16", "fp16")


def check_device_form(spec: str) -> None:
    """Refuse a ``--device`` value that is not ``auto``, ``cpu``, ``cuda`` or ``cuda:N`` (no torch import)."""
    if not DEVICE_FORM.fullmatch(spec):
        raise UserError(f"--device {spec!r}: expected auto, cpu, cuda or cuda:N")


def check_extract_dtype(name: str) -> None:
    if name not in EXTRACT_DTYPES:
        raise UserError(f"--extract-dtype {name!r}: expected one of {', '.join(EXTRACT_DTYPES)}")


def resolve_device(spec: str):
    """The :class:`torch.device` for ``spec``; ``auto`` is the first CUDA device when there is one.

    Raises:
        UserError: CUDA asked for on a machine without it, or a device index it lacks.
    """
    import torch

    check_device_form(spec)
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(spec)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise UserError(f"--device {spec}: this machine has no CUDA device (torch.cuda.is_available() is "
                            f"False); use --device cpu or auto")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise UserError(f"--device {spec}: this machine has CUDA devices 0..{torch.cuda.device_count() - 1}")
    return device


def describe_device(device) -> dict[str, Any]:
    """What the result JSON records of ``device``: its name, and for CUDA the settings that shape numbers."""
    import torch

    if device.type != "cuda":
        return {"device": str(device), "name": platform.processor() or platform.machine()}
    index = device.index if device.index is not None else torch.cuda.current_device()
    return {"device": f"cuda:{index}", "name": torch.cuda.get_device_name(index),
            "cuda": torch.version.cuda, "cudnn_deterministic": torch.backends.cudnn.deterministic,
            "cudnn_benchmark": torch.backends.cudnn.benchmark,
            "tf32_matmul": torch.backends.cuda.matmul.allow_tf32}


def autocast_dtype(name: str):
    """The autocast dtype for ``--extract-dtype`` ``name`` (``None`` for float32: no autocast)."""
    import torch

    return {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[name]


def is_out_of_memory(err: BaseException) -> bool:
    """True for a device out-of-memory error (CUDA's, or the allocator's message on other backends)."""
    import torch

    return isinstance(err, torch.OutOfMemoryError) or "out of memory" in str(err).lower()
