"""wer/cer/per against jiwer and editdistance; mtwv against the TWV definition; min_cnxe."""

import editdistance
import jiwer
import numpy as np
import pytest

from benchmark.metrics import METRICS, TWV_BETA, cer, min_cnxe, mtwv, mtwv_all_trials, per, wer

WORDS = ["the", "cat", "sat", "on", "a", "mat", "dog", "ran", "up", "hill"]


def random_corpus(rng, n=40):
    refs, hyps = [], []
    for _ in range(n):
        ref = list(rng.choice(WORDS, size=int(rng.integers(1, 12))))
        hyp = [w for w in ref if rng.random() > 0.2]  # deletions
        hyp = [str(rng.choice(WORDS)) if rng.random() < 0.2 else w for w in hyp]  # substitutions
        for _ in range(int(rng.integers(0, 3))):  # insertions
            hyp.insert(int(rng.integers(0, len(hyp) + 1)), str(rng.choice(WORDS)))
        refs.append(" ".join(ref))
        hyps.append(" ".join(hyp))
    return hyps, refs


@pytest.mark.parametrize("seed", range(5))
def test_wer_and_cer_match_jiwer(seed):
    hyps, refs = random_corpus(np.random.default_rng(seed))
    hyps[0] = ""  # an empty hypothesis counts as deletions
    assert wer(hyps, refs) == pytest.approx(jiwer.wer(refs, hyps))
    assert cer(hyps, refs) == pytest.approx(jiwer.cer(refs, hyps))


@pytest.mark.parametrize("seed", range(3))
def test_per_is_corpus_edit_distance_over_phones(seed):
    rng = np.random.default_rng(seed)
    phones = ["aɪ", "b", "tʃ", "ɪ", "ŋ", "ɑːɹ", "s"]
    refs = [list(rng.choice(phones, size=int(rng.integers(1, 15)))) for _ in range(30)]
    hyps = [list(rng.choice(phones, size=int(rng.integers(0, 15)))) for _ in range(30)]
    expected = sum(editdistance.eval(h, r) for h, r in zip(hyps, refs)) / sum(map(len, refs))
    assert per([" ".join(h) for h in hyps], [" ".join(r) for r in refs]) == pytest.approx(expected)
    assert per(["a b c"], ["a b c"]) == 0.0


def test_error_rates_refuse_bad_input():
    with pytest.raises(ValueError):
        wer(["a"], ["a", "b"])
    with pytest.raises(ValueError):
        cer(["a"], [""])
    assert set(METRICS) >= {"wer", "cer", "per", "mtwv", "min_cnxe"}


def brute_force_mtwv(scores, truth):
    """Every candidate threshold, TWV straight from its definition (P_miss, P_fa per term)."""
    terms = [q for q in range(len(truth)) if truth[q].any()]
    best = 0.0
    for threshold in sorted(set(scores.ravel())) + [np.inf]:
        detected = scores >= threshold
        values = []
        for q in terms:
            targets, non_targets = truth[q].sum(), (~truth[q]).sum()
            p_miss = 1 - (detected[q] & truth[q]).sum() / targets
            p_fa = (detected[q] & ~truth[q]).sum() / non_targets
            values.append(1 - p_miss - TWV_BETA * p_fa)
        best = max(best, float(np.mean(values)))
    return best


@pytest.mark.parametrize("seed", range(8))
def test_mtwv_matches_the_definition(seed):
    rng = np.random.default_rng(seed)
    truth = rng.random((6, 40)) < 0.1
    truth[int(rng.integers(6))] = False  # a query without targets is left out
    scores = np.round(rng.standard_normal((6, 40)) + 2.0 * truth, 1)  # rounding makes ties
    assert mtwv(scores, truth) == pytest.approx(brute_force_mtwv(scores, truth))


def test_mtwv_extremes():
    truth = np.zeros((3, 30), dtype=bool)
    truth[:, :2] = True
    assert mtwv(truth * 1.0, truth) == pytest.approx(1.0)
    assert mtwv(-1.0 * truth, truth) == 0.0  # best threshold: detect nothing
    with pytest.raises(ValueError, match="no query has a target"):
        mtwv(np.zeros((2, 5)), np.zeros((2, 5), dtype=bool))


def test_mtwv_all_trials_hand_built_case():
    """Queries q1, q2 English and q3 Czech; documents d1..d3 English and d4 Czech.

    Truth: q1 in d1; q2 in d2 and d4; q3 in d4. The system scores only the English block:
    q1 -> (2, 1, 0), q2 -> (0, 3, 1); every other trial gets -10.
    At threshold 2 (detect q1-d1 and q2-d2): q1 TWV 1 (no miss, no false alarm), q2 misses
    d4 (P_miss 1/2, TWV 0.5), q3 detects nothing (TWV 0): TWV = (1 + 0.5 + 0) / 3 = 0.5.
    Threshold 3 gives 0.5 / 3; threshold 1 adds a false alarm for q1 (P_fa 1/3, -12.49 / 3).
    English trials alone: q1 and q2 are both perfect at threshold 2 (q2's only English
    target is d2), so 1.0.
    """
    truth = np.array([[1, 0, 0, 0], [0, 1, 0, 1], [0, 0, 0, 1]], dtype=bool)
    scores = np.array([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0]])
    assert mtwv_all_trials(scores, truth, rows=[0, 1], columns=[0, 1, 2]) == pytest.approx(0.5)
    assert mtwv(scores, truth[:2, :3]) == pytest.approx(1.0)
    assert mtwv_all_trials(scores[::-1], truth, rows=[1, 0], columns=[0, 1, 2]) == pytest.approx(0.5)  # any order


@pytest.mark.parametrize("seed", range(3))
def test_mtwv_all_trials_equals_english_mtwv_when_everything_is_english(seed):
    rng = np.random.default_rng(seed)
    truth = rng.random((6, 40)) < 0.1
    scores = np.round(rng.standard_normal((6, 40)) + 2.0 * truth, 1)
    assert mtwv_all_trials(scores, truth, range(6), range(40)) == mtwv(scores, truth)


def test_min_cnxe_bounds_and_affine_invariance():
    rng = np.random.default_rng(0)
    truth = rng.random((10, 100)) < 0.05
    truth[:, 0] = True
    informative = rng.standard_normal((10, 100)) + 2.5 * truth
    value = min_cnxe(informative, truth)
    assert 0.0 < value < 0.9
    assert min_cnxe(3.0 * informative - 7.0, truth) == pytest.approx(value, abs=1e-6)
    assert min_cnxe(rng.standard_normal((10, 100)), truth) == pytest.approx(1.0, abs=0.05)
    assert min_cnxe(10.0 * truth, truth) < 1e-3
