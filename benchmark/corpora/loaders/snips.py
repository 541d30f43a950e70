"""Loader for Audio SNIPS (SF) in the layout s3prl's ``preprocess/snips_prepare_data.sh`` writes.

The same layout holds the synthetic stand-in (:mod:`benchmark.corpora.synthetic.snips`)::

    <root>/all.iob.snips.txt    "<Voice>-snips-<split>-<n> BOS <WORDS> EOS<TAB>O <slot type per word> <intent>"
    <root>/slots.txt            the slot types, one a line (the first line, "O", is not a type)
    <root>/{train,valid,test}/<Voice>-snips-<split>-<n>.wav

Every voice reads every sentence of a split; as s3prl's ``snips.yaml``, train is the
``train/`` audio of :data:`TRAIN_VOICES`, dev the ``valid/`` audio of :data:`VALID_VOICES`,
test the ``test/`` audio of :data:`TEST_VOICES` (speaker-disjoint).

Labels are annotated transcripts, built as s3prl's character-slot tokenizer reads a
line: the words without BOS and EOS, punctuation words (``? ! . , ; -``) dropped, ``&``
read ``AND``, and each run of words of one slot type (not ``O``) wrapped in
``B-<type>`` and ``E-<type>``: ``"PLAY B-artist MADONNA E-artist ON B-service SPOTIFY E-service"``.
"""

from __future__ import annotations

import re
from pathlib import Path

from benchmark.corpora.base import Splits, Utterance
from benchmark.errors import CorpusError

TRANSCRIPTS = "all.iob.snips.txt"
SLOTS = "slots.txt"
TRAIN_VOICES = ("Ivy", "Joanna", "Joey", "Justin", "Kendra", "Kimberly", "Matthew", "Salli")
VALID_VOICES = ("Aditi", "Amy", "Geraint", "Nicole")
TEST_VOICES = ("Brian", "Emma", "Raveena", "Russell")
SPLITS = {"train": ("train", TRAIN_VOICES), "dev": ("valid", VALID_VOICES), "test": ("test", TEST_VOICES)}
"""Split to its audio folder and voices (s3prl ``snips.yaml``)."""
OUTSIDE = "O"
PUNCTUATION = "?!.,;-"  # s3prl skips a word that is a substring of this
_UID = re.compile(r"(?P<voice>[^-]+)-snips-(?P<folder>train|valid|test)-\d+")
_FORMAT = "'<Voice>-snips-<split>-<n> BOS <WORDS> EOS<TAB>O <slot type per word> <intent>'"
_PREPARE = "prepare the corpus with s3prl's preprocess/snips_prepare_data.sh"


def load_snips(root: Path, *, seed: int = 0) -> Splits:
    """Utterances of ``"train"``, ``"dev"``, ``"test"``, each sorted by id.

    ``uid`` is the utterance id (``"Ivy-snips-train-12"``), ``speaker`` the voice,
    ``label`` the annotated transcript. ``seed`` is unused (the splits are fixed).

    Raises:
        CorpusError: missing root or files; a transcript line that does not parse,
            uses a slot type missing from slots.txt, or names a missing .wav
            (``file:line`` in the message); an empty split.
    """
    root = Path(root)
    _check_layout(root)
    types = _read_slot_types(root / SLOTS)
    splits: Splits = {split: [] for split in SPLITS}
    wanted = {(folder, voice): split for split, (folder, voices) in SPLITS.items() for voice in voices}
    path = root / TRANSCRIPTS
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        uid, label = _parse_line(line, types, f"{path}:{number}")
        match = _UID.fullmatch(uid)
        split = wanted.get((match["folder"], match["voice"]))
        if split is None:
            continue
        audio = root / match["folder"] / f"{uid}.wav"
        if not audio.is_file():
            raise CorpusError(f"{path}:{number} names {uid} but {audio} does not exist; restore the audio "
                              f"(or {_PREPARE})")
        splits[split].append(Utterance(uid=uid, path=audio, label=label, speaker=match["voice"]))
    for split, (folder, voices) in SPLITS.items():
        if not splits[split]:
            raise CorpusError(f"{path} has no line for the {folder} audio of {', '.join(voices)}; {_PREPARE}")
        splits[split].sort(key=lambda u: u.uid)
    return splits


def _check_layout(root: Path) -> None:
    if not root.is_dir():
        state = "is a file, not a directory" if root.exists() else "does not exist"
        raise CorpusError(f"Audio SNIPS root {root} {state}; {_PREPARE} and pass its SNIPS/ directory")
    missing = [name for name in (TRANSCRIPTS, SLOTS) if not (root / name).is_file()]
    missing += [f"{folder}/" for folder, _ in SPLITS.values() if not (root / folder).is_dir()]
    if missing:
        found = sorted(f"{p.name}/" if p.is_dir() else p.name for p in root.iterdir())
        raise CorpusError(f"{root} is not an Audio SNIPS directory: missing {', '.join(missing)}; found "
                          f"{', '.join(found[:8]) or 'nothing'}. Expected {TRANSCRIPTS}, {SLOTS}, train/, valid/, "
                          f"test/; {_PREPARE}")


def _read_slot_types(path: Path) -> set[str]:
    """The slot types of slots.txt (its first line, ``O``, skipped as s3prl does)."""
    return {line.strip() for line in path.read_text().splitlines()[1:] if line.strip()}


def _parse_line(line: str, types: set[str], where: str) -> tuple[str, str]:
    """``(uid, annotated transcript)`` of one line of all.iob.snips.txt."""
    uid, _, rest = line.strip().partition(" ")
    if not _UID.fullmatch(uid):
        raise CorpusError(f"{where}: utterance id {uid!r} is not <Voice>-snips-<train|valid|test>-<n>; "
                          f"expected {_FORMAT}")
    text, tab, annotation = rest.partition("\t")
    words, tags = text.split(), annotation.split()
    if not tab or "\t" in annotation or words[:1] != ["BOS"] or words[-1:] != ["EOS"] or len(words) < 3:
        raise CorpusError(f"{where}: slot annotation does not parse; expected {_FORMAT}")
    if len(tags) != len(words) or tags[0] != OUTSIDE:
        raise CorpusError(f"{where}: {len(words) - 2} word(s) but {len(tags) - 2} slot type(s) between the "
                          f"leading O and the intent; give one slot type (or O) per word")
    words, tags = words[1:-1], tags[1:-1]
    unknown = sorted(set(tags) - types - {OUTSIDE})
    if unknown:
        raise CorpusError(f"{where}: slot type {unknown[0]!r} is not in {SLOTS}; add it there or fix the line")
    hyphenated = [w for w in words if "-" in w and w not in PUNCTUATION]
    if hyphenated:
        raise CorpusError(f"{where}: word {hyphenated[0]!r} has a hyphen; split it into words as "
                          f"s3prl's snips_preprocess.py does")
    return uid, annotate(words, tags)


def annotate(words: list[str], tags: list[str]) -> str:
    """Words and their slot types (``O`` outside slots) to the annotated transcript (module docstring)."""
    tokens = []
    for i, (word, tag) in enumerate(zip(words, tags)):
        if word in PUNCTUATION:
            continue
        if tag != OUTSIDE and (i == 0 or tags[i - 1] != tag):
            tokens.append(f"B-{tag}")
        tokens.append("AND" if word == "&" else word)
        if tag != OUTSIDE and (i == len(words) - 1 or tags[i + 1] != tag):
            tokens.append(f"E-{tag}")
    return " ".join(tokens)
