"""SUPERB's SD head: a unidirectional LSTM and a linear layer giving per-frame speaker logits."""

from __future__ import annotations

from torch import Tensor, nn


class LSTMDiarization(nn.Module):
    """``LSTM(D, hidden, layers)`` then ``Linear(hidden, speakers)`` on every frame (s3prl diarization ``Model``).

    Unidirectional, so frames after an utterance's end (padding) never change its
    valid outputs.

    Args:
        input_dim: feature dimension ``D``.
        num_speakers: output columns (2 for Libri2Mix).
        hidden: LSTM units (512 in SUPERB).
        layers: LSTM layers (1 in SUPERB).
    """

    def __init__(self, input_dim: int, num_speakers: int, hidden: int = 512, layers: int = 1):
        super().__init__()
        self.rnn = nn.LSTM(input_dim, hidden, num_layers=layers, batch_first=True)
        self.linear = nn.Linear(hidden, num_speakers)

    def forward(self, frames: Tensor, lengths: Tensor) -> Tensor:
        """``(batch, frames, D)`` and ``(batch,)`` valid frames to ``(batch, frames, speakers)`` logits."""
        return self.linear(self.rnn(frames)[0])
