"""`superb submit` says where it is (issue 20 item 8): task k/N with the time left, and run's training options."""

from __future__ import annotations

from benchmark.cli import build_parser
from benchmark.clock import JobClock


def test_time_left_is_the_mean_of_the_tasks_run_so_far():
    clock = JobClock(4)
    assert clock.left() == ""  # nothing measured yet
    clock.finished(30.0, reused=False)
    assert clock.left() == " (about 2 min left)"  # 3 tasks x 30 s
    clock.finished(0.1, reused=True)  # a finished result costs nothing and does not lower the estimate
    assert clock.left() == " (about 60 s left)"
    clock.finished(50.0, reused=False)
    assert clock.left() == " (about 40 s left)"  # 1 task x mean(30, 50)
    clock.finished(10.0, reused=False)
    assert clock.left() == ""  # all done


def test_time_left_divides_by_the_jobs_running_at_once():
    clock = JobClock(5, workers=2)
    clock.finished(60.0, reused=False)
    assert clock.left() == " (about 2 min left)"  # 4 jobs x 60 s / 2 workers


def test_submit_takes_the_training_options_of_run():
    args = build_parser().parse_args(["submit", "fbank", "--lr", "1e-3", "--seed", "3", "--featurizer", "last"])
    assert (args.lr, args.seed, args.featurizer) == (1e-3, 3, "last")
