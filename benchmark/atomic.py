"""Atomic file writes: a temporary name, fsync, rename. Readers never see half a file."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from benchmark.errors import UserError


def atomic_write(path: Path, write: Callable[[BinaryIO], None], fix: str) -> None:
    """Call ``write`` on a temporary file beside ``path``, fsync it, and rename it to ``path``.

    Args:
        fix: what the user should do when writing fails (disk full, ...), for the
            one-line :class:`UserError`; the temporary file is removed first.
    """
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise UserError(f"{path}: cannot be written ({err.strerror}); {fix}") from None
