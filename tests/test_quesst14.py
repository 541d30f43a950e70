"""QUESST 2014 loader on hand-made trees and on the synthetic corpus."""

from pathlib import Path

import numpy as np
import pytest
import soundfile

from benchmark.corpora.loaders.quesst14 import DOCUMENTS, load_quesst14, load_trials
from benchmark.errors import CorpusError

pytest.importorskip("espeakng_loader")


def make_tree(root: Path) -> Path:
    """3 documents (2 English), 2 English dev queries + 1 Czech, 1 eval query, their RTTMs."""
    rng = np.random.default_rng(0)
    files = {"Audio": ["quesst14_00001", "quesst14_00002", "quesst14_00003"],
             "dev_queries": ["quesst14_dev_0001", "quesst14_dev_0002", "quesst14_dev_0003"],
             "eval_queries": ["quesst14_eval_0001"]}
    for folder, names in files.items():
        (root / folder).mkdir(parents=True)
        for name in names:
            soundfile.write(root / folder / f"{name}.wav", 0.1 * rng.standard_normal(4000), 8000)
    scoring = root / "scoring"
    scoring.mkdir()
    (scoring / "language_key_utterances.lst").write_text(
        "quesst14Database/Audio/quesst14_00001.wav nnenglish\nquesst14Database/Audio/quesst14_00002.wav nnenglish\n"
        "quesst14Database/Audio/quesst14_00003.wav czech\n")
    (scoring / "language_key_dev.lst").write_text(
        "quesst14Database/dev_queries/quesst14_dev_0001.wav nnenglish\n"
        "quesst14Database/dev_queries/quesst14_dev_0002.wav nnenglish\n"
        "quesst14Database/dev_queries/quesst14_dev_0003.wav czech\n")
    (scoring / "language_key_eval.lst").write_text("quesst14Database/eval_queries/quesst14_eval_0001.wav nnenglish\n")
    for name, lines in (("dev", ["quesst14_00002 1 1.5 0.4 quesst14_dev_0001", "quesst14_00001 1 0.2 0.3 quesst14_dev_0001",
                                 "quesst14_00003 1 0.1 0.5 quesst14_dev_0003"]),
                        ("eval", ["quesst14_00001 1 2.0 0.6 quesst14_eval_0001"])):
        (scoring / f"groundtruth_quesst14_{name}").mkdir()
        (scoring / f"groundtruth_quesst14_{name}" / f"quesst14_{name}.rttm").write_text(
            "".join(f"LEXEME {line} lex <NA> <NA>\n" for line in lines) + "SPEAKER quesst14_00001 1 0 1 <NA>\n")
    return root


def test_real_layout_loads_the_english_part(tmp_path):
    root = make_tree(tmp_path / "quesst14Database")
    splits = load_quesst14(root)
    assert set(splits) == {"dev", "test", DOCUMENTS}
    assert [u.uid for u in splits[DOCUMENTS]] == ["quesst14_00001", "quesst14_00002"]
    assert [(u.uid, u.label) for u in splits["dev"]] == [
        ("quesst14_dev_0001", ("quesst14_00001", "quesst14_00002")), ("quesst14_dev_0002", ())]
    assert splits["test"][0].label == ("quesst14_00001",)
    assert splits["test"][0].path == root / "eval_queries" / "quesst14_eval_0001.wav"
    assert str(splits["dev"][0].label) == "('quesst14_00001', 'quesst14_00002')"  # stable for the corpus hash


def test_trials_hold_every_language(tmp_path):
    root = make_tree(tmp_path / "quesst14Database")
    trials = load_trials(root, "dev")
    assert trials.queries == ["quesst14_dev_0001", "quesst14_dev_0002", "quesst14_dev_0003"]
    assert trials.documents == ["quesst14_00001", "quesst14_00002", "quesst14_00003"]
    assert trials.truth == {"quesst14_dev_0001": {"quesst14_00001", "quesst14_00002"},
                            "quesst14_dev_0003": {"quesst14_00003"}}
    assert load_trials(root, "test").queries == ["quesst14_eval_0001"]


@pytest.mark.parametrize("breakage,message", [
    (lambda root: __import__("shutil").rmtree(root), "does not exist"),
    (lambda root: (root / "scoring" / "groundtruth_quesst14_eval" / "quesst14_eval.rttm").unlink(),
     "missing scoring/groundtruth_quesst14_eval/quesst14_eval.rttm"),
    (lambda root: (root / "dev_queries" / "quesst14_dev_0002.wav").unlink(),
     r"language_key_dev.lst:2 names .*quesst14_dev_0002.wav, but .* does not exist"),
    (lambda root: (root / "scoring" / "language_key_eval.lst").write_text("x.wav czech\n"),
     "language_key_eval.lst lists no nnenglish audio"),
    (lambda root: (root / "scoring" / "groundtruth_quesst14_dev" / "quesst14_dev.rttm").write_text("nothing\n"),
     "quesst14_dev.rttm has no 'LEXEME"),
])
def test_broken_trees_are_one_line(tmp_path, breakage, message):
    root = make_tree(tmp_path / "q")
    breakage(root)
    with pytest.raises(CorpusError, match=message) as err:
        load_quesst14(root)
    assert "\n" not in str(err.value)


def test_other_corpora_are_named(tmp_path, tiny_librispeech):
    with pytest.raises(CorpusError, match="looks like LibriSpeech"):
        load_quesst14(tiny_librispeech)
    make_tree(tmp_path / "quesst14Database")
    with pytest.raises(CorpusError, match="did you mean .*quesst14Database"):
        load_quesst14(tmp_path)


def test_synthetic_corpus(tiny_quesst):
    splits = load_quesst14(tiny_quesst)
    assert [len(splits[s]) for s in ("dev", "test", DOCUMENTS)] == [2, 2, 12]
    readme = (tiny_quesst / "README.synthetic.txt").read_text()
    for query in splits["dev"] + splits["test"]:
        assert query.label, query.uid  # every query is planted at least once
        assert f"{query.uid}  " in readme
    info = soundfile.info(str(splits[DOCUMENTS][0].path))
    assert (info.samplerate, info.channels, info.subtype) == (16000, 1, "PCM_16")
    assert (tiny_quesst / "scoring" / "groundtruth_quesst14_dev" / "quesst14_dev.tlist.xml").is_file()
    languages = {line.split()[1] for line in (tiny_quesst / "scoring" / "language_key_dev.lst").read_text().splitlines()}
    assert "nnenglish" in languages and len(languages) > 1  # multilingual, as the real archive
    trials = load_trials(tiny_quesst, "dev")
    assert len(trials.queries) > len(splits["dev"]) and len(trials.documents) > len(splits[DOCUMENTS])
    assert all(trials.truth[q] for q in trials.queries)
