"""``superb sweep``: upstreams x tasks x learning rates x seeds, extracted once, trained side by side.

1. **Corpora**: one job per default synthetic corpus not yet generated, run side by
   side on the executor (each with one generator process per core).
2. **Extraction**: one job per upstream fills the feature cache for every corpus its
   tasks read (``run(..., stop_after="extract")``). The cache is locked per upstream,
   so one job per upstream is what keeps two jobs from extracting the same thing.
3. **Training**: one job per (upstream, task, lr, seed), reading only the cache. Its
   run id makes a rerun free (the finished result is found) and a killed job resumes
   from its checkpoint, so a killed sweep resumes by running the same command.
4. **Summary**: per (upstream, task), the learning rate with the best **dev** score
   (mean over seeds), and for that lr the **test** mean and sample standard deviation
   over seeds; whether the lr sits on the edge of the grid. Written to
   ``<out>/sweeps/<sweep id>.json``; the leaderboard is then regenerated.

Jobs run on an executor (:mod:`benchmark.executors`): local processes or Ray. An
interrupted sweep (Ctrl-C, SIGTERM) stops its workers and says what finished.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from benchmark.errors import UserError
from benchmark.selection import choose_on_dev


@dataclass(frozen=True)
class Job:
    """One unit of work for an executor.

    Attributes:
        kind: ``"corpus"`` (generate the :class:`CorpusRequest` ``requests``), ``"extract"`` (fill
            the cache for ``requests``) or ``"train"`` (exactly one request).
        requests: :class:`benchmark.runner.RunRequest` objects (a corpus job: :class:`CorpusRequest`),
            run in order.
        label: what the progress line calls it.
        cpus: intra-op threads (and CPUs requested from Ray).
        gpus: GPUs requested from Ray (0 on the local executor).
    """

    kind: str
    requests: tuple
    label: str
    cpus: int = 1
    gpus: float = 0.0


@dataclass(frozen=True)
class CorpusRequest:
    """Generate the default synthetic corpus of ``format`` (a key of ``CORPUS_FORMATS``) at ``root``."""

    format: str
    root: Path
    progress: bool = False


@dataclass
class JobOutcome:
    """What a job gave back: per request its result (``{}`` for extraction), or the error that stopped it."""

    label: str
    results: list[dict[str, Any]] = field(default_factory=list)
    reused: bool = False
    seconds: float = 0.0
    error: str | None = None
    attempts: int = 1


def execute_job(job: Job) -> JobOutcome:
    """Run ``job`` in this process with ``job.cpus`` intra-op threads (called by every executor).

    A :class:`UserError` (bad input: it would fail again) becomes ``JobOutcome.error``;
    any other exception propagates, so that the executor retries the job.
    """
    import torch

    from benchmark.runner import run

    torch.set_num_threads(max(1, job.cpus))
    start = time.perf_counter()
    outcome = JobOutcome(job.label)
    try:
        if job.kind == "corpus":
            outcome.results = [{"root": str(generate_corpus(req))} for req in job.requests]
        else:
            outputs = [run(req) for req in job.requests]
            outcome.results = [out.result for out in outputs]
            outcome.reused = all(out.reused for out in outputs)
    except UserError as err:
        outcome.error = str(err)
    outcome.seconds = time.perf_counter() - start
    return outcome


def generate_corpus(req: CorpusRequest) -> Path:
    """Generate ``req``'s corpus (unless complete); returns its root.

    One generator process per core of this machine, whatever the job's threads: while
    corpora are generated side by side the cores are shared, and the last one left (the
    longest) still keeps every core busy.
    """
    from benchmark.corpora import CORPUS_FORMATS

    root = Path(CORPUS_FORMATS[req.format].generate(progress=req.progress, workers=os.cpu_count() or 1))
    if root.resolve() != req.root.resolve():
        raise RuntimeError(f"{req.format}: generated {root}, planned {req.root}")
    return root


@dataclass(frozen=True)
class SweepRequest:
    """What ``superb sweep`` was asked for.

    ``lrs``: learning rates for every trained task, or ``"grid"`` (each task's
    ``lr_grid`` in tasks.yaml; its own lr when it names none), or ``"task"`` (each task's
    own lr alone). ``data`` maps a task to its corpus root (default as ``superb run``).
    """

    upstreams: tuple[str, ...]
    tasks: tuple[str, ...]
    lrs: tuple[float, ...] | str = "grid"
    seeds: tuple[int, ...] = (0,)
    featurizer: str = "weighted_sum"
    steps: int | None = None
    data: dict[str, Path] = field(default_factory=dict)
    out: Path = Path("results")
    cache_dir: Path | None = None
    upstream_options: dict[str, Any] = field(default_factory=dict)
    device_options: dict[str, Any] = field(default_factory=dict)  # RunRequest's device, extract_dtype, ...

    def sweep_id(self) -> str:
        blob = json.dumps({k: v for k, v in asdict(self).items() if k not in ("out",)}, sort_keys=True, default=str)
        return hashlib.blake2b(blob.encode(), digest_size=5).hexdigest()


def parse_tasks(text: str) -> tuple[str, ...]:
    """``"all"`` (every task in tasks.yaml) or a comma-separated list, each checked by name."""
    from benchmark.tasks import get_task, load_tasks

    if text.strip() == "all":
        return tuple(load_tasks())
    return tuple(dict.fromkeys(get_task(t.strip()).name for t in text.split(",") if t.strip()))


@dataclass
class Plan:
    """The jobs of a sweep, in the order they run."""

    corpora: list[Job]  # one per default synthetic corpus still to generate
    extract: list[Job]
    train: list[Job]
    grids: dict[str, list[float]]  # task -> the lrs tried


def plan(sweep: SweepRequest, *, threads: int, bars_in_jobs: bool = False) -> Plan:
    """Locate corpora (generating nothing) and list the corpus, extraction and training jobs.

    ``bars_in_jobs``: corpus and extraction jobs show progress bars (one job at a time only).
    """
    from benchmark.cache import default_cache_dir
    from benchmark.corpora.synthetic.synthesis import MARKER
    from benchmark.runner import RunRequest, check_options, locate_corpus, uses_pooled_path
    from benchmark.tasks import get_task
    from downstreams import HEADS

    cache_dir = Path(sweep.cache_dir or default_cache_dir()).resolve()
    out = Path(sweep.out).resolve()
    grids: dict[str, list[float]] = {}
    roots: dict[str, Path] = {}
    to_generate: dict[Path, CorpusRequest] = {}  # SID and ASV share one VoxCeleb1: one job
    for task in sweep.tasks:
        spec = get_task(task)
        root, default = locate_corpus(spec, sweep.data.get(task))
        roots[task] = root
        if default and not (root / MARKER).is_file():
            to_generate.setdefault(root, CorpusRequest(spec.corpus["format"], root, bars_in_jobs))
        synthetic = default or (root / "README.synthetic.txt").exists()
        if spec.head is None:
            grids[task] = []
        elif sweep.lrs == "grid":
            grids[task] = spec.lr_grid(synthetic)
        elif sweep.lrs == "task":
            grids[task] = [float(spec.training(synthetic)["lr"])]
        else:
            grids[task] = [float(lr) for lr in sweep.lrs]
    corpora = [Job("corpus", (req,), f"corpus {root.name}", cpus=threads) for root, req in to_generate.items()]
    extract, train = [], []
    for upstream in sweep.upstreams:
        base = RunRequest(upstream=upstream, task=sweep.tasks[0], featurizer=sweep.featurizer, out=out,
                          cache_dir=cache_dir, progress=False, upstream_options=dict(sweep.upstream_options),
                          **sweep.device_options)
        on_gpu = base.device != "cpu"
        check_options(base)
        read = {}  # one extraction request per distinct corpus (and level) of this upstream
        for task in sweep.tasks:
            spec = get_task(task)
            read.setdefault((str(roots[task]), spec.gain_db), replace(
                base, task=task, data=roots[task], stop_after="extract", progress=bars_in_jobs))
        extract.append(Job("extract", tuple(read.values()), f"extract {upstream}: "
                           + ", ".join(sorted({r.task for r in read.values()})), cpus=threads,
                           gpus=1.0 if on_gpu else 0.0))
        for task in sweep.tasks:
            spec = get_task(task)
            trained = spec.head is not None
            pooled = trained and uses_pooled_path(HEADS.load(spec.head), base)  # on means, the CPU is as fast
            for lr in grids[task] if trained else [None]:
                for seed in sweep.seeds if trained else sweep.seeds[:1]:
                    req = replace(base, task=task, data=roots[task], lr=lr, seed=seed,
                                  steps=sweep.steps if trained else None, device="cpu" if pooled else base.device)
                    label = f"{task} / {upstream}" + (f" lr {lr:g} seed {seed}" if trained else "")
                    train.append(Job("train", (req,), label, cpus=threads,
                                     gpus=0.5 if on_gpu and not pooled else 0.0))
    return Plan(corpora, extract, train, grids)


def run_sweep(sweep: SweepRequest, executor, *, dry_run: bool = False, progress: bool = True,
              write=print) -> dict[str, Any] | None:
    """Run (or with ``dry_run`` list) the sweep; returns the summary (``None`` on a dry run).

    Interrupted (Ctrl-C, SIGTERM), it stops the executor's workers and raises
    ``KeyboardInterrupt`` with one line saying what finished and how to resume.
    """
    jobs_plan = plan(sweep, threads=executor.threads, bars_in_jobs=progress and executor.workers == 1)
    if dry_run:
        _list_jobs(jobs_plan, write)
        return None
    write(f"sweep: {len(jobs_plan.corpora)} corpus job(s), {len(jobs_plan.extract)} extraction job(s), then "
          f"{len(jobs_plan.train)} training jobs; {executor.describe()}")
    failures: list[JobOutcome] = []
    finished: dict[str, list[JobOutcome]] = {}
    try:
        with executor:
            _run_phase("corpus", jobs_plan.corpora, executor, failures, write, finished)
            failed = {o.label for o in failures}
            no_corpus = {req.root for job in jobs_plan.corpora if job.label in failed for req in job.requests}
            extract = [replace(job, requests=kept) for job in jobs_plan.extract
                       if (kept := tuple(req for req in job.requests if req.data not in no_corpus))]
            _run_phase("extract", extract, executor, failures, write, finished)
            failed = {o.label for o in failures}
            no_features = {job.requests[0].upstream for job in extract if job.label in failed}
            train = [job for job in jobs_plan.train
                     if job.requests[0].upstream not in no_features and job.requests[0].data not in no_corpus]
            _run_phase("train", train, executor, failures, write, finished)
    except KeyboardInterrupt:
        planned = {("corpus", "corpus"): jobs_plan.corpora, ("extract", "extraction"): jobs_plan.extract,
                   ("train", "training"): jobs_plan.train}
        counts = ", ".join(f"{sum(o.error is None for o in finished.get(phase, []))}/{len(jobs)} {name}"
                           for (phase, name), jobs in planned.items() if jobs)
        raise KeyboardInterrupt(f"sweep stopped with its workers; finished and kept: {counts} jobs; rerun the same "
                                f"command to resume (finished jobs are not rerun, a started training resumes "
                                f"from its checkpoint)") from None
    results = [r for o in finished["train"] if o.error is None for r in o.results]
    summary = summarise(results, jobs_plan.grids)
    summary.update({"sweep_id": sweep.sweep_id(), "request": json.loads(json.dumps(asdict(sweep), default=str)),
                    "executor": executor.describe(),
                    "failed": [{"job": o.label, "error": o.error, "attempts": o.attempts} for o in failures]})
    path = Path(sweep.out) / "sweeps" / f"{summary['sweep_id']}.json"
    from benchmark.results import write_json_atomic

    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(summary, path)
    for line in format_summary(summary):
        write(line)
    write(f"summary: {path}")
    if results:
        from leaderboard import write_leaderboard

        for written in write_leaderboard(sweep.out, Path(sweep.out) / "leaderboard"):
            write(str(written))
    if failures:
        raise UserError(f"sweep: {len(failures)} job(s) failed ({'; '.join(o.label for o in failures)}); the others "
                        f"finished and are in the summary; fix them and rerun the same command (finished jobs "
                        f"are not rerun)")
    return summary


def _list_jobs(jobs_plan: Plan, write) -> None:
    """The dry run: each training job, done or to run (a job on a corpus not yet generated is to run)."""
    pending = {req.root for job in jobs_plan.corpora for req in job.requests}
    todo = 0
    for job in jobs_plan.train:
        done = job.requests[0].data not in pending and already_done(job)
        todo += not done
        write(f"{'done  ' if done else 'to run'} {job.label}")
    write(f"{len(jobs_plan.train)} training jobs, {todo} to run, after {len(jobs_plan.corpora)} corpus job(s) "
          f"({', '.join(sorted(root.name for root in pending)) or 'every corpus is there'}) "
          f"and {len(jobs_plan.extract)} extraction job(s) (one per upstream; a filled cache makes them quick)")


def already_done(job: Job) -> bool:
    """True when every request of ``job`` already has its finished result (run ids computed, nothing run)."""
    from benchmark.runner import run

    return all(run(replace(req, stop_after="plan")).reused for req in job.requests)


def _run_phase(name: str, jobs: list[Job], executor, failures: list[JobOutcome], write,
               finished: dict[str, list[JobOutcome]]) -> None:
    """Run ``jobs``, appending each outcome to ``finished[name]`` as it comes (an interrupt keeps the count)."""
    from benchmark.clock import JobClock

    clock = JobClock(len(jobs), executor.workers)
    outcomes = finished.setdefault(name, [])

    def done(job: Job, outcome: JobOutcome) -> None:
        clock.finished(outcome.seconds, outcome.reused)
        outcomes.append(outcome)
        head = f"[{name} {clock.done}/{clock.total}] {job.label}"
        if outcome.error is not None:
            failures.append(outcome)
            write(f"{head}: FAILED after {outcome.attempts} attempt(s): {outcome.error}{clock.left()}")
        elif job.kind == "corpus":
            write(f"{head}: generated in {outcome.seconds:.0f} s{clock.left()}")
        elif job.kind == "extract":
            write(f"{head}: cache filled in {outcome.seconds:.0f} s{clock.left()}")
        else:
            write(f"{head}: {_scores(outcome.results[0])} "
                  f"({'already done' if outcome.reused else f'{outcome.seconds:.0f} s'}){clock.left()}")
        sys.stdout.flush()

    if jobs:
        executor.run(jobs, done)


def _scores(result: dict[str, Any]) -> str:
    metric = result["main_metric"]["name"]
    return " ".join(f"{split} {metric} {result['metrics'][split][metric]:.4f}" for split in ("dev", "test"))


def summarise(results: list[dict[str, Any]], grids: dict[str, list[float]]) -> dict[str, Any]:
    """Per (upstream, task, featurizer): the lr chosen on dev (mean over seeds) and test mean ± sd there.

    Returns ``{"entries": [...]}``; each entry has ``upstream``, ``upstream_id``, ``task``,
    ``featurizer``, ``metric``, ``higher_is_better``, ``per_lr`` (lr -> dev mean, test
    mean, sd, n, seeds), ``chosen_lr``, ``on_grid_edge``, ``test_mean``, ``test_sd`` (sample
    standard deviation, ``None`` for one seed), ``n`` and ``seeds``.
    """
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for result in results:
        key = (result["upstream"], result["upstream_id"], result["task"], result["config"]["featurizer"])
        groups.setdefault(key, []).append(result)
    entries = []
    for (upstream, upstream_id, task, featurizer), runs in sorted(groups.items()):
        metric = runs[0]["main_metric"]["name"]
        higher = runs[0]["main_metric"]["higher_is_better"]
        by_lr: dict[Any, list[dict[str, Any]]] = {}
        for r in runs:
            by_lr.setdefault(r["config"].get("lr"), []).append(r)
        dev = {lr: [r["metrics"]["dev"][metric] for r in group] for lr, group in by_lr.items()}
        per_lr = {}
        for lr, group in by_lr.items():
            test = [r["metrics"]["test"][metric] for r in group]
            per_lr[lr] = {"dev_mean": mean(dev[lr]), "test_mean": mean(test), "test_sd": sample_sd(test),
                          "n": len(group), "seeds": sorted(r["config"]["seed"] for r in group)}
        chosen = choose_on_dev(dev, higher)
        grid = sorted(lr for lr in grids.get(task, []) if lr is not None)
        entries.append({
            "upstream": upstream, "upstream_id": upstream_id, "task": task, "featurizer": featurizer,
            "metric": metric, "higher_is_better": higher,
            "per_lr": {("none" if lr is None else f"{lr:g}"): stats for lr, stats in sorted(
                per_lr.items(), key=lambda kv: (kv[0] is None, kv[0] or 0))},
            "chosen_lr": chosen,
            "on_grid_edge": chosen is not None and len(grid) > 1 and chosen in (grid[0], grid[-1]),
            **{k: per_lr[chosen][k] for k in ("test_mean", "test_sd", "n", "seeds")},
            "dev_mean": per_lr[chosen]["dev_mean"],
        })
    return {"entries": entries}


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def sample_sd(values: list[float]) -> float | None:
    """Sample standard deviation (n - 1 in the denominator); ``None`` for fewer than two values."""
    if len(values) < 2:
        return None
    m = mean(values)
    return math.sqrt(sum((v - m) ** 2 for v in values) / (len(values) - 1))


def format_summary(summary: dict[str, Any]) -> list[str]:
    """One line per (upstream, task): the chosen lr, test mean ± sd (n), and an edge warning."""
    lines = []
    for e in summary["entries"]:
        sd = "" if e["test_sd"] is None else f" ± {e['test_sd']:.4f}"
        lr = "" if e["chosen_lr"] is None else f" at lr {e['chosen_lr']:g} (best dev {e['dev_mean']:.4f})"
        edge = "; on the edge of the grid: widen it" if e["on_grid_edge"] else ""
        lines.append(f"{e['task']} / {e['upstream']}: test {e['metric']} {e['test_mean']:.4f}{sd} (n={e['n']})"
                     f"{lr}{edge}")
    return lines


def default_threads(workers: int) -> int:
    """Intra-op threads per job so that workers x threads = the machine's cores."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))
