"""The SUPERB leaderboard: a pure function of a results folder.

``write_leaderboard(runs, out)`` scans ``runs`` for ``result.json`` files and
writes Markdown, HTML, CSV, LaTeX and PNG versions of the comparison table,
plus layer pictures. ``load_results(runs)`` gives the same results as a
long-form pandas DataFrame for your own analyses. See ``docs/leaderboard.md``.

Modules, one concept each:

* :mod:`.columns`  tasks and metric columns (order, direction, display units)
* :mod:`.load`     reading and validating result files into DataFrames
* :mod:`.table`    comparable tables, rows, cells, seed statistics (pandas)
* :mod:`.task_notes` per-task leaderboard settings from tasks.yaml
* :mod:`.shading`  black/green cell shading against the baseline
* :mod:`.score`    the SUPERB score with explicit task coverage
* :mod:`.published` the published reference rows
* :mod:`.render_markdown`, :mod:`.render_html`, :mod:`.render_csv`,
  :mod:`.render_latex`, :mod:`.heatmap`, :mod:`.layers`  the outputs
* :mod:`.assets`   output file names

No torch import anywhere; matplotlib is imported only to draw the PNGs.
"""

from __future__ import annotations

import difflib
import logging
from pathlib import Path

from benchmark.errors import UserError

from . import assets as _assets
from .heatmap import draw_heatmap
from .layers import draw_layer_pictures
from .load import find_profiles, find_result_files, load_results, load_runs
from .render_csv import render_csv, render_published_csv
from .render_html import render_html
from .render_latex import render_latex
from .render_markdown import render_markdown
from .score import SCORE_REFERENCES
from .table import Table, build_tables

__all__ = ["write_leaderboard", "build_tables", "load_results", "load_runs", "Table"]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="\n")
    return path


def write_leaderboard(
    runs: Path,
    out: Path,
    *,
    baseline: str = "fbank",
    published: bool = False,
    score_reference: str = "measured",
) -> list[Path]:
    """Write every leaderboard output for the results under ``runs`` into ``out``.

    ``baseline`` names the row cells are shaded against (matched on the
    upstream name, its id, or the row label); ``published`` adds the
    published reference block; ``score_reference`` is "measured" (best
    measured row = 1) or "published" (best published row = 1, published
    FBANK = 0). Returns the written files. Raises :class:`UserError` when
    ``runs`` is not a directory or holds no usable result, or an option is
    invalid. Unreadable result files are skipped with a warning.
    """
    runs, out = Path(runs), Path(out)
    if score_reference not in SCORE_REFERENCES:
        raise UserError(f"--score-reference must be one of {', '.join(SCORE_REFERENCES)}, not {score_reference!r}")
    if not runs.is_dir():
        raise UserError(f"runs directory {runs} does not exist; pass --runs DIR with the runner's results")
    if not find_result_files(runs):
        raise UserError(f"no result.json files under {runs}; run some tasks first or check --runs")
    loaded = load_runs(runs)
    if loaded.empty:
        raise UserError(f"no readable result.json under {runs} (all were skipped, see warnings above)")
    if out.exists() and not out.is_dir():
        raise UserError(f"--out {out} is a file, not a directory")
    out.mkdir(parents=True, exist_ok=True)

    tables = build_tables(loaded, baseline=baseline, score_reference=score_reference)
    if all(t.baseline is None for t in tables):
        names = sorted({u for t in tables for u in t.rows["upstream"]})
        close = difflib.get_close_matches(baseline, names, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        logging.getLogger("superb.leaderboard").warning(
            "baseline %r matches no upstream: no cell is shaded black%s", baseline, hint)
    written: list[Path] = []
    profiles = find_profiles(runs)
    table_assets = {}
    for t in tables:
        a = _assets.table_assets(t.slug)
        a.layers, pics = draw_layer_pictures(t, out, profiles)
        written += pics
        written.append(draw_heatmap(t, out / a.heatmap))
        written.append(_write(out / a.csv, render_csv(t)))
        table_assets[t.slug] = a
    opts = dict(published=published, score_reference=score_reference)
    written.append(_write(out / _assets.MARKDOWN, render_markdown(tables, table_assets, **opts)))
    written.append(_write(out / _assets.HTML, render_html(tables, table_assets, **opts)))
    written.append(_write(out / _assets.LATEX, render_latex(tables, **opts)))
    if published:
        written.append(_write(out / _assets.PUBLISHED_CSV, render_published_csv()))
    return written
