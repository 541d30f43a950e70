"""The example upstream of docs/upstream-contract.md runs through the harness as written."""

import re

import torch

from benchmark.cache import FeatureCache
from benchmark.features import hash_utterances, load_features
from conftest import REPO


def doc_example() -> type:
    text = (REPO / "docs" / "upstream-contract.md").read_text()
    code = re.search(r"## A complete upstream in 20 lines\n\n```python\n(.*?)```", text, re.S).group(1)
    assert len(code.strip().splitlines()) <= 22
    namespace: dict = {}
    exec(compile(code, "upstream-contract.md", "exec"), namespace)
    return namespace["FramedEnergy"]


def test_doc_example_honours_the_contract_and_extracts(tiny_sc, tmp_path):
    from benchmark.corpora.loaders.speech_commands import load_speech_commands

    upstream = doc_example()()
    samples = torch.tensor([16000, 3201, 320, 1])
    out = upstream(torch.randn(4, 16000), samples)
    assert len(out.layers) == upstream.num_layers
    assert {tuple(layer.shape) for layer in out.layers} == {(4, 50, 1)}
    assert torch.equal(out.lengths, upstream.expected_frames(samples))
    splits = {k: v[:10] for k, v in load_speech_commands(tiny_sc).items()}
    keys = {k: hash_utterances(v, progress=False) for k, v in splits.items()}
    feats = load_features(upstream, FeatureCache(tmp_path, upstream.identity()), splits, keys,
                          need_frames=True, cache_frames=True, progress=False)
    assert feats["train"].pooled.shape == (10, 2, 1)
    assert torch.isfinite(feats["dev"].pooled).all()
