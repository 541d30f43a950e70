"""``superb sweep`` and ``superb profile``: jobs, lr choice on dev, reuse, executors, retries, the picture."""

from __future__ import annotations

import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmark.errors import UserError
from benchmark.executors import LocalExecutor, RayExecutor
from benchmark.sweep import Job, JobOutcome, SweepRequest, plan, run_sweep, summarise
from tests.conftest import REPO, superb
from tests.tiny_upstreams import save_tiny_whisper, single_thread  # noqa: F401 - fixture

STEPS = 30


def sweep_request(tiny_sc: Path, out: Path, seeds=(0, 1), lrs=(1e-3, 1e-2)) -> SweepRequest:
    return SweepRequest(upstreams=("fbank_no_cmvn",), tasks=("ks",), lrs=lrs, seeds=seeds, steps=STEPS,
                        data={"ks": tiny_sc}, out=out)


def test_sweep_chooses_lr_on_dev_reports_test_mean_sd_and_reruns_nothing(tiny_sc, tmp_path):
    lines: list[str] = []
    summary = run_sweep(sweep_request(tiny_sc, tmp_path), LocalExecutor(1), progress=False, write=lines.append)
    results = [json.loads(p.read_text()) for p in tmp_path.glob("*/ks/*/result.json")]
    assert len(results) == 4 and {(r["config"]["lr"], r["config"]["seed"]) for r in results} == {
        (1e-3, 0), (1e-3, 1), (1e-2, 0), (1e-2, 1)}
    (entry,) = summary["entries"]
    dev = {lr: statistics.mean(r["metrics"]["dev"]["accuracy"] for r in results if r["config"]["lr"] == lr)
           for lr in (1e-3, 1e-2)}
    chosen = max(dev, key=dev.get)
    test = [r["metrics"]["test"]["accuracy"] for r in results if r["config"]["lr"] == chosen]
    assert entry["chosen_lr"] == chosen and entry["on_grid_edge"]
    assert entry["test_mean"] == pytest.approx(statistics.mean(test))
    assert entry["test_sd"] == pytest.approx(statistics.stdev(test)) and entry["n"] == 2
    assert (tmp_path / "sweeps" / f"{summary['sweep_id']}.json").is_file()
    assert (tmp_path / "leaderboard" / "leaderboard.md").is_file()
    assert any("[train 4/4]" in line for line in lines)

    again: list[str] = []
    assert run_sweep(sweep_request(tiny_sc, tmp_path), LocalExecutor(1), progress=False,
                     write=again.append)["entries"] == summary["entries"]
    assert sum("already done" in line for line in again) == 4

    listed: list[str] = []
    run_sweep(sweep_request(tiny_sc, tmp_path, seeds=(0, 1, 2)), LocalExecutor(1), dry_run=True, progress=False,
              write=listed.append)
    assert sum(line.startswith("done") for line in listed) == 4
    assert sum(line.startswith("to run") for line in listed) == 2
    assert len(list(tmp_path.glob("*/ks/*/result.json"))) == 4  # the dry run ran nothing


def test_worker_processes_and_ray_give_the_numbers_of_one_process(tiny_sc, tmp_path):
    def scores(out: Path, executor) -> dict:
        summary = run_sweep(sweep_request(tiny_sc, out, seeds=(0,)), executor, progress=False, write=lambda _: None)
        return {lr: stats["test_mean"] for lr, stats in summary["entries"][0]["per_lr"].items()}

    inline = scores(tmp_path / "inline", LocalExecutor(1, threads=1))
    assert scores(tmp_path / "processes", LocalExecutor(2)) == inline
    assert scores(tmp_path / "ray", RayExecutor(workers=2)) == inline


def test_a_crashing_job_is_retried_then_reported_and_the_others_finish(monkeypatch):
    calls: dict[str, int] = {}

    def flaky(job: Job) -> JobOutcome:
        calls[job.label] = calls.get(job.label, 0) + 1
        if job.label == "always" or (job.label == "once" and calls[job.label] == 1):
            raise RuntimeError("worker lost")
        return JobOutcome(job.label)

    monkeypatch.setattr("benchmark.executors.execute_job", flaky)
    seen = {}
    LocalExecutor(1, retries=2).run([Job("train", (), name) for name in ("always", "once", "fine")],
                                    lambda job, outcome: seen.update({job.label: outcome}))
    assert calls == {"always": 3, "once": 2, "fine": 1}
    assert seen["always"].error == "crashed: RuntimeError: worker lost" and seen["always"].attempts == 3
    assert seen["once"].error is None and seen["once"].attempts == 2 and seen["fine"].error is None


def test_synthetic_root_is_where_generate_puts_each_corpus(tmp_path, monkeypatch):
    from benchmark.corpora import CORPUS_FORMATS

    monkeypatch.setenv("SUPERB_DATA_DIR", str(tmp_path))
    monkeypatch.setattr("benchmark.corpora.synthetic.synthesis.ensure_generated", lambda root, *a, **k: root)
    for name, fmt in CORPUS_FORMATS.items():
        assert fmt.synthetic_root() == fmt.generate(progress=False), name
    assert not any(tmp_path.iterdir())


def test_missing_synthetic_corpora_become_jobs_and_a_dry_run_generates_none(tmp_path, monkeypatch):
    monkeypatch.setenv("SUPERB_DATA_DIR", str(tmp_path / "data"))
    sweep = SweepRequest(upstreams=("fbank_no_cmvn",), tasks=("ks", "sid", "asv"), lrs="task", out=tmp_path / "out")
    corpora = plan(sweep, threads=1).corpora
    assert sorted(job.label for job in corpora) == ["corpus speech_commands_v0.01-3000-s0",
                                                    "corpus voxceleb1-48-s0"]  # SID and ASV share one
    assert all(job.kind == "corpus" for job in corpora)
    lines: list[str] = []
    run_sweep(sweep, LocalExecutor(2), dry_run=True, progress=False, write=lines.append)
    assert [line.split()[0] for line in lines[:-1]] == ["to", "to", "to"] and "after 2 corpus job(s)" in lines[-1]
    assert not (tmp_path / "data").exists()


def _children(pid: int) -> set[int]:
    """Pids whose parent is ``pid`` (from /proc)."""
    kids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                kids.add(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return kids


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process parents from /proc")
def test_an_interrupted_sweep_stops_its_workers_and_a_rerun_finishes(tiny_sc, tmp_path):
    args = ["sweep", "--upstreams", "fbank_no_cmvn", "--tasks", "ks", "--data", f"ks={tiny_sc}", "--lrs", "1e-3,1e-2",
            "--steps", "10000", "--jobs", "2", "--out", str(tmp_path), "--quiet"]  # ~10 s a job on a quiet machine
    # Ctrl-C as at a terminal: a test run in the background (CI) inherits SIGINT ignored, so restore it.
    driver = subprocess.Popen([sys.executable, "-m", "benchmark.cli", *args], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
                              preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        for line in driver.stdout:  # the training jobs go to the two workers right after extraction
            if line.startswith("[extract 1/1]"):
                break
        time.sleep(0.3)  # the jobs have started; well before they could end (a 2,000-step job ended first in CI)
        workers = _children(driver.pid)
        assert len(workers) >= 2
        driver.send_signal(signal.SIGINT)
        _, stderr = driver.communicate(timeout=30)
    finally:
        driver.kill()
    assert driver.returncode == 130
    (message,) = stderr.strip().splitlines()
    assert "finished and kept:" in message and "rerun the same command to resume" in message
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if _alive(pid)]

    superb(*args)  # the rerun resumes and finishes
    results = [json.loads(p.read_text()) for p in tmp_path.glob("*/ks/*/result.json")]
    assert sorted(r["config"]["lr"] for r in results) == [1e-3, 1e-2]


def _result(lr, seed, dev, test, higher=True, task="asr", metric="wer"):
    return {"upstream": "u", "upstream_id": "u-1", "task": task, "config": {"lr": lr, "seed": seed,
            "featurizer": "weighted_sum"}, "main_metric": {"name": metric, "higher_is_better": higher},
            "metrics": {"dev": {metric: dev}, "test": {metric: test}}}


def test_summary_picks_the_best_dev_mean_in_the_metric_direction():
    runs = [_result(1e-3, 0, 0.30, 0.31, False), _result(1e-3, 1, 0.40, 0.41, False),  # dev mean 0.35
            _result(1e-2, 0, 0.33, 0.50, False), _result(1e-2, 1, 0.35, 0.52, False),  # dev mean 0.34: chosen
            _result(1e-1, 0, 0.90, 0.90, False)]
    (entry,) = summarise(runs, {"asr": [1e-3, 1e-2, 1e-1]})["entries"]
    assert entry["chosen_lr"] == 1e-2 and not entry["on_grid_edge"]
    assert entry["test_mean"] == pytest.approx(0.51) and entry["test_sd"] == pytest.approx(statistics.stdev([0.5, 0.52]))
    assert entry["per_lr"]["0.1"]["test_sd"] is None and entry["per_lr"]["0.1"]["n"] == 1


def test_summary_and_leaderboard_choose_the_same_lr(tmp_path):
    """Ties in dev (mean over seeds), unequal seed counts, both metric directions: one choice in both places."""
    import random

    from leaderboard import build_tables, load_runs
    from tests.test_leaderboard import write_result

    rng = random.Random(0)
    results = []
    for i in range(12):
        for task, metric, higher in (("ks", "accuracy", True), ("asr", "wer", False)):
            for lr in (1e-3, 1e-2, 1e-1):
                for seed in range(rng.choice((1, 2))):
                    path = write_result(tmp_path, f"u{i}", task, {metric: rng.random()}, seed=seed, lr=lr,
                                        dev={metric: rng.choice((0.2, 0.3, 0.4))})
                    result = json.loads(path.read_text())
                    result["main_metric"]["higher_is_better"] = higher
                    path.write_text(json.dumps(result))
                    results.append(result)
    summary = {(e["upstream"], e["task"]): e["chosen_lr"]
               for e in summarise(results, {"ks": [1e-3, 1e-2, 1e-1], "asr": [1e-3, 1e-2, 1e-1]})["entries"]}
    (table,) = build_tables(load_runs(tmp_path))
    shown = {(table.rows.at[rid, "upstream"], cell["task"]): cell["lr"] for (rid, _), cell in table.cells.iterrows()}
    assert shown == pytest.approx(summary) and len(summary) == 24


def test_profile_trains_each_layer_and_draws_one_picture(tiny_sc, tmp_path):
    ckpt = save_tiny_whisper(tmp_path / "tiny.pt")
    superb("profile", "--upstream", "whisper_encoder", "--upstream-size", "tiny", "--upstream-ckpt", str(ckpt),
           "--task", "ks", "--data", str(tiny_sc), "--steps", str(STEPS), "--out", str(tmp_path / "out"), "--quiet")
    (profile,) = (tmp_path / "out" / "profiles").glob("*/ks/profile.json")
    data = json.loads(profile.read_text())
    assert sorted(data["per_layer"]) == ["0", "1", "2"]  # the conv stem output and two blocks
    assert len(data["layer_weights"]) == 3 and data["weighted_sum"]["test"] >= 0
    assert (profile.parent / "profile.png").stat().st_size > 10_000
    layer_runs = [json.loads(p.read_text()) for p in (tmp_path / "out" / "profiles").glob("*/ks/*/result.json")]
    assert sorted(r["config"]["featurizer"] for r in layer_runs) == ["layer:0", "layer:1", "layer:2"]
    (whole,) = [json.loads(p.read_text()) for p in (tmp_path / "out").glob("*/ks/*/result.json")]
    assert whole["config"]["featurizer"] == "weighted_sum"  # the one leaderboard row

    superb("leaderboard", "--runs", str(tmp_path / "out"))
    html = (tmp_path / "out" / "leaderboard" / "leaderboard.html").read_text()
    assert "KS profile" in html
    (copied,) = (tmp_path / "out" / "leaderboard" / "layers").glob("*/*/profile-ks.png")
    assert copied.read_bytes() == (profile.parent / "profile.png").read_bytes()
    from leaderboard import load_runs
    assert list(load_runs(tmp_path / "out")["featurizer"]) == ["weighted_sum"]  # layer runs are not rows


@pytest.mark.parametrize("args, message", [
    (["--lrs", "1e-3,fast"], "--lrs '1e-3,fast': expected comma-separated floats"),
    (["--seeds", "0,x"], "--seeds '0,x': expected comma-separated ints"),
    (["--tasks", "KS"], "unknown task 'KS'"),
    (["--data", "nope=/x"], "--data 'nope=/x': expected TASK=PATH"),
])
def test_sweep_refuses_bad_options_in_one_line(args, message):
    proc = superb("sweep", "--upstreams", "fbank", *args, check=False)
    assert proc.returncode == 2 and message in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_lr_grid_is_validated(tmp_path):
    from benchmark.tasks import load_tasks, tasks_file

    text = re.sub(r"(?m)^  lr_grid: .*$", "  lr_grid: [1.0e-3, -1]", tasks_file().read_text(), count=1)  # ks
    (tmp_path / "tasks.yaml").write_text(text)
    with pytest.raises(UserError, match=r"ks.lr_grid must be a non-empty list of positive learning rates"):
        load_tasks(tmp_path / "tasks.yaml")
