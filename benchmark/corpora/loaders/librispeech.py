"""Loader for LibriSpeech (PR and ASR): train-clean-100, dev-clean, test-clean.

Reads the layout of the real download (``train-clean-100.tar.gz`` etc. extracted
into one ``LibriSpeech/`` folder) and of the synthetic stand-in
(:mod:`benchmark.corpora.synthetic.librispeech`)::

    <root>/<subset>/<speaker>/<chapter>/<speaker>-<chapter>-<nnnn>.flac
    <root>/<subset>/<speaker>/<chapter>/<speaker>-<chapter>.trans.txt   "<utterance id> <TRANSCRIPT>" lines

Labels are the transcripts as written (upper case, apostrophes, single spaces).
"""

from __future__ import annotations

from pathlib import Path

from benchmark.corpora.base import Splits, Utterance
from benchmark.errors import CorpusError

SUBSETS = {"train": "train-clean-100", "dev": "dev-clean", "test": "test-clean"}


def load_librispeech(root: Path, *, seed: int = 0) -> Splits:
    """Utterances of ``"train"`` (train-clean-100), ``"dev"`` (dev-clean), ``"test"`` (test-clean).

    Each split lists its utterances sorted by id; ``uid`` is the utterance id
    (``"19-198-0001"``), ``speaker`` the speaker number, ``label`` the transcript.
    ``seed`` is unused (the splits are fixed).

    Raises:
        CorpusError: missing root, wrong layout, an audio file without a transcript
            line or a transcript line without audio, an empty split.
    """
    root = Path(root)
    _check_layout(root)
    return {split: _load_subset(root / subset) for split, subset in SUBSETS.items()}


def _check_layout(root: Path) -> None:
    if not root.exists():
        raise CorpusError(f"LibriSpeech root {root} does not exist; download train-clean-100, dev-clean and "
                          f"test-clean from openslr.org/12, extract them and pass the LibriSpeech/ directory")
    if not root.is_dir():
        raise CorpusError(f"LibriSpeech root {root} is a file, not a directory; extract it and pass the "
                          f"directory that holds {', '.join(SUBSETS.values())}")
    missing = [subset for subset in SUBSETS.values() if not (root / subset).is_dir()]
    if not missing:
        return
    entries = sorted(f"{p.name}/" if p.is_dir() else p.name for p in root.iterdir())
    found = ", ".join(entries[:8]) + (f" (+{len(entries) - 8} more)" if len(entries) > 8 else "")
    hint = "".join(f"; did you mean {d}?" for d in sorted(root.iterdir())
                   if d.is_dir() and any((d / s).is_dir() for s in SUBSETS.values()))
    if (root / "validation_list.txt").is_file():
        hint += "; this looks like Speech Commands (a keyword spotting corpus), not LibriSpeech"
    elif (root / "Audio").is_dir() and (root / "scoring").is_dir():
        hint += "; this looks like QUESST 2014 (the QbE corpus), not LibriSpeech"
    raise CorpusError(f"{root} is not a LibriSpeech directory: missing {', '.join(missing)}; found "
                      f"{found or 'nothing'}. Expected {', '.join(f'{s}/' for s in SUBSETS.values())} with "
                      f"<speaker>/<chapter>/*.flac and <speaker>-<chapter>.trans.txt{hint}")


def _load_subset(subset: Path) -> list[Utterance]:
    utterances = []
    for chapter in sorted(p for p in subset.glob("*/*") if p.is_dir()):
        audio = {p.stem: p for p in chapter.glob("*.flac")}
        transcript = chapter / f"{chapter.parent.name}-{chapter.name}.trans.txt"
        if not transcript.is_file():
            if audio:
                raise CorpusError(f"{chapter}: has {len(audio)} .flac file(s) but no {transcript.name}; "
                                  f"restore the transcript or remove the chapter")
            continue
        texts = _read_transcript(transcript)
        unlabelled = sorted(set(audio) - set(texts))
        if unlabelled:
            raise CorpusError(f"{transcript} has no line for {len(unlabelled)} .flac file(s), first "
                              f"{unlabelled[0]}; restore the transcript or remove the audio")
        missing = sorted(set(texts) - set(audio))
        if missing:
            raise CorpusError(f"{transcript} names {len(missing)} utterance(s) without a .flac file, first "
                              f"{missing[0]}; re-extract the corpus")
        utterances += [Utterance(uid=uid, path=audio[uid], label=texts[uid], speaker=chapter.parent.name)
                       for uid in sorted(texts)]
    if not utterances:
        raise CorpusError(f"{subset} holds no utterances (expected <speaker>/<chapter>/*.flac with "
                          f"<speaker>-<chapter>.trans.txt); re-extract the corpus")
    return sorted(utterances, key=lambda u: u.uid)


def _read_transcript(path: Path) -> dict[str, str]:
    texts = {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        uid, _, text = line.strip().partition(" ")
        if not text.strip():
            raise CorpusError(f"{path}:{number}: utterance {uid} has an empty transcript; fix the line")
        texts[uid] = " ".join(text.split())
    return texts
