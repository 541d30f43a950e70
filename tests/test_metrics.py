"""benchmark.metrics against scikit-learn on the same inputs."""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score

from benchmark.metrics import accuracy


@pytest.mark.parametrize("seed", range(5))
def test_accuracy_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    ref = rng.integers(0, 12, 200).tolist()
    pred = [r if rng.random() < 0.6 else int(rng.integers(0, 12)) for r in ref]
    assert accuracy(pred, ref) == pytest.approx(accuracy_score(ref, pred))
    labels = [str(x) for x in ref]
    assert accuracy(labels, labels) == 1.0


def test_accuracy_refuses_mismatched_input():
    with pytest.raises(ValueError):
        accuracy([1, 2], [1])
    with pytest.raises(ValueError):
        accuracy([], [])
