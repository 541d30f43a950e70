"""The SUPERB utterance-level head (KS, IC, SID, ER): Linear -> mean pool -> Linear."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn


class MeanPoolLinear(nn.Module):
    """``Linear(input_dim, hidden)`` on each frame, mean over valid frames, ``Linear(hidden, outputs)``.

    There is no nonlinearity before the pooling, as in s3prl's ``UtteranceLevel``
    with ``MeanPooling``; so mean pooling commutes with the first layer and
    :meth:`forward_pooled` on per-utterance mean features gives the same logits as
    :meth:`forward` on the frames (``pooled_equivalent``).

    Args:
        input_dim: feature dimension ``D``.
        num_classes: output classes; or one count per softmax group (IC: ``[6, 14, 4]``),
            whose logits lie side by side in one output layer of ``sum(num_classes)``
            (as s3prl's fluent_commands); the problem splits them per group.
        hidden: projection size (256 in SUPERB).
    """

    pooled_equivalent = True

    def __init__(self, input_dim: int, num_classes: int | Sequence[int], hidden: int = 256):
        super().__init__()
        outputs = num_classes if isinstance(num_classes, int) else sum(num_classes)
        self.projector = nn.Linear(input_dim, hidden)
        self.classifier = nn.Linear(hidden, outputs)

    def forward(self, frames: Tensor, lengths: Tensor) -> Tensor:
        """``(batch, frames, D)`` and ``(batch,)`` valid frames to ``(batch, outputs)`` logits."""
        hidden = self.projector(frames)
        if bool((lengths < frames.shape[1]).any()):  # padded frames: zero them before summing
            steps = torch.arange(frames.shape[1], device=frames.device)
            hidden = hidden * (steps[None, :] < lengths[:, None]).to(hidden.dtype)[..., None]
        pooled = hidden.sum(1) / lengths[:, None].to(hidden.dtype)
        return self.classifier(pooled)

    def forward_pooled(self, means: Tensor) -> Tensor:
        """``(batch, D)`` per-utterance mean features to ``(batch, outputs)`` logits."""
        return self.classifier(self.projector(means))
