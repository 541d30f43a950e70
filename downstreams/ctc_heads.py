"""Frame-level CTC heads: per-frame logits over an output alphabet (blank included).

Both keep the frame rate of their input: ``forward(frames (batch, frames, D),
lengths (batch,))`` returns ``(logits (batch, frames, outputs), lengths)``.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class LinearCTC(nn.Module):
    """SUPERB's PR head: ``Linear(D, hidden)`` then ``Linear(hidden, outputs)`` on each frame.

    No nonlinearity in between (as in the protocol), so the head is one low-rank linear map.

    Args:
        input_dim: feature dimension ``D``.
        num_outputs: CTC outputs, blank included.
        hidden: projection size (256 in SUPERB).
    """

    def __init__(self, input_dim: int, num_outputs: int, hidden: int = 256):
        super().__init__()
        self.projector = nn.Linear(input_dim, hidden)
        self.classifier = nn.Linear(hidden, num_outputs)

    def forward(self, frames: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        return self.classifier(self.projector(frames)), lengths


class BLSTMCTC(nn.Module):
    """SUPERB's ASR head: ``Linear(D, project)``, a bidirectional LSTM, ``Linear(2 * hidden, outputs)``.

    The backward direction reads each utterance from its last valid frame, so padding
    never changes the output. (Equivalent to packed sequences, which are about 10x
    slower on CPU: each direction here is one unidirectional LSTM over the padded
    batch, the backward one on time-reversed utterances.)

    Args:
        input_dim: feature dimension ``D``.
        num_outputs: CTC outputs, blank included.
        project: size of the input projection (1024 in SUPERB).
        hidden: LSTM units per direction (1024 in SUPERB).
        layers: LSTM layers (2 in SUPERB).
        dropout: dropout on the output of every LSTM layer (0.2 in SUPERB).
    """

    def __init__(self, input_dim: int, num_outputs: int, project: int = 1024, hidden: int = 1024,
                 layers: int = 2, dropout: float = 0.2):
        super().__init__()
        self.projector = nn.Linear(input_dim, project)
        sizes = [project] + [2 * hidden] * (layers - 1)
        self.forward_lstms = nn.ModuleList(nn.LSTM(size, hidden, batch_first=True) for size in sizes)
        self.backward_lstms = nn.ModuleList(nn.LSTM(size, hidden, batch_first=True) for size in sizes)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(2 * hidden, num_outputs)

    def forward(self, frames: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        steps = torch.arange(frames.shape[1], device=frames.device)
        reverse = torch.where(steps < lengths[:, None], lengths[:, None] - 1 - steps, steps)  # (batch, frames)
        x = self.projector(frames)
        for forward_lstm, backward_lstm in zip(self.forward_lstms, self.backward_lstms):
            flipped = x.gather(1, reverse[..., None].expand_as(x))
            backward = backward_lstm(flipped)[0]
            backward = backward.gather(1, reverse[..., None].expand_as(backward))
            x = self.dropout(torch.cat([forward_lstm(x)[0], backward], dim=-1))
        return self.classifier(x), lengths
