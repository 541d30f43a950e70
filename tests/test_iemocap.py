"""IEMOCAP: the loader on hand-made real-layout trees, the synthetic corpus, bad EmoEvaluation lines."""

import numpy as np
import pytest

from benchmark.corpora.loaders.iemocap import CLASSES, SESSIONS, load_iemocap
from benchmark.corpora.synthetic.synthesis import write_wav
from benchmark.errors import CorpusError

HEADER = "% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]\n\n"


def make_tree(root, emotions=("neu", "exc", "ang", "sad", "fru", "hap"), make_wavs=True):
    """Five sessions, one dialog each, one turn per emotion (alternating F and M)."""
    for n, session in enumerate(SESSIONS, 1):
        dialog = f"Ses0{n}F_impro01"
        lines = []
        for k, emotion in enumerate(emotions):
            name = f"{dialog}_{'FM'[k % 2]}{k:03d}"
            lines += [f"[{k:.4f} - {k + 0.9:.4f}]\t{name}\t{emotion}\t[2.5000, 3.0000, 2.0000]",
                      "C-E2:\tNeutral;\t()", "A-E3:\tval 3; act 2; dom  2;\t()", ""]
            wav = root / session / "sentences" / "wav" / dialog / f"{name}.wav"
            wav.parent.mkdir(parents=True, exist_ok=True)
            if make_wavs:
                write_wav(wav, np.zeros(1600, dtype="<i2"))
        evaluation = root / session / "dialog" / "EmoEvaluation"
        evaluation.mkdir(parents=True)
        (evaluation / f"{dialog}.txt").write_text(HEADER + "\n".join(lines))
        (evaluation / f"._{dialog}.txt").write_bytes(b"\x00\x05\x16\x07 mac resource fork")
        (evaluation / "Categorical").mkdir()
    return root


def test_hand_made_real_layout_loads(tmp_path):
    splits = load_iemocap(make_tree(tmp_path))
    assert list(splits) == list(SESSIONS)
    utts = splits["Session3"]
    assert [u.label for u in utts] == ["neu", "ang", "hap", "sad", "hap"]  # by name; exc merged, fru dropped
    assert utts[2].uid == "Ses03F_impro01_M001" and utts[2].speaker == "Ses03M"
    assert utts[2].path == tmp_path / "Session3/sentences/wav/Ses03F_impro01/Ses03F_impro01_M001.wav"
    assert {u.label for s in splits.values() for u in s} == set(CLASSES)


def test_line_naming_a_missing_wav(tmp_path):
    make_tree(tmp_path)
    (tmp_path / "Session2/sentences/wav/Ses02F_impro01/Ses02F_impro01_F002.wav").unlink()
    with pytest.raises(CorpusError, match=r"Ses02F_impro01.txt:11: utterance Ses02F_impro01_F002 has no wav") as err:
        load_iemocap(tmp_path)
    assert "\n" not in str(err.value)


def test_malformed_line_and_missing_session(tmp_path):
    make_tree(tmp_path)
    path = tmp_path / "Session1/dialog/EmoEvaluation/Ses01F_impro01.txt"
    path.write_text(path.read_text().replace("\tang\t", " ang ", 1).replace("[2.0000 - ", "[2.0000 to "))
    with pytest.raises(CorpusError, match=r"Ses01F_impro01.txt:11: expected"):
        load_iemocap(tmp_path)
    import shutil

    shutil.rmtree(tmp_path / "Session5")
    with pytest.raises(CorpusError, match="missing Session5/dialog/EmoEvaluation/"):
        load_iemocap(tmp_path)


def test_synthetic_corpus_has_five_sessions_and_real_files(tiny_iemocap):
    pytest.importorskip("espeakng_loader")
    splits = load_iemocap(tiny_iemocap)
    assert list(splits) == list(SESSIONS)
    speakers = [{u.speaker for u in utts} for utts in splits.values()]
    assert all(len(s) <= 2 for s in speakers) and not set.intersection(*speakers)
    text = (tiny_iemocap / "Session1/dialog/EmoEvaluation/Ses01F_impro01.txt").read_text()
    assert text.startswith(HEADER) and "\tSes01F_impro01_F000\t" in text
