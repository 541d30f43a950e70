"""The `converged` rule of every trained result: best dev before the last quarter, or < 1 point gained in it."""

import pytest

from benchmark.training import converged


def history(*devs, interval=500):
    return [{"step": interval * (i + 1), "train_loss": 0.0, "dev": d} for i, d in enumerate(devs)]


@pytest.mark.parametrize("devs,higher,expected", [
    ((0.16, 0.22, 0.25, 0.28), True, False),  # the KS run: still climbing at the last evaluation
    ((0.50, 0.70, 0.71, 0.705), True, True),  # best at step 1500 of 2000: the last quarter is (1500, 2000]
    ((0.50, 0.70, 0.69, 0.709), True, True),  # the last quarter gains 0.009 < 1 point
    ((0.50, 0.60, 0.69, 0.70, 0.72), True, False),  # best at 2500 of 2500, gains 2 points over 0.70 at 2000
    ((0.98, 0.90, 0.80, 0.795), False, True),  # error rates: half a point below the best before the last quarter
    ((0.98, 0.90, 0.80, 0.70), False, False),
    ((0.5,), True, False),  # one evaluation: no plateau shown
    ((), True, False),
])
def test_converged_rule(devs, higher, expected):
    assert converged(history(*devs), higher) is expected
