"""Bad input and faults: one clear line, or a correct recovery; nothing half-written is trusted.

One test (or more) per row of docs/reliability.md.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys

import numpy as np
import pytest
import soundfile
import torch

from benchmark.errors import UserError
from benchmark.features import run_upstream
from conftest import REPO, superb
from upstreams.base import Upstream, UpstreamOutput


def one_line_error(proc, *expected):
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("superb: error:"), proc.stderr
    assert "Traceback" not in proc.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def ks(corpus, out, *extra, check=False):
    return superb("run", "--upstream", "fbank_no_cmvn", "--task", "ks", "--data", str(corpus), "--steps", "10",
                  "--out", str(out), "--quiet", *extra, check=check)


def result_of(proc) -> dict:
    return json.loads(open(proc.stdout.strip().splitlines()[-1].removeprefix("result: ")).read())


@pytest.fixture
def corpus(tiny_sc, tmp_path):
    """A private copy of the tiny corpus to damage."""
    return shutil.copytree(tiny_sc, tmp_path / "corpus")


def first_clip(corpus, word="yes"):
    return sorted((corpus / word).glob("*.wav"))[0]


# 1. corrupt audio
@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_corrupt_audio(corpus, tmp_path, damage):
    clip = first_clip(corpus)
    data = clip.read_bytes()
    clip.write_bytes(os.urandom(300) if damage == "garbage" else data[:30])
    one_line_error(ks(corpus, tmp_path / "out"), str(clip), "cannot be read as audio")


# 2. empty audio; audio shorter than the receptive field
def test_empty_audio(corpus, tmp_path):
    clip = first_clip(corpus)
    soundfile.write(clip, np.zeros(0, dtype=np.float32), 16000)
    one_line_error(ks(corpus, tmp_path / "out"), str(clip), "0 samples")


class Receptive(Upstream):
    """Needs 400 samples, like a 25 ms window; records the shortest input it saw."""

    name, downsample_rate, num_layers, hidden_size, min_samples = "receptive", 160, 1, 2, 400

    def forward(self, wavs, lengths):
        assert int(lengths.min()) >= 400
        self.shortest = int(lengths.min())
        frames = int(self.expected_frames(lengths).max())
        return UpstreamOutput([torch.ones(len(wavs), frames, 2)], self.expected_frames(lengths))


def test_clip_shorter_than_the_receptive_field_is_padded():
    upstream = Receptive()
    [feats] = run_upstream(upstream, [np.ones(10, dtype=np.float32)])
    assert upstream.shortest == 400 and feats.shape == (3, 1, 2)


# 3. stereo and other rates: converted and counted, or refused with --strict-audio
def test_stereo_and_other_rates_are_converted_and_counted(corpus, tmp_path):
    for clip, rate in zip(sorted((corpus / "no").glob("*.wav"))[:3], (8000, 22050, 44100)):
        wav, _ = soundfile.read(clip, dtype="float32")
        resampled = np.interp(np.arange(int(len(wav) * rate / 16000)) * 16000 / rate, np.arange(len(wav)), wav)
        soundfile.write(clip, np.stack([resampled, resampled * 0.5], axis=1), rate)
    result = result_of(ks(corpus, tmp_path / "out", check=True))
    assert result["audio"]["downmixed_to_mono"] == 3
    assert result["audio"]["resampled_from_hz"] == {"8000": 1, "22050": 1, "44100": 1}
    proc = ks(corpus, tmp_path / "strict", "--strict-audio", "--cache-dir", str(tmp_path / "c2"))
    one_line_error(proc, "channels", "--strict-audio")


# 4. corpus path missing, a file, another corpus's layout
def test_corpus_path_is_a_file_or_missing(tmp_path):
    archive = tmp_path / "speech_commands_v0.01.tar.gz"
    archive.write_bytes(b"\x1f\x8b")
    one_line_error(ks(archive, tmp_path / "out"), str(archive))
    one_line_error(ks(tmp_path / "nowhere", tmp_path / "out"), str(tmp_path / "nowhere"))


def test_another_corpus_layout_says_what_was_expected(tmp_path):
    libri = tmp_path / "LibriSpeech"
    (libri / "dev-clean" / "84" / "121123").mkdir(parents=True)
    line = one_line_error(ks(libri, tmp_path / "out"), str(libri))
    assert "validation_list.txt" in line or "expected" in line


# 5. a list naming missing audio; an empty split
def test_list_naming_missing_audio(corpus, tmp_path):
    listed = (corpus / "testing_list.txt").read_text().split()[0]
    (corpus / listed).unlink()
    one_line_error(ks(corpus, tmp_path / "out"), "testing_list.txt", listed)


def test_empty_split(corpus, tmp_path):
    for listed in (corpus / "validation_list.txt").read_text().split():
        (corpus / listed).unlink()
    (corpus / "validation_list.txt").write_text("")
    line = one_line_error(ks(corpus, tmp_path / "out"))
    assert "dev" in line or "validation" in line


# 8. user upstreams that break the contract are refused before training
class Broken(Upstream):
    name, downsample_rate, num_layers, hidden_size = "broken", 160, 2, 4

    def __init__(self, fault):
        super().__init__()
        self.fault = fault

    def forward(self, wavs, lengths):
        if self.fault == "raises":
            raise RuntimeError("size mismatch in my layer")
        frames = self.expected_frames(lengths)
        if self.fault == "stride":
            frames = frames * 2
        t = int(frames.max())
        layers = [torch.zeros(len(wavs), t, 4), torch.zeros(len(wavs), t, 3 if self.fault == "shapes" else 4)]
        if self.fault == "nan":
            layers[1][0, 0, 0] = float("nan")
        return UpstreamOutput(layers, frames)


@pytest.mark.parametrize("fault,expected", [("shapes", "differ in shape"), ("nan", "NaN"),
                                            ("stride", "downsample_rate=160"), ("raises", "size mismatch")])
def test_broken_upstream_is_named(fault, expected):
    with pytest.raises(UserError, match=expected) as err:
        run_upstream(Broken(fault), [np.zeros(1600, dtype=np.float32)])
    assert "upstream broken" in str(err.value) and "\n" not in str(err.value)


# 9. checkpoints that need pickle are refused and never executed
class Payload:
    def __reduce__(self):
        return (os.system, (f"touch {os.environ['SUPERB_PWNED']}",))


def test_pickle_checkpoint_is_refused_unexecuted(tmp_path, monkeypatch):
    from benchmark.checkpoints import load_weights

    marker = tmp_path / "pwned"
    monkeypatch.setenv("SUPERB_PWNED", str(marker))
    path = tmp_path / "evil.pt"
    torch.save({"model": Payload()}, path)
    with pytest.raises(UserError, match="needs pickle") as err:
        load_weights(path)
    assert "weights_only" in str(err.value) and not marker.exists()


def test_pickle_training_checkpoint_is_refused_by_run(tiny_sc, tmp_path, monkeypatch):
    out = tmp_path / "out"
    result = result_of(ks(tiny_sc, out, check=True))
    run_dir = next(out.rglob("result.json")).parent
    (run_dir / "result.json").unlink()
    monkeypatch.setenv("SUPERB_PWNED", str(tmp_path / "pwned"))
    torch.save({"step": Payload()}, run_dir / "checkpoint.pt")
    one_line_error(ks(tiny_sc, out), "checkpoint.pt", "needs pickle")
    assert not (tmp_path / "pwned").exists() and result


# 12. a kill during result writing leaves a temporary that is never read
def test_partial_result_is_not_read(tiny_sc, tmp_path):
    out = tmp_path / "out"
    first = result_of(ks(tiny_sc, out, check=True))
    result = next(out.rglob("result.json"))
    partial = result.with_name(f".result.json.tmp-{12345}")
    partial.write_text(result.read_text()[:50])
    result.unlink()
    again = result_of(ks(tiny_sc, out, check=True))
    assert again["metrics"] == first["metrics"]
    from leaderboard.load import load_runs  # the leaderboard reads only result.json

    assert len(load_runs(out)) == 1


# 14. two runs on the same results folder and cache at once
def test_concurrent_runs_share_results_and_cache(tiny_sc, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO), "SUPERB_CACHE_DIR": str(tmp_path / "cache")}
    procs = [subprocess.Popen([sys.executable, "-m", "benchmark.cli", "run", "--upstream", "fbank_no_cmvn",
                               "--task", "ks", "--data", str(tiny_sc), "--steps", "20", "--seed", str(seed),
                               "--out", str(tmp_path / "out"), "--quiet"], cwd=REPO, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for seed in (1, 2)]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    results = [json.loads(p.read_text()) for p in (tmp_path / "out").rglob("result.json")]
    assert sorted(r["config"]["seed"] for r in results) == [1, 2]
    assert sum(r["cache"]["extracted_utterances"] for r in results) == results[0]["corpus"]["sizes"]["train"] + \
        results[0]["corpus"]["sizes"]["dev"] + results[0]["corpus"]["sizes"]["test"]
    board = superb("leaderboard", "--runs", str(tmp_path / "out"), "--out", str(tmp_path / "board"))
    assert "(n=2)" in (tmp_path / "board" / "leaderboard.md").read_text(), board.stdout


# 15. disk full while writing the cache: clear error, nothing half-written, resumes once space is back
def test_disk_full_then_resume(tiny_sc, tmp_path):
    def small_disk():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG
        resource.setrlimit(resource.RLIMIT_FSIZE, (2 << 20, 2 << 20))

    cache = tmp_path / "cache"
    args = [sys.executable, "-m", "benchmark.cli", "run", "--upstream", "fbank_no_cmvn", "--task", "ks",
            "--data", str(tiny_sc), "--steps", "10", "--out", str(tmp_path / "out"), "--quiet"]
    env = {**os.environ, "PYTHONPATH": str(REPO), "SUPERB_CACHE_DIR": str(cache)}
    proc = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, preexec_fn=small_disk)
    one_line_error(proc, "cannot write the feature cache", "--cache-dir")
    assert not list(cache.rglob("shard-*")) and not list(cache.rglob(".tmp-*"))
    assert not list((tmp_path / "out").rglob("result.json"))
    done = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# 16. very long audio is processed in windows within the memory budget
class Windowed(Upstream):
    name, downsample_rate, num_layers, hidden_size, max_samples = "windowed", 320, 1, 1, 16000 * 30

    def forward(self, wavs, lengths):
        assert wavs.shape[1] <= self.max_samples
        frames = self.expected_frames(lengths)
        t = torch.arange(int(frames.max()), dtype=torch.float32)
        return UpstreamOutput([t[None, :, None].expand(len(wavs), -1, 1).clone()], frames)


def test_ten_minute_clip_is_windowed():
    wav = np.zeros(16000 * 600, dtype=np.float32)
    [feats] = run_upstream(Windowed(), [wav])
    assert feats.shape == (30000, 1, 1)  # 600 s at 20 ms, in 20 windows of 1,500 frames
    assert feats[1500, 0, 0] == 0 and feats[1499, 0, 0] == 1499


def test_ten_minute_file_through_fbank(tmp_path):
    from benchmark.corpora.base import Utterance
    from benchmark.features import hash_utterances, load_features
    from benchmark.cache import FeatureCache
    from upstreams.fbank import FbankNoCmvn

    path = tmp_path / "long.flac"
    soundfile.write(path, (np.random.default_rng(0).standard_normal(16000 * 600) * 0.05).astype(np.float32), 16000)
    utts = [Utterance("long", path, "x")]
    upstream = FbankNoCmvn()
    feats = load_features(upstream, FeatureCache(tmp_path / "cache", upstream.identity()), {"train": utts},
                          {"train": hash_utterances(utts, progress=False)}, need_frames=False,
                          cache_frames=False, progress=False)
    assert feats["train"].lengths.tolist() == [60000]
