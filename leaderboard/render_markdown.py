"""GitHub-flavoured Markdown output.

GitHub does not render colours in tables, so shading is a marker: a black
square before a value worse than the baseline, and a bar glyph after the
others, taller = better within the column (see the legend under each table).

All user text goes through :func:`md_escape`: ``&``, ``<``, ``>`` become
entities (no raw HTML), and Markdown punctuation (including ``|``, which
would split a table cell, and ``$``, which GitHub renders as math) is
backslash-escaped.
"""

from __future__ import annotations

import pandas as pd

from .assets import HTML, LATEX, TableAssets
from .columns import COLUMNS, TASKS, task_name
from .published import SOURCES
from .score import display, published_display
from .shading import WORSE_MARK, bar
from .table import Table, cell_marks, cell_text
from .task_notes import task_notes

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_BACKSLASHED = set("\\`*_[]|~$#!")


def md_escape(text: str) -> str:
    """Escape user text for a Markdown table cell or paragraph (one line)."""
    out = []
    for ch in " ".join(str(text).split()):
        if ch in _ENTITIES:
            out.append(_ENTITIES[ch])
        elif ch in _BACKSLASHED:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _link(text: str, target: str) -> str:
    return f"[{md_escape(text)}]({target})"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _table(frame: pd.DataFrame, first: str) -> list[str]:
    """A pipe table from a frame of escaped cell text (index = first column)."""
    heads = [first] + [md_escape(h) for h in frame.columns]
    return ([_row(heads), _row([":---"] + ["---:"] * len(frame.columns))]
            + [_row([str(i), *r]) for i, r in zip(frame.index, frame.itertuples(index=False), strict=True)])


def _legend(table: Table) -> str:
    return (f"Legend: {WORSE_MARK} worse than the baseline ({md_escape(table.baseline_label)}) on that task; "
            "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588 as good as the baseline or better, taller = closer to "
            "the best in the column (\u2588 = best); a value without marker: not shaded (no baseline run on that "
            "task); blank = no run; \u00b1 = sample standard deviation over seeds, (n=k) = number of seeds; "
            "\u2020 = protocol differs from the published one; \u2021 = stopped while dev was still improving "
            "(converged: false). Values are test-set percentages except QbE (MTWV).")


def _cell(table: Table, rid: str, col) -> str:
    cell = table.cell(rid, col.key)
    if cell is None:
        return ""
    text = cell_text(col, cell) + cell_marks(cell)
    text += f" (n={cell['n']})" if cell["n"] > 1 else ""
    if cell["worse"]:
        return f"{WORSE_MARK} {text}"
    return f"{text} {bar(cell['strength'])}".rstrip()


def render_table(table: Table, assets: TableAssets) -> str:
    """One table as a Markdown section."""
    lines = [f"## {md_escape(table.title)}", ""]
    corpora = "; ".join(f"{task_name(t)}: {md_escape(table.corpora[t])}" for t in TASKS if t in table.corpora)
    lines += [f"Corpora: {corpora}", ""]
    rows = table.rows
    frame = pd.DataFrame({c.header: [_cell(table, rid, c) for rid in rows.index] for c in COLUMNS},
                         index=[md_escape(lab) + (" *(baseline)*" if b else "")
                                for lab, b in zip(rows["label"], rows["is_baseline"], strict=True)])
    frame["SUPERB score \u2191"] = [display(s, c) for s, c in zip(rows["score"], rows["covered"], strict=True)]
    lines += _table(frame, "Upstream")
    lines += ["", _legend(table), "", md_escape(table.score_note), ""]
    if table.notes:
        lines += ["Notes:", ""] + [f"- {md_escape(n)}" for n in table.notes] + [""]
    layer_links = [_link(lab, assets.layers[rid].heatmap) for rid, lab in rows["label"].items()
                   if rid in assets.layers and assets.layers[rid].heatmap]
    lines += [f"![Heat map of the table above, in colour]({assets.heatmap})", "",
              f"Heat map: [{assets.heatmap}]({assets.heatmap}) \u00b7 CSV: [{assets.csv}]({assets.csv})"]
    if layer_links:
        lines += ["", "Layer pictures (tasks x layers): " + " \u00b7 ".join(layer_links)]
    lines.append("")
    return "\n".join(lines)


def render_published(score_reference: str) -> str:
    """The published reference block (values as printed in the papers)."""
    text, note = published_display(score_reference, task_notes())
    text = text.rename(columns={c.key: c.header for c in COLUMNS} | {"score": "SUPERB score \u2191"})
    lines = ["## Published reference rows (not measured here)", "",
             "Copied from " + "; ".join(SOURCES) + ". Shown for orientation only: never part of the "
             "measured statistics, shading or best-measured reference above.", ""]
    if note:
        lines += [md_escape(note), ""]
    lines += _table(text.set_axis([md_escape(n) for n in text.index]), "Model (published)")
    lines.append("")
    return "\n".join(lines)


def render_markdown(tables: list[Table], assets: dict[str, TableAssets], *, published: bool,
                    score_reference: str) -> str:
    """The whole Markdown document."""
    parts = ["# SUPERB leaderboard", "",
             "Test-set results of frozen speech encoders, one table per corpus version (tables are never "
             f"merged). Also as [HTML]({HTML}) (colours, sortable) and [LaTeX]({LATEX}).", ""]
    for t in tables:
        parts.append(render_table(t, assets[t.slug]))
    if published:
        parts.append(render_published(score_reference))
    return "\n".join(parts).rstrip("\n") + "\n"
