"""SID and ASV: VoxCeleb1 loaders on tiny generated trees, bad input, synthetic plan, x-vector head, CLI runs."""

import json
import os
import shutil

import numpy as np
import pytest
import soundfile
import torch

from benchmark.corpora.loaders.voxceleb1 import TRAIN_CROP, load_voxceleb1_iden, load_voxceleb1_veri
from benchmark.errors import CorpusError
from benchmark.problems.speaker_verification import random_crops
from conftest import superb
from downstreams.xvector import AMSoftmax, XVector

DEV_SPEAKERS = [f"id1000{i}" for i in range(1, 7)]
TEST_SPEAKERS = ["id10007", "id10008"]
LONG = "id10001/vidB0000001/00003.wav"  # 9 s, a training utterance: cropped to 8 s for SID
SHORT = "id10002/vidB0000002/00003.wav"  # 1.5 s: dropped from verification training


@pytest.fixture(scope="module", autouse=True)
def no_voxceleb1_variable():
    """The tests must not be pointed at a real VoxCeleb1 copy."""
    os.environ.pop("SUPERB_VOXCELEB1_DATA", None)


def write_tree(root, single_wav_folder=False):
    """6 vox1_dev speakers and 2 vox1_test speakers, 2 videos x 2 utterances each (plus LONG and SHORT)."""
    rng = np.random.default_rng(0)
    rels = {}
    for k, speaker in enumerate(DEV_SPEAKERS + TEST_SPEAKERS):
        subset = "vox1_test_wav" if speaker in TEST_SPEAKERS else "vox1_dev_wav"
        for video in (f"vidA000000{k + 1}", f"vidB000000{k + 1}"):
            for n in (1, 2):
                rels[f"{speaker}/{video}/{n:05d}.wav"] = (subset, 2.5)
    rels[LONG] = ("vox1_dev_wav", 9.0)
    rels[SHORT] = ("vox1_dev_wav", 1.5)
    for rel, (subset, seconds) in rels.items():
        path = root / ("wav" if single_wav_folder else f"{subset}/wav") / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        tone = np.sin(2 * np.pi * (200 + 40 * int(rel[6])) * np.arange(int(seconds * 16000)) / 16000)
        soundfile.write(path, (0.3 * tone + 0.05 * rng.standard_normal(len(tone))).astype(np.float32), 16000,
                        subtype="PCM_16")
    iden = [f"{3 if n == 1 and '/vidA' in rel else 2 if '/vidA' in rel else 1} {rel}"
            for rel in rels for n in [int(rel[-5])]]
    (root / "iden_split.txt").write_text("\n".join(iden) + "\n")
    a, b = TEST_SPEAKERS
    (root / "veri_test2.txt").write_text(
        f"1 {a}/vidA0000007/00001.wav {a}/vidB0000007/00002.wav\n"
        f"0 {a}/vidA0000007/00001.wav {b}/vidA0000008/00001.wav\n"
        f"1 {b}/vidA0000008/00002.wav {b}/vidB0000008/00001.wav\n"
        f"0 {a}/vidB0000007/00001.wav {b}/vidB0000008/00002.wav\n")
    (root / "README.synthetic.txt").write_text("tiny test tree (synthetic settings: small head)\n")
    return root


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    return write_tree(tmp_path_factory.mktemp("vox1") / "VoxCeleb1")


def test_iden_loader_reads_the_real_layout(tree):
    splits = load_voxceleb1_iden(tree)
    assert {k: len(v) for k, v in splits.items()} == {"train": 18, "dev": 8, "test": 8}
    assert {u.label for u in splits["train"]} == set(DEV_SPEAKERS + TEST_SPEAKERS)
    long = next(u for u in splits["train"] if u.uid == LONG.removesuffix(".wav"))
    assert long.end - long.start == TRAIN_CROP and 0 <= long.start <= 16000
    assert all(u.start == 0 and u.end is None for s in ("dev", "test") for u in splits[s])
    assert all(u.speaker == u.label == u.uid.split("/")[0] for s in splits.values() for u in s)


def test_veri_loader_holds_out_dev_speakers_and_reads_trials(tree):
    splits = load_voxceleb1_veri(tree)
    train_speakers = {u.speaker for u in splits["train"]}
    dev_speakers = {u.speaker for u in splits["dev"]}
    assert len(train_speakers) == 4 and len(dev_speakers) == 2
    assert not train_speakers & dev_speakers and train_speakers | dev_speakers == set(DEV_SPEAKERS)
    assert SHORT.removesuffix(".wav") not in {u.uid for u in splits["train"]}
    dev_trials = splits.trials["dev"]
    assert sum(t.target for t in dev_trials) == sum(not t.target for t in dev_trials) > 0
    dev = splits["dev"]
    for t in dev_trials:
        assert (dev[t.enrol].speaker == dev[t.test].speaker) == t.target
    test, trials = splits["test"], splits.trials["test"]
    assert len(test) == 7 and [t.target for t in trials] == [True, False, True, False]
    assert (test[trials[1].enrol].uid, test[trials[1].test].uid) == ("id10007/vidA0000007/00001",
                                                                      "id10008/vidA0000008/00001")


def test_single_wav_folder_is_accepted(tmp_path, tree):
    flat = write_tree(tmp_path / "flat", single_wav_folder=True)
    assert [u.uid for u in load_voxceleb1_iden(flat)["test"]] == [u.uid for u in load_voxceleb1_iden(tree)["test"]]
    assert {u.speaker for u in load_voxceleb1_veri(flat)["dev"]} <= set(DEV_SPEAKERS)


@pytest.mark.parametrize("file,edit,loader,expected", [
    ("veri_test2.txt", lambda t: t.replace("vidB0000007/00002", "vidB0000007/00009"), load_voxceleb1_veri,
     "veri_test2.txt:1: id10007/vidB0000007/00009.wav is not in the corpus"),
    ("veri_test2.txt", lambda t: "\n\n", load_voxceleb1_veri, "veri_test2.txt is empty"),
    ("veri_test2.txt", lambda t: t + "1 id10007/vidA0000007/00001.wav\n", load_voxceleb1_veri,
     "veri_test2.txt:5: expected '1|0"),
    ("iden_split.txt", lambda t: "train " + t, load_voxceleb1_iden, "iden_split.txt:1: expected '1|2|3"),
    ("iden_split.txt", lambda t: "\n".join(l for l in t.splitlines() if not l.startswith("1 id10008")),
     load_voxceleb1_iden, "speaker id10008 ("),
])
def test_bad_lists_name_the_file_and_line(tmp_path, file, edit, loader, expected):
    root = write_tree(tmp_path / "bad")
    (root / file).write_text(edit((root / file).read_text()))
    with pytest.raises(CorpusError, match=None) as err:
        loader(root)
    assert expected in str(err.value) and len(str(err.value).splitlines()) == 1
    if "id10008 (" in expected:
        assert "has no training utterance" in str(err.value) and "iden_split.txt:" in str(err.value)


def test_synthetic_plan_speakers_videos_and_trials():
    from benchmark.corpora.synthetic import voxceleb1 as synth

    plan = synth.plan_utterances(12, seed=0)
    assert len(plan) == 12 * synth.VIDEOS_PER_SPEAKER * synth.UTTERANCES_PER_VIDEO
    assert len({u.speaker.voice for u in plan}) == 12 and all(2 <= u.seconds <= 8 for u in plan)
    channels = {u.video: u.channel for u in plan}
    assert len(set(channels.values())) == len(channels) == 12 * synth.VIDEOS_PER_SPEAKER
    split = [line.split() for line in synth.iden_split(plan)]
    assert {s for s, _ in split} == {"1", "2", "3"}
    for mark in "23":  # dev and test videos are never training videos
        held = {rel.split("/")[1] for s, rel in split if s == mark}
        assert not held & {rel.split("/")[1] for s, rel in split if s == "1"}
    trials = [line.split() for line in synth.verification_trials(plan, seed=0)]
    test_ids = {u.speaker_id for u in plan if u.subset == "vox1_test_wav"}
    assert sum(t == "1" for t, _, _ in trials) == sum(t == "0" for t, _, _ in trials) > 0
    for target, a, b in trials:
        assert {a.split("/")[0], b.split("/")[0]} <= test_ids
        assert (a.split("/")[0] == b.split("/")[0]) == (target == "1")
        assert target == "0" or a.split("/")[1] != b.split("/")[1]
    audio = synth.render_utterance(plan[0], seed=0)
    assert audio.dtype == np.int16 and len(audio) == int(plan[0].seconds * 16000)


def test_xvector_embedding_ignores_padding_and_am_softmax_matches_s3prl():
    torch.manual_seed(0)
    head = XVector(12, input_dim=16, agg_dim=24).eval()
    frames = torch.randn(2, 40, 12)
    with torch.no_grad():
        batch = head.embed(frames, torch.tensor([40, 25]))
        alone = head.embed(frames[1:, :25], torch.tensor([25]))
        short = head.embed(frames[:1, :6], torch.tensor([6]))  # shorter than the TDNN context
    assert batch.shape == (2, 16) and torch.allclose(batch[1], alone[0], atol=1e-5)
    assert torch.isfinite(short).all() and head(frames, torch.tensor([40, 25])).shape == (2, 16)
    loss = AMSoftmax(16, 5)
    x, y = torch.randn(7, 16), torch.tensor([0, 1, 2, 3, 4, 0, 1])
    wf = torch.nn.functional.normalize(x, dim=1) @ torch.nn.functional.normalize(loss.weight, dim=0)
    numerator = 30 * (wf[torch.arange(7), y] - 0.4)  # s3prl AMSoftmaxLoss
    excl = torch.stack([torch.cat([wf[i, :c], wf[i, c + 1:]]) for i, c in enumerate(y.tolist())])
    reference = -(numerator - torch.log(torch.exp(numerator) + torch.exp(30 * excl).sum(1))).mean()
    assert torch.allclose(loss(x, y), reference, atol=1e-4)


def test_random_crops_stay_inside_each_clip():
    frames = torch.arange(2 * 10, dtype=torch.float32).view(2, 10, 1)
    cropped, lengths = random_crops(frames, torch.tensor([10, 4]), 6, torch.tensor([3, 99]))
    assert lengths.tolist() == [6, 4]
    assert cropped[0, :, 0].tolist() == list(range(3, 9)) and cropped[1, :4, 0].tolist() == [10, 11, 12, 13]


def result_of(proc) -> dict:
    return json.loads(open(proc.stdout.strip().splitlines()[-1].removeprefix("result: ")).read())


def test_sid_and_asv_run_end_to_end(tree, tmp_path):
    sid = result_of(superb("run", "--upstream", "fbank_no_cmvn", "--task", "sid", "--data", str(tree),
                           "--steps", "3", "--quiet", "--out", str(tmp_path)))
    assert sid["config"]["path"] == "pooled" and len(sid["classes"]) == 8
    assert 0 <= sid["metrics"]["test"]["accuracy"] <= 1
    asv = result_of(superb("run", "--upstream", "fbank_no_cmvn", "--task", "asv", "--data", str(tree),
                           "--steps", "2", "--quiet", "--out", str(tmp_path)))
    assert asv["config"]["path"] == "frames" and asv["config"]["head_args"]["input_dim"] == 64
    assert asv["speakers"] == {"train": 4, "dev_trials": len(load_voxceleb1_veri(tree).trials["dev"]),
                               "test_trials": 4}
    for split in ("dev", "test"):
        assert set(asv["metrics"][split]) == {"eer", "min_dcf"}
        assert 0 <= asv["metrics"][split]["eer"] <= 1 and asv["metrics"][split]["min_dcf"] >= 0
    assert asv["main_metric"] == {"name": "eer", "higher_is_better": False}
    assert any("dev trials" in d for d in asv["departures"])


def test_bad_trial_list_is_one_line_from_the_cli(tmp_path, tree):
    root = tmp_path / "bad"
    shutil.copytree(tree, root)
    (root / "veri_test2.txt").write_text("")
    proc = superb("run", "--upstream", "fbank", "--task", "asv", "--data", str(root), "--quiet",
                  "--out", str(tmp_path), check=False)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert "veri_test2.txt is empty" in proc.stderr
