"""Loader for Fluent Speech Commands (intent classification, IC).

Reads the layout of the real download (``fluent_speech_commands_dataset/``) and of
the synthetic stand-in (:mod:`benchmark.corpora.synthetic.fluent_commands`)::

    <root>/data/train_data.csv, valid_data.csv, test_data.csv
        header ",path,speakerId,transcription,action,object,location"
    <root>/wavs/speakers/<speakerId>/<name>.wav     16 kHz mono, paths relative to <root>

An utterance's label is its ``(action, object, location)`` triple; the intent
inventory below is the real corpus's (6 actions, 14 objects, 4 locations, 31
combinations), as s3prl's ``fluent_commands`` recipe reads it from the CSV files.
"""

from __future__ import annotations

import csv
from pathlib import Path

from benchmark.corpora.base import Splits, Utterance
from benchmark.errors import CorpusError

LABEL_GROUPS = ("action", "object", "location")
INTENTS = (
    ("change language", "none", "none"), ("change language", "Chinese", "none"),
    ("change language", "English", "none"), ("change language", "German", "none"),
    ("change language", "Korean", "none"),
    ("activate", "music", "none"), ("deactivate", "music", "none"),
    ("activate", "lights", "none"), ("deactivate", "lights", "none"),
    ("activate", "lights", "kitchen"), ("deactivate", "lights", "kitchen"),
    ("activate", "lights", "bedroom"), ("deactivate", "lights", "bedroom"),
    ("activate", "lights", "washroom"), ("deactivate", "lights", "washroom"),
    ("activate", "lamp", "none"), ("deactivate", "lamp", "none"),
    ("increase", "volume", "none"), ("decrease", "volume", "none"),
    ("increase", "heat", "none"), ("decrease", "heat", "none"),
    ("increase", "heat", "kitchen"), ("decrease", "heat", "kitchen"),
    ("increase", "heat", "bedroom"), ("decrease", "heat", "bedroom"),
    ("increase", "heat", "washroom"), ("decrease", "heat", "washroom"),
    ("bring", "newspaper", "none"), ("bring", "juice", "none"),
    ("bring", "socks", "none"), ("bring", "shoes", "none"),
)
"""The 31 ``(action, object, location)`` intents of Fluent Speech Commands."""
VALUES = {group: tuple(sorted({intent[i] for intent in INTENTS})) for i, group in enumerate(LABEL_GROUPS)}
"""Each group's values: 6 actions, 14 objects, 4 locations."""
CSV_FILES = {"train": "train_data.csv", "dev": "valid_data.csv", "test": "test_data.csv"}
COLUMNS = ("path", "speakerId", "transcription", *LABEL_GROUPS)


def load_fluent_commands(root: Path, *, seed: int = 0) -> Splits:
    """Utterances of ``"train"``, ``"dev"`` (valid) and ``"test"``, in CSV order.

    ``uid`` is the path without ``.wav``, ``speaker`` the speakerId, ``label`` the
    ``(action, object, location)`` triple. ``seed`` is unused (the splits are fixed).

    Raises:
        CorpusError: missing root or CSV file, a missing column, a row naming a
            missing wav or a value outside the inventory (file and line named), an
            empty split.
    """
    root = Path(root)
    _check_layout(root)
    return {split: _read_csv(root, root / "data" / name) for split, name in CSV_FILES.items()}


def _check_layout(root: Path) -> None:
    if not root.is_dir():
        raise CorpusError(f"Fluent Speech Commands root {root} is not a directory; download "
                          f"fluent_speech_commands_dataset, extract it and pass the directory that holds data/")
    missing = [f"data/{name}" for name in CSV_FILES.values() if not (root / "data" / name).is_file()]
    if missing:
        hint = "".join(f"; did you mean {d}?" for d in sorted(root.iterdir()) if (d / "data" / CSV_FILES["train"]).is_file())
        raise CorpusError(f"{root} is not a Fluent Speech Commands directory: missing {', '.join(missing)}. "
                          f"Expected data/{{train,valid,test}}_data.csv and wavs/speakers/<id>/*.wav{hint}")


def _read_csv(root: Path, path: Path) -> list[Utterance]:
    with open(path, newline="") as f:
        rows = csv.reader(f)
        header = next(rows, [])
        absent = [c for c in COLUMNS if c not in header]
        if absent:
            raise CorpusError(f"{path}:1: header lacks column(s) {', '.join(absent)}; expected "
                              f"',{','.join(COLUMNS)}'")
        at = {c: header.index(c) for c in COLUMNS}
        utterances = []
        for number, row in enumerate(rows, 2):
            if not row:
                continue
            if len(row) < len(header):
                raise CorpusError(f"{path}:{number}: {len(row)} fields, the header has {len(header)}; fix the row")
            field = {c: row[i].strip() for c, i in at.items()}
            for group in LABEL_GROUPS:
                if field[group] not in VALUES[group]:
                    raise CorpusError(f"{path}:{number}: unknown {group} {field[group]!r}; Fluent Speech Commands "
                                      f"{group}s are {', '.join(VALUES[group])}; fix the row")
            wav = root / field["path"]
            if not wav.is_file():
                raise CorpusError(f"{path}:{number}: {field['path']} does not exist under {root}; restore the "
                                  f"file or remove the row")
            utterances.append(Utterance(uid=field["path"].removesuffix(".wav"), path=wav,
                                        label=tuple(field[g] for g in LABEL_GROUPS), speaker=field["speakerId"]))
    if not utterances:
        raise CorpusError(f"{path} lists no utterances; re-extract the corpus")
    return utterances
