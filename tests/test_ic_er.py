"""IC (three softmax groups) and ER (five folds) on the pooled path, end to end on tiny synthetic trees."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from benchmark.features import FrameStore, SplitFeatures
from benchmark.folds import fold_indices, gather
from benchmark.metrics import accuracy
from benchmark.problems.utterance_classification import predict
from benchmark.runner import RunRequest, run
from conftest import superb


def test_fold_split_is_s3prls_random_split():
    sizes = [3, 4, 5, 6, 7]
    picks = fold_indices(sizes, test=2, dev_fraction=0.2)
    rest = [(g, i) for g, n in enumerate(sizes) if g != 2 for i in range(n)]
    torch.manual_seed(0)  # what s3prl's emotion expert does before random_split
    train, dev = torch.utils.data.random_split(rest, [int(0.8 * len(rest)), len(rest) - int(0.8 * len(rest))])
    flat = {split: [(g, i) for g, idx in parts for i in idx.tolist()] for split, parts in picks.items()}
    assert flat["train"] == list(train) and flat["dev"] == list(dev)
    assert flat["test"] == [(2, i) for i in range(5)]


def test_gather_keeps_pooled_and_frames_together():
    lengths = torch.tensor([2, 3, 1, 4])
    flat = torch.arange(10 * 2, dtype=torch.float16).view(10, 1, 2)
    pooled = torch.randn(4, 1, 2)
    a = SplitFeatures(pooled[:2], lengths[:2], FrameStore(flat, lengths[:2], torch.tensor([0, 2])))
    b = SplitFeatures(pooled[2:], lengths[2:], FrameStore(flat, lengths[2:], torch.tensor([5, 6])))
    both = gather([(b, torch.tensor([1])), (a, torch.tensor([1, 0]))])
    assert torch.equal(both.pooled, pooled[[3, 1, 0]]) and both.lengths.tolist() == [4, 3, 2]
    frames, _ = both.frames.batch(torch.tensor([1]))
    assert torch.equal(frames[0, :3], flat[2:5].float())


def test_group_predictions_and_all_right_accuracy_on_random_inputs():
    gen = torch.Generator().manual_seed(0)
    groups = [6, 14, 4]
    logits = torch.randn(200, sum(groups), generator=gen)
    pred = predict(lambda index: logits[index], 200, True, groups)
    assert pred.shape == (200, 3)
    assert torch.equal(pred[:, 1], logits[:, 6:20].argmax(-1))
    ref = pred.clone()
    wrong = torch.rand(200, 3, generator=gen) < 0.3
    ref[wrong] = (ref[wrong] + 1) % 4
    ours = accuracy([tuple(p) for p in pred.tolist()], [tuple(r) for r in ref.tolist()])
    assert ours == pytest.approx(float(np.mean((pred.numpy() == ref.numpy()).all(1))))


def test_ic_runs_on_three_label_groups(tiny_fsc, tmp_path):
    result = run(RunRequest(upstream="fbank_no_cmvn", task="ic", data=tiny_fsc, steps=3, out=tmp_path,
                            progress=False)).result
    assert result["config"]["path"] == "pooled" and result["corpus"]["synthetic"]
    assert {g: len(c) for g, c in result["classes"].items()} == {"action": 6, "object": 14, "location": 4}
    assert 0 <= result["metrics"]["test"]["accuracy"] <= 1


def test_er_runs_five_folds_and_reports_their_mean(tiny_iemocap, tmp_path):
    request = RunRequest(upstream="fbank", task="er", data=tiny_iemocap, steps=2, out=tmp_path, progress=False)
    output = run(request)
    result, run_dir = output.result, output.result_path.parent
    folds = result["folds"]
    assert [f["fold"] for f in folds] == [1, 2, 3, 4, 5]
    assert [f["test_group"] for f in folds] == [f"Session{n}" for n in range(1, 6)]
    total = sum(result["corpus"]["sizes"].values())
    for fold in folds:
        assert sum(fold["sizes"].values()) == total
        assert fold["sizes"]["test"] == result["corpus"]["sizes"][fold["test_group"]]
    for split in ("dev", "test"):
        assert result["metrics"][split]["accuracy"] == pytest.approx(
            np.mean([f["metrics"][split]["accuracy"] for f in folds]))
    assert {h["fold"] for h in result["training"]["history"]} == {1, 2, 3, 4, 5}
    assert set(result["classes"]) <= {"neu", "hap", "ang", "sad"}
    assert sorted(p.name for p in run_dir.glob("checkpoint*.pt")) == [f"checkpoint-fold{k}.pt" for k in range(1, 6)]
    (run_dir / "result.json").unlink()  # killed once every fold had trained: resumes from the fold checkpoints
    resumed = run(request).result
    assert resumed["training"]["resumed_from_step"] == [2] * 5 and resumed["metrics"] == result["metrics"]
    forced = run(replace(request, force=True)).result  # --force retrains every fold
    assert forced["training"]["resumed_from_step"] == [0] * 5 and forced["metrics"] == result["metrics"]
    one = run(RunRequest(upstream="fbank", task="er", data=tiny_iemocap, steps=2, out=tmp_path, progress=False,
                         fold=2)).result
    assert [f["fold"] for f in one["folds"]] == [2] and one["config"]["fold"] == 2
    assert one["metrics"]["test"] == folds[1]["metrics"]["test"]  # same fold, same numbers


@pytest.mark.parametrize("task,fold,expected", [("er", "6", "--fold 6: task er has folds 1 to 5"),
                                                ("ks", "1", "--fold 1: task ks has no folds")])
def test_bad_fold_is_one_line(tmp_path, task, fold, expected):
    proc = superb("run", "--upstream", "fbank", "--task", task, "--fold", fold, "--out", str(tmp_path), check=False)
    assert proc.returncode == 2 and expected in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
