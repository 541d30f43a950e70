"""PNG heat map of one table: the same shading as the HTML, with values.

Rows are upstreams, columns the eleven metric columns plus the SUPERB score
(unshaded). Black = worse than the baseline; green, darker = better within
the column; white with a value = not shaded (no baseline run); empty = no run.
"""

from __future__ import annotations

from pathlib import Path

from .columns import COLUMNS
from .plotting import new_figure, plain, save
from .score import display
from .shading import background, foreground
from .table import Table, cell_marks


def _rgb(hex_colour: str) -> tuple[float, float, float]:
    h = hex_colour.lstrip("#")
    return tuple(int(h[i:i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def draw_heatmap(table: Table, path: Path) -> Path:
    """Draw ``table`` to ``path`` (PNG) and return the path."""
    import numpy as np

    rows = table.rows
    nrows, ncols = len(rows), len(COLUMNS) + 1
    img = np.ones((nrows, ncols, 3))
    fig = new_figure(1.0 * ncols + 2.8, 0.42 * nrows + 1.9)
    ax = fig.add_axes((0, 0, 1, 1))
    for i, rid in enumerate(rows.index):
        for j, col in enumerate(COLUMNS):
            cell = table.cell(rid, col.key)
            if cell is None:
                continue
            worse, strength = bool(cell["worse"]), float(cell["strength"])
            img[i, j] = _rgb(background(worse, strength))
            ax.text(j, i, table.text(rid, col.key) + cell_marks(cell), ha="center",
                    va="center", fontsize=7, color=foreground(worse, strength))
        img[i, ncols - 1] = _rgb("#f2f2f2")
        ax.text(ncols - 1, i, display(rows.at[rid, "score"], rows.at[rid, "covered"]), ha="center", va="center",
                fontsize=7)
    ax.imshow(img, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(ncols))
    ax.set_xticklabels([c.header for c in COLUMNS] + ["SUPERB score \u2191"], fontsize=8)
    ax.xaxis.tick_top()
    ax.set_yticks(range(nrows))
    ax.set_yticklabels([plain(lab) + (" (baseline)" if b else "") for lab, b in
                        zip(rows["label"], rows["is_baseline"], strict=True)], fontsize=8)
    ax.set_xticks(np.arange(-0.5, ncols), minor=True)
    ax.set_yticks(np.arange(-0.5, nrows), minor=True)
    ax.grid(which="minor", color="#bbbbbb", linewidth=0.6)
    ax.tick_params(which="minor", length=0)
    ax.set_title(f"{table.title}: test metrics, shaded against {plain(table.baseline_label)}", fontsize=10, pad=28)
    ax.set_xlabel("black = worse than the baseline;  green, darker = better within the column;  white = not "
                  "shaded (no baseline run);  blank = no run;  \u00b1 = std over seeds;  \u2021 = dev still "
                  "improving at the end", fontsize=8)
    return save(fig, path)
