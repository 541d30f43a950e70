"""The pooled path is the frame path, cheaper: same logits, loss, gradients and trained head."""


import numpy as np
import torch

from benchmark.featurizer import Featurizer
from benchmark.features import FrameStore
from benchmark.problems.utterance_classification import UtteranceClassifier
from benchmark.training import TrainSettings, train
from downstreams.mean_pool_linear import MeanPoolLinear

LAYERS, DIM, CLASSES = 3, 16, 5


def make_data(n=40, seed=0):
    gen = torch.Generator().manual_seed(seed)
    lengths = torch.randint(3, 30, (n,), generator=gen)
    flat = torch.randn(int(lengths.sum()), LAYERS, DIM, generator=gen) + torch.randn(LAYERS, DIM, generator=gen)
    labels = torch.randint(0, CLASSES, (n,), generator=gen)
    offsets = torch.cumsum(lengths, 0) - lengths
    pooled = torch.stack([flat[o:o + n_].mean(0) for o, n_ in zip(offsets.tolist(), lengths.tolist())])
    return FrameStore(flat, lengths), pooled, labels


def make_model(seed=0):
    torch.manual_seed(seed)
    model = UtteranceClassifier(Featurizer(LAYERS), MeanPoolLinear(DIM, CLASSES, hidden=8))
    with torch.no_grad():
        model.featurizer.weights.copy_(torch.tensor([0.3, -0.2, 0.5]))
    return model


def test_same_logits_loss_and_gradients_on_a_batch():
    store, pooled, labels = make_data()
    index = torch.tensor([3, 0, 17, 17, 25, 39])
    frame_model, pooled_model = make_model(), make_model()
    frames, lengths = store.batch(index)
    assert frames.shape == (6, int(lengths.max()), LAYERS, DIM)
    frame_logits = frame_model.frame_logits(frames, lengths)
    pooled_logits = pooled_model.pooled_logits(pooled[index])
    torch.testing.assert_close(frame_logits, pooled_logits, atol=1e-5, rtol=1e-5)
    frame_loss = torch.nn.functional.cross_entropy(frame_logits, labels[index])
    pooled_loss = torch.nn.functional.cross_entropy(pooled_logits, labels[index])
    torch.testing.assert_close(frame_loss, pooled_loss, atol=1e-5, rtol=1e-5)
    frame_loss.backward()
    pooled_loss.backward()
    for (name, a), b in zip(frame_model.named_parameters(), pooled_model.parameters()):
        torch.testing.assert_close(a.grad, b.grad, atol=1e-5, rtol=1e-4, msg=name)


def test_padding_does_not_change_frame_logits():
    store, pooled, _ = make_data()
    model = make_model()
    alone = model.frame_logits(*store.batch(torch.tensor([5])))
    padded = model.frame_logits(*store.batch(torch.tensor([5, 12, 30])))[:1]
    torch.testing.assert_close(alone, padded, atol=1e-6, rtol=1e-6)


def test_same_trained_head_after_50_steps(tmp_path):
    """Tolerance 1e-4 on every parameter after 50 Adam steps at lr 1e-2 (float32 rounding only)."""
    store, pooled, labels = make_data()
    settings = TrainSettings("Adam", 1e-2, 8, 1, 50, 25, 0)
    batches = np.random.default_rng(0).integers(0, len(labels), (50, 8))
    frame_model, pooled_model = make_model(), make_model()

    def frame_loss(index):
        return torch.nn.functional.cross_entropy(frame_model.frame_logits(*store.batch(index)), labels[index])

    def pooled_loss(index):
        return torch.nn.functional.cross_entropy(pooled_model.pooled_logits(pooled[index]), labels[index])

    train(frame_model, frame_loss, lambda: 0.0, batches, settings, True, tmp_path / "f.pt", progress=False)
    train(pooled_model, pooled_loss, lambda: 0.0, batches, settings, True, tmp_path / "p.pt", progress=False)
    for (name, a), b in zip(frame_model.state_dict().items(), pooled_model.state_dict().values()):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4, msg=name)
    assert not torch.equal(frame_model.head.projector.weight, make_model().head.projector.weight)


def test_fbank_stays_at_chance_however_long_it_trains(tiny_sc, tmp_path):
    """CMVN'd pooled means are zero to ~1e-17, so even a long run at 100x the recipe's lr predicts one class."""
    from benchmark.runner import RunRequest, run

    result = run(RunRequest(upstream="fbank", task="ks", data=tiny_sc, steps=1000, lr=1e-2, out=tmp_path,
                            cache_dir=tmp_path / "cache", progress=False)).result
    assert result["config"]["path"] == "pooled"
    from collections import Counter

    from benchmark.corpora import CORPUS_FORMATS

    splits = CORPUS_FORMATS["speech_commands_v0.01"].load(tiny_sc)
    shares = {split: {n / len(utts) for n in Counter(u.label for u in utts).values()} for split, utts in splits.items()}
    assert all(h["dev"] in shares["dev"] for h in result["training"]["history"])  # one class for every clip
    assert result["metrics"]["test"]["accuracy"] in shares["test"]
