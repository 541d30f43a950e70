"""The SUPERB speaker verification head (ASV): x-vector embeddings trained with AM-Softmax.

As s3prl's ``sv_voxceleb1`` (``XVector`` module, ``SP`` statistics pooling,
``UtteranceExtractor``, ``AMSoftmaxLoss``).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

TDNN_LAYERS = ((5, 1), (3, 2), (3, 3), (1, 1), (1, 1))
"""(context size, dilation) of the five TDNN layers: frames [-2..2], [-2, 0, 2], [-3, 0, 3], [0], [0]."""
CONTEXT = sum((size - 1) * dilation for size, dilation in TDNN_LAYERS)  # 14 frames lost to the TDNN layers


class XVector(nn.Module):
    """``Linear(D, input_dim)``, 5 TDNN layers with ReLU, statistics pooling, utterance MLP.

    TDNN widths are ``input_dim`` four times, then ``agg_dim``; statistics pooling
    concatenates the mean and standard deviation over valid frames (``2 * agg_dim``);
    the utterance extractor is ``Linear(2 agg_dim, input_dim)`` + ReLU (the embedding
    scored in verification, s3prl's ``inference``) and, for training only, another
    ``Linear(input_dim, input_dim)`` + ReLU.

    Args:
        input_dim_upstream: feature dimension ``D``.
        input_dim: connector and TDNN width (512 in SUPERB); the embedding size.
        agg_dim: width of the last TDNN layer (1500 in SUPERB).
        batch_norm: batch normalisation after each TDNN layer's ReLU (s3prl's option;
            off in SUPERB's recipe).
    """

    pooled_equivalent = False

    def __init__(self, input_dim_upstream: int, input_dim: int = 512, agg_dim: int = 1500,
                 batch_norm: bool = False):
        super().__init__()
        self.embedding_dim = input_dim
        self.connector = nn.Linear(input_dim_upstream, input_dim)
        widths = [input_dim] * 4 + [agg_dim]
        self.tdnn = nn.ModuleList(
            nn.Conv1d(n_in, n_out, size, dilation=dilation)
            for n_in, n_out, (size, dilation) in zip([input_dim] + widths[:-1], widths, TDNN_LAYERS))
        self.norms = nn.ModuleList(nn.BatchNorm1d(n) if batch_norm else nn.Identity() for n in widths)
        self.utterance = nn.Linear(2 * agg_dim, input_dim)
        self.train_layer = nn.Linear(input_dim, input_dim)

    def embed(self, frames: Tensor, lengths: Tensor) -> Tensor:
        """``(batch, frames, D)`` and ``(batch,)`` valid frames to ``(batch, input_dim)`` embeddings.

        Clips shorter than the TDNN context (15 frames) are zero-padded to it.
        """
        x = self.connector(frames).transpose(1, 2)  # (batch, input_dim, frames)
        if x.shape[2] <= CONTEXT:
            x = nn.functional.pad(x, (0, CONTEXT + 1 - x.shape[2]))
        for layer, norm in zip(self.tdnn, self.norms):
            x = norm(torch.relu(layer(x)))
        valid = (lengths - CONTEXT).clamp(min=1).to(x.device)
        mask = (torch.arange(x.shape[2], device=x.device)[None, :] < valid[:, None]).to(x.dtype)[:, None, :]
        count = valid.to(x.dtype)[:, None]
        mean = (x * mask).sum(2) / count
        variance = (((x - mean[:, :, None]) * mask) ** 2).sum(2) / (count - 1).clamp(min=1)
        stats = torch.cat([mean, variance.clamp(min=1e-10).sqrt()], dim=1)
        return torch.relu(self.utterance(stats))

    def forward(self, frames: Tensor, lengths: Tensor) -> Tensor:
        """The training vector ``(batch, input_dim)``: the embedding through one more Linear + ReLU."""
        return torch.relu(self.train_layer(self.embed(frames, lengths)))


class AMSoftmax(nn.Module):
    """Additive-margin softmax loss: cross entropy of ``s * (cos(x, w_c) - m [c = label])``.

    Args:
        dim: vector size; num_classes: training speakers; s: scale (30); m: margin (0.4).
    """

    def __init__(self, dim: int, num_classes: int, s: float = 30.0, m: float = 0.4):
        super().__init__()
        self.s, self.m = s, m
        self.weight = nn.Parameter(torch.empty(dim, num_classes))
        nn.init.xavier_normal_(self.weight, gain=1)

    def forward(self, vectors: Tensor, labels: Tensor) -> Tensor:
        """Mean loss of ``(batch, dim)`` vectors with ``(batch,)`` class labels."""
        cosine = nn.functional.normalize(vectors, dim=1) @ nn.functional.normalize(self.weight, dim=0)
        margin = nn.functional.one_hot(labels, cosine.shape[1]).to(cosine.dtype) * self.m
        return nn.functional.cross_entropy(self.s * (cosine - margin), labels)
