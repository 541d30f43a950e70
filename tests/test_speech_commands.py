"""Speech Commands v0.01 loader and the synthetic corpus generator."""

import hashlib
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile

from benchmark.corpora.loaders.speech_commands import CLASSES, COMMANDS, NOISE_PARTS, load_speech_commands
from benchmark.errors import CorpusError, UserError

pytest.importorskip("espeakng_loader")

from benchmark.corpora.synthetic import speech_commands as synth  # noqa: E402

TINY = 120  # clips: enough for every class in every split


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    return synth.ensure_synthetic_speech_commands(
        tmp_path_factory.mktemp("synthetic") / "sc", num_clips=TINY, seed=0, progress=False
    )


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha1(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _make_tree(root: Path, *, noise_seconds=(12.0,), dev=None, test=None) -> Path:
    """A tiny tree in the real layout: 3 words x 3 speakers, one noise file per length."""
    rng = np.random.default_rng(0)
    for word in ("yes", "no", "bed"):
        (root / word).mkdir(parents=True)
        for speaker in ("0a7c2a8d", "0b09edd3", "0c40e715"):
            soundfile.write(root / word / f"{speaker}_nohash_0.wav", 0.1 * rng.standard_normal(16000), 16000)
    (root / "_background_noise_").mkdir()
    for i, seconds in enumerate(noise_seconds):
        rate = 44100 if i % 2 else 16000
        soundfile.write(root / "_background_noise_" / f"noise{i}.wav", np.zeros(int(seconds * rate)), rate)
    (root / "_background_noise_" / "README.md").write_text("not audio\n")
    dev = ["yes/0b09edd3_nohash_0.wav", "no/0b09edd3_nohash_0.wav", "bed/0b09edd3_nohash_0.wav"] if dev is None else dev
    test = ["yes/0c40e715_nohash_0.wav", "no/0c40e715_nohash_0.wav", "bed/0c40e715_nohash_0.wav"] if test is None else test
    (root / "validation_list.txt").write_text("".join(f"{x}\n" for x in dev))
    (root / "testing_list.txt").write_text("".join(f"{x}\n" for x in test))
    return root


# --- loader on the synthetic corpus ---------------------------------------------


def test_synthetic_corpus_loads_with_all_classes(synthetic):
    splits = load_speech_commands(synthetic)
    assert set(splits) == {"train", "dev", "test"}
    for split, utts in splits.items():
        assert {u.label for u in utts} == set(CLASSES), split
    uids = [u.uid for utts in splits.values() for u in utts]
    assert len(uids) == len(set(uids))
    held_out = sum(len((synthetic / n).read_text().split()) for n in ("validation_list.txt", "testing_list.txt"))
    assert sum(u.label != "_silence_" for u in splits["train"]) == TINY - held_out


def test_splits_are_speaker_disjoint_and_follow_the_lists(synthetic):
    splits = load_speech_commands(synthetic)
    speakers = {s: {u.speaker for u in utts if u.label != "_silence_"} for s, utts in splits.items()}
    assert not speakers["train"] & speakers["dev"]
    assert not speakers["train"] & speakers["test"]
    assert not speakers["dev"] & speakers["test"]
    listed = set((synthetic / "validation_list.txt").read_text().split())
    assert {f"{u.uid}.wav" for u in splits["dev"] if u.label != "_silence_"} <= listed


def test_dev_and_test_are_balanced(synthetic):
    splits = load_speech_commands(synthetic)
    for split, utts in splits.items():
        counts = Counter(u.label for u in utts)
        target = round(sum(counts[c] for c in COMMANDS) / len(COMMANDS))
        assert counts["_silence_"] == target
        if split != "train":
            assert counts["_unknown_"] == target


def test_silence_crops_are_1s_in_range_and_disjoint_across_splits(synthetic):
    splits = load_speech_commands(synthetic)
    spans: dict[Path, dict[str, list[tuple[int, int]]]] = {}
    for split, utts in splits.items():
        for u in utts:
            if u.label == "_silence_":
                assert u.end - u.start == 16000 and u.speaker is None
                spans.setdefault(u.path, {}).setdefault(split, []).append((u.start, u.end))
    assert spans and all(path.parent == synthetic / "_background_noise_" for path in spans)
    for path, by_split in spans.items():
        frames = soundfile.info(str(path)).frames
        for split, (lo, hi) in NOISE_PARTS.items():
            for start, end in by_split.get(split, []):
                assert int(frames * lo) <= start < end <= int(frames * hi)


def test_loader_is_deterministic_and_seeded(synthetic):
    assert load_speech_commands(synthetic, seed=3) == load_speech_commands(synthetic, seed=3)
    crops = [
        [(u.path, u.start) for u in load_speech_commands(synthetic, seed=s)["train"] if u.label == "_silence_"]
        for s in (0, 1)
    ]
    assert crops[0] != crops[1]


# --- generator ------------------------------------------------------------------


def test_generated_layout_matches_the_real_corpus(synthetic):
    for word in synth.WORDS:
        files = list((synthetic / word).glob("*.wav"))
        assert files, word
        for f in files:
            assert re.fullmatch(r"[0-9a-f]{8}_nohash_\d+\.wav", f.name)
    clip = soundfile.info(str(next((synthetic / "yes").glob("*.wav"))))
    assert (clip.samplerate, clip.channels, clip.frames, clip.subtype) == (16000, 1, 16000, "PCM_16")
    noises = sorted((synthetic / "_background_noise_").glob("*.wav"))
    assert len(noises) == 6
    assert all(soundfile.info(str(p)).duration == 20.0 for p in noises)
    for name in ("validation_list.txt", "testing_list.txt"):
        for line in (synthetic / name).read_text().splitlines():
            assert (synthetic / line).is_file()
    assert "SYNTHETIC" in (synthetic / "README.synthetic.txt").read_text()
    audio, _ = soundfile.read(str(next((synthetic / "marvin").glob("*.wav"))))
    assert np.max(np.abs(audio)) > 0.05


def test_generation_is_deterministic(tmp_path, monkeypatch):
    monkeypatch.setattr(synth, "SHARD_CLIPS", 10)  # 3 shards, so worker scheduling could matter
    a = synth.ensure_synthetic_speech_commands(tmp_path / "a", num_clips=24, seed=5, progress=False, workers=1)
    b = synth.ensure_synthetic_speech_commands(tmp_path / "b", num_clips=24, seed=5, progress=False, workers=2)
    assert _hashes(a) == _hashes(b)
    assert len([name for name in _hashes(a) if name.endswith(".wav")]) == 24 + 6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]  # no partial directories left


def test_ensure_reuses_a_complete_corpus_and_refuses_others(synthetic, tmp_path):
    before = _hashes(synthetic)
    assert synth.ensure_synthetic_speech_commands(synthetic, num_clips=TINY, seed=0, progress=False) == synthetic
    assert _hashes(synthetic) == before
    with pytest.raises(CorpusError, match="seed=0, not .*seed=1"):
        synth.ensure_synthetic_speech_commands(synthetic, num_clips=TINY, seed=1, progress=False)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine\n")
    with pytest.raises(CorpusError, match="not a complete synthetic corpus"):
        synth.ensure_synthetic_speech_commands(tmp_path / "other", num_clips=TINY, progress=False)
    with pytest.raises(UserError, match="at least 24"):
        synth.ensure_synthetic_speech_commands(tmp_path / "small", num_clips=10, progress=False)


def test_default_root_uses_superb_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("SUPERB_DATA_DIR", str(tmp_path))
    assert synth.default_root(3000, 0) == tmp_path / "synthetic" / "speech_commands_v0.01-3000-s0"


# --- loader on hand-made trees and its errors ----------------------------------


def test_hand_made_real_layout_loads(tmp_path):
    root = _make_tree(tmp_path / "sc", noise_seconds=(12.0, 30.0))
    splits = load_speech_commands(root)
    train = splits["train"]
    assert [u.uid for u in train if u.label != "_silence_"] == [
        "bed/0a7c2a8d_nohash_0", "no/0a7c2a8d_nohash_0", "yes/0a7c2a8d_nohash_0"
    ]
    assert Counter(u.label for u in train) == {"_unknown_": 1, "no": 1, "yes": 1}  # mean 0.2 -> no silence
    yes = next(u for u in train if u.label == "yes")
    assert yes.speaker == "0a7c2a8d" and yes.path == root / "yes" / "0a7c2a8d_nohash_0.wav"
    assert (yes.start, yes.end) == (0, None)
    # dev and test: yes, no and bed; mean command count 0.2 -> no unknown kept, no silence
    assert {u.label for u in splits["dev"]} == {"yes", "no"}
    assert {u.label for u in splits["test"]} == {"yes", "no"}


def test_silence_lengths_are_in_16k_samples(tmp_path):
    root = _make_tree(tmp_path / "sc", noise_seconds=(12.0, 30.0))
    for word in ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go"):
        (root / word).mkdir(exist_ok=True)
        for i in range(6):
            soundfile.write(root / word / f"1234abcd_nohash_{i}.wav", np.zeros(16000), 16000)
    train = load_speech_commands(root)["train"]
    crops = [u for u in train if u.label == "_silence_"]
    assert crops and {u.path.name for u in crops} == {"noise0.wav", "noise1.wav"}
    for u in crops:
        seconds = 12.0 if u.path.name == "noise0.wav" else 30.0  # noise1 is 44.1 kHz
        assert 0 <= u.start and u.end <= int(0.8 * seconds * 16000)


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda root: None, "does not exist"),
        (lambda root: root.write_bytes(b"\x1f\x8b"), "is a file, not a directory"),
        (
            lambda root: (root / "train-clean-100").mkdir(parents=True),
            r"missing validation_list.txt, testing_list.txt, _background_noise_/, word folders.*found train-clean-100/",
        ),
        (
            lambda root: [(root / d).mkdir(parents=True) for d in ("_silence_", "_unknown_", "yes")],
            "looks like the separate test set archive",
        ),
    ],
)
def test_bad_roots(tmp_path, setup, message):
    root = tmp_path / "sc"
    setup(root)
    with pytest.raises(CorpusError, match=message):
        load_speech_commands(root)


def test_parent_directory_gets_a_hint(tmp_path):
    _make_tree(tmp_path / "speech_commands_v0.01")
    with pytest.raises(CorpusError, match=r"did you mean .*speech_commands_v0.01\?"):
        load_speech_commands(tmp_path)


def test_list_naming_a_missing_file(tmp_path):
    root = _make_tree(tmp_path / "sc", test=["yes/0c40e715_nohash_0.wav", "go/ffffffff_nohash_0.wav"])
    with pytest.raises(CorpusError, match=r"testing_list.txt names 1 file\(s\) missing .* first go/ffffffff_nohash_0.wav"):
        load_speech_commands(root)


def test_empty_split(tmp_path):
    root = _make_tree(tmp_path / "sc", dev=[])
    with pytest.raises(CorpusError, match="dev split is empty"):
        load_speech_commands(root)


def test_no_background_noise(tmp_path):
    root = _make_tree(tmp_path / "sc", noise_seconds=())
    with pytest.raises(CorpusError, match="_background_noise_ has no .wav files"):
        load_speech_commands(root)


def test_background_noise_too_short_for_held_out_crops(tmp_path):
    root = _make_tree(tmp_path / "sc", noise_seconds=(5.0,))
    for word in COMMANDS:
        (root / word).mkdir(exist_ok=True)
        soundfile.write(root / word / "0b09edd3_nohash_1.wav", np.zeros(16000), 16000)
    (root / "validation_list.txt").write_text("".join(f"{w}/0b09edd3_nohash_1.wav\n" for w in COMMANDS))
    with pytest.raises(CorpusError, match="long enough for 1 s dev crops"):
        load_speech_commands(root)


def test_errors_are_one_line(tmp_path):
    with pytest.raises(CorpusError) as err:
        load_speech_commands(tmp_path)
    assert "\n" not in str(err.value)
