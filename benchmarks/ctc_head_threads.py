"""Seconds per training step of the CTC head (``blstm_ctc``) with 1 and with 2 torch threads.

One step is forward, backward and Adam on a batch of random features shaped like the
synthetic LibriSpeech's fbank batches, ``(16, 220, 240)``, for each head width; prints
wall and CPU seconds per step, so a quiet and a loaded machine can be compared.

    python benchmarks/ctc_head_threads.py [--widths 64 128] [--steps 10]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()

    import torch

    from downstreams.ctc_heads import BLSTMCTC

    frames, lengths = torch.randn(16, 220, 240), torch.full((16,), 220)
    for width in args.widths:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            head = BLSTMCTC(240, 29, project=width, hidden=width)
            optimizer = torch.optim.Adam(head.parameters(), 1e-3)
            for step in range(args.steps + 3):  # 3 warm-up steps
                if step == 3:
                    wall, cpu = time.perf_counter(), time.process_time()
                logits, _ = head(frames, lengths)
                logits.log_softmax(-1).sum().backward()
                optimizer.step()
                optimizer.zero_grad()
            print(f"2 x {width} head, {threads} thread(s): {(time.perf_counter() - wall) / args.steps:.3f} s/step wall, "
                  f"{(time.process_time() - cpu) / args.steps:.3f} CPU-s/step")


if __name__ == "__main__":
    main()
