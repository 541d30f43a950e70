"""Keyword spotting speed: whole `superb run` processes against the floor of the same work.

On a 3,000-clip Speech Commands tree (the synthetic generator at that size, or --data),
2,000 steps x batch 32 with fbank_no_cmvn, it times the whole `superb run` process
cold (empty feature cache), warm (cache filled) and on the frame path (warm,
--no-pooled), with each process's peak RSS, and measures the floor rows in the same run:
reading the wavs, fbank + deltas once per clip, 2,000 Adam steps on frames in memory,
2,000 on per-utterance means, and importing torch. Prints seconds and ratios to the floor.

    python benchmarks/ks_speed.py [--data PATH] [--steps 2000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


RUN_FLOORS = {  # the floor parts the same work needs, and issue 10's target (seconds)
    "cold (empty cache)": (("import", "read", "fbank", "pooled"), 8),
    "warm (cache filled)": (("import", "pooled"), 4),
    "frame path, warm (--no-pooled)": (("import", "frames"), 12),
}


def timed_process(args: list[str], env: dict) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one child process."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=err, cwd=REPO)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(args)} failed:\n{err.read().decode()}")
    return seconds, usage.ru_maxrss / 1024


def floor_rows(root: Path, steps: int, batch: int) -> dict[str, tuple[str, float]]:
    """Each floor part's label and seconds, by key: import, read, fbank, frames, pooled."""
    import numpy as np
    import soundfile
    import torch

    from torchaudio.compliance import kaldi
    from torchaudio.functional import compute_deltas

    from benchmark.corpora.loaders.speech_commands import load_speech_commands

    def fbank_deltas(wav):
        mel = kaldi.fbank(torch.from_numpy(wav)[None], num_mel_bins=80, snip_edges=False)
        d1 = compute_deltas(mel.T, win_length=5)
        return torch.cat([mel, d1.T, compute_deltas(d1, win_length=5).T], dim=-1)

    rows: dict[str, tuple[str, float]] = {}

    def record(key: str, label: str, start: float) -> None:
        rows[key] = (label, time.perf_counter() - start)
        print(f"  floor: {label}: {rows[key][1]:.1f} s", flush=True)

    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import torch, torchaudio, soundfile"], check=True)
    record("import", "import torch, torchaudio, soundfile", start)
    utts = [u for split in load_speech_commands(root).values() for u in split]
    paths = sorted({u.path for u in utts if u.label != "_silence_"})  # 1 s word clips, not the long noise files
    start = time.perf_counter()
    wavs = [soundfile.read(p, dtype="float32")[0] for p in paths]
    record("read", f"read {len(paths)} wavs with soundfile", start)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one short clip at a time: one thread is fastest
    start = time.perf_counter()
    feats = [fbank_deltas(w) for w in wavs]
    record("fbank", "Kaldi fbank + deltas, one pass per clip", start)
    n = min(2000, len(feats))
    frames = torch.nn.utils.rnn.pad_sequence(feats[:n], batch_first=True)
    lengths = torch.tensor([len(f) for f in feats[:n]])
    means = torch.stack([f.mean(0) for f in feats[:n]])
    labels = torch.randint(0, 12, (n,))
    mask = (torch.arange(frames.shape[1])[None] < lengths[:, None]).float()[..., None]
    index = torch.from_numpy(np.random.default_rng(0).integers(0, n, (steps, batch)))
    for key, label, pooled in (("frames", f"{steps} Adam steps, Linear->mean pool->Linear on frames in memory", False),
                               ("pooled", f"{steps} Adam steps on per-utterance means in memory", True)):
        torch.set_num_threads(1 if pooled else threads)  # each row at its fastest thread count
        proj, cls = torch.nn.Linear(240, 256), torch.nn.Linear(256, 12)
        opt = torch.optim.Adam([*proj.parameters(), *cls.parameters()], lr=1e-4)
        opt.step()  # first call imports torch._dynamo: not part of the floor
        start = time.perf_counter()
        for i in index:
            if pooled:
                logits = cls(proj(means[i]))
            else:
                logits = cls((proj(frames[i]) * mask[i]).sum(1) / lengths[i, None])
            loss = torch.nn.functional.cross_entropy(logits, labels[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
        record(key, label, start)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="Speech Commands v0.01 root (default: synthetic, 3,000 clips)")
    parser.add_argument("--steps", type=int, default=2000)
    args = parser.parse_args()
    print("measuring...", flush=True)
    if args.data is None:
        from benchmark.corpora.synthetic.speech_commands import ensure_synthetic_speech_commands

        args.data = ensure_synthetic_speech_commands(num_clips=3000)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "SUPERB_CACHE_DIR": f"{tmp}/cache", "PYTHONPATH": str(REPO)}
        base = [sys.executable, "-m", "benchmark.cli", "run", "--upstream", "fbank_no_cmvn", "--task", "ks",
                "--data", str(args.data), "--steps", str(args.steps), "--quiet"]
        runs = {"cold (empty cache)": base + ["--out", f"{tmp}/cold"],
                "warm (cache filled)": base + ["--out", f"{tmp}/warm"],
                "frame path, warm (--no-pooled)": base + ["--out", f"{tmp}/frames", "--no-pooled"]}
        measured = {}
        for name, cmd in runs.items():
            measured[name] = timed_process(cmd, env)
            print(f"  {name}: {measured[name][0]:.1f} s", flush=True)
        import json

        accuracy = {name: json.loads(next(Path(f"{tmp}/{d}").rglob("result.json")).read_text())
                    ["metrics"]["test"]["accuracy"] for name, d in zip(runs, ("cold", "warm", "frames"))}
    floor = floor_rows(args.data, args.steps, 32)
    print(f"Speech Commands tree: {args.data}\n")
    print("| floor part | seconds |\n|---|---|")
    for label, seconds in floor.values():
        print(f"| {label} | {seconds:.2f} |")
    print("\n| whole `superb run` process | seconds | its floor (parts) | x floor | peak RSS MB | test accuracy "
          "| issue-10 target (s) |\n|---|---|---|---|---|---|---|")
    for name, (seconds, rss) in measured.items():
        parts, target = RUN_FLOORS[name]
        floor_s = sum(floor[p][1] for p in parts)
        print(f"| {name} | {seconds:.2f} | {floor_s:.2f} ({' + '.join(parts)}) | {seconds / floor_s:.2f} | {rss:.0f} "
              f"| {accuracy[name]:.4f} | {target} |")

if __name__ == "__main__":
    main()
