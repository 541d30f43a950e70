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
        gain_db: level change applied to the audio before the upstream sees it, in dB
            (set by the task, not the loader: KS's -3 dB, as s3prl's sox ``gain -3.0``).
    """

    uid: str
    path: Path
    label: Any = None
    start: int = 0
    end: int | None = None
    speaker: str | None = None
    gain_db: float = 0.0


Splits = dict[str, list[Utterance]]
"""Split name (``"train"``, ``"dev"``, ``"test"``) to its utterances."""


@dataclass(frozen=True)
class Trial:
    """A verification trial: two utterances of one split and whether one speaker said both.

    Attributes:
        enrol, test: indices into the split's utterance list.
        target: ``True`` for a same-speaker (target) trial.
    """

    enrol: int
    test: int
    target: bool


class TrialSplits(dict):
    """:data:`Splits` plus ``trials``: split name to its :class:`Trial` list (verification corpora)."""

    def __init__(self, splits: Splits, trials: dict[str, list[Trial]]):
        super().__init__(splits)
        self.trials = trials
