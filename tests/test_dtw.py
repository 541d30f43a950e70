"""Subsequence DTW: the compiled kernel against the plain recurrence and every path; QbE search."""

import itertools

import numpy as np
import pytest
import torch

from benchmark.dtw import MIN_RANGE, match_documents, subsequence_dtw_naive
from benchmark.problems.query_by_example import MIN_QUERY_FRAMES, search


def every_path_distance(cost: np.ndarray) -> float:
    """The definition: min over j_0..j_{n-1}, steps of 0, 1 or 2 columns, of the mean normalised cost."""
    low, high = cost.min(1, keepdims=True), cost.max(1, keepdims=True)
    normalised = (cost - low) / np.maximum(high - low, MIN_RANGE)
    n, m = cost.shape
    best = np.inf
    for start in range(m):
        for steps in itertools.product((0, 1, 2), repeat=n - 1):
            columns = start + np.cumsum((0, *steps))
            if columns[-1] < m:
                best = min(best, normalised[np.arange(n), columns].sum())
    return best / n


@pytest.mark.parametrize("seed", range(6))
def test_kernel_matches_every_path_and_the_naive_loop(seed):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 7, size=5)
    cost = rng.random((4, int(lengths.sum()))).astype(np.float32)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    got = match_documents(cost, starts, ends)
    for d, (a, b) in enumerate(zip(starts, ends)):
        block = cost[:, a:b].astype(np.float64)
        assert got[d] == pytest.approx(every_path_distance(block), rel=1e-5)
        assert got[d] == pytest.approx(subsequence_dtw_naive(block), rel=1e-5)


def test_search_finds_a_query_inside_its_document():
    rng = np.random.default_rng(0)
    documents = [torch.from_numpy(rng.standard_normal((60, 8)).astype(np.float32)) for _ in range(20)]
    query = documents[7][20:35] + 0.1 * torch.from_numpy(rng.standard_normal((15, 8)).astype(np.float32))
    short = documents[3][:MIN_QUERY_FRAMES - 1]
    scores = search([query, short], documents)
    assert scores.shape == (2, 20)
    assert scores[0].argmax() == 7 and scores[0].mean() == pytest.approx(0, abs=1e-9)
    assert (scores[1] == 0).all()  # too short to search
