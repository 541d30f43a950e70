"""LibriSpeech loader on hand-made trees and on the synthetic corpus; sentences; transcripts."""

from pathlib import Path

import numpy as np
import pytest
import soundfile

from benchmark.corpora.synthetic import sentences
from benchmark.corpora.loaders.librispeech import SUBSETS, load_librispeech
from benchmark.errors import CorpusError
from benchmark.transcripts import PHONES, UNITS, as_text, characters, g2p

pytest.importorskip("espeakng_loader")


def make_tree(root: Path, chapters=None) -> Path:
    """Two chapters per subset, two utterances each, in the real layout."""
    rng = np.random.default_rng(0)
    chapters = chapters or {subset: [(f"{10 + i}", f"{100 + i}") for i in range(2)] for subset in SUBSETS.values()}
    for subset, pairs in chapters.items():
        for speaker, chapter in pairs:
            folder = root / subset / speaker / chapter
            folder.mkdir(parents=True)
            lines = []
            for n in range(2):
                uid = f"{speaker}-{chapter}-{n:04d}"
                soundfile.write(folder / f"{uid}.flac", 0.1 * rng.standard_normal(8000), 16000)
                lines.append(f"{uid} HELLO WORLD NUMBER {n}\n")
            (folder / f"{speaker}-{chapter}.trans.txt").write_text("".join(lines))
    return root


def test_real_layout_loads(tmp_path):
    root = make_tree(tmp_path / "LibriSpeech")
    splits = load_librispeech(root)
    assert set(splits) == {"train", "dev", "test"}
    first = splits["train"][0]
    assert first.uid == "10-100-0000" and first.speaker == "10" and first.label == "HELLO WORLD NUMBER 0"
    assert first.path == root / "train-clean-100" / "10" / "100" / "10-100-0000.flac"
    assert [u.uid for u in splits["dev"]] == ["10-100-0000", "10-100-0001", "11-101-0000", "11-101-0001"]
    assert str(first.label) == first.label  # the runner hashes str(label)


@pytest.mark.parametrize("breakage,message", [
    (lambda root: None, "does not exist"),
    (lambda root: root.write_text("x"), "is a file"),
    (lambda root: make_tree(root / "LibriSpeech"), r"missing train-clean-100.*found LibriSpeech/.*did you mean"),
    (lambda root: (root / "_background_noise_").mkdir(parents=True) or (root / "validation_list.txt").write_text(""),
     "looks like Speech Commands"),
])
def test_bad_roots_are_one_line(tmp_path, breakage, message):
    root = tmp_path / "corpus"
    breakage(root)
    with pytest.raises(CorpusError, match=message) as err:
        load_librispeech(root)
    assert "\n" not in str(err.value)


def test_missing_transcripts_and_audio(tmp_path):
    root = make_tree(tmp_path / "a")
    (root / "dev-clean" / "10" / "100" / "10-100.trans.txt").unlink()
    with pytest.raises(CorpusError, match=r"has 2 .flac file\(s\) but no 10-100.trans.txt"):
        load_librispeech(root)
    root = make_tree(tmp_path / "b")
    (root / "test-clean" / "11" / "101" / "11-101-0001.flac").unlink()
    with pytest.raises(CorpusError, match="names 1 utterance.*without a .flac file, first 11-101-0001"):
        load_librispeech(root)
    root = make_tree(tmp_path / "c")
    transcript = root / "train-clean-100" / "10" / "100" / "10-100.trans.txt"
    transcript.write_text(transcript.read_text().splitlines()[0] + "\n")
    with pytest.raises(CorpusError, match="no line for 1 .flac file.*10-100-0001"):
        load_librispeech(root)


def test_empty_split(tmp_path):
    root = make_tree(tmp_path / "ls")
    for chapter in (root / "test-clean").glob("*/*"):
        for f in chapter.iterdir():
            f.unlink()
    with pytest.raises(CorpusError, match="test-clean holds no utterances"):
        load_librispeech(root)


def test_synthetic_corpus(tiny_librispeech):
    splits = load_librispeech(tiny_librispeech)
    assert [len(splits[s]) for s in ("train", "dev", "test")] == [8, 2, 2]
    speakers = {s: {u.speaker for u in utts} for s, utts in splits.items()}
    assert not (speakers["train"] & speakers["dev"] or speakers["train"] & speakers["test"]
                or speakers["dev"] & speakers["test"])
    assert len({u.label for utts in splits.values() for u in utts}) == 12  # no sentence read twice
    for u in splits["dev"]:
        info = soundfile.info(str(u.path))
        assert (info.samplerate, info.channels, info.format, info.subtype) == (16000, 1, "FLAC", "PCM_16")
        assert 1.0 <= info.duration <= 5.0
        assert set(u.label) <= set(characters(u.label))
    common = set(sentences.COMMON.vocabulary) | {sentences._plural(n) for n in sentences.COMMON.nouns}
    assert all(set(u.label.lower().split()) <= common for utts in splits.values() for u in utts)
    assert "SYNTHETIC" in (tiny_librispeech / "README.synthetic.txt").read_text()


def test_sentences_are_varied_and_in_vocabulary():
    rng = np.random.default_rng(1)
    drawn = [sentences.sentence(rng) for _ in range(300)]
    words = {w for s in drawn for w in s}
    assert len(sentences.VOCABULARY) >= 400 and len(words) >= 250
    assert words <= set(sentences.VOCABULARY) | {sentences._plural(n) for n in sentences.NOUNS}
    assert 2 <= min(map(len, drawn)) and max(map(len, drawn)) <= 18
    assert ["old", "garden"] in [s[i:i + 2] for s in [sentences.sentence_with(rng, ["old", "garden"])]
                                 for i in range(len(s))]
    common = [sentences.sentence(rng, 10, sentences.COMMON) for _ in range(300)]
    assert 100 <= len(sentences.COMMON.vocabulary) <= 150 and max(map(len, common)) <= 13  # a clause is never cut
    assert {w for s in common for w in s} <= set(sentences.COMMON.vocabulary) | {
        sentences._plural(n) for n in sentences.COMMON.nouns}


def test_g2p_and_units():
    assert g2p("YES") == ("j", "ɛ", "s")
    assert g2p("IT IS") == ("ɪ", "ɾ", "ɪ", "z")  # lower-cased first: not the abbreviation "I.T."
    transcript = "THE OLD FARMER DIDN'T SING"
    assert set(g2p(transcript)) <= set(PHONES)
    phones = UNITS["phones"]
    assert phones.decode(phones.encode(list(g2p(transcript)))) == list(g2p(transcript))
    assert as_text("characters", characters("A  DOG")) == "A DOG"
    with pytest.raises(CorpusError, match="outside A-Z"):
        characters("NAÏVE")
