"""The SUPERB tasks and the metric columns of the leaderboard.

One :class:`Column` per published metric, in the order of the SUPERB paper's
table 1: PR, KS, IC, SID, ER, ASR, QbE, SF-F1, SF-CER, ASV, SD. SF contributes
two columns (slot-type F1 and slot-value CER) from the same run.

Result files store rates and accuracies as fractions (0.91) and MTWV raw; the
table shows them like the paper: percentages with two decimals, MTWV with four.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: The ten SUPERB tasks in paper order. The SUPERB score averages over these.
TASKS: tuple[str, ...] = ("pr", "ks", "ic", "sid", "er", "asr", "qbe", "sf", "asv", "sd")


def task_name(task: str) -> str:
    """Display name of a task: "KS", "QbE"."""
    return "QbE" if task == "qbe" else task.upper()


def task_list(tasks) -> str:
    """``"KS, QbE"``."""
    return ", ".join(task_name(t) for t in tasks)


@dataclass(frozen=True)
class Column:
    """One metric column.

    ``key`` is unique ("sf_f1"); ``metric`` is the key inside a result file's
    ``metrics.test`` dict; ``scale`` converts stored values to display units
    (100 for percentages, 1 for MTWV).
    """

    key: str
    task: str
    metric: str
    label: str
    metric_label: str
    higher_is_better: bool
    scale: float
    decimals: int

    @property
    def arrow(self) -> str:
        """The better direction as an arrow: up when higher is better."""
        return "\u2191" if self.higher_is_better else "\u2193"

    @property
    def unit(self) -> str:
        """"%" for percentage columns, "" for raw ones."""
        return "%" if self.scale == 100 else ""

    @property
    def header(self) -> str:
        """Plain-text header, e.g. ``"KS Acc ↑"``."""
        return f"{self.label} {self.metric_label} {self.arrow}"

    def better(self, a: float, b: float) -> bool:
        """True when value ``a`` is strictly better than ``b`` in this column."""
        return a > b if self.higher_is_better else a < b

    def display(self, value: float | None) -> str:
        """Format a stored value (fraction or raw) in display units, "" if missing."""
        if value is None or not math.isfinite(value):
            return ""
        return format_number(value * self.scale, self.decimals)


def format_number(x: float, decimals: int) -> str:
    """Fixed decimals; small non-zero numbers keep two significant digits.

    A value below one unit of the last-but-one shown decimal (0.1 with two
    decimals) would otherwise lose its digits: the published FBANK SID
    accuracy, 0.085 %, prints as "0.085", not "0.09"; 8.5e-4 % as "8.5e-4".
    """
    if x != 0 and abs(x) < 0.5 * 10 ** (-decimals):
        mantissa, exponent = f"{x:.1e}".split("e")
        return f"{mantissa}e{int(exponent)}"
    if x != 0 and abs(x) < 10 ** (1 - decimals):
        return f"{x:.2g}"
    return f"{x:.{decimals}f}"


COLUMNS: tuple[Column, ...] = (
    Column("pr_per", "pr", "per", "PR", "PER", False, 100, 2),
    Column("ks_acc", "ks", "accuracy", "KS", "Acc", True, 100, 2),
    Column("ic_acc", "ic", "accuracy", "IC", "Acc", True, 100, 2),
    Column("sid_acc", "sid", "accuracy", "SID", "Acc", True, 100, 2),
    Column("er_acc", "er", "accuracy", "ER", "Acc", True, 100, 2),
    Column("asr_wer", "asr", "wer", "ASR", "WER", False, 100, 2),
    Column("qbe_mtwv", "qbe", "mtwv", "QbE", "MTWV", True, 1, 4),
    Column("sf_f1", "sf", "slot_f1", "SF", "F1", True, 100, 2),
    Column("sf_cer", "sf", "slot_cer", "SF", "CER", False, 100, 2),
    Column("asv_eer", "asv", "eer", "ASV", "EER", False, 100, 2),
    Column("sd_der", "sd", "der", "SD", "DER", False, 100, 2),
)

COLUMN_BY_KEY: dict[str, Column] = {c.key: c for c in COLUMNS}


def columns_of(task: str) -> tuple[Column, ...]:
    """The columns one run of ``task`` fills (two for SF, one otherwise)."""
    return tuple(c for c in COLUMNS if c.task == task)


def main_column(task: str, metric: str | None = None) -> Column:
    """The column used to pick among learning rates on dev.

    ``metric`` is the run's own ``main_metric.name`` when it names one of the
    task's columns; otherwise the task's first column (SF: slot F1).
    """
    cols = columns_of(task)
    for c in cols:
        if c.metric == metric:
            return c
    return cols[0]
