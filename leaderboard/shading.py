"""Cell shading, as in the SUPERB talk.

Within one column:

* a cell strictly worse than the baseline row's value is *black*
  (ties are not worse);
* every other cell gets a strength in [0, 1] on a colour scale within the
  column: 0 = the baseline's value, 1 = the best value in the column;
  stronger = better;
* if the baseline has no value in the column, nothing is black and the
  strength runs from the column's worst (0) to its best (1) value;
* a column whose values cannot be ranked (all equal, or a single value
  without baseline) gets strength 0.5;
* missing cells have no shade (blank).

Values compared are the means over seeds. The colour ramp follows
matplotlib's sequential "Greens" map, reproduced here so that the text
formats need no plotting library.
"""

from __future__ import annotations

from dataclasses import dataclass

from .columns import Column

BLACK = "#000000"
WHITE = "#ffffff"
# matplotlib "Greens" anchors from light to dark; the ramp starts above
# white so a baseline-level cell is still distinguishable from a blank one.
_RAMP = ((0xE5, 0xF5, 0xE0), (0xC7, 0xE9, 0xC0), (0xA1, 0xD9, 0x9B), (0x74, 0xC4, 0x76),
         (0x41, 0xAB, 0x5D), (0x23, 0x8B, 0x45), (0x00, 0x6D, 0x2C), (0x00, 0x44, 0x1B))


@dataclass(frozen=True)
class Shade:
    """How to paint one non-missing cell."""

    worse: bool
    strength: float  # 0..1, meaningful when not worse

    @property
    def background(self) -> str:
        """Background colour as ``#rrggbb``."""
        return BLACK if self.worse else ramp(self.strength)

    @property
    def foreground(self) -> str:
        """Text colour readable on the background."""
        return WHITE if self.worse or self.strength > 0.6 else BLACK


def ramp(t: float) -> str:
    """Colour for strength ``t`` in [0, 1] (linear interpolation of the anchors)."""
    t = min(1.0, max(0.0, t))
    pos = t * (len(_RAMP) - 1)
    i = min(int(pos), len(_RAMP) - 2)
    f = pos - i
    a, b = _RAMP[i], _RAMP[i + 1]
    return "#" + "".join(f"{round(x + (y - x) * f):02x}" for x, y in zip(a, b, strict=True))


def shade_column(column: Column, values: dict[str, float], baseline: float | None) -> dict[str, Shade]:
    """Shade one column.

    ``values`` maps row ids to the cell value (rows without a value are
    absent and stay blank); ``baseline`` is the baseline row's value or None.
    """
    if not values:
        return {}
    vals = list(values.values())
    best = max(vals) if column.higher_is_better else min(vals)
    if baseline is not None:
        low = baseline
    else:
        low = min(vals) if column.higher_is_better else max(vals)
    span = best - low
    out: dict[str, Shade] = {}
    for rid, v in values.items():
        if baseline is not None and column.better(baseline, v):
            out[rid] = Shade(True, 0.0)
        elif span == 0:
            out[rid] = Shade(False, 0.0 if baseline is not None else 0.5)
        else:
            out[rid] = Shade(False, min(1.0, max(0.0, (v - low) / span)))
    return out


#: Glyphs for the Markdown strength marker, weakest to strongest.
BARS = "\u2581\u2582\u2583\u2584\u2585\u2586\u2587\u2588"
#: Marker for cells worse than the baseline (Markdown, CSV-free formats).
WORSE_MARK = "\u2b1b"


def bar(strength: float) -> str:
    """One bar glyph for a strength in [0, 1]."""
    return BARS[min(len(BARS) - 1, int(strength * len(BARS)))]
