import pytest
import torch

from benchmark.features import FrameStore
from benchmark.standardizer import Standardizer, fit_standardizer


def test_statistics_are_over_valid_frames_only():
    torch.manual_seed(0)
    lengths = torch.tensor([7, 3, 12, 1, 9])
    flat = (torch.randn(int(lengths.sum()), 1, 4) * torch.tensor([1.0, 4.0, 0.5, 2.0]) - 7).half()
    store = FrameStore(flat, lengths)
    fitted = fit_standardizer(store.batch, len(lengths), transform=lambda x: x[:, :, 0])
    every = flat[:, 0].double()  # the padding zeros of each batch must not count
    torch.testing.assert_close(fitted.mean, every.mean(0).float())
    torch.testing.assert_close(fitted.std, every.std(0, unbiased=False).float())
    out = fitted(flat[:, 0].float())
    torch.testing.assert_close(out.mean(0), torch.zeros(4), atol=1e-5, rtol=0)
    torch.testing.assert_close(out.std(0, unbiased=False), torch.ones(4), atol=1e-5, rtol=0)


def test_batches_do_not_change_the_statistics(monkeypatch):
    lengths = torch.randint(1, 20, (150,))
    store = FrameStore(torch.randn(int(lengths.sum()), 1, 3).half(), lengths)
    whole = fit_standardizer(store.batch, 150, transform=lambda x: x[:, :, 0])
    monkeypatch.setattr("benchmark.standardizer.BATCH", 7)
    pieces = fit_standardizer(store.batch, 150, transform=lambda x: x[:, :, 0])
    torch.testing.assert_close(whole.mean, pieces.mean)
    torch.testing.assert_close(whole.std, pieces.std)


def test_a_constant_dimension_is_centred_not_divided_by_zero():
    standardizer = Standardizer(torch.tensor([3.0, 0.0]), torch.tensor([0.0, 2.0]))
    out = standardizer(torch.tensor([[3.0, 4.0]]))
    assert torch.isfinite(out).all() and out.tolist() == [[0.0, 2.0]]
    assert set(standardizer.state_dict()) == {"mean", "std"}  # saved with the model (checkpoints resume it)


def test_no_frames_is_an_error():
    store = FrameStore(torch.zeros(0, 1, 2).half(), torch.zeros(0, dtype=torch.long))
    with pytest.raises(ValueError):
        fit_standardizer(store.batch, 0)
