"""The SUPERB score, computed only over the tasks a row covers and can trust.

Per metric column, scale the value linearly so the zero point (the baseline
row, or published FBANK) maps to 0 and the reference (best measured row, or
best published row) maps to 1:

    s = (v - zero) / (reference - zero)

which flips the sign for lower-is-better metrics by itself. A task's value is
the mean of its columns (SF has two: F1 and CER); the score is 1000 times the
mean over tasks, shown with its coverage ("412 (3/10 tasks)").

A column is left out for every row, and the score note says why, when:

* the baseline (zero point) or the reference has no value there;
* measured reference: the best-minus-baseline gap is within the task's noise,
  the larger of its ``noise_floor`` in tasks.yaml and the seed standard
  deviation of the baseline and best cells (where they have several seeds);
  otherwise one weak row scales to thousands below zero;
* published reference: tasks.yaml says ``published_comparable: false`` (the
  project knowingly departs from the protocol behind the published number);
  those cells are marked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .columns import COLUMN_BY_KEY, COLUMNS, TASKS, task_list, task_name
from .published import published_frame
from .task_notes import TaskNotes, notes_of

SCORE_REFERENCES = ("measured", "published")


def scale(values: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """Per-task scaled values: ``values`` (row x column key) against ``reference`` (key -> zero, one).

    Returns row x task (tasks in paper order); NaN where a task has no usable column.
    """
    keys = [k for k in values.columns if k in reference.index]
    scaled = (values[keys] - reference.loc[keys, "zero"]) / (reference.loc[keys, "one"] - reference.loc[keys, "zero"])
    per_task = scaled.T.groupby(lambda k: COLUMN_BY_KEY[k].task).mean().T
    return per_task.reindex(columns=[t for t in TASKS if t in per_task.columns])


def totals(per_task: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Score (1000 x mean over covered tasks; NaN when none) and the covered tasks per row."""
    present = per_task.notna()
    covered = pd.Series([tuple(c for c, ok in zip(present.columns, row, strict=True) if ok)
                         for row in present.to_numpy()], index=per_task.index,
                        dtype=object)
    return 1000.0 * per_task.mean(axis=1), covered


def display(score: float, covered: tuple[str, ...]) -> str:
    """``"412 (3/10 tasks)"``; "" when nothing is covered."""
    return "" if pd.isna(score) else f"{score:.0f} ({coverage(covered)})"


def coverage(covered: tuple[str, ...]) -> str:
    """``"3/10 tasks"``."""
    return f"{len(covered)}/{len(TASKS)} tasks"


def published_reference(notes: dict[str, TaskNotes]) -> tuple[pd.DataFrame, list[str]]:
    """(zero = published FBANK, one = best published) per comparable column; the left-out tasks."""
    pub = published_frame()
    ref = pd.DataFrame({"zero": pub.loc["FBANK"],
                        "one": [pub[c.key].max() if c.higher_is_better else pub[c.key].min() for c in COLUMNS]})
    out = [t for t in TASKS if not notes_of(t, notes).published_comparable]
    keep = [k for k in ref.index if COLUMN_BY_KEY[k].task not in out]
    return ref.loc[keep], out


def published_scores(notes: dict[str, TaskNotes]) -> pd.DataFrame:
    """The published rows' scores on the published scale: columns score, covered."""
    ref, _ = published_reference(notes)
    score, covered = totals(scale(published_frame(), ref))
    return pd.DataFrame({"score": score, "covered": covered})


def published_display(score_reference: str, notes: dict[str, TaskNotes]) -> tuple[pd.DataFrame, str]:
    """The published block as plain display text, and its \u2020 footnote ("" when every task compares).

    Columns are metric keys (values as printed, \u2020 on tasks whose protocol
    differs), plus "score" on the published scale when ``score_reference`` is
    "published"; the index is the model name.
    """
    pub = published_frame()
    _, out = published_reference(notes)
    text = pd.DataFrame({c.key: [c.display(v) + ("\u2020" if c.task in out else "") for v in pub[c.key]]
                         for c in COLUMNS}, index=pub.index)
    if score_reference == "published":
        scores = published_scores(notes)
        text["score"] = [display(v, c) for v, c in zip(scores["score"], scores["covered"], strict=True)]
    reasons = "; ".join(f"{task_name(t)}: {notes_of(t, notes).published_note or 'protocol differs'}" for t in out)
    note = (f"\u2020 This project knowingly departs from the published protocol there, so those columns are "
            f"never scaled against published rows: {reasons}.") if out else ""
    return text, note


def incomparable_note(out: list[str], notes: dict[str, TaskNotes]) -> str:
    """Why columns are not compared with published numbers."""
    reasons = "; ".join(f"{task_name(t)}: {notes_of(t, notes).published_note or 'protocol differs'}" for t in out)
    return f" Not scaled against published rows, marked \u2020 (the protocol differs): {reasons}."


def measured_reference(table, notes: dict[str, TaskNotes]) -> tuple[pd.DataFrame, str]:
    """(zero = baseline, one = best measured) per trustworthy column; the note on left-out tasks."""
    cells = table.cells
    base = cells.loc[table.baseline]
    flat, noisy, noisy_tasks = [], [], set()
    ref = {}
    for key, col in cells.groupby(level="key"):
        if key not in base.index:
            continue
        column = COLUMN_BY_KEY[key]
        means = col["mean"]
        best_rid = (means.idxmax() if column.higher_is_better else means.idxmin())
        zero, one = base.at[key, "mean"], means[best_rid]
        spread = col.loc[[(table.baseline, key), best_rid], "std"].where(col.loc[[(table.baseline, key), best_rid],
                                                                                "n"] > 1)
        noise = max(notes_of(column.task, notes).noise_floor, float(np.nan_to_num(spread.max())))
        if zero == one:
            flat.append(column.task)
        elif abs(one - zero) <= noise:
            noisy_tasks.add(column.task)
            noisy.append(f"{column.label} {column.metric_label}: gap {column.display(abs(one - zero))} "
                         f"\u2264 noise {column.display(noise)}")
        else:
            ref[key] = (zero, one)
    reference = pd.DataFrame.from_dict(ref, orient="index", columns=["zero", "one"])
    usable = {COLUMN_BY_KEY[k].task for k in ref}
    note = ""
    flat = [t for t in TASKS if t in flat and t not in usable and t not in noisy_tasks]
    if flat:
        note += f" Left out: {task_list(flat)} (no row better than the baseline)."
    if noisy:
        note += (" Left out, best-minus-baseline gap within the task's noise (its noise_floor in tasks.yaml, or "
                 "the seed spread when larger): " + "; ".join(noisy) + ".")
    return reference, note


def score_table(table, notes: dict[str, TaskNotes]) -> None:
    """Fill ``table.rows`` score and covered, ``table.scaled``, ``table.score_note``, cells' ``incomparable``."""
    table.cells["incomparable"] = False
    table.rows["score"] = np.nan
    table.rows["covered"] = [()] * len(table.rows)
    table.scaled = pd.DataFrame(index=table.rows.index)
    means = table.wide("mean")
    if table.score_reference == "published":
        if table.synthetic:
            table.score_note = ("SUPERB score: not computed against published rows on synthetic corpora "
                                "(the numbers are not comparable).")
            return
        reference, out = published_reference(notes)
        table.cells["incomparable"] = table.cells["task"].isin(out)
        table.score_note = ("SUPERB score: per task, linear scale with published FBANK = 0 and the best "
                            "published row = 1 (sign flipped for lower-is-better), averaged over the tasks "
                            "the row covers, times 1000; (k/10 tasks) is the coverage. Scores with "
                            "different coverage are not comparable.")
        present = [t for t in out if t in set(table.cells["task"])]
        if present:
            table.score_note += incomparable_note(present, notes)
    else:
        if table.baseline is None:
            table.score_note = (f"SUPERB score: not computed: the baseline {table.baseline_name!r} has no run "
                                "in this table.")
            return
        reference, left_out = measured_reference(table, notes)
        table.score_note = (f"SUPERB score: per task, linear scale with the baseline ({table.baseline_label}) = 0 "
                            "and the best measured row = 1 (sign flipped for lower-is-better), averaged over the "
                            "tasks covered by both the row and the baseline, times 1000; (k/10 tasks) is the "
                            "coverage. Scores with different coverage are not comparable." + left_out)
    per_task = scale(means, reference)
    table.scaled = per_task
    table.rows["score"], table.rows["covered"] = totals(per_task)
