"""Metrics users can call on their own outputs.

Every function takes plain Python sequences (or arrays) and returns a float; rates
and accuracies are fractions (error rates may exceed 1 when hypotheses insert a lot).

- :func:`accuracy`
- :func:`wer`, :func:`cer`, :func:`per`: corpus-level edit distance over the total
  reference length (words, characters, space-separated phones).
- :func:`mtwv` (maximum term-weighted value) and :func:`min_cnxe` (minimum normalised
  cross entropy): query-by-example detection scores, QUESST 2014 constants.
- :func:`der` (diarization error rate): pyannote.metrics, collar 0, overlap scored.
- :func:`eer` (equal error rate) and :func:`min_dcf` (minimum normalised detection cost):
  speaker verification from trial scores.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np


def accuracy(pred: Sequence, ref: Sequence) -> float:
    """Fraction of positions where ``pred[i] == ref[i]``.

    Raises:
        ValueError: the sequences differ in length or are empty.
    """
    if len(pred) != len(ref):
        raise ValueError(f"accuracy: {len(pred)} predictions for {len(ref)} references")
    if not len(ref):
        raise ValueError("accuracy: no references")
    return sum(p == r for p, r in zip(pred, ref)) / len(ref)


def _error_rate(name: str, hyps: Sequence[str], refs: Sequence[str], split) -> float:
    import editdistance

    if len(hyps) != len(refs):
        raise ValueError(f"{name}: {len(hyps)} hypotheses for {len(refs)} references")
    total = sum(len(split(r)) for r in refs)
    if not total:
        raise ValueError(f"{name}: the references are empty")
    return sum(editdistance.eval(split(h), split(r)) for h, r in zip(hyps, refs)) / total


def wer(hyps: Sequence[str], refs: Sequence[str]) -> float:
    """Word error rate: word edit distance summed over utterances / reference words.

    Words are separated by whitespace; comparison is exact (no case folding).
    """
    return _error_rate("wer", hyps, refs, str.split)


def cer(hyps: Sequence[str], refs: Sequence[str]) -> float:
    """Character error rate: character edit distance (spaces count) / reference characters.

    Leading and trailing whitespace is ignored, as in jiwer.
    """
    return _error_rate("cer", hyps, refs, lambda s: list(s.strip()))


def per(hyps: Sequence[str], refs: Sequence[str]) -> float:
    """Phone error rate: phone edit distance / reference phones; phones are space-separated."""
    return _error_rate("per", hyps, refs, str.split)


TWV_P_TARGET = 0.0008
TWV_C_MISS = 100.0
TWV_C_FA = 1.0
"""QUESST 2014 application parameters (the MediaEval scoring tool's): prior of a
target trial, cost of a miss, cost of a false alarm."""
TWV_BETA = TWV_C_FA / TWV_C_MISS * (1 / TWV_P_TARGET - 1)  # 12.49
CNXE_PRIOR = TWV_P_TARGET * TWV_C_MISS / (TWV_P_TARGET * TWV_C_MISS + (1 - TWV_P_TARGET) * TWV_C_FA)
"""The effective prior of the same parameters (0.0741), used by Cnxe."""


def _detection_inputs(name: str, scores, truth) -> tuple[np.ndarray, np.ndarray]:
    """``(queries, documents)`` float scores and bool truth, restricted to queries with a target."""
    scores = np.asarray(scores, dtype=np.float64)
    truth = np.asarray(truth, dtype=bool)
    if scores.ndim != 2 or scores.shape != truth.shape:
        raise ValueError(f"{name}: scores {scores.shape} and truth {truth.shape} must both be (queries, documents)")
    keep = truth.any(axis=1)
    if not keep.any():
        raise ValueError(f"{name}: no query has a target document")
    if truth[keep].all():
        raise ValueError(f"{name}: every document is a target; false alarms are undefined")
    return scores[keep], truth[keep]


def mtwv(scores, truth) -> float:
    """Maximum term-weighted value over one global threshold (QUESST 2014 constants).

    Args:
        scores: ``(queries, documents)`` detection scores; higher means "the query
            occurs in the document". Every (query, document) pair is a trial.
        truth: ``(queries, documents)`` bool, the query occurs in the document.

    For a threshold ``t`` every trial with ``score >= t`` is a detection, and
    ``TWV(t) = 1 - mean_q [P_miss(q, t) + beta * P_fa(q, t)]`` with
    ``P_miss = 1 - hits / targets(q)``, ``P_fa = false alarms / non-targets(q)`` and
    ``beta = C_fa / C_miss * (1 / P_target - 1) = 12.49`` (P_target 0.0008, C_miss 100,
    C_fa 1). Queries without a target are left out, as the scoring tool does.
    MTWV is the maximum over ``t``, including a threshold above every score (TWV 0).
    """
    scores, truth = _detection_inputs("mtwv", scores, truth)
    queries, documents = scores.shape
    targets = truth.sum(axis=1, keepdims=True)
    gain = np.where(truth, 1.0 / targets, -TWV_BETA / (documents - targets)) / queries
    flat_scores, flat_gain = scores.ravel(), gain.ravel()
    order = np.argsort(-flat_scores, kind="stable")
    twv = np.cumsum(flat_gain[order])
    ordered = flat_scores[order]
    last_of_tie = np.append(ordered[1:] != ordered[:-1], True)  # thresholds fall between distinct scores
    return float(max(0.0, twv[last_of_tie].max()))


def _cross_entropy(llr: np.ndarray, truth: np.ndarray, prior: float) -> float:
    """Prior-weighted binary cross entropy in bits of log-likelihood ratios ``llr``."""
    offset = math.log(prior / (1 - prior))
    target = np.logaddexp(0, -(llr[truth] + offset)).mean()
    non_target = np.logaddexp(0, llr[~truth] + offset).mean()
    return (prior * target + (1 - prior) * non_target) / math.log(2)


def min_cnxe(scores, truth, iterations: int = 50) -> float:
    """Minimum normalised cross entropy (Cnxe after the best affine calibration).

    Same inputs as :func:`mtwv`. Scores are mapped to log-likelihood ratios by the
    affine ``a * score + b`` that minimises the cross entropy at the effective prior
    ``P = 0.0741`` (Newton's method), and the cross entropy is divided by that of the
    prior alone, ``-(P log2 P + (1 - P) log2 (1 - P))``. 1 means the scores carry no
    information, 0 a perfect detector.
    """
    scores, truth = _detection_inputs("min_cnxe", scores, truth)
    x, y = scores.ravel(), truth.ravel()
    scale = x.std() or 1.0
    x = (x - x.mean()) / scale
    prior = CNXE_PRIOR
    weights = np.where(y, prior / y.sum(), (1 - prior) / (~y).sum())
    offset = math.log(prior / (1 - prior))
    params = np.zeros(2)
    design = np.stack([x, np.ones_like(x)], axis=1)
    for _ in range(iterations):  # weighted logistic regression of y on x, with the prior's offset
        p = 0.5 * (1 + np.tanh((design @ params + offset) / 2))  # the logistic function, without overflow
        gradient = design.T @ (weights * (p - y))
        hessian = design.T @ (design * (weights * p * (1 - p))[:, None]) + 1e-12 * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        params -= step
        if np.abs(step).max() < 1e-10:
            break
    calibrated = _cross_entropy(design @ params, y, prior)
    reference = -(prior * math.log2(prior) + (1 - prior) * math.log2(1 - prior))
    return float(min(1.0, calibrated / reference))


_SLOT = re.compile(r"B\-(\S+) (.+?) E\-\1")
"""A slot in s3prl's SF strings: ``B-<type> <value> E-<type>`` (the shortest value)."""


def _slots(text: str, clean: bool) -> dict[str, list[str]]:
    """Slot type to its values in ``text``, in order; ``clean`` drops tags nested in a value (hypotheses)."""
    found: dict[str, list[str]] = {}
    for slot_type, value in _SLOT.findall(re.sub(r" +", " ", text)):
        if clean:
            value = re.sub(r" E\-(\S+)", "", re.sub(r"B\-(\S+) ", "", value))
        found.setdefault(slot_type, []).append(value)
    return found


def _slot_pairs(name: str, hyps: Sequence[str], refs: Sequence[str]) -> list[tuple[dict, dict]]:
    if len(hyps) != len(refs):
        raise ValueError(f"{name}: {len(hyps)} hypotheses for {len(refs)} references")
    if not len(refs):
        raise ValueError(f"{name}: no references")
    return [(_slots(h, clean=True), _slots(r, clean=False)) for h, r in zip(hyps, refs)]


def slot_type_f1(hyps: Sequence[str], refs: Sequence[str]) -> float:
    """Slot-type F1 of SF, as s3prl's ``downstream/ctc/metric.py``: the mean over utterances of the F1
    of the *set* of slot types found in the hypothesis against the reference's.

    Strings are s3prl's decoded form, ``"PLAY B-artist ABBA E-artist"``: a slot is ``B-<type>
    <value> E-<type>`` (runs of spaces read as one). An utterance with no slot in either scores 1;
    with slots in only one of them, 0. Values are ignored.
    """
    scores = []
    for hyp, ref in _slot_pairs("slot_type_f1", hyps, refs):
        if not hyp and not ref:
            scores.append(1.0)
        elif not hyp or not ref:
            scores.append(0.0)
        else:
            common = len(hyp.keys() & ref.keys())
            recall, precision = common / len(ref), common / len(hyp)
            scores.append(2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0)
    return sum(scores) / len(scores)


def slot_value_cer(hyps: Sequence[str], refs: Sequence[str]) -> float:
    """Slot-value CER of SF, as s3prl's ``downstream/ctc/metric.py``: every reference slot value is
    paired with the hypothesis value of the same type with the lowest CER (the first of ties; ``""``
    when the hypothesis has no slot of that type), and the character edit distances of all pairs
    are summed and divided by the reference values' total length (spaces count, nothing stripped).

    Raises:
        ValueError: the references hold no slot.
    """
    import editdistance

    pairs = []
    for hyp, ref in _slot_pairs("slot_value_cer", hyps, refs):
        for slot_type, values in ref.items():
            for value in values:
                best, best_cer = "", 100.0
                for candidate in hyp.get(slot_type, []):
                    rate = editdistance.eval(candidate, value) / len(value)
                    if rate < best_cer:
                        best, best_cer = candidate, rate
                pairs.append((best, value))
    total = sum(len(value) for _, value in pairs)
    if not total:
        raise ValueError("slot_value_cer: the references hold no slot")
    return sum(editdistance.eval(h, r) for h, r in pairs) / total


def der(hypotheses, references, durations: dict[str, float] | None = None) -> float:
    """Diarization error rate over recordings: (missed + false alarm + confusion) / reference speech.

    pyannote.metrics' ``DiarizationErrorRate(collar=0.0, skip_overlap=False)`` (as
    s3prl's dscore scoring: no collar, overlapped speech scored), accumulated over
    every recording of ``references``, so long recordings weigh more.

    Args:
        hypotheses, references: ``{recording: pyannote.core.Annotation}``, or the path
            of an RTTM file (read with ``pyannote.database.util.load_rttm``). A
            recording without hypothesis turns counts as all silence.
        durations: recording to seconds; each recording is scored on ``[0, duration]``
            (else on the extent of its turns, pyannote's approximation).

    Raises:
        ValueError: the references hold no speech.
    """
    import warnings

    from pyannote.core import Annotation, Segment, Timeline
    from pyannote.metrics.diarization import DiarizationErrorRate

    hypotheses, references = _annotations(hypotheses), _annotations(references)
    metric = DiarizationErrorRate(collar=0.0, skip_overlap=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "'uem' was approximated by the union of 'reference' and 'hypothesis'"
        for uri, reference in references.items():
            uem = Timeline([Segment(0.0, durations[uri])], uri=uri) if durations is not None else None
            metric(reference, hypotheses.get(uri, Annotation(uri=uri)), uem=uem)
    if not metric.accumulated_["total"] > 0:
        raise ValueError("der: the references hold no speech")
    return float(abs(metric))


def _annotations(source) -> dict:
    """``{uri: Annotation}`` as given, or read from an RTTM file."""
    if isinstance(source, dict):
        return source
    from pyannote.database.util import load_rttm

    return load_rttm(str(source))




def _verification_inputs(name: str, scores, targets) -> tuple[np.ndarray, np.ndarray]:
    """``(trials,)`` float scores and bool target flags; both classes must be present."""
    scores = np.asarray(scores, dtype=np.float64).ravel()
    targets = np.asarray(targets).astype(bool).ravel()
    if scores.shape != targets.shape:
        raise ValueError(f"{name}: {scores.size} scores for {targets.size} trial labels")
    if targets.all() or not targets.any():
        raise ValueError(f"{name}: the trials need both target and non-target pairs")
    return scores, targets


def _miss_false_alarm(scores: np.ndarray, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Miss and false-alarm rates at every threshold between distinct scores (accept ``score >= t``).

    The first point accepts nothing (miss 1, false alarm 0), the last accepts everything.
    """
    order = np.argsort(-scores, kind="stable")
    ordered, hits = scores[order], targets[order]
    last_of_tie = np.append(ordered[1:] != ordered[:-1], True)
    accepted_targets = np.concatenate([[0], np.cumsum(hits)[last_of_tie]])
    accepted_others = np.concatenate([[0], np.cumsum(~hits)[last_of_tie]])
    return 1 - accepted_targets / hits.sum(), accepted_others / (~hits).sum()


def eer(scores, targets) -> float:
    """Equal error rate of a verification system, a fraction.

    Args:
        scores: ``(trials,)`` similarity scores; higher means "same speaker".
        targets: ``(trials,)`` 1 for a target (same-speaker) trial, 0 otherwise.

    The miss and false-alarm rates over all thresholds form a staircase (the ROC);
    the EER is where the linear interpolation between its points crosses
    miss = false alarm, as s3prl's ``EER`` (``roc_curve`` + ``brentq``) computes.
    """
    miss, fa = _miss_false_alarm(*_verification_inputs("eer", scores, targets))
    gap = miss - fa  # falls from 1 to -1
    k = int(np.flatnonzero(gap <= 0)[0])
    if gap[k] == 0:
        return float(fa[k])
    w = gap[k - 1] / (gap[k - 1] - gap[k])
    return float(fa[k - 1] + w * (fa[k] - fa[k - 1]))


def min_dcf(scores, targets, p_target: float = 0.01, c_miss: float = 1.0, c_fa: float = 1.0) -> float:
    """Minimum normalised detection cost (NIST SRE; VoxCeleb's p_target 0.01, C_miss = C_fa = 1).

    ``DCF(t) = C_miss * P_miss(t) * p_target + C_fa * P_fa(t) * (1 - p_target)``, divided
    by ``min(C_miss * p_target, C_fa * (1 - p_target))`` (the cost of always answering the
    same way), minimised over thresholds. Same inputs as :func:`eer`.
    """
    miss, fa = _miss_false_alarm(*_verification_inputs("min_dcf", scores, targets))
    cost = c_miss * miss * p_target + c_fa * fa * (1 - p_target)
    return float(cost.min() / min(c_miss * p_target, c_fa * (1 - p_target)))


METRICS = {"accuracy": accuracy, "wer": wer, "cer": cer, "per": per, "mtwv": mtwv, "min_cnxe": min_cnxe,
           "slot_f1": slot_type_f1, "slot_cer": slot_value_cer, "der": der, "eer": eer, "min_dcf": min_dcf}
"""Metric name (as used in tasks.yaml and result JSON) to function."""
