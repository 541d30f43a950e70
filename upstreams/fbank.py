"""The SUPERB FBANK baseline: Kaldi log-mel filterbanks with deltas, as one layer.

80 mel bins from 25 ms povey windows every 10 ms, exactly as torchaudio's
Kaldi-compatible ``torchaudio.compliance.kaldi.fbank`` with its defaults (s3prl's
baseline), plus delta and delta-delta (``torchaudio.functional.compute_deltas``,
window 5): 240 dims, stride 160 samples. ``fbank`` then applies per-utterance CMVN
(zero mean, unit variance per dimension over the clip), exactly as s3prl's
baseline; ``fbank_no_cmvn`` does not.

The computation is batched: a whole padded batch goes through one FFT and one
matrix product instead of one torchaudio call per clip (``tests/test_fbank.py``
checks every clip against ``kaldi.fbank`` and ``compute_deltas`` run on it alone).

Why ``fbank`` scores chance on the utterance-level tasks: after per-utterance CMVN
every dimension averages to zero over the clip. The KS/IC/SID/ER heads are
Linear -> mean pool -> Linear, and mean pooling commutes with the linear layers, so
the pooled vector is the same for every clip and all clips get the same prediction.
That is the published FBANK row (KS 8.63 %, IC 9.10 %). ``fbank_no_cmvn`` keeps the
clip's average spectrum and is the useful baseline.

Frames as s3prl's (``snip_edges=True``: a frame every 160 samples that fits whole in
the clip, ``1 + (n - 400) // 160`` of them), then padded with the clip's mean frame to
the contract's ``(n - 1) // 160 + 1`` (2 or 3 more): the frames s3prl computes are an
exact prefix and the clip's mean (the pooled input) is s3prl's (departure: the extra
frames at the end). CMVN runs in float64 and the output of ``fbank`` is float64, so its
per-clip means are zero to about 1e-17 (a float32 CMVN leaves about 1e-6, which a
long pooled training run learns from).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from upstreams.base import SAMPLE_RATE, Upstream, UpstreamOutput

NUM_MEL_BINS = 80
SHIFT = 160  # samples: 10 ms
WINDOW = 400  # samples: 25 ms
FFT_SIZE = 512  # the window rounded up to a power of two, as Kaldi does
PREEMPHASIS = 0.97
DELTA_WIN_LENGTH = 5


class Fbank(Upstream):
    """Kaldi fbank + delta + delta-delta (240 dims), per-utterance CMVN, one layer.

    Args:
        cmvn: normalise each dimension to zero mean and unit variance over the clip.
    """

    name = "fbank"
    downsample_rate = SHIFT
    num_layers = 1
    hidden_size = 3 * NUM_MEL_BINS
    min_samples = WINDOW
    departures = ("fbank frames are s3prl's (snip_edges=True) followed by 2 or 3 copies of the clip's mean frame, "
                  "to reach the contract's (n - 1) // 160 + 1 frames for n samples; the clip's mean is s3prl's",)

    def __init__(self, cmvn: bool = True, eps: float = 1e-10):
        super().__init__()
        from torchaudio.compliance import kaldi

        self.cmvn = cmvn
        self.eps = eps
        mel, _ = kaldi.get_mel_banks(NUM_MEL_BINS, FFT_SIZE, float(SAMPLE_RATE), 20.0, 0.0, 100.0, -500.0, 1.0)
        self.register_buffer("mel_banks", torch.nn.functional.pad(mel, (0, 1)).T.contiguous(), persistent=False)
        self.register_buffer("window", torch.hann_window(WINDOW, periodic=False).pow(0.85), persistent=False)

    def config(self) -> dict[str, Any]:
        return {"num_mel_bins": NUM_MEL_BINS, "frame_shift_samples": SHIFT, "frame_length_samples": WINDOW,
                "delta_win_length": DELTA_WIN_LENGTH, "snip_edges": True, "padded_with": "mean frame", "cmvn": self.cmvn, "eps": self.eps}

    def log_mel(self, wavs: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """``(batch, samples)`` and ``(batch,)`` valid samples (each >= 400) to log-mel ``(batch, frames, 80)``
        and ``(batch,)`` valid frames ``1 + (n - 400) // 160``.

        Kaldi's ``snip_edges=True`` framing: frame ``t`` is samples ``[160 t, 160 t + 400)``,
        so a valid frame never reaches the padding after its clip.
        """
        frames = (lengths - WINDOW) // SHIFT + 1
        x = wavs.unfold(1, WINDOW, SHIFT)  # (batch, frames, 400), a view
        x = x - x.mean(dim=-1, keepdim=True)
        emphasised = x.clone()
        emphasised[..., 1:] -= PREEMPHASIS * x[..., :-1]
        emphasised[..., 0] -= PREEMPHASIS * x[..., 0]
        spectrum = torch.fft.rfft(emphasised * self.window, n=FFT_SIZE)
        power = spectrum.real.square() + spectrum.imag.square()
        mel = torch.matmul(power, self.mel_banks)
        return mel.clamp_min(torch.finfo(mel.dtype).eps).log(), frames

    @staticmethod
    def _hold_last(x: Tensor, frames: Tensor) -> Tensor:
        """Repeat each clip's last valid frame over its padding: ``(batch, T, dim)``."""
        index = torch.minimum(torch.arange(x.shape[1], device=x.device)[None, :], frames[:, None] - 1)
        return x.gather(1, index[..., None].expand(-1, -1, x.shape[2]))

    def forward(self, wavs: Tensor, lengths: Tensor) -> UpstreamOutput:
        from torchaudio.functional import compute_deltas

        lengths = lengths.clamp_min(WINDOW)  # shorter clips: zero-padded to one window
        if wavs.shape[1] < WINDOW:
            wavs = torch.nn.functional.pad(wavs, (0, WINDOW - wavs.shape[1]))
        mel, frames = self.log_mel(wavs, lengths)
        # compute_deltas pads by repeating the edge frame: holding the last valid frame
        # over the padding makes each clip's deltas those of the clip alone
        mel = self._hold_last(mel, frames)
        delta = self._hold_last(compute_deltas(mel.transpose(1, 2), win_length=DELTA_WIN_LENGTH).transpose(1, 2),
                                frames)
        delta2 = compute_deltas(delta.transpose(1, 2), win_length=DELTA_WIN_LENGTH).transpose(1, 2)
        feats = torch.cat([mel, delta, delta2], dim=-1)
        valid = (torch.arange(feats.shape[1], device=feats.device)[None, :] < frames[:, None])[..., None]
        count = frames[:, None, None]
        if self.cmvn:  # in float64: the clip's mean becomes zero to about 1e-17
            feats = feats.double()
            mean = (feats * valid).sum(1, keepdim=True) / count
            var = ((feats - mean).pow(2) * valid).sum(1, keepdim=True) / (count - 1).clamp_min(1)
            feats = (feats - mean) / (self.eps + var.sqrt())
        mean = (feats * valid).sum(1, keepdim=True) / count
        # up to the contract's frame count with the clip's mean frame (zero after CMVN)
        total = self.expected_frames(lengths)
        feats = torch.nn.functional.pad(feats, (0, 0, 0, int(total.max()) - feats.shape[1]))
        steps = torch.arange(feats.shape[1])[None, :, None]
        feats = torch.where(steps < frames[:, None, None], feats, mean)
        return UpstreamOutput(layers=[feats * (steps < total[:, None, None])], lengths=total)


class FbankNoCmvn(Fbank):
    """:class:`Fbank` without per-utterance CMVN: the useful spectral baseline."""

    name = "fbank_no_cmvn"

    def __init__(self):
        super().__init__(cmvn=False)
