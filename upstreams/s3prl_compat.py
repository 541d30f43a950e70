"""The one place where s3prl 0.4.18 is adapted to torchaudio 2.9.

torchaudio 2.9 removed two things that ``import s3prl.hub`` touches while it imports
every s3prl upstream module:

* ``torchaudio.set_audio_backend``: called at import time by the ``byol_a`` and
  ``byol_s`` modules. The shim adds a no-op (superb reads audio with soundfile, never
  through torchaudio's backends).
* ``torchaudio.sox_effects``: imported by the ``mos_prediction`` module. The shim adds
  a module whose ``apply_effects_tensor`` raises if it is ever called.

Nothing else is changed; the shim is installed only when s3prl is used, and only for
what is missing.
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
import types


def _sox_effects_removed(*args, **kwargs):
    raise RuntimeError("torchaudio.sox_effects was removed in torchaudio 2.9; this s3prl code path needs "
                       "torchaudio < 2.9")


def install() -> None:
    """Add what s3prl's imports need and torchaudio 2.9 no longer has (idempotent)."""
    import torchaudio

    if not hasattr(torchaudio, "set_audio_backend"):
        torchaudio.set_audio_backend = lambda backend=None: None
    if "torchaudio.sox_effects" not in sys.modules and not hasattr(torchaudio, "sox_effects"):
        sox_effects = types.ModuleType("torchaudio.sox_effects", "Removed in torchaudio 2.9 (superb shim).")
        sox_effects.apply_effects_tensor = _sox_effects_removed
        sox_effects.apply_effects_file = _sox_effects_removed
        sys.modules["torchaudio.sox_effects"] = sox_effects
        torchaudio.sox_effects = sox_effects


def import_hub():
    """``s3prl.hub`` with the shim installed; its import-time notes (optional packages missing) are dropped."""
    install()
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            from s3prl import hub
    finally:
        logging.disable(previous)
    return hub
