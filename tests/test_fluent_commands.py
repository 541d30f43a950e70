"""Fluent Speech Commands: the loader on hand-made real-layout trees, the synthetic corpus, bad rows."""

import csv
from collections import Counter

import numpy as np
import pytest

from benchmark.corpora.loaders.fluent_commands import INTENTS, LABEL_GROUPS, VALUES, load_fluent_commands
from benchmark.corpora.synthetic.synthesis import write_wav
from benchmark.errors import CorpusError

HEADER = ["", "path", "speakerId", "transcription", "action", "object", "location"]


def make_tree(root, rows_by_split, make_wavs=True):
    """A real-layout tree; rows are (speaker, name, transcription, action, object, location)."""
    (root / "data").mkdir(parents=True)
    for split, rows in rows_by_split.items():
        with open(root / "data" / f"{split}_data.csv", "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(HEADER)
            for n, (speaker, name, text, *intent) in enumerate(rows):
                path = f"wavs/speakers/{speaker}/{name}.wav"
                writer.writerow([n, path, speaker, text, *intent])
                if make_wavs:
                    (root / path).parent.mkdir(parents=True, exist_ok=True)
                    write_wav(root / path, np.zeros(1600, dtype="<i2"))
    return root


def small_tree(root):
    return make_tree(root, {
        "train": [("spkA", "a1", "Turn on the lights", "activate", "lights", "none"),
                  ("spkA", "a2", "Bring me my shoes", "bring", "shoes", "none")],
        "valid": [("spkB", "b1", "Kitchen heat down", "decrease", "heat", "kitchen")],
        "test": [("spkC", "c1", "Switch to Korean", "change language", "Korean", "none")],
    })


def test_inventory_is_the_real_one():
    assert len(INTENTS) == len(set(INTENTS)) == 31
    assert [len(VALUES[g]) for g in LABEL_GROUPS] == [6, 14, 4]


def test_hand_made_real_layout_loads(tmp_path):
    splits = load_fluent_commands(small_tree(tmp_path))
    assert {s: len(u) for s, u in splits.items()} == {"train": 2, "dev": 1, "test": 1}
    first = splits["train"][0]
    assert first.label == ("activate", "lights", "none") and first.speaker == "spkA"
    assert first.uid == "wavs/speakers/spkA/a1" and first.path == tmp_path / "wavs/speakers/spkA/a1.wav"
    assert splits["test"][0].label == ("change language", "Korean", "none")


@pytest.mark.parametrize("row,expected", [
    (("spkA", "a1", "x", "jump", "lights", "none"), "train_data.csv:2: unknown action 'jump'"),
    (("spkA", "a1", "x", "activate", "lights", "garage"), "train_data.csv:2: unknown location 'garage'"),
])
def test_unknown_label_names_file_and_line(tmp_path, row, expected):
    make_tree(tmp_path, {"train": [row], "valid": [row], "test": [row]})
    with pytest.raises(CorpusError, match=expected) as err:
        load_fluent_commands(tmp_path)
    assert "\n" not in str(err.value)


def test_row_naming_a_missing_file(tmp_path):
    small_tree(tmp_path)
    (tmp_path / "wavs/speakers/spkB/b1.wav").unlink()
    with pytest.raises(CorpusError, match=r"valid_data.csv:2: wavs/speakers/spkB/b1.wav does not exist"):
        load_fluent_commands(tmp_path)


def test_missing_column_and_missing_csv(tmp_path):
    small_tree(tmp_path)
    text = (tmp_path / "data/test_data.csv").read_text().replace("location", "place", 1)
    (tmp_path / "data/test_data.csv").write_text(text)
    with pytest.raises(CorpusError, match="test_data.csv:1: header lacks column.s. location"):
        load_fluent_commands(tmp_path)
    (tmp_path / "data/test_data.csv").unlink()
    with pytest.raises(CorpusError, match="missing data/test_data.csv"):
        load_fluent_commands(tmp_path)


def test_synthetic_corpus_is_speaker_disjoint_with_every_intent(tiny_fsc):
    pytest.importorskip("espeakng_loader")
    from benchmark.corpora.synthetic.fluent_commands import phrasings

    assert all(len(set(phrasings(*intent))) >= 4 for intent in INTENTS)
    root = tiny_fsc
    splits = load_fluent_commands(root)
    speakers = {split: {u.speaker for u in utts} for split, utts in splits.items()}
    assert not (speakers["train"] & speakers["dev"]) and not (speakers["train"] & speakers["test"])
    assert not (speakers["dev"] & speakers["test"])
    for utts in splits.values():  # every speaker says every intent once
        assert Counter(u.label for u in utts) == {intent: len({u.speaker for u in utts}) for intent in INTENTS}
    header = (root / "data/train_data.csv").read_text().splitlines()[0]
    assert header == ",path,speakerId,transcription,action,object,location"
    assert (root / "README.synthetic.txt").is_file()


def test_default_root_tells_takes_apart(monkeypatch, tmp_path):
    from benchmark.corpora.synthetic.fluent_commands import default_root

    monkeypatch.setenv("SUPERB_DATA_DIR", str(tmp_path))
    assert default_root(80, 0) == default_root(80, 0, 2) != default_root(80, 0, 3)
