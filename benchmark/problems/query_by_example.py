"""Query-by-example spoken term detection (QbE): DTW on frozen features, no training.

SUPERB's protocol (s3prl's ``quesst14_dtw``), run on each upstream layer:

1. every feature dimension is standardised over all frames of the query set and
   the collection (mean 0, standard deviation 1);
2. the frame cost is ``exp(cosine distance) - 1``;
3. subsequence DTW (:mod:`benchmark.dtw`) gives a distance per (query, document);
4. the score is ``-distance``, standardised over the documents of each query;
   queries shorter than 5 frames score 0 everywhere;
5. MTWV on dev picks the layer, whose test MTWV is the result. ``--featurizer last``
   or ``layer:N`` searches only that layer.

``mtwv`` is SUPERB's number (:func:`benchmark.metrics.mtwv_all_trials`): the English
scores evaluated over every trial of the multilingual query set and collection, the
unscored ones at -10, as s3prl's call of the QUESST scoring tool does;
``mtwv_english`` is MTWV over the English trials alone (:func:`benchmark.metrics.mtwv`).

Splits come from :mod:`benchmark.corpora.loaders.quesst14`: ``dev`` and ``test`` are query
sets whose labels list the documents that contain them, ``documents`` the collection.
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import Tensor

from benchmark.corpora.loaders.quesst14 import DOCUMENTS, Trials, load_trials
from benchmark.dtw import match_documents
from benchmark.errors import CorpusError
from benchmark.featurizer import parse_mode
from benchmark.features import SplitFeatures
from benchmark.metrics import METRICS, mtwv_all_trials
from benchmark.problems import RunContext, Scored

MIN_QUERY_FRAMES = 5
BLOCK_CELLS = 1 << 24
"""Query frames x document frames per cost block (64 MB of float32)."""
READ_CHUNK = 64  # utterances read from the feature store at once
EPS = 1e-9


def layer_frames(feats: SplitFeatures, layer: int) -> list[Tensor]:
    """Every utterance's frames of one layer, ``(frames, dim)`` float32, in corpus order."""
    out = []
    for start in range(0, len(feats.lengths), READ_CHUNK):
        frames, lengths = feats.frames.batch(torch.arange(start, min(start + READ_CHUNK, len(feats.lengths))))
        out += [frames[b, :n, layer].clone() for b, n in enumerate(lengths.tolist())]
    return out


def _blocks(lengths: list[int], budget: int) -> list[tuple[int, int]]:
    """Consecutive documents ``[first, last)`` whose frames add up to at most ``budget`` (one at least)."""
    blocks, first, total = [], 0, 0
    for i, n in enumerate(lengths):
        if i > first and total + n > budget:
            blocks.append((first, i))
            first, total = i, 0
        total += n
    blocks.append((first, len(lengths)))
    return blocks


def search(queries: list[Tensor], documents: list[Tensor]) -> np.ndarray:
    """``(queries, documents)`` detection scores (steps 1-4 of the module docstring)."""
    every = torch.cat([*queries, *documents])
    mean, std = every.mean(0), every.std(0).clamp_min(EPS)

    def unit_rows(x: Tensor) -> Tensor:
        x = (x - mean) / std
        return x / x.norm(dim=1, keepdim=True).clamp_min(EPS)

    lengths = [len(d) for d in documents]
    ends = np.cumsum(lengths)
    starts = ends - lengths
    collection = unit_rows(torch.cat(documents))
    scores = np.zeros((len(queries), len(documents)))
    for q, query in enumerate(queries):
        if len(query) < MIN_QUERY_FRAMES:
            continue
        query = unit_rows(query)
        distances = []
        for first, last in _blocks(lengths, max(1, BLOCK_CELLS // len(query))):
            columns = slice(int(starts[first]), int(ends[last - 1]))
            cost = torch.expm1(1 - query @ collection[columns].T).numpy()
            offset = starts[first]
            distances.append(match_documents(cost, starts[first:last] - offset, ends[first:last] - offset))
        score = -np.concatenate(distances)
        scores[q] = (score - score.mean()) / max(score.std(), EPS)
    return scores


def truth_matrix(queries: list, documents: list) -> np.ndarray:
    """``(queries, documents)`` bool: the document's ``uid`` is in the query's label."""
    column = {d.uid: j for j, d in enumerate(documents)}
    truth = np.zeros((len(queries), len(documents)), dtype=bool)
    for i, query in enumerate(queries):
        truth[i, [column[uid] for uid in query.label]] = True
    return truth


def superb_mtwv(scores: np.ndarray, queries: list, documents: list, trials: Trials) -> float:
    """MTWV of the ``(queries, documents)`` scores over every trial of ``trials`` (SUPERB's QbE number)."""
    row = {uid: i for i, uid in enumerate(trials.queries)}
    column = {uid: j for j, uid in enumerate(trials.documents)}
    truth = np.zeros((len(row), len(column)), dtype=bool)
    for query, docs in trials.truth.items():
        truth[row[query], [column[d] for d in docs]] = True
    return mtwv_all_trials(scores, truth, [row[q.uid] for q in queries], [column[d.uid] for d in documents])


def score(ctx: RunContext) -> Scored:
    """Search dev on every layer, pick the best dev MTWV, search test on that layer."""
    start = time.perf_counter()
    splits, features = ctx.splits, ctx.features
    truth = {split: truth_matrix(splits[split], splits[DOCUMENTS]) for split in ("dev", "test")}
    for split, matrix in truth.items():
        if not matrix.any():
            raise CorpusError(f"no {split} query occurs in any document ({splits[split][0].path.parent}); "
                              f"check the corpus ground truth")
    fixed = parse_mode(ctx.config["featurizer"], ctx.upstream.num_layers)
    layers = list(range(ctx.upstream.num_layers)) if fixed is None else [fixed]
    trials = {split: load_trials(ctx.corpus_root, split) for split in ("dev", "test")}

    def metrics_of(split: str, scores: np.ndarray) -> dict[str, float]:
        return {"mtwv": superb_mtwv(scores, splits[split], splits[DOCUMENTS], trials[split]),
                "mtwv_english": METRICS["mtwv"](scores, truth[split]),
                "min_cnxe": METRICS["min_cnxe"](scores, truth[split])}

    dev_mtwv, dev_scores = {}, {}
    for layer in layers:
        documents = layer_frames(features[DOCUMENTS], layer)
        dev_scores[layer] = search(layer_frames(features["dev"], layer), documents)
        dev_mtwv[layer] = superb_mtwv(dev_scores[layer], splits["dev"], splits[DOCUMENTS], trials["dev"])
    best = max(layers, key=lambda layer: (dev_mtwv[layer], -layer))
    test_scores = search(layer_frames(features["test"], best), layer_frames(features[DOCUMENTS], best))
    metrics = {"dev": metrics_of("dev", dev_scores[best]), "test": metrics_of("test", test_scores)}
    pairs = (len(layers) * len(splits["dev"]) + len(splits["test"])) * len(splits[DOCUMENTS])
    seconds = time.perf_counter() - start
    return Scored(metrics=metrics, layer_weights=[float(layer == best) for layer in range(ctx.upstream.num_layers)],
                  test_seconds=seconds,
                  extra={"qbe": {"best_layer": best, "dev_mtwv_per_layer": {str(k): v for k, v in dev_mtwv.items()},
                                 "pairs_searched": pairs, "search_seconds": round(seconds, 3)}})
