"""Problem kinds (``problem:`` in tasks.yaml): how a task's head is trained and scored.

A problem is a function ``score(ctx: RunContext) -> Scored``, registered here by
name. The runner has already loaded the corpus, extracted the features and chosen the
path; the problem trains (with :func:`benchmark.training.train`) and evaluates.
Importing this package imports no torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmark.registry import Entry, Registry

PROBLEMS = Registry("problem", {
    "utterance_classification": Entry("benchmark.problems.utterance_classification:score",
                                      "one label per utterance; cross-entropy"),
    "ctc_transcription": Entry("benchmark.problems.ctc_transcription:score",
                               "a phone or character sequence per utterance; CTC, greedy decoding"),
    "query_by_example": Entry("benchmark.problems.query_by_example:score",
                              "spoken queries searched in a spoken collection; DTW per layer, no training"),
    "diarization": Entry("benchmark.problems.diarization:score",
                         "who speaks when: per-frame speaker activity, permutation-invariant BCE, DER"),
    "speaker_verification": Entry("benchmark.problems.speaker_verification:score",
                                  "speaker embeddings trained with AM-Softmax; cosine-scored trials, EER and minDCF"),
})


@dataclass
class RunContext:
    """What a problem gets from the runner.

    Attributes:
        spec: the task (:class:`benchmark.tasks.TaskSpec`).
        splits: split name to its utterances, in corpus order.
        features: split name to :class:`benchmark.features.SplitFeatures`, same order.
        upstream: the frozen upstream (``num_layers``, ``hidden_size``, ``downsample_rate``).
        head_cls: the task's head class, or ``None`` for tasks without one.
        config: the resolved settings (training keys, ``seed``, ``featurizer``,
            ``layer_norm``, ``path`` = ``"pooled"`` or ``"frames"``, ...).
        checkpoint: where training keeps its resumable state.
        progress: show progress bars.
        device: where the featurizer and head run (``"cpu"``, ``"cuda:0"``); features
            arrive on the CPU and are moved batch by batch. Create no tensor on a
            hard-coded device.
    """

    spec: Any
    splits: dict[str, list]
    features: dict[str, Any]
    upstream: Any
    head_cls: type | None
    config: dict[str, Any]
    checkpoint: Path
    progress: bool = True
    device: Any = "cpu"


@dataclass
class Scored:
    """What a problem returns; ``metrics`` is ``{"dev": {...}, "test": {...}}``.

    ``outcome`` is the :class:`benchmark.training.TrainOutcome` (``None`` when nothing
    is trained); ``extra`` goes into the result JSON as is (e.g. per-layer scores).
    """

    metrics: dict[str, dict[str, float]]
    layer_weights: list[float] | None
    outcome: Any = None
    test_seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
