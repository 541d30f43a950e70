"""Where sweep jobs run: local worker processes, or a Ray cluster.

An executor has ``workers`` (jobs at once), ``threads`` (intra-op threads per job)
and ``run(jobs, done)``, which runs every :class:`benchmark.sweep.Job` and calls
``done(job, outcome)`` as each finishes. A job that raises is retried up to
``retries`` more times; then it is reported (``outcome.error``) and the others go on.

Inside ``with executor:``, SIGTERM raises ``KeyboardInterrupt`` as Ctrl-C does, and an
executor left by an exception stops its workers (and their children) instead of
letting them run their jobs to the end.
"""

from __future__ import annotations

import os
import signal
import threading
import traceback
from collections.abc import Callable

from benchmark.errors import UserError
from benchmark.sweep import Job, JobOutcome, default_threads, execute_job

Done = Callable[[Job, JobOutcome], None]


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


class _TerminateInterrupts:
    """While entered (main thread only): SIGTERM raises ``KeyboardInterrupt``, as Ctrl-C does."""

    def __enter__(self):
        self._previous = None
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, _interrupt)
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)


def _worker_setup() -> None:
    """Worker initializer: a process group of its own, so that the driver alone gets the terminal's Ctrl-C
    and stopping the group stops the worker's own children (corpus generators) too; progress bars on a
    thread lock, not a semaphore that a stopped worker would leak (with a warning at exit)."""
    from tqdm import tqdm

    os.setpgid(0, 0)
    tqdm.set_lock(threading.RLock())


def _stop_workers(processes) -> None:
    """SIGTERM each worker's process group, then SIGKILL what is still alive after 5 s."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for process in processes:
            try:
                os.killpg(process.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass
        for process in processes:
            process.join(timeout=5)
        if not any(p.is_alive() for p in processes):
            return


def _failure(job: Job, err: BaseException, attempts: int) -> JobOutcome:
    last = "".join(traceback.format_exception_only(type(err), err)).strip().splitlines()[-1][:300]
    return JobOutcome(job.label, error=f"crashed: {last}", attempts=attempts)


class LocalExecutor:
    """``workers`` jobs at once on this machine: in this process for one worker, else in spawned processes."""

    def __init__(self, workers: int = 1, retries: int = 1, threads: int | None = None):
        if workers < 1:
            raise UserError(f"--jobs {workers}: must be at least 1")
        self.workers, self.retries = workers, retries
        self.threads = threads or default_threads(workers)
        self._pool = None
        self._signals = _TerminateInterrupts()

    def describe(self) -> str:
        return f"local executor, {self.workers} worker(s) x {self.threads} thread(s)"

    def __enter__(self):
        self._signals.__enter__()
        return self

    def __exit__(self, exc_type, *exc) -> None:
        try:
            if self._pool is not None:
                if exc_type is not None:  # interrupted or failed: stop the jobs still running
                    _stop_workers(list(self._pool._processes.values()))  # no public API before Python 3.14
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None
        finally:
            self._signals.__exit__()

    def run(self, jobs: list[Job], done: Done) -> None:
        if self.workers == 1:
            for job in jobs:
                done(job, self._inline(job))
            return
        self._in_processes(jobs, done)

    def _new_pool(self):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        # spawned, not forked: a fork would inherit torch's thread pools
        self._pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_worker_setup)
        return self._pool

    def _inline(self, job: Job) -> JobOutcome:
        for attempt in range(1, self.retries + 2):
            try:
                outcome = execute_job(job)
            except Exception as err:  # noqa: BLE001 - any crash is retried, then reported
                if attempt > self.retries:
                    return _failure(job, err, attempt)
                continue
            outcome.attempts = attempt
            return outcome
        raise AssertionError("unreachable")

    def _in_processes(self, jobs: list[Job], done: Done) -> None:
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        pool = self._pool or self._new_pool()
        attempts = {id(job): 0 for job in jobs}
        running = {}
        queue = list(jobs)
        while queue or running:
            while queue and len(running) < self.workers:
                job = queue.pop(0)
                attempts[id(job)] += 1
                running[pool.submit(execute_job, job)] = job
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                job = running.pop(future)
                try:
                    outcome = future.result()
                except Exception as err:  # noqa: BLE001 - a crashed job (or worker) is retried, then reported
                    if isinstance(err, BrokenProcessPool) and pool is self._pool:  # a worker died: start anew
                        pool = self._new_pool()
                    if attempts[id(job)] <= self.retries:
                        queue.insert(0, job)
                    else:
                        done(job, _failure(job, err, attempts[id(job)]))
                    continue
                outcome.attempts = attempts[id(job)]
                done(job, outcome)


class RayExecutor:
    """Jobs as Ray tasks: each asks for ``job.cpus`` CPUs and ``job.gpus`` GPUs.

    ``address`` ``"auto"`` (or ``ray://...``) joins an existing cluster; ``None`` starts a
    local instance with this machine's cores. Results and features are written by the
    workers, so on a cluster ``--out`` and ``--cache-dir`` must be on a shared filesystem.
    """

    def __init__(self, address: str | None = None, retries: int = 1, workers: int | None = None,
                 threads: int | None = None):
        try:
            import ray  # noqa: F401
        except ImportError:
            raise UserError("--executor ray needs Ray: pip install 'superb[ray]'") from None
        self.address, self.retries = address, retries
        self._started = False
        self.workers = workers or 1
        self.threads = threads or default_threads(self.workers)
        self._signals = _TerminateInterrupts()

    def describe(self) -> str:
        where = f"cluster at {self.address}" if self.address else "local Ray instance"
        return f"Ray executor ({where}), {self.threads} CPU(s) per job, {self.retries} retry(ies)"

    def __enter__(self):
        import logging

        import ray

        self._signals.__enter__()
        if not ray.is_initialized():
            kwargs = {"address": self.address} if self.address else {"num_cpus": os.cpu_count()}
            try:
                ray.init(include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR, **kwargs)
            except ConnectionError as err:
                self._signals.__exit__()
                raise UserError(f"--ray-address {self.address}: no Ray cluster there ({err}); start one with "
                                f"`ray start --head` or drop --ray-address for a local instance") from None
            self._started = True
        return self

    def __exit__(self, *exc) -> None:
        import ray

        self._signals.__exit__()
        if self._started:
            ray.shutdown()
            self._started = False

    def run(self, jobs: list[Job], done: Done) -> None:
        import ray

        remote = ray.remote(execute_job)
        has_gpus = ray.cluster_resources().get("GPU", 0) > 0  # else a GPU request would wait for ever
        pending = {}
        for job in jobs:
            ref = remote.options(num_cpus=job.cpus, num_gpus=job.gpus if has_gpus else 0, max_retries=self.retries,
                                 retry_exceptions=True).remote(job)
            pending[ref] = job
        while pending:
            try:
                ready, _ = ray.wait(list(pending), num_returns=1)
            except KeyboardInterrupt:  # on a cluster, the tasks would run on
                for ref in pending:
                    ray.cancel(ref, force=True)
                raise
            job = pending.pop(ready[0])
            try:
                outcome = ray.get(ready[0])
            except Exception as err:  # noqa: BLE001 - retried by Ray already; now reported
                outcome = _failure(job, getattr(err, "cause", None) or err, self.retries + 1)
            done(job, outcome)


def make_executor(name: str, *, jobs: int = 1, retries: int = 1, ray_address: str | None = None):
    """The executor ``--executor name`` asks for."""
    if name == "local":
        return LocalExecutor(jobs, retries)
    if name == "ray":
        return RayExecutor(ray_address, retries, workers=jobs)
    raise UserError(f"--executor {name!r}: expected local or ray")
