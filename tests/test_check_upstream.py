"""`superb check-upstream` and `superb submit`: the contract checks pass on good upstreams and name what breaks."""

import json
import textwrap
from pathlib import Path

import pytest

from benchmark.check import check_upstream, failed_checks, format_report
from conftest import superb
from test_user_upstreams import doc_example_file
from tiny_upstreams import single_thread  # noqa: F401 (autouse)
from upstreams import build_upstream

BROKEN = textwrap.dedent('''
    import torch
    from upstreams.base import Upstream, UpstreamOutput


    class Framed(Upstream):
        """Good: 4 raw samples of every 20 ms frame, twice."""

        name, downsample_rate, num_layers, hidden_size = "framed", 320, 2, 4

        def forward(self, wavs, lengths):
            x = 10 * torch.nn.functional.pad(wavs, (0, -wavs.shape[1] % 320)).unfold(1, 320, 320)[..., :4]
            return UpstreamOutput(layers=[x, x.tanh()], lengths=(lengths - 1) // 320 + 1)


    class NaNs(Framed):
        def forward(self, wavs, lengths):
            out = super().forward(wavs, lengths)
            out.layers[1] = out.layers[1].clone()
            out.layers[1][:, 0] = float("nan")
            return out


    class UnequalLayers(Framed):
        def forward(self, wavs, lengths):
            out = super().forward(wavs, lengths)
            out.layers[1] = out.layers[1][:, :-1]
            return out


    class WrongStride(Framed):
        downsample_rate = 160  # declares 10 ms, returns 20 ms frames


    class BatchDependent(Framed):
        def forward(self, wavs, lengths):
            out = super().forward(wavs, lengths)
            return UpstreamOutput([layer - layer.mean() for layer in out.layers], out.lengths)


    class Mutating(Framed):
        def __init__(self):
            super().__init__()
            self.register_buffer("calls", torch.zeros(1))

        def forward(self, wavs, lengths):
            self.calls += 1
            return super().forward(wavs, lengths)
''')


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    path = tmp_path_factory.mktemp("broken") / "broken_upstreams.py"
    path.write_text(BROKEN)
    return path


def test_fbank_and_the_reference_upstream_pass(broken):
    for name in ("fbank", f"{broken}:Framed"):
        results = check_upstream(build_upstream(name))
        assert not failed_checks(results), format_report(name, results)
        assert [r.name for r in results] == ["declaration", "layers", "finite", "stride", "determinism",
                                             "batch_independence", "frozen", "speed"]
        assert "per second of audio" in results[-1].detail and results[-1].status == "info"


@pytest.mark.parametrize("cls,check", [("NaNs", "finite"), ("UnequalLayers", "layers"), ("WrongStride", "stride"),
                                       ("BatchDependent", "batch_independence"), ("Mutating", "frozen")])
def test_a_broken_upstream_fails_the_named_check(broken, cls, check):
    results = check_upstream(build_upstream(f"{broken}:{cls}"), quick=True)
    assert failed_checks(results) == [check], format_report(cls, results)


def test_cli_report_and_exit_status(broken, tmp_path):
    good = superb("check-upstream", "fbank", "--quick")
    assert "PASS  stride" in good.stdout and good.stdout.strip().endswith("passed: all 7 checks")
    bad = superb("check-upstream", f"{broken}:NaNs", "--quick", check=False)
    assert bad.returncode == 2 and "FAIL  finite" in bad.stdout and "FAILED: finite" in bad.stdout
    assert bad.stderr.strip().splitlines() == [f"superb: error: check-upstream {broken}:NaNs: failed finite"]


def test_submit_checks_runs_every_task_and_resumes(tiny_sc, tmp_path):
    example = doc_example_file(tmp_path)
    args = ["submit", f"{example}:FramedEnergy", "--tasks", "ks", "--data", f"ks={tiny_sc}", "--steps", "5",
            "--lr", "1e-3", "--seed", "2", "--out", str(tmp_path / "runs"), "--quiet"]
    first = superb(*args)
    assert "passed: all 7 checks" in first.stdout and "ks: test accuracy" in first.stdout
    assert "task 1/1: ks" in first.stderr
    result = json.loads(Path(first.stdout.split("[done] ")[1].split()[0]).read_text())
    assert result["config"]["lr"] == 1e-3 and result["config"]["seed"] == 2
    assert "[done]" in first.stdout and any(line.endswith(".md") for line in first.stdout.splitlines())
    again = superb(*args)
    assert "[already done]" in again.stdout
    broken = superb("submit", f"{example}:FramedEnergy", "--tasks", "kss", check=False)
    assert broken.returncode == 2 and "Did you mean: ks" in broken.stderr


def test_a_failed_run_names_the_upstream_as_typed(broken, tiny_sc, tmp_path):
    spec = f"{broken}:NaNs"
    proc = superb("run", "--upstream", spec, "--task", "ks", "--data", str(tiny_sc), "--steps", "2",
                  "--out", str(tmp_path / "runs"), "--quiet", check=False)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert "returned NaN or Inf" in lines[0] and f"(run `superb check-upstream {spec}`)" in lines[0]
