"""The featurizer: how the head sees the upstream's layers.

SUPERB trains one weight per layer, initialised to zero, and combines the layers
with their softmax (s3prl's ``Featurizer``). Optional per-layer layer norm (off in
SUPERB) normalises each layer over its hidden dimension first.

Layers are stacked on the second-to-last axis: input ``(..., num_layers, dim)``,
output ``(..., dim)``; ``...`` is ``(batch, frames)`` on frames or ``(batch,)`` on
per-utterance means. Without layer norm the featurizer is linear in its input, so
it commutes with mean pooling over frames.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from benchmark.errors import UserError

MODES = ("weighted_sum", "last", "layer:N")


def parse_mode(mode: str, num_layers: int) -> int | None:
    """Return the fixed layer index for ``last`` / ``layer:N``, or ``None`` for ``weighted_sum``.

    ``layer:N`` counts from 0 (for SSL upstreams layer 0 is the input to the first
    transformer block).
    """
    if mode == "weighted_sum":
        return None
    if mode == "last":
        return num_layers - 1
    if mode.startswith("layer:"):
        try:
            index = int(mode.split(":", 1)[1])
        except ValueError:
            index = -1
        if not 0 <= index < num_layers:
            raise UserError(f"--featurizer {mode}: the upstream has layers 0..{num_layers - 1}; "
                            f"choose layer:N with N in that range")
        return index
    raise UserError(f"--featurizer {mode!r} is not one of {', '.join(MODES)}")


class Featurizer(nn.Module):
    """Combine ``num_layers`` hidden layers into one.

    Args:
        num_layers: number of upstream layers.
        mode: ``"weighted_sum"`` (learned softmax weights, zero-initialised),
            ``"last"`` or ``"layer:N"``.
        layer_norm: layer-normalise each layer over ``dim`` before combining.
    """

    def __init__(self, num_layers: int, mode: str = "weighted_sum", layer_norm: bool = False):
        super().__init__()
        self.num_layers = num_layers
        self.mode = mode
        self.layer_norm = layer_norm
        self.fixed_layer = parse_mode(mode, num_layers)
        self.weights = nn.Parameter(torch.zeros(num_layers)) if self.fixed_layer is None else None

    @property
    def is_linear(self) -> bool:
        """True when the output is a linear function of the input (no layer norm)."""
        return not self.layer_norm

    def layer_weights(self) -> list[float]:
        """The mixing weights as plain floats (one-hot for a fixed layer); they sum to 1."""
        if self.weights is None:
            return [float(i == self.fixed_layer) for i in range(self.num_layers)]
        return torch.softmax(self.weights.detach(), dim=0).tolist()

    def forward(self, layers: Tensor) -> Tensor:
        """``(..., num_layers, dim)`` to ``(..., dim)``."""
        if layers.shape[-2] != self.num_layers:
            raise ValueError(f"expected {self.num_layers} layers on axis -2, got shape {tuple(layers.shape)}")
        if self.fixed_layer is not None or self.num_layers == 1:
            # One layer: its weight is exactly 1 (the softmax of a single weight has zero
            # gradient), so the layer passes through and no input gradient is needed.
            layer = layers[..., self.fixed_layer or 0, :]
            return nn.functional.layer_norm(layer, layer.shape[-1:]) if self.layer_norm else layer
        if self.layer_norm:
            layers = nn.functional.layer_norm(layers, layers.shape[-1:])
        return torch.einsum("...ld,l->...d", layers, torch.softmax(self.weights, dim=0))
