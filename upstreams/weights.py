"""Reading weight files safely, and saying what to download when they are missing.

Every checkpoint a user points at is read with ``torch.load(weights_only=True)``:
tensors, containers and plain values only. A file that needs pickled code is
refused with one line saying why and how to convert it; its code is never run.
"""

from __future__ import annotations

import contextlib
import pickle
from pathlib import Path
from typing import Any

from benchmark.errors import UserError

CONVERT_HINT = ("re-save it as plain tensors in a trusted session, e.g. "
                "torch.save({'dims': ..., 'model_state_dict': model.state_dict()}, 'clean.pt') for Whisper "
                "or torch.save(model.state_dict(), 'clean.pt') for a torchaudio model")


def load_weights(path: str | Path, what: str) -> Any:
    """The content of the checkpoint file ``path`` (CPU tensors), for the upstream ``what``.

    Raises:
        UserError: the file is missing, unreadable, or needs pickled code to load.
    """
    import torch

    import zipfile

    path = Path(path).expanduser()
    if not path.is_file():
        raise UserError(f"{what}: checkpoint {path} does not exist; check --upstream-ckpt")
    if not zipfile.is_zipfile(path) and not _starts_like_pickle(path):
        raise UserError(f"{what}: {path} is not a checkpoint (neither a torch.save file nor a pickle); "
                        f"check --upstream-ckpt")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        reason = str(err).strip().splitlines()[0][:160]
        raise UserError(f"{what}: {path} needs pickled code to load ({reason}); superb loads checkpoints "
                        f"with torch.load(weights_only=True) and never runs code from a file: "
                        f"{CONVERT_HINT}") from None
    except Exception as err:  # noqa: BLE001 - any other failure means the file is unusable
        reason = str(err).strip().splitlines()[0][:160] if str(err).strip() else type(err).__name__
        raise UserError(f"{what}: {path} is not a readable PyTorch checkpoint ({reason})") from None


def _starts_like_pickle(path: Path) -> bool:
    """True when ``path`` begins with a pickle protocol marker (legacy ``torch.save`` files do)."""
    with open(path, "rb") as f:
        return f.read(1) == b"\x80"


def missing_weights(what: str, url: str, destination: str | Path, reason: BaseException, option: str) -> UserError:
    """The one-line error for weights that could not be fetched (this machine may be offline).

    Args:
        what: the upstream, as the user named it.
        url: where the library downloads the file from.
        destination: the path the library looks for before downloading.
        reason: the download error.
        option: how else to point at the file (e.g. ``--upstream-ckpt FILE``).
    """
    detail = str(reason).strip().splitlines()[0][:120] if str(reason).strip() else type(reason).__name__
    return UserError(f"{what}: pretrained weights are not on this machine and cannot be downloaded ({detail}); "
                     f"download {url} and save it as {destination}, or {option}")


def random_init_seed(value: Any, what: str) -> int | None:
    """The seed asked for by the ``random_init`` option: ``None`` (pretrained), ``true`` = 0, or an integer seed."""
    if value is False or value is None:
        return None
    if value is True:
        return 0
    if isinstance(value, int) and value >= 0:
        return value
    raise UserError(f"{what}: random_init={value!r}; use random_init=true (seed 0) or random_init=SEED "
                    f"(a non-negative integer)")


def random_init_config(seed: int | None) -> dict[str, int]:
    """What ``config()`` adds for random weights (so the seed is part of the identity): ``{"random_init_seed": s}``."""
    return {} if seed is None else {"random_init_seed": seed}


def random_init_label(seed: int | None) -> str:
    """What display names append for random weights: ``" (random init)"``, ``" (random init, seed 3)"`` or ``""``."""
    if seed is None:
        return ""
    return " (random init)" if seed == 0 else f" (random init, seed {seed})"


@contextlib.contextmanager
def seeded(seed: int):
    """A context in which torch's CPU generator is seeded with ``seed``; its state is restored afterwards."""
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield
