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

from .assets import HTML, LATEX, TableAssets
from .columns import COLUMNS, TASKS
from .published import SOURCES, published_reference, published_rows
from .score import superb_score
from .shading import WORSE_MARK, bar
from .table import Table

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


def _header() -> list[str]:
    heads = ["Upstream"] + [md_escape(c.header) for c in COLUMNS] + ["SUPERB score \u2191"]
    return [_row(heads), _row([":---"] + ["---:"] * (len(COLUMNS) + 1))]


def _legend(table: Table) -> str:
    base = md_escape(table.baseline.label) if table.baseline else md_escape(table.baseline_name) + " (missing)"
    return (f"Legend: {WORSE_MARK} worse than the baseline ({base}) on that task; "
            "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588 as good as the baseline or better, taller = better "
            "within the column (\u2588 = best); blank = no run; \u00b1 = sample standard deviation over "
            "seeds, (n=k) = number of seeds. Values are test-set percentages except QbE (MTWV).")


def render_table(table: Table, assets: TableAssets) -> str:
    """One table as a Markdown section."""
    lines = [f"## {md_escape(table.title)}", ""]
    corpora = "; ".join(
        f"{t.upper() if t != 'qbe' else 'QbE'}: {md_escape(table.corpora[t].describe())}"
        for t in TASKS if t in table.corpora
    )
    lines += [f"Corpora: {corpora}", ""]
    lines += _header()
    for row in table.rows:
        label = md_escape(row.label) + (" *(baseline)*" if row.is_baseline else "")
        cells = [label]
        for col in COLUMNS:
            cell = row.cells.get(col.key)
            shade = table.shade(row, col)
            if cell is None or shade is None:
                cells.append("")
                continue
            text = cell.text() + (f" (n={cell.n})" if cell.n > 1 else "")
            cells.append(f"{WORSE_MARK} {text}" if shade.worse else f"{text} {bar(shade.strength)}")
        cells.append(row.score.display() if row.score else "")
        lines.append(_row(cells))
    lines += ["", _legend(table), "", md_escape(table.score_note), ""]
    if table.notes:
        lines += ["Notes:", ""] + [f"- {md_escape(n)}" for n in table.notes] + [""]
    layer_links = [
        _link(row.label, assets.layers[row.rid].heatmap)
        for row in table.rows
        if row.rid in assets.layers and assets.layers[row.rid].heatmap
    ]
    lines += [f"![Heat map of the table above, in colour]({assets.heatmap})", "",
              f"Heat map: [{assets.heatmap}]({assets.heatmap}) \u00b7 CSV: [{assets.csv}]({assets.csv})"]
    if layer_links:
        lines += ["", "Layer weights (tasks x layers): " + " \u00b7 ".join(layer_links)]
    lines.append("")
    return "\n".join(lines)


def render_published(score_reference: str) -> str:
    """The published reference block (values as printed in the papers)."""
    lines = ["## Published reference rows (not measured here)", "",
             "Copied from " + "; ".join(SOURCES) + ". Shown for orientation only: never part of the "
             "measured statistics, shading or best-measured reference above.", ""]
    with_score = score_reference == "published"
    heads = ["Model (published)"] + [md_escape(c.header) for c in COLUMNS]
    heads += ["SUPERB score \u2191"] if with_score else []
    lines += [_row(heads), _row([":---"] + ["---:"] * (len(heads) - 1))]
    ref = published_reference()
    for r in published_rows():
        cells = [md_escape(r.name)] + [c.display(r.values[c.key]) for c in COLUMNS]
        if with_score:
            cells.append(superb_score(r.values, ref).display())
        lines.append(_row(cells))
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
