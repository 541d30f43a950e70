"""EER and minDCF against scikit-learn's ROC on the same randomized trials."""

import numpy as np
import pytest
from scipy.interpolate import interp1d
from scipy.optimize import brentq
from sklearn.metrics import roc_curve

from benchmark.metrics import METRICS, eer, min_dcf


def trials(seed: int, ties: bool = False):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(20, 400))
    targets = rng.random(n) < rng.uniform(0.2, 0.8)
    targets[:2] = [True, False]
    scores = rng.normal(size=n) + rng.uniform(0, 2) * targets
    if ties:
        scores = np.round(scores, 1)
    return scores, targets.astype(int)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("ties", [False, True])
def test_eer_matches_sklearn_roc(seed, ties):
    scores, targets = trials(seed, ties)
    fpr, tpr, _ = roc_curve(targets, scores)
    reference = brentq(lambda x: 1.0 - x - interp1d(fpr, tpr)(x), 0.0, 1.0)  # s3prl's EER
    assert eer(scores, targets) == pytest.approx(reference, abs=1e-9)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("ties", [False, True])
def test_min_dcf_matches_sklearn_roc(seed, ties):
    scores, targets = trials(seed, ties)
    fpr, tpr, _ = roc_curve(targets, scores, drop_intermediate=False)
    for p_target, c_miss, c_fa in ((0.01, 1, 1), (0.05, 1, 1), (0.5, 2, 1)):
        cost = c_miss * (1 - tpr) * p_target + c_fa * fpr * (1 - p_target)
        reference = cost.min() / min(c_miss * p_target, c_fa * (1 - p_target))
        assert min_dcf(scores, targets, p_target, c_miss, c_fa) == pytest.approx(reference, abs=1e-12)


def test_perfect_and_inverted_systems():
    targets = np.array([1, 1, 0, 0])
    assert eer([0.9, 0.8, 0.1, 0.2], targets) == 0.0
    assert min_dcf([0.9, 0.8, 0.1, 0.2], targets) == 0.0
    assert eer([0.1, 0.2, 0.9, 0.8], targets) == 1.0
    assert min_dcf([0.1, 0.2, 0.9, 0.8], targets) == pytest.approx(1.0)


def test_registered_and_refuses_one_class():
    assert METRICS["eer"] is eer and METRICS["min_dcf"] is min_dcf
    with pytest.raises(ValueError, match="both target and non-target"):
        eer([0.1, 0.2], [1, 1])
    with pytest.raises(ValueError, match="2 scores for 3"):
        min_dcf([0.1, 0.2], [1, 0, 1])
