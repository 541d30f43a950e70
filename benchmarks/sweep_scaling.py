"""Wall time of one small sweep with 1 and 2 local workers and with Ray, and the share spent extracting.

    python benchmarks/sweep_scaling.py [--tasks ks] [--lrs 1e-3,1e-2] [--seeds 0,1] [--steps 500]

Each configuration starts from an empty feature cache and an empty results folder (the
synthetic corpus is generated once, before timing), so every row extracts and trains
the same jobs. Run it on a quiet machine: other load changes the numbers.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--upstreams", default="fbank_no_cmvn")
    parser.add_argument("--tasks", default="ks")
    parser.add_argument("--lrs", default="1e-3,1e-2")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--steps", type=int, default=500)
    args = parser.parse_args()

    from benchmark.cli import number_list
    from benchmark.executors import LocalExecutor, RayExecutor
    from benchmark.sweep import SweepRequest, execute_job, parse_tasks, plan, run_sweep

    work = Path(tempfile.mkdtemp(prefix="sweep-scaling-"))
    sweep = SweepRequest(upstreams=tuple(args.upstreams.split(",")), tasks=parse_tasks(args.tasks),
                         lrs=number_list(args.lrs, float, "--lrs"), seeds=number_list(args.seeds, int, "--seeds"),
                         steps=args.steps)
    for job in plan(sweep, threads=2).corpora:  # the synthetic corpora, generated before any timing
        execute_job(job)
    rows = []
    for name, make in (("local, 1 worker x 2 threads", lambda: LocalExecutor(1)),
                       ("local, 2 workers x 1 thread", lambda: LocalExecutor(2)),
                       ("ray (local instance), 2 x 1 CPU", lambda: RayExecutor(workers=2))):
        cache, out = work / "cache", work / "out"
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
        start = time.perf_counter()
        extracted: list[float] = []  # when the last extraction job reported

        def note(line: str) -> None:
            if line.startswith("[extract"):
                extracted.append(time.perf_counter() - start)
        run_sweep(replace(sweep, out=out, cache_dir=cache), make(), progress=False, write=note)
        total = time.perf_counter() - start
        extract = extracted[-1] if extracted else 0.0
        rows.append((name, total, extract))
        print(f"{name}: {total:.1f} s, extraction phase {extract:.1f} s ({100 * extract / total:.0f} %)", flush=True)
    shutil.rmtree(work, ignore_errors=True)
    jobs = len(sweep.lrs) * len(sweep.seeds) * len(sweep.tasks) * len(sweep.upstreams)
    print(f"\n{jobs} training jobs ({args.tasks}, {args.steps} steps each), {len(sweep.upstreams)} extraction job(s)\n")
    print("| executor | wall s | extraction phase s | share extracting |")
    print("|---|---|---|---|")
    for name, total, extract in rows:
        print(f"| {name} | {total:.1f} | {extract:.1f} | {100 * extract / total:.0f} % |")


if __name__ == "__main__":
    main()
