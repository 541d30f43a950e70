"""Speaker verification (ASV): embeddings trained as speaker classifiers, scored on trials.

The featurizer and the head (``embed`` / ``forward``, see :mod:`downstreams.xvector`)
train with AM-Softmax over the training speakers on random crops of at most
``options.train_crop_seconds`` (a new crop position every time an utterance is drawn,
taken from the cached frames). Evaluation embeds every whole utterance of a split,
L2-normalises the embeddings and scores each trial (the corpus's ``trials``, see
:class:`benchmark.corpora.base.TrialSplits`) by cosine similarity; the metrics are
EER and minDCF (``options.min_dcf``). The checkpoint with the best dev EER is scored
on test.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import Tensor, nn

from benchmark.bucketing import length_buckets
from benchmark.errors import CorpusError
from benchmark.featurizer import Featurizer
from benchmark.metrics import eer, min_dcf
from benchmark.problems import RunContext, Scored
from benchmark.problems.utterance_classification import draw_batches
from benchmark.training import TrainSettings, train
from downstreams.xvector import AMSoftmax

EVAL_BATCH = 16
EVAL_SECONDS = 320  # padded audio per evaluation batch, at most


class SpeakerEmbedder(nn.Module):
    """Featurizer, embedding head and the AM-Softmax over the training speakers."""

    def __init__(self, featurizer: Featurizer, head: nn.Module, loss: AMSoftmax):
        super().__init__()
        self.featurizer = featurizer
        self.head = head
        self.loss = loss

    def embed(self, frames: Tensor, lengths: Tensor) -> Tensor:
        """``(batch, frames, layers, dim)`` and ``(batch,)`` to L2-normalised ``(batch, embedding)``."""
        return nn.functional.normalize(self.head.embed(self.featurizer(frames), lengths), dim=1)

    def forward(self, frames: Tensor, lengths: Tensor, labels: Tensor) -> Tensor:
        """Mean AM-Softmax loss of a batch."""
        return self.loss(self.head(self.featurizer(frames), lengths), labels)


def random_crops(frames: Tensor, lengths: Tensor, crop: int, draws: Tensor) -> tuple[Tensor, Tensor]:
    """Each clip of ``(batch, frames, ...)`` cut to at most ``crop`` frames, starting at ``draws % (room + 1)``."""
    new_lengths = lengths.clamp(max=crop)
    starts = draws % (lengths - new_lengths + 1)
    out = frames.new_zeros(frames.shape[0], int(new_lengths.max()), *frames.shape[2:])
    for i, (start, n) in enumerate(zip(starts.tolist(), new_lengths.tolist())):
        out[i, :n] = frames[i, start:start + n]
    return out, new_lengths


def check_trials(ctx: RunContext) -> dict:
    trials = getattr(ctx.splits, "trials", {})
    for split in ("dev", "test"):
        if not trials.get(split):
            raise CorpusError(f"task {ctx.spec.name}: the corpus has no {split} trials; check its trial list")
    return trials


def score(ctx: RunContext) -> Scored:
    """Train on ``train``, pick the checkpoint by dev EER, score test trials with it."""
    spec, features, upstream, config = ctx.spec, ctx.features, ctx.upstream, ctx.config
    options = config["options"]
    trials = check_trials(ctx)
    speakers = sorted({u.speaker for u in ctx.splits["train"]})
    index = {s: i for i, s in enumerate(speakers)}
    labels = np.array([index[u.speaker] for u in ctx.splits["train"]])
    featurizer = Featurizer(upstream.num_layers, config["featurizer"], config["layer_norm"])
    head = ctx.head_cls(upstream.hidden_size, **config["head_args"])
    model = SpeakerEmbedder(featurizer, head, AMSoftmax(head.embedding_dim, len(speakers),
                                                        **options["am_softmax"])).to(ctx.device)
    settings = TrainSettings.from_config(config)
    crop = int(options["train_crop_seconds"] * 16000) // upstream.downsample_rate
    rows = settings.steps * settings.grad_accum
    index_rows = draw_batches(labels, spec.sampler, rows, settings.batch_size, settings.seed)
    crop_draws = np.random.default_rng([settings.seed, 1]).integers(0, 2**31, size=index_rows.shape)
    batches = np.stack([index_rows, crop_draws], axis=-1)  # (rows, batch, 2): utterance, crop position
    targets = torch.from_numpy(labels)
    max_frames = EVAL_SECONDS * 16000 // upstream.downsample_rate

    def loss_fn(batch: Tensor) -> Tensor:
        frames, lengths = features["train"].frames.batch(batch[:, 0])
        frames, lengths = random_crops(frames, lengths, crop, batch[:, 1])
        return model(frames.to(ctx.device), lengths.to(ctx.device), targets[batch[:, 0]].to(ctx.device))

    def embeddings(split: str) -> Tensor:
        """``(utterances, embedding)`` of every whole utterance of ``split``, on the CPU."""
        out = torch.zeros(len(ctx.splits[split]), head.embedding_dim)
        for batch in length_buckets(features[split].lengths.numpy(), EVAL_BATCH, max_frames):
            frames, lengths = features[split].frames.batch(torch.from_numpy(batch))
            out[torch.from_numpy(batch)] = model.embed(frames.to(ctx.device), lengths.to(ctx.device)).cpu()
        return out

    def trial_scores(split: str) -> tuple[np.ndarray, np.ndarray]:
        emb = embeddings(split)
        enrol = torch.tensor([t.enrol for t in trials[split]])
        test = torch.tensor([t.test for t in trials[split]])
        return (emb[enrol] * emb[test]).sum(1).numpy(), np.array([t.target for t in trials[split]])

    outcome = train(model, loss_fn, lambda: eer(*trial_scores("dev")), batches, settings,
                    spec.higher_is_better, ctx.checkpoint, ctx.progress)
    start = time.perf_counter()
    model.load_state_dict(outcome.best_state)
    model.eval()
    dcf = options["min_dcf"]
    metrics = {}
    with torch.no_grad():
        for split in ("dev", "test"):
            scores, target = trial_scores(split)
            metrics[split] = {"eer": eer(scores, target), "min_dcf": min_dcf(scores, target, **dcf)}
    return Scored(metrics=metrics, layer_weights=model.featurizer.layer_weights(), outcome=outcome,
                  test_seconds=time.perf_counter() - start,
                  extra={"speakers": {"train": len(speakers),
                                      **{f"{s}_trials": len(trials[s]) for s in ("dev", "test")}},
                         "min_dcf_costs": dcf})
