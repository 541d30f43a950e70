"""Loaders for VoxCeleb1: speaker identification (SID) and speaker verification (ASV).

Reads the layout of the real download and of the synthetic stand-in
(:mod:`benchmark.corpora.synthetic.voxceleb1`)::

    <root>/vox1_dev_wav/wav/<id>/<video>/<nnnnn>.wav     (or <root>/dev/wav/..., as s3prl names it)
    <root>/vox1_test_wav/wav/<id>/<video>/<nnnnn>.wav    (or <root>/test/wav/...)
    <root>/wav/<id>/<video>/<nnnnn>.wav                  (instead: both merged)
    <root>/iden_split.txt     "1|2|3 <id>/<video>/<nnnnn>.wav": train / dev / test (SID)
    <root>/veri_test2.txt     "1|0 <utt> <utt>": target / non-target trials (ASV test)

Speakers and classes come from these files (1,251 on the real corpus, none hard-coded).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmark.corpora.base import Splits, Trial, TrialSplits, Utterance
from benchmark.errors import CorpusError

SAMPLE_RATE = 16000
TRAIN_CROP = 128000  # s3prl max_timestep: training crops of at most 8 s
MIN_TRAIN_SAMPLES = 32000  # s3prl sv vad_config.min_sec: verification training keeps utterances over 2 s
DEV_SPEAKERS = 40  # held out of verification training for the dev trials (as many as the test speakers)
DEV_TRIALS_PER_KIND = 10000  # dev target and non-target trials each, at most
IDEN_SPLITS = {"1": "train", "2": "dev", "3": "test"}
WAV_DIRS = ("vox1_dev_wav/wav", "dev/wav", "vox1_test_wav/wav", "test/wav", "wav")
TRAIN_WAV_DIRS = ("vox1_dev_wav/wav", "dev/wav")


def find_wavs(root: Path) -> tuple[dict[str, Path], dict[str, str]]:
    """Every ``<id>/<video>/<n>.wav`` under the wav folders: relative path to file, and to its wav folder."""
    root = Path(root)
    if not root.is_dir():
        raise CorpusError(f"VoxCeleb1 root {root} does not exist or is not a directory; pass the folder that "
                          f"holds vox1_dev_wav/, vox1_test_wav/, iden_split.txt and veri_test2.txt")
    files: dict[str, Path] = {}
    folder: dict[str, str] = {}
    for name in WAV_DIRS:
        for path in sorted((root / name).glob("*/*/*.wav")):
            rel = "/".join(path.parts[-3:])
            files.setdefault(rel, path)
            folder.setdefault(rel, name)
    if not files:
        raise CorpusError(f"{root} holds no VoxCeleb1 audio: expected {', '.join(d + '/' for d in WAV_DIRS[::2])} "
                          f"with <id>/<video>/<nnnnn>.wav (extract vox1_dev_wav.zip and vox1_test_wav.zip there)")
    return files, folder


def read_list(path: Path, what: str) -> list[tuple[int, list[str]]]:
    """Non-blank lines of a list file as ``(line number, fields)``; a missing or empty file is an error."""
    if not path.is_file():
        raise CorpusError(f"{path} is missing; put the VoxCeleb1 {what} there")
    lines = [(n, line.split()) for n, line in enumerate(path.read_text().splitlines(), 1) if line.strip()]
    if not lines:
        raise CorpusError(f"{path} is empty; it must list the {what}")
    return lines


def _resolve(files: dict[str, Path], rel: str, where: str) -> Path:
    if rel not in files:
        raise CorpusError(f"{where}: {rel} is not in the corpus (no <root>/{{vox1_dev_wav,vox1_test_wav}}/wav/{rel}); "
                          f"restore the file or remove the line")
    return files[rel]


def num_samples(path: Path) -> int:
    """Length of an audio file in samples at 16 kHz (from its header)."""
    import soundfile

    try:
        info = soundfile.info(str(path))
    except Exception as err:  # soundfile raises several types for bad files
        raise CorpusError(f"{path}: cannot be read as audio ({str(err).splitlines()[0] if str(err) else err}); "
                          f"replace or remove it") from None
    return info.frames * SAMPLE_RATE // info.samplerate


def utterance(rel: str, path: Path, start: int = 0, end: int | None = None) -> Utterance:
    speaker = rel.split("/")[0]
    return Utterance(uid=rel.removesuffix(".wav"), path=path, label=speaker, start=start, end=end, speaker=speaker)


def load_voxceleb1_iden(root: Path, *, seed: int = 0) -> Splits:
    """Speaker identification: ``"train"``, ``"dev"``, ``"test"`` from iden_split.txt (1, 2, 3).

    ``label`` and ``speaker`` are the speaker id (``"id10001"``). A training utterance
    longer than 8 s becomes one fixed crop of 8 s, its start drawn from ``seed`` and
    the line number (s3prl draws a fresh crop each time; the pooled path needs a fixed one).

    Raises:
        CorpusError: no audio, a missing or empty iden_split.txt, a line that does not
            parse or names a missing file, a dev or test speaker with no training utterance.
    """
    root = Path(root)
    files, _ = find_wavs(root)
    split_file = root / "iden_split.txt"
    splits: Splits = {"train": [], "dev": [], "test": []}
    first_line: dict[str, tuple[int, str]] = {}
    for number, fields in read_list(split_file, "identification split ('1|2|3 <id>/<video>/<nnnnn>.wav' lines)"):
        where = f"{split_file}:{number}"
        if len(fields) != 2 or fields[0] not in IDEN_SPLITS or fields[1].count("/") != 2:
            raise CorpusError(f"{where}: expected '1|2|3 <id>/<video>/<nnnnn>.wav', got {' '.join(fields)!r}; "
                              f"fix the line")
        split, rel = IDEN_SPLITS[fields[0]], fields[1]
        path = _resolve(files, rel, where)
        start, end = 0, None
        if split == "train" and (length := num_samples(path)) > TRAIN_CROP:
            start = int(np.random.default_rng([seed, number]).integers(0, length - TRAIN_CROP + 1))
            end = start + TRAIN_CROP
        splits[split].append(utterance(rel, path, start, end))
        first_line.setdefault(f"{split} {rel.split('/')[0]}", (number, rel))
    trained = {u.speaker for u in splits["train"]}
    for key, (number, rel) in sorted(first_line.items(), key=lambda item: item[1][0]):
        split, speaker = key.split()
        if speaker not in trained:
            raise CorpusError(f"{split_file}:{number}: speaker {speaker} ({rel}, {split}) has no training "
                              f"utterance ('1 {speaker}/...' line); add one or drop the speaker's lines")
    return splits


def parse_trials(path: Path, files: dict[str, Path]) -> list[tuple[bool, str, str]]:
    """``(target, enrol, test)`` relative paths of every line of a trial list."""
    trials = []
    for number, fields in read_list(path, "verification trials ('1|0 <utt> <utt>' lines)"):
        where = f"{path}:{number}"
        if len(fields) != 3 or fields[0] not in ("0", "1") or any(f.count("/") != 2 for f in fields[1:]):
            raise CorpusError(f"{where}: expected '1|0 <id>/<video>/<nnnnn>.wav <id>/<video>/<nnnnn>.wav', "
                              f"got {' '.join(fields)!r}; fix the line")
        for rel in fields[1:]:
            _resolve(files, rel, where)
        trials.append((fields[0] == "1", fields[1], fields[2]))
    return trials


def index_trials(trials: list[tuple[bool, str, str]], files: dict[str, Path]) -> tuple[list[Utterance], list[Trial]]:
    """The distinct utterances of ``trials`` (first-seen order) and the trials as indices into them."""
    order: dict[str, int] = {}
    for _, enrol, test in trials:
        order.setdefault(enrol, len(order))
        order.setdefault(test, len(order))
    return ([utterance(rel, files[rel]) for rel in order],
            [Trial(order[enrol], order[test], target) for target, enrol, test in trials])


def draw_dev_trials(rels: list[str], seed: int) -> list[tuple[bool, str, str]]:
    """Balanced trials among ``rels`` (the held-out speakers' utterances); target pairs span two videos."""
    rng = np.random.default_rng([seed, 7])
    speaker = [rel.split("/")[0] for rel in rels]
    video = [rel.split("/")[1] for rel in rels]
    same = [(i, j) for i in range(len(rels)) for j in range(i + 1, len(rels)) if speaker[i] == speaker[j]]
    targets = [(i, j) for i, j in same if video[i] != video[j]] or same
    pairs = len(rels) * (len(rels) - 1) // 2
    count = min(DEV_TRIALS_PER_KIND, len(targets), pairs - len(same))
    if not count:
        raise CorpusError(f"the held-out dev speakers ({', '.join(sorted(set(speaker)))}) have too few utterances "
                          f"for target and non-target trials; add utterances")
    trials = [(True, rels[i], rels[j]) for i, j in (targets[k] for k in rng.choice(len(targets), count, replace=False))]
    others: set[tuple[int, int]] = set()
    while len(others) < count:
        i, j = sorted(int(x) for x in rng.choice(len(rels), 2, replace=False))
        if speaker[i] != speaker[j]:
            others.add((i, j))
    trials += [(False, rels[i], rels[j]) for i, j in sorted(others)]
    return [trials[k] for k in rng.permutation(len(trials))]


def load_voxceleb1_veri(root: Path, *, seed: int = 0) -> TrialSplits:
    """Speaker verification: ``"train"`` utterances and ``"dev"`` / ``"test"`` trials.

    test: the utterances and trials of veri_test2.txt. train: the utterances over 2 s of
    the speakers in vox1_dev_wav/ (with a single wav/ folder: the speakers of no test
    trial), except :data:`DEV_SPEAKERS` of them (at most 1/8, drawn from ``seed``), whose
    utterances form balanced dev trials (:func:`draw_dev_trials`) for checkpoint selection.
    ``label`` and ``speaker`` are the speaker id.

    Raises:
        CorpusError: no audio, a missing or empty veri_test2.txt, a trial that does not
            parse or names a missing file, too few training speakers.
    """
    root = Path(root)
    files, folder = find_wavs(root)
    trial_file = root / "veri_test2.txt"
    test_trials = parse_trials(trial_file, files)
    tested = {rel.split("/")[0] for _, *pair in test_trials for rel in pair}
    train_dirs = [d for d in TRAIN_WAV_DIRS if (root / d).is_dir()]
    candidates = sorted({rel.split("/")[0] for rel, d in folder.items()
                         if (d in train_dirs or not train_dirs)} - tested)
    if len(candidates) < 4:
        raise CorpusError(f"{root}: {len(candidates)} speaker(s) outside the test trials of {trial_file.name}; "
                          f"verification needs at least 4 (2 trained, 2 held out for dev trials)")
    held_out = set(np.random.default_rng([seed, 5]).choice(
        candidates, min(DEV_SPEAKERS, max(2, round(len(candidates) / 8))), replace=False).tolist())
    train = [utterance(rel, path) for rel, path in files.items()
             if rel.split("/")[0] in set(candidates) - held_out and num_samples(path) > MIN_TRAIN_SAMPLES]
    if not train:
        raise CorpusError(f"{root}: no training utterance is longer than 2 s; verification needs some")
    dev, dev_trials = index_trials(draw_dev_trials([rel for rel in files if rel.split("/")[0] in held_out], seed),
                                   files)
    test, trials = index_trials(test_trials, files)
    return TrialSplits({"train": train, "dev": dev, "test": test}, {"dev": dev_trials, "test": trials})
