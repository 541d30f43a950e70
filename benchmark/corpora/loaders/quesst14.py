"""Loader for QUESST 2014 (QbE): spoken queries searched in a spoken collection.

Reads the layout of ``quesst14Database.tgz`` and of the synthetic stand-in
(:mod:`benchmark.corpora.synthetic.quesst14`)::

    <root>/Audio/quesst14_<nnnnn>.wav                the search collection (documents)
    <root>/dev_queries/quesst14_dev_<nnnn>.wav      dev queries
    <root>/eval_queries/quesst14_eval_<nnnn>.wav    eval queries (our test split)
    <root>/scoring/language_key_utterances.lst      "<path>/quesst14_<nnnnn>.wav <language>" lines
    <root>/scoring/language_key_dev.lst, language_key_eval.lst   same for the queries
    <root>/scoring/groundtruth_quesst14_dev/quesst14_dev.rttm     "LEXEME <document> ... <query> ..." lines
    <root>/scoring/groundtruth_quesst14_eval/quesst14_eval.rttm

As in SUPERB (s3prl's ``quesst14_dtw``), only the English part (language
``nnenglish``) of the collection and of the query sets is searched; :func:`load_trials`
gives every trial of a query set (all languages), which the QUESST scoring tool
scores and SUPERB's MTWV counts (:func:`benchmark.metrics.mtwv_all_trials`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from benchmark.corpora.base import Splits, Utterance
from benchmark.errors import CorpusError

LANGUAGE = "nnenglish"
QUERY_SETS = {"dev": "dev", "test": "eval"}  # our split -> QUESST's name
DOCUMENTS = "documents"
"""Split name of the search collection; dev and test are query sets searched in it."""


def load_quesst14(root: Path, *, seed: int = 0) -> Splits:
    """Splits ``"dev"`` and ``"test"`` (the dev and eval queries) and ``"documents"`` (the collection).

    A query's ``label`` is the sorted tuple of the ``uid`` s of the documents that
    contain it (its ground truth, from the split's RTTM); a document's ``label`` is
    ``None``. ``uid`` is the file name without ``.wav``. Everything is sorted by
    ``uid``; ``seed`` is unused.

    Raises:
        CorpusError: missing root, wrong layout, a list naming a missing file, an
            RTTM naming no known query, a split without English queries.
    """
    root = Path(root)
    _check_layout(root)
    scoring = root / "scoring"
    documents = _english(scoring / "language_key_utterances.lst",
                         _read_list(root, scoring / "language_key_utterances.lst", "Audio"))
    doc_ids = {u.uid for u in documents}
    splits: Splits = {}
    for split, name in QUERY_SETS.items():
        listing = scoring / f"language_key_{name}.lst"
        queries = _english(listing, _read_list(root, listing, f"{name}_queries"))
        truth = _read_rttm(scoring / f"groundtruth_quesst14_{name}" / f"quesst14_{name}.rttm")
        splits[split] = [Utterance(u.uid, u.path, label=tuple(sorted(truth.get(u.uid, set()) & doc_ids)))
                         for u in queries]
    splits[DOCUMENTS] = documents
    return splits


@dataclass(frozen=True)
class Trials:
    """Every trial of one query set as the QUESST 2014 scoring tool sees it: each query x each document.

    Attributes:
        queries: ``uid`` of every query of the set, every language, sorted.
        documents: ``uid`` of every document of the collection, every language, sorted.
        truth: query ``uid`` to the ``uid`` s of the documents that contain it.
    """

    queries: list[str]
    documents: list[str]
    truth: dict[str, set[str]]


def load_trials(root: Path, split: str) -> Trials:
    """The trials of query set ``split`` (``"dev"`` or ``"test"``), from the same files as :func:`load_quesst14`."""
    root, name = Path(root), QUERY_SETS[split]
    scoring = root / "scoring"
    documents = [u.uid for u in _read_list(root, scoring / "language_key_utterances.lst", "Audio")]
    queries = [u.uid for u in _read_list(root, scoring / f"language_key_{name}.lst", f"{name}_queries")]
    truth = _read_rttm(scoring / f"groundtruth_quesst14_{name}" / f"quesst14_{name}.rttm")
    known_queries, known_documents = set(queries), set(documents)
    truth = {q: docs & known_documents for q, docs in truth.items() if q in known_queries}
    return Trials(queries, documents, truth)


def _check_layout(root: Path) -> None:
    if not root.exists():
        raise CorpusError(f"QUESST 2014 root {root} does not exist; download quesst14Database.tgz, extract it "
                          f"and pass the quesst14Database directory")
    if not root.is_dir():
        archive = root.name.endswith((".tar.gz", ".tgz", ".tar"))
        raise CorpusError(f"QUESST 2014 root {root} is a file, not a directory; "
                          + (f"extract it (tar xf {root.name}) and " if archive else "")
                          + "pass the quesst14Database directory")
    needed = ["Audio/", "dev_queries/", "eval_queries/", "scoring/language_key_utterances.lst",
              *(f"scoring/language_key_{n}.lst" for n in QUERY_SETS.values()),
              *(f"scoring/groundtruth_quesst14_{n}/quesst14_{n}.rttm" for n in QUERY_SETS.values())]
    missing = [n for n in needed if not ((root / n).is_dir() if n.endswith("/") else (root / n).is_file())]
    if not missing:
        return
    entries = sorted(f"{p.name}/" if p.is_dir() else p.name for p in root.iterdir())
    found = ", ".join(entries[:8]) + (f" (+{len(entries) - 8} more)" if len(entries) > 8 else "")
    hint = "".join(f"; did you mean {d}?" for d in sorted(root.iterdir()) if d.is_dir() and (d / "Audio").is_dir())
    if (root / "validation_list.txt").is_file():
        hint += "; this looks like Speech Commands (a keyword spotting corpus), not QUESST 2014"
    elif (root / "train-clean-100").is_dir() or (root / "dev-clean").is_dir():
        hint += "; this looks like LibriSpeech (the PR/ASR corpus), not QUESST 2014"
    raise CorpusError(f"{root} is not a QUESST 2014 directory: missing {', '.join(missing)}; found "
                      f"{found or 'nothing'}{hint}")


def _english(path: Path, utterances: list[Utterance]) -> list[Utterance]:
    """The ``nnenglish`` entries of list ``path`` (their ``label``, the language, dropped)."""
    english = [Utterance(u.uid, u.path) for u in utterances if u.label == LANGUAGE]
    if not english:
        raise CorpusError(f"{path} lists no {LANGUAGE} audio (SUPERB uses the English part); check the file")
    return english


def _read_list(root: Path, path: Path, folder: str) -> list[Utterance]:
    """Every entry of a ``language_key_*.lst`` file as an utterance under ``root/folder`` labelled with its
    language; English audio must exist (only it is searched)."""
    utterances = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 2:
            raise CorpusError(f"{path}:{number}: expected '<audio path> <language>', got {line.strip()!r}")
        audio = root / folder / Path(fields[0]).name
        if fields[1] == LANGUAGE and not audio.is_file():
            raise CorpusError(f"{path}:{number} names {fields[0]}, but {audio} does not exist; re-extract the "
                              f"corpus")
        utterances.append(Utterance(uid=audio.stem, path=audio, label=fields[1]))
    return sorted(utterances, key=lambda u: u.uid)


def _read_rttm(path: Path) -> dict[str, set[str]]:
    """Query ``uid`` to the ``uid`` s of the documents that contain it.

    An RTTM ``LEXEME`` line names the document second and the query in a later field.
    """
    truth: dict[str, set[str]] = {}
    named = False
    for line in path.read_text().splitlines():
        fields = line.split()
        if len(fields) < 3 or fields[0] != "LEXEME":
            continue
        query = next((f for f in fields[2:] if re.fullmatch(r"quesst14_(dev|eval)_\d+", f)), None)
        if query is None:
            continue
        named = True
        truth.setdefault(query, set()).add(fields[1])
    if not named:
        raise CorpusError(f"{path} has no 'LEXEME <document> ... quesst14_<set>_<n> ...' line; restore the "
                          f"ground truth from quesst14Database.tgz")
    return truth
