"""The CLI end to end on a tiny synthetic corpus, and its one-line errors."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import REPO, superb


def result_of(proc) -> dict:
    path = proc.stdout.strip().splitlines()[-1].removeprefix("result: ")
    return json.loads(open(path).read())


def test_run_writes_a_complete_result_and_reuses_it(tiny_sc, tmp_path):
    args = ["run", "--upstream", "fbank_no_cmvn", "--task", "ks", "--data", str(tiny_sc), "--steps", "40",
            "--out", str(tmp_path / "runs"), "--cache-dir", str(tmp_path / "cache"), "--quiet"]  # an empty cache
    first = superb(*args)
    result = result_of(first)
    assert result["upstream"] == "fbank_no_cmvn" and result["task"] == "ks"
    assert set(result["metrics"]) == {"dev", "test"} and 0 <= result["metrics"]["test"]["accuracy"] <= 1
    assert result["layer_weights"] == [1.0]
    assert result["config"]["steps"] == 40 and result["config"]["lr"] == 1e-3  # the synthetic lr
    assert result["config"]["featurizer"] == "weighted_sum" and result["config"]["path"] == "pooled"
    assert result["corpus"]["synthetic"] is True and len(result["corpus"]["content_hash"]) == 20
    assert result["corpus"]["gain_db"] == -3.0  # KS clips are 3 dB down, as s3prl's sox `gain -3.0`
    assert set(result["timing"]) == {"extraction_s", "training_s", "evaluation_s"}
    assert result["provenance"]["packages"]["torch"].startswith("2.9.1")
    assert result["cache"]["extracted_utterances"] > 0 and result["cache"]["size_bytes"] > 0
    assert result["departures"]
    again = superb(*args)
    assert "already done" in again.stdout
    forced = result_of(superb(*args, "--force"))
    assert forced["cache"]["extracted_utterances"] == 0  # no upstream forward pass
    assert forced["metrics"] == result["metrics"]  # fixed seed, same result


def test_fbank_with_cmvn_scores_chance(tiny_sc, tmp_path):
    result = result_of(superb("run", "--upstream", "fbank", "--task", "ks", "--data", str(tiny_sc), "--steps", "60",
                              "--lr", "1e-2", "--out", str(tmp_path), "--quiet"))
    # every clip pools to the same vector, so one class is predicted for all clips: the accuracy is the
    # share of that class in test (1/12 on a balanced test set)
    from collections import Counter

    from benchmark.corpora.loaders.speech_commands import load_speech_commands

    test = load_speech_commands(tiny_sc)["test"]
    shares = [count / len(test) for count in Counter(u.label for u in test).values()]
    assert any(result["metrics"]["test"]["accuracy"] == pytest.approx(share) for share in shares)


def test_frame_path_and_leaderboard(tiny_sc, tmp_path):
    runs = tmp_path / "runs"
    result = result_of(superb("run", "--upstream", "fbank_no_cmvn", "--task", "ks", "--data", str(tiny_sc),
                              "--steps", "20", "--no-pooled", "--featurizer", "last", "--out", str(runs), "--quiet"))
    assert result["config"]["path"] == "frames"
    board = superb("leaderboard", "--runs", str(runs), "--out", str(tmp_path / "board"))
    written = board.stdout.split()
    assert any(p.endswith(".md") for p in written) and any(p.endswith(".html") for p in written)
    assert r"fbank\_no\_cmvn" in open(next(p for p in written if p.endswith(".md"))).read()


def test_killed_run_resumes_to_the_same_result(tiny_sc, tmp_path):
    common = ["--upstream", "fbank_no_cmvn", "--task", "ks", "--data", str(tiny_sc), "--steps", "6000", "--quiet"]
    killed_out = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "benchmark.cli", "run", *common, "--out", str(killed_out)],
                            cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while not list(killed_out.rglob("checkpoint.pt")) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert list(killed_out.rglob("checkpoint.pt")), "the run never wrote a checkpoint"
    assert not list(killed_out.rglob("result.json"))
    resumed = result_of(superb("run", *common, "--out", str(killed_out)))
    assert resumed["training"]["resumed_from_step"] > 0
    straight = result_of(superb("run", *common, "--out", str(tmp_path / "straight")))
    assert straight["training"]["resumed_from_step"] == 0
    assert resumed["metrics"] == straight["metrics"] and resumed["layer_weights"] == straight["layer_weights"]


def test_list_and_help_import_no_torch():
    code = ("import sys; from benchmark.cli import main; main(['list']); "
            "assert 'torch' not in sys.modules, 'torch imported'")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    assert "fbank_no_cmvn" in proc.stdout and "ks" in proc.stdout


@pytest.mark.parametrize("args,expected", [
    (["--data", "/nonexistent/corpus"], "/nonexistent/corpus"),
    (["--steps", "0"], "--steps 0"),
    (["--lr", "nan"], "--lr nan"),
    (["--lr", "-1"], "--lr -1"),
    (["--featurizer", "layer:3"], "layer:3"),
])
def test_bad_input_is_one_clear_line(tiny_sc, tmp_path, args, expected):
    base = {"--data": str(tiny_sc)}
    for flag, value in zip(args[::2], args[1::2]):
        base[flag] = value
    flat = [x for kv in base.items() for x in kv]
    proc = superb("run", "--upstream", "fbank", "--task", "ks", *flat, "--out", str(tmp_path), check=False)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("superb: error:") and expected in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def test_unknown_names_suggest_the_closest(tiny_sc):
    proc = superb("run", "--upstream", "fbank_no_cmv", "--task", "ks", check=False)
    assert proc.returncode == 2 and "Did you mean: fbank_no_cmvn" in proc.stderr
    proc = superb("run", "--upstream", "fbank", "--task", "kss", check=False)
    assert proc.returncode == 2 and "Did you mean: ks" in proc.stderr


def test_wrong_layout_and_corrupt_audio(tiny_sc, tmp_path):
    other = tmp_path / "LibriSpeech"
    (other / "train-clean-100" / "19" / "198").mkdir(parents=True)
    proc = superb("run", "--upstream", "fbank", "--task", "ks", "--data", str(other), check=False)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1 and str(other) in proc.stderr
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(tiny_sc, broken)
    victim = sorted((broken / "yes").glob("*.wav"))[0]
    victim.write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt garbage")
    proc = superb("run", "--upstream", "fbank", "--task", "ks", "--data", str(broken), "--out", str(tmp_path / "o"),
                  "--quiet", check=False)
    assert proc.returncode == 2 and victim.name in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_debug_shows_the_traceback():
    proc = superb("--debug", "run", "--upstream", "nope", "--task", "ks", check=False)
    assert proc.returncode != 0 and "Traceback" in proc.stderr


def test_cache_info_and_clear(tiny_sc, tmp_path):
    cache = tmp_path / "cache"
    superb("run", "--upstream", "fbank_no_cmvn", "--task", "ks", "--data", str(tiny_sc), "--steps", "5",
           "--out", str(tmp_path / "runs"), "--cache-dir", str(cache), "--quiet")
    info = superb("cache", "info", "--cache-dir", str(cache)).stdout
    assert "fbank_no_cmvn-" in info and " utterances " in info and "MB" in info
    cleared = superb("cache", "clear", "--cache-dir", str(cache)).stdout
    assert "removed 1 upstream caches" in cleared
    assert not (cache / "v1" / "file-hashes.json").exists()  # remembered audio hashes go too
    assert "fbank_no_cmvn-" not in superb("cache", "info", "--cache-dir", str(cache)).stdout


@pytest.mark.parametrize("args, expected", [
    (["--upstream", "fbank_no_cmvn_typo", "--task", "ks"], "unknown upstream 'fbank_no_cmvn_typo'. Did you mean: fbank_no_cmvn?"),
    (["--upstream", "fbank", "--task", "KS"], "unknown task 'KS'. Did you mean: ks?"),
    (["--upstream", "fbank", "--task", "ks", "--featurizer", "lastt"], "--featurizer 'lastt' is not one of"),
    (["--upstream", "whisper_encoder", "--upstream-size", "tiny", "--upstream-option", "sise=1", "--task", "ks"],
     "upstream whisper_encoder: does not take option sise. Did you mean: size? It takes size, ckpt"),
])
def test_bad_run_options_are_refused_before_torch_is_imported(args, expected):
    code = ("import sys; from benchmark.cli import main; rc = main(['run', *sys.argv[1:]]); "
            "assert rc == 2, rc; assert 'torch' not in sys.modules, 'torch imported'")
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=REPO,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], lines


def test_a_text_file_as_checkpoint_is_not_a_checkpoint(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello\n")
    proc = superb("check-upstream", "whisper_encoder", "--upstream-size", "tiny", "--upstream-ckpt", str(text),
                  check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        f"superb: error: whisper_encoder notes: {text} is not a checkpoint (neither a torch.save file nor a pickle); "
        f"check --upstream-ckpt"]
