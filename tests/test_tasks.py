"""tasks.yaml is validated at load time; every error names the file and the key."""

import textwrap
from pathlib import Path

import pytest

from benchmark.errors import UserError
from benchmark.tasks import get_task, load_tasks, tasks_file

GOOD = tasks_file().read_text()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tasks.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_shipped_tasks_are_valid():
    tasks = load_tasks()
    ks = tasks["ks"]
    assert ks.metric == "accuracy" and ks.higher_is_better and ks.head == "mean_pool_linear"
    assert ks.training(synthetic=False)["steps"] == 200000 and ks.training(synthetic=True)["steps"] == 20000
    assert ks.training(synthetic=False)["lr"] == 1e-4 and ks.training(synthetic=True)["lr"] == 1e-3
    assert ks.gain_db == -3.0 and tasks["pr"].gain_db == 0.0  # s3prl's sox `gain -3.0` for KS only
    asr = tasks["asr"]  # short synthetic utterances: narrower time masks, s3prl's on the real corpus
    assert asr.options_for(False)["specaugment"]["time_mask_width"] == 40 == asr.options["specaugment"]["time_mask_width"]
    assert asr.options_for(True)["specaugment"]["time_mask_width"] < 40
    assert asr.options_for(True)["specaugment"]["freq_masks"] == 4 and "options" not in asr.training(True)
    assert asr.options_for(True)["standardize"] is True and asr.options_for(False)["standardize"] is False
    assert asr.options["standardize"] is False  # options_for never changes the task's own options


@pytest.mark.parametrize("old,new,expected", [
    ("head:\n    name: mean_pool_linear", "head:\n    name: mean_pool_lin", "ks.head.name is 'mean_pool_lin'"),
    ("    lr: 1.0e-4", "    lr: fast", "ks.training.lr must be a number, got 'fast'"),
    ("    batch_size: 32\n", "", "ks.training.batch_size is missing"),
    ("    steps: 200000", "    steps: 0", "ks.training.steps must be positive"),
    ("  sampler: class_balanced", "  sampler: class_balanced\n  sampl: x", "ks.sampl is not a known key"),
    ("  problem: utterance_classification", "  problem: [oops", "YAML syntax error at line"),
    ("    steps: 20000\n", "    stepz: 20000\n", "ks.synthetic.stepz is not a training key"),
    ("    gain_db: -3.0", "    gain_db: loud", "ks.corpus.gain_db must be a number, got 'loud'"),
    ("      time_mask_width: 8", "      time_mask_wide: 8", "asr.synthetic.options.specaugment must map some of"),
    ("      standardize: true", "      standardise: true", "asr.synthetic.options must map some of the task's options"),
    ("    gain_db: -3.0", "    gian_db: -3.0", "ks.corpus.gian_db is not a known key"),
])
def test_malformed_entries_name_file_and_key(tmp_path, old, new, expected):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(UserError) as err:
        load_tasks(path)
    assert str(path) in str(err.value) and expected in str(err.value)


def test_unknown_task_suggests(tmp_path):
    with pytest.raises(UserError, match="Did you mean: ks"):
        get_task("kws")


S3PRL_RUNNER = {  # s3prl 0.4.18 configs: gradient_clipping, gradient_accumulate_steps, eval_step, batch size
    "ks": (1.0, 1, 4000, 32),  # speech_commands/config.yaml
    "pr": (1.0, 2, 1000, 16),  # ctc/libriphone.yaml
    "asr": (1.0, 1, 2000, 16),  # asr/config.yaml (batch 32, halved by its length threshold on LibriSpeech)
}


@pytest.mark.parametrize("task", sorted(S3PRL_RUNNER))
def test_training_keys_are_s3prls(task):
    training = get_task(task).training(synthetic=False)
    assert (training["grad_clip"], training["grad_accum"], training["eval_interval"],
            training["batch_size"]) == S3PRL_RUNNER[task]


@pytest.mark.parametrize("task,corpus", [("ks", "tiny_sc"), ("pr", "tiny_librispeech"), ("asr", "tiny_librispeech")])
def test_the_grad_clip_of_tasks_yaml_is_the_one_applied(request, tmp_path, monkeypatch, task, corpus):
    import torch

    from benchmark.runner import RunRequest, run

    applied, clip = [], torch.nn.utils.clip_grad_norm_
    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_",
                        lambda params, max_norm, **kw: applied.append(max_norm) or clip(params, max_norm, **kw))
    result = run(RunRequest(upstream="fbank_no_cmvn", task=task, data=request.getfixturevalue(corpus), steps=2,
                            out=tmp_path, cache_dir=tmp_path / "cache", progress=False)).result
    assert applied == [get_task(task).training(synthetic=True)["grad_clip"]] * 2 == [result["config"]["grad_clip"]] * 2
