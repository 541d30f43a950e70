"""Standalone HTML page: real colours, escaped names, sortable columns.

One self-contained file (inline CSS and a small inline script, no network).
Every piece of user text goes through :func:`html.escape` (text and
attribute values); the script only reorders existing rows and never builds
markup from strings, so a name such as ``<script>alert(1)</script>`` shows as
text.

Cells carry ``data-col`` and ``data-value`` (stored units) attributes; cells
worse than the baseline also have class ``worse`` and a black background;
blank cells have class ``missing``. Clicking a header sorts by that column,
best first (blank cells always last); clicking again reverses.
"""

from __future__ import annotations

from html import escape

from .assets import LATEX, MARKDOWN, PUBLISHED_CSV, TableAssets
from .columns import COLUMNS, TASKS
from .published import SOURCES, published_reference, published_rows
from .score import superb_score
from .table import Table


def e(text: object) -> str:
    """Escape text for HTML content or a double-quoted attribute."""
    return escape(str(text), quote=True)


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:1.5rem;color:#111;
 max-width:1600px}
h1{font-size:1.5rem;margin:0 0 .5rem}
h2{font-size:1.2rem;margin:2rem 0 .4rem}
p,li{font-size:14px;line-height:1.45}
.wrap{overflow-x:auto}
table.lb{border-collapse:collapse;font-size:13px;font-variant-numeric:tabular-nums}
.lb th,.lb td{border:1px solid #c8c8c8;padding:4px 8px;text-align:right;white-space:nowrap}
.lb thead th{background:#f3f3f3;cursor:pointer;user-select:none;vertical-align:bottom}
.lb thead th:first-child{text-align:left}
.lb thead th:focus{outline:2px solid #238b45}
.lb thead th[aria-sort=ascending]::after{content:" \\25B2";font-size:70%}
.lb thead th[aria-sort=descending]::after{content:" \\25BC";font-size:70%}
.lb tbody th{text-align:left;font-weight:normal;background:#fff}
.lb tr.baseline th{font-weight:600}
.lb td.missing{background:#fff}
.lb td.score{background:#f6f6f6}
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


def _head_row(first: str, with_score: bool) -> str:
    cells = [f'<th scope="col" data-sort="text" aria-sort="none">{e(first)}</th>']
    for c in COLUMNS:
        better = "high" if c.higher_is_better else "low"
        cells.append(f'<th scope="col" data-sort="num" data-better="{better}" aria-sort="none" '
                     f'title="{e(c.label + " " + c.metric_label)}, '
                     f'{"higher" if c.higher_is_better else "lower"} is better">{e(c.header)}</th>')
    if with_score:
        cells.append('<th scope="col" data-sort="num" data-better="high" aria-sort="none">SUPERB score \u2191</th>')
    return "<tr>" + "".join(cells) + "</tr>"


def _legend(table: Table) -> str:
    base = e(table.baseline.label) if table.baseline else e(table.baseline_name) + " (missing)"
    return ('<p class="legend"><span class="swatch" style="background:#000"></span> worse than the baseline '
            f'(<b>{base}</b>) on that task &nbsp; '
            '<span class="swatch" style="background:#e5f5e0"></span>&hellip;'
            '<span class="swatch" style="background:#00441b"></span> as good as the baseline or better; '
            'darker = better within the column &nbsp; <span class="swatch" style="background:#fff"></span> '
            'no run (never counted as zero). Values: test set, % except QbE (MTWV); '
            '&plusmn; = sample standard deviation over seeds; (n=k) = seeds. Click a header to sort.</p>')


def render_table(table: Table, assets: TableAssets) -> str:
    """One table as an HTML ``<section>``."""
    out = [f'<section class="board" id="table-{e(table.slug)}">', f"<h2>{e(table.title)}</h2>"]
    corpora = "; ".join(f"{e(t.upper() if t != 'qbe' else 'QbE')}: {e(table.corpora[t].describe())}"
                        for t in TASKS if t in table.corpora)
    out.append(f'<p class="corpora">Corpora: {corpora}</p>')
    out.append(f'<div class="wrap"><table class="lb" data-table="{e(table.slug)}">')
    out.append("<thead>" + _head_row("Upstream", True) + "</thead><tbody>")
    for row in table.rows:
        pics = assets.layers.get(row.rid)
        label = e(row.label)
        if row.is_baseline:
            label += '<span class="badge">baseline</span>'
        if pics and pics.heatmap:
            label += f'<a class="layers" href="{e(pics.heatmap)}" title="layer weights per task">layers</a>'
        cls = ' class="baseline"' if row.is_baseline else ""
        tds = [f'<tr{cls} data-row="{e(row.rid)}"><th scope="row" data-value="{e(row.label)}">{label}</th>']
        for col in COLUMNS:
            cell = row.cells.get(col.key)
            shade = table.shade(row, col)
            if cell is None or shade is None:
                tds.append(f'<td data-col="{col.key}" class="missing" title="no run"></td>')
                continue
            n = f'<span class="n"> (n={cell.n})</span>' if cell.n > 1 else ""
            klass = "worse" if shade.worse else "shaded"
            tds.append(f'<td data-col="{col.key}" data-value="{cell.mean!r}" class="{klass}" '
                       f'style="background-color:{shade.background};color:{shade.foreground}" '
                       f'title="{e(cell.info())}">{e(cell.text())}{n}</td>')
        s = row.score
        if s is not None and s.value is not None:
            tds.append(f'<td data-col="score" class="score" data-value="{s.value!r}" '
                       f'title="tasks: {e(", ".join(s.covered))}">{s.value:.0f} '
                       f'<span class="cov">({e(s.coverage())})</span></td>')
        else:
            tds.append('<td data-col="score" class="score missing"></td>')
        out.append("".join(tds) + "</tr>")
    out.append("</tbody></table></div>")
    out.append(_legend(table))
    out.append(f'<p class="score-note">{e(table.score_note)}</p>')
    if table.notes:
        out.append('<ul class="notes">' + "".join(f"<li>{e(n)}</li>" for n in table.notes) + "</ul>")
    out.append(f'<p>Heat map: <a href="{e(assets.heatmap)}">{e(assets.heatmap)}</a> &middot; '
               f'CSV: <a href="{e(assets.csv)}">{e(assets.csv)}</a></p>')
    figures = []
    for row in table.rows:
        pics = assets.layers.get(row.rid)
        if not pics or not pics.heatmap:
            continue
        runs = ", ".join(f'<a href="{e(p)}">{e(t.upper())} {e(rid)}</a>' for t, rid, p in pics.runs)
        figures.append(f'<figure id="layers-{e(table.slug)}-{e(row.rid)}"><a href="{e(pics.heatmap)}">'
                       f'<img src="{e(pics.heatmap)}" alt="layer weights of {e(row.label)}" loading="lazy"></a>'
                       f"<figcaption>{e(row.label)}: tasks &times; layers. Per run: {runs}</figcaption></figure>")
    if figures:
        out.append("<details class=\"layers\"><summary>Layer weights (which layers each task uses)</summary>"
                   + "".join(figures) + "</details>")
    out.append("</section>")
    return "\n".join(out)


def render_published(score_reference: str) -> str:
    """The clearly separated published reference block."""
    with_score = score_reference == "published"
    out = ['<section class="published" id="published">', "<h2>Published reference rows (not measured here)</h2>",
           f"<p>Copied from {e('; '.join(SOURCES))}. Shown for orientation only: never part of the measured "
           "statistics, shading or best-measured reference above.</p>",
           '<div class="wrap"><table class="lb published" data-table="published">',
           "<thead>" + _head_row("Model (published)", with_score) + "</thead><tbody>"]
    ref = published_reference()
    for r in published_rows():
        tds = [f'<tr><th scope="row" data-value="{e(r.name)}">{e(r.name)}</th>']
        for c in COLUMNS:
            v = r.values[c.key]
            tds.append(f'<td data-col="{c.key}" data-value="{v!r}">{e(c.display(v))}</td>')
        if with_score:
            s = superb_score(r.values, ref)
            tds.append(f'<td data-col="score" data-value="{s.value!r}">{e(s.display())}</td>')
        out.append("".join(tds) + "</tr>")
    out.append("</tbody></table></div></section>")
    return "\n".join(out)


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
