"""``random_init``: the architecture of a named upstream with seeded random weights, nothing downloaded."""

import pytest
import torch

from benchmark.errors import UserError
from test_ssl_upstreams import hub_dir, tiny_bundle  # noqa: F401 (fixture)
from tiny_upstreams import encode, single_thread  # noqa: F401 (autouse)
from upstreams import build_upstream
from upstreams.torchaudio_ssl import BUNDLES


def test_whisper_encoder_of_a_size_without_download(tmp_path):
    upstream = build_upstream("whisper_encoder", size="tiny", random_init=True, download_root=str(tmp_path))
    assert list(tmp_path.iterdir()) == []  # nothing fetched
    assert upstream.display_name() == "whisper_encoder-tiny (random init)"
    assert (upstream.num_layers, upstream.hidden_size) == (5, 384)
    assert upstream.config()["random_init_seed"] == 0 and upstream.origin["random_init_seed"] == 0
    again = build_upstream("whisper_encoder", size="tiny", random_init=True)
    seeded = build_upstream("whisper_encoder", size="tiny", random_init=1)
    assert upstream.identity() == again.identity() != seeded.identity()
    assert seeded.display_name() == "whisper_encoder-tiny (random init, seed 1)"
    out = encode(upstream, [torch.randn(3_200)])
    assert out.lengths.tolist() == [10] and all(torch.isfinite(layer).all() for layer in out.layers)


def test_bad_random_init_values_are_one_line(tmp_path):
    with pytest.raises(UserError, match="random_init=true .seed 0. or random_init=SEED"):
        build_upstream("whisper_encoder", size="tiny", random_init="yes")
    with pytest.raises(UserError, match="drop --upstream-ckpt"):
        build_upstream("whisper_encoder", ckpt=str(tmp_path / "x.pt"), random_init=True)
    with pytest.raises(UserError, match="Did you mean: tiny"):
        build_upstream("whisper_encoder", size="tinyy", random_init=True)


@pytest.mark.parametrize("model", sorted(BUNDLES))
def test_every_torchaudio_bundle_architecture(model, monkeypatch, hub_dir):
    tiny_bundle(monkeypatch, model)
    upstream = build_upstream(model, random_init=True)
    assert not hub_dir.exists() or not any(hub_dir.rglob("*.pt*"))  # nothing downloaded
    assert upstream.display_name() == f"{model} (random init)" and upstream.config()["random_init_seed"] == 0
    assert upstream.identity() == build_upstream(model, random_init=True).identity()
    assert upstream.identity() != build_upstream(model, random_init=2).identity()
    assert encode(upstream, [torch.randn(16_000)]).lengths.tolist() == [49]
