"""The command line every synthetic generator shares: ``python -m benchmark.corpora.synthetic.<corpus>``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from benchmark.errors import UserError


def generator_main(argv: list[str] | None, corpus: str, layout: str, ensure: Callable[..., Path],
                   size: str, default: int, meaning: str) -> None:
    """Parse ``--out``, ``--<size>``, ``--seed``, ``--workers``, call ``ensure`` and print the root.

    ``ensure(out, *, <size>=n, seed=s, workers=w)`` is the module's ``ensure_synthetic_<corpus>``;
    ``size`` its size argument (``"num_requests"``), ``meaning`` what that counts.
    """
    parser = argparse.ArgumentParser(prog=f"python -m benchmark.corpora.synthetic.{corpus}",
                                     description=f"Generate a synthetic corpus in the {layout} layout.")
    parser.add_argument("--out", type=Path, help="output directory (default: the cache directory)")
    parser.add_argument(f"--{size.replace('_', '-')}", dest="size", type=int, default=default, metavar="N",
                        help=f"{meaning} (default {default})")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default min(2, CPUs))")
    args = parser.parse_args(argv)
    try:
        root = ensure(args.out, **{size: args.size}, seed=args.seed, workers=args.workers)
    except UserError as err:
        parser.exit(1, f"error: {err}\n")
    print(root)
