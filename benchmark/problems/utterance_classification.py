"""Utterance classification (KS; later IC, SID, ER): featurizer + head, cross-entropy.

The head sees either per-utterance per-layer means (pooled path) or padded frames
(frame path); see :mod:`benchmark.runner`.
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


def predict(logits, size: int, pooled: bool) -> Tensor:
    """Argmax class of every utterance of a split of ``size`` (one product on the pooled path)."""
    if pooled:
        return logits(torch.arange(size)).argmax(-1)
    return torch.cat([logits(torch.arange(i, min(i + EVAL_CHUNK, size))).argmax(-1)
                      for i in range(0, size, EVAL_CHUNK)])


def draw_batches(labels: np.ndarray, sampler: str, rows: int, batch_size: int, seed: int) -> np.ndarray:
    """``(rows, batch_size)`` training indices; ``class_balanced`` weights each example by 1 / its class count."""
    if sampler == "class_balanced":
        counts = np.bincount(labels)
        weights = 1.0 / counts[labels]
    else:
        weights = np.ones(len(labels))
    rng = np.random.default_rng(seed)
    return rng.choice(len(labels), size=(rows, batch_size), p=weights / weights.sum())


def encode_labels(splits: dict[str, list[Utterance]]) -> tuple[list[str], dict[str, np.ndarray]]:
    classes = sorted({str(u.label) for u in splits["train"]})
    index = {c: i for i, c in enumerate(classes)}
    encoded = {}
    for split, utts in splits.items():
        unknown = sorted({str(u.label) for u in utts} - set(classes))
        if unknown:
            raise UserError(f"corpus split {split!r} has labels never seen in train: {', '.join(unknown[:5])}; "
                            f"fix the corpus lists")
        encoded[split] = np.array([index[str(u.label)] for u in utts])
    return classes, encoded


def score(ctx: RunContext) -> Scored:
    """Train on ``train``, select on ``dev``, score the best dev checkpoint on ``test``."""
    spec, features, upstream, config = ctx.spec, ctx.features, ctx.upstream, ctx.config
    classes, labels = encode_labels(ctx.splits)
    pooled = config["path"] == "pooled"
    featurizer = Featurizer(upstream.num_layers, config["featurizer"], config["layer_norm"])
    model = UtteranceClassifier(featurizer, ctx.head_cls(upstream.hidden_size, len(classes), **spec.head_args))
    model.to(ctx.device)
    settings = TrainSettings.from_config(config)
    targets = {split: torch.from_numpy(y).to(ctx.device) for split, y in labels.items()}
    train_logits = logits_fn(model, features["train"], pooled)
    dev_logits = logits_fn(model, features["dev"], pooled)
    metric = METRICS[spec.metric]

    def loss_fn(index: Tensor) -> Tensor:
        return nn.functional.cross_entropy(train_logits(index), targets["train"][index])

    def score(split: str, logits) -> float:
        return metric(predict(logits, len(labels[split]), pooled).tolist(), labels[split].tolist())

    batches = draw_batches(labels["train"], spec.sampler, settings.steps * settings.grad_accum,
                           settings.batch_size, settings.seed)
    outcome = train(model, loss_fn, lambda: score("dev", dev_logits), batches, settings,
                    spec.higher_is_better, ctx.checkpoint, ctx.progress)
    start = time.perf_counter()
    model.load_state_dict(outcome.best_state)
    with torch.no_grad():
        test = score("test", logits_fn(model, features["test"], pooled))
    return Scored(metrics={"dev": {spec.metric: outcome.best_dev}, "test": {spec.metric: test}},
                  layer_weights=model.featurizer.layer_weights(), outcome=outcome,
                  test_seconds=time.perf_counter() - start, extra={"classes": classes})
