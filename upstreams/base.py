"""The upstream contract: a frozen encoder from 16 kHz waveforms to per-layer frames.

An upstream is a :class:`torch.nn.Module` that declares three integers and maps a
padded batch of waveforms to a list of hidden layers::

    wavs:    (batch, samples)  float32, mono, 16 kHz, zero-padded after each clip
    lengths: (batch,)          valid samples per clip
    ->
    UpstreamOutput.layers:  list of num_layers tensors, each (batch, frames, hidden_size)
    UpstreamOutput.lengths: (batch,) valid frames per clip

Valid frames should be ``(samples - 1) // downsample_rate + 1`` within one frame.
The harness runs upstreams in eval mode under ``torch.inference_mode()``; they are
never trained. See ``docs/upstream-contract.md``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

SAMPLE_RATE = 16_000
"""Every upstream receives audio at this rate (samples per second)."""


@dataclass
class UpstreamOutput:
    """What an upstream returns for a batch.

    Attributes:
        layers: ``num_layers`` tensors, each ``(batch, frames, hidden_size)``.
        lengths: ``(batch,)`` number of valid frames per clip.
    """

    layers: list[Tensor]
    lengths: Tensor


class Upstream(nn.Module):
    """Base class of all upstreams.

    Subclasses set ``name``, ``downsample_rate`` (samples per frame at 16 kHz),
    ``num_layers`` and ``hidden_size`` (and, if they need them, ``min_samples`` for
    their receptive field and ``max_samples`` to bound memory on long clips),
    implement :meth:`forward`, and return from :meth:`config` everything besides the
    weights that changes their output.
    """

    name: str = "upstream"
    downsample_rate: int
    num_layers: int
    hidden_size: int
    min_samples: int = 1
    """Shorter clips are zero-padded to this many samples before the upstream sees them."""
    max_samples: int | None = None
    """Longer clips are cut into windows of at most this many samples (a multiple of
    ``downsample_rate``), run separately, and their frames concatenated."""
    departures: tuple[str, ...] = ()
    """Where this upstream knowingly differs from its s3prl counterpart (copied into results)."""
    origin: dict[str, Any] | None = None
    """Where the weights came from (file, hub id, revision and commit, random-init seed): recorded in
    results, not part of :meth:`identity`, which covers only what runs."""

    def forward(self, wavs: Tensor, lengths: Tensor) -> UpstreamOutput:  # pragma: no cover - abstract
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        """Settings that shape the output (not the weights). JSON-serialisable."""
        return {}

    def display_name(self) -> str:
        """The name results and leaderboards show: :attr:`name` plus whatever tells variants
        apart (``whisper_encoder-base``, ``whisper_encoder-tiny-pad30s``). Default: :attr:`name`."""
        return self.name

    def identity(self) -> str:
        """``"<name>-<hash>"``: the hash covers the class, :meth:`config` and every weight.

        Two upstreams with the same identity produce the same features, so the
        feature cache is keyed by it.
        """
        digest = hashlib.blake2b(digest_size=8)
        digest.update(f"{type(self).__module__}.{type(self).__qualname__}".encode())
        digest.update(json.dumps(self.config(), sort_keys=True, default=str).encode())
        for key, tensor in sorted(self.state_dict().items()):
            digest.update(key.encode())
            digest.update(str(tuple(tensor.shape)).encode())
            digest.update(tensor.detach().cpu().contiguous().view(torch.uint8).numpy().tobytes()
                          if tensor.numel() else b"")
        return f"{self.name}-{digest.hexdigest()}"

    def expected_frames(self, samples: Tensor) -> Tensor:
        """Frames the contract expects for clips of ``samples`` samples: ``(n - 1) // stride + 1``."""
        return torch.div(samples - 1, self.downsample_rate, rounding_mode="floor") + 1


def layers_problem(upstream: Upstream, out: UpstreamOutput, batch: int) -> str | None:
    """How ``out`` breaks the contract's layer and length rules for a batch of ``batch`` clips, or ``None``.

    The rules: ``num_layers`` layers, all ``(batch, frames, hidden_size)``; lengths a
    ``(batch,)`` integer tensor of values in ``1..frames``.
    """
    if len(out.layers) != upstream.num_layers:
        return f"returned {len(out.layers)} layers but declares num_layers={upstream.num_layers}"
    shapes = sorted({tuple(layer.shape) for layer in out.layers})
    if len(shapes) != 1:
        return f"layers differ in shape {', '.join(map(str, shapes))}; all must be (batch, frames, hidden_size)"
    shape = shapes[0]
    if len(shape) != 3 or shape[0] != batch or shape[2] != upstream.hidden_size:
        return f"layer shape {shape} is not (batch={batch}, frames, hidden_size={upstream.hidden_size})"
    lengths = out.lengths
    if not isinstance(lengths, Tensor) or lengths.shape != (batch,) or lengths.is_floating_point():
        return f"lengths must be a (batch,) integer tensor, got {lengths!r}"
    if int(lengths.min()) < 1 or int(lengths.max()) > shape[1]:
        return f"frame lengths {lengths.tolist()} do not fit the {shape[1]} frames returned"
    return None


def stride_problem(upstream: Upstream, lengths: Tensor, samples: Tensor) -> str | None:
    """The worst clip whose valid frames are off :meth:`Upstream.expected_frames` by more than one, or ``None``.

    Args:
        lengths: ``(batch,)`` valid frames the upstream returned.
        samples: ``(batch,)`` valid samples of the clips it was given.
    """
    expected = upstream.expected_frames(samples)
    worst = int((lengths - expected).abs().argmax())
    if abs(int(lengths[worst]) - int(expected[worst])) <= 1:
        return None
    return (f"{int(samples[worst])} samples gave {int(lengths[worst])} frames, but "
            f"downsample_rate={upstream.downsample_rate} means {int(expected[worst])} (within one)")
