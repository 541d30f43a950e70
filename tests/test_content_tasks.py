"""PR, ASR and QbE end to end through the CLI on tiny synthetic trees; heads, bucketing, SpecAugment."""

import json

import numpy as np
import pytest
import torch

from benchmark.bucketing import draw_bucketed, length_buckets
from benchmark.problems.ctc_transcription import greedy_decode
from benchmark.specaugment import SpecAugment
from conftest import superb
from downstreams.ctc_heads import BLSTMCTC, LinearCTC

pytest.importorskip("espeakng_loader")


def result_of(proc) -> dict:
    return json.loads(open(proc.stdout.strip().splitlines()[-1].removeprefix("result: ")).read())


@pytest.mark.parametrize("task,metrics", [("pr", {"per"}), ("asr", {"wer", "cer"})])
def test_ctc_tasks_run_end_to_end(tiny_librispeech, tmp_path, task, metrics):
    result = result_of(superb("run", "--upstream", "fbank", "--task", task, "--data", str(tiny_librispeech),
                              "--steps", "5", "--quiet", "--out", str(tmp_path)))
    assert result["task"] == task and result["config"]["path"] == "frames"
    assert result["main_metric"]["higher_is_better"] is False
    for split in ("dev", "test"):
        assert set(result["metrics"][split]) == metrics
        assert all(value >= 0 for value in result["metrics"][split].values())
    assert result["training"]["history"][-1]["step"] == 5
    assert result["converged"] is False  # one evaluation shows no plateau
    assert result["corpus"]["synthetic"] and result["corpus"]["sizes"] == {"train": 8, "dev": 2, "test": 2}
    assert len(result["test_examples"]) == 2 and result["test_examples"][0]["reference"]
    assert result["layer_weights"] == [1.0]
    if task == "asr":  # the synthetic corpus runs a smaller head on standardised input, and says so
        assert result["config"]["head_args"]["hidden"] < 1024 and result["config"]["options"]["standardize"]
        assert any("settings changed for it" in d for d in result["departures"])


def test_qbe_runs_end_to_end(tiny_quesst, tmp_path):
    result = result_of(superb("run", "--upstream", "fbank", "--task", "qbe", "--data", str(tiny_quesst),
                              "--quiet", "--out", str(tmp_path)))
    assert set(result["metrics"]["test"]) == {"mtwv", "mtwv_english", "min_cnxe"}
    assert 0 <= result["metrics"]["test"]["mtwv"] <= 1 and 0 <= result["metrics"]["test"]["mtwv_english"] <= 1
    assert result["corpus"]["gain_db"] == -3.0  # s3prl's QbE dataset runs sox gain -3.0
    assert result["qbe"]["best_layer"] == 0 and set(result["qbe"]["dev_mtwv_per_layer"]) == {"0"}
    assert result["training"] is None and result["converged"] is None and result["corpus"]["sizes"] == {"dev": 2, "test": 2, "documents": 12}


@pytest.mark.parametrize("task,corpus,extra,expected", [
    ("asr", "tiny_sc", [], "looks like Speech Commands"),
    ("qbe", "tiny_librispeech", [], "looks like LibriSpeech"),
    ("qbe", "tiny_quesst", ["--steps", "5"], "qbe trains nothing"),
    ("qbe", "tiny_quesst", ["--layer-norm"], "qbe trains nothing"),
])
def test_wrong_input_is_one_line(request, tmp_path, task, corpus, extra, expected):
    proc = superb("run", "--upstream", "fbank", "--task", task, "--data", str(request.getfixturevalue(corpus)),
                  *extra, "--quiet", "--out", str(tmp_path), check=False)
    assert proc.returncode == 2 and expected in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_heads_keep_the_frame_rate_and_ignore_padding():
    torch.manual_seed(0)
    frames, lengths = torch.randn(3, 20, 16), torch.tensor([20, 12, 5])
    for head in (LinearCTC(16, 7, hidden=8), BLSTMCTC(16, 7, project=8, hidden=6).eval()):
        logits, out_lengths = head(frames, lengths)
        assert logits.shape == (3, 20, 7) and out_lengths.tolist() == [20, 12, 5]
        padded = frames.clone()
        padded[1, 12:] = 100.0
        assert torch.allclose(head(padded, lengths)[0][1, :12], logits[1, :12], atol=1e-5)


def test_greedy_decoding_merges_repeats_and_drops_blanks():
    path = torch.tensor([[0, 3, 3, 0, 3, 5, 5, 0, 9]])
    log_probs = torch.nn.functional.one_hot(path, 10).float().log()
    assert greedy_decode(log_probs, torch.tensor([8])) == [[3, 3, 5]]


def test_bucketing_bounds_padding_and_is_seeded():
    lengths = np.array([100, 900, 120, 880, 500, 90, 95, 870])
    buckets = length_buckets(lengths, batch_size=3, max_frames=1800)
    assert sorted(np.concatenate(buckets).tolist()) == list(range(8))
    assert all(len(b) <= 3 and len(b) * lengths[b].max() <= 1800 for b in buckets)
    rows = draw_bucketed(lengths, 3, 1800, rows=10, seed=4)
    assert len(rows) == 10 and [r.tolist() for r in rows] == [r.tolist() for r in draw_bucketed(lengths, 3, 1800, 10, 4)]


def test_specaugment_changes_only_training_features_within_their_length():
    torch.manual_seed(0)
    features, lengths = torch.randn(2, 50, 60), torch.tensor([50, 30])
    augment = SpecAugment()
    out = augment(features, lengths)
    assert out.shape == features.shape and not torch.equal(out, features)
    assert torch.equal(out[1, 30:], features[1, 30:])
    assert torch.equal(augment.eval()(features, lengths), features)


def test_synthetic_head_overrides_are_validated(tmp_path):
    from benchmark.errors import UserError
    from benchmark.tasks import load_tasks, tasks_file

    text = tasks_file().read_text()
    asr = load_tasks()["asr"]
    assert asr.head_arguments(synthetic=False)["hidden"] == 1024 and asr.head_arguments(synthetic=True)["hidden"] == 64
    assert "head" not in asr.training(synthetic=True)
    bad = tmp_path / "tasks.yaml"
    bad.write_text(text.replace("      project: 64\n", "      projekt: 64\n", 1))
    with pytest.raises(UserError, match=r"asr.synthetic.head must map some of the head's arguments"):
        load_tasks(bad)
