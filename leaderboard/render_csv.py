"""CSV output, written with the :mod:`csv` module (quoting handles any name).

One file per table, one line per row. Metric values are in display units
(percent, MTWV raw) at full precision; per metric column there are
``_mean``, ``_std`` (empty for one seed), ``_n`` and ``_worse_than_baseline``
fields. Missing cells are empty fields, never 0.
"""

from __future__ import annotations

import csv
import io

from .columns import COLUMNS, TASKS
from .published import published_reference, published_rows
from .score import superb_score
from .table import Table


def _col_name(c) -> str:
    unit = "_pct" if c.unit == "%" else ""
    return f"{c.key}{unit}"


def _num(x: float | None) -> str:
    return "" if x is None else repr(round(float(x), 10))


def render_csv(table: Table) -> str:
    """One table as CSV text."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    head = ["table", "upstream", "upstream_id", "featurizer", "label", "is_baseline"]
    for c in COLUMNS:
        n = _col_name(c)
        head += [f"{n}_mean", f"{n}_std", f"{n}_n", f"{n}_worse_than_baseline"]
    head += ["superb_score", "superb_score_tasks", "superb_score_total_tasks", "score_reference"]
    w.writerow(head)
    for row in table.rows:
        line = [table.slug, row.upstream, row.upstream_id, row.featurizer, row.label, int(row.is_baseline)]
        for c in COLUMNS:
            cell = row.cells.get(c.key)
            if cell is None:
                line += ["", "", "", ""]
                continue
            shade = table.shade(row, c)
            std = cell.std * c.scale if cell.std is not None else None
            line += [_num(cell.mean * c.scale), _num(std), cell.n, int(bool(shade and shade.worse))]
        s = row.score
        if s is not None and s.value is not None:
            line += [_num(s.value), len(s.covered), s.total, table.score_reference]
        else:
            line += ["", 0, len(TASKS), table.score_reference]
        w.writerow(line)
    return buf.getvalue()


def render_published_csv() -> str:
    """The published reference rows as CSV (display units, as printed)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["model"] + [_col_name(c) for c in COLUMNS] + ["superb_score_vs_published", "source"])
    ref = published_reference()
    for r in published_rows():
        score = superb_score(r.values, ref)
        w.writerow([r.name] + [_num(round(r.values[c.key] * c.scale, 6)) for c in COLUMNS]
                   + [_num(score.value), "published (arXiv 2105.01051, 2110.13900)"])
    return buf.getvalue()
