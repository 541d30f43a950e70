"""SD: the Libri2Mix Kaldi-dir loader, bad input, DER against an independent frame count, PIT, chunks, end to end."""

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch

from benchmark.corpora.loaders.libri2mix import load_libri2mix
from benchmark.errors import CorpusError
from benchmark.features import FrameStore, SplitFeatures
from benchmark.metrics import der
from benchmark.problems.diarization import (ChunkFeatures, frames_to_annotation, label_frames, make_chunks,
                                            pit_bce, post_process, write_rttm)
from conftest import superb

pyannote_core = pytest.importorskip("pyannote.core")
from pyannote.core import Annotation, Segment  # noqa: E402
from pyannote.database.util import load_rttm  # noqa: E402

TURNS = [("19", 0.1, 0.9), ("26", 0.5, 1.2), ("19", 1.3, 1.5)]  # (speaker, start, end) per recording


def make_tree(root: Path) -> Path:
    """Two 1.5 s recordings per split, written as LibriMix's prepare_diarization.py writes them (tab RTTM)."""
    rng = np.random.default_rng(0)
    for split in ("train", "dev", "test"):
        folder = root / split
        folder.mkdir(parents=True)
        files = {name: [] for name in ("wav.scp", "segments", "utt2spk", "reco2dur", "rttm", "spk2utt")}
        for n in range(2):
            rec = f"19-198-000{n}_26-495-000{n}"
            wav = root / "wav" / f"{split}{rec}.wav"
            wav.parent.mkdir(exist_ok=True)
            soundfile.write(wav, 0.1 * rng.standard_normal(24000), 16000)
            files["wav.scp"].append(f"{rec} {wav}")
            files["reco2dur"].append(f"{rec} {24000 / 16000}")
            for spk, start, end in TURNS:
                seg = f"{rec}_{int(start * 1000):06d}_{int(end * 1000):06d}"
                files["segments"].append(f"{seg} {rec} {start} {end}")
                files["utt2spk"].append(f"{seg} {spk}")
                files["rttm"].append(f"SPEAKER\t{rec}\t1\t{start}\t{end - start}\t<NA>\t<NA>\t{spk}\t<NA>")
        files["spk2utt"] = ["19 x", "26 x"]
        for name, lines in files.items():
            (folder / name).write_text("".join(f"{line}\n" for line in lines))
    return root


def test_real_layout_loads(tmp_path):
    root = make_tree(tmp_path / "data")
    splits = load_libri2mix(root)
    assert {split: len(utts) for split, utts in splits.items()} == {"train": 2, "dev": 2, "test": 2}
    first = splits["dev"][0]
    assert first.uid == "19-198-0000_26-495-0000" and first.path == root / "wav" / f"dev{first.uid}.wav"
    assert first.label.duration == 1.5 and first.label.speakers == ("19", "26")
    assert first.label.turns == tuple(TURNS) and first.label.rttm == root / "dev" / "rttm"
    labels = label_frames(first.label, 160)  # 150 frames of 10 ms, speaker 19 in column 0
    assert labels.shape == (150, 2)
    assert labels[:, 0].nonzero()[0].tolist() == list(range(10, 90)) + list(range(130, 150))
    assert labels[:, 1].nonzero()[0].tolist() == list(range(50, 120))
    assert "/" not in repr(first.label)  # the corpus hash does not depend on where the corpus lies


def break_line(path: Path, number: int, line: str) -> None:
    lines = path.read_text().splitlines()
    lines[number - 1] = line
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("file,line,message", [
    ("segments", "only three fields", r"test/segments:2: expected 4 fields, got 3"),
    ("segments", "s 19-198-0000_26-495-0000 0.5 1.7", r"test/segments:2: ends at 1.7 s, past the end of 19-198-0000_26-495-0000 \(1.5 s"),
    ("segments", "s 19-198-0000_26-495-0000 0.5 soon", r"test/segments:2: end 'soon' is not a non-negative number"),
    ("segments", "s nowhere 0.5 0.7", r"test/segments:2: recording 'nowhere' is not in wav.scp"),
    ("rttm", "SPEAKER\t19-198-0000_26-495-0000\t1\tlate\t0.4\t<NA>\t<NA>\t26\t<NA>", r"test/rttm:2: start 'late'"),
    ("rttm", "SPEAKER 19-198-0000_26-495-0000 1 1.2 0.4 <NA> <NA> 26 <NA>", r"test/rttm:2: ends at 1.6 s, past the end"),
    ("rttm", "SPEAKER 19-198-0000_26-495-0000 1 0.2", r"test/rttm:2: expected 9 or more fields, got 4"),
    ("reco2dur", "19-198-0000_26-495-0000 -3", r"test/reco2dur:1: duration '-3'"),
])
def test_bad_lines_name_file_and_line(tmp_path, file, line, message):
    root = make_tree(tmp_path / "data")
    break_line(root / "test" / file, 2 if file != "reco2dur" else 1, line)
    with pytest.raises(CorpusError, match=message) as err:
        load_libri2mix(root)
    assert "\n" not in str(err.value)


def test_bad_trees(tmp_path):
    root = make_tree(tmp_path / "data")
    (root / "dev" / "rttm").unlink()
    with pytest.raises(CorpusError, match=r"missing dev/rttm.*prepare_diarization"):
        load_libri2mix(root)
    root = make_tree(tmp_path / "three")
    with open(root / "train" / "segments", "a") as f:
        f.write("extra 19-198-0000_26-495-0000 0.1 0.2\n")
    with open(root / "train" / "utt2spk", "a") as f:
        f.write("extra 77\n")
    with pytest.raises(CorpusError, match="has 3 speakers"):
        load_libri2mix(root)
    with pytest.raises(CorpusError, match="is not a directory"):
        load_libri2mix(tmp_path / "nothing")


def random_annotation(rng, uri: str, speakers: list[str], frames: int) -> tuple[Annotation, np.ndarray]:
    """Random turns on a 10 ms grid and the same as a ``(frames, speakers)`` 0/1 matrix."""
    matrix = np.zeros((frames, len(speakers)), bool)
    for k in range(len(speakers)):
        for _ in range(int(rng.integers(0, 5))):
            first = int(rng.integers(0, frames - 1))
            matrix[first:int(rng.integers(first + 1, min(frames, first + 80) + 1)), k] = True
    annotation = Annotation(uri=uri)
    for k, speaker in enumerate(speakers):  # each speaker's turns, from the runs of its column
        changes = np.flatnonzero(np.diff(np.pad(matrix[:, k].astype(int), 1)))
        for first, end in zip(changes[::2], changes[1::2]):
            annotation[Segment(first / 100, end / 100), f"{k}_{first}"] = speaker
    return annotation, matrix


def frame_der(pairs) -> float:
    """NIST DER counted frame by frame, the speaker mapping chosen by brute force (independent of pyannote)."""
    errors = total = 0
    for hyp, ref in pairs:
        n_ref, n_sys = ref.sum(1), hyp.sum(1)
        best = 0
        columns = list(range(hyp.shape[1])) + [None] * ref.shape[1]
        for mapping in itertools.permutations(columns, ref.shape[1]):  # hyp column for each ref speaker
            correct = sum((ref[:, r] & hyp[:, h]).sum() for r, h in enumerate(mapping) if h is not None)
            best = max(best, correct)
        errors += np.maximum(n_ref, n_sys).sum() - best
        total += n_ref.sum()
    return errors / total


@pytest.mark.parametrize("seed", range(6))
def test_der_matches_an_independent_frame_count_through_rttm_files(tmp_path, seed):
    rng = np.random.default_rng(seed)
    hyps, refs, pairs, durations = {}, {}, [], {}
    for n in range(3):
        uri, frames = f"rec{n}", int(rng.integers(100, 300))
        ref, ref_matrix = random_annotation(rng, uri, ["a", "b", "c"][:int(rng.integers(1, 4))], frames)
        hyp, hyp_matrix = random_annotation(rng, uri, [f"{uri}_0", f"{uri}_1"], frames)
        if len(ref) == 0:
            ref[Segment(0, 0.5), "x"] = "a"
            ref_matrix[:50, 0] = True
        hyps[uri], refs[uri], durations[uri] = hyp, ref, frames / 100
        pairs.append((hyp_matrix, ref_matrix))
    write_rttm(hyps, tmp_path / "hyp.rttm")
    write_rttm(refs, tmp_path / "ref.rttm")
    expected = frame_der(pairs)
    assert der(tmp_path / "hyp.rttm", tmp_path / "ref.rttm", durations) == pytest.approx(expected, abs=1e-9)
    assert der(hyps, refs, durations) == pytest.approx(expected, abs=1e-9)


def test_der_edge_cases():
    ref = Annotation(uri="r")
    ref[Segment(0, 1)] = "a"
    assert der({}, {"r": ref}) == 1.0  # all silence: everything missed
    with pytest.raises(ValueError, match="no speech"):
        der({}, {"r": Annotation(uri="r")})


def test_post_processing_and_rttm_round_trip(tmp_path):
    posteriors = np.zeros((100, 2))
    posteriors[10:40, 0] = 0.8
    posteriors[60:62, 0] = 0.9  # a 20 ms blip: the 11-frame median filter removes it
    posteriors[30:90, 1] = 0.45
    active = post_process(posteriors, 0.5, 1)
    assert active[:, 0].sum() == 32 and active[:, 1].sum() == 0
    filtered = post_process(posteriors, 0.4, 11)
    assert filtered[:, 0].nonzero()[0].tolist() == list(range(10, 40)) and filtered[:, 1].sum() == 60
    annotation = frames_to_annotation(filtered, "rec-1", 0.01)
    write_rttm({"rec-1": annotation}, tmp_path / "hyp.rttm")
    lines = (tmp_path / "hyp.rttm").read_text().splitlines()
    assert lines == ["SPEAKER rec-1 1 0.100 0.300 <NA> <NA> rec-1_0 <NA> <NA>",
                     "SPEAKER rec-1 1 0.300 0.600 <NA> <NA> rec-1_1 <NA> <NA>"]
    back = load_rttm(str(tmp_path / "hyp.rttm"))["rec-1"]
    assert back.labels() == ["rec-1_0", "rec-1_1"] and back.label_duration("rec-1_1") == pytest.approx(0.6)


def test_pit_bce_is_permutation_invariant_and_matches_s3prl():
    torch.manual_seed(0)
    logits, labels = torch.randn(3, 7, 2), (torch.rand(3, 7, 2) > 0.5).float()
    lengths = torch.tensor([7, 4, 1])
    loss, ordered = pit_bce(logits, labels, lengths)
    swapped, _ = pit_bce(logits, labels.flip(2), lengths)
    assert loss == pytest.approx(float(swapped))
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    per_chunk = [min(float(bce(logits[i, :n], labels[i, :n][:, p], reduction="none").mean(1).sum())
                     for p in ([0, 1], [1, 0])) for i, n in enumerate(lengths.tolist())]
    assert float(loss) == pytest.approx(sum(per_chunk) / 12)
    for i, n in enumerate(lengths.tolist()):
        assert float(bce(logits[i, :n], ordered[i, :n], reduction="none").mean(1).sum()) == pytest.approx(per_chunk[i])


def test_chunks_follow_s3prl_and_repeat_the_last_feature_frame():
    chunks = make_chunks([4500, 10], 2000)
    assert list(zip(chunks.recording.tolist(), chunks.start.tolist(), chunks.length.tolist())) == [
        (0, 0, 2000), (0, 2000, 2000), (0, 4000, 500), (1, 0, 10)]
    flat = torch.arange(2 * 12, dtype=torch.float16).view(12, 1, 2)  # recording 0: 4 frames, recording 1: 8
    store = FrameStore(flat, torch.tensor([4, 8]))
    features = SplitFeatures(torch.zeros(2, 1, 2), torch.tensor([4, 8]), store)
    chunks = make_chunks([5, 8], 3)  # recording 0 has one label frame more than features
    x, lengths = ChunkFeatures(features, chunks).batch(torch.arange(4))
    assert lengths.tolist() == [3, 2, 3, 3]
    assert x[1, :2, 0, 0].tolist() == [6.0, 6.0]  # frame 3 then frame 3 again (the last one)
    assert x[3, :3, 0, 0].tolist() == [14.0, 16.0, 18.0]

    class Streamed:  # the --no-frame-cache source: whole recordings, padded
        def batch(self, index):
            return store.batch(index)

    streamed = SplitFeatures(features.pooled, features.lengths, Streamed())
    y, _ = ChunkFeatures(streamed, chunks).batch(torch.arange(4))
    assert torch.equal(x, y)


def test_sd_runs_end_to_end_on_the_synthetic_corpus(tmp_path):
    from benchmark.corpora.synthetic.libri2mix import ensure_synthetic_libri2mix

    root = ensure_synthetic_libri2mix(tmp_path / "mix", num_mixtures=16, progress=False)
    proc = superb("run", "--upstream", "fbank", "--task", "sd", "--data", str(root), "--steps", "2", "--quiet",
                  "--out", str(tmp_path / "results"))
    result = json.loads(open(proc.stdout.strip().splitlines()[-1].removeprefix("result: ")).read())
    assert result["corpus"]["synthetic"] and result["corpus"]["sizes"] == {"train": 12, "dev": 2, "test": 2}
    assert 0 <= result["metrics"]["test"]["der"] and result["metrics"]["test"]["der_best_on_test"] <= result["metrics"]["test"]["der"]
    assert result["post_processing"]["chosen_on"] == "dev" and len(result["der_grid"]["dev"]) == 10
    assert result["trivial_test_der"]["all_silence"] == 1.0
    hypotheses = load_rttm(result["rttm"])
    test_ids = (root / "test" / "wav.scp").read_text().split()[::2]
    assert set(hypotheses) <= set(test_ids)
    assert der(result["rttm"], root / "test" / "rttm") >= 0


def test_synthetic_reference_is_the_measured_activity():
    from benchmark.corpora.synthetic.libri2mix import speech_turns

    source = np.zeros(150 * 160)
    for first, end in ((10, 30), (35, 60), (100, 120)):  # a 50 ms gap is bridged, a 0.4 s pause is not
        source[first * 160:end * 160] = np.sin(np.arange((end - first) * 160) * 0.3)
    source[130 * 160] = 0.01  # below 2 % of the peak: silence
    assert speech_turns(source) == [(10, 60), (100, 120)]


def test_cli_refuses_a_bad_rttm_line_and_writes_nothing(tmp_path):
    root = make_tree(tmp_path / "data")
    break_line(root / "dev" / "rttm", 3, "SPEAKER x")
    proc = superb("run", "--upstream", "fbank", "--task", "sd", "--data", str(root), "--quiet",
                  "--out", str(tmp_path / "results"), check=False)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "dev/rttm:3: expected 9 or more fields" in proc.stderr
    assert not (tmp_path / "results").exists()
