"""The ``superb`` command line.

``superb --help`` and ``superb list`` import no torch; ``superb run`` imports only
what the chosen upstream and task need. Errors the user can fix are printed as one
line on stderr (``--debug`` shows the traceback).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="superb", description="SUPERB-style benchmark of frozen speech encoders.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="train and score one upstream on one task")
    run.add_argument("--upstream", required=True, help="upstream name (see `superb list`)")
    run.add_argument("--task", required=True, help="task name from tasks.yaml (see `superb list`)")
    run.add_argument("--data", type=Path, help="corpus root in its real layout (default: the task's "
                     "environment variable, else the synthetic corpus)")
    run.add_argument("--steps", type=int, help="optimizer steps (default: tasks.yaml)")
    run.add_argument("--lr", type=float, help="learning rate (default: tasks.yaml)")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--featurizer", default="weighted_sum", help="weighted_sum (default), last, or layer:N")
    run.add_argument("--layer-norm", action="store_true", help="layer-normalise each layer before the weighted sum")
    run.add_argument("--no-pooled", dest="pooled", action="store_false",
                     help="train on frames even when the head allows the pooled path")
    run.add_argument("--out", type=Path, default=Path("results"), help="results directory (default: results)")
    run.add_argument("--cache-dir", type=Path, help="feature cache (default: $SUPERB_CACHE_DIR or ~/.cache/superb/features)")
    run.add_argument("--no-frame-cache", dest="cache_frames", action="store_false",
                     help="cache only per-utterance means; frames, if needed, are recomputed every step")
    run.add_argument("--strict-audio", action="store_true",
                     help="refuse audio that is not 16 kHz mono instead of converting it")
    run.add_argument("--force", action="store_true", help="rerun even if this exact run has a result")
    run.add_argument("--quiet", action="store_true", help="no progress bars")

    sub.add_parser("list", help="list upstreams and tasks")

    board = sub.add_parser("leaderboard", help="tables of every result found under --runs")
    board.add_argument("--runs", type=Path, default=Path("results"))
    board.add_argument("--out", type=Path, help="output directory (default: <runs>/leaderboard)")
    board.add_argument("--baseline", default="fbank", help="row the shading compares against (default: fbank)")
    board.add_argument("--published", action="store_true", help="also show the published SUPERB rows, apart")
    board.add_argument("--score-reference", choices=("measured", "published"), default="measured",
                       help="best row that scales the SUPERB score to 1")

    cache = sub.add_parser("cache", help="inspect or clear the feature cache")
    cache.add_argument("action", choices=("info", "clear"))
    cache.add_argument("--cache-dir", type=Path)
    cache.add_argument("--upstream-id", help="with clear: only this upstream identity (from `cache info`)")
    return parser


def cmd_list(args) -> None:
    from benchmark.tasks import load_tasks
    from upstreams import UPSTREAMS

    print("upstreams:")
    for name in UPSTREAMS.names():
        print(f"  {name:<18} {UPSTREAMS.summary(name)}")
    print("tasks:")
    for name, spec in load_tasks().items():
        print(f"  {name:<18} {spec.description}")


def cmd_run(args) -> None:
    from benchmark.runner import RunRequest, run

    req = RunRequest(upstream=args.upstream, task=args.task, data=args.data, steps=args.steps, lr=args.lr,
                     seed=args.seed, featurizer=args.featurizer, layer_norm=args.layer_norm, pooled=args.pooled,
                     out=args.out, cache_dir=args.cache_dir, cache_frames=args.cache_frames,
                     strict_audio=args.strict_audio, force=args.force, progress=not args.quiet)
    output = run(req)
    for message in output.messages:
        print(message, file=sys.stderr)
    result = output.result
    metric = result["main_metric"]["name"]
    status = "already done (use --force to rerun)" if output.reused else "done"
    print(f"{result['task']} / {result['upstream']}: test {metric} {result['metrics']['test'][metric]:.4f}, "
          f"dev {result['metrics']['dev'][metric]:.4f} [{result['config']['path']} path, {status}]")
    print(f"result: {output.result_path}")


def cmd_leaderboard(args) -> None:
    from leaderboard import write_leaderboard

    out = args.out or args.runs / "leaderboard"
    written = write_leaderboard(args.runs, out, baseline=args.baseline, published=args.published,
                                score_reference=args.score_reference)
    for path in written:
        print(path)


def cmd_cache(args) -> None:
    import shutil

    from benchmark.cache import cache_entries, default_cache_dir, human_bytes

    root = args.cache_dir or default_cache_dir()
    entries = cache_entries(root)
    if args.upstream_id:
        entries = [e for e in entries if e.upstream_id == args.upstream_id]
    if args.action == "info":
        print(f"feature cache: {root}")
        for e in entries:
            print(f"  {e.upstream_id:<40} {e.utterances:>8} utterances {e.shards:>4} shards {human_bytes(e.bytes):>10}")
        print(f"  total {human_bytes(sum(e.bytes for e in entries))}")
    else:
        for e in entries:
            shutil.rmtree(e.path)
        print(f"removed {len(entries)} upstream caches ({human_bytes(sum(e.bytes for e in entries))}) from {root}")


COMMANDS = {"run": cmd_run, "list": cmd_list, "leaderboard": cmd_leaderboard, "cache": cmd_cache}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from benchmark.errors import UserError

    try:
        COMMANDS[args.command](args)
    except UserError as err:
        if args.debug:
            raise
        print(f"superb: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("superb: interrupted; rerun the same command to resume", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
