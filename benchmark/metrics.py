"""Metrics users can call on their own outputs.

Every function takes plain Python sequences and returns a float; rates and
accuracies are fractions in [0, 1].
"""

from __future__ import annotations

from collections.abc import Sequence


def accuracy(pred: Sequence, ref: Sequence) -> float:
    """Fraction of positions where ``pred[i] == ref[i]``.

    Raises:
        ValueError: the sequences differ in length or are empty.
    """
    if len(pred) != len(ref):
        raise ValueError(f"accuracy: {len(pred)} predictions for {len(ref)} references")
    if not len(ref):
        raise ValueError("accuracy: no references")
    return sum(p == r for p, r in zip(pred, ref)) / len(ref)


METRICS = {"accuracy": accuracy}
"""Metric name (as used in tasks.yaml and result JSON) to function."""
