"""File names of everything the leaderboard writes, relative to the out dir.

Layout::

    leaderboard.md  leaderboard.html  leaderboard.tex
    leaderboard-<table>.csv   heatmap-<table>.png   published.csv
    layers/<table>/<row>.png                  tasks x layers heat map per upstream
    layers/<table>/<row>/<task>-<run_id>.png  one bar chart per run
    layers/<table>/<row>/profile-<task>.png   `superb profile` picture (score per layer), copied

``<table>`` is "real", "synthetic", "real-2", ...; ``<row>`` is a slug of the
upstream label with a short hash, so odd names give safe, unique file names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MARKDOWN = "leaderboard.md"
HTML = "leaderboard.html"
LATEX = "leaderboard.tex"
PUBLISHED_CSV = "published.csv"


@dataclass
class LayerPictures:
    """Layer-weight pictures of one row: the heat map and one chart per run."""

    heatmap: str | None = None
    runs: list[tuple[str, str, str]] = field(default_factory=list)  # (task, run_id, path)
    profiles: list[tuple[str, str]] = field(default_factory=list)  # (task, path) of `superb profile` pictures


@dataclass
class TableAssets:
    """Relative paths of one table's files."""

    csv: str
    heatmap: str
    layers: dict[str, LayerPictures] = field(default_factory=dict)  # row id -> pictures


def table_assets(slug: str) -> TableAssets:
    """Paths for the table with slug ``slug`` (layer pictures filled in later)."""
    return TableAssets(csv=f"leaderboard-{slug}.csv", heatmap=f"heatmap-{slug}.png")
