"""SF: slot metrics against a transcription of s3prl's definition, the Audio SNIPS loader on
hand-made trees, the synthetic SNIPS corpus, slot units, and the task end to end."""

import json
import re
from pathlib import Path

import editdistance
import numpy as np
import pytest

from benchmark.corpora.loaders.snips import SPLITS, TRANSCRIPTS, annotate, load_snips
from benchmark.corpora.synthetic.synthesis import write_wav
from benchmark.errors import CorpusError
from benchmark.metrics import METRICS, slot_type_f1, slot_value_cer
from benchmark.transcripts import UNKNOWN, as_text, slot_symbols, units_for
from conftest import superb


# --- s3prl downstream/ctc/metric.py, step by step: parse both strings into "value:type;..." lists,
# --- then per utterance F1 of the type sets, or the best-CER pairing of values.
def reference_parse(hyp, ref):
    pattern = re.compile(r"B\-(\S+) (.+?) E\-\1")
    hyp, ref = re.sub(r" +", " ", hyp), re.sub(r" +", " ", ref)

    def strip_tags(value):
        return re.sub(r" E\-(\S+)", "", re.sub(r"B\-(\S+) ", "", value))

    ref_list = ";".join(f"{value}:{kind}" for kind, value in pattern.findall(ref))
    hyp_found = pattern.findall(hyp)
    hyp_list = ";".join(f"{strip_tags(value)}:{kind}" for kind, value in hyp_found) if hyp_found else ""

    def as_dict(listing):
        out = {}
        if listing.split(";")[0] != "":
            for item in listing.split(";"):
                value, kind = item.split(":")
                out.setdefault(kind, []).append(value)
        return out

    return as_dict(hyp_list), as_dict(ref_list)


def reference_f1(hyps, refs):
    scores = []
    for h, r in zip(hyps, refs):
        hyp, ref = reference_parse(h, r)
        if not hyp and not ref:
            scores.append(1.0)
        elif not hyp or not ref:
            scores.append(0.0)
        else:
            recall = sum(1.0 for kind in ref if kind in hyp) / len(ref)
            precision = sum(1.0 for kind in hyp if kind in ref) / len(hyp)
            scores.append(2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0)
    return sum(scores) / len(scores)


def reference_cer(hyps, refs):
    chosen, truths = [], []
    for h, r in zip(hyps, refs):
        hyp, ref = reference_parse(h, r)
        for kind in ref:
            for value in ref[kind]:
                best, lowest = "", 100
                for candidate in hyp.get(kind, []):
                    rate = editdistance.eval(candidate, value) / len(value)
                    if lowest > rate:
                        best, lowest = candidate, rate
                chosen.append(best)
                truths.append(value)
    return sum(float(editdistance.eval(c, t)) for c, t in zip(chosen, truths)) / sum(len(t) for t in truths)


def random_annotated(rng, corrupt):
    """A random s3prl-style decoded string; ``corrupt`` drops, swaps, nests and garbles tags."""
    kinds = ["city", "artist", "timeRange", "b"]
    parts = []
    for _ in range(rng.integers(0, 6)):
        word = "".join(rng.choice(list("ABCE' "), size=rng.integers(1, 5)))
        if rng.random() < 0.5:
            kind = kinds[rng.integers(len(kinds))]
            begin, end = f"B-{kind} ", f" E-{kind}"
            if corrupt and rng.random() < 0.3:
                end = f" E-{kinds[rng.integers(len(kinds))]}" if rng.random() < 0.5 else ""
            if corrupt and rng.random() < 0.2:
                begin = ""
            parts.append(f"{begin}{word}{end}")
        else:
            parts.append(word)
    text = " ".join(parts)
    if corrupt and rng.random() < 0.3:
        text = text.replace(" ", "  ", 1)
    return text


@pytest.mark.parametrize("seed", range(5))
def test_slot_metrics_match_the_s3prl_definition(seed):
    rng = np.random.default_rng(seed)
    refs = [random_annotated(rng, corrupt=False) for _ in range(60)]
    refs[0] = "PLAY B-artist ABBA E-artist"  # at least one slot for the CER
    hyps = [random_annotated(rng, corrupt=True) if rng.random() < 0.7 else r for r in refs]
    assert slot_type_f1(hyps, refs) == pytest.approx(reference_f1(hyps, refs), abs=1e-12)
    assert slot_value_cer(hyps, refs) == pytest.approx(reference_cer(hyps, refs), abs=1e-12)


def test_slot_metrics_by_hand():
    ref = ["SHOW B-city NEW YORK E-city B-timeRange TOMORROW E-timeRange", "HELLO"]
    hyp = ["SHOW B-city NEW YORC E-city B-artist TOMORROW E-artist", "HELLO"]
    # utterance 1: types {city} vs {city, timeRange}: P 1/2, R 1/2 -> F1 1/2; utterance 2: no slots -> 1
    assert slot_type_f1(hyp, ref) == pytest.approx(0.75)
    # NEW YORK vs NEW YORC: 1 edit; TOMORROW unmatched (8 edits); 16 reference characters
    assert slot_value_cer(hyp, ref) == pytest.approx(9 / 16)
    assert slot_type_f1(ref, ref) == 1.0 and slot_value_cer(ref, ref) == 0.0
    assert METRICS["slot_f1"] is slot_type_f1 and METRICS["slot_cer"] is slot_value_cer
    with pytest.raises(ValueError, match="no slot"):
        slot_value_cer(["A"], ["B"])


def test_slot_units_round_trip():
    text = "PLAY B-artist ABBA E-artist ON B-service LAST FM E-service NOW"
    symbols = slot_symbols(text)
    assert symbols[:6] == ["P", "L", "A", "Y", " ", "B-artist"] and symbols[10:13] == ["E-artist", " ", "O"]
    assert as_text("slots", symbols) == text
    assert slot_symbols("CAFÉ") == ["C", "A", "F", UNKNOWN]
    units = units_for("slots", [text])
    assert units.symbols[-4:] == ("B-artist", "E-artist", "B-service", "E-service") and len(units) == 34
    assert units.decode(units.encode(symbols)) == symbols


def test_annotation_follows_s3prl_tokenizer():
    words = ["BOOK", "A", "TABLE", "&", "EAT", ",", "IN", "NEW", "YORK"]
    tags = ["O", "O", "O", "O", "O", "O", "O", "city", "city"]
    assert annotate(words, tags) == "BOOK A TABLE AND EAT IN B-city NEW YORK E-city"
    assert annotate(["A", "B"], ["x", "y"]) == "B-x A E-x B-y B E-y"


def make_tree(root: Path, lines: dict[str, tuple[str, str]] | None = None) -> Path:
    """One request per split, read by every voice of the split, in the real layout."""
    rng = np.random.default_rng(0)
    text = []
    for folder, voices in SPLITS.values():
        (root / folder).mkdir(parents=True)
        for voice in voices:
            uid = f"{voice}-snips-{folder}-0"
            write_wav(root / folder / f"{uid}.wav", (2000 * rng.standard_normal(8000)).astype("<i2"))
            words, tags = (lines or {}).get(uid, ("PLAY SOME JAZZ IN PARIS", "O O music_item O city"))
            text.append(f"{uid} BOS {words} EOS\tO {tags} PlayMusic\n")
    (root / TRANSCRIPTS).write_text("".join(text))
    (root / "slots.txt").write_text("O\ncity\nmusic_item")
    return root


def test_real_layout_loads(tmp_path):
    root = make_tree(tmp_path / "SNIPS")
    splits = load_snips(root)
    assert {s: len(u) for s, u in splits.items()} == {"train": 8, "dev": 4, "test": 4}
    first = splits["dev"][0]
    assert first.uid == "Aditi-snips-valid-0" and first.speaker == "Aditi"
    assert first.path == root / "valid" / "Aditi-snips-valid-0.wav"
    assert first.label == "PLAY SOME B-music_item JAZZ E-music_item IN B-city PARIS E-city"
    assert {u.speaker for u in splits["test"]} == {"Brian", "Emma", "Raveena", "Russell"}


@pytest.mark.parametrize("words,tags,message", [
    ("PLAY JAZZ\tEXTRA", "O O", "does not parse"),
    ("PLAY SOME JAZZ", "O O", "3 word.*but 2 slot type"),
    ("PLAY JAZZ", "O genre", "slot type 'genre' is not in slots.txt"),
    ("PLAY HIP-HOP", "O music_item", "word 'HIP-HOP' has a hyphen"),
])
def test_bad_annotation_is_one_line_with_file_and_line(tmp_path, words, tags, message):
    root = make_tree(tmp_path / "SNIPS", {"Joey-snips-train-0": (words, tags)})
    with pytest.raises(CorpusError, match=message) as err:
        load_snips(root)
    assert f"{root / TRANSCRIPTS}:3:" in str(err.value) and "\n" not in str(err.value)


def test_missing_audio_and_files(tmp_path):
    root = make_tree(tmp_path / "a")
    (root / "test" / "Emma-snips-test-0.wav").unlink()
    with pytest.raises(CorpusError, match=rf"{TRANSCRIPTS}:14 names Emma-snips-test-0 but .*Emma-snips-test-0.wav "
                                          "does not exist"):
        load_snips(root)
    root = make_tree(tmp_path / "b")
    (root / "slots.txt").unlink()
    with pytest.raises(CorpusError, match="missing slots.txt"):
        load_snips(root)
    with pytest.raises(CorpusError, match="does not exist"):
        load_snips(tmp_path / "nowhere")


@pytest.fixture(scope="module")
def tiny_snips(tmp_path_factory) -> Path:
    """3 requests: one per split, read by its 8, 4 and 4 voices."""
    pytest.importorskip("espeakng_loader")
    from benchmark.corpora.synthetic.snips import ensure_synthetic_snips

    return ensure_synthetic_snips(tmp_path_factory.mktemp("snips") / "tiny", num_requests=3, progress=False)


def test_synthetic_corpus(tiny_snips):
    splits = load_snips(tiny_snips)
    assert {s: len(u) for s, u in splits.items()} == {"train": 8, "dev": 4, "test": 4}
    labels = {s: {u.label for u in utts} for s, utts in splits.items()}
    assert all(len(v) == 1 for v in labels.values()) and len(set.union(*labels.values())) == 3
    assert all("B-" in label and "E-" in label for v in labels.values() for label in v)
    assert "SYNTHETIC" in (tiny_snips / "README.synthetic.txt").read_text()


def test_sf_runs_end_to_end(tiny_snips, tmp_path):
    proc = superb("run", "--upstream", "fbank", "--task", "sf", "--data", str(tiny_snips), "--steps", "3",
                  "--quiet", "--out", str(tmp_path))
    result = json.loads(Path(proc.stdout.strip().splitlines()[-1].removeprefix("result: ")).read_text())
    assert result["main_metric"]["name"] == "slot_f1" and result["main_metric"]["higher_is_better"] is True
    for split in ("dev", "test"):
        assert set(result["metrics"][split]) == {"slot_f1", "slot_cer"}
        assert 0 <= result["metrics"][split]["slot_f1"] <= 1 and result["metrics"][split]["slot_cer"] >= 0
    assert "B-" in result["test_examples"][0]["reference"]


def test_sf_bad_corpus_is_one_line(tmp_path):
    root = make_tree(tmp_path / "SNIPS", {"Amy-snips-valid-0": ("PLAY", "O O")})
    proc = superb("run", "--upstream", "fbank", "--task", "sf", "--data", str(root), "--quiet",
                  "--out", str(tmp_path / "out"), check=False)
    assert proc.returncode == 2 and f"{TRANSCRIPTS}:10:" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
