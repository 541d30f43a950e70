"""Per-dimension standardisation of a head's input with the training set's statistics.

A fixed affine map ``(x - mean) / std`` whose mean and standard deviation are measured
once, over every valid frame of the training split, before training. The first layer of
every head is linear, so the head with it computes the same family of functions as
without it (the map folds into that layer); it only conditions the optimisation: it puts
unnormalised inputs (log-mel energies around -7 with a spread of 4) on the scale the
default initialisation expects, which short training budgets need, and makes SpecAugment's
masked value (0) the training mean, as it is for per-utterance normalised features.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

MIN_STD = 1e-5  # a constant dimension is centred, not divided by zero
BATCH = 64  # utterances per pass when measuring


class Standardizer(nn.Module):
    """``(..., dim)`` to ``(..., dim)``: subtract ``mean``, divide by ``std`` (both ``(dim,)``, saved with the model)."""

    def __init__(self, mean: Tensor, std: Tensor):
        super().__init__()
        self.register_buffer("mean", mean.float().clone())
        self.register_buffer("std", std.float().clamp_min(MIN_STD))

    def forward(self, features: Tensor) -> Tensor:
        return (features - self.mean) / self.std


@torch.no_grad()
def fit_standardizer(batch: Callable[[Tensor], tuple[Tensor, Tensor]], utterances: int,
                     transform: Callable[[Tensor], Tensor] = lambda x: x) -> Standardizer:
    """Measure the mean and standard deviation of every dimension over all valid frames.

    Args:
        batch: index ``(n,)`` to padded frames ``(n, frames, ...)`` and lengths ``(n,)``
            (a :class:`benchmark.features.FrameStore`'s ``batch``).
        utterances: how many there are (indices ``0 .. utterances - 1``).
        transform: applied to each padded batch first, giving ``(n, frames, dim)`` (the featurizer).

    Sums are kept in float64, so the statistics do not depend on the order of the frames.
    """
    total, squares, count = None, None, 0
    for start in range(0, utterances, BATCH):
        frames, lengths = batch(torch.arange(start, min(start + BATCH, utterances)))
        x = transform(frames)
        valid = torch.arange(x.shape[1])[None, :] < lengths[:, None]
        rows = x[valid].double()  # (valid frames, dim)
        total = rows.sum(0) if total is None else total + rows.sum(0)
        squares = (rows**2).sum(0) if squares is None else squares + (rows**2).sum(0)
        count += rows.shape[0]
    if not count:
        raise ValueError("no frames to measure")
    mean = total / count
    std = (squares / count - mean**2).clamp_min(0).sqrt()
    return Standardizer(mean, std)
