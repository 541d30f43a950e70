"""Speaker diarization (SD): frame-level multi-label speaker activity, as s3prl's ``downstream/diarization``.

- Labels: one column per speaker of the recording (sorted ids), one row per upstream
  frame: ``int(duration * 16000 / stride)`` rows, a segment ``[st, et)`` covers
  rows ``rint(st * 16000 / stride)`` to ``rint(et * 16000 / stride)``. Features
  are cut or their last frame repeated to that length (s3prl ``_match_length``).
- Chunks: every recording is cut into ``options.chunk_size`` (2,000) frame chunks,
  the last one shorter; training draws batches of chunks, the LSTM sees each chunk
  on its own (also when predicting, as s3prl's test loader).
- Loss: permutation-invariant BCE (s3prl ``pit_loss``): per chunk, the speaker
  order with the lowest loss; summed over chunks and divided by valid frames.
- Checkpoint: the best dev frame accuracy (threshold 0.5, best permutation per
  chunk, averaged over chunks), as s3prl's ``log_records``.
- Scoring: sigmoid posteriors, threshold then median filter (s3prl ``make_rttm.py``),
  turns written as RTTM by pyannote; DER by :func:`benchmark.metrics.der`. The
  median filter x threshold pair is chosen on dev and applied to test (s3prl picks
  the best pair on test; the result also records that number).
"""

from __future__ import annotations

import io
import itertools
import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from benchmark.atomic import atomic_write
from benchmark.featurizer import Featurizer
from benchmark.features import FrameStore, SplitFeatures
from benchmark.metrics import der
from benchmark.problems import RunContext, Scored
from benchmark.training import TrainSettings, train

SAMPLE_RATE = 16_000
EVAL_BATCH = 16  # chunks per forward pass when predicting


@dataclass
class Chunks:
    """The chunks of one split: recording index, first frame and frame count of each, ``(chunks,)`` each."""

    recording: Tensor
    start: Tensor
    length: Tensor


def label_frames(recording, stride: int) -> np.ndarray:
    """``(frames, speakers)`` 0/1 float32 labels of a :class:`~benchmark.corpora.loaders.libri2mix.Recording`."""
    frames = int(recording.duration * SAMPLE_RATE / stride)
    labels = np.zeros((frames, 2), np.float32)
    for speaker, start, end in recording.turns:
        column = recording.speakers.index(speaker)
        first = int(np.rint(start * SAMPLE_RATE / stride))
        last = int(np.rint(end * SAMPLE_RATE / stride))
        labels[max(first, 0):max(last, 0), column] = 1
    return labels


def make_chunks(frames: list[int], size: int) -> Chunks:
    """Cut recordings of ``frames`` label frames each into chunks of ``size`` (the last shorter)."""
    rows = [(i, start, min(size, n - start)) for i, n in enumerate(frames) for start in range(0, n, size)]
    recording, start, length = (torch.tensor(column) for column in zip(*rows))
    return Chunks(recording, start, length)


class ChunkFeatures:
    """Gathers chunks of one split's features, padded to their label length.

    Beyond the last feature frame the last frame is repeated (s3prl ``_match_length``).
    """

    def __init__(self, features: SplitFeatures, chunks: Chunks):
        self.features, self.chunks = features, chunks

    def batch(self, index: Tensor) -> tuple[Tensor, Tensor]:
        """``(batch, frames, layers, dim)`` float32 and ``(batch,)`` label lengths of chunks ``index``."""
        recording, start, length = (t[index] for t in (self.chunks.recording, self.chunks.start, self.chunks.length))
        available = self.features.lengths[recording]
        start = torch.minimum(start, available - 1)
        source = self.features.frames
        if isinstance(source, FrameStore):
            x, _ = FrameStore(source.flat, torch.minimum(length, available - start),
                              source.offsets[recording] + start).batch(torch.arange(len(index)))
            offset = torch.zeros_like(start)
        else:  # streamed frames: whole recordings, then the chunk
            x, _ = source.batch(recording)
            offset = start
        steps = torch.arange(int(length.max()))
        position = torch.minimum(offset[:, None] + steps, offset[:, None] + torch.minimum(length, available - start)[:, None] - 1)
        x = x.gather(1, position[:, :, None, None].expand(-1, -1, *x.shape[2:]))
        return x, length


def pit_bce(logits: Tensor, labels: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
    """Permutation-invariant BCE (s3prl ``pit_loss``) and the best-permuted labels.

    Args:
        logits, labels: ``(batch, frames, speakers)``; lengths: ``(batch,)`` valid frames.
    Returns:
        the loss (sum over chunks of the best permutation's per-frame speaker-mean BCE,
        over the valid frames in all) and ``(batch, frames, speakers)`` labels in that order.
    """
    mask = (torch.arange(labels.shape[1], device=labels.device)[None, :] < lengths[:, None]).float()
    perms = list(itertools.permutations(range(labels.shape[2])))
    losses = torch.stack([
        (nn.functional.binary_cross_entropy_with_logits(logits, labels[:, :, p], reduction="none").mean(2)
         * mask).sum(1) for p in perms], dim=1)  # (batch, perms)
    best, which = losses.min(1)
    ordered = torch.stack([labels[i, :, perms[k]] for i, k in enumerate(which.tolist())])
    return best.sum() / lengths.sum(), ordered


class DiarizationModel(nn.Module):
    """Featurizer, then the frame-level head: ``(batch, frames, layers, dim)`` to ``(batch, frames, speakers)`` logits."""

    def __init__(self, featurizer: Featurizer, head: nn.Module):
        super().__init__()
        self.featurizer, self.head = featurizer, head

    def forward(self, frames: Tensor, lengths: Tensor) -> Tensor:
        return self.head(self.featurizer(frames), lengths)


def frames_to_annotation(active: np.ndarray, uri: str, seconds_per_frame: float):
    """``(frames, speakers)`` 0/1 activity to a pyannote ``Annotation``, speakers named ``<uri>_<k>`` (as make_rttm.py)."""
    from pyannote.core import Annotation, Segment

    annotation = Annotation(uri=uri)
    for k, column in enumerate(active.T):
        changes = np.flatnonzero(np.diff(np.pad(column.astype(np.int8), 1)))
        for first, end in zip(changes[::2], changes[1::2]):
            annotation[Segment(first * seconds_per_frame, end * seconds_per_frame), f"{k}_{first}"] = f"{uri}_{k}"
    return annotation


def post_process(posteriors: np.ndarray, threshold: float, median: int) -> np.ndarray:
    """``(frames, speakers)`` posteriors to 0/1 activity: above ``threshold``, then a median filter over time."""
    from scipy.signal import medfilt

    active = (posteriors > threshold).astype(np.float64)
    return medfilt(active, (median, 1)) if median > 1 else active


def write_rttm(annotations: dict, path) -> None:
    """Every annotation as RTTM (pyannote's ``write_rttm``), written atomically."""
    buffer = io.StringIO()
    for annotation in annotations.values():
        annotation.write_rttm(buffer)
    atomic_write(path, lambda f: f.write(buffer.getvalue().encode()), "free disk space, then rerun")


def score(ctx: RunContext) -> Scored:
    """Train on train chunks, keep the best dev frame accuracy, choose post-processing on dev, score test."""
    from pyannote.core import Annotation, Segment
    from pyannote.database.util import load_rttm

    features, upstream, config = ctx.features, ctx.upstream, ctx.config
    options = config["options"]
    stride = upstream.downsample_rate
    labels = {split: [torch.from_numpy(label_frames(u.label, stride)) for u in utts]
              for split, utts in ctx.splits.items()}
    chunks = {split: make_chunks([len(y) for y in labels[split]], options["chunk_size"]) for split in labels}
    sources = {split: ChunkFeatures(features[split], chunks[split]) for split in labels}
    featurizer = Featurizer(upstream.num_layers, config["featurizer"], config["layer_norm"])
    model = DiarizationModel(featurizer, ctx.head_cls(upstream.hidden_size, 2, **config["head_args"])).to(ctx.device)
    settings = TrainSettings.from_config(config)

    def chunk_batch(split: str, index: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        x, lengths = sources[split].batch(index)
        c = chunks[split]
        y = torch.zeros(len(index), x.shape[1], 2)
        for i, (r, s, n) in enumerate(zip(c.recording[index].tolist(), c.start[index].tolist(), c.length[index].tolist())):
            y[i, :n] = labels[split][r][s:s + n]
        return x.to(ctx.device), y.to(ctx.device), lengths.to(ctx.device)

    def loss_fn(index: Tensor) -> Tensor:
        x, y, lengths = chunk_batch("train", index)
        return pit_bce(model(x, lengths), y, lengths)[0]

    def dev_accuracy() -> float:
        """Mean over dev chunks of the frame accuracy (both speakers, best permutation)."""
        accuracies = []
        for first in range(0, len(chunks["dev"].length), EVAL_BATCH):
            index = torch.arange(first, min(first + EVAL_BATCH, len(chunks["dev"].length)))
            x, y, lengths = chunk_batch("dev", index)
            logits = model(x, lengths)
            ordered = pit_bce(logits, y, lengths)[1]
            correct = ((logits > 0).float() == ordered).float().mean(2)
            mask = torch.arange(y.shape[1], device=y.device)[None, :] < lengths[:, None]
            accuracies += ((correct * mask).sum(1) / lengths).tolist()
        return float(np.mean(accuracies))

    def posteriors(split: str) -> list[np.ndarray]:
        """``(frames, speakers)`` speaker posteriors of every recording of ``split``, chunk by chunk."""
        c = chunks[split]
        parts: list[list[np.ndarray]] = [[] for _ in labels[split]]
        for first in range(0, len(c.length), EVAL_BATCH):
            index = torch.arange(first, min(first + EVAL_BATCH, len(c.length)))
            x, _, lengths = chunk_batch(split, index)
            probs = torch.sigmoid(model(x, lengths)).cpu().numpy()
            for i, r in enumerate(c.recording[index].tolist()):
                parts[r].append(probs[i, :int(lengths[i])])
        return [np.concatenate(p) for p in parts]

    draw = np.random.default_rng(settings.seed)
    batches = draw.integers(0, len(chunks["train"].length), (settings.steps * settings.grad_accum, settings.batch_size))
    outcome = train(model, loss_fn, dev_accuracy, batches, settings, True, ctx.checkpoint, ctx.progress)
    start = time.perf_counter()
    model.load_state_dict(outcome.best_state)
    model.eval()
    seconds_per_frame = stride / SAMPLE_RATE
    grid = [(median, threshold) for median in options["median_filters"] for threshold in options["thresholds"]]
    durations, references, hypotheses = {}, {}, {}
    with torch.no_grad():
        for split in ("dev", "test"):
            utts = ctx.splits[split]
            durations[split] = {u.uid: u.label.duration for u in utts}
            references[split] = {**{u.uid: Annotation(uri=u.uid) for u in utts}, **load_rttm(str(utts[0].label.rttm))}
            probs = posteriors(split)
            hypotheses[split] = {
                (median, threshold): {u.uid: frames_to_annotation(post_process(p, threshold, median), u.uid,
                                                                  seconds_per_frame) for u, p in zip(utts, probs)}
                for median, threshold in grid}
    table = {split: {pair: der(hypotheses[split][pair], references[split], durations[split]) for pair in grid}
             for split in ("dev", "test")}
    chosen = min(grid, key=lambda pair: table["dev"][pair])
    run_dir = ctx.checkpoint.parent
    write_rttm(hypotheses["test"][chosen], run_dir / "test.rttm")
    one_speaker = {uri: Annotation(uri=uri) for uri in durations["test"]}
    for uri, annotation in one_speaker.items():
        annotation[Segment(0.0, durations["test"][uri])] = "everyone"
    trivial = {"all_silence": der({}, references["test"], durations["test"]),
               "one_speaker_everywhere": der(one_speaker, references["test"], durations["test"])}
    metrics = {"dev": {"der": table["dev"][chosen], "frame_accuracy": outcome.best_dev},
               "test": {"der": table["test"][chosen], "der_best_on_test": min(table["test"].values())}}
    return Scored(metrics=metrics, layer_weights=model.featurizer.layer_weights(), outcome=outcome,
                  test_seconds=time.perf_counter() - start,
                  extra={"post_processing": {"median_filter": chosen[0], "threshold": chosen[1], "chosen_on": "dev"},
                         "der_grid": {split: [{"median_filter": m, "threshold": t, "der": table[split][(m, t)]}
                                              for m, t in grid] for split in table},
                         "trivial_test_der": trivial, "rttm": str(run_dir / "test.rttm")})
