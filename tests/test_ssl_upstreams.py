"""wav2vec 2.0 / HuBERT / WavLM from torchaudio bundles, on tiny random models loaded as real weights are."""

import dataclasses

import pytest
import torch
import torchaudio.pipelines

from benchmark.check import check_upstream, failed_checks
from benchmark.errors import UserError
from tiny_upstreams import encode, save_tiny_ssl, single_thread, tiny_ssl_model, tiny_ssl_params  # noqa: F401
from upstreams import build_upstream
from upstreams.torchaudio_ssl import BUNDLES

SAMPLES = [1, 399, 400, 1_600, 16_000, 16_079, 16_080, 48_000]


@pytest.fixture
def hub_dir(tmp_path):
    """torch.hub's cache in a temporary folder (restored afterwards)."""
    previous = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path / "hub"))
    yield tmp_path / "hub"
    torch.hub.set_dir(previous)


def tiny_bundle(monkeypatch, model):
    """Make the bundle of ``model`` build the tiny architecture (its weights URL and options unchanged)."""
    name = BUNDLES[model]
    bundle = getattr(torchaudio.pipelines, name)
    tiny = dataclasses.replace(bundle, _params={**bundle._params, **tiny_ssl_params(model)})
    monkeypatch.setattr(torchaudio.pipelines, name, tiny)
    return tiny


@pytest.mark.parametrize("model", sorted(BUNDLES))
def test_each_architecture_from_a_checkpoint(model, tmp_path):
    upstream = build_upstream(model, ckpt=str(save_tiny_ssl(model, tmp_path / f"{model}.pt")))
    assert upstream.num_layers == 3 and upstream.hidden_size == 32 and upstream.downsample_rate == 320
    assert upstream.model.encoder.transformer.layer_drop == 0.0 and not upstream.training
    assert upstream.display_name() == f"{model}-{model}"
    out = encode(upstream, [0.1 * torch.randn(n, generator=torch.Generator().manual_seed(n)) for n in SAMPLES])
    assert {tuple(layer.shape) for layer in out.layers} == {(len(SAMPLES), 149, 32)}
    contract = [(n - 1) // 320 + 1 for n in SAMPLES]
    assert out.lengths.tolist() == [max(1, c - 1) for c in contract]  # within one frame, never two
    results = check_upstream(upstream, quick=True)
    assert not failed_checks(results), results


@pytest.mark.parametrize("model", ["hubert_base", "wavlm_large"])
def test_layers_are_torchaudios_own_on_a_single_clip(model, tmp_path):
    upstream = build_upstream(model, ckpt=str(save_tiny_ssl(model, tmp_path / "tiny.pt")))
    reference = tiny_ssl_model(model).eval()  # same seed, same weights
    clip = 0.1 * torch.randn(16_080, generator=torch.Generator().manual_seed(3))  # needs no padding
    normalised = torch.nn.functional.layer_norm(clip, clip.shape) if upstream.normalize_waveform else clip
    transformer = reference.encoder.transformer
    with torch.inference_mode():
        theirs, _ = reference.extract_features(normalised[None])
        if not transformer.layer_norm_first:  # pre-norm (Large): the last layer gets the final layer norm
            theirs[-1] = transformer.layer_norm(theirs[-1])
    ours = encode(upstream, [clip]).layers
    assert len(ours) == len(theirs) + 1
    for a, b in zip(ours[1:], theirs):
        torch.testing.assert_close(a, b)
    if upstream.normalize_waveform:  # each clip is normalised on its own: loudness does not matter
        for a, b in zip(encode(upstream, [10 * clip]).layers, ours):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


def test_bundle_weights_load_through_torch_hub_cache(monkeypatch, hub_dir):
    (hub_dir / "checkpoints").mkdir(parents=True)
    for model in ("hubert_base", "wavlm_large"):
        bundle = tiny_bundle(monkeypatch, model)
        cached = hub_dir / "checkpoints" / bundle._path
        torch.save(tiny_ssl_model(model, seed=4).state_dict(), cached)
        upstream = build_upstream(model)  # bundle.get_model() finds the file where torch.hub caches it
        assert upstream.display_name() == model and upstream.num_layers == 3
        plain = build_upstream(model, ckpt=str(cached))  # a plain state dict of the bundle's architecture
        assert plain.identity() == upstream.identity()  # same weights either way: one feature cache
        clip = 0.1 * torch.randn(8_000, generator=torch.Generator().manual_seed(5))
        for a, b in zip(encode(upstream, [clip]).layers, encode(plain, [clip]).layers):
            torch.testing.assert_close(a, b)


def test_offline_and_wrong_checkpoints_are_one_clear_line(hub_dir, tmp_path):
    with pytest.raises(UserError) as err:
        build_upstream("wavlm_base_plus")
    message = str(err.value)
    assert "https://download.pytorch.org/torchaudio/models/wavlm_base_plus.pth" in message
    assert str(hub_dir / "checkpoints" / "wavlm_base_plus.pth") in message and "\n" not in message
    wrong = save_tiny_ssl("hubert_base", tmp_path / "hubert.pt")
    with pytest.raises(UserError, match="wavlm_model"):
        build_upstream("wavlm_base", ckpt=str(wrong))
    with pytest.raises(UserError, match="does not exist"):
        build_upstream("wavlm_base", ckpt=str(tmp_path / "missing.pt"))
