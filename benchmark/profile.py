"""``superb profile``: which layer holds the information for a task.

The task's head is trained on each layer alone (``--featurizer layer:N`` for every N;
on the pooled path where the head allows it, so each costs about one pooled run) and
on the weighted sum. One picture shows the test score per layer, the weighted-sum
score as a line, and the weighted sum's learned softmax weights beside it (a learned
weight says little on its own: a layer with a large weight may carry little that the
head can use). A task that trains nothing (QbE) already scores every layer in one run;
its profile is that run's per-layer dev curve.

The weighted-sum run is an ordinary result (a leaderboard row); the single-layer runs,
``profile.json`` and ``profile.png`` go under ``<out>/profiles/<upstream>/<task>/``, which
the leaderboard reads for its profile links, not for rows.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from benchmark.errors import UserError


def run_profile(req, executor, *, write=print) -> Path:
    """Profile ``req.upstream`` on ``req.task`` (``req`` a :class:`benchmark.runner.RunRequest`); returns the picture."""
    from benchmark.results import slug, write_json_atomic
    from benchmark.runner import run
    from benchmark.sweep import Job
    from leaderboard.load import PROFILES

    whole = run(replace(req, featurizer="weighted_sum"))  # extracts every layer once
    result = whole.result
    metric, layers = result["main_metric"]["name"], result["upstream_info"]["num_layers"]
    write(f"weighted sum: test {metric} {result['metrics']['test'][metric]:.4f}")
    folder = Path(req.out) / PROFILES / slug(result["upstream"]) / result["task"]
    per_layer: dict[int, dict[str, float]] = {}
    if "qbe" in result:  # no training: the run searched every layer on dev
        per_layer = {int(k): {"dev": v} for k, v in result["qbe"]["dev_mtwv_per_layer"].items()}
    elif layers == 1:  # the layer alone is the weighted sum
        per_layer = {0: {s: result["metrics"][s][metric] for s in ("dev", "test")}}
    else:
        jobs = [Job("train", (replace(req, featurizer=f"layer:{n}", progress=False, out=folder.parent.parent),),
                    f"layer {n}", cpus=executor.threads) for n in range(layers)]

        def done(job: Job, outcome) -> None:
            if outcome.error is not None:
                raise UserError(f"profile: {job.label} failed: {outcome.error}")
            r = outcome.results[0]
            n = int(r["config"]["featurizer"].split(":")[1])
            per_layer[n] = {split: r["metrics"][split][metric] for split in ("dev", "test")}
            write(f"[{len(per_layer)}/{layers}] layer {n}: test {metric} {per_layer[n]['test']:.4f}")

        with executor:
            executor.run(jobs, done)
    profile = {"upstream": result["upstream"], "upstream_id": result["upstream_id"], "task": result["task"],
               "metric": metric, "higher_is_better": result["main_metric"]["higher_is_better"],
               "weighted_sum": {s: result["metrics"][s][metric] for s in ("dev", "test")},
               "layer_weights": result.get("layer_weights"), "qbe": "qbe" in result,
               "per_layer": {str(n): per_layer[n] for n in sorted(per_layer)},
               "config": {k: result["config"].get(k) for k in ("lr", "seed", "steps", "path")}}
    write_json_atomic(profile, folder / "profile.json")
    picture = draw_profile(profile, folder / "profile.png")
    write(f"profile: {picture}")
    return picture


def draw_profile(profile: dict[str, Any], path: Path) -> Path:
    """Score per layer (bars), the weighted-sum score (a line) and the learned softmax weights (right)."""
    from leaderboard.plotting import new_figure, plain, save

    layers = sorted(int(n) for n in profile["per_layer"])
    split = "dev" if profile["qbe"] else "test"
    scores = [profile["per_layer"][str(n)][split] for n in layers]
    weights = profile["layer_weights"] or []
    fig = new_figure(10, 3.8)
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    left.bar(layers, scores, color="#4c72b0", label=f"layer alone ({split})")
    top = max(scores + ([] if profile["qbe"] else [profile["weighted_sum"]["test"]]), default=0.0)
    if not profile["qbe"]:
        left.axhline(profile["weighted_sum"]["test"], color="#c44e52", linewidth=2,
                     label=f"weighted sum (test) {profile['weighted_sum']['test']:.4f}")
    arrow = "higher is better" if profile["higher_is_better"] else "lower is better"
    left.set(xlabel="layer", ylabel=f"{profile['metric']} ({arrow})", xticks=layers,
             title=f"{profile['metric']} per layer" + (" (dev; the best is chosen)" if profile["qbe"] else ""))
    left.set_ylim(min(0.0, min(scores, default=0.0)), top * 1.25 if top > 0 else 1.0)  # room for the legend
    left.legend(loc="upper right", fontsize=8)
    if weights:
        right.bar(range(len(weights)), weights, color="#55a868")
        right.axhline(1 / len(weights), color="gray", linestyle="--", linewidth=1, label="uniform 1/L")
        right.set_ylim(0, max(weights) * 1.25)
        right.set_xticks(range(len(weights)))
        right.legend(loc="upper right", fontsize=8)
    right.set(xlabel="layer", ylabel="softmax weight",
              title="chosen layer" if profile["qbe"] else "learned weighted-sum weights")
    fig.suptitle(plain(f"{profile['upstream']} on {profile['task']}", 80), fontsize=11, y=1.02)
    return save(fig, path)
