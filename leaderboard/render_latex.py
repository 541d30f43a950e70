"""LaTeX output: booktabs tables with cell colours.

The file is a complete document (``pdflatex leaderboard.tex``); each table
sits between ``% --- begin table`` / ``% --- end table`` comments for copying
into a paper, which then needs ``\\usepackage{booktabs}`` and
``\\usepackage[table]{xcolor}``. Shading uses ``\\cellcolor``: black with white
text for cells worse than the baseline, the green ramp otherwise.

All user text goes through :func:`tex_escape` (``& % $ # _ { } ~ ^ \\`` and
``< > |``, which print wrongly in the default font encoding).
"""

from __future__ import annotations

import re

from .columns import COLUMNS, TASKS
from .published import SOURCES, published_reference, published_rows
from .score import superb_score
from .table import Table

_TEX = {
    "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
    "\u00b7": r"\textperiodcentered{}", "\u00b1": r"\ensuremath{\pm}", "\u2026": r"\dots{}",
    "\u2191": r"\ensuremath{\uparrow}", "\u2193": r"\ensuremath{\downarrow}", "\u00d7": r"\ensuremath{\times}",
}


def tex_escape(text: object) -> str:
    """Escape text for LaTeX (one line; special characters made literal).

    Also breaks the ligatures ``--``, ``''`` and backquotes, which would
    otherwise print as dashes and curly quotes.
    """
    s = "".join(_TEX.get(ch, ch) for ch in " ".join(str(text).split()))
    return re.sub(r"([-'])(?=[-'])", r"\1{}", s).replace("`", r"\textasciigrave{}")


def _task(t: str) -> str:
    return "QbE" if t == "qbe" else t.upper()


def _header(first: str, with_score: bool) -> list[str]:
    tasks = [first] + [c.label for c in COLUMNS] + (["SUPERB"] if with_score else [])
    metrics = [""] + [f"{c.metric_label}$\\{'uparrow' if c.higher_is_better else 'downarrow'}$" for c in COLUMNS]
    metrics += ["score$\\uparrow$"] if with_score else []
    return [" & ".join(tex_escape(t) for t in tasks) + r" \\", " & ".join(metrics) + r" \\"]


def _cell_text(text: str, std: str | None) -> str:
    return text + (f"\\,{{\\scriptsize$\\pm${std}}}" if std else "")


def render_table(table: Table) -> str:
    """One table as a ``table`` float."""
    ncol = len(COLUMNS) + 2
    lines = [f"% --- begin table {table.slug}", r"\begin{table}[htbp]", r"\centering", r"\footnotesize"]
    base = tex_escape(table.baseline.label) if table.baseline else tex_escape(table.baseline_name) + " (missing)"
    corpora = "; ".join(f"{_task(t)}: {tex_escape(table.corpora[t].describe())}" for t in TASKS if t in table.corpora)
    lines.append(f"\\caption{{{tex_escape(table.title)}: test-set results (\\% except QbE, MTWV). "
                 f"Black: worse than the baseline ({base}); green, darker = better within the column; "
                 f"blank: no run. Corpora: {corpora}.}}")
    lines.append(r"\resizebox{\linewidth}{!}{%")
    lines.append(r"\begin{tabular}{l" + "r" * (ncol - 1) + "}")
    lines.append(r"\toprule")
    lines += _header("Upstream", True)
    lines.append(r"\midrule")
    for row in table.rows:
        cells = [tex_escape(row.label) + (r" \textit{(baseline)}" if row.is_baseline else "")]
        for col in COLUMNS:
            cell = row.cells.get(col.key)
            shade = table.shade(row, col)
            if cell is None or shade is None:
                cells.append("")
                continue
            std = col.display(cell.std) if cell.std is not None else None
            body = _cell_text(col.display(cell.mean), std)
            if shade.worse:
                cells.append(f"\\cellcolor{{black}}\\textcolor{{white}}{{{body}}}")
            else:
                colour = shade.background.lstrip("#").upper()
                if shade.foreground != "#000000":
                    body = f"\\textcolor{{white}}{{{body}}}"
                cells.append(f"\\cellcolor[HTML]{{{colour}}}{body}")
        s = row.score
        cells.append(tex_escape(s.display()) if s and s.value is not None else "")
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}}", r"\par\smallskip", r"\begin{minipage}{\linewidth}\scriptsize",
              tex_escape(table.score_note)]
    for n in table.notes:
        lines.append(r"\par " + tex_escape(n))
    lines += [r"\end{minipage}", r"\end{table}", f"% --- end table {table.slug}", ""]
    return "\n".join(lines)


def render_published(score_reference: str) -> str:
    """The published reference block as its own, clearly labelled table."""
    with_score = score_reference == "published"
    ncol = len(COLUMNS) + 1 + int(with_score)
    lines = ["% --- begin table published", r"\begin{table}[htbp]", r"\centering", r"\footnotesize",
             f"\\caption{{Published reference rows, not measured here ({tex_escape('; '.join(SOURCES))}).}}",
             r"\resizebox{\linewidth}{!}{%", r"\begin{tabular}{l" + "r" * (ncol - 1) + "}", r"\toprule"]
    lines += _header("Model (published)", with_score)
    lines.append(r"\midrule")
    ref = published_reference()
    for r in published_rows():
        cells = [tex_escape(r.name)] + [col.display(r.values[col.key]) for col in COLUMNS]
        if with_score:
            cells.append(tex_escape(superb_score(r.values, ref).display()))
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}}", r"\end{table}", "% --- end table published", ""]
    return "\n".join(lines)


def render_latex(tables: list[Table], *, published: bool, score_reference: str) -> str:
    """The whole document."""
    parts = [
        "% SUPERB leaderboard. Tables need \\usepackage{booktabs} and \\usepackage[table]{xcolor}.",
        r"\documentclass{article}",
        r"\usepackage[T1]{fontenc}",
        r"\usepackage[utf8]{inputenc}",
        r"\usepackage[landscape,margin=1.5cm]{geometry}",
        r"\usepackage{booktabs}",
        r"\usepackage[table]{xcolor}",
        r"\usepackage{graphicx}",
        r"\begin{document}",
        "",
    ]
    parts += [render_table(t) for t in tables]
    if published:
        parts.append(render_published(score_reference))
    parts.append(r"\end{document}")
    return "\n".join(parts) + "\n"
