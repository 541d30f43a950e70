"""Cross-validation over corpus groups: leave one group out (ER: the five IEMOCAP sessions).

The loader returns one split per group (``Session1`` .. ``Session5``). Fold ``k``
tests on the ``k``-th group (sorted by name); the utterances of the other groups,
in that order, are divided as s3prl's emotion recipe divides them: a permutation
drawn by ``torch.randperm`` from seed 0, the first ``int((1 - dev_fraction) * n)``
train, the rest dev. Every fold trains from the same feature cache; the result
holds each fold and their mean (the main metric, as s3prl's ``er.sh`` averages).

Task options (``options:`` in tasks.yaml): ``folds`` (how many groups the corpus
must have) and ``dev_fraction``; the run's ``config["fold"]`` (``--fold N``) runs
fold ``N`` alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import torch
from torch import Tensor

from benchmark.errors import UserError
from benchmark.features import FrameStore, SplitFeatures, StreamingFrames
from benchmark.problems import RunContext, Scored
from benchmark.training import TrainOutcome

DEV_SEED = 0  # s3prl: torch.manual_seed(0) before random_split, whatever the run's seed


def fold_indices(sizes: list[int], test: int, dev_fraction: float) -> dict[str, list[tuple[int, Tensor]]]:
    """Which utterances of which group make each split of the fold that tests on group ``test``.

    Args:
        sizes: utterances in each group.
        test: the held-out group (0-based).
    Returns:
        ``{"train" | "dev" | "test": [(group, indices within it), ...]}``: runs of one
        group each, in the drawn order (as ``random_split`` keeps it).
    """
    rest = [(g, i) for g, n in enumerate(sizes) if g != test for i in range(n)]
    order = torch.randperm(len(rest), generator=torch.Generator().manual_seed(DEV_SEED)).tolist()
    cut = int((1 - dev_fraction) * len(rest))
    return {"train": _runs([rest[i] for i in order[:cut]]), "dev": _runs([rest[i] for i in order[cut:]]),
            "test": [(test, torch.arange(sizes[test]))]}


def _runs(pairs: list[tuple[int, int]]) -> list[tuple[int, Tensor]]:
    """``(group, index)`` pairs as consecutive runs of one group each, order kept."""
    runs: list[tuple[int, list[int]]] = []
    for g, i in pairs:
        if runs and runs[-1][0] == g:
            runs[-1][1].append(i)
        else:
            runs.append((g, [i]))
    return [(g, torch.tensor(idx, dtype=torch.long)) for g, idx in runs]


def gather(parts: list[tuple[SplitFeatures, Tensor]]) -> SplitFeatures:
    """The features of the chosen utterances of several splits, concatenated in order."""
    pooled = torch.cat([f.pooled[i] for f, i in parts])
    lengths = torch.cat([f.lengths[i] for f, i in parts])
    sources = [f.frames for f, _ in parts]
    frames = None
    if all(isinstance(s, FrameStore) for s in sources):  # the splits of a run share one flat tensor
        offsets = torch.cat([s.offsets[i] for s, (_, i) in zip(sources, parts)])
        frames = FrameStore(sources[0].flat, lengths, offsets)
    elif all(isinstance(s, StreamingFrames) for s in sources):
        frames = StreamingFrames(sources[0].upstream, [s.utterances[j] for s, (_, i) in zip(sources, parts)
                                                       for j in i.tolist()], sources[0].strict_audio)
    return SplitFeatures(pooled, lengths, frames)


def fold_context(ctx: RunContext, groups: list[str], test: int, dev_fraction: float) -> RunContext:
    """``ctx`` narrowed to one fold: its train / dev / test splits and features, its own checkpoint."""
    picks = fold_indices([len(ctx.splits[g]) for g in groups], test, dev_fraction)
    splits = {split: [ctx.splits[groups[g]][j] for g, i in parts for j in i.tolist()]
              for split, parts in picks.items()}
    features = {split: gather([(ctx.features[groups[g]], i) for g, i in parts]) for split, parts in picks.items()}
    checkpoint = ctx.checkpoint.with_name(f"{ctx.checkpoint.stem}-fold{test + 1}{ctx.checkpoint.suffix}")
    return replace(ctx, splits=splits, features=features, checkpoint=checkpoint)


def cross_validate(score: Callable[[RunContext], Scored], ctx: RunContext) -> Scored:
    """Run ``score`` on every fold (or on ``config["fold"]`` alone) and combine the results.

    ``metrics`` are the means over the folds run; ``extra["folds"]`` lists each fold's
    held-out group, split sizes, metrics, best step and layer weights.
    """
    groups = sorted(ctx.splits)
    expected = int(ctx.spec.options["folds"])
    if len(groups) != expected:
        raise UserError(f"task {ctx.spec.name}: the corpus has {len(groups)} group(s) ({', '.join(groups)}), the "
                        f"task has {expected} folds; pass a complete corpus")
    chosen = ctx.config.get("fold")  # checked by the runner: 1 .. expected
    tests = [chosen - 1] if chosen is not None else list(range(expected))
    dev_fraction = float(ctx.spec.options.get("dev_fraction", 0.2))
    folds, runs = [], []
    for test in tests:
        if ctx.progress:
            print(f"fold {test + 1}/{expected}: test on {groups[test]}", flush=True)
        fold = fold_context(ctx, groups, test, dev_fraction)
        torch.manual_seed(ctx.config["seed"])  # each fold starts as its own run would (s3prl: one run per fold)
        run = score(fold)
        runs.append(run)
        folds.append({"fold": test + 1, "test_group": groups[test],
                      "sizes": {split: len(utts) for split, utts in fold.splits.items()},
                      "metrics": run.metrics, "best_step": run.outcome.best_step, "layer_weights": run.layer_weights})
    metrics = {part: {name: float(np.mean([r.metrics[part][name] for r in runs])) for name in runs[0].metrics[part]}
               for part in runs[0].metrics}
    outcomes = [r.outcome for r in runs]
    outcome = TrainOutcome(best_state={}, best_step=[o.best_step for o in outcomes],
                           best_dev=metrics["dev"][ctx.spec.metric],
                           history=[{"fold": f["fold"], **h} for f, o in zip(folds, outcomes) for h in o.history],
                           resumed_from=[o.resumed_from for o in outcomes],
                           train_seconds=sum(o.train_seconds for o in outcomes),
                           eval_seconds=sum(o.eval_seconds for o in outcomes))
    weights = [r.layer_weights for r in runs]
    return Scored(metrics=metrics, layer_weights=np.mean(weights, axis=0).tolist() if weights[0] else None,
                  outcome=outcome, test_seconds=sum(r.test_seconds for r in runs),
                  extra={**runs[0].extra, "folds": folds})
