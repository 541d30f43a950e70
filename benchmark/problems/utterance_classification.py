"""Utterance classification (KS, IC, ER, SID): featurizer + head, cross-entropy.

The head sees either per-utterance per-layer means (pooled path) or padded frames
(frame path); see :mod:`benchmark.runner`. A label may be several values, one per
softmax group (``options.label_groups``; IC: action, object, location), and the task
may be cross-validated over corpus groups (``options.folds``; ER's sessions).
"""

from __future__ import annotations

import time
import numpy as np
import torch
from torch import Tensor, nn

from benchmark.corpora.base import Utterance
from benchmark.devices import module_device
from benchmark.errors import UserError
from benchmark.featurizer import Featurizer
from benchmark.features import SplitFeatures
from benchmark.metrics import METRICS
from benchmark.problems import RunContext, Scored
from benchmark.training import TrainSettings, train

EVAL_CHUNK = 256  # utterances per forward pass when evaluating on frames


class UtteranceClassifier(nn.Module):
    """Featurizer followed by an utterance-level head.

    Args:
        featurizer: combines ``(..., layers, dim)`` into ``(..., dim)``.
        head: has ``forward(frames (batch, frames, dim), lengths (batch,))`` and, when
            ``pooled_equivalent``, ``forward_pooled(means (batch, dim))``; both return logits.
    """

    def __init__(self, featurizer: Featurizer, head: nn.Module):
        super().__init__()
        self.featurizer = featurizer
        self.head = head

    def pooled_logits(self, means: Tensor) -> Tensor:
        """``(batch, layers, dim)`` per-layer utterance means to ``(batch, classes)``."""
        return self.head.forward_pooled(self.featurizer(means))

    def frame_logits(self, frames: Tensor, lengths: Tensor) -> Tensor:
        """``(batch, frames, layers, dim)`` and ``(batch,)`` valid frames to ``(batch, classes)``."""
        return self.head(self.featurizer(frames), lengths)


def logits_fn(model: UtteranceClassifier, feats: SplitFeatures, pooled: bool):
    """``index (batch,) -> logits (batch, classes)`` on one split, by the chosen path, on the model's device."""
    device = module_device(model)
    if pooled:
        return lambda index: model.pooled_logits(feats.pooled[index].to(device))

    def frame_logits(index: Tensor) -> Tensor:
        frames, lengths = feats.frames.batch(index)
        return model.frame_logits(frames.to(device), lengths.to(device))

    return frame_logits


def predict(logits, size: int, pooled: bool, groups: list[int]) -> Tensor:
    """``(size, len(groups))`` argmax class of each softmax group for every utterance of a split.

    The logits of a group are the next ``groups[g]`` columns; one product on the pooled path.
    """
    def argmax(index: Tensor) -> Tensor:
        return torch.stack([g.argmax(-1) for g in logits(index).split(groups, dim=-1)], dim=-1)

    if pooled:
        return argmax(torch.arange(size))
    return torch.cat([argmax(torch.arange(i, min(i + EVAL_CHUNK, size))) for i in range(0, size, EVAL_CHUNK)])


def draw_batches(labels: np.ndarray, sampler: str, rows: int, batch_size: int, seed: int) -> np.ndarray:
    """``(rows, batch_size)`` training indices; ``class_balanced`` weights each example by 1 / its class count."""
    if sampler == "class_balanced":
        counts = np.bincount(labels)
        weights = 1.0 / counts[labels]
    else:
        weights = np.ones(len(labels))
    rng = np.random.default_rng(seed)
    return rng.choice(len(labels), size=(rows, batch_size), p=weights / weights.sum())


def encode_labels(splits: dict[str, list[Utterance]], groups: list[str] | None = None
                  ) -> tuple[list[list[str]], dict[str, np.ndarray]]:
    """Each group's classes (sorted, from train) and per split ``(utterances, groups)`` class indices.

    Without ``groups`` a label is one class; with ``groups`` (``options.label_groups``,
    IC: action, object, location) it is a tuple of one value per group.
    """
    def values(u: Utterance) -> tuple[str, ...]:
        if groups is None:
            return (str(u.label),)
        if not isinstance(u.label, tuple) or len(u.label) != len(groups):
            raise UserError(f"{u.path}: label {u.label!r} is not one value for each of {', '.join(groups)}; "
                            f"fix the corpus or the task's options.label_groups")
        return tuple(str(v) for v in u.label)

    rows = {split: [values(u) for u in utts] for split, utts in splits.items()}
    classes = [sorted({r[g] for r in rows["train"]}) for g in range(len(groups or [None]))]
    index = [{c: i for i, c in enumerate(cs)} for cs in classes]
    encoded = {}
    for split, labels in rows.items():
        unknown = sorted({r[g] for r in labels for g in range(len(classes)) if r[g] not in index[g]})
        if unknown:
            raise UserError(f"corpus split {split!r} has labels never seen in train: {', '.join(unknown[:5])}; "
                            f"fix the corpus lists")
        encoded[split] = np.array([[index[g][r[g]] for g in range(len(classes))] for r in labels],
                                  dtype=np.int64).reshape(len(labels), len(classes))
    return classes, encoded


def score(ctx: RunContext) -> Scored:
    """Train on ``train``, select on ``dev``, score the best dev checkpoint on ``test``.

    With ``options.folds`` (ER) the corpus splits are groups (sessions) and every
    fold is trained and scored in turn (:func:`benchmark.folds.cross_validate`).
    """
    if ctx.spec.options.get("folds"):
        from benchmark.folds import cross_validate

        return cross_validate(score_split, ctx)
    return score_split(ctx)


def score_split(ctx: RunContext) -> Scored:
    """One train / dev / test run (see :func:`score`)."""
    spec, features, upstream, config = ctx.spec, ctx.features, ctx.upstream, ctx.config
    group_names = spec.options.get("label_groups")
    classes, labels = encode_labels(ctx.splits, group_names)
    groups = [len(c) for c in classes]
    pooled = config["path"] == "pooled"
    featurizer = Featurizer(upstream.num_layers, config["featurizer"], config["layer_norm"])
    num_classes = groups if group_names else groups[0]
    model = UtteranceClassifier(featurizer, ctx.head_cls(upstream.hidden_size, num_classes, **config["head_args"]))
    model.to(ctx.device)
    settings = TrainSettings.from_config(config)
    targets = {split: torch.from_numpy(y).to(ctx.device) for split, y in labels.items()}
    train_logits = logits_fn(model, features["train"], pooled)
    dev_logits = logits_fn(model, features["dev"], pooled)
    metric = METRICS[spec.metric]

    def loss_fn(index: Tensor) -> Tensor:
        """Cross entropy summed over the softmax groups (s3prl's fluent_commands), each a batch mean."""
        y = targets["train"][index]
        return sum(nn.functional.cross_entropy(g, y[:, k])
                   for k, g in enumerate(train_logits(index).split(groups, dim=-1)))

    def score(split: str, logits) -> float:
        """The metric over whole labels: with groups, right only when every group is right."""
        pred = predict(logits, len(labels[split]), pooled, groups)
        return metric([tuple(p) for p in pred.tolist()], [tuple(r) for r in labels[split].tolist()])

    whole_labels = np.unique(labels["train"], axis=0, return_inverse=True)[1].reshape(-1)  # class_balanced: per tuple
    batches = draw_batches(whole_labels, spec.sampler, settings.steps * settings.grad_accum,
                           settings.batch_size, settings.seed)
    outcome = train(model, loss_fn, lambda: score("dev", dev_logits), batches, settings,
                    spec.higher_is_better, ctx.checkpoint, ctx.progress)
    start = time.perf_counter()
    model.load_state_dict(outcome.best_state)
    with torch.no_grad():
        test = score("test", logits_fn(model, features["test"], pooled))
    return Scored(metrics={"dev": {spec.metric: outcome.best_dev}, "test": {spec.metric: test}},
                  layer_weights=model.featurizer.layer_weights(), outcome=outcome,
                  test_seconds=time.perf_counter() - start,
                  extra={"classes": dict(zip(group_names, classes)) if group_names else classes[0]})
