"""Extraction throughput and head training speed, per device and precision.

Extraction: seconds of audio per wall-clock second through ``run_upstream`` (the
harness's own batching: clips sorted by length, batches within --batch-seconds of
padded audio, halved on out-of-memory), for fbank, a tiny random Whisper and a tiny
random wav2vec 2.0 (the real architectures shrunk to 32 dims and 2 layers, as the
tests build them), plus whisper base / large-v3 and wavlm_large at real size when
their weights are already on disk; on the CPU and on every CUDA device, in fp32 and
bf16 autocast. Clips are 2 to 12 s of noisy tones (speed does not depend on content).

Training: optimizer steps per second of the KS head (featurizer + Linear -> mean pool
-> Linear, batch 32, pooled path and frame path) and the ASR head (featurizer + BLSTM
CTC, SUPERB's 1024-unit size and the synthetic corpus's 128-unit one, batch 16 of
--asr-seconds utterances) on 13 layers x 768 dims (a Base-size upstream), fp32, each device.
The SD head is not measured yet: it is being written (its own issue); add its row here.

    python benchmarks/extract_throughput.py [--audio-seconds 60] [--batch-seconds 160] [--steps 5] [--asr-seconds 12]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

LAYERS, DIM = 13, 768  # a Base-size upstream (wav2vec 2.0 / HuBERT / WavLM Base)
REAL_SIZES = (("whisper_encoder", "base"), ("whisper_encoder", "large-v3"), ("wavlm_large", None))


def devices() -> list:
    import torch

    return [torch.device("cpu")] + [torch.device("cuda", i) for i in range(torch.cuda.device_count())]


def sync(device) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize(device)


def test_clips(total_seconds: float) -> list:
    """Clips of 2 to 12 s (16 kHz float32) adding up to about ``total_seconds``."""
    import numpy as np

    rng = np.random.default_rng(0)
    clips, total = [], 0.0
    while total < total_seconds:
        seconds = float(rng.uniform(2, 12))
        t = np.arange(int(seconds * 16_000)) / 16_000
        tone = sum(np.sin(2 * np.pi * f * t) for f in rng.uniform(100, 1000, 4)) / 8
        clips.append((tone + 0.01 * rng.standard_normal(len(t))).astype(np.float32))
        total += seconds
    return clips


def weights_on_disk(name: str, size: str | None) -> bool:
    """True when the official weights of ``name`` (``size``) are already downloaded (nothing is fetched)."""
    if name == "whisper_encoder":
        import whisper

        from upstreams.whisper_encoder import default_download_root

        return Path(default_download_root(), os.path.basename(whisper._MODELS[size])).is_file()
    import torch
    import torchaudio.pipelines

    from upstreams.torchaudio_ssl import BUNDLES, bundle_url

    url = bundle_url(getattr(torchaudio.pipelines, BUNDLES[name]))
    return (Path(torch.hub.get_dir()) / "checkpoints" / Path(url).name).is_file()


def upstreams(folder: Path):
    """``(label, build)`` of every upstream measured; ``build()`` returns it on the CPU."""
    from tiny_upstreams import save_tiny_ssl, save_tiny_whisper
    from upstreams import build_upstream

    whisper_ckpt = save_tiny_whisper(folder / "tiny_whisper.pt")
    wav2vec2_ckpt = save_tiny_ssl("wav2vec2_base", folder / "tiny_wav2vec2.pt")
    yield "fbank", lambda: build_upstream("fbank")
    yield "tiny random Whisper (32 dims, 2 blocks)", lambda: build_upstream("whisper_encoder", ckpt=str(whisper_ckpt))
    yield "tiny random wav2vec 2.0 (32 dims, 2 layers)", lambda: build_upstream("wav2vec2_base",
                                                                                ckpt=str(wav2vec2_ckpt))
    for name, size in REAL_SIZES:
        label = f"{name} {size}" if size else name
        if weights_on_disk(name, size):
            yield label, lambda name=name, size=size: build_upstream(name, **({"size": size} if size else {}))
        else:
            yield label, None


def extraction_rows(args, folder: Path) -> list[list[str]]:
    import torch

    from benchmark.features import ExtractionSettings, length_batches, run_upstream

    clips = test_clips(args.audio_seconds)
    audio = sum(len(c) for c in clips) / 16_000
    rows = []
    for label, build in upstreams(folder):
        if build is None:
            rows.append([label, "-", "-", "-", "weights not on disk: skipped"])
            continue
        upstream = build()
        for device in devices():
            upstream.to(device)
            for dtype in ("fp32", "bf16"):
                settings = ExtractionSettings(device, args.batch_seconds, dtype)
                run_upstream(upstream, clips[:2], settings)  # warm-up
                sync(device)
                start = time.perf_counter()
                run_upstream(upstream, clips, settings)
                sync(device)
                seconds = time.perf_counter() - start
                batches = len(length_batches([len(c) for c in clips], settings.batch_samples))
                rows.append([label, str(device), dtype, f"{args.batch_seconds:g} s ({len(clips) / batches:.1f} clips)",
                             f"{audio / seconds:,.0f}"])
        del upstream
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    return rows


def steps_per_second(step, device, steps: int) -> float:
    step()  # warm-up
    sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    return steps / (time.perf_counter() - start)


def training_rows(args) -> list[list[str]]:
    import torch

    from benchmark.featurizer import Featurizer
    from benchmark.optim import Adam
    from benchmark.problems.ctc_transcription import CtcModel
    from benchmark.problems.utterance_classification import UtteranceClassifier
    from downstreams.ctc_heads import BLSTMCTC
    from downstreams.mean_pool_linear import MeanPoolLinear

    torch.manual_seed(0)
    rows = []
    for device in devices():
        ks = UtteranceClassifier(Featurizer(LAYERS), MeanPoolLinear(DIM, 12)).to(device)
        ks_opt = Adam(ks.parameters(), lr=1e-4)
        means, frames = torch.randn(32, LAYERS, DIM), torch.randn(32, 50, LAYERS, DIM)  # 1 s clips: 50 frames
        lengths, labels = torch.full((32,), 50), torch.randint(0, 12, (32,))

        def ks_step(pooled: bool) -> None:
            logits = (ks.pooled_logits(means.to(device)) if pooled
                      else ks.frame_logits(frames.to(device), lengths.to(device)))
            loss = torch.nn.functional.cross_entropy(logits, labels.to(device))
            ks_opt.zero_grad()
            loss.backward()
            ks_opt.step()

        rows.append(["KS: featurizer + mean-pool linear, pooled path", str(device), "32 utterances",
                     f"{steps_per_second(lambda: ks_step(True), device, 20 * args.steps):,.1f}"])
        rows.append(["KS: featurizer + mean-pool linear, frame path", str(device), "32 x 1 s",
                     f"{steps_per_second(lambda: ks_step(False), device, 4 * args.steps):,.1f}"])
        frames_per_utterance = int(args.asr_seconds * 50)  # 50 frames/s
        utterance = torch.randn(16, frames_per_utterance, LAYERS, DIM)
        utterance_lengths = torch.full((16,), frames_per_utterance)
        targets = torch.randint(1, 32, (16 * frames_per_utterance // 4,))  # a character per 4 frames
        target_lengths = torch.full((16,), frames_per_utterance // 4)
        for hidden in (1024, 128):
            asr = CtcModel(Featurizer(LAYERS), BLSTMCTC(DIM, 32, project=hidden, hidden=hidden)).to(device)
            asr_opt = Adam(asr.parameters(), lr=1e-4)

            def asr_step() -> None:
                log_probs, out_lengths = asr(utterance.to(device), utterance_lengths.to(device))
                loss = torch.nn.functional.ctc_loss(log_probs.transpose(0, 1), targets.to(device), out_lengths,
                                                    target_lengths.to(device), zero_infinity=True)
                asr_opt.zero_grad()
                loss.backward()
                asr_opt.step()

            rows.append([f"ASR: featurizer + {hidden}-unit 2-layer BLSTM CTC", str(device),
                         f"16 x {args.asr_seconds:g} s",
                         f"{steps_per_second(asr_step, device, args.steps):.3g}"])
    rows.append(["SD head", "-", "-", "not measured: the SD head is being written (its own issue); add it here"])
    return rows


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio-seconds", type=float, default=60.0, help="audio extracted per row (default 60)")
    parser.add_argument("--batch-seconds", type=float, default=160.0, help="as --extract-batch-seconds (default 160)")
    parser.add_argument("--steps", type=int, default=5, help="timed ASR steps (KS: 20x and 4x as many)")
    parser.add_argument("--asr-seconds", type=float, default=12.0, help="ASR utterance length (default 12)")
    args = parser.parse_args()
    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads, "
          f"CUDA: {', '.join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())) or 'none'}")
    with tempfile.TemporaryDirectory() as folder:
        print(table(["upstream", "device", "precision", "batch (mean clips)", "audio s / wall s"],
                    extraction_rows(args, Path(folder))))
    print()
    print(table(["head (13 layers x 768 dims in)", "device", "batch", "steps / s"], training_rows(args)))


if __name__ == "__main__":
    main()
