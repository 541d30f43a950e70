"""The command line every synthetic generator shares: ``python -m benchmark.corpora.synthetic.<corpus>``."""

from __future__ import annotations

import argparse
import inspect
from collections.abc import Callable
from pathlib import Path

from benchmark.errors import UserError


def generator_main(argv: list[str] | None, corpus: str, layout: str, ensure: Callable[..., Path],
                   **sizes: str) -> None:
    """Parse ``--out``, a ``--<size>`` per entry of ``sizes``, ``--seed``, ``--workers``; call ``ensure``; print the root.

    ``ensure(out, *, <sizes>, seed=s, workers=w)`` is the module's ``ensure_synthetic_<corpus>``;
    ``sizes`` maps each of its size arguments offered on the command line to what it counts
    (``num_requests="distinct requests"``). Defaults are ``ensure``'s own.
    """
    defaults = inspect.signature(ensure).parameters
    parser = argparse.ArgumentParser(prog=f"python -m benchmark.corpora.synthetic.{corpus}",
                                     description=f"Generate a synthetic corpus in the {layout} layout.")
    parser.add_argument("--out", type=Path, help="output directory (default: the cache directory)")
    for size, meaning in sizes.items():
        default = defaults[size].default
        parser.add_argument(f"--{size.replace('_', '-')}", dest=size, type=int, default=default, metavar="N",
                            help=f"{meaning} (default {default})")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--workers", type=int, default=None, help="worker processes (default min(2, CPUs))")
    args = parser.parse_args(argv)
    try:
        root = ensure(args.out, **{size: getattr(args, size) for size in sizes}, seed=args.seed, workers=args.workers)
    except UserError as err:
        parser.exit(1, f"error: {err}\n")
    print(root)
