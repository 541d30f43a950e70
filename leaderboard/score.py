"""The SUPERB score, computed only over the tasks a row actually covers.

Definition (SUPERB challenge convention): for each metric column, scale the
value linearly so the zero point (FBANK, or the ``--baseline`` row) maps to 0
and the reference (best measured row, or best published row) maps to 1:

    s = (v - zero) / (reference - zero)

This flips the sign for lower-is-better metrics by itself, since there the
reference is below the zero point. A task's value is the mean of its columns
(SF has two: F1 and CER); the score is 1000 times the mean over tasks.

Missing cells are never averaged over: a task counts only if the row, the
zero point and the reference all have a value for it (and reference differs
from zero). The score is reported with that coverage, e.g. "412 (3/10 tasks)";
scores with different coverage are not comparable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import fmean

from .columns import COLUMN_BY_KEY, TASKS


@dataclass(frozen=True)
class Score:
    """A row's SUPERB score; ``value`` is None when no task is covered."""

    value: float | None
    covered: tuple[str, ...]
    per_task: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Number of SUPERB tasks (10)."""
        return len(TASKS)

    def coverage(self) -> str:
        """E.g. ``"3/10 tasks"``."""
        return f"{len(self.covered)}/{self.total} tasks"

    def display(self) -> str:
        """E.g. ``"412 (3/10 tasks)"``; "" when nothing is covered."""
        if self.value is None:
            return ""
        return f"{self.value:.0f} ({self.coverage()})"


def scaled(value: float, zero: float, reference: float) -> float | None:
    """Linear scaling with zero -> 0 and reference -> 1; None if they coincide."""
    if reference == zero:
        return None
    return (value - zero) / (reference - zero)


def superb_score(values: dict[str, float], reference: dict[str, tuple[float, float]]) -> Score:
    """Score one row.

    ``values`` maps column keys to the row's values (means over seeds);
    ``reference`` maps column keys to ``(zero, one)`` points. Columns absent
    from either are skipped; a task with no usable column is not covered.
    """
    by_task: dict[str, list[float]] = {}
    for key, v in values.items():
        if key not in reference:
            continue
        zero, one = reference[key]
        s = scaled(v, zero, one)
        if s is not None:
            by_task.setdefault(COLUMN_BY_KEY[key].task, []).append(s)
    per_task = {t: fmean(by_task[t]) for t in TASKS if t in by_task}
    if not per_task:
        return Score(None, ())
    return Score(1000.0 * fmean(per_task.values()), tuple(per_task), per_task)


def measured_reference(
    baseline: dict[str, float] | None, column_values: dict[str, list[float]]
) -> dict[str, tuple[float, float]]:
    """(baseline value, best measured value) per column where both exist.

    ``column_values`` lists every measured row's value per column (baseline
    included). Columns where the baseline is missing are left out, so no row
    is scored on them.
    """
    if not baseline:
        return {}
    ref: dict[str, tuple[float, float]] = {}
    for key, vals in column_values.items():
        if key not in baseline or not vals:
            continue
        col = COLUMN_BY_KEY[key]
        best = max(vals) if col.higher_is_better else min(vals)
        ref[key] = (baseline[key], best)
    return ref
