"""Loader for Speech Commands v0.01 (keyword spotting, 12 classes).

Reads the layout of the real download (``speech_commands_v0.01.tar.gz``) and of the
synthetic stand-in (:mod:`benchmark.corpora.synthetic.speech_commands`)::

    <root>/<word>/<speaker>_nohash_<n>.wav     one folder per word, 1 s clips at 16 kHz
    <root>/_background_noise_/*.wav            long noise recordings
    <root>/validation_list.txt                 "<word>/<file>.wav" lines: the dev split
    <root>/testing_list.txt                    same: the test split

Train is every other word clip. The ten command words keep their name, every other
word becomes ``_unknown_``, and ``_silence_`` items are 1 s crops of the background
noise. See ``docs/corpora.md`` for how this follows and departs from s3prl.
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import soundfile

from benchmark.corpora.base import Splits, Utterance
from benchmark.errors import AudioError, CorpusError

CLASSES = ["yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go", "_unknown_", "_silence_"]
COMMANDS = CLASSES[:10]
SAMPLE_RATE = 16000
CROP_SAMPLES = 16000  # 1 s silence crops
NOISE_DIR = "_background_noise_"
LIST_FILES = {"dev": "validation_list.txt", "test": "testing_list.txt"}
NOISE_PARTS = {"train": (0.0, 0.8), "dev": (0.8, 0.9), "test": (0.9, 1.0)}
"""Fraction of each background noise file that each split crops silence from."""


def load_speech_commands(root: Path, *, seed: int = 0) -> Splits:
    """Utterances of the ``"train"``, ``"dev"`` and ``"test"`` splits.

    Labels are names from :data:`CLASSES`. Word clips are whole files (``start=0``,
    ``end=None``) with ``speaker`` = the file name before ``_nohash_``; silence
    items are 1 s crops (``start``/``end`` in samples at 16 kHz) with no speaker.

    Per split, with ``m`` = mean count of the ten command classes (rounded):
    dev and test keep a seeded random ``m`` of their ``_unknown_`` clips (balanced,
    like the official v0.01 test set), train keeps all; every split gets ``m``
    ``_silence_`` crops, drawn (seeded) from disjoint parts of each noise file:
    the first 80 % for train, the next 10 % for dev, the last 10 % for test.

    Only the background noise files' headers are read. Each split lists its word
    clips sorted by path, then its silence crops; the result depends only on the
    files and ``seed``.

    Raises:
        CorpusError: missing root, wrong layout, list naming a missing file, empty
            split, no usable background noise.
    """
    root = Path(root)
    _check_layout(root)
    clips = _word_clips(root)
    held_out = {split: _read_list(root, name, clips) for split, name in LIST_FILES.items()}
    both = held_out["dev"] & held_out["test"]
    if both:
        raise CorpusError(
            f"{root}: {len(both)} file(s) are in both validation_list.txt and testing_list.txt, "
            f"first {min(both)}; fix the lists"
        )
    by_split = {
        "train": sorted(clips - held_out["dev"] - held_out["test"]),
        "dev": sorted(held_out["dev"]),
        "test": sorted(held_out["test"]),
    }
    noises = _noise_lengths(root)
    splits: Splits = {}
    for split, relpaths in by_split.items():
        if not relpaths:
            why = (
                f"{LIST_FILES[split]} lists no clips"
                if split in LIST_FILES
                else "every word clip is in validation_list.txt or testing_list.txt"
            )
            raise CorpusError(f"{root}: the {split} split is empty ({why}); fix the lists")
        words = [_word_utterance(root, rel) for rel in relpaths]
        splits[split] = _balance(root, split, words, noises, seed)
    return splits


def _check_layout(root: Path) -> None:
    if not root.exists():
        raise CorpusError(
            f"Speech Commands root {root} does not exist; download speech_commands_v0.01.tar.gz, "
            "extract it and pass the directory that holds validation_list.txt"
        )
    if not root.is_dir():
        archive = root.name.endswith((".tar.gz", ".tgz", ".tar"))
        raise CorpusError(
            f"Speech Commands root {root} is a file, not a directory; "
            + (f"extract it (tar xf {root.name}) and " if archive else "")
            + "pass the directory that holds validation_list.txt"
        )
    missing = [name for name in LIST_FILES.values() if not (root / name).is_file()]
    if not (root / NOISE_DIR).is_dir():
        missing.append(f"{NOISE_DIR}/")
    if not any(_is_word_dir(d) and any(d.glob("*.wav")) for d in root.iterdir()):
        missing.append("word folders with .wav files")
    if not missing:
        return
    entries = sorted(f"{p.name}/" if p.is_dir() else p.name for p in root.iterdir())
    found = ", ".join(entries[:8]) + (f" (+{len(entries) - 8} more)" if len(entries) > 8 else "")
    hint = "".join(
        f"; did you mean {d}?" for d in sorted(root.iterdir()) if (d / LIST_FILES["dev"]).is_file()
    )
    if (root / "_silence_").is_dir() and (root / "_unknown_").is_dir():
        hint += "; this looks like the separate test set archive, pass the main corpus instead"
    raise CorpusError(
        f"{root} is not a Speech Commands v0.01 directory: missing {', '.join(missing)}; "
        f"found {found or 'nothing'}. Expected word folders (yes/, no/, ...), "
        f"validation_list.txt, testing_list.txt and {NOISE_DIR}/{hint}"
    )


def _is_word_dir(path: Path) -> bool:
    return path.is_dir() and not path.name.startswith(("_", "."))


def _word_clips(root: Path) -> set[str]:
    """Every ``"<word>/<file>.wav"`` under the word folders."""
    return {
        f"{d.name}/{f.name}" for d in root.iterdir() if _is_word_dir(d) for f in d.glob("*.wav")
    }


def _read_list(root: Path, name: str, clips: set[str]) -> set[str]:
    path = root / name
    entries = {line.strip() for line in path.read_text().splitlines() if line.strip()}
    missing = sorted(entries - clips)
    if missing:
        raise CorpusError(
            f"{path} names {len(missing)} file(s) missing under {root}, first {missing[0]}; "
            "re-extract the corpus or fix the list"
        )
    return entries


def _word_utterance(root: Path, relpath: str) -> Utterance:
    word, name = relpath.split("/")
    return Utterance(
        uid=relpath.removesuffix(".wav"),
        path=root / relpath,
        label=word if word in COMMANDS else "_unknown_",
        speaker=name.partition("_nohash_")[0],
    )


def _noise_lengths(root: Path) -> list[tuple[Path, int]]:
    """Background noise files and their lengths in samples at 16 kHz, sorted by name."""
    paths = sorted((root / NOISE_DIR).glob("*.wav"))
    if not paths:
        raise CorpusError(
            f"{root / NOISE_DIR} has no .wav files; the _silence_ class is cropped from them, "
            "re-extract the corpus"
        )
    lengths = []
    for path in paths:
        try:
            info = soundfile.info(str(path))
        except RuntimeError as err:
            raise AudioError(f"cannot read background noise {path}: {err}") from err
        lengths.append((path, info.frames * SAMPLE_RATE // info.samplerate))
    return lengths


def _balance(
    root: Path, split: str, words: list[Utterance], noises: list[tuple[Path, int]], seed: int
) -> list[Utterance]:
    """Subsample ``_unknown_`` (dev/test) and add ``_silence_``, both to the mean command count."""
    rng = random.Random(f"speech_commands/{seed}/{split}")
    counts = Counter(u.label for u in words)
    target = round(sum(counts[c] for c in COMMANDS) / len(COMMANDS))
    if split != "train":
        unknown = [u for u in words if u.label == "_unknown_"]
        keep = {u.uid for u in rng.sample(unknown, min(target, len(unknown)))}
        words = [u for u in words if u.label != "_unknown_" or u.uid in keep]
    return words + _silence_crops(root, split, target, noises, rng)


def _silence_crops(
    root: Path, split: str, count: int, noises: list[tuple[Path, int]], rng: random.Random
) -> list[Utterance]:
    """``count`` 1 s crops, cycling over the noise files, inside each file's part for ``split``."""
    lo_frac, hi_frac = NOISE_PARTS[split]
    ranges = [(path, int(n * lo_frac), int(n * hi_frac)) for path, n in noises]
    ranges = [(path, lo, hi) for path, lo, hi in ranges if hi - lo >= CROP_SAMPLES]
    if count and not ranges:
        raise CorpusError(
            f"{root / NOISE_DIR}: no background noise file is long enough for 1 s {split} crops "
            f"from its {lo_frac:.0%}-{hi_frac:.0%} part; files need at least 10 s"
        )
    crops = []
    for i in range(count):
        path, lo, hi = ranges[i % len(ranges)]
        start = rng.randint(lo, hi - CROP_SAMPLES)
        crops.append(
            Utterance(
                uid=f"_silence_/{split}_{i:05d}_{path.stem}",
                path=path,
                label="_silence_",
                start=start,
                end=start + CROP_SAMPLES,
            )
        )
    return crops
