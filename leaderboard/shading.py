"""Cell shading, as in the SUPERB talk; colours only against a reference.

Within one column, when the baseline row has a value there:

* a cell strictly worse than the baseline's value is *black* (ties are not
  worse);
* every other cell gets a strength in [0, 1] on a green scale: 0 = the
  baseline's value, 1 = the best value in the column (all equal: 0).

When the baseline has no value in a column, nothing there is shaded
(strength NaN: a neutral white cell with its value): a scale from the
column's worst to its best value would paint a head that predicts nothing
green. Values compared are the means over seeds; blank cells have no shade.
The ramp follows matplotlib's sequential "Greens" map, reproduced here so that
the text formats need no plotting library.
"""

from __future__ import annotations

import math

import numpy as np

from .columns import COLUMN_BY_KEY

BLACK = "#000000"
WHITE = "#ffffff"
# matplotlib "Greens" anchors from light to dark; the ramp starts above
# white so a baseline-level cell is still distinguishable from a blank one.
_RAMP = ((0xE5, 0xF5, 0xE0), (0xC7, 0xE9, 0xC0), (0xA1, 0xD9, 0x9B), (0x74, 0xC4, 0x76),
         (0x41, 0xAB, 0x5D), (0x23, 0x8B, 0x45), (0x00, 0x6D, 0x2C), (0x00, 0x44, 0x1B))


def ramp(t: float) -> str:
    """Colour for strength ``t`` in [0, 1] (linear interpolation of the anchors)."""
    t = min(1.0, max(0.0, t))
    pos = t * (len(_RAMP) - 1)
    i = min(int(pos), len(_RAMP) - 2)
    f = pos - i
    a, b = _RAMP[i], _RAMP[i + 1]
    return "#" + "".join(f"{round(x + (y - x) * f):02x}" for x, y in zip(a, b, strict=True))


def background(worse: bool, strength: float) -> str:
    """Background ``#rrggbb`` of a cell: black, a green, or white when unshaded (NaN strength)."""
    if worse:
        return BLACK
    return WHITE if math.isnan(strength) else ramp(strength)


def foreground(worse: bool, strength: float) -> str:
    """Text colour readable on :func:`background`."""
    return WHITE if worse or (not math.isnan(strength) and strength > 0.6) else BLACK


def shade_cells(table) -> None:
    """Fill ``worse`` and ``strength`` of every cell of ``table`` (see module docstring)."""
    cells = table.cells
    cells["worse"] = False
    cells["strength"] = np.nan
    if table.baseline is None:
        return
    for key, col in cells.groupby(level="key")["mean"]:
        base = (table.baseline, key)
        if base not in cells.index:
            continue
        b = cells.at[base, "mean"]
        column = COLUMN_BY_KEY[key]
        best = col.max() if column.higher_is_better else col.min()
        worse = col < b if column.higher_is_better else col > b
        strength = ((col - b) / (best - b)).clip(0, 1) if best != b else col * 0.0
        cells.loc[col.index, "worse"] = worse
        cells.loc[col.index, "strength"] = strength.where(~worse, 0.0)


#: Glyphs for the Markdown strength marker, weakest to strongest.
BARS = "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588"
#: Marker for cells worse than the baseline (Markdown, CSV-free formats).
WORSE_MARK = "\u2b1b"


def bar(strength: float) -> str:
    """One bar glyph for a strength in [0, 1]; "" for an unshaded cell."""
    if math.isnan(strength):
        return ""
    return BARS[min(len(BARS) - 1, int(strength * len(BARS)))]
