"""Length-bucketed batches for frame-level training: similar lengths together, bounded padding.

Like s3prl's bucketing: utterances sorted by length are cut into batches of
``batch_size``, and a batch whose padded size would exceed a frame budget is cut
smaller, so memory stays bounded however long the utterances are. The batches are
then visited in a seeded random order, epoch after epoch, drawn once up front (a
resumed run sees the same rows).
"""

from __future__ import annotations

import numpy as np


def length_buckets(lengths: np.ndarray, batch_size: int, max_frames: int) -> list[np.ndarray]:
    """Indices sorted by length (longest first) in consecutive batches.

    Each batch holds at most ``batch_size`` utterances and at most ``max_frames``
    padded frames (count x its longest), but always at least one utterance.
    """
    order = np.argsort(-np.asarray(lengths), kind="stable")
    batches, current = [], []
    for i in order:
        longest = lengths[current[0]] if current else lengths[i]
        if current and (len(current) == batch_size or (len(current) + 1) * longest > max_frames):
            batches.append(np.array(current))
            current = []
        current.append(int(i))
    if current:
        batches.append(np.array(current))
    return batches


def draw_bucketed(lengths: np.ndarray, batch_size: int, max_frames: int, rows: int, seed: int) -> list[np.ndarray]:
    """``rows`` batches of indices (one per forward pass): the buckets shuffled anew every epoch."""
    buckets = length_buckets(lengths, batch_size, max_frames)
    rng = np.random.default_rng(seed)
    drawn: list[np.ndarray] = []
    while len(drawn) < rows:
        drawn += [buckets[i] for i in rng.permutation(len(buckets))]
    return drawn[:rows]
