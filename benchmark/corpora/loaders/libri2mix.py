"""Loader for Libri2Mix speaker diarization (SD): the Kaldi-style data dirs s3prl trains on.

s3prl's SD recipe does not read Libri2Mix itself: LibriMix's
``scripts/prepare_diarization.py`` (ftshijt/LibriMix) turns
``Libri2Mix/wav16k/max/metadata/mixture_{train,dev,test}_mix_both.csv`` and the
LibriSpeech speech-activity RTTMs into one directory per split, and that is what
``--data`` (or ``SUPERB_LIBRI2MIX_DATA``) points at::

    <root>/train/   (from train-100), <root>/dev/, <root>/test/, each with
        wav.scp    "<recording> <wav path>"            (relative paths: from <root>)
        segments   "<segment> <recording> <start s> <end s>"
        utt2spk    "<segment> <speaker>"
        reco2dur   "<recording> <duration s>"
        rttm       "SPEAKER <recording> 1 <start s> <duration s> <NA> <NA> <speaker> <NA> [<NA>]"
        spk2utt    (written by the preparation, not needed here)

Frame labels come from ``segments`` + ``utt2spk`` (as s3prl's ``DiarizationDataset``);
the reference for DER is the ``rttm`` (as s3prl's ``score.sh``). Every line is
checked: a line that does not parse, names an unknown recording, or ends past the
recording's duration (by more than :data:`END_TOLERANCE`) is refused with its file
and line number.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from benchmark.corpora.base import Splits, Utterance
from benchmark.errors import CorpusError

SPLITS = ("train", "dev", "test")
FILES = ("wav.scp", "segments", "utt2spk", "reco2dur", "rttm")
NUM_SPEAKERS = 2  # s3prl config.yaml datarc.num_speakers
END_TOLERANCE = 0.01
"""Seconds a segment may end after ``reco2dur`` (float rounding of the preparation), at most."""


@dataclass(frozen=True)
class Recording:
    """The label of one mixture (``Utterance.label`` for SD).

    Attributes:
        duration: seconds, from ``reco2dur`` (frame labels span ``int(duration * 16000 / stride)``).
        speakers: the recording's speakers, sorted (label column ``i`` is ``speakers[i]``).
        turns: ``(speaker, start s, end s)`` of every ``segments`` line of the recording.
        rttm: the split's reference RTTM file (read with pyannote for scoring).
    """

    duration: float
    speakers: tuple[str, ...]
    turns: tuple[tuple[str, float, float], ...]
    rttm: Path = field(compare=False, repr=False)  # not in the corpus hash: the corpus may move


def load_libri2mix(root: Path, *, seed: int = 0) -> Splits:
    """One :class:`Utterance` per recording of ``train``, ``dev``, ``test`` (order of ``wav.scp``).

    ``uid`` is the recording id, ``path`` its wav, ``label`` a :class:`Recording`.
    ``seed`` is unused (the splits are fixed).

    Raises:
        CorpusError: a missing directory or file, a line that does not parse, a
            segment or RTTM turn outside its recording, a recording with more than
            two speakers, an empty split.
    """
    root = Path(root)
    if not root.is_dir():
        raise CorpusError(f"Libri2Mix diarization root {root} is not a directory; run LibriMix's "
                          f"scripts/prepare_diarization.py and pass its --target_dir (holding train/, dev/, test/)")
    missing = [f"{split}/{name}" for split in SPLITS for name in FILES if not (root / split / name).is_file()]
    if missing:
        raise CorpusError(f"{root} is not a Libri2Mix diarization directory: missing {', '.join(missing[:4])}"
                          f"{' ...' if len(missing) > 4 else ''}. Expected train/, dev/, test/ each with "
                          f"{', '.join(FILES)} (as LibriMix's scripts/prepare_diarization.py writes them)")
    return {split: _load_split(root, root / split) for split in SPLITS}


def _lines(path: Path, fields: int, at_least: bool = False) -> Iterator[tuple[int, list[str]]]:
    """``(line number, fields)`` of every non-empty line; a wrong field count is a :class:`CorpusError`."""
    for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) < fields or (not at_least and len(parts) != fields):
            raise CorpusError(f"{path}:{number}: expected {fields}{' or more' if at_least else ''} fields, got "
                              f"{len(parts)} ({line.strip()[:80]!r}); fix the line")
        yield number, parts


def _seconds(path: Path, number: int, text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value >= 0 or value == float("inf"):
        raise CorpusError(f"{path}:{number}: {what} {text!r} is not a non-negative number of seconds; fix the line")
    return value


def _check_span(path: Path, number: int, recording: str, start: float, end: float,
                durations: dict[str, float]) -> None:
    if recording not in durations:
        raise CorpusError(f"{path}:{number}: recording {recording!r} is not in wav.scp and reco2dur; "
                          f"fix the line or add the recording")
    if end < start:
        raise CorpusError(f"{path}:{number}: ends ({end:g} s) before it starts ({start:g} s); fix the line")
    if end > durations[recording] + END_TOLERANCE:
        raise CorpusError(f"{path}:{number}: ends at {end:g} s, past the end of {recording} "
                          f"({durations[recording]:g} s in reco2dur); fix the line or the duration")


def _load_split(root: Path, folder: Path) -> list[Utterance]:
    wavs: dict[str, Path] = {}
    for number, (rec, location) in _lines(folder / "wav.scp", 2):
        path = Path(location) if Path(location).is_absolute() else root / location
        if not path.is_file():
            raise CorpusError(f"{folder / 'wav.scp'}:{number}: {path} does not exist; generate the Libri2Mix "
                              f"mixtures or fix the path")
        wavs[rec] = path
    durations: dict[str, float] = {}
    for number, (rec, text) in _lines(folder / "reco2dur", 2):
        durations[rec] = _seconds(folder / "reco2dur", number, text, "duration")
    lacking = sorted(set(wavs) - set(durations))
    if lacking:
        raise CorpusError(f"{folder / 'reco2dur'}: has no duration for {len(lacking)} recording(s) of wav.scp, "
                          f"first {lacking[0]}; add them")
    durations = {rec: durations[rec] for rec in wavs}
    speaker_of = {seg: spk for _, (seg, spk) in _lines(folder / "utt2spk", 2)}
    turns: dict[str, list[tuple[str, float, float]]] = {rec: [] for rec in wavs}
    segments = folder / "segments"
    for number, (seg, rec, start, end) in _lines(segments, 4):
        start_s, end_s = _seconds(segments, number, start, "start"), _seconds(segments, number, end, "end")
        _check_span(segments, number, rec, start_s, end_s, durations)
        if seg not in speaker_of:
            raise CorpusError(f"{segments}:{number}: segment {seg!r} has no speaker in utt2spk; add it")
        turns[rec].append((speaker_of[seg], start_s, end_s))
    rttm = folder / "rttm"
    for number, parts in _lines(rttm, 9, at_least=True):
        if parts[0] != "SPEAKER":
            continue
        start_s = _seconds(rttm, number, parts[3], "start")
        _check_span(rttm, number, parts[1], start_s, start_s + _seconds(rttm, number, parts[4], "duration"),
                    durations)
    if not wavs:
        raise CorpusError(f"{folder / 'wav.scp'} lists no recordings; rerun the preparation")
    utterances = []
    for rec, path in wavs.items():
        speakers = tuple(sorted({spk for spk, _, _ in turns[rec]}))
        if len(speakers) > NUM_SPEAKERS:
            raise CorpusError(f"{segments}: recording {rec} has {len(speakers)} speakers ({', '.join(speakers)}); "
                              f"SD scores {NUM_SPEAKERS}-speaker mixtures (Libri2Mix); remove the extra segments")
        utterances.append(Utterance(uid=rec, path=path, label=Recording(durations[rec], speakers,
                                                                         tuple(turns[rec]), rttm)))
    return utterances
