"""QbE DTW speed: (query, document) pairs per second, compiled and parallel vs a plain Python loop.

Random frame costs shaped like the synthetic QbE corpus with fbank (queries of about
60 frames, documents of about 350): the compiled kernel (:func:`benchmark.dtw.match_documents`,
numba, documents in parallel threads) against the same recurrence in plain Python
(:func:`benchmark.dtw.subsequence_dtw_naive`), on the same pairs, with the results
checked equal. Also times the cost matrices (one matrix product per query), which
come before either. Compilation is done (or loaded from numba's cache) before timing.

    python benchmarks/dtw_speed.py [--queries 4] [--documents 300] [--naive-pairs 30]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=4)
    parser.add_argument("--documents", type=int, default=300)
    parser.add_argument("--query-frames", type=int, default=60)
    parser.add_argument("--document-frames", type=int, default=350)
    parser.add_argument("--dim", type=int, default=240)
    parser.add_argument("--naive-pairs", type=int, default=30, help="pairs the plain loop times (it is slow)")
    args = parser.parse_args()

    import numba
    import torch

    from benchmark.dtw import match_documents, subsequence_dtw_naive

    rng = np.random.default_rng(0)
    lengths = rng.integers(args.document_frames // 2, args.document_frames * 3 // 2, args.documents)
    ends = np.cumsum(lengths)
    starts = ends - lengths
    collection = torch.nn.functional.normalize(torch.randn(int(ends[-1]), args.dim), dim=1)
    queries = [torch.nn.functional.normalize(torch.randn(args.query_frames, args.dim), dim=1)
               for _ in range(args.queries)]
    match_documents(np.ones((2, 4), np.float32), np.array([0]), np.array([4]))  # compile or load

    start = time.perf_counter()
    costs = [torch.expm1(1 - q @ collection.T).numpy() for q in queries]
    matrix_seconds = time.perf_counter() - start
    start = time.perf_counter()
    compiled = [match_documents(cost, starts, ends) for cost in costs]
    compiled_seconds = time.perf_counter() - start
    pairs = args.queries * args.documents

    start = time.perf_counter()
    naive = [subsequence_dtw_naive(costs[k % args.queries][:, starts[k % args.documents]:ends[k % args.documents]])
             for k in range(args.naive_pairs)]
    naive_seconds = time.perf_counter() - start
    for k, value in enumerate(naive):
        assert abs(value - compiled[k % args.queries][k % args.documents]) < 1e-5, "kernels disagree"

    cells = args.query_frames * lengths.mean()
    print(f"{pairs} pairs, query {args.query_frames} frames x documents of {lengths.mean():.0f} frames "
          f"(mean), dim {args.dim}; numba threads {numba.get_num_threads()}, torch threads {torch.get_num_threads()}")
    print(f"  cost matrices (matrix product + expm1): {pairs / matrix_seconds:10.0f} pairs/s")
    print(f"  DTW, numba, parallel:                   {pairs / compiled_seconds:10.0f} pairs/s "
          f"({pairs * cells / compiled_seconds / 1e6:.0f} M cells/s)")
    print(f"  DTW, plain Python loop:                 {args.naive_pairs / naive_seconds:10.1f} pairs/s "
          f"({args.naive_pairs * cells / naive_seconds / 1e6:.2f} M cells/s)")
    print(f"  speed-up of the compiled kernel: {(pairs / compiled_seconds) / (args.naive_pairs / naive_seconds):.0f}x")


if __name__ == "__main__":
    main()
