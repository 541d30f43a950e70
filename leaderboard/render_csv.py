"""CSV output, written by :meth:`pandas.DataFrame.to_csv` (its quoting handles any name).

One file per table, one line per row. Metric values are in display units
(percent, MTWV raw) at full precision; per metric column there are
``_mean``, ``_std`` (empty for one seed), ``_n`` and ``_worse_than_baseline``
fields; per task a ``<task>_scaled`` field holds the value behind the SUPERB
score (0 = baseline, 1 = reference; empty when the task is left out).
Missing cells are empty fields, never 0.
"""

from __future__ import annotations

import pandas as pd

from .columns import COLUMNS, TASKS
from .published import published_frame
from .score import published_scores
from .table import Table
from .task_notes import task_notes


def _col_name(c) -> str:
    return f"{c.key}{'_pct' if c.unit == '%' else ''}"


def _to_csv(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, lineterminator="\n", float_format=lambda x: repr(round(float(x), 10)))


def render_csv(table: Table) -> str:
    """One table as CSV text."""
    rows = table.rows
    out = pd.DataFrame({"table": table.slug, "upstream": rows["upstream"], "upstream_id": rows["upstream_id"],
                        "featurizer": rows["featurizer"], "label": rows["label"],
                        "is_baseline": rows["is_baseline"].astype(int)})
    mean, std, n, worse = (table.wide(f) for f in ("mean", "std", "n", "worse"))
    for c in COLUMNS:
        name = _col_name(c)
        present = n[c.key].notna()
        out[f"{name}_mean"] = mean[c.key] * c.scale
        out[f"{name}_std"] = (std[c.key] * c.scale).where(n[c.key] > 1)
        out[f"{name}_n"] = n[c.key].astype("Int64")
        out[f"{name}_worse_than_baseline"] = worse[c.key].where(present).astype("boolean").astype("Int64")
    scaled = table.scaled.reindex(index=rows.index, columns=list(TASKS))
    for t in TASKS:
        out[f"{t}_scaled"] = scaled[t]
    out["superb_score"] = rows["score"]
    out["superb_score_tasks"] = rows["covered"].map(len).where(rows["score"].notna(), 0)
    out["superb_score_total_tasks"] = len(TASKS)
    out["score_reference"] = table.score_reference
    return _to_csv(out)


def render_published_csv() -> str:
    """The published reference rows as CSV (display units, as printed)."""
    frame = published_frame()
    out = pd.DataFrame({_col_name(c): (frame[c.key] * c.scale).round(6) for c in COLUMNS})
    out.insert(0, "model", frame.index)
    out["superb_score_vs_published"] = published_scores(task_notes())["score"].to_numpy()
    out["source"] = "published (arXiv 2105.01051, 2110.13900)"
    return _to_csv(out)
