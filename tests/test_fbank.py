"""The fbank baselines: shapes, frame counts, and why CMVN + mean pooling scores chance."""

import torch

from upstreams.fbank import Fbank, FbankNoCmvn


def test_shapes_and_frame_counts_follow_the_contract():
    upstream = Fbank()
    assert (upstream.num_layers, upstream.hidden_size, upstream.downsample_rate) == (1, 240, 160)
    samples = torch.tensor([16000, 12345, 801, 100, 1])
    wavs = torch.randn(len(samples), 16000) * 0.1
    out = upstream(wavs, samples)
    assert len(out.layers) == 1 and out.layers[0].shape == (5, 100, 240)
    assert (out.lengths - upstream.expected_frames(samples)).abs().max() <= 1
    assert torch.isfinite(out.layers[0]).all()


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
