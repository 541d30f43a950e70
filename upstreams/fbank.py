"""The SUPERB FBANK baseline: Kaldi log-mel filterbanks with deltas, as one layer.

80 mel bins from 25 ms windows every 10 ms (torchaudio's Kaldi-compatible
``fbank``), plus delta and delta-delta (window 5): 240 dims, stride 160 samples.
``fbank`` then applies per-utterance CMVN (zero mean, unit variance per dimension
over the clip), exactly as s3prl's baseline; ``fbank_no_cmvn`` does not.

Why ``fbank`` scores chance on the utterance-level tasks: after per-utterance CMVN
every dimension averages to zero over the clip. The KS/IC/SID/ER heads are
Linear -> mean pool -> Linear, and mean pooling commutes with the linear layers, so
the pooled vector is the first layer's bias for every clip and all clips get the
same prediction. That is the published FBANK row (KS 8.63 %, IC 9.10 %).
``fbank_no_cmvn`` keeps the clip's average spectrum and is the useful baseline.

Departure from s3prl: frames are computed with ``snip_edges=False`` so a clip of
``n`` samples gives ``round(n / 160)`` frames, within one frame of the contract's
``(n - 1) // 160 + 1`` (s3prl's ``snip_edges=True`` drops the last 2 frames and
gives no frame at all for clips under 25 ms).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from benchmark.threads import torch_threads
from upstreams.base import SAMPLE_RATE, Upstream, UpstreamOutput

NUM_MEL_BINS = 80
FRAME_SHIFT_MS = 10.0
FRAME_LENGTH_MS = 25.0
DELTA_WIN_LENGTH = 5


class Fbank(Upstream):
    """Kaldi fbank + delta + delta-delta (240 dims), per-utterance CMVN, one layer.

    Args:
        cmvn: normalise each dimension to zero mean and unit variance over the clip.
    """

    name = "fbank"
    downsample_rate = int(SAMPLE_RATE * FRAME_SHIFT_MS / 1000)  # 160 samples = 10 ms
    num_layers = 1
    hidden_size = 3 * NUM_MEL_BINS
    departures = ("fbank frames use snip_edges=False (s3prl: True): round(n / 160) frames for n samples, "
                  "within one of the contract's (n - 1) // 160 + 1",)

    def __init__(self, cmvn: bool = True, eps: float = 1e-10):
        super().__init__()
        self.cmvn = cmvn
        self.eps = eps

    def config(self) -> dict[str, Any]:
        return {"num_mel_bins": NUM_MEL_BINS, "frame_shift_ms": FRAME_SHIFT_MS,
                "frame_length_ms": FRAME_LENGTH_MS, "delta_win_length": DELTA_WIN_LENGTH,
                "snip_edges": False, "cmvn": self.cmvn, "eps": self.eps}

    def features(self, wav: Tensor) -> Tensor:
        """One clip ``(samples,)`` at 16 kHz to ``(frames, 240)``, ``frames = max(1, round(samples / 160))``.

        Clips shorter than one 25 ms window are zero-padded to it first.
        """
        from torchaudio.compliance import kaldi
        from torchaudio.functional import compute_deltas

        num_samples = wav.shape[-1]
        window = int(SAMPLE_RATE * FRAME_LENGTH_MS / 1000)
        if num_samples < window:
            wav = torch.nn.functional.pad(wav, (0, window - num_samples))
        mel = kaldi.fbank(wav.view(1, -1), num_mel_bins=NUM_MEL_BINS, frame_shift=FRAME_SHIFT_MS,
                          frame_length=FRAME_LENGTH_MS, sample_frequency=SAMPLE_RATE,
                          snip_edges=False)
        mel = mel[:max(1, (num_samples + self.downsample_rate // 2) // self.downsample_rate)]
        delta = compute_deltas(mel.T, win_length=DELTA_WIN_LENGTH)
        delta2 = compute_deltas(delta, win_length=DELTA_WIN_LENGTH)
        feats = torch.cat([mel, delta.T, delta2.T], dim=-1)
        if self.cmvn:
            std = feats.std(dim=0, keepdim=True) if len(feats) > 1 else torch.zeros_like(feats)
            feats = (feats - feats.mean(dim=0, keepdim=True)) / (self.eps + std)
        return feats

    def forward(self, wavs: Tensor, lengths: Tensor) -> UpstreamOutput:
        with torch_threads(1):  # per-clip Kaldi ops are too small for intra-op threads
            feats = [self.features(wav[:length]) for wav, length in zip(wavs, lengths.tolist())]
        frame_lengths = torch.tensor([len(f) for f in feats], dtype=torch.long)
        padded = torch.nn.utils.rnn.pad_sequence(feats, batch_first=True)
        return UpstreamOutput(layers=[padded], lengths=frame_lengths)


class FbankNoCmvn(Fbank):
    """:class:`Fbank` without per-utterance CMVN: the useful spectral baseline."""

    name = "fbank_no_cmvn"

    def __init__(self):
        super().__init__(cmvn=False)
