"""Loader for IEMOCAP (emotion recognition, ER): four classes, one split per session.

Reads the layout of the real release (``IEMOCAP_full_release/``) and of the synthetic
stand-in (:mod:`benchmark.corpora.synthetic.iemocap`)::

    <root>/Session<n>/sentences/wav/<dialog>/<utterance>.wav      n = 1..5
    <root>/Session<n>/dialog/EmoEvaluation/<dialog>.txt           one block per utterance

In an EmoEvaluation file, each utterance's block starts with a line
``[<start> - <end>]<TAB><utterance><TAB><emotion><TAB>[<V>, <A>, <D>]``; the other lines
(the annotators' votes) are not read. As s3prl's emotion recipe: ``neu``, ``hap``,
``ang``, ``sad`` kept, ``exc`` (excited) merged into ``hap``, every other emotion
dropped. The sessions are the groups of the five leave-one-session-out folds
(:mod:`benchmark.folds`).
"""

from __future__ import annotations

import re
from pathlib import Path

from benchmark.corpora.base import Splits, Utterance
from benchmark.errors import CorpusError

SESSIONS = tuple(f"Session{n}" for n in range(1, 6))
CLASSES = ("neu", "hap", "ang", "sad")
MERGED = {"neu": "neu", "hap": "hap", "exc": "hap", "ang": "ang", "sad": "sad"}
"""EmoEvaluation emotion -> class; emotions not listed are dropped."""
TURN_LINE = re.compile(r"\[\s*[\d.]+\s*-\s*[\d.]+\s*\]\s+(\S+)\s+(\S+)\s+\[.*\]\s*$")


def load_iemocap(root: Path, *, seed: int = 0) -> Splits:
    """Utterances of each session: ``{"Session1": [...], ..., "Session5": [...]}``.

    ``uid`` is the utterance name (``Ses01F_impro01_M003``), ``label`` one of
    :data:`CLASSES`, ``speaker`` the session and the speaker's gender (``Ses01M``).
    Each session lists its utterances sorted by name. ``seed`` is unused (the folds
    draw their own dev sets).

    Raises:
        CorpusError: missing root or session, a malformed line, a kept line whose
            wav is missing (file and line named), a session with no kept utterance.
    """
    root = Path(root)
    _check_layout(root)
    return {session: _load_session(root, session) for session in SESSIONS}


def _check_layout(root: Path) -> None:
    if not root.is_dir():
        raise CorpusError(f"IEMOCAP root {root} is not a directory; extract IEMOCAP_full_release and pass the "
                          f"directory that holds Session1 .. Session5")
    missing = [s for s in SESSIONS if not (root / s / "dialog" / "EmoEvaluation").is_dir()]
    if missing:
        hint = "".join(f"; did you mean {d}?" for d in sorted(root.iterdir()) if (d / SESSIONS[0]).is_dir())
        raise CorpusError(f"{root} is not an IEMOCAP directory: missing "
                          f"{', '.join(f'{s}/dialog/EmoEvaluation/' for s in missing)}. Expected Session1 .. Session5, "
                          f"each with sentences/wav/<dialog>/*.wav and dialog/EmoEvaluation/<dialog>.txt{hint}")


def _load_session(root: Path, session: str) -> list[Utterance]:
    utterances = []
    for path in sorted((root / session / "dialog" / "EmoEvaluation").glob("*.txt")):
        if path.name.startswith("."):  # macOS "._" resource files in the real release
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            if not line.startswith("["):
                continue
            match = TURN_LINE.match(line)
            if not match:
                raise CorpusError(f"{path}:{number}: expected '[start - end]<TAB>utterance<TAB>emotion<TAB>[V, A, D]', "
                                  f"got {line.strip()[:60]!r}; fix the line")
            name, emotion = match.groups()
            if emotion not in MERGED:
                continue
            wav = root / session / "sentences" / "wav" / name.rpartition("_")[0] / f"{name}.wav"
            if not wav.is_file():
                raise CorpusError(f"{path}:{number}: utterance {name} has no wav at {wav.relative_to(root)}; "
                                  f"restore the file or remove its block")
            utterances.append(Utterance(uid=name, path=wav, label=MERGED[emotion],
                                        speaker=name[:5] + name.rpartition("_")[2][:1]))
    if not utterances:
        raise CorpusError(f"{root / session}/dialog/EmoEvaluation has no utterance labelled "
                          f"{', '.join(sorted(MERGED))}; re-extract the corpus")
    return sorted(utterances, key=lambda u: u.uid)
