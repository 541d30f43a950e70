"""Running a batch as groups of equal-length clips, for encoders that padding would change.

Some encoders normalise over the whole time axis (wav2vec 2.0 Base's group norm) or
pad in ways of their own (some s3prl upstreams); for them zero padding in a batch
changes every frame of the shorter clips. Grouping clips of exactly equal length
needs no padding at all, so each clip's features are what it gets alone, and batches
of same-length clips (Speech Commands' 1 s clips) still run together.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

Run = Callable[[Tensor, Tensor], tuple[list[Tensor], Tensor]]
"""``(wavs (group, samples), lengths (group,)) -> (layers, each (group, frames, dim); frames (group,))``."""


def in_equal_length_groups(run: Run, wavs: Tensor, lengths: Tensor) -> tuple[list[Tensor], Tensor]:
    """``run`` on every group of equal ``lengths`` (trimmed to that length), reassembled in batch order.

    Returns the layers, each ``(batch, max frames, dim)`` zero-padded, and ``(batch,)`` frames.
    """
    groups = [torch.nonzero(lengths == value).flatten() for value in torch.unique(lengths)]
    outputs = [run(wavs[index, :int(lengths[index[0]])], lengths[index]) for index in groups]
    frames = torch.zeros(len(wavs), dtype=torch.long, device=lengths.device)
    for index, (_, group_frames) in zip(groups, outputs):
        frames[index] = torch.as_tensor(group_frames, dtype=torch.long, device=lengths.device)
    layers = []
    for layer in range(len(outputs[0][0])):
        sample = outputs[0][0][layer]
        out = sample.new_zeros(len(wavs), int(frames.max()), sample.shape[-1])
        for index, (group_layers, group_frames) in zip(groups, outputs):
            valid = min(group_layers[layer].shape[1], out.shape[1])
            out[index, :valid] = group_layers[layer][:, :valid]
        layers.append(out)
    return layers, frames
