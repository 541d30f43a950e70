"""Time the sweep's corpus phase: synthetic corpora one after another in one process (how the sweep
generated them before) against the sweep's corpus jobs on ``--jobs`` local workers.

    python benchmarks/corpus_jobs.py --tasks ks,ic --jobs 2 --repeats 2

Every run generates from scratch in a fresh temporary ``SUPERB_DATA_DIR``; the two ways alternate
so that a change in the machine's load hits both.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default="ks,ic")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    from benchmark.corpora import CORPUS_FORMATS
    from benchmark.executors import LocalExecutor
    from benchmark.sweep import SweepRequest, parse_tasks, plan

    def one_after_another(jobs) -> None:
        for job in jobs:
            for req in job.requests:
                CORPUS_FORMATS[req.format].generate(progress=False)  # the generator's default workers

    def as_jobs(jobs) -> None:
        with LocalExecutor(args.jobs) as executor:
            executor.run(jobs, lambda job, outcome: None if outcome.error is None else print(outcome.error))

    times: dict[str, list[float]] = {"one after another": [], f"corpus jobs, --jobs {args.jobs}": []}
    for _ in range(args.repeats):
        for name, way in zip(times, (one_after_another, as_jobs), strict=True):
            data = Path(tempfile.mkdtemp(prefix="corpus-jobs-"))
            os.environ["SUPERB_DATA_DIR"] = str(data)
            jobs = plan(SweepRequest(upstreams=("fbank_no_cmvn",), tasks=parse_tasks(args.tasks), lrs="task"),
                        threads=1).corpora
            start = time.perf_counter()
            way(jobs)
            times[name].append(time.perf_counter() - start)
            print(f"{name}: {times[name][-1]:.1f} s ({len(jobs)} corpora)", flush=True)
            shutil.rmtree(data, ignore_errors=True)
    for name, seconds in times.items():
        print(f"| {name} | {' / '.join(f'{s:.1f}' for s in seconds)} | median {statistics.median(seconds):.1f} |")


if __name__ == "__main__":
    main()
