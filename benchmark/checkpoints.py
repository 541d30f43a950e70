"""Loading checkpoints safely: ``torch.load(weights_only=True)`` only, never pickle code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmark.errors import UserError

CONVERT = ("convert it once, in a Python you trust: "
           "torch.save(torch.load(PATH, weights_only=False).state_dict() or the dict of tensors, NEW_PATH)")


def load_weights(path: Path, what: str = "checkpoint") -> Any:
    """Load ``path`` with ``weights_only=True`` (tensors, containers and numbers only).

    Raises:
        UserError: missing or unreadable file, or one that needs pickle (refused,
            never executed), with how to convert it.
    """
    import torch

    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: {what} not found; check the path")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - every failure means the file is unusable
        message = str(err)
        if "weights_only" in message or "Unsupported global" in message or "Unpickler" in message:
            raise UserError(f"{path}: {what} needs pickle to load, which could run arbitrary code, so it was "
                            f"refused (weights_only=True); {CONVERT}") from None
        first = message.splitlines()[0][:160] if message else type(err).__name__
        raise UserError(f"{path}: unreadable {what} ({first}); replace or delete the file") from None
