"""`superb submit` says where it is (issue 20 item 8): task k/N with the time left, and run's training options."""

from __future__ import annotations

from benchmark.cli import TaskClock, build_parser


def test_time_left_is_the_mean_of_the_tasks_run_so_far():
    clock = TaskClock(4)
    assert clock.left() == ""  # nothing measured yet
    clock.finished(30.0, reused=False)
    assert clock.left() == " (about 2 min left)"  # 3 tasks x 30 s
    clock.finished(0.1, reused=True)  # a finished result costs nothing and does not lower the estimate
    assert clock.left() == " (about 60 s left)"
    clock.finished(50.0, reused=False)
    assert clock.left() == " (about 40 s left)"  # 1 task x mean(30, 50)


def test_submit_takes_the_training_options_of_run():
    args = build_parser().parse_args(["submit", "fbank", "--lr", "1e-3", "--seed", "3", "--featurizer", "last"])
    assert (args.lr, args.seed, args.featurizer) == (1e-3, 3, "last")
