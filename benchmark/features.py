"""From utterances to upstream features: hash, extract what is missing, load.

Extraction batches clips of similar length, runs the frozen upstream once per clip
and writes the results to the :mod:`benchmark.cache`. Training then reads
:class:`SplitFeatures`: per-utterance per-layer means (the pooled path) and,
when needed, all frames (the frame path), both as in-memory tensors gathered by
index.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor
from tqdm.auto import tqdm

from benchmark.audio import AudioReport, load_audio
from benchmark.cache import FeatureCache, FileHashes, Location, utterance_key
from benchmark.corpora.base import Utterance
from benchmark.errors import UserError
from upstreams.base import Upstream, UpstreamOutput, layers_problem, stride_problem

SHARD_BYTES = 256 << 20
"""A cache shard is written once its frames reach this size: a killed extraction
loses at most one shard of work, and memory stays bounded."""

CHUNK_UTTERANCES = 256
"""Utterances whose audio is read at once, then sorted by length into batches."""

BATCH_SECONDS = 160.0
"""Default upper bound on padded audio per upstream batch, in seconds (``--extract-batch-seconds``):
about 1.4 GB of all-layer float32 output for Whisper large-v3, well within a 16 GB GPU."""

MAX_BATCH = 64


@dataclass(frozen=True)
class ExtractionSettings:
    """How the upstream is run.

    Attributes:
        device: where the upstream runs (``torch.device`` or its name).
        batch_seconds: padded audio per batch at most, in seconds at 16 kHz; a
            batch that runs out of device memory is halved and retried.
        dtype: ``"fp32"`` (default), or ``"bf16"`` / ``"fp16"`` under autocast.
    """

    device: Any = "cpu"
    batch_seconds: float = BATCH_SECONDS
    dtype: str = "fp32"

    @property
    def batch_samples(self) -> int:
        return max(1, int(self.batch_seconds * 16_000))


def hash_utterances(utterances: list[Utterance], progress: bool = True,
                    hashes: FileHashes | None = None) -> list[str]:
    """Cache keys of ``utterances``; each distinct file is hashed once (or its hash taken from ``hashes``)."""
    hashes = hashes or FileHashes(None)
    file_hashes: dict[Path, str] = {}
    keys = []
    for utt in tqdm(utterances, desc="hashing audio", unit="utt", disable=not progress, leave=False):
        if utt.path not in file_hashes:
            try:
                file_hashes[utt.path] = hashes.hash(utt.path)
            except OSError as err:
                raise UserError(f"{utt.path}: cannot be read ({err.strerror}); "
                                f"restore the file or remove it from the corpus") from None
        keys.append(utterance_key(file_hashes[utt.path], utt.start, utt.end, utt.gain_db))
    return keys


def run_upstream(upstream: Upstream, wavs: list[np.ndarray],
                 settings: ExtractionSettings = ExtractionSettings()) -> list[Tensor]:
    """Run ``upstream`` on clips (16 kHz float32); return per clip ``(frames, layers, dim)`` float32 on the CPU
    (float64 if the upstream returns float64, so that pooled means are taken before rounding).

    Clips longer than ``upstream.max_samples`` are cut into windows (a multiple of the
    stride long) whose frames are concatenated; pieces shorter than
    ``upstream.min_samples`` are zero-padded to it. Pieces go through the upstream in
    batches of similar length within ``settings.batch_samples`` padded samples; a
    batch that runs out of device memory is split in two and retried (and says so).
    """
    pieces: list[tuple[int, np.ndarray]] = []
    for clip, wav in enumerate(wavs):
        window = upstream.max_samples and upstream.max_samples - upstream.max_samples % upstream.downsample_rate
        for start in range(0, len(wav), window or len(wav)):
            piece = wav[start:start + window] if window else wav
            if len(piece) < upstream.min_samples:
                piece = np.pad(piece, (0, upstream.min_samples - len(piece)))
            pieces.append((clip, piece))
    outputs: list[Tensor | None] = [None] * len(pieces)
    for batch in length_batches([len(p) for _, p in pieces], settings.batch_samples):
        for i, feats in zip(batch, _forward_halving(upstream, [pieces[i][1] for i in batch], settings)):
            outputs[i] = feats
    per_clip: list[list[Tensor]] = [[] for _ in wavs]
    for (clip, _), feats in zip(pieces, outputs):
        per_clip[clip].append(feats)
    return [parts[0] if len(parts) == 1 else torch.cat(parts) for parts in per_clip]


def _forward_halving(upstream: Upstream, wavs: list[np.ndarray], settings: ExtractionSettings) -> list[Tensor]:
    """:func:`_forward`, splitting the batch in halves for as long as it runs out of device memory."""
    from benchmark.devices import is_out_of_memory

    try:
        return _forward(upstream, wavs, settings)
    except Exception as err:  # noqa: BLE001 - only out-of-memory is handled; the rest is re-raised
        if not is_out_of_memory(err):
            raise
    if torch.cuda.is_available():
        torch.cuda.empty_cache()  # the failed batch's blocks, freed once the error is gone
    samples = max(len(w) for w in wavs)
    if len(wavs) == 1:
        raise UserError(f"upstream {upstream.name}: one {samples / 16_000:.1f} s window does not fit in "
                        f"{settings.device} memory; use a device with more memory, --extract-dtype bf16, "
                        f"or --device cpu")
    half = len(wavs) // 2
    tqdm.write(f"extraction: out of {settings.device} memory on a batch of {len(wavs)} clips (up to "
               f"{samples / 16_000:.1f} s); retrying it as {half} + {len(wavs) - half}", file=sys.stderr)
    return _forward_halving(upstream, wavs[:half], settings) + _forward_halving(upstream, wavs[half:], settings)


def _forward(upstream: Upstream, wavs: list[np.ndarray], settings: ExtractionSettings) -> list[Tensor]:
    from benchmark.devices import autocast_dtype, is_out_of_memory

    lengths = torch.tensor([len(w) for w in wavs])
    batch = torch.zeros(len(wavs), int(lengths.max()))
    for i, wav in enumerate(wavs):
        batch[i, :len(wav)] = torch.from_numpy(wav)
    device = torch.device(settings.device)
    dtype = autocast_dtype(settings.dtype)
    try:
        with torch.inference_mode(), torch.autocast(device.type, dtype=dtype, enabled=dtype is not None):
            out = upstream(batch.to(device), lengths.to(device))
    except Exception as err:  # noqa: BLE001 - any failure inside user code is reported, not re-raised
        if is_out_of_memory(err):
            raise
        reason = str(err).splitlines()[0][:200] if str(err) else ""
        raise UserError(f"upstream {upstream.name}: raised {type(err).__name__}: {reason} (batch of {len(wavs)} "
                        f"clips, {int(lengths.min())}-{int(lengths.max())} samples); run "
                        f"`superb check-upstream {requested_as(upstream)}` (--debug shows the traceback)") from err
    keep = (torch.float64,)  # float64 stays (fbank's CMVN): pooled means before any rounding
    out = UpstreamOutput([layer.cpu().to(layer.dtype if layer.dtype in keep else torch.float32)
                          if isinstance(layer, Tensor) else layer for layer in out.layers],
                         out.lengths.cpu() if isinstance(out.lengths, Tensor) else out.lengths)
    check_output(upstream, out, lengths)
    stacked = torch.stack(out.layers, dim=2)  # (batch, frames, layers, dim)
    return [stacked[i, :int(n)].clone() for i, n in enumerate(out.lengths)]


def requested_as(upstream: Upstream) -> str:
    """The upstream as the user named it (``my_encoder.py:MyEncoder``), else its own name."""
    return getattr(upstream, "requested_as", upstream.name)


def check_output(upstream: Upstream, out: UpstreamOutput, samples: Tensor) -> None:
    """Refuse output that breaks the contract for input lengths ``samples``, naming the upstream and the problem."""
    problem = layers_problem(upstream, out, len(samples))
    if problem is None and not all(torch.isfinite(layer).all() for layer in out.layers):
        problem = "returned NaN or Inf"
    problem = problem or stride_problem(upstream, out.lengths, samples)
    if problem:
        raise UserError(f"upstream {upstream.name}: {problem}; fix the upstream "
                        f"(run `superb check-upstream {requested_as(upstream)}`)")


def length_batches(lengths: list[int], batch_samples: int = ExtractionSettings().batch_samples) -> list[list[int]]:
    """Indices sorted by length and grouped into batches, each within ``batch_samples`` padded samples."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    batches, current = [], []
    for i in order:
        if current and (len(current) + 1) * lengths[i] > batch_samples or len(current) == MAX_BATCH:
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches


@dataclass
class ExtractionStats:
    seconds: float = 0.0
    utterances: int = 0
    audio: AudioReport = field(default_factory=AudioReport)


def extract(upstream: Upstream, cache: FeatureCache, items: list[tuple[str, Utterance]], *,
            cache_frames: bool, strict_audio: bool = False, progress: bool = True,
            stats: ExtractionStats | None = None, settings: ExtractionSettings = ExtractionSettings()) -> None:
    """Run ``upstream`` over ``(key, utterance)`` pairs and store them in ``cache`` shard by shard."""
    stats = stats or ExtractionStats()
    start = time.perf_counter()
    bar = tqdm(total=len(items), desc=f"extracting {upstream.name}", unit="utt", disable=not progress)
    upstream.eval()
    pending: list[tuple[str, int, np.ndarray, np.ndarray | None]] = []  # key, frames, means, float16 frames
    pending_bytes = 0
    for first in range(0, len(items), CHUNK_UTTERANCES):
        chunk = items[first:first + CHUNK_UTTERANCES]
        wavs = [load_audio(u.path, start=u.start, end=u.end, gain_db=u.gain_db, strict=strict_audio,
                           report=stats.audio) for _, u in chunk]
        for (key, _), feats in zip(chunk, run_upstream(upstream, wavs, settings)):
            pending.append((key, len(feats), feats.double().mean(dim=0).numpy(),  # float64 sums: exact zeros stay ~0
                            feats.half().numpy() if cache_frames else None))
            pending_bytes += feats.numel() * 2
        bar.update(len(chunk))
        if pending_bytes >= SHARD_BYTES or first + CHUNK_UTTERANCES >= len(items):
            keys, counts, pooled, frames = zip(*pending)
            cache.write_shard(list(keys), list(counts), list(pooled), list(frames) if cache_frames else None)
            stats.utterances += len(pending)
            pending, pending_bytes = [], 0
    bar.close()
    stats.seconds += time.perf_counter() - start


class FrameStore:
    """Frames of many utterances in one tensor; batches are index gathers.

    Args:
        flat: ``(total_frames, layers, dim)`` float16, utterances back to back (the
            splits of a run share one such tensor).
        lengths: ``(utterances,)`` valid frames of each utterance of the split.
        offsets: ``(utterances,)`` first row of each in ``flat`` (default: the
            utterances lie in order from row 0).
    """

    def __init__(self, flat: Tensor, lengths: Tensor, offsets: Tensor | None = None):
        self.flat = flat
        self.lengths = lengths
        self.offsets = torch.cumsum(lengths, 0) - lengths if offsets is None else offsets

    def batch(self, index: Tensor) -> tuple[Tensor, Tensor]:
        """Padded ``(batch, frames, layers, dim)`` float32 (zeros after each clip) and ``(batch,)`` lengths."""
        lengths = self.lengths[index]
        steps = torch.arange(int(lengths.max()))
        valid = steps[None, :] < lengths[:, None]
        rows = torch.where(valid, self.offsets[index, None] + steps[None, :], self.offsets[index, None])
        x = self.flat.flatten(1).index_select(0, rows.flatten()).view(*rows.shape, *self.flat.shape[1:]).float()
        if not bool(valid.all()):
            x = x * valid[:, :, None, None]
        return x, lengths


class StreamingFrames:
    """Frames computed by the upstream on every request (no frame cache): the slow path.

    Same interface as :class:`FrameStore`; used with ``--no-frame-cache`` when the
    frame path must run, and by ``benchmarks/cache_speedup.py`` to measure what the
    cache saves.
    """

    def __init__(self, upstream: Upstream, utterances: list[Utterance], strict_audio: bool = False,
                 settings: ExtractionSettings = ExtractionSettings()):
        self.upstream = upstream.eval()
        self.utterances = utterances
        self.strict_audio = strict_audio
        self.settings = settings

    def batch(self, index: Tensor) -> tuple[Tensor, Tensor]:
        utts = [self.utterances[i] for i in index.tolist()]
        wavs = [load_audio(u.path, start=u.start, end=u.end, gain_db=u.gain_db, strict=self.strict_audio)
                for u in utts]
        feats = [f.float() for f in run_upstream(self.upstream, wavs, self.settings)]
        lengths = torch.tensor([len(f) for f in feats])
        return torch.nn.utils.rnn.pad_sequence(feats, batch_first=True), lengths


@dataclass
class SplitFeatures:
    """Features of one split, utterances in corpus order.

    Attributes:
        pooled: ``(utterances, layers, dim)`` float32 per-layer means over valid frames.
        lengths: ``(utterances,)`` valid frames.
        frames: frame source (``None`` when only the pooled path runs).
    """

    pooled: Tensor
    lengths: Tensor
    frames: FrameStore | StreamingFrames | None = None


def load_features(upstream: Upstream, cache: FeatureCache, splits: dict[str, list[Utterance]],
                  keys: dict[str, list[str]], *, need_frames: bool, cache_frames: bool,
                  strict_audio: bool = False, progress: bool = True, stats: ExtractionStats | None = None,
                  settings: ExtractionSettings = ExtractionSettings()) -> dict[str, SplitFeatures]:
    """Extract whatever ``cache`` lacks, then load every split's features.

    Args:
        need_frames: the frame path will run, so frames are loaded (or streamed).
        cache_frames: store frames in the cache (else only pooled means are cached
            and frames, if needed, are streamed from the upstream).
    """
    stats = stats or ExtractionStats()
    want_frames = need_frames and cache_frames
    for _attempt in range(3):  # a shard found corrupted while loading is re-extracted
        with cache.lock():
            index = cache.index()
            missing: dict[str, Utterance] = {}
            for split, utts in splits.items():
                for key, utt in zip(keys[split], utts):
                    loc = index.get(key)
                    if loc is None or (want_frames and not cache.has_frames(loc.shard)):
                        missing.setdefault(key, utt)
            if missing:
                extract(upstream, cache, list(missing.items()), cache_frames=cache_frames,
                        strict_audio=strict_audio, progress=progress, stats=stats, settings=settings)
                index = cache.index()
            loaded = _load_splits(cache, index, splits, keys, want_frames)
        if loaded is not None:
            break
    else:  # pragma: no cover - the cache keeps failing its checksums
        raise UserError(f"{cache.dir}: cache shards keep failing their checksums; check the disk, "
                        f"then remove the directory and rerun")
    if need_frames and not cache_frames:
        for split, feats in loaded.items():
            feats.frames = StreamingFrames(upstream, splits[split], strict_audio, settings)
    return loaded


def _load_splits(cache: FeatureCache, index: dict[str, Location], splits, keys,
                 want_frames: bool) -> dict[str, SplitFeatures] | None:
    """Every split's features from the shards that hold them; ``None`` if a shard is corrupt (then removed).

    Pooled means are gathered row by row into one array per split. Frames are read
    shard by shard into one tensor that all splits share (one copy of each frame,
    no per-utterance copies); each split keeps its utterances' offsets into it.
    """
    locations = {split: [index[k] for k in keys[split]] for split in splits}
    shards = sorted({loc.shard for locs in locations.values() for loc in locs})
    pooled_arrays, first_row = {}, {}
    frame_parts, total = [], 0
    for shard in shards:
        pooled_arrays[shard] = cache.read(shard, "pooled.npy")
        if pooled_arrays[shard] is None:
            return None
        if want_frames:
            frames = cache.read(shard, "frames.npy")
            if frames is None:
                return None
            frame_parts.append(frames)
            first_row[shard] = total
            total += len(frames)
    flat = None
    if want_frames:
        flat = torch.from_numpy(frame_parts[0] if len(frame_parts) == 1 else np.concatenate(frame_parts))
    loaded = {}
    for split, locs in locations.items():
        sample = pooled_arrays[locs[0].shard] if locs else np.zeros((0, 1, 1), np.float32)
        pooled = np.empty((len(locs), *sample.shape[1:]), dtype=np.float32)
        by_shard: dict[Path, list[int]] = {}
        for i, loc in enumerate(locs):
            by_shard.setdefault(loc.shard, []).append(i)
        for shard, at in by_shard.items():
            pooled[at] = pooled_arrays[shard][[locs[i].row for i in at]]
        lengths = torch.tensor([loc.frames for loc in locs])
        frames = None
        if flat is not None:
            offsets = torch.tensor([first_row[loc.shard] + loc.frame_offset for loc in locs])
            frames = FrameStore(flat, lengths, offsets)
        loaded[split] = SplitFeatures(torch.from_numpy(pooled), lengths, frames)
    return loaded
