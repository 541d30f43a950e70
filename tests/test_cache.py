"""The feature cache: hits, misses, invalidation by content, corruption, partial writes."""

from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

import json
import os
import time

from benchmark.cache import FeatureCache, FileHashes, _read_npy, _write_npy, cache_entries
from benchmark.corpora.base import Utterance
from benchmark.features import hash_utterances, load_features
from upstreams.fbank import FbankNoCmvn


class CountingFbank(FbankNoCmvn):
    """fbank_no_cmvn that counts the clips it is run on."""

    def __init__(self):
        super().__init__()
        self.clips = 0

    def forward(self, wavs, lengths):
        self.clips += len(wavs)
        return super().forward(wavs, lengths)


def write_clips(folder: Path, count: int, seed: int = 0) -> list[Utterance]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    utts = []
    for i in range(count):
        path = folder / f"clip{i}.wav"
        soundfile.write(path, (rng.standard_normal(4000 + 800 * i) * 0.1).astype(np.float32), 16000)
        utts.append(Utterance(uid=f"clip{i}", path=path, label=str(i % 2)))
    return utts


def load(upstream, cache, utts, **kwargs):
    splits = {"train": utts}
    keys = {"train": hash_utterances(utts, progress=False)}
    options = {"need_frames": False, "cache_frames": True, "progress": False} | kwargs
    return load_features(upstream, cache, splits, keys, **options)["train"]


def test_second_load_runs_no_upstream_and_gives_the_same_features(tmp_path):
    utts = write_clips(tmp_path / "audio", 5)
    upstream = CountingFbank()
    cache = FeatureCache(tmp_path / "cache", upstream.identity())
    first = load(upstream, cache, utts, need_frames=True)
    assert upstream.clips == 5
    second = load(upstream, cache, utts, need_frames=True)
    assert upstream.clips == 5  # all hits
    torch.testing.assert_close(first.pooled, second.pooled)
    frames, lengths = second.frames.batch(torch.arange(5))
    assert frames.shape[2:] == (1, 240) and lengths.tolist() == second.lengths.tolist()
    # pooled means are the float32 means of the frames (frames are stored as float16)
    torch.testing.assert_close(frames[2, :lengths[2], 0].mean(0), second.pooled[2, 0], atol=2e-2, rtol=1e-2)
    [entry] = cache_entries(tmp_path / "cache")
    assert entry.utterances == 5 and entry.bytes > 0


def test_editing_a_file_invalidates_only_that_file(tmp_path):
    utts = write_clips(tmp_path / "audio", 4)
    upstream = CountingFbank()
    cache = FeatureCache(tmp_path / "cache", upstream.identity())
    before = load(upstream, cache, utts)
    soundfile.write(utts[1].path, np.zeros(6000, dtype=np.float32) + 0.01, 16000)
    after = load(upstream, cache, utts)
    assert upstream.clips == 5
    assert not torch.equal(before.pooled[1], after.pooled[1])
    torch.testing.assert_close(before.pooled[0], after.pooled[0])


def test_moved_corpus_and_other_upstream(tmp_path):
    utts = write_clips(tmp_path / "audio", 3)
    upstream = CountingFbank()
    cache = FeatureCache(tmp_path / "cache", upstream.identity())
    load(upstream, cache, utts)
    (tmp_path / "audio").rename(tmp_path / "moved")
    moved = [Utterance(u.uid, tmp_path / "moved" / u.path.name, u.label) for u in utts]
    load(upstream, cache, moved)
    assert upstream.clips == 3  # keyed by content, not path
    from upstreams.fbank import Fbank

    other = Fbank()
    assert FeatureCache(tmp_path / "cache", other.identity()).dir != cache.dir


def test_corrupted_shard_is_detected_and_recomputed(tmp_path):
    utts = write_clips(tmp_path / "audio", 3)
    upstream = CountingFbank()
    cache = FeatureCache(tmp_path / "cache", upstream.identity())
    good = load(upstream, cache, utts)
    [shard] = cache.shards()
    data = bytearray((shard / "pooled.npy").read_bytes())
    data[-5] ^= 0xFF
    (shard / "pooled.npy").write_bytes(bytes(data))
    again = load(upstream, cache, utts)
    assert upstream.clips == 6
    assert any("checksum" in w for w in cache.warnings)
    torch.testing.assert_close(good.pooled, again.pooled)


def test_partial_shard_is_never_read(tmp_path):
    utts = write_clips(tmp_path / "audio", 2)
    upstream = CountingFbank()
    cache = FeatureCache(tmp_path / "cache", upstream.identity())
    cache.dir.mkdir(parents=True)
    (cache.dir / ".tmp-killed").mkdir()
    (cache.dir / ".tmp-killed" / "pooled.npy").write_bytes(b"partial")
    load(upstream, cache, utts)
    assert upstream.clips == 2
    assert not (cache.dir / ".tmp-killed").exists()


def test_no_frame_cache_stores_only_means_and_streams_frames(tmp_path):
    utts = write_clips(tmp_path / "audio", 3)
    upstream = CountingFbank()
    cache = FeatureCache(tmp_path / "cache", upstream.identity())
    feats = load(upstream, cache, utts, need_frames=True, cache_frames=False)
    [shard] = cache.shards()
    assert not (shard / "frames.npy").exists()
    frames, lengths = feats.frames.batch(torch.tensor([0, 2]))
    assert upstream.clips == 5  # 3 extracted + 2 streamed
    torch.testing.assert_close(frames[1, :lengths[1], 0].mean(0), feats.pooled[2, 0], atol=1e-4, rtol=1e-4)


@pytest.mark.parametrize("payload", [b"", b"RIFF\x00\x00garbage bytes that are not audio"])
def test_corrupt_audio_names_the_file(tmp_path, payload):
    from benchmark.errors import AudioError

    utts = write_clips(tmp_path / "audio", 2)
    utts[1].path.write_bytes(payload)
    upstream = CountingFbank()
    with pytest.raises(AudioError, match="clip1.wav"):
        load(upstream, FeatureCache(tmp_path / "cache", upstream.identity()), utts)


def test_shard_arrays_are_plain_npy_written_part_by_part(tmp_path):
    parts = [np.random.default_rng(i).standard_normal((n, 2, 3)).astype(np.float32) for i, n in enumerate((4, 1, 6))]
    checksum = _write_npy(tmp_path / "a.npy", parts, np.float16)
    expected = np.concatenate(parts).astype(np.float16)
    np.testing.assert_array_equal(np.load(tmp_path / "a.npy"), expected)  # numpy reads it
    np.testing.assert_array_equal(_read_npy(tmp_path / "a.npy", checksum), expected)
    assert _read_npy(tmp_path / "a.npy", "0" * 32) is None  # a wrong checksum is refused


def test_splits_share_one_frame_tensor(tmp_path):
    utts = write_clips(tmp_path / "audio", 6)
    upstream = CountingFbank()
    cache = FeatureCache(tmp_path / "cache", upstream.identity())
    splits = {"train": utts[:4], "test": utts[4:]}
    keys = {split: hash_utterances(u, progress=False) for split, u in splits.items()}
    load_features(upstream, cache, {"train": utts[:2]}, {"train": keys["train"][:2]}, need_frames=True,
                  cache_frames=True, progress=False)  # a first shard; the rest lands in a second
    feats = load_features(upstream, cache, splits, keys, need_frames=True, cache_frames=True, progress=False)
    assert len(cache.shards()) == 2
    assert feats["train"].frames.flat is feats["test"].frames.flat
    fresh = FbankNoCmvn()
    for split, split_utts in splits.items():
        frames, lengths = feats[split].frames.batch(torch.arange(len(split_utts)))
        for i, utt in enumerate(split_utts):
            wav, _ = soundfile.read(utt.path, dtype="float32")
            out = fresh(torch.from_numpy(wav)[None], torch.tensor([len(wav)]))
            expected = out.layers[0][0, :int(out.lengths[0])]
            assert int(lengths[i]) == len(expected)
            torch.testing.assert_close(frames[i, :lengths[i], 0], expected, atol=2e-2, rtol=1e-2)  # float16
            assert not frames[i, lengths[i]:].any()  # zeros after the clip


def test_file_hashes_are_remembered_until_the_file_changes(tmp_path, monkeypatch):
    utts = write_clips(tmp_path / "audio", 2)
    old = time.time() - 60
    for utt in utts:
        os.utime(utt.path, (old, old))
    monkeypatch.setattr(FileHashes, "RACY_SECONDS", 0)
    hashes = FileHashes(tmp_path / "cache")
    first = hash_utterances(utts, progress=False, hashes=hashes)
    hashes.save()
    reads = []
    real_open = open
    monkeypatch.setattr("builtins.open", lambda f, *a, **k: (reads.append(str(f)), real_open(f, *a, **k))[1])
    remembered = FileHashes(tmp_path / "cache")
    assert hash_utterances(utts, progress=False, hashes=remembered) == first
    assert not [r for r in reads if r.endswith(".wav")]  # no audio read
    monkeypatch.undo()
    soundfile.write(utts[1].path, np.zeros(4000, dtype=np.float32), 16000)  # same size, new content
    again = hash_utterances(utts, progress=False, hashes=FileHashes(tmp_path / "cache"))
    assert again[0] == first[0] and again[1] != first[1]


def test_recently_changed_files_are_not_remembered(tmp_path):
    utts = write_clips(tmp_path / "audio", 1)  # written just now: within the racy window
    hashes = FileHashes(tmp_path / "cache")
    hash_utterances(utts, progress=False, hashes=hashes)
    assert not hashes.known


@pytest.mark.parametrize("content", ["{not json", "[1, 2]", '{"x": [1]}', "null"])
def test_damaged_hash_memo_is_ignored(tmp_path, content):
    utts = write_clips(tmp_path / "audio", 1)
    expected = hash_utterances(utts, progress=False)
    memo = tmp_path / "cache" / "v1" / "file-hashes.json"
    memo.parent.mkdir(parents=True)
    memo.write_text(content.replace('"x"', json.dumps(str(utts[0].path))))
    assert hash_utterances(utts, progress=False, hashes=FileHashes(tmp_path / "cache")) == expected


def test_gain_changes_the_audio_and_the_key(tmp_path):
    """A -3 dB clip is another cache entry, and its log-mel fbank is lower by 2 ln(10 ** (-3 / 20)) = -0.69."""
    from dataclasses import replace

    utts = write_clips(tmp_path / "audio", 3)
    quiet = [replace(u, gain_db=-3.0) for u in utts]
    keys = hash_utterances(quiet, progress=False)
    assert all(k.endswith(":-3dB") for k in keys) and set(keys).isdisjoint(hash_utterances(utts, progress=False))
    upstream = CountingFbank()
    cache = FeatureCache(tmp_path / "cache", upstream.identity())
    loud, soft = load(upstream, cache, utts), load(upstream, cache, quiet)
    assert upstream.clips == 6
    shift = 2 * np.log(10 ** (-3 / 20))  # power scales by the amplitude factor squared
    torch.testing.assert_close(soft.pooled[:, 0, :80], loud.pooled[:, 0, :80] + shift, atol=1e-3, rtol=0)
    torch.testing.assert_close(soft.pooled[:, 0, 80:], loud.pooled[:, 0, 80:], atol=1e-4, rtol=0)  # deltas


def test_fbank_pooled_means_are_zero_to_1e_12(tmp_path):
    """Per-utterance CMVN zeroes each clip's mean; stored pooled means keep that (float64 CMVN and sums).

    A float32 CMVN left about 1e-6, and a long pooled KS run learned from it (0.18 accuracy, chance 0.09).
    """
    from upstreams.fbank import Fbank

    upstream = Fbank()
    utts = write_clips(tmp_path / "clips", 4)
    pooled = load(upstream, FeatureCache(tmp_path / "cache", upstream.identity()), utts).pooled
    assert pooled.shape == (4, 1, 240) and pooled.abs().max() < 1e-12
