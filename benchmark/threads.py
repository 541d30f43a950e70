"""Intra-op thread control.

Tiny tensors (a 240x256 head on pooled features) run several times faster on one
thread than on two: the threads' hand-offs cost more than the
work, and far more when the other core is busy.
"""

from __future__ import annotations

import contextlib

import torch


@contextlib.contextmanager
def torch_threads(count: int):
    """Run the block with ``count`` intra-op threads, then restore the previous number."""
    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
