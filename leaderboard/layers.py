"""Layer pictures: which upstream layers each task uses.

For every row of a table:

* one chart per run shown in the table: the learned softmax weights of the
  weighted-sum featurizer as bars, coloured above / below the uniform weight
  1/L (dashed); for QbE, which trains nothing, the dev MTWV of every searched
  layer with the chosen layer marked ("chosen layer (dev MTWV per layer)");
* one tasks x layers heat map (per task, mean weights over the seeds shown),
  on a diverging scale centred on 1/L so near-uniform weights still show
  their pattern, with QbE's per-layer dev curve below it.

Runs without layer weights (a last-layer featurizer) or with a single layer
(fbank: the weight is always 1) draw nothing. Titles are wrapped and every
figure is cropped to its drawn content, so nothing is clipped.
"""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd

from .assets import LayerPictures
from .columns import TASKS
from .plotting import new_figure, plain, save
from .columns import task_name
from .table import Table, slugify

ABOVE, BELOW = "#b35806", "#542788"  # PuOr ends: above / below the uniform weight
QBE_TITLE = "chosen layer (dev MTWV per layer)"
MIN_HALF_RANGE = 1e-3  # colour scale of exactly uniform weights: +-0.001 around 1/L


def _title(text: str, width: int = 60) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _qbe_curve(run: pd.Series) -> dict[int, float] | None:
    curve = run.get("qbe_dev_per_layer")
    return curve if isinstance(curve, dict) and len(curve) > 1 else None


def has_picture(run: pd.Series) -> bool:
    """A run draws a chart: QbE with a per-layer curve, or learned weights over several layers."""
    if run["task"] == "qbe":
        return _qbe_curve(run) is not None
    w = run["layer_weights"]
    return isinstance(w, tuple) and len(w) > 1


def _draw_curve(ax, curve: dict[int, float]) -> None:
    layers, values = list(curve), list(curve.values())
    best = max(layers, key=lambda k: (curve[k], -k))
    ax.plot(layers, values, marker="o", color="#2171b5", linewidth=1.2, markersize=3)
    ax.plot([best], [curve[best]], marker="*", color="#cb181d", markersize=11, linestyle="none",
            label=f"chosen: layer {best}")
    ax.set_xlabel("layer", fontsize=8)
    ax.set_ylabel("dev MTWV", fontsize=8)
    ax.set_xticks(layers)
    ax.tick_params(labelsize=6 if len(layers) > 14 else 8)
    ax.legend(fontsize=7, frameon=False)


def _fixed_layout(fig, width: float, height: float, title: str) -> str:
    """Margins that hold the wrapped ``title`` (fontsize 8) without a tight-bbox pass; returns the title."""
    wrapped = _title(title, int(width * 14))  # ~14 characters per inch at fontsize 8
    lines = wrapped.count("\n") + 1
    fig.subplots_adjust(left=0.75 / width, right=1 - 0.15 / width, bottom=0.5 / height,
                        top=1 - (0.12 + 0.15 * lines) / height)
    return wrapped


def draw_run_chart(label: str, run: pd.Series, path: Path) -> Path:
    """One run's chart: weights vs uniform, or QbE's dev MTWV per layer.

    A fixed layout (margins sized for the wrapped title), since tables draw
    many of these and a tight bounding box costs a second layout pass.
    """
    head = f"{plain(label, 40)} \u00b7 {task_name(run['task'])} \u00b7 run {plain(run['run_id'], 16)}"
    qbe = run["task"] == "qbe"
    n = len(_qbe_curve(run)) if qbe else len(run["layer_weights"])
    width, height = max(3.6, 0.22 * n + 1.6), 2.8
    fig = new_figure(width, height)
    title = _fixed_layout(fig, width, height, f"{head}: {QBE_TITLE if qbe else 'learned layer weights'}")
    ax = fig.add_subplot()
    if qbe:
        _draw_curve(ax, _qbe_curve(run))
    else:
        weights = np.asarray(run["layer_weights"])
        ax.bar(range(n), weights, color=np.where(weights >= 1.0 / n, ABOVE, BELOW))
        ax.axhline(1.0 / n, color="#777777", linestyle="--", linewidth=0.8, label="uniform 1/L")
        ax.set_xlabel("layer", fontsize=8)
        ax.set_ylabel("weight", fontsize=8)
        ax.set_xticks(range(n))
        ax.tick_params(labelsize=6 if n > 14 else 8)
        ax.set_ylim(0, 1.3 * max(weights.max(), 1.0 / n))
        ax.legend(fontsize=7, frameon=False, loc="upper right")
    text = fig.suptitle(title, fontsize=8, y=1 - 0.06 / height, va="top")
    wide = text.get_window_extent(fig.canvas.get_renderer()).width
    if wide > 0.98 * fig.bbox.width:  # wide glyphs: shrink rather than clip
        text.set_fontsize(8 * 0.98 * fig.bbox.width / wide)
    return save(fig, path, tight=False)


def draw_row_heatmap(label: str, weights: dict[str, np.ndarray], qbe: dict[int, float] | None, path: Path) -> Path:
    """Tasks x layers weights, diverging around 1/L; QbE's dev curve below when present."""
    from matplotlib.colors import CenteredNorm

    tasks = [t for t in TASKS if t in weights]
    n_layers = max([len(w) for w in weights.values()] + [len(qbe) if qbe else 0])
    panels = int(bool(tasks)) + int(qbe is not None)
    fig = new_figure(max(4.2, 0.34 * n_layers + 2.6), (0.38 * len(tasks) + 1.5 if tasks else 0) + (2.3 if qbe else 0))
    axes = fig.subplots(panels, 1, squeeze=False)[:, 0]
    if tasks:
        ax = axes[0]
        data = np.full((len(tasks), n_layers), np.nan)
        for i, t in enumerate(tasks):
            data[i, : len(weights[t])] = weights[t]
        uniform = 1.0 / n_layers
        half = max(float(np.nanmax(np.abs(data - uniform))), MIN_HALF_RANGE)
        norm = CenteredNorm(vcenter=uniform, halfrange=half)
        im = ax.imshow(np.ma.masked_invalid(data), cmap="PuOr_r", norm=norm, aspect="auto",
                       interpolation="nearest")
        ax.set_yticks(range(len(tasks)))
        ax.set_yticklabels([task_name(t) for t in tasks], fontsize=8)
        ax.set_xticks(range(n_layers))
        ax.tick_params(axis="x", labelsize=6 if n_layers > 14 else 8)
        ax.set_xlabel("layer", fontsize=8)
        if n_layers <= 16:
            for i in range(len(tasks)):
                for j in range(n_layers):
                    if not np.isnan(data[i, j]):
                        far = abs(norm(data[i, j]) - 0.5) > 0.35
                        ax.text(j, i, f"{data[i, j]:.3f}", ha="center", va="center", fontsize=6,
                                color="white" if far else "black")
        bar = fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02)
        bar.ax.tick_params(labelsize=7)
        bar.set_label(f"weight (centre = uniform 1/L = {uniform:.3f})", fontsize=7)
        ax.set_title(_title(f"{plain(label, 40)}: learned layer weights per task (mean over seeds); "
                            "orange above uniform, purple below"), fontsize=9)
    if qbe is not None:
        ax = axes[-1]
        _draw_curve(ax, qbe)
        ax.set_title(_title(f"{plain(label, 40)} \u00b7 QbE: {QBE_TITLE}"), fontsize=9)
    fig.tight_layout()
    return save(fig, path)


def _mean_weights(runs: pd.DataFrame) -> np.ndarray | None:
    ws = [w for w in runs["layer_weights"] if isinstance(w, tuple) and len(w) > 1]
    if not ws:
        return None
    length = pd.Series([len(w) for w in ws]).mode()[0]
    return np.mean([w for w in ws if len(w) == length], axis=0)


def _mean_curve(runs: pd.DataFrame) -> dict[int, float] | None:
    curves = [c for c in runs["qbe_dev_per_layer"] if isinstance(c, dict) and len(c) > 1]
    return pd.DataFrame(curves).mean().sort_index().to_dict() if curves else None


def plan_layer_pictures(table: Table) -> dict[str, LayerPictures]:
    """Relative paths of every row's pictures (row id -> pictures); draws nothing.

    Per-run charts go to ``layers/<table>/<row>/<task>-<run_id>.png``, the
    tasks x layers map to ``layers/<table>/<row>.png``. Rows without layer
    pictures get an empty entry.
    """
    pictures: dict[str, LayerPictures] = {}
    base = f"layers/{table.slug}"
    order = {t: i for i, t in enumerate(TASKS)}
    runs = table.runs.assign(_t=table.runs["task"].map(order)).sort_values(["_t"], kind="stable")
    for rid in table.rows.index:
        pics = LayerPictures()
        for _, run in runs[runs["rid"] == rid].iterrows():
            if has_picture(run):
                pics.runs.append((run["task"], run["run_id"],
                                  f"{base}/{rid}/{run['task']}-{slugify(run['run_id'])}.png"))
        if pics.runs:
            pics.heatmap = f"{base}/{rid}.png"
        pictures[rid] = pics
    return pictures


def draw_layer_pictures(table: Table, out: Path, profiles: list[tuple[str, str, Path]] = ()
                        ) -> tuple[dict[str, LayerPictures], list[Path]]:
    """Draw every row's pictures under ``out`` as planned by :func:`plan_layer_pictures`, and copy in
    the ``superb profile`` pictures (``(upstream_id, task, png)``) of each row's upstream.

    Returns the plan (for links) and the written files.
    """
    plan = plan_layer_pictures(table)
    written: list[Path] = []
    for rid, upstream_id in table.rows["upstream_id"].items():
        for profile_id, task, png in profiles:
            if profile_id == upstream_id:
                rel = f"layers/{table.slug}/{rid}/profile-{task}.png"
                (out / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(png, out / rel)
                plan[rid].profiles.append((task, rel))
                written.append(out / rel)
    for rid, label in table.rows["label"].items():
        pics = plan[rid]
        if not pics.heatmap:
            continue
        runs = table.runs[table.runs["rid"] == rid]
        by_id = {(r["task"], r["run_id"]): r for _, r in runs.iterrows()}
        for task, run_id, rel in pics.runs:
            written.append(draw_run_chart(label, by_id[(task, run_id)], out / rel))
        trained = runs[runs["task"] != "qbe"]
        means = {t: m for t, g in trained.groupby("task") if (m := _mean_weights(g)) is not None}
        qbe = _mean_curve(runs[runs["task"] == "qbe"])
        written.append(draw_row_heatmap(label, means, qbe, out / pics.heatmap))
    return plan, written
