"""SpecAugment on upstream features (s3prl's ASR recipe): time warp, frequency and time masks.

Applied to the featurizer's output while training, never at evaluation. Each utterance
is augmented independently, the whole batch at once: every random draw is one tensor for
the batch, made on CPU from torch's global generator (so a resumed run, which restores
that generator, replays them) and then moved to the features' device.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class SpecAugment(nn.Module):
    """Augment ``(batch, frames, dim)`` features within each utterance's valid frames.

    Args:
        time_warp: warp window ``W`` in frames: the frame at a random centre ``c``,
            ``W < c < frames - W``, moves to ``c + w``, ``|w| <= W``, both sides stretched
            linearly; only utterances longer than ``2 W + 2`` frames are warped (0 disables).
        freq_masks: number of masks over feature dimensions, each ``[0, freq_mask_width]`` wide.
        time_masks: number of masks over frames, each ``[0, time_mask_width]`` wide (at most
            the utterance's length).
        Masked values are set to 0; frames past an utterance's length are left as they are.
    """

    def __init__(self, time_warp: int = 5, freq_masks: int = 4, freq_mask_width: int = 50,
                 time_masks: int = 2, time_mask_width: int = 40):
        super().__init__()
        self.time_warp = time_warp
        self.freq_masks, self.freq_mask_width = freq_masks, freq_mask_width
        self.time_masks, self.time_mask_width = time_masks, time_mask_width

    def forward(self, features: Tensor, lengths: Tensor) -> Tensor:
        """``(batch, frames, dim)`` features and ``(batch,)`` valid frames to augmented ``(batch, frames, dim)``."""
        if not self.training:
            return features
        batch, frames, dim = features.shape
        n, device = lengths.cpu(), features.device
        lengths = lengths.to(device)
        centre = moved = n  # one segment of n frames resampled to n: no warp
        if self.time_warp:
            w = self.time_warp
            drawn = w + 1 + _uniform((n - 2 * w - 1).clamp(min=1))
            shifted = drawn + torch.randint(-w, w + 1, (batch,))
            long_enough = n > 2 * w + 2
            centre, moved = torch.where(long_enough, drawn, n), torch.where(long_enough, shifted, n)
        freq_widths = torch.randint(0, min(self.freq_mask_width, dim) + 1, (batch, self.freq_masks))
        freq_starts = _uniform(dim - freq_widths + 1)
        time_widths = _uniform(n.clamp(max=self.time_mask_width)[:, None].expand(batch, self.time_masks) + 1)
        time_starts = _uniform(n[:, None] - time_widths + 1)
        kept_frames = ~_spans(time_starts.to(device), time_widths.to(device), frames)
        out = time_warp(features, lengths, centre.to(device), moved.to(device), kept_frames.to(features.dtype))
        valid = torch.arange(frames, device=device) < lengths[:, None]
        masked_dims = _spans(freq_starts.to(device), freq_widths.to(device), dim)
        return out.masked_fill(masked_dims[:, None, :] & valid[..., None], 0)


def time_warp(features: Tensor, lengths: Tensor, centre: Tensor, moved: Tensor, keep: Tensor | None = None) -> Tensor:
    """Warp each utterance of ``(batch, frames, dim)`` features so its frame ``centre`` lands at ``moved``.

    Utterance ``b``'s first ``centre[b]`` frames are resampled to ``moved[b]`` frames and its
    other ``lengths[b] - centre[b]`` valid frames to ``lengths[b] - moved[b]``, each exactly as
    ``nn.functional.interpolate(mode="linear", align_corners=False)`` does (same rounding): one
    gather of the two neighbouring source frames and a linear blend. ``lengths``, ``centre``
    and ``moved`` are ``(batch,)`` frame counts; ``keep``, ``(batch, frames)``, scales each
    valid output frame (0 masks it). Frames past ``lengths`` are copied unchanged (any finite
    value, bit for bit).
    """
    batch, frames, dim = features.shape
    out_index = torch.arange(frames, device=features.device).expand(batch, frames)
    centre, moved, lengths = centre[:, None], moved[:, None], lengths[:, None]
    valid, left = out_index < lengths, out_index < moved
    source_size = torch.where(left, centre, lengths - centre).clamp(min=1)
    target_size = torch.where(left, moved, lengths - moved).clamp(min=1)
    offset = torch.where(left, 0, centre)
    index = torch.where(left, out_index, out_index - moved)
    real = torch.float64 if features.dtype == torch.float64 else torch.float32  # interpolate's own precision
    scale = source_size.to(real) / target_size.to(real)
    position = (scale * (index.to(real) + 0.5) - 0.5).clamp(min=0)
    lower = torch.minimum(position.floor().long(), source_size - 1)
    weight = torch.where(valid, (position - lower).clamp(0, 1), 0).to(features.dtype)
    upper = lower + (lower < source_size - 1).long()
    rows = features.reshape(batch * frames, dim)
    first_row = torch.arange(batch, device=features.device)[:, None] * frames

    def source(index: Tensor) -> Tensor:
        """``(batch, frames)`` source frames within each utterance (padding reads itself) to their features."""
        flat = torch.where(valid, offset + index, out_index) + first_row
        return rows.index_select(0, flat.flatten()).view(batch, frames, dim)

    below, above = source(lower), source(upper)
    keep = torch.ones_like(weight) if keep is None else torch.where(valid, keep, 1)
    # below * (1 - weight) fused into above * weight: interpolate's rounding
    return torch.addcmul(above * (weight * keep)[..., None], below, ((1 - weight) * keep)[..., None])


def _uniform(high: Tensor) -> Tensor:
    """Integers drawn uniformly in ``[0, high)``, element by element (``high >= 1``)."""
    draws = (torch.rand(high.shape, dtype=torch.float64) * high).long()
    return torch.minimum(draws, high - 1)


def _spans(starts: Tensor, widths: Tensor, size: int) -> Tensor:
    """``(batch, masks)`` starts and widths to the ``(batch, size)`` positions covered by any span."""
    position = torch.arange(size, device=starts.device)
    return ((position >= starts[..., None]) & (position < (starts + widths)[..., None])).any(1)
