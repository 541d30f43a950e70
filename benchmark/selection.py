"""The one rule that picks a training setting on dev: used by the sweep summary and the leaderboard cells.

Imports nothing heavy (no torch, no pandas).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

Setting = TypeVar("Setting", bound=Hashable)


def dev_mean(scores: Sequence[float | None]) -> float | None:
    """Mean of the dev scores that exist (``None`` and NaN are skipped); ``None`` when none does."""
    present = [s for s in scores if not _missing(s)]
    return sum(present) / len(present) if present else None


def choose_on_dev(dev_by_setting: Mapping[Setting, Sequence[float | None]], higher_is_better: bool) -> Setting:
    """The setting with the best dev score, mean over its seeds, in the metric's direction (never test).

    ``dev_by_setting``: setting (an lr, or a tuple such as ``(lr, steps)``) -> the dev main
    metric of each of its seeds (``None`` or NaN for a run without one). Settings without any
    dev score come after every scored one. Ties go to the setting with more seeds, then to the
    smaller setting (missing parts last), so the choice never depends on the order of the runs.
    """
    if not dev_by_setting:
        raise ValueError("choose_on_dev: no setting to choose from")

    def rank(setting: Setting) -> tuple:
        scores = dev_by_setting[setting]
        mean = dev_mean(scores)
        signed = 0.0 if mean is None else (-mean if higher_is_better else mean)  # lower = better
        return (mean is None, signed, -len(scores), _order(setting))

    return min(dev_by_setting, key=rank)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _order(setting) -> tuple:
    parts = setting if isinstance(setting, tuple) else (setting,)
    return tuple((True, 0.0) if _missing(p) else (False, p) for p in parts)
