"""Standalone HTML page: real colours, escaped names, sortable columns, sticky name and score.

Each table is a pandas :class:`~pandas.io.formats.style.Styler` (cell colours,
classes, escaping) rendered through ``templates/board.tpl``, pandas' own
template plus data attributes. One self-contained file (CSS and a small inline
script, no network; the heat map PNG sits beside it).
Every piece of user text goes through :func:`html.escape` (text and
attribute values); the script only reorders existing rows and never builds
markup from strings, so a name such as ``<script>alert(1)</script>`` shows as
text.

Cells carry ``data-col`` and ``data-value`` (stored units) attributes; cells
worse than the baseline also have class ``worse`` and a black background;
blank cells have class ``missing``; cells left unshaded (no baseline run in
the column) have class ``neutral``. Clicking a header sorts by that column,
best first (blank cells always last); clicking again reverses. The upstream
name (at most 16em wide, the full name in its tooltip; the baseline badge and
the layers link stay visible) and the SUPERB score
stay in view (CSS ``position: sticky``) while the metric columns scroll.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import pandas as pd
from pandas.io.formats.style import Styler

from .assets import LATEX, MARKDOWN, PUBLISHED_CSV, TableAssets
from .columns import COLUMN_BY_KEY, COLUMNS, TASKS, task_name
from .published import SOURCES, published_frame
from .score import coverage, published_display, published_scores
from .shading import background, foreground
from .table import Table, cell_info, cell_marks, cell_text
from .task_notes import task_notes

#: pandas' HTML template with per-cell data attributes (``templates/board.tpl``).
BoardStyler = Styler.from_custom_template(str(Path(__file__).with_name("templates")), html_table="board.tpl")


def e(text: object) -> str:
    """Escape text for HTML content or a double-quoted attribute."""
    return escape(str(text), quote=True)


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:1.5rem;color:#111;
 max-width:1600px}
h1{font-size:1.5rem;margin:0 0 .5rem}
h2{font-size:1.2rem;margin:2rem 0 .4rem}
p,li{font-size:14px;line-height:1.45}
.wrap{overflow-x:auto;max-width:100%}
table.lb{border-collapse:collapse;font-size:13px;font-variant-numeric:tabular-nums}
.lb th,.lb td{border:1px solid #c8c8c8;padding:4px 8px;text-align:right;white-space:nowrap}
.lb thead th{background:#f3f3f3;cursor:pointer;user-select:none;vertical-align:bottom}
.lb thead th:first-child{text-align:left}
.lb thead th:focus{outline:2px solid #238b45}
.lb thead th[aria-sort=ascending]::after{content:" \\25B2";font-size:70%}
.lb thead th[aria-sort=descending]::after{content:" \\25BC";font-size:70%}
.lb tbody th{text-align:left;font-weight:normal;background:#fff}
.lb th.row_heading,.lb th.corner{position:sticky;left:0;z-index:2;box-shadow:inset -1px 0 #999}
.lb th .name{display:inline-block;max-width:16em;overflow:hidden;text-overflow:ellipsis;vertical-align:bottom}
.lb th.corner{background:#f3f3f3}
.lb [data-col=score]{position:sticky;right:0;z-index:2;box-shadow:inset 1px 0 #999}
.lb thead th[data-col=score]{background:#f3f3f3}
img.heatmap{max-width:100%;border:1px solid #ddd;margin:.5rem 0}
.lb tr.baseline th{font-weight:600}
.lb td.missing{background:#fff}
.lb td.score{background:#f6f6f6}
.lb td.neutral{color:#444}
.lb .n,.lb .cov{font-size:85%;opacity:.8}
.badge{display:inline-block;font-size:75%;padding:0 5px;margin-left:4px;border-radius:8px;background:#ddd;color:#111}
.lb a.layers{font-size:80%;margin-left:6px}
.legend .swatch{display:inline-block;width:1.1em;height:.9em;vertical-align:middle;border:1px solid #999}
.published h2{color:#5a3e00}
.published table.lb{border:2px dashed #b08900}
figure{display:inline-block;margin:.5rem 1rem .5rem 0;vertical-align:top}
figure img{max-width:520px;border:1px solid #ddd}
figcaption{font-size:12px;max-width:520px}
"""

_JS = """
(function () {
  "use strict";
  function key(cell, kind) {
    var v = cell ? cell.getAttribute("data-value") : null;
    if (v === null || v === "") return null;
    return kind === "text" ? v : parseFloat(v);
  }
  function sortBy(table, th) {
    var idx = th.cellIndex, kind = th.getAttribute("data-sort");
    var natural = (kind === "text" || th.getAttribute("data-better") === "low") ? "ascending" : "descending";
    var current = th.getAttribute("aria-sort");
    var dir = current === natural ? (natural === "ascending" ? "descending" : "ascending") : natural;
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var pos = new Map();
    rows.forEach(function (r, i) { pos.set(r, i); });
    rows.sort(function (a, b) {
      var x = key(a.cells[idx], kind), y = key(b.cells[idx], kind);
      if (x === null || y === null) {
        if (x === null && y === null) return pos.get(a) - pos.get(b);
        return x === null ? 1 : -1;
      }
      var c = kind === "text" ? x.localeCompare(y) : x - y;
      if (dir === "descending") c = -c;
      return c || pos.get(a) - pos.get(b);
    });
    rows.forEach(function (r) { body.appendChild(r); });
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (h) {
      if (h.hasAttribute("data-sort")) h.setAttribute("aria-sort", "none");
    });
    th.setAttribute("aria-sort", dir);
  }
  document.querySelectorAll("table.lb").forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      if (!th.hasAttribute("data-sort")) return;
      th.tabIndex = 0;
      th.addEventListener("click", function () { sortBy(table, th); });
      th.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); sortBy(table, th); }
      });
    });
  });
})();
"""


def _header_attrs(c) -> str:
    better = "high" if c.higher_is_better else "low"
    title = f'{c.label} {c.metric_label}, {"higher" if c.higher_is_better else "lower"} is better'
    return (f'scope="col" data-col="{c.key}" data-sort="num" data-better="{better}" aria-sort="none" '
            f'title="{e(title)}"')


_SCORE_HEAD = 'scope="col" data-col="score" data-sort="num" data-better="high" aria-sort="none"'
_CORNER = 'scope="col" data-sort="text" aria-sort="none"'


def _render(styler: Styler, attrs: dict[str, str], row_attrs: list[str], corner: str) -> str:
    """Render a styler whose columns are metric keys (+ "score") through the board template."""
    keys = list(styler.data.columns)
    for j, key in enumerate(keys):
        attrs[f"level0_col{j}"] = _SCORE_HEAD if key == "score" else _header_attrs(COLUMN_BY_KEY[key])
    headers = ["SUPERB score \u2191" if k == "score" else COLUMN_BY_KEY[k].header for k in keys]
    styler = styler.relabel_index(headers, axis=1)
    return styler.to_html(attrs=attrs, row_attrs=row_attrs, corner=_CORNER, corner_text=e(corner),
                          table_attributes=styler.table_attributes)


def _row_header(table: Table, rid: str, assets: TableAssets) -> str:
    """Escaped label, baseline badge, link to the row's layer pictures."""
    html = f'<span class="name">{e(table.rows.at[rid, "label"])}</span>'
    if table.rows.at[rid, "is_baseline"]:
        html += '<span class="badge">baseline</span>'
    pics = assets.layers.get(rid)
    if pics and pics.heatmap:
        html += f'<a class="layers" href="{e(pics.heatmap)}" title="layer pictures per task">layers</a>'
    for task, path in pics.profiles if pics else []:
        html += (f'<a class="layers" href="{e(path)}" title="superb profile: {e(task_name(task))} score of each '
                 f'layer alone">{e(task_name(task))} profile</a>')
    return html


def _table_styler(table: Table, assets: TableAssets) -> str:
    keys = [c.key for c in COLUMNS]
    rids = list(table.rows.index)
    text = pd.DataFrame("", index=rids, columns=keys + ["score"])
    css = pd.DataFrame("", index=rids, columns=text.columns)
    classes = pd.DataFrame("missing", index=rids, columns=text.columns)
    attrs: dict[str, str] = {}
    for i, rid in enumerate(rids):
        row = table.rows.loc[rid]
        for j, c in enumerate(COLUMNS):
            cell = table.cell(rid, c.key)
            if cell is None:
                attrs[f"row{i}_col{j}"] = f'data-col="{c.key}" title="no run"'
                continue
            worse, strength = bool(cell["worse"]), float(cell["strength"])
            n = f'<span class="n"> (n={cell["n"]})</span>' if cell["n"] > 1 else ""
            mark = cell_marks(cell)
            text.iat[i, j] = e(cell_text(c, cell)) + mark + n
            css.iat[i, j] = f"background-color: {background(worse, strength)}; color: {foreground(worse, strength)}"
            classes.iat[i, j] = "worse" if worse else ("neutral" if pd.isna(strength) else "shaded")
            attrs[f"row{i}_col{j}"] = (f'data-col="{c.key}" data-value="{float(cell["mean"])!r}" '
                                       f'title="{e(cell_info(cell))}"')
        j = len(COLUMNS)
        if pd.notna(row["score"]):
            text.iat[i, j] = f'{row["score"]:.0f} <span class="cov">({e(coverage(row["covered"]))})</span>'
            classes.iat[i, j] = "score"
            attrs[f"row{i}_col{j}"] = (f'data-col="score" data-value="{float(row["score"])!r}" '
                                       f'title="tasks: {e(", ".join(row["covered"]))}"')
        else:
            classes.iat[i, j] = "score missing"
            attrs[f"row{i}_col{j}"] = 'data-col="score"'
        attrs[f"level0_row{i}"] = f'scope="row" data-value="{e(row["label"])}" title="{e(row["label"])}"'
    labels = {rid: _row_header(table, rid, assets) for rid in rids}
    styler = (BoardStyler(text, uuid=table.slug, cell_ids=True)
              .set_table_attributes(f'class="lb" data-table="{e(table.slug)}"')
              .apply(lambda _: css, axis=None)
              .set_td_classes(classes)
              .format_index(lambda rid: labels[rid], axis=0))
    row_attrs = [(' class="baseline"' if table.rows.at[rid, "is_baseline"] else "") + f' data-row="{e(rid)}"'
                 for rid in rids]
    return _render(styler, attrs, row_attrs, "Upstream")


def _legend(table: Table) -> str:
    base = e(table.baseline_label)
    return ('<p class="legend"><span class="swatch" style="background:#000"></span> worse than the baseline '
            f'(<b>{base}</b>) on that task &nbsp; '
            '<span class="swatch" style="background:#e5f5e0"></span>&hellip;'
            '<span class="swatch" style="background:#00441b"></span> as good as the baseline or better; '
            'darker = closer to the best in the column &nbsp; white with a value: not shaded (no baseline run '
            'on that task, so no reference) &nbsp; <span class="swatch" style="background:#fff"></span> '
            'empty: no run (never counted as zero). Values: test set, % except QbE (MTWV); '
            '&plusmn; = sample standard deviation over seeds; (n=k) = seeds; \u2020 = protocol differs from the '
            'published one (see the score note); \u2021 = stopped while dev was still improving '
            '(converged: false: the value measures the step budget too). Click a header to sort.</p>')


def render_table(table: Table, assets: TableAssets) -> str:
    """One table as an HTML ``<section>``: heat map picture, sortable table, notes, layer pictures."""
    out = [f'<section class="board" id="table-{e(table.slug)}">', f"<h2>{e(table.title)}</h2>"]
    corpora = "; ".join(f"{e(task_name(t))}: {e(table.corpora[t])}" for t in TASKS if t in table.corpora)
    out.append(f'<p class="corpora">Corpora: {corpora}</p>')
    out.append(f'<div class="wrap">{_table_styler(table, assets)}</div>')
    out.append(_legend(table))
    out.append(f'<p class="score-note">{e(table.score_note)}</p>')
    if table.notes:
        out.append('<ul class="notes">' + "".join(f"<li>{e(n)}</li>" for n in table.notes) + "</ul>")
    out.append(f'<p><img class="heatmap" src="{e(assets.heatmap)}" alt="heat map of the {e(table.title)} table">'
               f'<br>Heat map: <a href="{e(assets.heatmap)}">{e(assets.heatmap)}</a> &middot; '
               f'CSV: <a href="{e(assets.csv)}">{e(assets.csv)}</a></p>')
    figures = []
    for rid, label in table.rows["label"].items():
        pics = assets.layers.get(rid)
        if not pics or not pics.heatmap:
            continue
        runs = ", ".join(f'<a href="{e(p)}">{e(task_name(t))} {e(run_id)}</a>' for t, run_id, p in pics.runs)
        if pics.profiles:
            runs += ". Score of each layer alone (superb profile): " + ", ".join(
                f'<a href="{e(p)}">{e(task_name(t))}</a>' for t, p in pics.profiles)
        figures.append(f'<figure id="layers-{e(table.slug)}-{e(rid)}"><a href="{e(pics.heatmap)}">'
                       f'<img src="{e(pics.heatmap)}" alt="layer pictures of {e(label)}" loading="lazy"></a>'
                       f"<figcaption>{e(label)}: tasks &times; layers. Per run: {runs}</figcaption></figure>")
    if figures:
        out.append("<details class=\"layers\"><summary>Layers (which layers each task uses)</summary>"
                   + "".join(figures) + "</details>")
    out.append("</section>")
    return "\n".join(out)


def render_published(score_reference: str) -> str:
    """The clearly separated published reference block (a Styler too)."""
    text, note = published_display(score_reference, task_notes())
    values = published_frame().assign(score=published_scores(task_notes())["score"])
    attrs = {f"row{i}_col{j}": f'data-col="{key}" data-value="{float(values.at[name, key])!r}"'
             for i, name in enumerate(text.index) for j, key in enumerate(text.columns)}
    attrs |= {f"level0_row{i}": f'scope="row" data-value="{e(name)}"' for i, name in enumerate(text.index)}
    styler = (BoardStyler(text.map(e), uuid="published", cell_ids=True)
              .set_table_attributes('class="lb published" data-table="published"')
              .format_index(e, axis=0))
    return "\n".join(['<section class="published" id="published">',
                      "<h2>Published reference rows (not measured here)</h2>",
                      f"<p>Copied from {e('; '.join(SOURCES))}. Shown for orientation only: never part of the "
                      "measured statistics, shading or best-measured reference above.</p>",
                      f"<p>{e(note)}</p>" if note else "",
                      f'<div class="wrap">{_render(styler, attrs, [""] * len(text), "Model (published)")}</div>',
                      "</section>"])


def render_html(tables: list[Table], assets: dict[str, TableAssets], *, published: bool,
                score_reference: str) -> str:
    """The whole page."""
    body = ["<h1>SUPERB leaderboard</h1>",
            "<p>Test-set results of frozen speech encoders. One table per corpus version: tables are never "
            f'merged. Also as <a href="{MARKDOWN}">Markdown</a> and <a href="{LATEX}">LaTeX</a>'
            + (f', published rows as <a href="{PUBLISHED_CSV}">CSV</a>' if published else "") + ".</p>"]
    body += [render_table(t, assets[t.slug]) for t in tables]
    if published:
        body.append(render_published(score_reference))
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<title>SUPERB leaderboard</title>\n"
            f"<style>{_CSS}</style>\n</head>\n<body>\n" + "\n".join(body)
            + f"\n<script>{_JS}</script>\n</body>\n</html>\n")
