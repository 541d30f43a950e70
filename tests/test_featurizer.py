"""Featurizer maths: softmax weighted sum, fixed layers, layer norm, gradients."""

import pytest
import torch

from benchmark.errors import UserError
from benchmark.featurizer import Featurizer


def test_weighted_sum_starts_uniform_and_matches_manual_sum():
    torch.manual_seed(0)
    layers = torch.randn(2, 5, 4, 3)  # (batch, frames, layers, dim)
    featurizer = Featurizer(4)
    assert featurizer.layer_weights() == pytest.approx([0.25] * 4)
    torch.testing.assert_close(featurizer(layers), layers.mean(dim=2))
    with torch.no_grad():
        featurizer.weights.copy_(torch.tensor([0.0, 1.0, 2.0, -1.0]))
    w = torch.softmax(torch.tensor([0.0, 1.0, 2.0, -1.0]), 0)
    expected = sum(w[i] * layers[:, :, i] for i in range(4))
    torch.testing.assert_close(featurizer(layers), expected)
    assert sum(featurizer.layer_weights()) == pytest.approx(1.0)


def test_weights_receive_gradients():
    featurizer = Featurizer(3)
    layers = torch.randn(4, 3, 2)
    (featurizer(layers) * torch.tensor([1.0, -2.0])).sum().backward()
    assert featurizer.weights.grad is not None and featurizer.weights.grad.abs().sum() > 0


def test_last_and_fixed_layer():
    layers = torch.randn(2, 3, 5)
    torch.testing.assert_close(Featurizer(3, "last")(layers), layers[:, 2])
    torch.testing.assert_close(Featurizer(3, "layer:1")(layers), layers[:, 1])
    assert Featurizer(3, "layer:0").layer_weights() == [1.0, 0.0, 0.0]
    assert not list(Featurizer(3, "last").parameters())


@pytest.mark.parametrize("mode", ["layer:3", "layer:-1", "layer:x", "middle"])
def test_bad_modes_are_user_errors(mode):
    with pytest.raises(UserError, match="featurizer"):
        Featurizer(3, mode)


def test_layer_norm_normalises_each_layer_and_is_not_linear():
    layers = torch.randn(2, 3, 8) * 5 + 3
    out = Featurizer(3, "layer:2", layer_norm=True)(layers)
    torch.testing.assert_close(out.mean(-1), torch.zeros(2), atol=1e-5, rtol=0)
    assert not Featurizer(3, layer_norm=True).is_linear
    assert Featurizer(3).is_linear


def test_wrong_layer_count_is_refused():
    with pytest.raises(ValueError, match="expected 3 layers"):
        Featurizer(3)(torch.randn(2, 4, 5))


def test_single_layer_passes_through_without_input_gradient():
    """One layer: its softmax weight is exactly 1, so the layer passes through unchanged
    and the frame path needs no gradient with respect to its input."""
    layers = torch.randn(4, 7, 1, 5)
    featurizer = Featurizer(1)
    out = featurizer(layers)
    assert torch.equal(out, layers[:, :, 0])
    assert not out.requires_grad
    assert featurizer.layer_weights() == [1.0]
    normed = Featurizer(1, layer_norm=True)(layers)
    torch.testing.assert_close(normed, torch.nn.functional.layer_norm(layers[:, :, 0], (5,)))
