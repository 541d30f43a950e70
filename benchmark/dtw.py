"""Subsequence DTW for query-by-example (s3prl's ``quesst14_dtw`` settings), compiled with numba.

For a query of ``n`` frames and a document of ``m`` frames, with a frame cost matrix
``C`` of shape ``(n, m)``:

1. each row of ``C`` is min-max normalised over the document's frames;
2. the asymmetric step pattern: every query frame is matched to exactly one document
   frame ``j_i``, ``j_i - j_{i-1}`` in {0, 1, 2}; the path may start and end anywhere
   in the document (open begin and end: subsequence DTW);
3. the distance is the path's least total cost divided by ``n``.

This is what ``dtw-python`` computes for ``step_pattern="asymmetric"``,
``open_begin=open_end=True`` and ``normalizedDistance``. :func:`match_documents`
runs one query against many documents in parallel threads (``numba.prange``);
:func:`subsequence_dtw_naive` is the same recurrence in plain Python, for tests
and ``benchmarks/dtw_speed.py``.
"""

from __future__ import annotations

import numba
import numpy as np

MIN_RANGE = 1e-9  # floor of a row's max - min when normalising


@numba.njit(parallel=True, cache=True)
def match_documents(cost: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """DTW distance of one query to each document.

    Args:
        cost: ``(query_frames, total_frames)`` float32 frame costs against the
            documents' frames laid side by side.
        starts, ends: ``(documents,)`` int64, each document's columns ``[start, end)``.

    Returns:
        ``(documents,)`` float64 normalised distances.
    """
    n = cost.shape[0]
    out = np.empty(len(starts))
    for d in numba.prange(len(starts)):
        a, m = starts[d], ends[d] - starts[d]
        previous = np.empty(m)
        current = np.empty(m)
        for i in range(n):
            low, high = np.inf, -np.inf
            for j in range(m):
                low = min(low, cost[i, a + j])
                high = max(high, cost[i, a + j])
            scale = 1.0 / max(high - low, MIN_RANGE)
            for j in range(m):
                value = (cost[i, a + j] - low) * scale
                if i == 0:
                    current[j] = value
                else:
                    best = previous[j]
                    if j >= 1:
                        best = min(best, previous[j - 1])
                    if j >= 2:
                        best = min(best, previous[j - 2])
                    current[j] = value + best
            previous, current = current, previous
        out[d] = previous.min() / n
    return out


def subsequence_dtw_naive(cost: np.ndarray) -> float:
    """The distance of one (query, document) pair from its ``(n, m)`` cost matrix, in plain Python."""
    n, m = cost.shape
    normalised = [[(c - min(row)) / max(max(row) - min(row), MIN_RANGE) for c in row] for row in cost.tolist()]
    previous = normalised[0]
    for i in range(1, n):
        previous = [normalised[i][j] + min(previous[max(0, j - 2):j + 1]) for j in range(m)]
    return min(previous) / n
