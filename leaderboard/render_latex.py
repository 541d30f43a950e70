"""LaTeX output: booktabs tables with cell colours, written by pandas' ``Styler.to_latex``.

The file is a complete document (``pdflatex leaderboard.tex``); each table
sits between ``% --- begin table`` / ``% --- end table`` comments for copying
into a paper, which then needs ``\\usepackage{booktabs}`` and
``\\usepackage[table]{xcolor}``. Shading is CSS converted by the Styler into
``\\cellcolor``: black with white text for cells worse than the baseline, the
green ramp otherwise, none where the column has no baseline value.

All user text goes through :func:`tex_escape` (``& % $ # _ { } ~ ^ \\`` and
``< > |``, which print wrongly in the default font encoding).
"""

from __future__ import annotations

import re

import pandas as pd

from .columns import COLUMNS, TASKS, task_name
from .published import SOURCES
from .score import display, published_display
from .shading import background, foreground
from .table import UNDERTRAINED_MARK, Table, cell_marks
from .task_notes import task_notes

_TEX = {
    "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
    "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
    "\u00b7": r"\textperiodcentered{}", "\u00b1": r"\ensuremath{\pm}", "\u2026": r"\dots{}",
    "\u2020": r"\textsuperscript{\textdagger}", "\u2021": r"\textsuperscript{\textdaggerdbl}",
    "\u2191": r"\ensuremath{\uparrow}", "\u2193": r"\ensuremath{\downarrow}", "\u00d7": r"\ensuremath{\times}",
}


def tex_escape(text: object) -> str:
    """Escape text for LaTeX (one line; special characters made literal).

    Also breaks the ligatures ``--``, ``''`` and backquotes, which would
    otherwise print as dashes and curly quotes.
    """
    s = "".join(_TEX.get(ch, ch) for ch in " ".join(str(text).split()))
    return re.sub(r"([-'])(?=[-'])", r"\1{}", s).replace("`", r"\textasciigrave{}")


def _css(worse: bool, strength: float) -> str:
    """Cell CSS the Styler converts to ``\\cellcolor`` / ``\\color``."""
    if worse:
        return "background-color: black; color: white"
    if pd.isna(strength):
        return ""
    css = f"background-color: {background(worse, strength)}"
    return css + ("; color: white" if foreground(worse, strength) != "#000000" else "")


def _columns(with_score: bool) -> pd.MultiIndex:
    arrows = {True: "$\\uparrow$", False: "$\\downarrow$"}
    cols = [(c.label, c.metric_label + arrows[c.higher_is_better]) for c in COLUMNS]
    return pd.MultiIndex.from_tuples(cols + ([("SUPERB", "score$\\uparrow$")] if with_score else []))


def _tabular(text: pd.DataFrame, css: pd.DataFrame | None, first: str, caption: str | None) -> str:
    """A ``table`` float from pre-escaped cell text (and CSS), via ``Styler.to_latex``."""
    styler = text.style
    if css is not None:
        styler = styler.apply(lambda _: css.set_axis(text.index).set_axis(text.columns, axis=1), axis=None)
    latex = styler.to_latex(environment="table", position="htbp", position_float="centering", hrules=True,
                            convert_css=True, caption=caption, multicol_align="c", column_format="l" + "r" * len(
                                text.columns))
    latex = latex.replace("\\toprule\n & ", f"\\toprule\n{first} & ", 1)  # the corner cell names the rows
    latex = latex.replace("\\begin{tabular}", "\\footnotesize\n\\resizebox{\\linewidth}{!}{%\n\\begin{tabular}")
    return latex.replace("\\end{tabular}\n", "\\end{tabular}}\n")


def render_table(table: Table) -> str:
    """One table as a ``table`` float."""
    rids = list(table.rows.index)
    text = pd.DataFrame("", index=rids, columns=_columns(True))
    css = pd.DataFrame("", index=rids, columns=text.columns)
    for i, rid in enumerate(rids):
        for j, col in enumerate(COLUMNS):
            cell = table.cell(rid, col.key)
            if cell is None:
                continue
            std = col.display(cell["std"]) if cell["n"] > 1 else None
            body = col.display(cell["mean"]) + (f"\\,{{\\scriptsize$\\pm${std}}}" if std else "")
            text.iat[i, j] = body + tex_escape(cell_marks(cell))
            css.iat[i, j] = _css(bool(cell["worse"]), float(cell["strength"]))
        row = table.rows.loc[rid]
        text.iat[i, len(COLUMNS)] = tex_escape(display(row["score"], row["covered"]))
    text.index = [tex_escape(lab) + (r" \textit{(baseline)}" if base else "")
                  for lab, base in zip(table.rows["label"], table.rows["is_baseline"], strict=True)]
    corpora = "; ".join(f"{task_name(t)}: {tex_escape(table.corpora[t])}" for t in TASKS if t in table.corpora)
    caption = (f"{tex_escape(table.title)}: test-set results (\\% except QbE, MTWV). "
               f"Black: worse than the baseline ({tex_escape(table.baseline_label)}); green, darker = better within "
               f"the column; white: not shaded (no baseline run); blank: no run; {tex_escape(UNDERTRAINED_MARK)}: stopped "
               f"while dev was still improving. Corpora: {corpora}.")
    notes = "\n".join([r"\par\smallskip", r"\begin{minipage}{\linewidth}\scriptsize", tex_escape(table.score_note)]
                      + [r"\par " + tex_escape(n) for n in table.notes] + [r"\end{minipage}", r"\end{table}"])
    body = _tabular(text, css, "Upstream", caption).replace("\\end{table}", notes)
    return f"% --- begin table {table.slug}\n{body}% --- end table {table.slug}\n"


def render_published(score_reference: str) -> str:
    """The published reference block as its own, clearly labelled table."""
    text, note = published_display(score_reference, task_notes())
    text = text.map(tex_escape).set_axis([tex_escape(n) for n in text.index])
    text.columns = _columns(score_reference == "published")
    caption = f"Published reference rows, not measured here ({tex_escape('; '.join(SOURCES))}). {tex_escape(note)}"
    body = _tabular(text, None, "Model (published)", caption.rstrip())
    return f"% --- begin table published\n{body}% --- end table published\n"


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
