"""Transcription with CTC (PR, ASR, SF): featurizer + frame-level head, greedy decoding.

Targets come from each utterance's transcript (``Utterance.label``) as the units of
``options.units`` (``phones``, ``characters`` or ``slots``, see :mod:`benchmark.transcripts`).
Training batches are length-bucketed (:mod:`benchmark.bucketing`); SpecAugment
(``options.specaugment``) is applied to the featurizer's output while training, after
the optional per-dimension standardisation with the training set's statistics
(``options.standardize``, :mod:`benchmark.standardizer`).
Evaluation decodes greedily (best path, repeats merged, blanks dropped) and scores
with the task's metric: PER for phones, WER (and CER) for characters, slot-type F1
(and slot-value CER) for slots.
"""

from __future__ import annotations

import time

import torch
from torch import Tensor, nn

from benchmark.bucketing import draw_bucketed, length_buckets
from benchmark.errors import CorpusError
from benchmark.featurizer import Featurizer
from benchmark.metrics import METRICS
from benchmark.problems import RunContext, Scored
from benchmark.specaugment import SpecAugment
from benchmark.standardizer import Standardizer, fit_standardizer
from benchmark.transcripts import Units, as_text, targets, units_for
from benchmark.training import TrainSettings, train

BATCH_SECONDS = 320
"""Padded audio per batch, at most (16 x 20 s): longer batches are cut smaller."""
EVAL_BATCH = 32
EXAMPLES = 5  # test transcripts shown in the result
BLANK = 0


class CtcModel(nn.Module):
    """Featurizer, optional standardisation and SpecAugment, then a CTC head; returns per-frame log-probabilities."""

    def __init__(self, featurizer: Featurizer, head: nn.Module, augment: SpecAugment | None = None,
                 standardizer: Standardizer | None = None):
        super().__init__()
        self.featurizer = featurizer
        self.standardizer = standardizer
        self.augment = augment
        self.head = head

    def forward(self, frames: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """``(batch, frames, layers, dim)`` and ``(batch,)`` to ``(batch, frames, outputs)`` log-probs and lengths."""
        features = self.featurizer(frames)
        if self.standardizer is not None:
            features = self.standardizer(features)
        if self.augment is not None:
            features = self.augment(features, lengths)
        logits, lengths = self.head(features, lengths)
        return logits.log_softmax(-1), lengths


def greedy_decode(log_probs: Tensor, lengths: Tensor) -> list[list[int]]:
    """Best path of each utterance: argmax per frame, repeats merged, blanks dropped."""
    best = log_probs.argmax(-1)
    decoded = []
    for path, n in zip(best, lengths.tolist()):
        ids = torch.unique_consecutive(path[:n])
        decoded.append(ids[ids != BLANK].tolist())
    return decoded


def encode_targets(units: Units, splits: dict[str, list]) -> dict[str, list[list[str]]]:
    """Every utterance's target symbols, split by split; an empty target is a corpus error."""
    encoded = {}
    for split, utts in splits.items():
        encoded[split] = [targets(units.name, str(u.label)) for u in utts]
        empty = [u for u, t in zip(utts, encoded[split]) if not t]
        if empty:
            raise CorpusError(f"{len(empty)} {split} utterance(s) have no {units.name} in their transcript, first "
                              f"{empty[0].uid} ({empty[0].path}); fix or remove them")
    return encoded


def score(ctx: RunContext) -> Scored:
    """Train on ``train``, select on ``dev``, decode ``dev`` and ``test`` with the best checkpoint."""
    spec, features, upstream, config = ctx.spec, ctx.features, ctx.upstream, ctx.config
    options = config["options"]
    units = units_for(options["units"], (str(u.label) for utts in ctx.splits.values() for u in utts))
    symbols = encode_targets(units, ctx.splits)
    references = {split: [as_text(units.name, s) for s in seqs] for split, seqs in symbols.items()}
    ids = {split: [torch.tensor(units.encode(s)) for s in seqs] for split, seqs in symbols.items()}
    augment = SpecAugment(**options["specaugment"]) if options.get("specaugment") else None
    featurizer = Featurizer(upstream.num_layers, config["featurizer"], config["layer_norm"])
    standardizer = (fit_standardizer(features["train"].frames.batch, len(ctx.splits["train"]), featurizer)
                    if options.get("standardize") else None)
    model = CtcModel(featurizer, ctx.head_cls(upstream.hidden_size, len(units), **config["head_args"]), augment,
                     standardizer)
    model.to(ctx.device)
    settings = TrainSettings.from_config(config)
    max_frames = BATCH_SECONDS * 16_000 // upstream.downsample_rate
    metric = METRICS[spec.metric]

    def loss_fn(index: Tensor) -> Tensor:
        frames, lengths = features["train"].frames.batch(index)
        log_probs, lengths = model(frames.to(ctx.device), lengths.to(ctx.device))
        target = [ids["train"][i] for i in index.tolist()]
        return nn.functional.ctc_loss(log_probs.transpose(0, 1), torch.cat(target).to(ctx.device), lengths,
                                      torch.tensor([len(t) for t in target], device=ctx.device), blank=BLANK,
                                      zero_infinity=True)

    def transcribe(split: str) -> list[str]:
        """Greedy hypotheses of every utterance of ``split``, in corpus order."""
        hyps: list[str] = [""] * len(ids[split])
        lengths = features[split].lengths.numpy()
        for batch in length_buckets(lengths, EVAL_BATCH, max_frames):
            frames, frame_lengths = features[split].frames.batch(torch.from_numpy(batch))
            log_probs, out_lengths = model(frames.to(ctx.device), frame_lengths.to(ctx.device))
            for i, decoded in zip(batch.tolist(), greedy_decode(log_probs, out_lengths)):
                hyps[i] = as_text(units.name, units.decode(decoded))
        return hyps

    batches = draw_bucketed(features["train"].lengths.numpy(), settings.batch_size, max_frames,
                            settings.steps * settings.grad_accum, settings.seed)
    outcome = train(model, loss_fn, lambda: metric(transcribe("dev"), references["dev"]), batches, settings,
                    spec.higher_is_better, ctx.checkpoint, ctx.progress)
    start = time.perf_counter()
    model.load_state_dict(outcome.best_state)
    model.eval()
    with torch.no_grad():
        hyps = {split: transcribe(split) for split in ("dev", "test")}
    names = [spec.metric, *(m for m in options.get("extra_metrics", []) if m != spec.metric)]
    metrics = {split: {name: METRICS[name](hyps[split], references[split]) for name in names} for split in hyps}
    examples = [{"uid": u.uid, "reference": r, "hypothesis": h}
                for u, r, h in zip(ctx.splits["test"], references["test"], hyps["test"])][:EXAMPLES]
    return Scored(metrics=metrics, layer_weights=model.featurizer.layer_weights(), outcome=outcome,
                  test_seconds=time.perf_counter() - start,
                  extra={"units": {"name": units.name, "symbols": list(units.symbols)},
                         "test_examples": examples})
