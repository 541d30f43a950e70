"""The fbank baselines: faithful to torchaudio's Kaldi fbank, contract, and why CMVN + mean pool is chance."""

import pytest
import torch
from torchaudio.compliance import kaldi
from torchaudio.functional import compute_deltas

from upstreams.fbank import Fbank, FbankNoCmvn


def reference(wav: torch.Tensor, cmvn: bool) -> torch.Tensor:
    """s3prl's baseline on one clip: torchaudio kaldi.fbank (its default snip_edges=True), deltas, CMVN."""
    mel = kaldi.fbank(wav[None], num_mel_bins=80, frame_length=25.0, frame_shift=10.0)
    d1 = compute_deltas(mel.T, win_length=5)
    d2 = compute_deltas(d1, win_length=5)
    x = torch.cat([mel, d1.T, d2.T], dim=-1)
    if cmvn:
        std = x.std(0, keepdim=True) if len(x) > 1 else torch.zeros_like(x)  # one frame: 0, not NaN
        x = (x - x.mean(0, keepdim=True)) / (1e-10 + std)
    return x


@pytest.mark.parametrize("cls,cmvn", [(Fbank, True), (FbankNoCmvn, False)])
def test_batched_features_equal_torchaudio_per_clip(cls, cmvn):
    torch.manual_seed(0)
    lengths = torch.tensor([16000, 12345, 4001, 400, 1760])
    wavs = torch.randn(len(lengths), 16000) * torch.tensor([[0.1], [0.5], [0.01], [0.2], [1.0]])
    wavs[torch.arange(16000)[None, :] >= lengths[:, None]] = 0
    out = cls()(wavs, lengths)
    for i, n in enumerate(lengths.tolist()):
        expected = reference(wavs[i, :n], cmvn)
        frames = out.layers[0][i].float()
        assert int(out.lengths[i]) == (n - 1) // 160 + 1  # s3prl's frames, then the mean frame up to the contract's
        torch.testing.assert_close(frames[:len(expected)], expected, atol=2e-3, rtol=1e-3)
        torch.testing.assert_close(frames[len(expected):int(out.lengths[i])],
                                   expected.mean(0).expand(int(out.lengths[i]) - len(expected), -1), atol=2e-3, rtol=1e-3)
        torch.testing.assert_close(frames[:int(out.lengths[i])].mean(0), expected.mean(0), atol=2e-3, rtol=1e-3)
        assert torch.all(frames[int(out.lengths[i]):] == 0)


def test_shapes_and_frame_counts_follow_the_contract():
    upstream = Fbank()
    assert (upstream.num_layers, upstream.hidden_size, upstream.downsample_rate) == (1, 240, 160)
    samples = torch.tensor([16000, 12345, 801, 400])
    out = upstream(torch.randn(len(samples), 16000) * 0.1, samples)
    assert len(out.layers) == 1 and out.layers[0].shape == (4, 100, 240)
    assert torch.equal(out.lengths, upstream.expected_frames(samples))
    assert torch.isfinite(out.layers[0]).all()
    short = upstream(torch.randn(1, 50), torch.tensor([50]))  # under one window: padded to 400 samples
    assert short.lengths.tolist() == [3] and torch.isfinite(short.layers[0]).all()


def test_padding_does_not_change_features():
    upstream = FbankNoCmvn()
    wav = torch.randn(8000) * 0.1
    alone = upstream(wav[None], torch.tensor([8000]))
    batch = torch.zeros(2, 16000)
    batch[0, :8000] = wav
    batch[1] = torch.randn(16000)
    padded = upstream(batch, torch.tensor([8000, 16000]))
    torch.testing.assert_close(padded.layers[0][0, :alone.lengths[0]], alone.layers[0][0])


def test_cmvn_makes_every_clip_pool_to_the_same_vector():
    """Per-utterance CMVN zeroes each dimension's mean: Linear -> mean pool sees one vector for all clips."""
    torch.manual_seed(0)
    wavs = torch.randn(3, 16000) * torch.tensor([[0.01], [0.3], [1.0]])
    lengths = torch.tensor([16000, 9000, 12000])
    cmvn = Fbank()(wavs, lengths)
    means = torch.stack([cmvn.layers[0][i, :n].mean(0) for i, n in enumerate(cmvn.lengths)])
    torch.testing.assert_close(means, torch.zeros_like(means), atol=1e-5, rtol=0)
    raw = FbankNoCmvn()(wavs, lengths)
    raw_means = torch.stack([raw.layers[0][i, :n].mean(0) for i, n in enumerate(raw.lengths)])
    assert (raw_means[0] - raw_means[2]).abs().max() > 1.0


def test_identity_separates_the_two_baselines():
    assert Fbank().identity() != FbankNoCmvn().identity()
    assert Fbank().identity() == Fbank().identity()
    assert Fbank().identity().startswith("fbank-")
