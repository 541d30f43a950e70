"""What a corpus loader returns: utterances grouped by split."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Utterance:
    """One item of a split.

    Attributes:
        uid: identifier, unique within the corpus (e.g. ``"yes/0a7c2a8d_nohash_0"``).
        path: the audio file.
        label: the task target (for keyword spotting, the class name).
        start: first sample of the segment, in samples at 16 kHz (after resampling).
        end: one past the last sample, in samples at 16 kHz; ``None`` means the end
            of the file.
        speaker: speaker identifier if the corpus has one.
    """

    uid: str
    path: Path
    label: Any = None
    start: int = 0
    end: int | None = None
    speaker: str | None = None


Splits = dict[str, list[Utterance]]
"""Split name (``"train"``, ``"dev"``, ``"test"``) to its utterances."""
