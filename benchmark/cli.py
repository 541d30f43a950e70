"""The ``superb`` command line.

``superb --help`` and ``superb list`` import no torch; ``superb run`` imports only
what the chosen upstream and task need. Errors the user can fix are printed as one
line on stderr (``--debug`` shows the traceback).
"""

from __future__ import annotations

import argparse
import sys
import time
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
    run.add_argument("--fold", type=int, help="cross-validated tasks (er): run only this fold (default: all)")
    run.add_argument("--quiet", action="store_true", help="no progress bars")
    add_upstream_options(run)
    add_device_options(run)

    sub.add_parser("list", help="list upstreams and tasks")

    check = sub.add_parser("check-upstream", help="run the upstream contract checks and print a report")
    check.add_argument("name", help="upstream name, s3prl:<name> or path/to/file.py:ClassName")
    check.add_argument("--quick", action="store_true", help="three clip lengths for the stride check, no speed")
    add_upstream_options(check)
    add_device_options(check, batch_budget=False)

    submit = sub.add_parser("submit", help="check an upstream, run every task on it, regenerate the leaderboard")
    submit.add_argument("name", help="upstream name, s3prl:<name> or path/to/file.py:ClassName")
    submit.add_argument("--tasks", help="comma-separated tasks (default: every task in tasks.yaml)")
    submit.add_argument("--data", action="append", default=[], metavar="TASK=PATH",
                        help="corpus root of one task (repeatable; default: as `superb run`)")
    submit.add_argument("--steps", type=int, help="optimizer steps for every task (default: tasks.yaml)")
    submit.add_argument("--lr", type=float, help="learning rate for every trained task (default: tasks.yaml)")
    submit.add_argument("--seed", type=int, default=0)
    submit.add_argument("--featurizer", default="weighted_sum", help="weighted_sum (default), last, or layer:N")
    submit.add_argument("--out", type=Path, default=Path("results"), help="results directory (default: results)")
    submit.add_argument("--quiet", action="store_true", help="no progress bars")
    add_upstream_options(submit)
    add_device_options(submit)

    sweep = sub.add_parser("sweep", help="upstreams x tasks x learning rates x seeds: extract once, train side "
                           "by side, choose each lr on dev, report test mean ± sd over seeds")
    sweep.add_argument("--upstreams", required=True, help="comma-separated upstream names")
    sweep.add_argument("--tasks", default="all", help="all (default) or comma-separated task names")
    sweep.add_argument("--lrs", default="grid", help="comma-separated learning rates; grid (default: each "
                       "task's lr_grid in tasks.yaml); task (each task's own lr alone)")
    sweep.add_argument("--seeds", default="0", help="comma-separated seeds (default: 0)")
    sweep.add_argument("--featurizer", default="weighted_sum", help="weighted_sum (default), last, or layer:N")
    sweep.add_argument("--steps", type=int, help="optimizer steps for every trained task (default: tasks.yaml)")
    sweep.add_argument("--data", action="append", default=[], metavar="TASK=PATH",
                       help="corpus root of one task (repeatable; default: as `superb run`)")
    sweep.add_argument("--dry-run", action="store_true", help="list the jobs and which are already done; run none")
    add_executor_options(sweep)

    profile = sub.add_parser("profile", help="train a task's head on each layer alone and on the weighted sum; "
                             "one picture of score per layer")
    profile.add_argument("--upstream", required=True, help="upstream name (see `superb list`)")
    profile.add_argument("--task", required=True, help="task name from tasks.yaml")
    profile.add_argument("--lr", type=float, help="learning rate (default: tasks.yaml)")
    profile.add_argument("--seed", type=int, default=0)
    profile.add_argument("--steps", type=int, help="optimizer steps (default: tasks.yaml)")
    profile.add_argument("--data", type=Path, help="corpus root in its real layout (default: as `superb run`)")
    add_executor_options(profile)

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


def add_upstream_options(parser: argparse.ArgumentParser) -> None:
    """``--upstream-size``, ``--upstream-ckpt``, ``--upstream-revision`` and ``--upstream-option KEY=VALUE`` (the
    upstream's constructor options)."""
    parser.add_argument("--upstream-size", help="model size, e.g. whisper_encoder: tiny, base, small, medium, "
                        "large-v1, large-v2, large-v3, or a .en one")
    parser.add_argument("--upstream-ckpt", type=Path, help="load the upstream's weights from this local file")
    parser.add_argument("--upstream-revision", help="hf: upstreams: the hub branch, tag or commit to load")
    parser.add_argument("--upstream-option", action="append", default=[], metavar="KEY=VALUE",
                        help="any other constructor option of the upstream (repeatable; the value is read as "
                        "JSON when it parses, e.g. pad_to_30s=true, else as a string)")


def add_device_options(parser: argparse.ArgumentParser, batch_budget: bool = True) -> None:
    """``--device``, ``--extract-dtype`` and (``batch_budget``) ``--extract-batch-seconds`` (benchmark/devices.py)."""
    parser.add_argument("--device", default="auto", help="auto (default: CUDA when available), cpu, cuda or cuda:N")
    if batch_budget:
        parser.add_argument("--extract-batch-seconds", type=float, metavar="SECONDS",
                            help="padded audio per upstream batch (default 160; halved on out-of-memory)")
    parser.add_argument("--extract-dtype", default="fp32", help="fp32 (default), or bf16 / fp16 autocast "
                        "extraction (changes the features: cached apart)")


def device_options(args) -> dict:
    """The :class:`benchmark.runner.RunRequest` fields of :func:`add_device_options`, checked (no torch import)."""
    from benchmark.devices import check_device_options

    seconds = getattr(args, "extract_batch_seconds", None)
    check_device_options(args.device, args.extract_dtype, seconds)
    return {"device": args.device, "extract_dtype": args.extract_dtype,
            **({"extract_batch_seconds": seconds} if seconds is not None else {})}


def add_executor_options(parser: argparse.ArgumentParser) -> None:
    """Where jobs run (``sweep``, ``profile``), where results and features go, and the upstream's options."""
    parser.add_argument("--executor", choices=("local", "ray"), default="local",
                        help="local worker processes (default) or Ray (pip install 'superb[ray]')")
    parser.add_argument("--jobs", type=int, default=1, help="jobs at once; each gets cores/jobs threads (default: 1)")
    parser.add_argument("--retries", type=int, default=1, help="times a crashed job is retried (default: 1)")
    parser.add_argument("--ray-address", help="join this Ray cluster (auto, or ray://host:port); default: a "
                        "local instance")
    parser.add_argument("--out", type=Path, default=Path("results"), help="results directory (default: results; "
                        "on a cluster, a shared filesystem)")
    parser.add_argument("--cache-dir", type=Path, help="feature cache (default: $SUPERB_CACHE_DIR or "
                        "~/.cache/superb/features; on a cluster, a shared filesystem)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    add_upstream_options(parser)
    add_device_options(parser)


def number_list(text: str, kind: type, option: str) -> tuple:
    """``"1e-3,1e-2"`` as a tuple of ``kind``; a bad item is one clear error."""
    from benchmark.errors import UserError

    try:
        values = tuple(kind(item) for item in text.split(",") if item.strip())
    except ValueError:
        raise UserError(f"{option} {text!r}: expected comma-separated {kind.__name__}s, e.g. "
                        f"{'1e-3,1e-2' if kind is float else '0,1,2'}") from None
    if not values:
        raise UserError(f"{option} is empty")
    return values


def task_paths(items: list[str], tasks) -> dict[str, Path]:
    """``--data TASK=PATH`` items (repeatable) as ``{task: path}``, each task one of ``tasks``."""
    from benchmark.errors import UserError

    data = {}
    for item in items:
        task, sep, path = item.partition("=")
        if not sep or task not in tasks:
            raise UserError(f"--data {item!r}: expected TASK=PATH with TASK one of {', '.join(tasks)}")
        data[task] = Path(path)
    return data


def upstream_options(args) -> dict:
    """The upstream's constructor options from ``--upstream-size``, ``--upstream-ckpt`` and ``--upstream-option``."""
    import json

    from benchmark.errors import UserError

    options = {}
    for item in args.upstream_option:
        key, sep, value = item.partition("=")
        if not sep or not key.isidentifier():
            raise UserError(f"--upstream-option {item!r}: expected KEY=VALUE, e.g. pad_to_30s=true")
        try:
            options[key] = json.loads(value)
        except ValueError:
            options[key] = value
    if args.upstream_size:
        options["size"] = args.upstream_size
    if args.upstream_ckpt:
        options["ckpt"] = str(args.upstream_ckpt.expanduser().resolve())
    if args.upstream_revision:
        options["revision"] = args.upstream_revision
    return options


def cmd_list(args) -> None:
    from benchmark.tasks import load_tasks
    from upstreams import available

    print("upstreams:")
    for name, summary in available():
        print(f"  {name:<18} {summary}")
    print("tasks:")
    for name, spec in load_tasks().items():
        print(f"  {name:<18} {spec.description}")


def cmd_run(args) -> None:
    from benchmark.runner import RunRequest, run

    req = RunRequest(upstream=args.upstream, task=args.task, data=args.data, steps=args.steps, lr=args.lr,
                     seed=args.seed, featurizer=args.featurizer, layer_norm=args.layer_norm, pooled=args.pooled,
                     out=args.out, cache_dir=args.cache_dir, cache_frames=args.cache_frames,
                     strict_audio=args.strict_audio, force=args.force, progress=not args.quiet,
                     upstream_options=upstream_options(args), fold=args.fold, **device_options(args))
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

    from benchmark.cache import FileHashes, cache_entries, default_cache_dir, human_bytes

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
        if not args.upstream_id:  # the remembered audio-file hashes go too
            FileHashes(root).path.unlink(missing_ok=True)
        print(f"removed {len(entries)} upstream caches ({human_bytes(sum(e.bytes for e in entries))}) from {root}")


def cmd_check_upstream(args) -> None:
    device_options(args)  # bad values answer before torch is imported
    from benchmark.check import check_upstream, failed_checks, format_report
    from benchmark.devices import resolve_device
    from benchmark.errors import UserError
    from upstreams import build_upstream

    device = resolve_device(args.device)
    upstream = build_upstream(args.name, **upstream_options(args))
    results = check_upstream(upstream, quick=args.quick, device=device, extract_dtype=args.extract_dtype)
    print(format_report(upstream.display_name(), results))
    if failed := failed_checks(results):
        raise UserError(f"check-upstream {args.name}: failed {', '.join(failed)}")


def cmd_submit(args) -> None:
    device = device_options(args)  # bad values answer before torch is imported
    from benchmark.check import check_upstream, failed_checks, format_report
    from benchmark.clock import JobClock
    from benchmark.errors import UserError
    from benchmark.runner import RunRequest, run
    from benchmark.tasks import get_task, load_tasks
    from leaderboard import write_leaderboard
    from upstreams import build_upstream

    tasks = [get_task(t.strip()).name for t in args.tasks.split(",")] if args.tasks else list(load_tasks())
    data = task_paths(args.data, tasks)
    from benchmark.devices import resolve_device

    options, resolved = upstream_options(args), resolve_device(args.device)
    upstream = build_upstream(args.name, **options)
    results = check_upstream(upstream, device=resolved, extract_dtype=args.extract_dtype)
    print(format_report(upstream.display_name(), results))
    if failed := failed_checks(results):
        raise UserError(f"submit {args.name}: check-upstream failed {', '.join(failed)}; nothing was run")
    del upstream
    failures = []
    clock = JobClock(len(tasks))
    for k, task in enumerate(tasks, 1):
        print(f"task {k}/{len(tasks)}: {task}{clock.left()}", file=sys.stderr, flush=True)
        trained = get_task(task).head is not None
        req = RunRequest(upstream=args.name, task=task, data=data.get(task), steps=args.steps if trained else None,
                         lr=args.lr if trained else None, seed=args.seed, featurizer=args.featurizer,
                         out=args.out, progress=not args.quiet, upstream_options=options, **device)
        start = time.perf_counter()
        try:
            output = run(req)
        except UserError as err:
            clock.finished(time.perf_counter() - start, reused=False)
            failures.append(task)
            print(f"{task}: failed: {err}", file=sys.stderr)
            continue
        clock.finished(time.perf_counter() - start, output.reused)
        metric = output.result["main_metric"]["name"]
        score = output.result["metrics"].get("test", {}).get(metric)
        print(f"{task}: test {metric} {score if score is None else f'{score:.4f}'} "
              f"[{'already done' if output.reused else 'done'}] {output.result_path}")
    if len(failures) < len(tasks):
        for path in write_leaderboard(args.out, args.out / "leaderboard"):
            print(path)
    if failures:
        raise UserError(f"submit {args.name}: {len(failures)} of {len(tasks)} tasks failed ({', '.join(failures)}); "
                        f"fix them and rerun the same command (finished tasks are not rerun)")


def cmd_sweep(args) -> None:
    from benchmark.executors import make_executor
    from benchmark.sweep import SweepRequest, parse_tasks, run_sweep

    tasks = parse_tasks(args.tasks)
    upstreams = tuple(dict.fromkeys(u.strip() for u in args.upstreams.split(",") if u.strip()))
    sweep = SweepRequest(upstreams=upstreams, tasks=tasks,
                         lrs=args.lrs if args.lrs in ("grid", "task") else number_list(args.lrs, float, "--lrs"),
                         seeds=number_list(args.seeds, int, "--seeds"), featurizer=args.featurizer, steps=args.steps,
                         data=task_paths(args.data, tasks), out=args.out, cache_dir=args.cache_dir,
                         upstream_options=upstream_options(args), device_options=device_options(args))
    executor = make_executor(args.executor, jobs=args.jobs, retries=args.retries, ray_address=args.ray_address)
    run_sweep(sweep, executor, dry_run=args.dry_run, progress=not args.quiet)


def cmd_profile(args) -> None:
    from benchmark.executors import make_executor
    from benchmark.profile import run_profile
    from benchmark.runner import RunRequest, check_options

    req = RunRequest(upstream=args.upstream, task=args.task, data=args.data, steps=args.steps, lr=args.lr,
                     seed=args.seed, out=args.out, cache_dir=args.cache_dir, progress=not args.quiet,
                     upstream_options=upstream_options(args), **device_options(args))
    check_options(req)
    run_profile(req, make_executor(args.executor, jobs=args.jobs, retries=args.retries,
                                   ray_address=args.ray_address))


COMMANDS = {"run": cmd_run, "list": cmd_list, "leaderboard": cmd_leaderboard, "cache": cmd_cache,
            "check-upstream": cmd_check_upstream, "submit": cmd_submit, "sweep": cmd_sweep, "profile": cmd_profile}


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
    except KeyboardInterrupt as err:  # the sweep's says what finished
        print(f"superb: interrupted; {err or 'rerun the same command to resume'}", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
