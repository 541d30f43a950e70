"""Device plumbing, on a machine without a GPU: ``--device``, out-of-memory halving, nothing on a hard-coded device.

Tests marked ``gpu`` run the same paths on CUDA; they are skipped, with the reason
printed, where there is none (see conftest.py).
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from torch import Tensor

from benchmark.errors import UserError
from benchmark.features import ExtractionSettings, length_batches, run_upstream
from conftest import REPO, superb
from upstreams.base import Upstream, UpstreamOutput


# --- options: refused before torch is imported; CUDA asked for where there is none -----------------

@pytest.mark.parametrize("command, args, expected", [
    ("run", ["--upstream", "fbank", "--task", "ks", "--device", "gpu"], "--device 'gpu': expected auto, cpu, cuda"),
    ("run", ["--upstream", "fbank", "--task", "ks", "--extract-dtype", "fp8"], "--extract-dtype 'fp8': expected"),
    ("run", ["--upstream", "fbank", "--task", "ks", "--extract-batch-seconds", "0"], "--extract-batch-seconds 0.0"),
    ("submit", ["fbank", "--device", "cuda:x"], "--device 'cuda:x'"),
    ("check-upstream", ["fbank", "--extract-dtype", "half"], "--extract-dtype 'half'"),
])
def test_bad_device_options_are_refused_before_torch_is_imported(command, args, expected):
    code = ("import sys; from benchmark.cli import main; rc = main(sys.argv[1:]); "
            "assert rc == 2, rc; assert 'torch' not in sys.modules, 'torch imported'")
    proc = subprocess.run([sys.executable, "-c", code, command, *args], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], lines


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
@pytest.mark.parametrize("args", [["run", "--upstream", "fbank", "--task", "ks", "--device", "cuda"],
                                  ["check-upstream", "fbank", "--device", "cuda:0"],
                                  ["submit", "fbank", "--device", "cuda"]])
def test_cuda_on_a_machine_without_it_is_one_line(args, capsys):
    from benchmark.cli import main

    assert main(args) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"superb: error: --device {args[args.index('--device') + 1]}: this machine has no CUDA device "
        f"(torch.cuda.is_available() is False); use --device cpu or auto"]


# --- extraction batches: by padded seconds; halved on out of memory -----------------------------

class Frames(Upstream):
    """Stride 160, two layers of 4 dims that depend on each clip alone; out of memory above ``fits`` clips."""

    name = "oom_probe"
    downsample_rate, num_layers, hidden_size = 160, 2, 4

    def __init__(self, fits: int = 1_000):
        super().__init__()
        self.fits = fits
        self.batches: list[int] = []

    def forward(self, wavs: Tensor, lengths: Tensor) -> UpstreamOutput:
        if len(wavs) > self.fits:
            raise torch.OutOfMemoryError(f"CUDA out of memory. Tried to allocate 2.00 GiB ({len(wavs)} clips)")
        self.batches.append(len(wavs))
        frames = self.expected_frames(lengths)
        t = torch.arange(int(frames.max()), device=wavs.device)
        level = wavs.abs().sum(1, keepdim=True) / lengths[:, None]  # (batch, 1)
        layer = (level + t[None, :]).unsqueeze(-1).expand(-1, -1, 4) * (t[None, :] < frames[:, None])[..., None]
        return UpstreamOutput([layer, 2 * layer], frames)


def clips(count: int) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.uniform(-1, 1, 1600 * (1 + i % 5)).astype(np.float32) for i in range(count)]


def test_length_batches_stay_within_the_padded_seconds_and_are_sorted():
    lengths = [16_000 * s for s in (3, 1, 2, 1, 5, 2)]
    batches = length_batches(lengths, ExtractionSettings(batch_seconds=4).batch_samples)
    assert sorted(i for b in batches for i in b) == list(range(6))
    assert all(len(b) * max(lengths[i] for i in b) <= 4 * 16_000 or len(b) == 1 for b in batches)
    assert [lengths[b[0]] for b in batches] == sorted(lengths[b[0]] for b in batches)  # shortest first


def test_out_of_memory_halves_the_batch_and_says_so(capsys):
    wavs = clips(7)
    expected = run_upstream(Frames(), wavs)
    upstream = Frames(fits=2)
    got = run_upstream(upstream, wavs, ExtractionSettings(batch_seconds=100))
    assert all(torch.equal(a, b) for a, b in zip(got, expected))  # nothing lost, nothing changed
    assert max(upstream.batches) <= 2 and sum(upstream.batches) == 7
    err = capsys.readouterr().err
    assert "extraction: out of cpu memory on a batch of 7 clips" in err and "retrying it as 3 + 4" in err


def test_one_clip_that_does_not_fit_is_one_clear_error():
    with pytest.raises(UserError, match=r"upstream oom_probe: one 0\.1 s window does not fit in cpu memory; "
                                        r"use a device with more memory"):
        run_upstream(Frames(fits=0), clips(1))


def test_other_upstream_errors_are_not_retried():
    class Broken(Frames):
        def forward(self, wavs, lengths):
            self.batches.append(len(wavs))
            raise RuntimeError("size mismatch")

    upstream = Broken()
    with pytest.raises(UserError, match="size mismatch"):
        run_upstream(upstream, clips(4))
    assert upstream.batches == [4]


# --- featurizer and head: moved to ctx.device, nothing created on a hard-coded device ---------------

META_NO_DATA = "meta tensor"
"""What meta tensors raise where a value is needed (``.item()``, ``.tolist()``): the computation got that far."""


class StopTraining(Exception):
    pass


def frame_source(lengths: list[int], layers: int, dim: int):
    """Cache-like frames on the CPU: ``batch(index) -> ((batch, frames, layers, dim), (batch,))``."""
    data = [torch.randn(n, layers, dim) for n in lengths]

    def batch(index: Tensor):
        feats = [data[i] for i in index.tolist()]
        return torch.nn.utils.rnn.pad_sequence(feats, batch_first=True), torch.tensor([len(f) for f in feats])

    return SimpleNamespace(batch=batch)


def meta_context(task: str, path: str, tmp_path: Path, options: dict | None = None):
    """A :class:`RunContext` of ``task`` as the runner builds it, on ``device="meta"``, with random CPU features."""
    from benchmark.features import SplitFeatures
    from benchmark.problems import RunContext
    from benchmark.tasks import get_task
    from downstreams import HEADS

    spec = get_task(task)
    labels = ["yes", "no"] * 3 if spec.problem == "utterance_classification" else ["a cat", "the dog", "hi"] * 2
    splits = {split: [SimpleNamespace(uid=f"{split}{i}", label=label, path=Path("x.wav"))
                      for i, label in enumerate(labels)] for split in ("train", "dev", "test")}
    lengths = [6, 9, 12, 6, 10, 8]
    features = {split: SplitFeatures(torch.randn(len(labels), 3, 8), torch.tensor(lengths), frame_source(lengths, 3, 8))
                for split in splits}
    config = {**spec.training(True), "steps": 1, "eval_interval": 1, "seed": 0, "featurizer": "weighted_sum",
              "layer_norm": False, "head_args": spec.head_arguments(True), "options": options or spec.options,
              "path": path}
    upstream = SimpleNamespace(num_layers=3, hidden_size=8, downsample_rate=320)
    return RunContext(spec, splits, features, upstream, HEADS.load(spec.head), config, tmp_path / "ckpt.pt",
                      progress=False, device=torch.device("meta"))


def run_on_meta(problem: str, ctx, monkeypatch) -> list[str]:
    """Run ``problem``'s score() on the meta device up to the first value it needs; the devices the featurizer saw.

    A tensor made on the CPU (a hard-coded device) that meets one on ``ctx.device``
    fails with "not on the expected device"; one that stays on the CPU while the
    model is on meta shows up in the devices returned or in the loss.
    """
    import importlib

    module = importlib.import_module(f"benchmark.problems.{problem}")
    seen: list[str] = []

    def fake_train(model, loss_fn, evaluate, batches, settings, *args, **kwargs):
        assert {p.device.type for p in model.parameters()} == {"meta"}
        model.featurizer.register_forward_pre_hook(lambda _, inputs: seen.append(inputs[0].device.type))

        def step():
            loss = loss_fn(torch.from_numpy(np.asarray(batches[0])))
            assert loss.device.type == "meta"
            loss.backward()
            assert {p.grad.device.type for p in model.parameters() if p.grad is not None} == {"meta"}

        for part in (step, evaluate):
            try:
                part()
            except (RuntimeError, NotImplementedError) as err:
                assert META_NO_DATA in str(err), err  # needs a value, not a device mismatch
        raise StopTraining

    monkeypatch.setattr(module, "train", fake_train)
    with pytest.raises(StopTraining):
        module.score(ctx)
    return seen


@pytest.mark.parametrize("path", ["pooled", "frames"])
def test_utterance_classification_runs_on_ctx_device(path, tmp_path, monkeypatch):
    seen = run_on_meta("utterance_classification", meta_context("ks", path, tmp_path), monkeypatch)
    assert seen and set(seen) == {"meta"}


@pytest.mark.parametrize("task", ["pr", "asr"])
def test_ctc_transcription_runs_on_ctx_device(task, tmp_path, monkeypatch):
    def ctc_loss(log_probs, targets, input_lengths, target_lengths, **kwargs):  # no meta kernel in torch
        assert {t.device.type for t in (log_probs, targets, input_lengths, target_lengths)} == {"meta"}
        return log_probs.mean()

    monkeypatch.setattr(torch.nn.functional, "ctc_loss", ctc_loss)
    from benchmark.tasks import get_task

    options = {**get_task(task).options, "specaugment": None}  # SpecAugment reads lengths (no data on meta)
    seen = run_on_meta("ctc_transcription", meta_context(task, "frames", tmp_path, options), monkeypatch)
    assert seen and set(seen) == {"meta"}


def test_upstreams_make_their_tensors_on_the_input_device():
    """fbank runs on meta end to end: every tensor it makes follows its input (shapes as on the CPU)."""
    from upstreams import build_upstream

    upstream = build_upstream("fbank").to("meta")
    wavs, lengths = torch.zeros(2, 8000, device="meta"), torch.tensor([8000, 5000], device="meta")
    try:
        out = upstream(wavs, lengths)
        assert {layer.device.type for layer in out.layers} == {"meta"}
    except (RuntimeError, NotImplementedError) as err:
        assert META_NO_DATA in str(err), err


# --- the CLI: --device cpu is the run it was; extract dtype apart in cache and run id ---------------

def test_device_cpu_is_the_default_run_and_recorded(tiny_sc, tmp_path):
    args = ["run", "--upstream", "fbank_no_cmvn", "--task", "ks", "--data", str(tiny_sc), "--steps", "5",
            "--out", str(tmp_path / "runs"), "--cache-dir", str(tmp_path / "cache"), "--quiet"]
    first = superb(*args, "--device", "cpu")
    result = json.loads(Path(first.stdout.strip().splitlines()[-1].removeprefix("result: ")).read_text())
    assert result["device"]["device"] == "cpu" and result["device"]["name"]
    assert result["device"]["extract_dtype"] == "fp32" and result["device"]["extract_batch_seconds"] == 160
    assert "device" not in result["config"]  # the same run on any device: one run id, one result
    bf16 = superb(*args, "--extract-dtype", "bf16", "--extract-batch-seconds", "5")
    other = json.loads(Path(bf16.stdout.strip().splitlines()[-1].removeprefix("result: ")).read_text())
    assert other["upstream_id"] == result["upstream_id"] + "-bf16" and other["run_id"] != result["run_id"]
    assert other["cache"]["extracted_utterances"] > 0  # its own cache entry: bf16 features differ
    assert other["device"]["extract_batch_seconds"] == 5


# --- on a GPU (skipped here, with the reason) ------------------------------------------------------

@pytest.mark.gpu
def test_cuda_extraction_matches_the_cpu():
    from upstreams import build_upstream

    wavs = clips(6)
    cpu = run_upstream(build_upstream("fbank"), wavs)
    cuda = run_upstream(build_upstream("fbank").to("cuda"), wavs, ExtractionSettings(device="cuda"))
    assert all(c.device.type == "cpu" and torch.allclose(a, c, atol=1e-3, rtol=1e-3) for a, c in zip(cpu, cuda))


@pytest.mark.gpu
def test_a_run_on_cuda_records_the_gpu(tiny_sc, tmp_path):
    proc = superb("run", "--upstream", "fbank_no_cmvn", "--task", "ks", "--data", str(tiny_sc), "--steps", "20",
                  "--no-pooled", "--device", "cuda", "--out", str(tmp_path), "--quiet")
    result = json.loads(Path(proc.stdout.strip().splitlines()[-1].removeprefix("result: ")).read_text())
    assert result["device"]["device"] == "cuda:0" and result["device"]["cudnn_deterministic"] is True
