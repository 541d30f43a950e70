"""Layer-weight pictures: which upstream layers each task learned to use.

For every row of a table:

* one bar chart per run shown in the table (the learned softmax weights of
  the weighted-sum featurizer, with the uniform 1/L level dashed);
* one tasks x layers heat map (per task, mean weights over the seeds shown).

Runs without ``layer_weights`` (e.g. a last-layer featurizer) or with a
single layer (fbank: the weight is always 1) draw nothing.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from .assets import LayerPictures
from .columns import TASKS
from .plotting import new_figure, plain, save
from .table import Table, slugify


def _task_name(task: str) -> str:
    return "QbE" if task == "qbe" else task.upper()


def draw_run_weights(label: str, task: str, run_id: str, weights: tuple[float, ...], path: Path) -> Path:
    """Bar chart of one run's layer weights."""
    n = len(weights)
    width = max(3.6, 0.22 * n + 1.6)
    fig = new_figure(width, 2.4)
    fig.subplots_adjust(left=0.75 / width, right=1 - 0.15 / width, bottom=0.2, top=0.86)
    ax = fig.add_subplot()
    ax.bar(range(n), weights, color="#238b45")
    ax.axhline(1.0 / n, color="#777777", linestyle="--", linewidth=0.8, label="uniform")
    ax.set_xlabel("layer", fontsize=8)
    ax.set_ylabel("weight", fontsize=8)
    ax.set_xticks(range(n))
    ax.tick_params(labelsize=6 if n > 14 else 8)
    ax.set_ylim(0, 1.3 * max(max(weights), 1.0 / n))
    ax.legend(fontsize=7, frameon=False, loc="upper right")
    ax.set_title(f"{plain(label, 40)} \u00b7 {_task_name(task)} \u00b7 run {plain(run_id, 16)}", fontsize=8)
    return save(fig, path, tight=False)


def draw_row_heatmap(label: str, weights: dict[str, tuple[float, ...]], path: Path) -> Path:
    """Tasks x layers heat map; ``weights`` maps task -> mean weights."""
    import numpy as np

    tasks = [t for t in TASKS if t in weights]
    n_layers = max(len(w) for w in weights.values())
    data = np.full((len(tasks), n_layers), np.nan)
    for i, t in enumerate(tasks):
        data[i, : len(weights[t])] = weights[t]
    fig = new_figure(max(3.5, 0.32 * n_layers + 2.2), 0.38 * len(tasks) + 1.4)
    ax = fig.add_subplot()
    im = ax.imshow(np.ma.masked_invalid(data), cmap="Greens", aspect="auto", vmin=0, interpolation="nearest")
    ax.set_yticks(range(len(tasks)))
    ax.set_yticklabels([_task_name(t) for t in tasks], fontsize=8)
    ax.set_xticks(range(n_layers))
    ax.tick_params(axis="x", labelsize=6 if n_layers > 14 else 8)
    ax.set_xlabel("layer", fontsize=8)
    if n_layers <= 16:
        vmax = np.nanmax(data)
        for i in range(len(tasks)):
            for j in range(n_layers):
                if not np.isnan(data[i, j]):
                    ax.text(j, i, f"{data[i, j]:.2f}", ha="center", va="center", fontsize=6,
                            color="white" if data[i, j] > 0.6 * vmax else "black")
    fig.colorbar(im, ax=ax, fraction=0.04, pad=0.02).ax.tick_params(labelsize=7)
    ax.set_title(f"{plain(label, 40)}: layer weights per task (mean over seeds)", fontsize=9)
    return save(fig, path)


def _has_weights(run) -> bool:
    return bool(run.layer_weights) and len(run.layer_weights) > 1


def _mean_weights(runs) -> tuple[float, ...] | None:
    ws = [r.layer_weights for r in runs if _has_weights(r)]
    if not ws:
        return None
    length = Counter(len(w) for w in ws).most_common(1)[0][0]
    ws = [w for w in ws if len(w) == length]
    return tuple(sum(col) / len(ws) for col in zip(*ws, strict=True))


def plan_layer_pictures(table: Table) -> dict[str, LayerPictures]:
    """Relative paths of every row's pictures (row id -> pictures); draws nothing.

    Per-run charts go to ``layers/<table>/<row>/<task>-<run_id>.png``, the
    tasks x layers map to ``layers/<table>/<row>.png``. Rows without layer
    weights get an empty entry.
    """
    pictures: dict[str, LayerPictures] = {}
    base = f"layers/{table.slug}"
    for row in table.rows:
        pics = LayerPictures()
        for task in TASKS:
            for run in row.runs.get(task, ()):
                if _has_weights(run):
                    pics.runs.append((task, run.run_id, f"{base}/{row.rid}/{task}-{slugify(run.run_id)}.png"))
        if pics.runs:
            pics.heatmap = f"{base}/{row.rid}.png"
        pictures[row.rid] = pics
    return pictures


def draw_layer_pictures(table: Table, out: Path) -> tuple[dict[str, LayerPictures], list[Path]]:
    """Draw every row's pictures under ``out`` as planned by :func:`plan_layer_pictures`.

    Returns the plan (for links) and the written files.
    """
    plan = plan_layer_pictures(table)
    written: list[Path] = []
    for row in table.rows:
        pics = plan[row.rid]
        runs = {(r.task, r.run_id): r for rs in row.runs.values() for r in rs}
        for task, run_id, rel in pics.runs:
            run = runs[(task, run_id)]
            written.append(draw_run_weights(row.label, task, run_id, run.layer_weights, out / rel))
        means = {t: m for t in TASKS if (m := _mean_weights(row.runs.get(t, ())))}
        if pics.heatmap and means:
            written.append(draw_row_heatmap(row.label, means, out / pics.heatmap))
    return plan, written
