"""Small matplotlib helpers shared by the PNG outputs.

Figures are made with the object-oriented API (``matplotlib.figure.Figure``,
Agg canvas), so nothing touches pyplot's global state or the user's backend.
matplotlib is imported only when a picture is drawn.
"""

from __future__ import annotations

from pathlib import Path


def new_figure(width: float, height: float):
    """A detached Agg figure of the given size in inches."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def save(fig, path: Path, *, tight: bool = True) -> Path:
    """Write ``fig`` as PNG (parent directories created) and return ``path``.

    ``tight`` crops to the drawn content, which costs a second layout pass;
    figures with a fixed layout (the many per-run charts) skip it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png", bbox_inches="tight" if tight else None, metadata={"Software": None})
    return path


def plain(text: str, limit: int = 48) -> str:
    """Make user text safe for matplotlib: no mathtext, one line, bounded length.

    matplotlib treats ``$...$`` as math; escaping every ``$`` keeps names
    such as ``"50% $x_1$"`` literal.
    """
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1] + "\u2026"
    return text.replace("$", r"\$")
