"""SpecAugment on upstream features (s3prl's ASR recipe): time warp, frequency and time masks.

Applied to the featurizer's output while training, never at evaluation. Random
draws come from torch's global generator, so a resumed run replays them.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class SpecAugment(nn.Module):
    """Augment ``(batch, frames, dim)`` features within each utterance's valid frames.

    Args:
        time_warp: warp window ``W`` in frames: the frame at a random centre ``c`` moves
            to ``c + w``, ``|w| <= W``, both sides stretched linearly (0 disables).
        freq_masks: number of masks over feature dimensions, each ``[0, freq_mask_width]`` wide.
        time_masks: number of masks over frames, each ``[0, time_mask_width]`` wide.
        Masked values are set to 0.
    """

    def __init__(self, time_warp: int = 5, freq_masks: int = 4, freq_mask_width: int = 50,
                 time_masks: int = 2, time_mask_width: int = 40):
        super().__init__()
        self.time_warp = time_warp
        self.freq_masks, self.freq_mask_width = freq_masks, freq_mask_width
        self.time_masks, self.time_mask_width = time_masks, time_mask_width

    def forward(self, features: Tensor, lengths: Tensor) -> Tensor:
        if not self.training:
            return features
        out = features.clone()
        for b, n in enumerate(lengths.tolist()):
            out[b, :n] = self._augment(out[b, :n])
        return out

    def _augment(self, x: Tensor) -> Tensor:
        """One utterance ``(frames, dim)``."""
        frames, dim = x.shape
        w = self.time_warp
        if w and frames > 2 * w + 2:
            centre = int(torch.randint(w + 1, frames - w, ()))
            moved = centre + int(torch.randint(-w, w + 1, ()))
            x = torch.cat([_stretch(x[:centre], moved), _stretch(x[centre:], frames - moved)])
        x = x.clone()
        for _ in range(self.freq_masks):
            width = int(torch.randint(0, min(self.freq_mask_width, dim) + 1, ()))
            start = int(torch.randint(0, dim - width + 1, ()))
            x[:, start:start + width] = 0
        for _ in range(self.time_masks):
            width = int(torch.randint(0, min(self.time_mask_width, frames) + 1, ()))
            start = int(torch.randint(0, frames - width + 1, ()))
            x[start:start + width] = 0
        return x


def _stretch(x: Tensor, frames: int) -> Tensor:
    """``(n, dim)`` resampled linearly to ``(frames, dim)``."""
    return nn.functional.interpolate(x.T[None], size=frames, mode="linear", align_corners=False)[0].T
