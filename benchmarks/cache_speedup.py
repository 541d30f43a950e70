"""Training steps per second with the feature cache vs running the upstream every step.

Keyword spotting with fbank_no_cmvn on the synthetic Speech Commands tree (or --data):
the same frame-path training steps (Linear -> mean pool -> Linear, batch 32) fed from
the cache (frames gathered from memory) and from the upstream run on every batch (what
s3prl does), plus the pooled path; prints steps per second and the ratios.

    python benchmarks/cache_speedup.py [--data PATH] [--steps 200]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()

    import numpy as np
    import torch

    from benchmark.cache import FeatureCache
    from benchmark.corpora.loaders.speech_commands import load_speech_commands
    from benchmark.corpora.synthetic.speech_commands import ensure_synthetic_speech_commands
    from benchmark.featurizer import Featurizer
    from benchmark.features import StreamingFrames, hash_utterances, load_features
    from benchmark.optim import Adam
    from benchmark.problems.utterance_classification import UtteranceClassifier
    from downstreams.mean_pool_linear import MeanPoolLinear
    from upstreams.fbank import FbankNoCmvn

    root = args.data or ensure_synthetic_speech_commands()
    train = load_speech_commands(root)["train"]
    labels = sorted({u.label for u in train})
    targets = torch.tensor([labels.index(u.label) for u in train])
    upstream = FbankNoCmvn()
    with tempfile.TemporaryDirectory() as tmp:
        keys = {"train": hash_utterances(train)}
        start = time.perf_counter()
        feats = load_features(upstream, FeatureCache(Path(tmp), upstream.identity()), {"train": train}, keys,
                              need_frames=True, cache_frames=True)["train"]
        print(f"filling the cache: {time.perf_counter() - start:.1f} s for {len(train)} clips")
    batches = torch.from_numpy(np.random.default_rng(0).integers(0, len(train), (args.steps, 32)))
    sources = {"upstream every step (no cache)": StreamingFrames(upstream, train),
               "cached frames": feats.frames, "cached pooled means": None}
    rates = {}
    for name, source in sources.items():
        torch.manual_seed(0)
        model = UtteranceClassifier(Featurizer(1), MeanPoolLinear(240, len(labels)))
        opt = Adam(model.parameters(), lr=1e-4)
        start = time.perf_counter()
        for index in batches:
            logits = model.pooled_logits(feats.pooled[index]) if source is None else \
                model.frame_logits(*source.batch(index))
            loss = torch.nn.functional.cross_entropy(logits, targets[index])
            opt.zero_grad()
            loss.backward()
            opt.step()
        rates[name] = args.steps / (time.perf_counter() - start)
    slow = rates["upstream every step (no cache)"]
    print("| feature source | steps/s | x upstream every step |\n|---|---|---|")
    for name, rate in rates.items():
        print(f"| {name} | {rate:.1f} | {rate / slow:.1f} |")


if __name__ == "__main__":
    main()
